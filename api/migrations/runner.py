"""Apply, revert, verify and report sqitch-plan changes through yoyo, then the stateless objects.

yoyo keeps its registry in the `yoyo` schema of the target database; each change is one yoyo
migration with two steps in one transaction: the deploy script (rollback: the revert script) and
the verify script. A failing deploy or verify rolls the whole change back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from yoyo import get_backend
from yoyo.migrations import Migration, MigrationList, MigrationStep, TransactionWrapper

from api.migrations import stateless
from api.migrations.sqitch_plan import Change, read_plan

log = logging.getLogger("campus.migrate")

REGISTRY_SCHEMA = "yoyo"
CONNECT_TIMEOUT = 5  # seconds
DB_DIR = Path(__file__).resolve().parents[2] / "db"


class MigrationError(RuntimeError):
    """A change failed: names the change and PostgreSQL's error."""


@dataclass(frozen=True)
class ChangeStatus:
    name: str
    note: str
    applied_at: datetime | None


def yoyo_url(url: str) -> str:
    """yoyo needs `postgresql+psycopg://` for psycopg 3 and a search_path with its registry first."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["schema"] = f"{REGISTRY_SCHEMA},public"
    return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, urlencode(query), ""))


def _runs(script: str):
    """A yoyo step body that runs a whole script (yoyo would print the rows of a plain string step)."""

    def run(connection: psycopg.Connection) -> None:
        connection.execute(script.encode(), prepare=False)

    return run


def _migration(change: Change, plan_dir: Path) -> Migration:
    """A yoyo migration built from a change, with its steps set directly (no file parsing)."""
    migration = Migration(change.name, str(plan_dir / "deploy" / f"{change.name}.sql"), str(plan_dir))
    steps = [TransactionWrapper(MigrationStep(0, _runs(change.deploy_sql), _runs(change.revert_sql)))]
    if change.verify_sql.strip():
        steps.append(TransactionWrapper(MigrationStep(1, _runs(change.verify_sql), None)))
    migration.steps = steps
    migration.source = change.deploy_sql
    migration.use_transactions = True
    migration._depends = set()  # yoyo's sort keeps input order, and plan order is authoritative
    return migration


class Migrator:
    """Migrations of one database, from the sqitch project in `db_dir/migrations`."""

    def __init__(self, url: str, db_dir: Path = DB_DIR) -> None:
        self.url = url
        self.db_dir = db_dir
        self.plan_dir = db_dir / "migrations"
        self.changes = read_plan(self.plan_dir)
        self.migrations = MigrationList([_migration(c, self.plan_dir) for c in self.changes])

    # -- registry --------------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT)

    def _backend(self):
        with self._connect() as conn:
            conn.execute(f"create schema if not exists {REGISTRY_SCHEMA}")
            conn.commit()
        return get_backend(yoyo_url(self.url))

    def applied(self) -> dict[str, datetime]:
        """Deployed change names with their times, read from yoyo's registry, or else sqitch's."""
        with self._connect() as conn:
            if conn.execute("select to_regclass('yoyo._yoyo_migration')").fetchone()[0]:
                rows = conn.execute("select migration_id, applied_at_utc from yoyo._yoyo_migration").fetchall()
            elif conn.execute("select to_regclass('sqitch.changes')").fetchone()[0]:
                rows = conn.execute(
                    "select change, committed_at from sqitch.changes where project = 'campus'"
                ).fetchall()
            else:
                rows = []
        return dict(rows)

    def is_managed(self) -> bool:
        """Whether this database has a Campus migration registry (yoyo's or sqitch's)."""
        with self._connect() as conn:
            row = conn.execute(
                "select to_regclass('yoyo._yoyo_migration') is not null"
                " or exists (select from pg_catalog.pg_tables where schemaname = 'sqitch' and tablename = 'changes')"
            ).fetchone()
        return bool(row and row[0])

    def status(self) -> list[ChangeStatus]:
        applied = self.applied()
        return [ChangeStatus(c.name, c.note, applied.get(c.name)) for c in self.changes]

    def pending(self) -> list[str]:
        applied = self.applied()
        return [c.name for c in self.changes if c.name not in applied]

    # -- up / down ---------------------------------------------------------------------------
    def up(self, to: str | None = None) -> list[str]:
        """Deploy pending changes (up to and including `to`); re-apply stateless objects if anything changed."""
        wanted = self.migrations
        if to is not None:
            names = [c.name for c in self.changes]
            if to not in names:
                raise MigrationError(f"no change named '{to}' in the plan")
            wanted = MigrationList(self.migrations[: names.index(to) + 1])
        backend = self._backend()
        done: list[str] = []
        with backend.lock():
            for migration in backend.to_apply(wanted):
                self._run(backend.apply_one, migration, "deploy")
                done.append(migration.id)
        self.refresh(force=bool(done))
        return done

    def down(self, to: str | None = None, everything: bool = False) -> list[str]:
        """Revert the last change, every change after `to`, or all of them."""
        names = [c.name for c in self.changes]
        if to is not None and to not in names:
            raise MigrationError(f"no change named '{to}' in the plan")
        backend = self._backend()
        done: list[str] = []
        with backend.lock():
            applied = backend.to_rollback(self.migrations)  # newest first
            if everything:
                chosen = list(applied)
            elif to is not None:
                keep = set(names[: names.index(to) + 1])
                chosen = [m for m in applied if m.id not in keep]
            else:
                chosen = list(applied)[:1]
            for migration in chosen:
                self._run(backend.rollback_one, migration, "revert")
                done.append(migration.id)
        self.refresh(force=bool(done))
        return done

    @staticmethod
    def _run(action, migration: Migration, verb: str) -> None:
        log.info("%s %s", verb, migration.id)
        try:
            action(migration)
        except psycopg.Error as error:
            message = error.diag.message_primary or str(error)
            raise MigrationError(f"{verb} of change '{migration.id}' failed, rolled back: {message}") from error

    # -- verify ------------------------------------------------------------------------------
    def verify(self) -> dict[str, str | None]:
        """Run each deployed change's verify script in a rolled-back transaction: name → error or None."""
        applied = self.applied()
        results: dict[str, str | None] = {}
        with self._connect() as conn:
            for change in self.changes:
                if change.name not in applied:
                    continue
                try:
                    conn.execute(change.verify_sql.encode(), prepare=False)
                    results[change.name] = None
                except psycopg.Error as error:
                    results[change.name] = error.diag.message_primary or str(error)
                finally:
                    conn.rollback()
        return results

    # -- stateless objects -------------------------------------------------------------------
    def stateless_files(self) -> list[stateless.StatelessFile]:
        return stateless.applicable(stateless.read_stateless(self.db_dir), self.applied())

    def refresh(self, force: bool = False) -> bool:
        """Re-apply functions, views and policies; skipped when nothing changed since the last run."""
        files = self.stateless_files()
        digest = stateless.digest(files)
        with self._connect() as conn:
            conn.execute(f"create schema if not exists {REGISTRY_SCHEMA}")
            conn.execute(
                f"create table if not exists {stateless.STATE_TABLE}"
                " (id boolean primary key default true check (id), digest text not null,"
                " applied_at timestamptz not null default now())"
            )
            row = conn.execute(f"select digest from {stateless.STATE_TABLE}").fetchone()
            conn.commit()
            if row and row[0] == digest and not force:
                return False
            with conn.transaction():
                stateless.apply_files(conn, files)
                conn.execute(
                    f"insert into {stateless.STATE_TABLE} (digest) values (%s)"
                    " on conflict (id) do update set digest = excluded.digest, applied_at = now()",
                    [digest],
                )
        log.info("re-applied %d stateless file(s)", len(files))
        return True
