"""Asymmetric signing (RS256/ES256 with the JWKS published and accepted by the REST engine, HS/RS
key confusion refused) and the /auth/v1 rate limits, in memory and shared through Redis."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.auth.keys import generate_private_key_pem
from conftest import FIXTURE, PASSWORD, AuthServer, unique_email
from support.databases import ThrowawayCluster
from support.server import free_port


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with(secret: bytes, claims: dict) -> str:
    """An HS256 token signed by hand (PyJWT refuses to use a public key as an HMAC secret)."""
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_asymmetric_keys_publish_jwks_and_the_engine_accepts_their_tokens(
    cluster: ThrowawayCluster, tmp_path: Path, algorithm: str
) -> None:
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(generate_private_key_pem(algorithm))
    server = AuthServer(
        cluster,
        FIXTURE,
        "api",
        extra_env={"CAMPUS_AUTH_JWT_PRIVATE_KEY": str(key_file), "CAMPUS_AUTH_RATE_LIMIT": "1000/minute"},
    )
    try:
        jwks = httpx.get(f"{server.auth_url}/.well-known/jwks.json").json()
        (public,) = jwks["keys"]
        assert public["alg"] == algorithm and public["use"] == "sig" and "d" not in public

        email = server.confirmed_user()
        session = server.client().sign_in_with_password({"email": email, "password": PASSWORD}).session
        assert session is not None
        header = jwt.get_unverified_header(session.access_token)
        assert header["alg"] == algorithm and header["kid"] == public["kid"]
        verified = jwt.decode(
            session.access_token, jwt.PyJWK(public).key, algorithms=[algorithm], audience="authenticated"
        )
        assert verified["email"] == email

        profiles = httpx.get(f"{server.url}/profiles", headers={"Authorization": f"Bearer {session.access_token}"})
        assert profiles.status_code == 200 and len(profiles.json()) == 1

        # The public key as an HMAC secret: the classic key-confusion forgery.
        public_pem = jwt.PyJWK(public).key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        claims = {**verified, "role": "admin"}
        for secret in (public_pem, json.dumps(public).encode()):
            forged = _hs256_with(secret, claims)
            answer = httpx.get(f"{server.url}/profiles", headers={"Authorization": f"Bearer {forged}"})
            assert answer.status_code == 401 and answer.json()["code"] == "PGRST301"
            refused = httpx.get(f"{server.auth_url}/user", headers={"Authorization": f"Bearer {forged}"})
            assert refused.status_code == 403
    finally:
        server.stop()


# -- rate limits ----------------------------------------------------------------------------------


def _limited_server(cluster: ThrowawayCluster, **env: str) -> AuthServer:
    return AuthServer(cluster, FIXTURE, "api", extra_env={"CAMPUS_AUTH_RATE_LIMIT": "3/minute", **env})


def test_per_ip_and_per_email_limits_answer_429_with_retry_after(cluster: ThrowawayCluster) -> None:
    server = _limited_server(cluster, CAMPUS_TRUST_FORWARDED_FOR="1")
    try:
        url = f"{server.auth_url}/recover"
        for n in range(3):
            assert httpx.post(url, json={"email": unique_email()}).status_code == 200, n
        refused = httpx.post(url, json={"email": unique_email()})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error_code"] == "over_request_rate_limit"
        # Other clients (by X-Forwarded-For, trusted here) are not affected ...
        email = unique_email()
        for n in range(3):
            answer = httpx.post(url, json={"email": email}, headers={"X-Forwarded-For": f"10.0.0.{n}"})
            assert answer.status_code == 200
        # ... but one address is limited whoever asks for it.
        same_email = httpx.post(url, json={"email": email.upper()}, headers={"X-Forwarded-For": "10.0.1.1"})
        assert same_email.status_code == 429
        sign_ins = [
            httpx.post(
                f"{server.auth_url}/token?grant_type=password",
                json={"email": "target@north.edu", "password": "guess 1"},
                headers={"X-Forwarded-For": f"10.0.2.{n}"},
            ).status_code
            for n in range(4)
        ]
        assert sign_ins == [400, 400, 400, 429]
    finally:
        server.stop()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is installed by ./dev (apt package redis-server)"
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_servers_share_their_limits_through_redis(cluster: ThrowawayCluster, redis_url: str) -> None:
    first = _limited_server(cluster, REDIS_URL=redis_url)
    second = _limited_server(cluster, REDIS_URL=redis_url)
    try:
        answers = [
            httpx.post(f"{server.auth_url}/recover", json={"email": unique_email()}).status_code
            for server in (first, second, first, second)
        ]
        assert answers == [200, 200, 200, 429]
    finally:
        first.stop()
        second.stop()
