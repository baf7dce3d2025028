"""The writing platform's MongoDB data through `campus import mongo --institution` with the shipped
mapping: everything imported or quarantined with a reason, relationships kept, passwords still work,
re-runs idempotent, --dry-run and --since, and `campus import verify`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import bson
import psycopg
import pytest
from test_commands import campus_import
from writing_data import (
    BEN_PASSWORD,
    COLLECTIONS,
    EXPECTED_IMPORTED,
    EXPECTED_REJECTED,
    LATER,
    oid,
    u,
    users,
    write_dump,
    write_export,
)

from api.importer.ids import legacy_uuid


@pytest.fixture
def writing_url(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("insert into app.institutions (slug, name) values ('riverside', 'Riverside College')")
    return database_url


def _run(url: str, source: Path, quarantine: Path, capsys, *extra: str) -> tuple[int, dict]:
    code = campus_import(
        url, "mongo", str(source), "--institution", "riverside", "--quarantine", str(quarantine),
        "--no-progress", "--allow-rejects", "--json", *extra,
    )  # fmt: skip
    return code, json.loads(capsys.readouterr().out)


def _new_rows(report: dict) -> int:
    return sum(t["new"] for c in report["collections"] for t in c["tables"].values())


TABLES = (
    "auth.users",
    "app.profiles",
    "app.courses",
    "app.course_enrollments",
    "app.assignment_templates",
    "app.assignments",
    "app.assignment_submissions",
    "app.submission_collaborators",
    "app.documents",
    "app.document_collaborators",
    "app.document_versions",
    "app.writing_sessions",
    "app.notifications",
    "audit.changes",
)


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table the import writes (and the audit log), ordered: equal means unchanged."""
    with psycopg.connect(url) as conn:
        return {table: conn.execute(f"select t::text from {table} t order by 1").fetchall() for table in TABLES}


SOURCES = {  # layout → (writer, extra arguments)
    "mongodump": (write_dump, ()),
    "mongoexport-relaxed": (write_export, ()),
    "mongoexport-canonical": (lambda root: write_export(root, "canonical"), ("--jobs", "2")),
    "mongoexport-jsonarray": (lambda root: write_export(root, "relaxed", array=True), ("--jobs", "2")),
}


