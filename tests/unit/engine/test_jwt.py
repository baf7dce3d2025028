"""Unit tests for api.engine.jwt: bearer token → role + claims, PostgREST's rules and error texts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import cache
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.engine.errors import ApiError
from api.engine.jwt import (
    CacheStats,
    Identity,
    JwtConfigError,
    JwtSettings,
    JwtVerifier,
    parse_role_claim_key,
)

NOW = 1_700_000_000
SECRET = "reallyreallyreallyreallyverysafe"  # PostgREST's test-suite secret (32 characters)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


class Clock:
    """A settable clock, so expiry and leeway are tested without sleeping."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def verifier(clock: Clock | None = None, **settings: Any) -> JwtVerifier:
    settings.setdefault("secret", SECRET)
    settings.setdefault("anon_role", "anon")
    return JwtVerifier(JwtSettings(**settings), clock=clock or Clock())


def hs256(claims: dict[str, Any], secret: str | bytes = SECRET, **headers: Any) -> str:
    return jwt.encode(claims, secret, algorithm="HS256", headers=headers or None)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: bytes, sign: Any = None) -> str:
    """A token built by hand, for the shapes PyJWT refuses to produce (attacks, broken payloads)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{b64url(signature)}"


def hmac_signer(key: bytes, digest: Any = hashlib.sha256) -> Any:
    return lambda data: hmac.new(key, data, digest).digest()


def rejected(v: JwtVerifier, header: str | None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        v.verify(header)
    return caught.value


def assert_invalid_token(error: ApiError, code: str, message: str) -> None:
    assert (error.status, error.code, error.message) == (401, code, message)
    expected = f'Bearer error="invalid_token", error_description="{message}"'
    assert error.headers == {"WWW-Authenticate": expected}


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ec_key(name: str) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(private_key: Any, kid: str | None = None, **extra: Any) -> dict[str, Any]:
    algorithm = RSAAlgorithm if isinstance(private_key, rsa.RSAPrivateKey) else ECAlgorithm
    jwk = algorithm.to_jwk(private_key.public_key(), as_dict=True)
    if kid is not None:
        jwk["kid"] = kid
    return {**jwk, **extra}


def jwks(*keys: dict[str, Any]) -> str:
    return json.dumps({"keys": list(keys)})


def signed(claims: dict[str, Any], private_key: Any, algorithm: str, kid: str | None = None) -> str:
    return jwt.encode(claims, private_key, algorithm=algorithm, headers={"kid": kid} if kid else None)


# --------------------------------------------------------------------------------------------
# Anonymous requests and the Authorization header
# --------------------------------------------------------------------------------------------


def test_no_header_is_the_anonymous_role() -> None:
    identity = verifier().verify(None)
    assert identity == Identity("anon", {"role": "anon"}, '{"role":"anon"}')


def test_no_header_without_anon_role_is_pgrst302() -> None:
    error = rejected(verifier(anon_role=None), None)
    assert (error.status, error.code, error.message) == (401, "PGRST302", "Anonymous access is disabled")
    assert error.headers == {"WWW-Authenticate": "Bearer"}
    assert json.loads(error.body()) == {
        "code": "PGRST302",
        "details": None,
        "hint": None,
        "message": "Anonymous access is disabled",
    }


def test_another_scheme_is_not_a_token() -> None:
    assert verifier().verify("Basic dXNlcjpwYXNz").role == "anon"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(scheme: str) -> None:
    assert verifier().verify(f"{scheme} {hs256({'role': 'student'})}").role == "student"


def test_extra_whitespace_around_the_token_is_ignored() -> None:
    assert verifier().verify(f"  Bearer   {hs256({'role': 'student'})}  ").role == "student"


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "bearer    "])
def test_empty_token_is_pgrst301(header: str) -> None:
    error = rejected(verifier(), header)
    assert_invalid_token(error, "PGRST301", "Empty JWT is sent in Authorization header")


@pytest.mark.parametrize(("token", "parts"), [("abc", 1), ("abc.def", 2), ("a.b.c.d", 4), ("a.b.c.d.e", 5)])
def test_wrong_number_of_parts_is_pgrst301(token: str, parts: int) -> None:
    error = rejected(verifier(), bearer(token))
    assert_invalid_token(error, "PGRST301", f"Expected 3 parts in JWT; got {parts}")


def test_token_without_configured_secret_is_pgrst300() -> None:
    v = verifier(secret=None)
    assert v.verify(None).role == "anon"
    error = rejected(v, bearer(hs256({"role": "student"})))
    assert (error.status, error.code, error.message) == (500, "PGRST300", "Server lacks JWT secret")


# --------------------------------------------------------------------------------------------
# Shared secrets
# --------------------------------------------------------------------------------------------


def test_hs256_happy_path_keeps_every_claim() -> None:
    claims = {"sub": "u1", "role": "student", "email": "a@example.org", "exp": NOW + 600}
    identity = verifier().verify(bearer(hs256(claims)))
    assert identity.role == "student"
    assert identity.claims == claims
    assert json.loads(identity.claims_json) == claims


def test_claims_json_is_compact_and_keeps_unicode() -> None:
    identity = verifier().verify(bearer(hs256({"role": "student", "name": "Zoë"})))
    assert identity.claims_json == '{"role":"student","name":"Zoë"}'


def test_token_signed_with_another_secret_is_rejected() -> None:
    token = hs256({"role": "admin"}, secret="another-secret-that-is-long-enough!!")
    assert_invalid_token(rejected(verifier(), bearer(token)), "PGRST301", "JWT cryptographic operation failed")


def test_tampered_payload_is_rejected() -> None:
    header, _, signature = hs256({"role": "student"}).split(".")
    forged = f"{header}.{b64url(json.dumps({'role': 'admin'}).encode())}.{signature}"
    assert_invalid_token(rejected(verifier(), bearer(forged)), "PGRST301", "JWT cryptographic operation failed")


@pytest.mark.parametrize("token", ["a.b.c", "!!!.???.***", "eyJhbGciOiJIUzI1NiJ9.e30."])
def test_undecodable_token_is_rejected(token: str) -> None:
    assert rejected(verifier(), bearer(token)).code == "PGRST301"


def test_plain_secret_accepts_hs256_only() -> None:
    token = jwt.encode({"role": "student"}, SECRET + SECRET, algorithm="HS512")
    error = rejected(verifier(secret=SECRET + SECRET), bearer(token))
    assert_invalid_token(error, "PGRST301", "No suitable key or wrong key type")


def test_secret_shorter_than_32_characters_is_a_configuration_error() -> None:
    with pytest.raises(JwtConfigError, match="at least 32 characters"):
        verifier(secret="x" * 31)
    verifier(secret="x" * 32)


def test_base64_secret() -> None:
    raw = bytes(range(200, 240))
    settings = {"secret": base64.b64encode(raw).decode(), "secret_is_base64": True}
    assert verifier(**settings).verify(bearer(hs256({"role": "student"}, secret=raw))).role == "student"


def test_base64url_secret_without_padding() -> None:
    raw = bytes(range(250, 256)) * 6  # 36 bytes whose encoding uses '-' and '_'
    settings = {"secret": b64url(raw), "secret_is_base64": True}
    assert verifier(**settings).verify(bearer(hs256({"role": "student"}, secret=raw))).role == "student"


def test_base64_secret_is_measured_after_decoding() -> None:
    with pytest.raises(JwtConfigError, match="at least 32"):
        verifier(secret=base64.b64encode(b"x" * 31).decode(), secret_is_base64=True)


def test_invalid_base64_secret_is_a_configuration_error() -> None:
    with pytest.raises(JwtConfigError, match="base64"):
        verifier(secret="not base64 at all!" * 3, secret_is_base64=True)


# --------------------------------------------------------------------------------------------
# Algorithms: the token never chooses what the key means
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(alg: str) -> None:
    token = handmade({"alg": alg, "typ": "JWT"}, b'{"role":"admin"}')
    error = rejected(verifier(), bearer(token))
    assert_invalid_token(error, "PGRST301", "Wrong or unsupported encoding algorithm")
    assert alg in error.details


def test_missing_or_odd_alg_is_refused() -> None:
    for header in ({"typ": "JWT"}, {"alg": ["HS256"]}, {"alg": "HS1"}):
        token = handmade(header, b'{"role":"admin"}', hmac_signer(SECRET.encode()))
        assert rejected(verifier(), bearer(token)).message == "Wrong or unsupported encoding algorithm"


def test_alg_none_is_refused_with_a_jwks_too() -> None:
    v = verifier(secret=jwks(public_jwk(rsa_key("a"), "k1")))
    token = handmade({"alg": "none", "kid": "k1"}, b'{"role":"admin"}')
    assert rejected(v, bearer(token)).message == "Wrong or unsupported encoding algorithm"


def test_hs256_signed_with_the_rsa_public_key_is_refused() -> None:
    """Algorithm confusion: the public key (PEM or JWK text) used as an HMAC secret."""
    jwk = public_jwk(rsa_key("a"), "k1")
    v = verifier(secret=jwks(jwk))
    pem = (
        rsa_key("a")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    payload = json.dumps({"role": "admin"}).encode()
    for secret in (pem, json.dumps(jwk).encode(), jwks(jwk).encode()):
        for header in ({"alg": "HS256"}, {"alg": "HS256", "kid": "k1"}):
            token = handmade(header, payload, hmac_signer(secret))
            assert_invalid_token(rejected(v, bearer(token)), "PGRST301", "No suitable key or wrong key type")


def test_rs256_token_is_refused_by_a_shared_secret() -> None:
    token = signed({"role": "admin"}, rsa_key("a"), "RS256")
    assert rejected(verifier(), bearer(token)).message == "No suitable key or wrong key type"


# --------------------------------------------------------------------------------------------
# JWK and JWKS secrets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512", "PS256", "PS512"])
def test_rsa_jwks_with_kid(algorithm: str) -> None:
    v = verifier(secret=jwks(public_jwk(rsa_key("a"), "k1"), public_jwk(rsa_key("b"), "k2")))
    token = signed({"role": "educator"}, rsa_key("b"), algorithm, kid="k2")
    assert v.verify(bearer(token)).role == "educator"


def test_rsa_jwks_without_kid_tries_each_key() -> None:
    v = verifier(secret=jwks(public_jwk(rsa_key("a")), public_jwk(rsa_key("b"))))
    for name in ("a", "b"):
        assert v.verify(bearer(signed({"role": name}, rsa_key(name), "RS256"))).role == name


def test_rsa_jwks_signature_from_an_unknown_key_is_refused() -> None:
    v = verifier(secret=jwks(public_jwk(rsa_key("a")), public_jwk(rsa_key("b"))))
    token = signed({"role": "admin"}, rsa_key("attacker"), "RS256")
    assert_invalid_token(rejected(v, bearer(token)), "PGRST301", "JWT cryptographic operation failed")


def test_kid_selects_the_key_and_is_not_a_hint() -> None:
    """A token naming k1 but signed by k2 fails even though k2 is configured."""
    v = verifier(secret=jwks(public_jwk(rsa_key("a"), "k1"), public_jwk(rsa_key("b"), "k2")))
    token = signed({"role": "admin"}, rsa_key("b"), "RS256", kid="k1")
    assert rejected(v, bearer(token)).message == "JWT cryptographic operation failed"


def test_unknown_kid_is_refused() -> None:
    v = verifier(secret=jwks(public_jwk(rsa_key("a"), "k1")))
    token = signed({"role": "admin"}, rsa_key("a"), "RS256", kid="k9")
    error = rejected(v, bearer(token))
    assert_invalid_token(error, "PGRST301", "No suitable key or wrong key type")
    assert error.details == "No suitable key was found to decode the JWT"


def test_es256_jwks_with_and_without_kid() -> None:
    with_kid = verifier(secret=jwks(public_jwk(ec_key("a"), "e1"), public_jwk(ec_key("b"), "e2")))
    assert with_kid.verify(bearer(signed({"role": "x"}, ec_key("b"), "ES256", kid="e2"))).role == "x"
    without_kid = verifier(secret=jwks(public_jwk(ec_key("a")), public_jwk(ec_key("b"))))
    assert without_kid.verify(bearer(signed({"role": "y"}, ec_key("b"), "ES256"))).role == "y"
    forged = signed({"role": "z"}, ec_key("attacker"), "ES256")
    assert rejected(without_kid, bearer(forged)).message == "JWT cryptographic operation failed"


def test_mixed_jwks_picks_by_key_type() -> None:
    v = verifier(secret=jwks(public_jwk(rsa_key("a")), public_jwk(ec_key("a"))))
    assert v.verify(bearer(signed({"role": "r"}, rsa_key("a"), "RS256"))).role == "r"
    assert v.verify(bearer(signed({"role": "e"}, ec_key("a"), "ES256"))).role == "e"
    assert rejected(v, bearer(signed({"role": "e"}, ec_key("a"), "ES256"))[:-4] + "AAAA").code == "PGRST301"


def test_single_jwk_secret() -> None:
    v = verifier(secret=json.dumps(public_jwk(ec_key("a"), "e1")))
    assert v.verify(bearer(signed({"role": "x"}, ec_key("a"), "ES256", kid="e1"))).role == "x"


def test_private_jwk_secret_verifies_with_its_public_half() -> None:
    private = RSAAlgorithm.to_jwk(rsa_key("a"), as_dict=True)
    v = verifier(secret=json.dumps(private))
    assert v.verify(bearer(signed({"role": "x"}, rsa_key("a"), "RS256"))).role == "x"


def test_pinned_jwk_alg_restricts_the_family() -> None:
    v = verifier(secret=jwks(public_jwk(rsa_key("a"), alg="RS256")))
    assert v.verify(bearer(signed({"role": "x"}, rsa_key("a"), "RS256"))).role == "x"
    token = signed({"role": "x"}, rsa_key("a"), "PS256")
    assert rejected(v, bearer(token)).message == "No suitable key or wrong key type"


def test_oct_jwk_allows_the_hmac_family() -> None:
    key = b"k" * 64
    v = verifier(secret=jwks({"kty": "oct", "k": b64url(key), "kid": "h1"}))
    for algorithm in ("HS256", "HS384", "HS512"):
        token = jwt.encode({"role": algorithm}, key, algorithm=algorithm, headers={"kid": "h1"})
        assert v.verify(bearer(token)).role == algorithm


def test_keys_not_meant_for_signatures_are_ignored() -> None:
    encryption = public_jwk(rsa_key("a"), "k1", use="enc")
    wrap_only = public_jwk(rsa_key("a"), "k2", key_ops=["wrapKey"])
    unknown = {"kty": "XYZ", "kid": "k3"}
    v = verifier(secret=jwks(encryption, wrap_only, unknown, public_jwk(rsa_key("b"), "k4")))
    assert rejected(v, bearer(signed({"role": "x"}, rsa_key("a"), "RS256", kid="k1"))).message == (
        "No suitable key or wrong key type"
    )
    assert v.verify(bearer(signed({"role": "x"}, rsa_key("b"), "RS256", kid="k4"))).role == "x"


@pytest.mark.parametrize(
    "secret",
    [
        '{"keys": []}',
        '{"keys": "nope"}',
        '{"keys": [{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}]}',
        '{"something": "else"}',
        '{"kty": "RSA", "n": "!!!", "e": "AQAB"}',
    ],
)
def test_unusable_jwks_is_a_configuration_error(secret: str) -> None:
    with pytest.raises(JwtConfigError):
        verifier(secret=secret)


def test_token_with_kid_and_a_plain_secret_is_refused() -> None:
    """As in PostgREST: a `kid` only matches a JWK carrying that `kid`."""
    assert rejected(verifier(), bearer(hs256({"role": "x"}, kid="k1"))).message == ("No suitable key or wrong key type")


# --------------------------------------------------------------------------------------------
# Claims: exp, nbf, iat, aud
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [600, 0, -29, -30])
def test_exp_within_leeway_is_accepted(offset: int) -> None:
    assert verifier().verify(bearer(hs256({"role": "x", "exp": NOW + offset}))).role == "x"


@pytest.mark.parametrize("offset", [-31, -3600])
def test_expired_token_is_pgrst303(offset: int) -> None:
    error = rejected(verifier(), bearer(hs256({"role": "x", "exp": NOW + offset})))
    assert_invalid_token(error, "PGRST303", "JWT expired")
    assert json.loads(error.body()) == {"code": "PGRST303", "details": None, "hint": None, "message": "JWT expired"}


def test_nbf() -> None:
    v = verifier()
    assert v.verify(bearer(hs256({"role": "x", "nbf": NOW + 30}))).role == "x"
    error = rejected(v, bearer(hs256({"role": "x", "nbf": NOW + 31})))
    assert_invalid_token(error, "PGRST303", "JWT not yet valid")


def test_iat_in_the_future() -> None:
    v = verifier()
    assert v.verify(bearer(hs256({"role": "x", "iat": NOW + 30}))).role == "x"
    error = rejected(v, bearer(hs256({"role": "x", "iat": NOW + 31})))
    assert_invalid_token(error, "PGRST303", "JWT issued at future")


def test_fractional_times_are_accepted() -> None:
    claims = {"role": "x", "exp": NOW + 0.5, "iat": NOW - 0.5, "nbf": NOW + 29.9}
    assert verifier().verify(bearer(hs256(claims))).role == "x"


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1700000000", True, [1], {"t": 1}])
def test_time_claims_must_be_numbers(claim: str, value: Any) -> None:
    error = rejected(verifier(), bearer(hs256({"role": "x", claim: value})))
    assert_invalid_token(error, "PGRST303", f"The JWT '{claim}' claim must be a number")


def test_null_time_claims_are_ignored() -> None:
    assert verifier().verify(bearer(hs256({"role": "x", "exp": None, "nbf": None}))).role == "x"


def test_claims_are_checked_in_postgrest_order() -> None:
    claims = {"role": "x", "exp": NOW - 100, "nbf": NOW + 100, "aud": "other"}
    assert rejected(verifier(audience="campus"), bearer(hs256(claims))).message == "JWT expired"


@pytest.mark.parametrize("aud", ["campus", ["campus"], ["other", "campus"], [], None])
def test_audience_accepted(aud: Any) -> None:
    claims = {"role": "x"} if aud is None else {"role": "x", "aud": aud}
    assert verifier(audience="campus").verify(bearer(hs256(claims))).role == "x"


@pytest.mark.parametrize("aud", ["other", ["other"], ["a", "b"], "Campus"])
def test_audience_refused(aud: Any) -> None:
    error = rejected(verifier(audience="campus"), bearer(hs256({"role": "x", "aud": aud})))
    assert_invalid_token(error, "PGRST303", "JWT not in audience")


def test_any_audience_passes_when_none_is_configured() -> None:
    """Supabase tokens carry aud "authenticated"; without jwt-aud PostgREST accepts them."""
    assert verifier().verify(bearer(hs256({"role": "x", "aud": "authenticated"}))).role == "x"


@pytest.mark.parametrize("audience", [None, "campus"])
@pytest.mark.parametrize("aud", [5, {"a": 1}, ["campus", 5], True])
def test_audience_must_be_string_or_array_of_strings(audience: str | None, aud: Any) -> None:
    error = rejected(verifier(audience=audience), bearer(hs256({"role": "x", "aud": aud})))
    assert_invalid_token(error, "PGRST303", "The JWT 'aud' claim must be a string or an array of strings")


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"role"', b"not json", b'{"role": "x", "exp": NaN}'])
def test_payload_that_is_not_a_json_object_is_pgrst303(payload: bytes) -> None:
    token = handmade({"alg": "HS256"}, payload, hmac_signer(SECRET.encode()))
    assert_invalid_token(rejected(verifier(), bearer(token)), "PGRST303", "Parsing claims failed")


# --------------------------------------------------------------------------------------------
# The role claim
# --------------------------------------------------------------------------------------------


def test_missing_role_is_the_anonymous_role_with_claims_kept() -> None:
    identity = verifier().verify(bearer(hs256({"sub": "u1", "aud": "authenticated"})))
    assert identity.role == "anon"
    assert identity.claims == {"sub": "u1", "aud": "authenticated", "role": "anon"}


def test_null_role_counts_as_missing() -> None:
    assert verifier().verify(bearer(hs256({"role": None}))).role == "anon"


def test_missing_role_without_anon_role_is_pgrst302() -> None:
    error = rejected(verifier(anon_role=None), bearer(hs256({"sub": "u1"})))
    assert (error.status, error.code) == (401, "PGRST302")
    assert error.headers == {"WWW-Authenticate": "Bearer"}


@pytest.mark.parametrize("role", [42, True, ["admin"], {"name": "admin"}])
def test_role_claim_must_be_a_string(role: Any) -> None:
    error = rejected(verifier(), bearer(hs256({"role": role})))
    assert_invalid_token(error, "PGRST303", "The JWT role claim must be a string")


CLAIMS = {
    "role": "authenticated",
    "app_metadata": {"role": "educator", "roles": ["student", "admin"]},
    "https://campus.example/claims": {"role": "admin"},
    "realm access": {"roles": ["reporting"]},
}


@pytest.mark.parametrize(
    ("key", "role"),
    [
        ("$.role", "authenticated"),
        ("$.app_metadata.role", "educator"),
        ("$.app_metadata.roles[0]", "student"),
        ("$.app_metadata.roles[1]", "admin"),
        ("$.app_metadata.roles[-1]", "admin"),
        ('$."https://campus.example/claims".role', "admin"),
        ("$['https://campus.example/claims'].role", "admin"),
        ('$["https://campus.example/claims"]["role"]', "admin"),
        ("$['realm access'].roles[ 0 ]", "reporting"),
        (".role", "authenticated"),
        (".app_metadata.role", "educator"),
        (".app_metadata.roles[1]", "admin"),
        ('."https://campus.example/claims".role', "admin"),
    ],
)
def test_role_claim_key_paths(key: str, role: str) -> None:
    identity = verifier(role_claim_key=key).verify(bearer(hs256(CLAIMS)))
    assert identity.role == role
    # PostgREST puts the effective role into request.jwt.claims, whatever path it came from.
    assert identity.claims == {**CLAIMS, "role": role}
    assert json.loads(identity.claims_json)["role"] == role


@pytest.mark.parametrize(
    "key", ["$.nope", "$.app_metadata.roles[5]", "$.role.inner", "$.app_metadata[0]", "$.app_metadata.roles.x"]
)
def test_role_claim_key_that_finds_nothing_gives_anon(key: str) -> None:
    assert verifier(role_claim_key=key).verify(bearer(hs256(CLAIMS))).role == "anon"


def test_role_claim_key_pointing_at_an_object_is_refused() -> None:
    error = rejected(verifier(role_claim_key="$.app_metadata"), bearer(hs256(CLAIMS)))
    assert error.code == "PGRST303"


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("$.role", ("role",)),
        ("  $.a.b  ", ("a", "b")),
        ("$.a[0]", ("a", 0)),
        ("$.a[-2]", ("a", -2)),
        ('$."quoted key".x', ("quoted key", "x")),
        ("$['single'][\"double\"]", ("single", "double")),
        ('$."with \\" quote"', ('with " quote',)),
        ("$.https-x_y$@", ("https-x_y$@",)),
        ("$.ünï", ("ünï",)),
        (".role", ("role",)),
        (".a.b[3]", ("a", "b", 3)),
        ('."https://x".role', ("https://x", "role")),
    ],
)
def test_parse_role_claim_key(key: str, path: tuple[str | int, ...]) -> None:
    assert parse_role_claim_key(key) == path


@pytest.mark.parametrize(
    "key", ["role", "$", ".", "$.", "$..a", "$.a[", "$.a[x]", "$.a['b'", "$.'open", "$.a b", "$[?(@ == 'a')]", "$.*"]
)
def test_unsupported_role_claim_keys_are_configuration_errors(key: str) -> None:
    with pytest.raises(JwtConfigError):
        parse_role_claim_key(key)
    with pytest.raises(JwtConfigError):
        verifier(role_claim_key=key)


# --------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------


def test_cache_hit_returns_the_same_identity() -> None:
    v = verifier()
    token = hs256({"role": "x", "exp": NOW + 600})
    first = v.verify(bearer(token))
    assert v.verify(bearer(token)) is first
    assert v.cache_stats() == CacheStats(hits=1, misses=1, evictions=0, size=1)


def test_cache_evicts_the_least_recently_used_token() -> None:
    v = verifier(cache_max_entries=2)
    one, two, three = (hs256({"role": "x", "n": n}) for n in (1, 2, 3))
    v.verify(bearer(one))
    v.verify(bearer(two))
    v.verify(bearer(one))  # refreshes "one", so "two" is now the oldest
    v.verify(bearer(three))
    assert v.cache_stats() == CacheStats(hits=1, misses=3, evictions=1, size=2)
    v.verify(bearer(one))
    assert v.cache_stats().hits == 2
    v.verify(bearer(two))
    assert v.cache_stats().misses == 4


def test_cached_token_still_expires() -> None:
    clock = Clock()
    v = verifier(clock)
    token = hs256({"role": "x", "exp": NOW + 60})
    assert v.verify(bearer(token)).role == "x"
    clock.now = NOW + 60 + 30  # still inside the leeway
    assert v.verify(bearer(token)).role == "x"
    assert v.cache_stats().hits == 1
    clock.now = NOW + 60 + 31
    assert_invalid_token(rejected(v, bearer(token)), "PGRST303", "JWT expired")
    assert v.cache_stats().size == 0
    assert rejected(v, bearer(token)).message == "JWT expired"


def test_token_rejected_for_claims_is_not_cached() -> None:
    clock = Clock()
    v = verifier(clock)
    token = hs256({"role": "x", "nbf": NOW + 100})
    assert rejected(v, bearer(token)).message == "JWT not yet valid"
    assert v.cache_stats().size == 0
    clock.now = NOW + 100
    assert v.verify(bearer(token)).role == "x"


def test_bad_tokens_are_not_cached() -> None:
    v = verifier()
    token = hs256({"role": "x"}, secret="another-secret-that-is-long-enough!!")
    for _ in range(2):
        rejected(v, bearer(token))
    assert v.cache_stats().size == 0


def test_cache_size_zero_disables_the_cache() -> None:
    v = verifier(cache_max_entries=0)
    token = hs256({"role": "x"})
    assert v.verify(bearer(token)) == v.verify(bearer(token))
    assert v.cache_stats() == CacheStats(hits=0, misses=0, evictions=0, size=0)


def test_negative_cache_size_is_a_configuration_error() -> None:
    with pytest.raises(JwtConfigError):
        verifier(cache_max_entries=-1)


# --------------------------------------------------------------------------------------------
# Settings from the environment
# --------------------------------------------------------------------------------------------


def test_settings_from_env() -> None:
    settings = JwtSettings.from_env(
        {
            "PGRST_JWT_SECRET": SECRET,
            "PGRST_JWT_SECRET_IS_BASE64": "TRUE",
            "PGRST_JWT_AUD": "campus",
            "PGRST_JWT_ROLE_CLAIM_KEY": ".app_metadata.role",
            "PGRST_DB_ANON_ROLE": "anon",
            "PGRST_JWT_CACHE_MAX_ENTRIES": "10",
        }
    )
    assert settings == JwtSettings(SECRET, True, "campus", ".app_metadata.role", "anon", 10)


def test_settings_from_empty_env_are_the_defaults() -> None:
    assert JwtSettings.from_env({"PGRST_JWT_SECRET": "", "PGRST_JWT_ROLE_CLAIM_KEY": ""}) == JwtSettings()
    assert JwtSettings() == JwtSettings(None, False, None, "$.role", None, 1000)


@pytest.mark.parametrize("environ", [{"PGRST_JWT_SECRET_IS_BASE64": "maybe"}, {"PGRST_JWT_CACHE_MAX_ENTRIES": "lots"}])
def test_bad_env_values_are_configuration_errors(environ: dict[str, str]) -> None:
    with pytest.raises(JwtConfigError):
        JwtSettings.from_env(environ)
