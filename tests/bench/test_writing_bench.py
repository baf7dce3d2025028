"""bench/writing_bench.py end to end at toy size, so the benchmark cannot rot: `campus demo load --scale small`,
`campus serve --workers 2`, sign-ins through /auth/v1/token and a short open-loop run of every operation.
Latency is not asserted (the machine is shared); that every operation answered 2xx is."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg

from support.databases import ThrowawayCluster

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import writing_bench  # noqa: E402
import writing_workload  # noqa: E402


def test_every_operation_of_the_writing_benchmark_succeeds(cluster: ThrowawayCluster, database: str, tmp_path: Path):
    options = writing_bench.Options(scale="small", rate=40, duration=3, warmup=0.5, students=30, educators=5)
    owner, engine = cluster.url(database), cluster.url(database, user="authenticator")
    result = writing_bench.run(owner, engine, options, tmp_path)

    assert result.rows["auth.users"] == 200 and result.rows["app.writing_sessions"] > 0
    by_name = {s.operation: s for s in result.stats}
    for operation in writing_workload.OPERATIONS:
        stats = by_name[operation]
        assert stats.count > stats.errors, f"{operation}: no request succeeded ({stats.error_sample})"
    assert by_name["all"].errors == 0, [(s.operation, s.error_sample) for s in result.stats if s.errors]
    assert by_name["all"].count == int(options.rate * options.duration)
    assert result.lag["max_ms"] < 1000, result.lag

    # The submits really happened, through the API, each once.
    with psycopg.connect(owner) as conn:
        submitted = conn.execute(
            "select count(*) from app.assignment_submissions where submitted_at > now() - interval '5 minutes'"
        ).fetchone()[0]
    assert submitted == result.planned_by_operation["submit"] > 0