@pytest.mark.parametrize("layout", list(SOURCES))
def test_import_the_writing_platform(writing_url: str, tmp_path: Path, layout: str, capsys) -> None:
    writer, extra = SOURCES[layout]
    source = writer(tmp_path / "source")
    quarantine = tmp_path / "q.jsonl"
    code, report = _run(writing_url, source, quarantine, capsys, *extra)
    assert code == 0, report
    collections = {c["collection"]: c for c in report["collections"]}
    assert set(collections) == set(COLLECTIONS) and not report["unmapped"]
    for name, build in COLLECTIONS.items():
        counts = collections[name]
        assert counts["documents"] == len(build()), name
        assert counts["balanced"], counts
        assert counts["imported"] == EXPECTED_IMPORTED[name], (name, counts, report["rejects"].get(name))
        assert counts["rejected"] == len(EXPECTED_REJECTED[name]), (name, report["rejects"].get(name))

    # every rejected document is in the quarantine with its reason
    lines = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert len(lines) == sum(len(v) for v in EXPECTED_REJECTED.values())
    for name, pieces in EXPECTED_REJECTED.items():
        reasons = " | ".join(line["reason"] for line in lines if line["collection"] == name)
        for piece in pieces:
            assert piece in reasons, (name, piece, reasons)
    assert all(line["document"] is not None for line in lines)

    with psycopg.connect(writing_url) as conn:
        institution = conn.execute("select id from app.institutions where slug = 'riverside'").fetchone()[0]

        def one(query: str, *params: object) -> tuple:
            return conn.execute(query, params).fetchone()

        # users: e-mail normalised, hash kept ($2b$ → $2a$), roles mapped, confirmation from isVerified
        ada = one(
            "select u.id, u.email, u.encrypted_password, u.email_confirmed_at is not null, p.role, p.institution_id, "
            "u.legacy_id from auth.users u join app.profiles p on p.user_id = u.id where u.legacy_id = %s",
            str(u(1)),
        )
        assert str(ada[0]) == legacy_uuid("users", u(1))
        assert ada[1:] == ("prof.ada@riverside.edu", ada[2], True, "educator", institution, str(u(1)))
        assert ada[2].startswith("$2a$04$")
        ben = one(
            "select u.encrypted_password, u.email_confirmed_at, p.bio, u.user_metadata ->> 'avatar', p.last_name "
            "from auth.users u join app.profiles p on p.user_id = u.id where u.email = 'ben@riverside.edu'"
        )
        assert ben[0].startswith("$2a$04$QMhD") and ben[1].isoformat() == "2024-01-11T08:00:00+00:00"
        assert ben[2:] == ("Ünïcødé ✍️ writer", "/uploads/ben.png", "Ünal")
        chloe = one(
            "select u.email_confirmed_at, u.encrypted_password, p.role, u.created_at from auth.users u "
            "join app.profiles p on p.user_id = u.id where u.email = 'chloe@riverside.edu'"
        )
        assert chloe[:3] == (None, None, "student") and chloe[3].isoformat() == "2024-01-11T10:00:00+00:00"
        dev_created = one("select created_at from auth.users where email = 'dev@riverside.edu'")[0]
        assert dev_created == u(4).generation_time  # created_at from the ObjectId

        # the student signs in with the old password
        outcome = one("select auth.sign_in_password('Ben@Riverside.edu', %s, null, null)", BEN_PASSWORD)[0]
        assert outcome["outcome"] == "ok", outcome

        # enrolments from students[]: distinct, the ghost skipped; a completed course's are completed
        course1 = legacy_uuid("courses", oid("courses", 1))
        enrolled = conn.execute(
            "select student_id::text, status from app.course_enrollments where course_id = %s order by 1", [course1]
        ).fetchall()
        assert sorted(enrolled) == sorted((legacy_uuid("users", u(n)), "active") for n in (2, 3, 4))
        assert one("select enrolled_count, enrollment_code, max_students from app.courses where id = %s", course1) == (
            3,
            "AWR101X",
            25,
        )
        course2 = one(
            "select c.enrollment_code, c.status, c.is_active, e.status from app.courses c "
            "join app.course_enrollments e on e.course_id = c.id where c.legacy_id = %s",
            str(oid("courses", 2)),
        )
        assert course2 == (str(oid("courses", 2))[8:].upper(), "completed", False, "completed")

        # templates and assignments: JSONB groups, usage counted from the imported assignments
        template = one(
            "select usage_count, requirements -> 'maxWords', learning_objectives -> 1 -> 'weight', "
            "writing_stages -> 0 -> 'aiAssistance' -> 'allowedActions' from app.assignment_templates"
        )
        assert template == (2, 1500, 40, ["outline"])
        rows = conn.execute(
            "select a.legacy_id, a.course_id = c.id, a.template_id is not null, a.status, a.due_at, a.instructions "
            "from app.assignments a join app.courses c on c.id = a.course_id order by a.legacy_id"
        ).fetchall()
        assert [(r[0], r[2], r[3]) for r in rows] == [
            (str(oid("assignments", 1)), True, "published"),
            (str(oid("assignments", 2)), False, "draft"),
            (str(oid("courseassignments", 1)), True, "published"),
        ]
        assert rows[2][4].isoformat() == "2024-05-01T00:00:00+00:00" and rows[2][5].startswith("Use a short story")

        # a historical graded submission, its grade exact; collaborators as rows
        graded = one(
            "select status, grade::text, graded_by::text, graded_at, submitted_at, word_count, "
            "analytics -> 'timeSpent', ai_interactions -> 0 ->> 'at' from app.assignment_submissions "
            "where legacy_id = %s",
            str(oid("assignmentsubmissions", 1)),
        )
        assert graded[:3] == ("graded", "87.50", legacy_uuid("users", u(1)))
        assert graded[3].isoformat() == "2024-02-03T10:00:00+00:00" and graded[5] == 8
        assert graded[6:] == (5400, "2024-01-10T09:30:00Z")
        collaborators = conn.execute(
            "select s.legacy_id, c.user_id::text, c.permission from app.submission_collaborators c "
            "join app.assignment_submissions s on s.id = c.submission_id order by 1, 2"
        ).fetchall()
        assert sorted(collaborators) == sorted(
            [
                (str(oid("assignmentsubmissions", 1)), legacy_uuid("users", u(3)), "edit"),
                (str(oid("assignmentsubmissions", 2)), legacy_uuid("users", u(4)), "edit"),
            ]
        )

        # documents: links rewritten (the ghost course dropped), collaborators, imported history only
        document = one(
            "select d.type, d.status, d.current_version, d.submission_id = s.id, d.updated_at, "
            "(select count(*) from app.document_collaborators c where c.document_id = d.id and c.permission = 'edit') "
            "from app.documents d join app.assignment_submissions s on s.legacy_id = %s where d.legacy_id = %s",
            str(oid("assignmentsubmissions", 1)),
            str(oid("documents", 1)),
        )
        assert document[:4] == ("draft", "submitted", 2, True) and document[5] == 1
        assert document[4].isoformat() == "2024-01-10T09:30:00+00:00"  # the version bookkeeping is no edit
        assert one(
            "select course_id, current_version from app.documents where legacy_id = %s", str(oid("documents", 2))
        ) == (
            None,
            1,
        )
        versions = conn.execute(
            "select d.legacy_id, v.version_number, v.words_added, v.words_removed, v.author_id is null, v.diff "
            "from app.document_versions v join app.documents d on d.id = v.document_id order by 1, 2"
        ).fetchall()
        assert versions == [
            (str(oid("documents", 1)), 1, 2, 0, False, "+School uniforms."),
            (str(oid("documents", 1)), 2, 2, 0, False, None),
            (str(oid("documents", 2)), 1, 0, 0, True, None),
        ]

        # writing sessions (the partition key in the key), notifications
        sessions = conn.execute(
            "select duration_seconds, words_added, words_removed, ended_at is null from app.writing_sessions "
            "order by started_at"
        ).fetchall()
        assert sorted(sessions, key=str) == sorted([(1800, 40, 3, False), (None, 0, 0, True)], key=str)
        notes = conn.execute(
            "select type, category, priority, status, read_at is not null, sender_id is null, action_required, "
            "context ->> 'courseId' from app.notifications order by type"
        ).fetchall()
        assert notes == [
            ("assignment_graded", "feedback", "high", "read", True, False, False, str(oid("courses", 1))),
            ("intervention", "writing", "normal", "unread", False, True, True, None),
        ]
        assert one("select count(*) from app.profiles where institution_id <> %s", institution) == (0,)

    # a second run adds nothing and changes nothing, and quarantines the same documents again
    before, first_quarantine = snapshot(writing_url), quarantine.read_text()
    code, again = _run(writing_url, source, quarantine, capsys, *extra)
    assert code == 0 and _new_rows(again) == 0, again
    assert all(c["balanced"] for c in again["collections"])
    changed = {
        table: (counts["updated"], counts["differs"], counts["deleted"])
        for collection in again["collections"]
        for table, counts in collection["tables"].items()
        if counts["updated"] or counts["differs"] or counts["deleted"]
    }
    assert changed == {"auth.users": (0, 1, 0)}  # Ben signed in since (last_sign_in_at): reported, kept
    assert snapshot(writing_url) == before
    assert sorted(quarantine.read_text().splitlines()) == sorted(first_quarantine.splitlines())


