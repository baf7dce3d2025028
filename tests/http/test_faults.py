"""Faults: role statement timeouts, an exhausted pool, and the database restarting under the server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import jwt
import psycopg

from api.cluster import EmbeddedCluster
from api.migrations.runner import Migrator
from support.databases import ThrowawayCluster
from support.server import JWT_SECRET, RunningServer, free_port

FIXTURE = Path(__file__).with_name("fixture.sql")


def _token(role: str) -> str:
    return jwt.encode({"role": role, "exp": int(time.time()) + 60}, JWT_SECRET, algorithm="HS256")


def _wait_for_status(client: httpx.Client, path: str, status: int, seconds: float = 10, **kwargs) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = client.get(path, **kwargs)
            if response.status_code == status or time.monotonic() > deadline:
                return response
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def test_statement_timeout_of_a_role_applies_to_its_requests(server: RunningServer, http: httpx.Client) -> None:
    server.sql(
        "do $$ begin create role hasty; exception when duplicate_object then null; end $$;"
        "grant hasty to authenticator; grant usage on schema test to hasty; grant select on test.slow to hasty;"
        f"alter role hasty in database {server.database} set statement_timeout = '200ms';"
        "notify pgrst, 'reload schema';"
    )
    response = _wait_for_status(http, "/slow", 500, headers={"Authorization": f"Bearer {_token('hasty')}"})
    assert response.status_code == 500
    assert response.json()["code"] == "57014"  # canceling statement due to statement timeout
    assert http.get("/slow").json() == [{"done": True}], "other roles keep their own settings"


def test_an_exhausted_pool_answers_504_after_the_acquisition_timeout(cluster: ThrowawayCluster) -> None:
    server = RunningServer(
        cluster, FIXTURE, "test", extra_env={"PGRST_DB_POOL": "1", "PGRST_DB_POOL_ACQUISITION_TIMEOUT": "1"}
    )
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            slow = threading.Thread(target=client.get, args=("/slow",))
            slow.start()
            time.sleep(0.3)
            started = time.monotonic()
            blocked = client.get("/clients")
            waited = time.monotonic() - started
            slow.join()
            assert blocked.status_code == 504
            assert blocked.json()["code"] == "PGRST003"
            assert 0.8 < waited < 1.4, "the wait is bounded by the acquisition timeout, not by the slow query"
            assert client.get("/clients").status_code == 200
    finally:
        server.stop()


def test_database_restart_gives_503_with_retry_after_then_recovers(tmp_path: Path) -> None:
    cluster = EmbeddedCluster(tmp_path / "data")
    cluster.start()
    Migrator(cluster.url()).up()
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute("create view api.ping as select 1 as ok; grant select on api.ping to anon")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_") and k != "DATABASE_URL"}
    env["CAMPUS_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert _wait_for_status(client, "/ping", 200, seconds=30).json() == [{"ok": 1}]
            cluster.stop()
            down = client.get("/ping")
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"]
            assert down.json()["code"] in {"PGRST000", "PGRST001"}
            cluster.start()
            assert _wait_for_status(client, "/ping", 200, seconds=30).json() == [{"ok": 1}]
            assert process.poll() is None, "Campus kept running through the restart"
    finally:
        process.terminate()
        process.wait(timeout=30)
        cluster.destroy()


def test_before_the_schema_cache_loads_requests_get_503(tmp_path: Path) -> None:
    port = free_port()
    unreachable = "postgresql://authenticator@127.0.0.1:1/nowhere"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_")}
    env.update({"DATABASE_URL": unreachable, "PGRST_DB_URI": unreachable, "CAMPUS_DATA_DIR": str(tmp_path / "d"),
                "PGRST_JWT_SECRET": JWT_SECRET})  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--no-migrate", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            response = _wait_for_status(client, "/clients", 503, seconds=30)
            assert response.status_code == 503
            assert response.json()["code"] == "PGRST002"
            assert client.get("/ready").status_code == 503
    finally:
        process.terminate()
        process.wait(timeout=30)
