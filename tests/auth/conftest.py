"""A running server with /auth/v1 over a Campus database with two institutions, and helpers to
read mailed tokens from the outbox and to mint service keys."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from supabase_auth import SyncGoTrueAdminAPI, SyncGoTrueClient

from support.databases import ThrowawayCluster
from support.server import JWT_SECRET, RunningServer

FIXTURE = Path(__file__).with_name("fixture.sql")
NORTH = "00000000-0000-4000-8000-00000000000a"
SOUTH = "00000000-0000-4000-8000-00000000000b"
PASSWORD = "correct horse 1"


class AuthServer(RunningServer):
    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth/v1"

    def mailed_token(self, to: str, template: str) -> str:
        """The token of the newest mail of `template` to `to` in the outbox."""
        rows = self.sql(
            "select payload->>'token' from app.outbox where topic = %s and payload->>'to' = %s"
            " order by id desc limit 1",
            [f"mail.{template}", to],
        )
        assert rows, f"no mail.{template} to {to} in the outbox"
        return rows[0][0]

    def client(self) -> SyncGoTrueClient:
        return SyncGoTrueClient(
            url=self.auth_url, headers={"apikey": anon_key()}, auto_refresh_token=False, persist_session=False
        )

    def admin(self, token: str | None = None) -> SyncGoTrueAdminAPI:
        key = token or service_key()
        return SyncGoTrueAdminAPI(url=self.auth_url, headers={"apikey": key, "Authorization": f"Bearer {key}"})

    def confirmed_user(self, email: str | None = None, password: str = PASSWORD) -> str:
        """Sign up at North and confirm through the mailed token; the e-mail address."""
        email = email or unique_email()
        response = httpx.post(f"{self.auth_url}/signup", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        token = self.mailed_token(email, "confirm_signup")
        verified = httpx.post(f"{self.auth_url}/verify", json={"type": "signup", "token": token, "email": email})
        assert verified.status_code == 200, verified.text
        return email


def unique_email(domain: str = "north.edu") -> str:
    return f"user-{uuid.uuid4().hex[:12]}@{domain}"


def sign(claims: dict, secret: str = JWT_SECRET, algorithm: str = "HS256", **headers) -> str:
    now = int(time.time())
    return jwt.encode({"iat": now, "exp": now + 600, **claims}, secret, algorithm=algorithm, headers=headers or None)


def service_key() -> str:
    return sign({"role": "service_role", "iss": "campus"})


def anon_key() -> str:
    return sign({"role": "anon", "iss": "campus"})


@pytest.fixture(scope="session")
def auth_server(cluster: ThrowawayCluster) -> Iterator[AuthServer]:
    running = AuthServer(
        cluster, FIXTURE, "api", extra_env={"CAMPUS_AUTH_RATE_LIMIT": "100000/minute", "PGRST_JWT_AUD": "authenticated"}
    )
    yield running
    running.stop()


@pytest.fixture
def http(auth_server: AuthServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=auth_server.auth_url, timeout=20) as client:
        yield client
