"""`campus demo` and `campus serve --demo` as an operator runs them: load once, refuse a second load
without --replace (one line, no traceback), print the accounts, and sign in with one of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from support.databases import ThrowawayCluster
from support.server import free_port

SECRET = "operator-secret-that-is-long-enough-0123456789"


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "PGRST_JWT_SECRET": SECRET}


def _campus(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=_env(url), capture_output=True, text=True)


def test_demo_load_refuses_a_second_load_and_lists_accounts(cluster: ThrowawayCluster, database: str) -> None:
    url = cluster.url(database)
    loaded = _campus(url, "demo", "load", "--no-progress")
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded the small demo" in loaded.stdout and "password 'campus-demo-42'" in loaded.stdout
    again = _campus(url, "demo", "load", "--no-progress")
    assert again.returncode == 1
    assert "already loaded" in again.stderr and "Traceback" not in again.stderr
    accounts = _campus(url, "demo", "accounts")
    assert accounts.returncode == 0 and "student@northfield.example" in accounts.stdout


def test_serve_demo_loads_on_first_start_and_its_accounts_sign_in(cluster: ThrowawayCluster, database: str) -> None:
    url, port = cluster.url(database), free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)],
        env=_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        signed_in = httpx.post(
            f"{base}/auth/v1/token?grant_type=password",
            json={"email": "student@northfield.example", "password": "campus-demo-42"},
            timeout=10,
        )
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.json()["access_token"]
        courses = httpx.get(f"{base}/courses", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert courses.status_code == 200 and len(courses.json()) > 0, courses.text
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "student@northfield.example" in output
