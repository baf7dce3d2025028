"""`campus demo`: the small demo loads into a migrated database, coherent by the database's own rules."""

from __future__ import annotations

import argparse
import datetime as dt

import psycopg
import pytest

from api.config import Settings
from api.demo import DEMO_PASSWORD, DemoExistsError, ensure_demo, load
from api.demo.checks import problems
from api.demo.commands import add_demo_parser
from api.demo.generator import Dataset
from api.demo.load import LoadReport

REPLICA_LOADED = [
    "app.course_enrollments", "app.assignments", "app.assignment_submissions", "app.submission_collaborators",
    "app.documents", "app.document_collaborators", "app.document_versions", "app.writing_sessions",
    "app.submission_comments", "app.notifications",
]  # fmt: skip


@pytest.fixture
def loaded(database_url: str) -> LoadReport:
    return load(database_url, "small", seed=1, progress=False)


@pytest.fixture
def conn(database_url: str, loaded: LoadReport):
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


def _count(conn: psycopg.Connection, query: str, params: object = None) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def test_small_loads_in_the_expected_ranges(loaded: LoadReport, conn: psycopg.Connection) -> None:
    expected = {
        "app.institutions": (2, 2),
        "auth.users": (200, 200),
        "app.profiles": (200, 200),
        "app.courses": (10, 10),
        "app.assignment_templates": (16, 16),
        "app.course_enrollments": (150, 450),
        "app.assignments": (35, 70),
        "app.assignment_submissions": (400, 1_500),
        "app.documents": (350, 1_500),
        "app.document_versions": (700, 6_000),
        "app.writing_sessions": (700, 6_000),
        "app.submission_comments": (100, 3_000),
        "app.notifications": (300, 4_000),
    }
    for table, (low, high) in expected.items():
        stored = _count(conn, f"select count(*) from {table}")  # table names are constants above
        assert stored == loaded.rows[table], table
        assert low <= stored <= high, (table, stored)
    assert loaded.total_seconds < 60


def test_people_roles_and_institutions(conn: psycopg.Connection) -> None:
    assert _count(conn, "select count(*) from app.institutions where self_signup") == 1
    by_role = dict(conn.execute("select role::text, count(*) from app.profiles group by role").fetchall())
    assert by_role["admin"] == 6  # three per institution
    assert 0.04 <= by_role["educator"] / 200 <= 0.07
    assert _count(conn, "select count(*) from app.assignment_templates where is_public") >= 1
    assert _count(conn, "select count(*) from app.assignments where template_id is not null") >= 1
    assert _count(conn, "select count(distinct status) from app.assignment_submissions") == 5
    assert _count(conn, "select count(*) from app.writing_sessions_default") == 0  # monthly partitions made first


def test_the_data_is_coherent(conn: psycopg.Connection) -> None:
    demo = [r[0] for r in conn.execute("select id::text from app.institutions").fetchall()]
    assert problems(conn, demo, REPLICA_LOADED) == []
    over_capacity = """select count(*) from app.courses c
                        where c.enrolled_count > c.max_students or c.enrolled_count <>
                              (select count(*) from app.course_enrollments e
                                where e.course_id = c.id and e.status = 'active')"""
    assert _count(conn, over_capacity) == 0
    outside_course = """select count(*) from app.assignment_submissions s
                          join app.assignments a on a.id = s.assignment_id
                         where not exists (select from app.course_enrollments e
                                            where e.course_id = a.course_id and e.student_id = s.author_id)"""
    assert _count(conn, outside_course) == 0
    misnumbered = """select count(*) from (select document_id from app.document_versions group by document_id
                      having min(version_number) <> 1 or max(version_number) <> count(*)) v"""
    assert _count(conn, misnumbered) == 0
    for table in ("app.assignment_templates", "app.assignments"):
        weights = f"""select count(*) from {table} t
                       where (select sum((o ->> 'weight')::numeric) from jsonb_array_elements(t.learning_objectives) o)
                             is distinct from 100"""
        assert _count(conn, weights) == 0, table
    usage = """select count(*) from app.assignment_templates t
                where usage_count <> (select count(*) from app.assignments a where a.template_id = t.id)"""
    assert _count(conn, usage) == 0


def test_the_triggers_carry_on_from_the_loaded_data(conn: psycopg.Connection) -> None:
    """Loading with triggers off left what they maintain in a state they continue from."""
    doc, version = conn.execute("select id, current_version from app.documents limit 1").fetchone()
    conn.execute("update app.documents set content = content || ' One more sentence.' where id = %s", [doc])
    assert _count(conn, "select max(version_number) from app.document_versions where document_id = %s", [doc]) == (
        version + 1
    )
    course, institution, free = conn.execute(
        "select id, institution_id, max_students - enrolled_count from app.courses where status = 'active' "
        "order by 3 limit 1"
    ).fetchone()
    outsiders = conn.execute(
        """select p.user_id from app.profiles p join app.courses c on c.institution_id = p.institution_id
            where c.id = %s and p.role = 'student'
              and not exists (select from app.course_enrollments e
                               where e.course_id = c.id and e.student_id = p.user_id)
            limit %s""",
        [course, free + 1],
    ).fetchall()
    assert len(outsiders) == free + 1
    enrol = "insert into app.course_enrollments (institution_id, course_id, student_id) values (%s, %s, %s)"
    with pytest.raises(psycopg.Error, match="is full"), conn.transaction():
        for (student,) in outsiders:
            conn.execute(enrol, [institution, course, student])


