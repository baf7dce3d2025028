"""The catalog is the same however it is built: migrations, the declarative schema, a round trip, sqitch."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.cluster import SUPERUSER
from api.migrations import stateless
from api.migrations.runner import DB_DIR, Migrator
from support.databases import ThrowawayCluster

PLAN_DIR = DB_DIR / "migrations"


@pytest.fixture
def migrated(cluster: ThrowawayCluster, empty_database: str) -> str:
    """A database built by running every migration (not cloned from the template)."""
    Migrator(cluster.url(empty_database)).up()
    return empty_database


def test_round_trip_up_down_up_gives_the_same_catalog(cluster: ThrowawayCluster, migrated: str) -> None:
    before = cluster.schema_dump(migrated)
    migrator = Migrator(cluster.url(migrated))
    reverted = migrator.down(everything=True)
    assert reverted == [change.name for change in reversed(migrator.changes)]
    assert "CREATE SCHEMA app" not in cluster.schema_dump(migrated)
    migrator.up()
    assert cluster.schema_dump(migrated) == before


def _build_from_declarative_schema(url: str) -> None:
    with psycopg.connect(url) as conn:
        for path in sorted((DB_DIR / "schema").glob("*.sql")):
            conn.execute(path.read_bytes(), prepare=False)
        conn.commit()
        all_changes = [change.name for change in Migrator(url).changes]
        files = stateless.applicable(stateless.read_stateless(DB_DIR), all_changes)
        stateless.apply_files(conn, files)


def test_declarative_schema_matches_migrations(cluster: ThrowawayCluster, migrated: str) -> None:
    declarative = cluster.create("declarative", migrated=False)
    try:
        _build_from_declarative_schema(cluster.url(declarative))
        assert cluster.schema_dump(declarative) == cluster.schema_dump(migrated)
    finally:
        cluster.drop(declarative)


def _sqitch(cluster: ThrowawayCluster, database: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PGHOST": str(cluster.cluster.socket_dir),
        "PGUSER": SUPERUSER,
        "SQITCH_FULLNAME": "Campus tests",
        "SQITCH_EMAIL": "tests@campus.invalid",
    }
    command = ["sqitch", "--chdir", str(PLAN_DIR), *args, f"db:pg:{database}"]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def sqitch_database(cluster: ThrowawayCluster) -> Iterator[str]:
    name = cluster.create("sqitch", migrated=False)
    yield name
    cluster.drop(name)


def test_sqitch_deploys_verifies_and_reverts_the_same_plan(
    cluster: ThrowawayCluster, migrated: str, sqitch_database: str
) -> None:
    empty_database = sqitch_database
    deployed = _sqitch(cluster, empty_database, "deploy")
    assert deployed.returncode == 0, deployed.stderr
    verified = _sqitch(cluster, empty_database, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Verify successful" in verified.stdout

    # The stateless objects come from `campus migrate refresh`, which reads sqitch's registry.
    sqitch_migrator = Migrator(cluster.url(empty_database))
    assert sqitch_migrator.pending() == []
    assert sqitch_migrator.refresh(force=True)
    assert cluster.schema_dump(empty_database) == cluster.schema_dump(migrated)

    reverted = _sqitch(cluster, empty_database, "revert", "-y")
    assert reverted.returncode == 0, reverted.stderr
    remaining = cluster.schema_dump(empty_database)
    assert "CREATE SCHEMA app" not in remaining
    assert "CREATE SCHEMA api" not in remaining


def test_every_change_has_deploy_revert_and_verify_scripts() -> None:
    for change in Migrator("postgresql://unused").changes:
        for kind in ("deploy", "revert", "verify"):
            script = PLAN_DIR / kind / f"{change.name}.sql"
            assert script.exists(), f"{change.name} lacks {kind}/{script.name}"
            assert Path(script).read_text().startswith(f"-- {kind.capitalize()} campus:{change.name}")
