"""Unit tests for api.auth.keys: tokens signed here are accepted by the REST engine's verifier."""

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
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from api.auth.keys import SigningKey, generate_private_key_pem, jwk_thumbprint, load_signing_key
from api.engine.errors import ApiError
from api.engine.jwt import JwtSettings, JwtVerifier

SECRET = "reallyreallyreallyreallyverysafe"  # 32 characters
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@cache
def pem(algorithm: str) -> bytes:
    return generate_private_key_pem(algorithm)


def pem_of(key: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def engine_for(key: SigningKey) -> JwtVerifier:
    return JwtVerifier(JwtSettings(secret=key.verifier_secret(), anon_role="anon"))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_forged(claims: dict[str, Any], secret: bytes, kid: str | None) -> str:
    """An HS256 token HMAC'd with arbitrary bytes (PyJWT refuses to do this with a PEM key)."""
    header = {"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def all_keys() -> list[SigningKey]:
    return [load_signing_key(SECRET, None), load_signing_key(None, pem("RS256")), load_signing_key(None, pem("ES256"))]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def test_hs_secret_signs_hs256_without_kid() -> None:
    key = load_signing_key(SECRET, None)
    assert (key.algorithm, key.kid) == ("HS256", None)
    assert key.public_jwks() == {"keys": []}
    assert key.verifier_secret() == SECRET


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_private_key_wins_over_the_secret(algorithm: str) -> None:
    key = load_signing_key(SECRET, pem(algorithm))
    assert key.algorithm == algorithm
    assert key.kid


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # RFC 7638 §3.1's example key and thumbprint.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
        "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5h"
        "ajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    assert jwk_thumbprint({"kty": "RSA", "n": n, "e": "AQAB"}) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_kid_is_stable_for_the_same_key() -> None:
    assert load_signing_key(None, pem("ES256")).kid == load_signing_key(None, pem("ES256")).kid
    assert load_signing_key(None, pem("RS256")).kid != load_signing_key(None, pem("ES256")).kid


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        load_signing_key("x" * 31, None)


def test_base64_secret_counts_decoded_bytes() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        load_signing_key(base64.b64encode(b"x" * 31).decode(), None, secret_is_base64=True)
    with pytest.raises(ValueError, match="base64"):
        load_signing_key("not base64!" * 4, None, secret_is_base64=True)


def test_json_looking_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="JWK"):
        load_signing_key(json.dumps({"kty": "oct", "k": "a" * 43}), None)


def test_nothing_configured_is_refused() -> None:
    with pytest.raises(ValueError, match="no JWT signing key"):
        load_signing_key(None, None)


@pytest.mark.parametrize(
    ("private_key", "message"),
    [
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024), "at least 2048"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), "only P-256"),
        (lambda: ed25519.Ed25519PrivateKey.generate(), "not supported"),
    ],
    ids=["rsa-1024", "ec-p384", "ed25519"],
)
def test_unsupported_private_keys_are_refused(private_key: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_signing_key(SECRET, pem_of(private_key()))


def test_unreadable_and_encrypted_pem_are_refused() -> None:
    with pytest.raises(ValueError, match="not a readable PEM"):
        load_signing_key(None, b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    encrypted = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"password"),
    )
    with pytest.raises(ValueError, match="encrypted"):
        load_signing_key(None, encrypted)


def test_generate_refuses_other_algorithms() -> None:
    with pytest.raises(ValueError, match="RS256 or ES256"):
        generate_private_key_pem("HS256")


def test_repr_hides_key_material() -> None:
    for key in all_keys():
        assert SECRET not in repr(key)
        assert "PRIVATE" not in repr(key)


# --------------------------------------------------------------------------------------------
# JWKS
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("algorithm", "kty"), [("RS256", "RSA"), ("ES256", "EC")])
def test_jwks_publishes_only_the_public_key(algorithm: str, kty: str) -> None:
    key = load_signing_key(None, pem(algorithm))
    (jwk,) = key.public_jwks()["keys"]
    assert not PRIVATE_MEMBERS & jwk.keys()
    assert (jwk["kty"], jwk["kid"], jwk["alg"], jwk["use"]) == (kty, key.kid, algorithm, "sig")
    assert json.loads(key.verifier_secret()) == key.public_jwks()
    assert not PRIVATE_MEMBERS & json.loads(key.verifier_secret())["keys"][0].keys()


def test_jwks_copies_cannot_alter_the_key() -> None:
    key = load_signing_key(None, pem("ES256"))
    key.public_jwks()["keys"][0]["kid"] = "changed"
    assert key.public_jwks()["keys"][0]["kid"] == key.kid


# --------------------------------------------------------------------------------------------
# The engine accepts what is signed here
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", all_keys(), ids=lambda key: key.algorithm)
def test_engine_verifies_signed_tokens_and_reads_the_role(key: SigningKey) -> None:
    token = key.sign({"sub": "u1", "role": "educator"})
    identity = engine_for(key).verify(f"Bearer {token}")
    assert identity.role == "educator"
    assert identity.claims["sub"] == "u1"
    header = jwt.get_unverified_header(token)
    assert header["alg"] == key.algorithm
    assert header["typ"] == "JWT"
    assert header.get("kid") == key.kid


def test_base64_secret_verifies_through_its_oct_jwk() -> None:
    raw = bytes(range(48))
    key = load_signing_key(base64.urlsafe_b64encode(raw).decode().rstrip("="), None, secret_is_base64=True)
    token = key.sign({"role": "student"})
    assert jwt.decode(token, raw, algorithms=["HS256"])["role"] == "student"
    assert engine_for(key).verify_token(token).role == "student"
    # The operator's own PGRST_JWT_SECRET + IS_BASE64 setting accepts it too.
    settings = JwtSettings(secret=base64.b64encode(raw).decode(), secret_is_base64=True)
    assert JwtVerifier(settings).verify_token(token).role == "student"


@pytest.mark.parametrize(
    ("signer", "verifier"),
    [
        (lambda: load_signing_key("another" + SECRET, None), lambda: load_signing_key(SECRET, None)),
        (
            lambda: load_signing_key(None, generate_private_key_pem("RS256")),
            lambda: load_signing_key(None, pem("RS256")),
        ),
        (
            lambda: load_signing_key(None, generate_private_key_pem("ES256")),
            lambda: load_signing_key(None, pem("ES256")),
        ),
    ],
    ids=["HS256", "RS256", "ES256"],
)
def test_engine_refuses_tokens_of_another_key(signer: Any, verifier: Any) -> None:
    token = signer().sign({"role": "admin"})
    with pytest.raises(ApiError) as raised:
        engine_for(verifier()).verify_token(token)
    assert raised.value.status == 401


def test_engine_refuses_tokens_naming_the_kid_with_another_key() -> None:
    real = load_signing_key(None, pem("ES256"))
    claims = {"role": "admin"}
    forged = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": real.kid})
    with pytest.raises(ApiError):
        engine_for(real).verify_token(forged)


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_key_confusion_hs256_with_public_material_is_refused(algorithm: str) -> None:
    key = load_signing_key(None, pem(algorithm))
    public_pem = (
        serialization.load_pem_private_key(pem(algorithm), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    public_jwk = json.dumps(key.public_jwks()["keys"][0]).encode()
    engine = engine_for(key)
    for secret in (public_pem, public_jwk, key.verifier_secret().encode()):
        for kid in (key.kid, None):
            with pytest.raises(ApiError) as raised:
                engine.verify_token(hs256_forged({"role": "admin"}, secret, kid))
            assert raised.value.status == 401