def test_the_sample_accounts_sign_in(loaded: LoadReport, conn: psycopg.Connection) -> None:
    roles = [account.role for account in loaded.accounts]
    assert roles == ["admin", "educator", "student", "student"]
    for account in loaded.accounts:
        assert account.password == DEMO_PASSWORD
        outcome = conn.execute(
            "select auth.sign_in_password(%s, %s, null, null)", [account.email, account.password]
        ).fetchone()[0]
        assert outcome["outcome"] == "ok", account
        assert outcome["user"]["app_metadata"]["role"] == account.role
    educator, student = loaded.accounts[1], loaded.accounts[2]
    shared = """select count(*) from app.course_enrollments e join app.courses c on c.id = e.course_id
                 join auth.users s on s.id = e.student_id join auth.users t on t.id = c.instructor_id
                where s.email = %s and t.email = %s and e.status = 'active'"""
    assert _count(conn, shared, [student.email, educator.email]) == 1  # the samples meet in one course


def test_one_hash_for_every_demo_user(conn: psycopg.Connection) -> None:
    assert _count(conn, "select count(distinct encrypted_password) from auth.users") == 1
    cost = _count(conn, "select bcrypt_cost from auth.settings")
    assert _count(conn, "select substr(min(encrypted_password), 5, 2)::int from auth.users") == cost


def test_loading_twice_is_refused_unless_replace(database_url: str, loaded: LoadReport) -> None:
    with pytest.raises(DemoExistsError, match="--replace"):
        load(database_url, "small", progress=False)
    again = load(database_url, "small", seed=2, replace=True, progress=False)
    assert again.replaced
    with psycopg.connect(database_url) as conn:
        assert _count(conn, "select count(*) from auth.users") == 200
        assert _count(conn, "select count(*) from app.institutions") == 2
        assert _count(conn, "select count(*) from app.writing_sessions") == again.rows["app.writing_sessions"]
        stored = {r[0] for r in conn.execute("select id::text from auth.users").fetchall()}
    assert stored == {p.id for p in Dataset("small", 2).people}


def test_same_seed_same_data() -> None:
    anchor = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    first, second, other = Dataset("small", 7, anchor), Dataset("small", 7, anchor), Dataset("small", 8, anchor)
    assert [(p.id, p.email) for p in first.people] == [(p.id, p.email) for p in second.people]
    assert [c.id for c in first.courses] == [c.id for c in second.courses]
    assert [s.id for s in first.submissions] == [s.id for s in second.submissions]
    rows = [list(t.rows()) for t in first.tables("hash")]
    assert rows == [list(t.rows()) for t in second.tables("hash")]
    assert {p.id for p in first.people}.isdisjoint(p.id for p in other.people)
    assert first.sample_accounts() == second.sample_accounts()


def test_loaded_ids_are_the_generated_ones(loaded: LoadReport, conn: psycopg.Connection) -> None:
    generated = {(p.id, p.email) for p in Dataset("small", 1).people}
    assert {(r[0], r[1]) for r in conn.execute("select id::text, email from auth.users").fetchall()} == generated


def test_ensure_demo_loads_once(database_url: str) -> None:
    accounts = ensure_demo(database_url)
    assert [a.email for a in accounts] == [
        "admin@northfield.example",
        "educator@northfield.example",
        "student@northfield.example",
        "student2@northfield.example",
    ]
    assert ensure_demo(database_url) == accounts  # already there: nothing loaded, same accounts


def test_the_checks_notice_broken_data(conn: psycopg.Connection) -> None:
    demo = [r[0] for r in conn.execute("select id::text from app.institutions").fetchall()]
    with conn.transaction(force_rollback=True):
        conn.execute("set local session_replication_role = replica")
        conn.execute("update app.writing_sessions set document_id = gen_random_uuid() where id in "
                     "(select id from app.writing_sessions limit 1)")  # fmt: skip
        conn.execute("update app.courses set enrolled_count = max_students + 1 where id in "
                     "(select id from app.courses limit 1)")  # fmt: skip
        found = problems(conn, demo, ["app.writing_sessions"])
    assert len(found) == 2
    assert "writing_sessions_document_id_institution_id_fkey" in found[0]
    assert "enrolled_count" in found[1]


def test_the_command(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="campus")
    add_demo_parser(parser.add_subparsers(dest="command", required=True))
    settings = Settings(database_url=database_url, data_dir=Settings.from_env().data_dir)
    args = parser.parse_args(["demo", "load", "--scale", "small", "--no-progress"])
    assert args.handler(args, settings) == 0
    out = capsys.readouterr().out
    assert "loaded the small demo (seed 1)" in out
    assert "educator@northfield.example" in out and DEMO_PASSWORD in out
    args = parser.parse_args(["demo", "accounts"])
    assert args.handler(args, settings) == 0
    assert "student2@northfield.example" in capsys.readouterr().out
    with pytest.raises(DemoExistsError):
        args = parser.parse_args(["demo", "load"])
        args.handler(args, settings)
