"""Pipeline stage one: verify the bearer token and produce the database role and claims.

Follows PostgREST's rules (`src/library/PostgREST/Auth*.hs`, `docs/references/auth.rst`):

- No `Authorization: Bearer` header → the anonymous role, claims `{"role": <anon>}`; without an
  anonymous role → 401 PGRST302.
- `jwt-secret` is a shared secret (HS256 only, at least 32 bytes) or a JWK / JWKS JSON document;
  `jwt-secret-is-base64` decodes it first. Each key accepts only the algorithms of its own key
  type (or its pinned `alg`), so the token's header picks among allowed algorithms, never the
  key's meaning. Signatures are checked by PyJWT.
- Decoding and signature failures are 401 PGRST301; claims failures (exp / nbf / iat with 30 s of
  clock skew, aud) are 401 PGRST303. Both carry `WWW-Authenticate: Bearer error="invalid_token"`.
- The role comes from `jwt-role-claim-key` (RFC 9535 JSONPath subset or the legacy DSL); a token
  without it gets the anonymous role. `claims["role"]` always holds the effective role.
- Verified tokens are cached (LRU, `jwt-cache-max-entries`); claims are re-validated on every hit,
  so a cached token still expires.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import jwt

from api.engine.errors import ApiError

CLOCK_SKEW_SECONDS: Final = 30
MIN_SECRET_BYTES: Final = 32
DEFAULT_ROLE_CLAIM_KEY: Final = "$.role"
DEFAULT_CACHE_MAX_ENTRIES: Final = 1000

ClaimPath = tuple[str | int, ...]

_HMAC_ALGORITHMS: Final = ("HS256", "HS384", "HS512")
_RSA_ALGORITHMS: Final = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_EC_ALGORITHM_BY_CURVE: Final = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "secp256k1": "ES256K"}
_OKP_CURVES: Final = frozenset({"Ed25519", "Ed448"})
_SUPPORTED_ALGORITHMS: Final = frozenset(
    (*_HMAC_ALGORITHMS, *_RSA_ALGORITHMS, *_EC_ALGORITHM_BY_CURVE.values(), "EdDSA")
)

# PostgREST's texts (PostgREST.Error), matched by clients and by its test suite.
_EMPTY_TOKEN: Final = "Empty JWT is sent in Authorization header"
_NO_SUITABLE_KEY: Final = "No suitable key or wrong key type"
_BAD_ALGORITHM: Final = "Wrong or unsupported encoding algorithm"
_BAD_CRYPTO: Final = "JWT cryptographic operation failed"
_ANONYMOUS_DISABLED: Final = "Anonymous access is disabled"

# Signature checks only; "none" is not in the list, and each key is a PyJWK bound to one algorithm.
_JWS: Final = jwt.PyJWS(algorithms=sorted(_SUPPORTED_ALGORITHMS))


class JwtConfigError(ValueError):
    """The JWT settings cannot work; PostgREST refuses to start in these cases."""


# --------------------------------------------------------------------------------------------
# Public data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JwtSettings:
    """PostgREST's `jwt-*` settings and `db-anon-role`."""

    secret: str | None = None
    secret_is_base64: bool = False
    audience: str | None = None
    role_claim_key: str = DEFAULT_ROLE_CLAIM_KEY
    anon_role: str | None = None
    cache_max_entries: int = DEFAULT_CACHE_MAX_ENTRIES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JwtSettings:
        """Read PostgREST's `PGRST_*` variables; empty values count as unset."""
        env = os.environ if environ is None else environ
        return cls(
            secret=_env_text(env, "PGRST_JWT_SECRET"),
            secret_is_base64=_env_bool(env, "PGRST_JWT_SECRET_IS_BASE64"),
            audience=_env_text(env, "PGRST_JWT_AUD"),
            role_claim_key=_env_text(env, "PGRST_JWT_ROLE_CLAIM_KEY") or DEFAULT_ROLE_CLAIM_KEY,
            anon_role=_env_text(env, "PGRST_DB_ANON_ROLE"),
            cache_max_entries=_env_int(env, "PGRST_JWT_CACHE_MAX_ENTRIES", DEFAULT_CACHE_MAX_ENTRIES),
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the request runs as. Shared between requests through the cache: treat as read-only."""

    role: str
    claims: dict[str, Any]
    claims_json: str

    @classmethod
    def of(cls, role: str, claims: Mapping[str, Any]) -> Identity:
        """Insert the effective role into the claims (as PostgREST does) and serialise them once."""
        full = {**claims, "role": role}
        return cls(role, full, json.dumps(full, separators=(",", ":"), ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class CacheStats:
    """Counters of the verified-token cache (for metrics and tests)."""

    hits: int
    misses: int
    evictions: int
    size: int


# --------------------------------------------------------------------------------------------
# The verifier
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Key:
    """One configured key: its `kid` and a PyJWK per algorithm it may verify."""

    kid: str | None
    by_algorithm: Mapping[str, jwt.PyJWK]


class JwtVerifier:
    """Turns an `Authorization` header into an `Identity`, or raises `ApiError`.

    Not thread-safe (the cache is a plain dict): use one verifier per event loop.
    """

    def __init__(self, settings: JwtSettings, *, clock: Callable[[], float] = time.time) -> None:
        if settings.cache_max_entries < 0:
            raise JwtConfigError("jwt-cache-max-entries must be 0 or more")
        self._settings = settings
        self._clock = clock
        self._keys = _load_keys(settings)
        self._role_path = parse_role_claim_key(settings.role_claim_key)
        self._anonymous = None if settings.anon_role is None else Identity.of(settings.anon_role, {})
        self._cache = _TokenCache(settings.cache_max_entries)

    def verify(self, authorization_header: str | None) -> Identity:
        """Verify the request's `Authorization` header; no bearer token means anonymous."""
        token = _bearer_token(authorization_header)
        if token is None:
            return self._anonymous_identity()
        return self.verify_token(token)

    def verify_token(self, token: str) -> Identity:
        """Verify a raw token (also for surfaces that do not carry it in a header)."""
        if self._keys is None:
            raise ApiError(500, "PGRST300", "Server lacks JWT secret")
        if not token:
            raise _decode_error(_EMPTY_TOKEN)
        cached = self._cache.get(token)
        if cached is not None:
            self._revalidate(token, cached)
            return cached
        claims = _decode(token, self._keys)
        _validate_claims(claims, self._now(), self._settings.audience)
        identity = self._identity_for(claims)
        self._cache.put(token, identity)
        return identity

    def cache_stats(self) -> CacheStats:
        return self._cache.stats()

    def _now(self) -> int:
        return math.floor(self._clock())

    def _anonymous_identity(self) -> Identity:
        if self._anonymous is None:
            raise ApiError(401, "PGRST302", _ANONYMOUS_DISABLED, headers={"WWW-Authenticate": "Bearer"})
        return self._anonymous

    def _revalidate(self, token: str, identity: Identity) -> None:
        # A cached token has a verified signature, but time moves on: an expired one is dropped.
        try:
            _validate_claims(identity.claims, self._now(), self._settings.audience)
        except ApiError:
            self._cache.discard(token)
            raise

    def _identity_for(self, claims: dict[str, Any]) -> Identity:
        role = _lookup(claims, self._role_path)
        if role is None:
            return Identity.of(self._anonymous_identity().role, claims)
        if not isinstance(role, str):
            raise _claims_error("The JWT role claim must be a string")
        return Identity.of(role, claims)


# --------------------------------------------------------------------------------------------
# Tokens and signatures
# --------------------------------------------------------------------------------------------


def _bearer_token(header: str | None) -> str | None:
    """The token of a `Bearer` header ("" when empty); None for no header or another scheme."""
    parts = (header or "").split(None, 1)
    if not parts or parts[0].lower() != "bearer":
        return None
    return parts[1].strip() if len(parts) == 2 else ""


def _decode(token: str, keys: tuple[_Key, ...]) -> dict[str, Any]:
    """Check the shape, pick the keys, verify the signature, parse the claims."""
    parts = token.count(".") + 1
    if parts != 3:
        raise _decode_error(f"Expected 3 parts in JWT; got {parts}")
    header = _unverified_header(token)
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in _SUPPORTED_ALGORITHMS:
        raise _decode_error(_BAD_ALGORITHM, f"The JWT algorithm {algorithm!r} is not accepted")
    candidates = _candidates(keys, header.get("kid"), algorithm)
    if not candidates:
        raise _decode_error(_NO_SUITABLE_KEY, "No suitable key was found to decode the JWT")
    return _parse_claims(_verified_payload(token, algorithm, candidates))


def _candidates(keys: tuple[_Key, ...], kid: str | None, algorithm: str) -> list[jwt.PyJWK]:
    """Keys able to check this token: the one named by its `kid` if any, and of the right type."""
    return [
        key.by_algorithm[algorithm] for key in keys if (kid is None or key.kid == kid) and algorithm in key.by_algorithm
    ]


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        return _JWS.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise _decode_error(_BAD_CRYPTO) from error


def _verified_payload(token: str, algorithm: str, candidates: list[jwt.PyJWK]) -> bytes:
    """The payload of the first key whose signature matches (a JWKS without `kid` tries them all)."""
    for key in candidates:
        try:
            return _JWS.decode(token, key=key, algorithms=[algorithm])
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as error:
            raise _decode_error(_BAD_CRYPTO) from error
    raise _decode_error(_BAD_CRYPTO)


def _parse_claims(payload: bytes) -> dict[str, Any]:
    try:
        # NaN/Infinity are not JSON and would not survive the trip to PostgreSQL.
        claims = json.loads(payload, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise _claims_error("Parsing claims failed") from error
    if not isinstance(claims, dict):
        raise _claims_error("Parsing claims failed")
    return claims


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# --------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------


def _validate_claims(claims: Mapping[str, Any], now: int, audience: str | None) -> None:
    """PostgREST's checks, in its order: exp, nbf, iat (30 s of skew each way), then aud."""
    exp = _time_claim(claims, "exp")
    if exp is not None and now - CLOCK_SKEW_SECONDS > exp:
        raise _claims_error("JWT expired")
    nbf = _time_claim(claims, "nbf")
    if nbf is not None and now + CLOCK_SKEW_SECONDS < nbf:
        raise _claims_error("JWT not yet valid")
    iat = _time_claim(claims, "iat")
    if iat is not None and now + CLOCK_SKEW_SECONDS < iat:
        raise _claims_error("JWT issued at future")
    _check_audience(claims.get("aud"), audience)


def _time_claim(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not is_number or (isinstance(value, float) and not math.isfinite(value)):
        raise _claims_error(f"The JWT '{name}' claim must be a number")
    return math.floor(value)


def _check_audience(value: Any, audience: str | None) -> None:
    """Absent, null or [] always passes; otherwise the configured audience must be listed."""
    if value is None:
        return
    if isinstance(value, str):
        values: list[Any] = [value]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        values = value
    else:
        raise _claims_error("The JWT 'aud' claim must be a string or an array of strings")
    if audience is not None and values and audience not in values:
        raise _claims_error("JWT not in audience")


# --------------------------------------------------------------------------------------------
# jwt-role-claim-key
# --------------------------------------------------------------------------------------------

_INDEX: Final = re.compile(r"-?\d+")


def parse_role_claim_key(text: str) -> ClaimPath:
    """Parse `$.a.b`, `$.a[0]`, `$."quoted key"`, `$['key']` or the legacy `.a.b`, `.a[0]`.

    Returns the steps: strings for object members, integers for array indexes (negative
    ones count from the end). Filters and wildcards are not supported.
    """
    source = text.strip()
    if source.startswith("$"):
        position = 1
    elif source.startswith("."):
        position = 0  # the pre-v16 DSL is the same steps without the leading "$"
    else:
        raise JwtConfigError(f"jwt-role-claim-key must start with '$' or '.': {text!r}")
    steps: list[str | int] = []
    while position < len(source):
        step, position = _read_step(source, position)
        steps.append(step)
    if not steps:
        raise JwtConfigError(f"jwt-role-claim-key names no claim: {text!r}")
    return tuple(steps)


def _read_step(source: str, position: int) -> tuple[str | int, int]:
    if source[position] == ".":
        return _read_member(source, position + 1)
    if source[position] == "[":
        return _read_bracket(source, position + 1)
    raise _path_error(source, position)


def _read_member(source: str, position: int) -> tuple[str, int]:
    if position < len(source) and source[position] in "\"'":
        return _read_quoted(source, position)
    end = position
    while end < len(source) and (source[end].isalnum() or source[end] in "_-$@"):
        end += 1
    if end == position:
        raise _path_error(source, position)
    return source[position:end], end


def _read_bracket(source: str, position: int) -> tuple[str | int, int]:
    position = _skip_blanks(source, position)
    step: str | int
    if position < len(source) and source[position] in "\"'":
        step, position = _read_quoted(source, position)
    else:
        match = _INDEX.match(source, position)
        if match is None:
            raise _path_error(source, position)
        step, position = int(match.group()), match.end()
    position = _skip_blanks(source, position)
    if position >= len(source) or source[position] != "]":
        raise _path_error(source, position)
    return step, position + 1


def _read_quoted(source: str, position: int) -> tuple[str, int]:
    """A quoted name; a backslash escapes the next character."""
    quote, position, chars = source[position], position + 1, []
    while position < len(source):
        char = source[position]
        if char == "\\" and position + 1 < len(source):
            chars.append(source[position + 1])
            position += 2
        elif char == quote:
            return "".join(chars), position + 1
        else:
            chars.append(char)
            position += 1
    raise JwtConfigError(f"jwt-role-claim-key has an unterminated quote: {source!r}")


def _skip_blanks(source: str, position: int) -> int:
    while position < len(source) and source[position] == " ":
        position += 1
    return position


def _path_error(source: str, position: int) -> JwtConfigError:
    return JwtConfigError(f"jwt-role-claim-key is not supported at position {position}: {source!r}")


def _lookup(document: Any, path: ClaimPath) -> Any:
    """The value at `path`, or None when any step is missing or of the wrong kind."""
    node = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                return None
            node = node[step]
        elif isinstance(node, dict):
            node = node.get(step)
        else:
            return None
    return node


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------


def _load_keys(settings: JwtSettings) -> tuple[_Key, ...] | None:
    """The configured keys; None when no secret is set (tokens are then a server error)."""
    if settings.secret is None:
        return None
    raw = _decode_base64(settings.secret) if settings.secret_is_base64 else settings.secret.encode()
    document = _json_object(raw)
    if document is None:
        return (_shared_secret_key(raw),)
    if "keys" in document:
        jwks = document["keys"]
    elif "kty" in document:
        jwks = [document]
    else:
        raise JwtConfigError("jwt-secret is JSON but neither a JWK nor a JWKS")
    if not isinstance(jwks, list):
        raise JwtConfigError("jwt-secret JWKS 'keys' must be an array")
    keys = tuple(key for key in map(_jwk_key, jwks) if key is not None)
    if not keys:
        raise JwtConfigError("jwt-secret holds no usable signature verification key")
    return keys


def _decode_base64(secret: str) -> bytes:
    # Both alphabets and missing padding are accepted, as PostgREST does.
    text = secret.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise JwtConfigError("jwt-secret is not valid base64") from error


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """The secret as a JSON object, or None when it is a plain shared secret."""
    if not raw.lstrip().startswith(b"{"):
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _shared_secret_key(secret: bytes) -> _Key:
    if len(secret) < MIN_SECRET_BYTES:
        raise JwtConfigError(f"The JWT secret must be at least {MIN_SECRET_BYTES} characters long.")
    jwk = {"kty": "oct", "k": base64.urlsafe_b64encode(secret).rstrip(b"=").decode()}
    # A plain secret is HS256 only (PostgREST pins it); JWKs with kty "oct" allow HS384/HS512.
    return _Key(None, {"HS256": jwt.PyJWK(jwk, "HS256")})


def _jwk_key(jwk: Any) -> _Key | None:
    """One JWK as a verification key; None for keys that cannot sign (enc keys, unknown types)."""
    if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
        return None
    operations = jwk.get("key_ops")
    if isinstance(operations, list) and not {"verify", "sign"} & set(map(str, operations)):
        return None  # a private key marked "sign" still verifies through its public half
    algorithms = _algorithms_for(jwk)
    if not algorithms:
        return None
    kid = jwk.get("kid")
    try:
        by_algorithm = {algorithm: _public(jwt.PyJWK(jwk, algorithm)) for algorithm in algorithms}
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
        raise JwtConfigError(f"jwt-secret JWK {kid!r} cannot be used: {error}") from error
    return _Key(kid if isinstance(kid, str) else None, by_algorithm)


def _algorithms_for(jwk: Mapping[str, Any]) -> tuple[str, ...]:
    """What the key type allows, narrowed to the JWK's own `alg` when it names one.

    The key type decides the family, so an RSA key can never verify an HMAC token
    (the classic algorithm-confusion attack) whatever the token's header says.
    """
    kty, curve = jwk.get("kty"), jwk.get("crv")
    if kty == "oct":
        family: tuple[str, ...] = _HMAC_ALGORITHMS
    elif kty == "RSA":
        family = _RSA_ALGORITHMS
    elif kty == "EC" and curve in _EC_ALGORITHM_BY_CURVE:
        family = (_EC_ALGORITHM_BY_CURVE[curve],)
    elif kty == "OKP" and curve in _OKP_CURVES:
        family = ("EdDSA",)
    else:
        return ()
    pinned = jwk.get("alg")
    if pinned is None:
        return family
    return (pinned,) if pinned in family else ()


def _public(key: jwt.PyJWK) -> jwt.PyJWK:
    """Keep only the public half of a private JWK: verifying needs no more, and PyJWT wants it."""
    public_key = getattr(key.key, "public_key", None)
    if callable(public_key):
        key.key = public_key()
    return key


# --------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------


class _TokenCache:
    """Least-recently-used map from raw token to its verified identity; size 0 disables it."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, Identity] = OrderedDict()
        self._hits = self._misses = self._evictions = 0

    def get(self, token: str) -> Identity | None:
        if not self._max_entries:
            return None
        identity = self._entries.get(token)
        if identity is None:
            self._misses += 1
            return None
        self._hits += 1
        self._entries.move_to_end(token)
        return identity

    def put(self, token: str, identity: Identity) -> None:
        if not self._max_entries:
            return
        self._entries[token] = identity
        self._entries.move_to_end(token)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
            self._evictions += 1

    def discard(self, token: str) -> None:
        self._entries.pop(token, None)

    def stats(self) -> CacheStats:
        return CacheStats(self._hits, self._misses, self._evictions, len(self._entries))


# --------------------------------------------------------------------------------------------
# Errors and environment
# --------------------------------------------------------------------------------------------


def _decode_error(message: str, details: str | None = None) -> ApiError:
    return ApiError(401, "PGRST301", message, details, headers=_invalid_token_header(message))


def _claims_error(message: str) -> ApiError:
    return ApiError(401, "PGRST303", message, headers=_invalid_token_header(message))


def _invalid_token_header(message: str) -> dict[str, str]:
    # PostgREST writes the description with Haskell's `show`: double quotes, backslash escapes.
    quoted = '"' + message.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description={quoted}'}


def _env_text(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name) or None


def _env_bool(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "false").strip().lower()
    if value in {"true", "1", "yes", "on"}:
        return True
    if value in {"false", "0", "no", "off"}:
        return False
    raise JwtConfigError(f"{name} must be true or false, not {value!r}")


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as error:
        raise JwtConfigError(f"{name} must be an integer, not {value!r}") from error
