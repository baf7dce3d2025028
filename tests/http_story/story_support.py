"""The story's server: a running server (REST at /, auth at /auth/v1) over a Campus database with the story's
institutions and a public template; helpers to create an educator with a service key and
students by sign-up and verification through the outbox."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import jwt

from support.server import JWT_SECRET, RunningServer

FIXTURE = Path(__file__).with_name("fixture.sql")
STORY = "00000000-0000-4000-8000-0000000000c1"
PUBLIC_TEMPLATE = "00000000-0000-4000-8000-0000000000e1"
PRIVATE_TEMPLATE = "00000000-0000-4000-8000-0000000000e2"
PASSWORD = "correct horse 1"


def service_key() -> str:
    now = int(time.time())
    return jwt.encode({"role": "service_role", "iss": "campus", "iat": now, "exp": now + 600}, JWT_SECRET)


def unique_email(domain: str = "story.edu") -> str:
    return f"story-{uuid.uuid4().hex[:12]}@{domain}"


class StoryServer(RunningServer):
    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth/v1"

    def mailed_token(self, to: str, template: str) -> str:
        rows = self.sql(
            "select payload->>'token' from app.outbox where topic = %s and payload->>'to' = %s"
            " order by id desc limit 1",
            [f"mail.{template}", to],
        )
        assert rows, f"no mail.{template} to {to} in the outbox"
        return rows[0][0]

    def sign_in(self, email: str, password: str = PASSWORD) -> str:
        """An access token from /auth/v1/token (grant_type=password)."""
        response = httpx.post(
            f"{self.auth_url}/token", params={"grant_type": "password"}, json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def educator(self) -> tuple[str, str]:
        """An educator of Story College made with a service key through /auth/v1/admin/users: (id, token)."""
        email = unique_email()
        key = service_key()
        created = httpx.post(
            f"{self.auth_url}/admin/users",
            headers={"apikey": key, "Authorization": f"Bearer {key}"},
            json={"email": email, "password": PASSWORD, "email_confirm": True, "role": "educator",
                  "institution_id": STORY, "user_metadata": {"first_name": "Ada"}},
        )  # fmt: skip
        assert created.status_code == 200, created.text
        return created.json()["id"], self.sign_in(email)

    def student(self) -> tuple[str, str]:
        """A student who signed up and confirmed through the mailed token: (id, token)."""
        email = unique_email()
        signed_up = httpx.post(f"{self.auth_url}/signup", json={"email": email, "password": PASSWORD})
        assert signed_up.status_code == 200, signed_up.text
        token = self.mailed_token(email, "confirm_signup")
        verified = httpx.post(f"{self.auth_url}/verify", json={"type": "signup", "token": token, "email": email})
        assert verified.status_code == 200, verified.text
        access = self.sign_in(email)
        return jwt.decode(access, options={"verify_signature": False})["sub"], access