def test_dry_run_since_and_verify(writing_url: str, tmp_path: Path, capsys) -> None:
    dump = write_dump(tmp_path / "dump")
    quarantine = tmp_path / "q.jsonl"

    empty = snapshot(writing_url)
    code, dry = _run(writing_url, dump, quarantine, capsys, "--dry-run")
    assert code == 0 and dry["dry_run"] and _new_rows(dry) > 0
    assert sum(c["rejected"] for c in dry["collections"]) == sum(len(v) for v in EXPECTED_REJECTED.values())
    assert snapshot(writing_url) == empty and not any(empty.values())  # validated through the database, rolled back

    code, _ = _run(writing_url, dump, quarantine, capsys)
    assert code == 0
    full_quarantine = quarantine.read_text()

    # --since: only what changed since then is read again (an `updatedAt`, else the ObjectId's time):
    # Eve changed her e-mail and name, and a new user signed up; the rest is skipped and kept as it is
    before = snapshot(writing_url)
    people = users()
    eve = next(document for document in people if document["email"] == "eve@riverside.edu")
    eve.update(email="eve.new@riverside.edu", firstName="Eva", updatedAt=LATER + dt.timedelta(days=1))
    newcomer = oid("users", 8, seconds=1_720_000_000)  # created 2024-07-03
    people.append({"_id": newcomer, "email": "fay@riverside.edu", "role": "student", "firstName": "Fay"})
    (dump / "writing" / "users.bson").write_bytes(b"".join(bson.encode(document) for document in people))
    code, delta = _run(writing_url, dump, quarantine, capsys, "--since", "2024-03-01T00:00:00Z")
    assert code == 0, delta
    collections = {c["collection"]: c for c in delta["collections"]}
    assert (collections["users"]["documents"], collections["users"]["skipped"]) == (8, 6)
    assert collections["users"]["imported"] == 2 and collections["users"]["rejected"] == 0
    for table in ("auth.users", "app.profiles"):
        counts = collections["users"]["tables"][table]
        assert (counts["new"], counts["updated"]) == (1, 1), (table, counts)
    assert all(c["skipped"] == c["documents"] for name, c in collections.items() if name != "users")
    after = snapshot(writing_url)
    assert {table for table in TABLES if after[table] != before[table]} == {"auth.users", "app.profiles"}
    with psycopg.connect(writing_url) as conn:
        assert conn.execute(
            "select u.email, p.first_name from auth.users u join app.profiles p on p.user_id = u.id "
            "where u.legacy_id in (%s, %s) order by u.email",
            [str(u(7)), str(newcomer)],
        ).fetchall() == [("eve.new@riverside.edu", "Eva"), ("fay@riverside.edu", "Fay")]
    # a delta run adds to the quarantine: the documents it skipped were judged by the full run
    assert quarantine.read_text() == full_quarantine

    # verify: checksums match everywhere; the planted dangling references are reported
    quarantine_args = ["--quarantine", str(quarantine), "--institution", "riverside"]
    code = campus_import(writing_url, "verify", str(dump), *quarantine_args, "--json", "--sample", "50")
    verified = json.loads(capsys.readouterr().out)
    checks = {(t["collection"], t["table"]): t for t in verified["tables"]}
    for check in checks.values():
        assert check["checksum_source"] == check["checksum_target"], check
        assert check["missing"] == 0 and check["extra"] == 0 and not check["mismatches"], check
        assert not any(check["orphans"].values()), check
    assert checks["courses", "app.course_enrollments"]["dangling"] == {"student_id": 1}
    assert checks["assignmentsubmissions", "app.submission_collaborators"]["dangling"] == {"user_id": 1}
    assert checks["documents", "app.documents"]["dangling"] == {"course_id": 1}
    assert checks["documentversions", "app.document_versions"]["dangling"] == {"author_id": 1}
    assert checks["notifications", "app.notifications"]["dangling"] == {"sender_id": 1}
    assert checks["users", "auth.users"]["rejected"] == 2 and checks["users", "auth.users"]["expected"] == 6
    assert code == 0 and verified["ok"]

    code = campus_import(writing_url, "verify", str(dump), *quarantine_args)
    text = capsys.readouterr().out
    assert code == 0
    assert "dangling in the source, app.course_enrollments.student_id: 1" in text
    assert legacy_uuid("users", u(999)) in text


