"""Settings of the /auth/v1 sub-application, from the environment.

GoTrue's names are accepted beside Campus's own, so a Supabase deployment's environment carries
over: `GOTRUE_JWT_EXP`, `GOTRUE_SITE_URL`, `GOTRUE_URI_ALLOW_LIST`. The password policy, lockout and
token lifetimes are database settings (`auth.settings`), not environment variables: they are rules.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from api.auth.ratelimit import DEFAULT_RATE, parse_rate


class AuthConfigError(ValueError):
    pass


@dataclass(frozen=True)
class AuthSettings:
    enabled: bool = True
    site_url: str = "http://localhost:3000"
    redirect_allow_list: tuple[str, ...] = ()
    issuer: str | None = None  # default: <request origin>/auth/v1
    jwt_exp: int = 3600
    private_key_pem: bytes | None = None
    rate_limit: str = DEFAULT_RATE
    redis_url: str | None = None
    trust_forwarded_for: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AuthSettings:
        env = os.environ if env is None else env

        def first(*names: str) -> str | None:
            return next((env[name] for name in names if env.get(name)), None)

        jwt_exp = first("CAMPUS_AUTH_JWT_EXP", "GOTRUE_JWT_EXP") or "3600"
        if not jwt_exp.isdigit() or int(jwt_exp) <= 0:
            raise AuthConfigError(f"CAMPUS_AUTH_JWT_EXP must be a positive number of seconds, not {jwt_exp!r}")
        rate = env.get("CAMPUS_AUTH_RATE_LIMIT") or DEFAULT_RATE
        try:
            parse_rate(rate)
        except ValueError as error:
            raise AuthConfigError(f"CAMPUS_AUTH_RATE_LIMIT: {error}") from error
        key_path = env.get("CAMPUS_AUTH_JWT_PRIVATE_KEY")
        try:
            private_key = Path(key_path).read_bytes() if key_path else None
        except OSError as error:
            raise AuthConfigError(f"CAMPUS_AUTH_JWT_PRIVATE_KEY: cannot read {key_path}: {error.strerror}") from error
        allow = first("CAMPUS_AUTH_REDIRECT_URLS", "GOTRUE_URI_ALLOW_LIST") or ""
        return cls(
            enabled=env.get("CAMPUS_AUTH_ENABLED", "true").lower() not in ("0", "false", "no", "off"),
            site_url=(first("CAMPUS_SITE_URL", "GOTRUE_SITE_URL") or cls.site_url).rstrip("/"),
            redirect_allow_list=tuple(url.strip() for url in allow.split(",") if url.strip()),
            issuer=first("CAMPUS_AUTH_ISSUER", "GOTRUE_JWT_ISSUER"),
            jwt_exp=int(jwt_exp),
            private_key_pem=private_key,
            rate_limit=rate,
            redis_url=env.get("REDIS_URL") or None,
            trust_forwarded_for=env.get("CAMPUS_TRUST_FORWARDED_FOR", "").lower() in ("1", "true", "yes", "on"),
        )

    def redirect_target(self, requested: str | None) -> str:
        """Where to send the browser after /verify: the requested URL only when it is allowed."""
        if requested:
            allowed = (self.site_url, *self.redirect_allow_list)
            if any(requested == base or requested.startswith(base.rstrip("/") + "/") for base in allowed):
                return requested
        return self.site_url
