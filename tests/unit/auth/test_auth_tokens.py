"""Unit tests for api.auth.tokens: GoTrue's access-token claims, verified by the REST engine."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from api.auth.keys import generate_private_key_pem, load_signing_key
from api.auth.tokens import AccessTokenIssuer, IssuedToken, session_response
from api.engine.jwt import JwtSettings, JwtVerifier

SECRET = "reallyreallyreallyreallyverysafe"
ISSUER = "https://campus.example/auth/v1"
NOW = int(time.time())
USER: dict[str, Any] = {
    "id": "6f1c2a4e-0000-4000-8000-000000000001",
    "aud": "authenticated",
    "email": "ada@example.org",
    "phone": "",
    "role": "educator",
    "app_metadata": {"provider": "email", "providers": ["email"], "school_id": 7},
    "user_metadata": {"full_name": "Ada"},
    "is_anonymous": False,
}
AMR = [{"method": "password", "timestamp": NOW}]
CLAIM_NAMES = {
    "iss",
    "aud",
    "exp",
    "iat",
    "sub",
    "email",
    "phone",
    "app_metadata",
    "user_metadata",
    "role",
    "aal",
    "amr",
    "session_id",
    "is_anonymous",
}


def issuer(**options: Any) -> AccessTokenIssuer:
    return AccessTokenIssuer(load_signing_key(SECRET, None), ISSUER, **options)


def decoded(issued: IssuedToken) -> dict[str, Any]:
    return jwt.decode(issued.access_token, SECRET, algorithms=["HS256"], audience="authenticated")


def test_claims_are_gotrues() -> None:
    issued = issuer().issue(USER, "sess-1", AMR, now=NOW)
    claims = decoded(issued)
    assert set(claims) == CLAIM_NAMES
    assert claims == {
        "iss": ISSUER,
        "aud": "authenticated",
        "exp": NOW + 3600,
        "iat": NOW,
        "sub": USER["id"],
        "email": "ada@example.org",
        "phone": "",
        "app_metadata": USER["app_metadata"],
        "user_metadata": USER["user_metadata"],
        "role": "educator",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": NOW}],
        "session_id": "sess-1",
        "is_anonymous": False,
    }


def test_expiry_follows_the_lifetime() -> None:
    issued = issuer(expires_in=600).issue(USER, "s", AMR, now=NOW)
    claims = decoded(issued)
    assert claims["exp"] == claims["iat"] + 600
    assert (issued.expires_in, issued.expires_at) == (600, NOW + 600)


def test_now_defaults_to_the_clock() -> None:
    before = int(time.time())
    claims = decoded(issuer().issue(USER, "s", AMR))
    assert before <= claims["iat"] <= int(time.time())


def test_missing_optional_fields_get_gotrue_defaults() -> None:
    user = {"id": "u2", "role": "student", "is_anonymous": True}
    claims = decoded(issuer().issue(user, "s", [{"method": "anonymous", "timestamp": NOW}], aal="aal2", now=NOW))
    assert set(claims) == CLAIM_NAMES
    assert (claims["email"], claims["phone"], claims["app_metadata"], claims["user_metadata"]) == ("", "", {}, {})
    assert (claims["is_anonymous"], claims["aal"]) == (True, "aal2")


def test_custom_audience() -> None:
    issued = AccessTokenIssuer(load_signing_key(SECRET, None), ISSUER, audience="campus").issue(USER, "s", AMR, now=NOW)
    assert jwt.decode(issued.access_token, SECRET, algorithms=["HS256"], audience="campus")["aud"] == "campus"


@pytest.mark.parametrize(
    ("user", "amr", "aal", "message"),
    [
        ({**USER, "role": None}, AMR, "aal1", "no role"),
        ({**USER, "role": ""}, AMR, "aal1", "no role"),
        (USER, AMR, "aal9", "assurance level"),
        (USER, [{"method": "password"}], "aal1", "amr entry"),
        (USER, [{"method": "password", "timestamp": True}], "aal1", "amr entry"),
    ],
    ids=["null-role", "empty-role", "bad-aal", "amr-no-timestamp", "amr-bool-timestamp"],
)
def test_invalid_inputs_are_refused(user: dict, amr: list[dict], aal: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        issuer().issue(user, "s", amr, aal=aal, now=NOW)


def test_non_positive_lifetime_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        issuer(expires_in=0)


@pytest.mark.parametrize("algorithm", ["HS256", "RS256", "ES256"])
def test_engine_verifies_and_reads_role_and_claims(algorithm: str) -> None:
    pem = None if algorithm == "HS256" else generate_private_key_pem(algorithm)
    key = load_signing_key(SECRET, pem)
    issued = AccessTokenIssuer(key, ISSUER).issue(USER, "sess-9", AMR)
    engine = JwtVerifier(JwtSettings(secret=key.verifier_secret(), audience="authenticated", anon_role="anon"))
    identity = engine.verify(f"Bearer {issued.access_token}")
    assert identity.role == "educator"
    assert identity.claims["sub"] == USER["id"]
    assert identity.claims["session_id"] == "sess-9"
    assert identity.claims["app_metadata"]["school_id"] == 7


def test_session_response_is_gotrues_token_body() -> None:
    issued = issuer().issue(USER, "s", AMR, now=NOW)
    body = session_response(issued, "refresh-abc", USER)
    assert body == {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": 3600,
        "expires_at": NOW + 3600,
        "refresh_token": "refresh-abc",
        "user": USER,
    }