def test_institution_is_required(writing_url: str, tmp_path: Path) -> None:
    dump = str(write_dump(tmp_path / "dump"))
    assert campus_import(writing_url, "mongo", dump, "--no-progress") == 1
    assert campus_import(writing_url, "mongo", dump, "--institution", "nowhere", "--no-progress") == 1


def test_other_collection_names(writing_url: str, tmp_path: Path, capsys) -> None:
    """A database whose collections are named otherwise: --name SOURCE=COLLECTION (or a mapping's
    [names] table) reads them as the mapping's collections."""
    dump = write_dump(tmp_path / "dump")
    database = dump / "writing"
    for suffix in (".bson", ".metadata.json"):
        (database / f"users{suffix}").rename(database / f"accounts{suffix}")
    metadata = json.loads((database / "accounts.metadata.json").read_text())
    (database / "accounts.metadata.json").write_text(json.dumps({**metadata, "collectionName": "accounts"}))
    code, report = _run(writing_url, dump, tmp_path / "q.jsonl", capsys)
    assert report["unmapped"] == {"accounts": [str(database / "accounts.bson")]} and "users" in report["unsourced"]
    code, report = _run(writing_url, dump, tmp_path / "q.jsonl", capsys, "--name", "accounts=users")
    users = next(c for c in report["collections"] if c["collection"] == "users")
    assert code == 0 and users["imported"] == EXPECTED_IMPORTED["users"] and not report["unmapped"]
