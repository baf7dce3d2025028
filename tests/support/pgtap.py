"""pgTAP files as pytest items: each `tests/db/*.sql` runs in one transaction that is rolled back.

The file is sent as one simple-protocol query; the TAP lines come back as the rows of its
statements. The item fails on any `not ok`, a plan that does not match, or an SQL error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from support.databases import shared_cluster

_PLAN = re.compile(r"^1\.\.(\d+)")
_shared_database: str | None = None


@dataclass
class TapResult:
    lines: list[str] = field(default_factory=list)
    error: str | None = None

    def problems(self) -> list[str]:
        found = [f"SQL error: {self.error}"] if self.error else []
        tests = [line for line in self.lines if line.startswith(("ok", "not ok"))]
        found += [line for line in tests if line.startswith("not ok") and "# TODO" not in line]
        plans = [int(m.group(1)) for line in self.lines if (m := _PLAN.match(line))]
        if not plans:
            found.append("no plan (1..N) was printed")
        elif plans[0] != len(tests):
            found.append(f"planned {plans[0]} tests but ran {len(tests)}")
        return found


FIXTURES = Path(__file__).parent.parent / "db" / "fixtures"
_FIXTURE_LINE = re.compile(r"^-- fixture: (\w+)\b.*$", re.MULTILINE)


def expand_fixtures(script: str) -> str:
    """A line `-- fixture: NAME` stands for tests/db/fixtures/NAME.sql: setup shared by several files."""
    return _FIXTURE_LINE.sub(lambda match: (FIXTURES / f"{match.group(1)}.sql").read_text(), script)


def run_tap(url: str, script: str) -> TapResult:
    result = TapResult()
    with psycopg.connect(url) as conn:
        try:
            conn.execute("set search_path = public, tap")  # rolled back with the rest
            cursor = conn.execute(script.encode(), prepare=False)
            while True:
                if cursor.description:
                    for row in cursor.fetchall():
                        result.lines += [text for value in row if value is not None for text in str(value).splitlines()]
                if not cursor.nextset():
                    break
        except psycopg.Error as error:
            where = f" ({error.diag.context.strip()})" if error.diag.context else ""
            result.error = f"{error.sqlstate} {error.diag.message_primary}{where}"
        finally:
            conn.rollback()
    return result


def _database_url() -> str:
    """One migrated clone shared by all pgTAP files: each runs inside a rolled-back transaction."""
    global _shared_database
    cluster = shared_cluster()
    if _shared_database is None:
        _shared_database = cluster.create("pgtap")
    return cluster.url(_shared_database)


class PgTapFailure(Exception):
    pass


class PgTapItem(pytest.Item):
    def runtest(self) -> None:
        result = run_tap(_database_url(), expand_fixtures(self.path.read_text()))
        problems = result.problems()
        if problems:
            raise PgTapFailure("\n".join([*problems, "--- TAP output ---", *result.lines]))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, PgTapFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"pgTAP: {self.path.name}"


class PgTapFile(pytest.File):
    def collect(self):
        yield PgTapItem.from_parent(self, name=self.path.stem)
