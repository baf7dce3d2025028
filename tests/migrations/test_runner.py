"""yoyo over the sqitch layout: deploy/verify in one transaction, failures named and rolled back whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from api.migrations.runner import DB_DIR, MigrationError, Migrator
from api.migrations.sqitch_plan import PlanError, read_plan, strip_transaction_control
from api.migrations.stateless import StatelessError, read_stateless
from support.databases import ThrowawayCluster

SHIPPED = [change.name for change in read_plan(DB_DIR / "migrations")]


def _add_change(db_dir: Path, name: str, deploy: str, revert: str, verify: str, requires: str = "") -> None:
    plan = db_dir / "migrations"
    deps = f" [{requires}]" if requires else ""
    with (plan / "sqitch.plan").open("a") as f:
        f.write(f"{name}{deps} 2026-11-22T05:00:00Z Tests <t@campus.invalid> # {name} for a test\n")
    for kind, body in (("deploy", deploy), ("revert", revert), ("verify", verify)):
        (plan / kind / f"{name}.sql").write_text(f"-- {kind.capitalize()} campus:{name}\nBEGIN;\n{body}\nCOMMIT;\n")


@pytest.fixture
def db_dir(tmp_path: Path) -> Path:
    """A private copy of db/ that a test may extend with changes of its own."""
    copy = tmp_path / "db"
    shutil.copytree(DB_DIR, copy)
    for folder in ("functions", "views", "policies"):
        (copy / folder).mkdir(exist_ok=True)
    return copy


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select tablename from pg_tables where schemaname = 'app'").fetchall()
    return {row[0] for row in rows}


def test_up_twice_is_a_no_op(cluster: ThrowawayCluster, empty_database: str) -> None:
    migrator = Migrator(cluster.url(empty_database))
    assert migrator.pending() == SHIPPED
    assert migrator.up() == SHIPPED
    before = cluster.schema_dump(empty_database)
    assert migrator.up() == []
    assert migrator.refresh() is False, "unchanged stateless files are not re-applied"
    assert cluster.schema_dump(empty_database) == before
    status = migrator.status()
    assert [s.name for s in status] == SHIPPED and all(s.applied_at for s in status)


def test_failing_deploy_is_rolled_back_whole_and_named(
    cluster: ThrowawayCluster, empty_database: str, db_dir: Path
) -> None:
    _add_change(
        db_dir, "half_done", "create table app.first (id int);\nselect 1/0;", "drop table app.first;", "select 1;"
    )
    migrator = Migrator(cluster.url(empty_database), db_dir)
    with pytest.raises(MigrationError, match=r"deploy of change 'half_done' failed.*division by zero"):
        migrator.up()
    assert migrator.pending() == ["half_done"]
    assert "first" not in _tables(cluster.url(empty_database)), "nothing of the failed change remains"


def test_failing_verify_rolls_the_change_back(cluster: ThrowawayCluster, empty_database: str, db_dir: Path) -> None:
    _add_change(
        db_dir,
        "unverified",
        "create table app.second (id int);",
        "drop table app.second;",
        "select 1/0 from app.second;",
    )
    migrator = Migrator(cluster.url(empty_database), db_dir)
    with pytest.raises(MigrationError, match="unverified"):
        migrator.up()
    assert "second" not in _tables(cluster.url(empty_database))
    assert migrator.pending() == ["unverified"]


def test_up_to_down_to_and_verify(cluster: ThrowawayCluster, empty_database: str, db_dir: Path) -> None:
    _add_change(
        db_dir, "one", "create table app.one (id int);", "drop table app.one;", "select id from app.one where false;"
    )
    _add_change(
        db_dir,
        "two",
        "create table app.two (id int);",
        "drop table app.two;",
        "select id from app.two where false;",
        requires="one",
    )
    url = cluster.url(empty_database)
    migrator = Migrator(url, db_dir)
    assert migrator.up(to="one") == [*SHIPPED, "one"]
    assert migrator.pending() == ["two"]
    assert migrator.up() == ["two"]
    assert migrator.verify() == {**dict.fromkeys(SHIPPED), "one": None, "two": None}

    assert migrator.down() == ["two"]
    shipped_tables = _tables(url) - {"one"}
    assert "one" in _tables(url)
    migrator.up()
    assert migrator.down(to=SHIPPED[-1]) == ["two", "one"]
    assert _tables(url) == shipped_tables
    with pytest.raises(MigrationError, match="no change named 'nope'"):
        migrator.down(to="nope")

    # verify reports a change whose objects were damaged behind the migrator's back
    migrator.up()
    with psycopg.connect(url) as conn:
        conn.execute("drop table app.two")
    results = migrator.verify()
    assert results["one"] is None and "app.two" in (results["two"] or "")


def test_stateless_files_follow_their_required_changes(
    cluster: ThrowawayCluster, empty_database: str, db_dir: Path
) -> None:
    _add_change(
        db_dir,
        "gadgets",
        "create table app.gadgets (id int);",
        "drop table app.gadgets cascade;",
        "select id from app.gadgets where false;",
    )
    (db_dir / "views" / "gadget_count.sql").write_text(
        "-- A view that needs the gadgets change.\n-- requires: gadgets\n"
        "create or replace view api.gadget_count as select count(*) from app.gadgets;\n"
    )
    url = cluster.url(empty_database)
    migrator = Migrator(url, db_dir)
    migrator.up(to="bootstrap")
    assert "api.gadget_count" not in cluster.schema_dump(empty_database).replace('"', "")
    migrator.up()
    assert "VIEW api.gadget_count" in cluster.schema_dump(empty_database)
    migrator.down()  # the view goes with its table and is not re-created
    assert "gadget_count" not in cluster.schema_dump(empty_database)


def test_a_stateless_error_names_the_file_and_changes_nothing(
    cluster: ThrowawayCluster, empty_database: str, db_dir: Path
) -> None:
    url = cluster.url(empty_database)
    Migrator(url, db_dir).up()
    before = cluster.schema_dump(empty_database)
    (db_dir / "views" / "broken.sql").write_text("-- requires: bootstrap\ncreate view api.broken as select nope;\n")
    with pytest.raises(StatelessError, match=r"views/broken.sql: column \"nope\" does not exist"):
        Migrator(url, db_dir).refresh()
    assert cluster.schema_dump(empty_database) == before


def test_stateless_file_without_requires_header_is_refused(db_dir: Path) -> None:
    (db_dir / "functions" / "orphan.sql").write_text("create function util.orphan() returns int as 'select 1';\n")
    with pytest.raises(StatelessError, match=r"orphan\.sql has no '-- requires: <change>' header"):
        read_stateless(db_dir)


def test_plan_errors_are_clear(db_dir: Path) -> None:
    plan = db_dir / "migrations" / "sqitch.plan"
    text = plan.read_text()
    plan.write_text(text + "not a change line\n")
    with pytest.raises(PlanError, match=f"line {len(text.splitlines()) + 1} is not a change"):
        read_plan(db_dir / "migrations")
    plan.write_text("%project=campus\nlater [missing] 2026-11-22T05:00:00Z T <t@x> # n\n")
    with pytest.raises(PlanError, match="requires unknown or later change"):
        read_plan(db_dir / "migrations")


def test_transaction_lines_of_sqitch_scripts_are_stripped() -> None:
    script = "-- Deploy x\nBEGIN;\ncreate table t (begin_at int);\n  commit ;\nROLLBACK;\n"
    assert strip_transaction_control(script) == "-- Deploy x\ncreate table t (begin_at int);\n"
