"""Load a generated `Dataset` with COPY, one table after another in dependency order, in one transaction.

Triggers: the small tables (institutions, users, profiles, templates, courses) are loaded with every trigger
and foreign key on, so the database validates them row by row (the template JSONB rules included). The large
tables are loaded with `set local session_replication_role = replica`, which skips their per-row triggers —
work the generator has already done (seat counting, template usage, version rows, word counts, workflow
timestamps) and which would otherwise dominate the load time — and also their foreign-key triggers.
That setting needs a superuser (the embedded cluster's owner is one) and lasts only until the transaction
ends. Before committing, `checks.problems()` verifies in bulk what was skipped (every foreign key of those
tables, capacity, usage counts, JSONB validity, workflow, versions); any problem rolls the load back.

Passwords: one password (DEMO_PASSWORD) is hashed once, with pgcrypto at auth.settings.bcrypt_cost
(auth.hash_password), and that hash is shared by every demo user — hashing 30,000 passwords would take minutes.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql
from tqdm import tqdm

from api.demo import checks
from api.demo.generator import SAMPLE_LOCALS, Dataset, Table
from api.demo.model import DEMO_PASSWORD, DEMO_SLUG_PREFIX, SampleAccount

LOCK = "campus.demo"
PROGRESS_STEP = 2_000  # rows between progress-bar updates (updating per row costs more than the COPY)
# Children before parents, for --replace.
DELETE_ORDER = (
    "app.notifications", "app.submission_comments", "app.writing_sessions", "app.document_versions",
    "app.document_collaborators", "app.documents", "app.submission_collaborators", "app.assignment_submissions",
    "app.assignments", "app.assignment_templates", "app.course_enrollments", "app.courses",
)  # fmt: skip


class DemoError(RuntimeError):
    """A one-line failure of `campus demo`."""


class DemoExistsError(DemoError):
    pass


@dataclass
class LoadReport:
    scale: str
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    replaced: bool = False
    accounts: list[SampleAccount] = field(default_factory=list)


def demo_institutions(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select id::text from app.institutions where starts_with(slug, %s) order by slug", [DEMO_SLUG_PREFIX]
    ).fetchall()
    return [r[0] for r in rows]


def sample_accounts(conn: psycopg.Connection) -> list[SampleAccount]:
    """The sample accounts of the loaded demo (fixed addresses in its first institution), as they are stored."""
    found = conn.execute(
        """select u.email, p.role::text, btrim(p.first_name || ' ' || p.last_name), i.name, split_part(u.email, '@', 1)
             from app.institutions i join app.profiles p on p.institution_id = i.id
             join auth.users u on u.id = p.user_id
            where starts_with(i.slug, %s) and split_part(u.email, '@', 1) = any(%s)
              and split_part(u.email, '@', 2) = substr(i.slug, length(%s) + 1) || '.example'
            order by i.slug""",
        [DEMO_SLUG_PREFIX, [local for local, _ in SAMPLE_LOCALS], DEMO_SLUG_PREFIX],
    ).fetchall()
    first = found[0][3] if found else None
    by_local = {local: (email, role, name, inst) for email, role, name, inst, local in found if inst == first}
    return [
        SampleAccount(by_local[local][1], by_local[local][0], DEMO_PASSWORD, by_local[local][2], by_local[local][3])
        for local, _ in SAMPLE_LOCALS
        if local in by_local
    ]


def load(url: str, scale: str = "small", seed: int = 1, replace: bool = False, progress: bool = True) -> LoadReport:
    """Generate and load the demo; DemoExistsError when demo data is already there (unless replace)."""
    started = time.perf_counter()
    report = LoadReport(scale, seed)
    with psycopg.connect(url) as conn:
        _refuse_early(conn, replace)
        data = Dataset(scale, seed)
        with conn.transaction():
            conn.execute("select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(%s))", [LOCK])
            existing = demo_institutions(conn)
            if existing and not replace:
                raise DemoExistsError(_exists_message(len(existing)))
            if existing:
                _delete(conn, existing, progress)
                report.replaced = True
            _require_superuser(conn)
            _create_partitions(conn, data)
            password_hash = conn.execute("select auth.hash_password(%s)", [DEMO_PASSWORD]).fetchone()[0]
            tables = data.tables(password_hash)
            for table in tables:
                report.seconds[table.name], report.rows[table.name] = _copy(conn, table, progress)
            conn.execute("set local session_replication_role = origin")
            found = checks.problems(conn, [i.id for i in data.institutions], [t.name for t in tables if not t.triggers])
            if found:
                raise DemoError("the generated demo data is incoherent (nothing was loaded): " + "; ".join(found))
        conn.autocommit = True
        for table in tables:  # fresh statistics, so the first queries get good plans
            conn.execute(sql.SQL("analyze {}").format(sql.Identifier(*table.name.split("."))))
        report.accounts = data.sample_accounts()
    report.total_seconds = time.perf_counter() - started
    return report


def ensure_demo(url: str, progress: bool = False) -> list[SampleAccount]:
    """For `campus serve --demo`: load the small demo unless demo data is there; the accounts to sign in with."""
    with psycopg.connect(url) as conn:
        if demo_institutions(conn):
            return sample_accounts(conn)
    try:
        return load(url, "small", progress=progress).accounts
    except DemoExistsError:  # another process loaded it meanwhile
        with psycopg.connect(url) as conn:
            return sample_accounts(conn)


def _exists_message(count: int) -> str:
    return (
        f"demo data is already loaded ({count} demo institution(s), slugs {DEMO_SLUG_PREFIX}*); "
        "use --replace to delete it and load again"
    )


def _refuse_early(conn: psycopg.Connection, replace: bool) -> None:
    """Fail before spending time on generation (the transaction checks again under the lock)."""
    if not replace and (existing := demo_institutions(conn)):
        raise DemoExistsError(_exists_message(len(existing)))
    conn.rollback()


def _require_superuser(conn: psycopg.Connection) -> None:
    row = conn.execute("select rolsuper from pg_catalog.pg_roles where rolname = current_user").fetchone()
    if not (row and row[0]):
        raise DemoError(
            "loading demo data needs a superuser connection (it sets session_replication_role); "
            "use the embedded cluster or a DATABASE_URL of a superuser"
        )


def _create_partitions(conn: psycopg.Connection, data: Dataset) -> None:
    """Monthly writing_sessions partitions back to the oldest session (else rows land in the default one)."""
    if conn.execute("select to_regprocedure('app.create_writing_session_partitions(integer, integer)')").fetchone()[0]:
        oldest, now = data.earliest_session(), dt.datetime.now(dt.UTC)
        months_back = (now.year - oldest.year) * 12 + now.month - oldest.month
        conn.execute("select app.create_writing_session_partitions(2, %s)", [min(max(months_back, 0), 120)])


def _copy(conn: psycopg.Connection, table: Table, progress: bool) -> tuple[float, int]:
    started = time.perf_counter()
    role = "origin" if table.triggers else "replica"
    conn.execute(sql.SQL("set local session_replication_role = {}").format(sql.SQL(role)))
    statement = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(*table.name.split(".")), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    count = 0
    bar = tqdm(total=table.count, desc=f"{table.name:<28}", unit="row", unit_scale=True, file=sys.stderr,
               disable=not progress, mininterval=0.5, dynamic_ncols=True)  # fmt: skip
    with bar, conn.cursor() as cur, cur.copy(statement) as copy:
        for row in table.rows():
            copy.write_row(row)
            count += 1
            if count % PROGRESS_STEP == 0:
                bar.update(PROGRESS_STEP)
        bar.update(count % PROGRESS_STEP)
    if count != table.count:
        raise DemoError(f"{table.name}: generated {count} rows, planned {table.count}")
    return time.perf_counter() - started, count


def _delete(conn: psycopg.Connection, institution_ids: list[str], progress: bool) -> None:
    """Remove the demo data with every trigger and foreign key on (cascades and seat counts stay right)."""
    conn.execute("set local session_replication_role = origin")
    steps = [*DELETE_ORDER, "auth.users", "app.institutions"]
    for name in tqdm(steps, desc="removing the old demo", unit="table", file=sys.stderr, disable=not progress):
        target = sql.Identifier(*name.split("."))
        if name == "auth.users":
            query = sql.SQL(
                "delete from auth.users u using app.profiles p where p.user_id = u.id and p.institution_id = any(%s)"
            )
        elif name == "app.institutions":
            query = sql.SQL("delete from {} where id = any(%s)").format(target)
        else:
            query = sql.SQL("delete from {} where institution_id = any(%s)").format(target)
        conn.execute(query, [institution_ids])
