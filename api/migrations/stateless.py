"""Re-apply the stateless objects (functions, views, policies and grants) after migrations.

They are code, not history: each file is idempotent (`create or replace`, `drop … if exists` +
`create`) and all of them run in one transaction, in a fixed order — `db/functions`, then
`db/views`, then `db/policies`, each folder by relative path — ending with
`NOTIFY pgrst, 'reload schema'`. Every file names the migration changes it needs in a header line
`-- requires: change [change …]`; a file whose changes are not all deployed is skipped (so a
database migrated down to an earlier change gets the objects that still fit it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg

FOLDERS = ("functions", "views", "policies")
_REQUIRES = re.compile(r"^--\s*requires:\s*(?P<changes>.*)$", re.IGNORECASE | re.MULTILINE)
STATE_TABLE = "yoyo.campus_stateless"


class StatelessError(ValueError):
    """A stateless file is malformed or failed to apply."""


@dataclass(frozen=True)
class StatelessFile:
    path: Path
    relative: str
    requires: frozenset[str]
    sql: str


def read_stateless(db_dir: Path) -> list[StatelessFile]:
    """All stateless files in application order."""
    files: list[StatelessFile] = []
    for folder in FOLDERS:
        for path in sorted((db_dir / folder).rglob("*.sql")):
            sql = path.read_text()
            match = _REQUIRES.search(sql)
            relative = str(path.relative_to(db_dir))
            if not match:
                raise StatelessError(f"{relative} has no '-- requires: <change>' header line")
            files.append(StatelessFile(path, relative, frozenset(match["changes"].split()), sql))
    return files


def applicable(files: Iterable[StatelessFile], deployed: Iterable[str]) -> list[StatelessFile]:
    have = set(deployed)
    return [f for f in files if f.requires <= have]


def digest(files: Iterable[StatelessFile]) -> str:
    """Identifies exactly what would be applied, so an unchanged tree is not re-applied."""
    hasher = hashlib.sha256()
    for f in files:
        hasher.update(f.relative.encode() + b"\0" + f.sql.encode() + b"\0")
    return hasher.hexdigest()


def render_script(files: Iterable[StatelessFile]) -> str:
    """One psql-ready script (for sqitch users): the files in order inside one transaction."""
    parts = ["begin;\nset local check_function_bodies = off;\n"]
    parts += [f"\n-- >>> {f.relative}\n{f.sql}" for f in files]
    parts.append("\nnotify pgrst, 'reload schema';\ncommit;\n")
    return "".join(parts)


def apply_files(conn: psycopg.Connection, files: list[StatelessFile]) -> None:
    """Apply `files` in one transaction on `conn` (autocommit off), naming the file that fails.

    Function bodies are checked when their file runs unless they refer forward to a view, so
    `check_function_bodies` is off; pgTAP tests exercise every function.
    """
    with conn.transaction():
        conn.execute("set local check_function_bodies = off")
        for f in files:
            try:
                with conn.transaction():  # a savepoint, so the error can name the file
                    conn.execute(f.sql.encode(), prepare=False)
            except psycopg.Error as error:
                raise StatelessError(f"{f.relative}: {error.diag.message_primary or error}") from error
        conn.execute("notify pgrst, 'reload schema'")
