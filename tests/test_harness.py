"""The test harness itself: a pgTAP failure must fail its item, and the code must stay ruff-clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.databases import ThrowawayCluster
from support.pgtap import run_tap

ROOT = Path(__file__).resolve().parents[1]


def test_pgtap_runner_reports_failures_plans_and_errors(cluster: ThrowawayCluster, database_url: str) -> None:
    passing = run_tap(database_url, "select plan(1); select ok(true, 'fine'); select * from finish();")
    assert passing.problems() == [] and passing.lines[0] == "1..1"

    failing = run_tap(
        database_url, "select plan(2); select ok(true); select ok(false, 'broken'); select * from finish();"
    )
    assert any(p.startswith("not ok 2 - broken") for p in failing.problems())

    short = run_tap(database_url, "select plan(3); select ok(true); select * from finish();")
    assert "planned 3 tests but ran 1" in short.problems()

    erroring = run_tap(database_url, "select plan(1); select nope;")
    assert erroring.problems()[0].startswith("SQL error: 42703")


def test_pgtap_runs_are_rolled_back(cluster: ThrowawayCluster, database_url: str) -> None:
    run_tap(database_url, "select plan(0); create table app.left_behind (id int);")
    again = run_tap(database_url, "select plan(1); select hasnt_table('app', 'left_behind', 'rolled back');")
    assert again.problems() == []


def test_ruff_is_clean() -> None:
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
