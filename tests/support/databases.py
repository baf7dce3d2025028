"""One throwaway cluster per test run (the embedded-cluster code `campus db` uses, so it is
root-safe the same way) and pytest-postgresql's DatabaseJanitor for the template and its clones.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from pytest_postgresql.janitor import DatabaseJanitor

from api.cluster import PORT, SUPERUSER, EmbeddedCluster
from api.migrations.runner import Migrator

# Durability buys nothing in a throwaway cluster; these make it several times faster.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
TEMPLATE = "campus_template"


class ThrowawayCluster:
    """A cluster in a fresh temporary directory with a migrated template database."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="campus-test-"))
        self.cluster = EmbeddedCluster(self.directory / "data", settings=FAST_SETTINGS)
        self.cluster.start()
        self._names = itertools.count()
        self._template_ready = False

    # -- connection details --------------------------------------------------------------------
    def url(self, database: str, user: str = SUPERUSER) -> str:
        return self.cluster.url(database, user=user)

    def janitor(self, name: str, template: str | None = None, as_template: bool = False) -> DatabaseJanitor:
        return DatabaseJanitor(
            user=SUPERUSER,
            host=str(self.cluster.socket_dir),
            port=PORT,
            dbname=name,
            template_dbname=template,
            as_template=as_template,
        )

    # -- databases -----------------------------------------------------------------------------
    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        janitor = self.janitor(TEMPLATE, as_template=True)
        janitor.drop()
        janitor.init()
        janitor.load(self._migrate_template)
        self._template_ready = True

    def _migrate_template(self, *, dbname: str, **_: object) -> None:
        url = self.url(dbname)
        Migrator(url).up()
        import psycopg

        # pgTAP in a schema of its own, callable by every role the tests switch to.
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "create schema tap; create extension pgtap with schema tap;"
                " grant usage on schema tap to public; grant execute on all functions in schema tap to public"
            )

    def create(self, prefix: str = "test", migrated: bool = True, script: str | bytes | None = None) -> str:
        """A new database (a clone of the migrated template, or empty), with `script` run in it
        (a multi-statement SQL text, e.g. a test's fixture schema); returns its name."""
        if migrated:
            self._ensure_template()
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        self.janitor(name, template=TEMPLATE if migrated else None).init()
        if script is not None:
            import psycopg

            with psycopg.connect(self.url(name), autocommit=True) as conn:
                conn.execute(script.encode() if isinstance(script, str) else script, prepare=False)
        return name

    def drop(self, name: str) -> None:
        self.janitor(name).drop()

    def pg_tool(self, tool: str, *args: str) -> str:
        """Run a client tool (pg_dump, psql) of the cluster's version against it; returns stdout."""
        env = {**os.environ, "PGHOST": str(self.cluster.socket_dir), "PGUSER": SUPERUSER}
        result = subprocess.run([self.cluster.binaries.tool(tool), *args], capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stderr.strip()}")
        return result.stdout

    def schema_dump(self, database: str) -> str:
        """The catalog as pg_dump --schema-only prints it, without migration registries or random keys."""
        dump = self.pg_tool("pg_dump", "--schema-only", "--exclude-schema=yoyo", "--exclude-schema=sqitch", database)
        # pg_dump ≥ 15.14 brackets the script with \restrict <random key>: not part of the catalog.
        return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))

    def close(self) -> None:
        self.cluster.destroy()
        shutil.rmtree(self.directory, ignore_errors=True)


_instance: ThrowawayCluster | None = None


def shared_cluster() -> ThrowawayCluster:
    """The run's cluster, started on first use (so database-free tests never start one)."""
    global _instance
    if _instance is None:
        _instance = ThrowawayCluster()
    return _instance


def close_test_cluster() -> None:
    global _instance
    if _instance is not None:
        _instance.close()
        _instance = None
