"""A real `campus serve` process on a database of the test's own, for HTTP and client tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psycopg

from support.databases import ThrowawayCluster

JWT_SECRET = "campus-test-secret-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer:
    """`campus serve --no-migrate` against a migrated clone with `fixture` loaded into it."""

    def __init__(self, cluster: ThrowawayCluster, fixture: Path, schemas: str, extra_env: dict[str, str] | None = None):
        self.cluster = cluster
        self.database = cluster.create("http", script=fixture.read_bytes())
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_") and k != "DATABASE_URL"}
        env.update({
            "DATABASE_URL": cluster.url(self.database),
            "PGRST_DB_URI": cluster.url(self.database, user="authenticator"),
            "PGRST_DB_SCHEMAS": schemas,
            "PGRST_JWT_SECRET": JWT_SECRET,
            **(extra_env or {}),
        })  # fmt: skip
        self.log = cluster.directory / f"server-{self.port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--no-migrate", "--port", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("w"),
        )  # fmt: skip
        self._wait_until_serving()

    def _wait_until_serving(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"campus serve exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200 and (
                    httpx.get(f"{self.url}/", timeout=2).status_code != 503  # schema cache loaded
                ):
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"campus serve did not become ready: {self.log.read_text()}")

    def sql(self, query: str, params: Sequence[object] | None = None) -> list[tuple]:
        with psycopg.connect(self.cluster.url(self.database), autocommit=True) as conn:
            cursor = conn.execute(query.encode(), params, prepare=False)
            return cursor.fetchall() if cursor.description else []

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.cluster.drop(self.database)
