"""The `campus` command as an operator runs it: a real process, a real embedded cluster."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from api import cluster as cluster_module
from api.cluster import ClusterError, EmbeddedCluster
from api.migrations.runner import DB_DIR
from api.migrations.sqitch_plan import read_plan

SHIPPED = [change.name for change in read_plan(DB_DIR / "migrations")]

CAMPUS = [sys.executable, "-m", "api.cli"]


def campus(*args: str, data_dir: Path, env: dict[str, str] | None = None, timeout: float = 120):
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PGRST_DB_URI"}}
    environment.update({"CAMPUS_DATA_DIR": str(data_dir), **(env or {})})
    return subprocess.run([*CAMPUS, *args], capture_output=True, text=True, env=environment, timeout=timeout)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory for an embedded cluster of the test's own, destroyed afterwards."""
    directory = tmp_path / "campus-data"
    yield directory
    EmbeddedCluster(directory).destroy()


def test_help_for_every_command() -> None:
    for args in ([], ["serve"], ["db"], ["migrate"], ["db", "reset"], ["migrate", "down"]):
        result = subprocess.run([*CAMPUS, *args, "--help"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "usage: campus" in result.stdout


def test_db_start_stop_status_are_idempotent(data_dir: Path) -> None:
    started = campus("db", "start", data_dir=data_dir)
    assert started.returncode == 0 and started.stdout.startswith("started"), started.stderr
    again = campus("db", "start", data_dir=data_dir)
    assert again.returncode == 0 and again.stdout.startswith("already running")
    status = campus("db", "status", data_dir=data_dir)
    assert status.returncode == 0 and status.stdout.startswith("running")
    url = campus("db", "url", data_dir=data_dir).stdout.strip()
    assert url.startswith("postgresql://campus@/campus?host=")
    socket_dir = Path(url.split("host=", 1)[1])
    assert list(socket_dir.glob(".s.PGSQL.*")), "the cluster listens on a unix socket in its data directory"

    stopped = campus("db", "stop", data_dir=data_dir)
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped")
    stopped_again = campus("db", "stop", data_dir=data_dir)
    assert stopped_again.returncode == 0 and stopped_again.stdout.startswith("not running")
    assert campus("db", "status", data_dir=data_dir).returncode == 3


def test_cluster_recovers_after_sigkill_and_stale_pid_file(data_dir: Path) -> None:
    cluster = EmbeddedCluster(data_dir)
    cluster.start()
    os.kill(cluster.postmaster_pid(), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while cluster.is_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert campus("db", "start", data_dir=data_dir).stdout.startswith("started")

    cluster.stop()
    # A pid file naming a live process that is not this cluster's postmaster (here: ourselves).
    (cluster.pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n{cluster.pgdata}\n")
    result = campus("db", "start", data_dir=data_dir)
    assert result.returncode == 0 and result.stdout.startswith("started"), result.stderr


def test_migrate_cli_status_up_down_plan(data_dir: Path) -> None:
    plan = campus("migrate", "plan", data_dir=data_dir)
    assert plan.returncode == 0 and plan.stdout.startswith("bootstrap")
    assert "pending" in campus("migrate", "status", data_dir=data_dir).stdout
    up = campus("migrate", "up", data_dir=data_dir)
    assert up.returncode == 0 and f"deployed {len(SHIPPED)} change(s): {', '.join(SHIPPED)}" in up.stdout, up.stderr
    assert "(up to date)" in campus("migrate", "up", data_dir=data_dir).stdout
    assert "UTC" in campus("migrate", "status", data_dir=data_dir).stdout
    assert campus("migrate", "verify", data_dir=data_dir).stdout.startswith("ok  bootstrap")
    script = campus("migrate", "refresh", "--sql", data_dir=data_dir).stdout
    assert script.startswith("begin;") and "notify pgrst, 'reload schema'" in script
    down = campus("migrate", "down", "--all", data_dir=data_dir)
    assert f"reverted {len(SHIPPED)} change(s): {', '.join(reversed(SHIPPED))}" in down.stdout


def test_unreachable_database_url_is_one_masked_line(data_dir: Path) -> None:
    result = campus(
        "migrate", "status", data_dir=data_dir, env={"DATABASE_URL": "postgresql://ann:s3cret@127.0.0.1:1/campus"}
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("campus: cannot connect to postgresql://ann:***@127.0.0.1:1/campus")
    assert "s3cret" not in result.stderr


def test_missing_server_binaries_name_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_module, "_candidate_bindirs", lambda: [])
    with pytest.raises(ClusterError, match="apt-get install postgresql-15"):
        cluster_module.find_binaries()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.stderr.read() if process.stderr else ''}")
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds}s")


def _serve(
    data_dir: Path, port: int, *serve_args: str, env: dict[str, str] | None = None, global_args: tuple[str, ...] = ()
) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PGRST_DB_URI"}}
    environment.update({"CAMPUS_DATA_DIR": str(data_dir), **(env or {})})
    return subprocess.Popen(
        [*CAMPUS, *global_args, "serve", "--port", str(port), *serve_args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_on_the_embedded_cluster_then_sigterm_stops_it(data_dir: Path) -> None:
    port = _free_port()
    server = _serve(data_dir, port, global_args=("--log-format", "json"))
    try:
        _wait_for(f"http://127.0.0.1:{port}/live", server)
        assert _get(f"http://127.0.0.1:{port}/live") == (200, {"status": "ok"})
        assert _get(f"http://127.0.0.1:{port}/ready") == (200, {"status": "ready"})
        assert EmbeddedCluster(data_dir).is_running()
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    assert server.returncode == 0, stderr
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert {"listening", "embedded cluster stopped"} <= {e["event"] for e in events}, stderr
    assert not EmbeddedCluster(data_dir).is_running(), "serve stops the cluster it started"


def test_ready_is_503_with_a_reason_while_migrations_are_pending(data_dir: Path) -> None:
    cluster = EmbeddedCluster(data_dir)
    cluster.start()  # started by someone else: serve must leave it running
    port = _free_port()
    ready_url = f"http://127.0.0.1:{port}/ready"

    # No Campus registry yet: a foreign database, served as it is and only checked for reachability.
    server = _serve(data_dir, port, "--no-migrate")
    try:
        _wait_for(f"http://127.0.0.1:{port}/live", server)
        assert _get(ready_url) == (200, {"status": "ready"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)

    # A Campus database with a change not deployed: not ready, and says why.
    assert campus("migrate", "up", data_dir=data_dir).returncode == 0
    assert campus("migrate", "down", data_dir=data_dir).returncode == 0
    server = _serve(data_dir, port, "--no-migrate")
    try:
        _wait_for(f"http://127.0.0.1:{port}/live", server)
        assert _get(ready_url) == (503, {"status": "unavailable", "reason": f"1 migration(s) pending: {SHIPPED[-1]}"})
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
    assert server.returncode == 0
    assert cluster.is_running(), "serve leaves running a cluster it did not start"


def test_ready_is_503_while_the_database_is_unreachable(data_dir: Path) -> None:
    port = _free_port()
    server = _serve(data_dir, port, "--no-migrate", env={"DATABASE_URL": "postgresql://ann:s3cret@127.0.0.1:1/x"})
    try:
        _wait_for(f"http://127.0.0.1:{port}/live", server)
        status, body = _get(f"http://127.0.0.1:{port}/ready")
        assert status == 503 and body["status"] == "unavailable"
        assert body["reason"].startswith("database unreachable at postgresql://ann:***@127.0.0.1:1/x")
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)


def test_serve_starts_again_after_sigkill(data_dir: Path) -> None:
    port = _free_port()
    first = _serve(data_dir, port)
    _wait_for(f"http://127.0.0.1:{port}/live", first)
    first.kill()  # no cleanup at all: the cluster stays up, the port is freed
    first.communicate(timeout=30)
    second = _serve(data_dir, port)
    try:
        _wait_for(f"http://127.0.0.1:{port}/live", second)
        assert _get(f"http://127.0.0.1:{port}/ready") == (200, {"status": "ready"})
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=60)
    assert second.returncode == 0


def test_serve_with_two_workers_shares_the_port_and_stops_cleanly(data_dir: Path) -> None:
    port = _free_port()
    server = _serve(data_dir, port, "--workers", "2", global_args=("--log-format", "json"))
    try:
        _wait_for(f"http://127.0.0.1:{port}/live", server)
        for _ in range(20):
            assert _get(f"http://127.0.0.1:{port}/live")[0] == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    assert server.returncode == 0, stderr
    pids = {json.loads(line).get("pid") for line in stderr.splitlines() if '"listening"' in line}
    assert len(pids) == 2, stderr
    assert not EmbeddedCluster(data_dir).is_running()
