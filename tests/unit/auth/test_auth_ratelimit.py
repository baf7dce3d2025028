"""Unit tests for api.auth.ratelimit: memory storage, and a real redis-server shared by two limiters."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from api.auth.ratelimit import AuthRateLimiter, hash_key, parse_rate, redis_storage_uri, too_many_requests

EMAIL = "Ada.Lovelace+recover@Example.org"


# --------------------------------------------------------------------------------------------
# A throwaway redis-server
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_command(port: int, *args: str) -> object:
    """One command over raw RESP (enough for PING, KEYS and FLUSHALL); no client to manage."""
    request = f"*{len(args)}\r\n" + "".join(f"${len(arg.encode())}\r\n{arg}\r\n" for arg in args)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(request.encode())
        return _read_reply(connection.makefile("rb"))


def _read_reply(stream) -> object:
    line = stream.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RuntimeError(rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        return None if rest == "-1" else stream.read(int(rest) + 2)[:-2].decode()
    if kind == b"*":
        return [_read_reply(stream) for _ in range(int(rest))]
    raise RuntimeError(f"unexpected reply {line!r}")


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        pytest.skip("redis-server is not installed")
    directory = tmp_path_factory.mktemp("redis")
    port = free_port()
    arguments = [
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
    ]
    log = (directory / "redis.log").open("w")
    process = subprocess.Popen([binary, *arguments], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_redis(process, port, directory)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_for_redis(process: subprocess.Popen, port: int, directory: Path, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited: {(directory / 'redis.log').read_text()}")
        try:
            if redis_command(port, "PING") == "PONG":
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def redis_url(redis_port: int) -> str:
    redis_command(redis_port, "FLUSHALL")
    return f"redis://127.0.0.1:{redis_port}/0"


@pytest.fixture
async def memory_limiter() -> AsyncIterator[AuthRateLimiter]:
    limiter = AuthRateLimiter.from_settings("3/2second")
    yield limiter
    await limiter.close()


@pytest.fixture
async def redis_limiters(redis_url: str) -> AsyncIterator[tuple[AuthRateLimiter, AuthRateLimiter]]:
    """Two limiters on one Redis, as two API processes would have."""
    first = AuthRateLimiter.from_settings("3/2second", redis_url=redis_url)
    second = AuthRateLimiter.from_settings("3 per 2 seconds", redis_url=redis_url)
    yield first, second
    await first.close()
    await second.close()


async def hits(limiter: AuthRateLimiter, scope: str, key: str, count: int) -> list[float | None]:
    return [await limiter.hit(scope, key) for _ in range(count)]


# --------------------------------------------------------------------------------------------
# Settings and helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", ["20/15minutes", "20 per 15 minutes", "5/second"])
def test_rates_in_limits_syntax_parse(rate: str) -> None:
    assert parse_rate(rate).amount in {20, 5}


@pytest.mark.parametrize("rate", ["twenty per hour", "", "20/fortnight"])
def test_bad_rate_is_a_value_error_naming_it(rate: str) -> None:
    with pytest.raises(ValueError, match=f"invalid auth rate limit {rate!r}"):
        AuthRateLimiter.from_settings(rate)


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        ("redis://localhost:6379/0", "async+redis://localhost:6379/0"),
        ("rediss://:pw@cache:6380/1", "async+rediss://:pw@cache:6380/1"),
        ("async+redis://localhost:6379", "async+redis://localhost:6379"),
    ],
)
def test_redis_urls_map_to_the_async_scheme(url: str, uri: str) -> None:
    assert redis_storage_uri(url) == uri


@pytest.mark.parametrize("url", ["http://localhost", "localhost:6379", "memcached://x"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="Redis URL"):
        redis_storage_uri(url)


def test_keys_are_hashed_and_normalised() -> None:
    assert hash_key(EMAIL) == hash_key(f"  {EMAIL.lower()} ")
    assert len(hash_key(EMAIL)) == 64
    assert EMAIL.lower() not in hash_key(EMAIL)


def test_too_many_requests_is_gotrues_429() -> None:
    response = too_many_requests(12.2)
    assert response.status == 429
    assert response.headers["Retry-After"] == "13"
    assert response.content_type == "application/json"
    assert json.loads(response.text) == {
        "code": 429,
        "error_code": "over_request_rate_limit",
        "msg": "Too many requests. Please try again in 13 seconds.",
    }


def test_too_many_requests_never_says_zero_seconds() -> None:
    assert too_many_requests(0.2).headers["Retry-After"] == "1"


# --------------------------------------------------------------------------------------------
# Memory storage
# --------------------------------------------------------------------------------------------


async def test_memory_allows_n_then_refuses_with_retry_after() -> None:
    limiter = AuthRateLimiter.from_settings()  # 20 per 15 minutes
    try:
        assert await hits(limiter, "ip:token", "203.0.113.9", 20) == [None] * 20
        retry_after = await limiter.hit("ip:token", "203.0.113.9")
        assert retry_after is not None
        assert 890 <= retry_after <= 900
        assert retry_after == int(retry_after)
    finally:
        await limiter.close()


async def test_memory_keys_and_scopes_are_independent(memory_limiter: AuthRateLimiter) -> None:
    await hits(memory_limiter, "email:recover", EMAIL, 3)
    assert await memory_limiter.hit("email:recover", EMAIL) is not None
    assert await memory_limiter.hit("email:recover", "someone@example.org") is None
    assert await memory_limiter.hit("email:otp", EMAIL) is None
    assert await memory_limiter.hit("email:recover", EMAIL + "/3/2/second") is None  # no key-layout tricks


async def test_memory_case_variants_share_a_limit(memory_limiter: AuthRateLimiter) -> None:
    await hits(memory_limiter, "email:recover", EMAIL, 3)
    assert await memory_limiter.hit("email:recover", EMAIL.upper()) is not None


async def test_memory_window_expires(memory_limiter: AuthRateLimiter) -> None:
    assert await hits(memory_limiter, "ip:token", "198.51.100.1", 3) == [None] * 3
    retry_after = await memory_limiter.hit("ip:token", "198.51.100.1")
    assert retry_after is not None
    assert 1 <= retry_after <= 2
    await asyncio.sleep(2.1)
    assert await memory_limiter.hit("ip:token", "198.51.100.1") is None


async def test_bad_scope_is_refused(memory_limiter: AuthRateLimiter) -> None:
    for scope in ("", "ip/token", "ip token", "x" * 65):
        with pytest.raises(ValueError, match="scope"):
            await memory_limiter.hit(scope, "k")


async def test_close_stops_the_memory_expiry_task() -> None:
    before = asyncio.all_tasks()
    limiter = AuthRateLimiter.from_settings("3/2second")
    await limiter.hit("ip:token", "k")
    await limiter.close()
    await asyncio.sleep(0)
    assert not {task for task in asyncio.all_tasks() - before if not task.done()}


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------


async def test_redis_allows_n_then_refuses_with_retry_after(redis_limiters) -> None:
    limiter, _ = redis_limiters
    assert await hits(limiter, "ip:token", "203.0.113.9", 3) == [None] * 3
    retry_after = await limiter.hit("ip:token", "203.0.113.9")
    assert retry_after is not None
    assert 1 <= retry_after <= 2
    assert await limiter.hit("ip:token", "203.0.113.10") is None


async def test_two_processes_share_the_count(redis_limiters) -> None:
    first, second = redis_limiters
    assert await hits(first, "email:recover", EMAIL, 2) == [None, None]
    assert await second.hit("email:recover", EMAIL) is None
    assert await first.hit("email:recover", EMAIL) is not None
    assert await second.hit("email:recover", EMAIL) is not None


async def test_redis_window_expires(redis_limiters) -> None:
    first, second = redis_limiters
    await hits(first, "ip:token", "198.51.100.1", 3)
    assert await second.hit("ip:token", "198.51.100.1") is not None
    await asyncio.sleep(2.1)
    assert await second.hit("ip:token", "198.51.100.1") is None


async def test_no_raw_email_reaches_redis(redis_limiters, redis_port: int) -> None:
    limiter, _ = redis_limiters
    await hits(limiter, "email:recover", EMAIL, 4)
    keys = redis_command(redis_port, "KEYS", "*")
    assert isinstance(keys, list)
    assert keys
    assert all(key.startswith("campus:auth:ratelimit") for key in keys)
    assert all(hash_key(EMAIL) in key for key in keys)
    text = " ".join(keys).lower()
    assert "lovelace" not in text
    assert "example.org" not in text
    assert "@" not in text
