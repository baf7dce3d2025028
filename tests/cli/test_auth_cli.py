"""`campus auth`: an operator adds an institution and its first administrator, and mints a service key."""

from __future__ import annotations

import os
import subprocess
import sys

import jwt
import psycopg

from support.databases import ThrowawayCluster

SECRET = "operator-secret-that-is-long-enough-0123456789"


def _campus(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "PGRST_JWT_SECRET": SECRET}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "auth", *args], input=stdin, env=env, capture_output=True, text=True
    )


def test_institution_admin_and_service_key(cluster: ThrowawayCluster, database: str) -> None:
    url = cluster.url(database)
    added = _campus(url, "institution", "add", "north", "North College", "--domain", "North.edu", "--self-signup")
    assert added.returncode == 0, added.stderr
    again = _campus(url, "institution", "add", "north", "Again")
    assert again.returncode == 1 and "institutions_slug_key" in again.stderr

    user = _campus(
        url, "user", "add", "Head@North.edu", "--institution", "north", "--password-stdin", stdin="pass word 123\n"
    )
    assert user.returncode == 0, user.stderr
    weak = _campus(url, "user", "add", "two@north.edu", "--institution", "north", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "Password should be at least" in weak.stderr
    missing = _campus(url, "user", "add", "x@north.edu", "--institution", "nowhere")
    assert missing.returncode == 1 and "no institution 'nowhere'" in missing.stderr

    with psycopg.connect(url) as conn:
        conn.execute("update auth.settings set bcrypt_cost = 4")
        outcome = conn.execute("select auth.sign_in_password('head@north.edu', 'pass word 123', null, null)").fetchone()
        domains = conn.execute("select email_domains from app.institutions where slug = 'north'").fetchone()
    assert outcome is not None and outcome[0]["outcome"] == "ok"
    assert outcome[0]["user"]["id"] == user.stdout.strip() and outcome[0]["user"]["role"] == "admin"
    assert domains == (["north.edu"],)

    token = _campus(url, "token")
    assert token.returncode == 0, token.stderr
    assert jwt.decode(token.stdout.strip(), SECRET, algorithms=["HS256"])["role"] == "service_role"
