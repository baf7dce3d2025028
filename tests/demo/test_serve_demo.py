"""`campus serve --demo` on the embedded cluster (no DATABASE_URL): the small demo on first start only, the
sample accounts printed and signing in, and SIGTERM stopping the cluster that serve started — also when it
arrives while the demo is still loading. (Ported from branch writing-demo-wiring, adapted to main's wiring.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.cluster import EmbeddedCluster
from api.demo import DEMO_PASSWORD
from support.server import free_port

CAMPUS = [sys.executable, "-m", "api.cli", "--log-format", "json"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "campus-data"
    yield directory
    EmbeddedCluster(directory).destroy()


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PGRST_DB_URI"}}
    environment["CAMPUS_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [*CAMPUS, "serve", "--demo", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _serve_demo(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `campus serve --demo`; the stdout lines up to the last sample account."""
    process = _start(data_dir, port)
    assert process.stdout is not None
    lines: list[str] = []
    while not any("student2@" in line for line in lines):
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=30)
            raise AssertionError(f"serve --demo exited: {process.stderr.read() if process.stderr else ''}")
        lines.append(line)
    return process, lines


def _wait_live(port: int, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/live", timeout=5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer")


def _sign_in(port: int, email: str, password: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/auth/v1/token?grant_type=password",
        data=json.dumps({"email": email, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    return stderr


def test_serve_demo_loads_once_and_sigterm_stops_the_cluster(data_dir: Path) -> None:
    port = free_port()
    server, lines = _serve_demo(data_dir, port)
    try:
        printed = "".join(lines)
        assert DEMO_PASSWORD in printed
        for email in ("admin@", "educator@", "student@", "student2@"):
            assert f"{email}northfield.example" in printed
        _wait_live(port, server)
        status, session = _sign_in(port, "student@northfield.example", DEMO_PASSWORD)
        assert status == 200, session
        assert session["user"]["app_metadata"]["role"] == "student"
        with psycopg.connect(EmbeddedCluster(data_dir).url()) as conn:
            first_ids = conn.execute("select array_agg(id order by id) from auth.users").fetchone()[0]
    finally:
        stderr = _stop(server)
    assert "embedded cluster stopped" in stderr
    assert not EmbeddedCluster(data_dir).is_running(), "serve --demo stops the cluster it started"

    server, lines = _serve_demo(data_dir, port)  # second start: the demo is there, nothing is loaded again
    try:
        assert "educator@northfield.example" in "".join(lines)
        _wait_live(port, server)
        with psycopg.connect(EmbeddedCluster(data_dir).url()) as conn:
            again = conn.execute("select array_agg(id order by id) from auth.users").fetchone()[0]
        assert again == first_ids and len(again) == 200
    finally:
        _stop(server)
    assert not EmbeddedCluster(data_dir).is_running()


def test_sigterm_while_the_demo_loads_stops_the_cluster_and_loads_nothing(data_dir: Path) -> None:
    server = _start(data_dir, free_port())
    assert server.stderr is not None
    try:
        for line in server.stderr:  # migrated: the demo load comes next (it takes a second or two)
            if line.startswith("{") and json.loads(line).get("event") == "migrated":
                break
        else:
            raise AssertionError(f"serve --demo exited before migrating (code {server.wait()})")
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    cluster = EmbeddedCluster(data_dir)
    assert not cluster.is_running(), "a SIGTERM before serving still stops the cluster serve started"
    cluster.start()
    with psycopg.connect(cluster.url()) as conn:  # the demo's one transaction was rolled back (or never began)
        assert conn.execute("select count(*) from auth.users").fetchone()[0] in (0, 200)
