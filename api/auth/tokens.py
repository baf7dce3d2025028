"""Access tokens with GoTrue's claims (`internal/tokens/service.go` `AccessTokenClaims`).

The claim names and shapes are GoTrue's so Supabase clients and `auth.jwt()`-style SQL read them
unchanged. The one Campus difference: `role` is the user's database role (student, educator,
admin), which the REST engine switches to, instead of GoTrue's fixed "authenticated".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from api.auth.keys import SigningKey

DEFAULT_EXPIRES_IN: Final = 3600  # GoTrue's JWT_EXP default
DEFAULT_AUDIENCE: Final = "authenticated"
AAL_LEVELS: Final = frozenset({"aal1", "aal2"})


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    expires_at: int


class AccessTokenIssuer:
    """Signs access tokens for users; holds no per-request state."""

    def __init__(
        self, key: SigningKey, issuer: str, expires_in: int = DEFAULT_EXPIRES_IN, audience: str = DEFAULT_AUDIENCE
    ) -> None:
        if expires_in <= 0:
            raise ValueError("access token lifetime must be positive")
        self._key = key
        self._issuer = issuer
        self._expires_in = expires_in
        self._audience = audience

    def issue(
        self, user: Mapping[str, Any], session_id: str, amr: list[dict], aal: str = "aal1", now: int | None = None
    ) -> IssuedToken:
        """A signed access token for `user` in session `session_id`."""
        iat = int(time.time()) if now is None else now
        claims = self.claims(user, session_id, amr, aal, iat)
        return IssuedToken(self._key.sign(claims), self._expires_in, claims["exp"])

    def claims(self, user: Mapping[str, Any], session_id: str, amr: list[dict], aal: str, iat: int) -> dict[str, Any]:
        """The claims `issue` signs (exposed for audit logs and tests)."""
        if aal not in AAL_LEVELS:
            raise ValueError(f"unknown authenticator assurance level {aal!r}")
        return {
            "iss": self._issuer,
            "aud": self._audience,
            "exp": iat + self._expires_in,
            "iat": iat,
            "sub": str(user["id"]),
            "email": user.get("email") or "",
            "phone": user.get("phone") or "",
            "app_metadata": dict(user.get("app_metadata") or {}),
            "user_metadata": dict(user.get("user_metadata") or {}),
            "role": _role(user),
            "aal": aal,
            "amr": [_amr_entry(entry) for entry in amr],
            "session_id": session_id,
            "is_anonymous": bool(user.get("is_anonymous", False)),
        }


def session_response(issued: IssuedToken, refresh_token: str, user: Mapping[str, Any]) -> dict[str, Any]:
    """GoTrue's `AccessTokenResponse` body for `/token` and `/verify`."""
    return {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
        "expires_at": issued.expires_at,
        "refresh_token": refresh_token,
        "user": dict(user),
    }


def _role(user: Mapping[str, Any]) -> str:
    # Without a role the engine would fall back to the anonymous role: refuse to mint such a token.
    role = user.get("role")
    if not isinstance(role, str) or not role:
        raise ValueError("the user has no role; cannot issue an access token")
    return role


def _amr_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One `{method, timestamp}` entry (GoTrue's `AMREntry`; `provider` kept when present)."""
    method, timestamp = entry.get("method"), entry.get("timestamp")
    if not isinstance(method, str) or not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise ValueError(f"an amr entry needs a string method and an integer timestamp: {entry!r}")
    result: dict[str, Any] = {"method": method, "timestamp": timestamp}
    if entry.get("provider"):
        result["provider"] = entry["provider"]
    return result
