"""Rate limits for the auth endpoints, with `limits` (memory in one process, Redis across several).

Strategy: moving window. It keeps one timestamp per allowed hit (at most N per key; auth limits
are small, e.g. 20 per 15 minutes), so it is exact — no burst of 2N across a window boundary as
with a fixed window, and no early or late refusals as with the sliding-window-counter estimate —
and the oldest timestamp gives an exact `Retry-After`. Refused hits are not recorded, so a client
hammering the endpoint does not extend its own lockout.

Keys are hashed (SHA-256 hex) before they reach the storage: e-mail addresses and other user input
never appear in Redis, and no character in them can break the `/`-joined key layout of `limits`.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from typing import Final

from aiohttp import web
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

DEFAULT_RATE: Final = "20/15minutes"
REDIS_KEY_PREFIX: Final = "campus:auth:ratelimit"
NAMESPACE: Final = "auth"

_SCOPE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_ASYNC_SCHEMES: Final = {"redis": "async+redis", "rediss": "async+rediss"}


class AuthRateLimiter:
    """One limit (e.g. 20 per 15 minutes) applied per (scope, key)."""

    def __init__(self, rate: RateLimitItem, storage: Storage) -> None:
        self._rate = rate
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, rate: str = DEFAULT_RATE, redis_url: str | None = None) -> AuthRateLimiter:
        """Parse `rate` (`limits` syntax) and pick memory storage, or Redis when `redis_url` is set."""
        storage = MemoryStorage() if redis_url is None else _redis_storage(redis_url)
        return cls(parse_rate(rate), storage)

    @property
    def rate(self) -> RateLimitItem:
        return self._rate

    async def hit(self, scope: str, key: str) -> float | None:
        """Consume one unit; None when allowed, else whole seconds (≥ 1) until a retry can succeed."""
        identifiers = (NAMESPACE, _checked_scope(scope), hash_key(key))
        if await self._limiter.hit(self._rate, *identifiers):
            return None
        stats = await self._limiter.get_window_stats(self._rate, *identifiers)
        return float(max(1, math.ceil(stats.reset_time - time.time())))

    async def close(self) -> None:
        """Release the storage: the memory expiry task or the Redis connections."""
        timer = getattr(self._storage, "timer", None)  # MemoryStorage's background expiry task
        if timer is not None and not timer.done():
            timer.cancel()
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)  # coredis client
        pool = getattr(client, "connection_pool", None)
        if pool is not None:
            pool.disconnect()


def parse_rate(rate: str) -> RateLimitItem:
    """One rate in `limits` syntax ("20/15minutes", "20 per 15 minutes"); ValueError names a bad one."""
    try:
        return parse(rate)
    except (ValueError, TypeError) as error:
        raise ValueError(f"invalid auth rate limit {rate!r}: use e.g. '20/15minutes' or '20 per 15 minutes'") from error


def hash_key(key: str) -> str:
    """SHA-256 hex of the trimmed, case-folded key: `A@x.org ` and `a@x.org` share a limit."""
    return hashlib.sha256(key.strip().casefold().encode()).hexdigest()


def redis_storage_uri(redis_url: str) -> str:
    """`redis://` / `rediss://` → the async (coredis) scheme `limits` expects; async URLs pass."""
    scheme, separator, rest = redis_url.partition("://")
    if not separator:
        raise ValueError("the Redis URL must look like redis://host:port/db")
    if scheme in _ASYNC_SCHEMES.values():
        return redis_url
    if scheme in _ASYNC_SCHEMES:
        return f"{_ASYNC_SCHEMES[scheme]}://{rest}"
    raise ValueError(f"unsupported Redis URL scheme {scheme!r}: use redis:// or rediss://")


def too_many_requests(retry_after: float) -> web.Response:
    """429 in GoTrue's error shape, with `Retry-After` in whole seconds."""
    seconds = max(1, math.ceil(retry_after))
    body = {
        "code": 429,
        "error_code": "over_request_rate_limit",
        "msg": f"Too many requests. Please try again in {seconds} seconds.",
    }
    return web.json_response(body, status=429, headers={"Retry-After": str(seconds)})


def _redis_storage(redis_url: str) -> Storage:
    # The URL may hold a password: it is never put into an error message or a log line.
    storage = storage_from_string(redis_storage_uri(redis_url), key_prefix=REDIS_KEY_PREFIX)
    if not isinstance(storage, Storage):  # cannot happen with an async+ scheme; keeps the type honest
        raise TypeError("limits returned a synchronous storage for an async Redis URL")
    return storage


def _checked_scope(scope: str) -> str:
    if not _SCOPE.fullmatch(scope):
        raise ValueError(f"invalid rate-limit scope {scope!r}: letters, digits and _ . : - only")
    return scope
