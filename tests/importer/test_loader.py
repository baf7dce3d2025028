"""The generic loader against real PostgreSQL: every document imported or quarantined, re-runs
change nothing, --dry-run writes nothing, --since picks up only what changed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import bson
import psycopg
import pytest
from desk_data import COLLECTIONS, EXPECTED_IMPORTED, EXPECTED_REJECTED, oid, write_dump, write_export

from api.importer.loader import ImportReport, Loader
from api.importer.quarantine import Quarantine, read_quarantine
from api.importer.sources import discover

TABLES = ["desk.companies", "desk.contacts", "desk.tickets", "desk.comments", "desk.ticket_tags"]


def run(conn, mapping, facts, source: Path, quarantine: Path, **options) -> ImportReport:
    with Quarantine(quarantine) as sink:
        return Loader(conn, mapping, facts, sink, progress=False, **options).run(discover([source]))


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """Every row of every table, ordered: equal snapshots mean nothing changed."""
    return {table: conn.execute(f"select t::text from {table} t order by 1").fetchall() for table in TABLES}


def by_name(report: ImportReport):
    return {collection.collection: collection for collection in report.collections}


def test_dump_everything_imported_or_quarantined(conn, mapping, facts, tmp_path: Path) -> None:
    quarantine = tmp_path / "q.jsonl"
    report = run(conn, mapping, facts, write_dump(tmp_path / "dump"), quarantine)
    collections = by_name(report)
    assert [c.collection for c in report.collections] == ["companies", "contacts", "tickets"]  # dependency order
    entries = list(read_quarantine(quarantine))
    for name, build in COLLECTIONS.items():
        collection = collections[name]
        assert collection.documents == len(build())
        assert collection.balanced, collection
        assert collection.imported == EXPECTED_IMPORTED[name]
        assert collection.rejected == len(build()) - EXPECTED_IMPORTED[name]
        reasons = [entry["reason"] for entry in entries if entry["collection"] == name]
        assert len(reasons) == collection.rejected
        for expected in EXPECTED_REJECTED[name]:
            assert any(expected in reason for reason in reasons), (expected, reasons)
    counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    assert counts == {
        "desk.companies": 3,
        "desk.contacts": 4,
        "desk.tickets": 2,
        "desk.comments": 3,
        "desk.ticket_tags": 2,
    }
    # quarantined documents keep their types (relaxed Extended JSON) and their position
    platinum = next(e for e in entries if "companies_plan_check" in e["reason"])
    assert platinum["_id"] == {"$oid": str(oid(6))} and platinum["source"]["index"] == 5
    decoded = bson.json_util.loads(json.dumps(next(e for e in entries if "employees" in e["reason"])["document"]))
    assert decoded["_id"] == oid(4)


def test_values_are_faithful(conn, mapping, facts, tmp_path: Path) -> None:
    run(conn, mapping, facts, write_dump(tmp_path / "dump"), tmp_path / "q.jsonl")
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            "select legacy_id, name, revenue, employees, founded, meta, created_at from desk.companies"
        )
    }
    acme = rows[str(oid(1))]
    assert acme[0] == "Acme" and str(acme[1]) == "1234567.89" and acme[2] == 120
    assert acme[3] == dt.datetime(1999, 4, 1, tzinfo=dt.UTC)
    assert acme[4] == {"regions": [["eu", "us"], ["apac"]], "owner": str(oid(900))}
    books = rows[str(oid(2))]
    assert books[0] == "Bücher & Söhne 📚" and books[2] == 42
    assert books[3] == dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # seconds epoch
    assert books[4] == {"score": 0.1, "big": "12345678901234567890.123"}
    assert books[5] == oid(2).generation_time  # created_at from the ObjectId
    assert rows[str(oid(3))][3] == dt.datetime(2010, 1, 1, tzinfo=dt.UTC)  # milliseconds epoch
    bob = conn.execute("select tags, vip, company_id::text from desk.contacts where email = 'bob@acme.test'").fetchone()
    acme_id = conn.execute("select id::text from desk.companies where name = 'Acme'").fetchone()[0]
    assert bob == (["solo"], True, acme_id)
    zoe = conn.execute("select name, created_at from desk.contacts where email = 'zoë@bücher.test'").fetchone()
    assert zoe == ("Zoë Ünal", dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    tags = conn.execute("select tag from desk.ticket_tags order by tag").fetchall()
    assert tags == [("login",), ("urgent",)]  # the duplicate element is one row
    positions = conn.execute("select position, body from desk.comments order by body").fetchall()
    assert ("Still broken ✗" in [b for _, b in positions]) and {p for p, _ in positions} == {0, 1}


def test_second_run_changes_nothing(conn, mapping, facts, tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "dump")
    run(conn, mapping, facts, dump, tmp_path / "q1.jsonl")
    before = snapshot(conn)
    again = run(conn, mapping, facts, dump, tmp_path / "q2.jsonl")
    for collection in again.collections:
        assert collection.balanced
        for counts in collection.tables.values():
            assert counts.new == 0 and counts.updated == 0 and counts.differs == 0 and counts.deleted == 0
    assert snapshot(conn) == before
    # the same rejects, for the same reasons
    assert len(list(read_quarantine(tmp_path / "q2.jsonl"))) == len(list(read_quarantine(tmp_path / "q1.jsonl")))


def test_dry_run_writes_nothing(conn, mapping, facts, tmp_path: Path) -> None:
    report = run(conn, mapping, facts, write_dump(tmp_path / "dump"), tmp_path / "q.jsonl", dry_run=True)
    assert by_name(report)["tickets"].imported == 2  # validated all the way through the database…
    assert all(conn.execute(f"select count(*) from {t}").fetchone()[0] == 0 for t in TABLES)  # …and rolled back


@pytest.mark.parametrize("variant", ["relaxed", "canonical", "array"])
def test_mongoexport_gives_the_same_rows_as_the_dump(
    conn, mapping, facts, desk_url: str, tmp_path: Path, variant: str
) -> None:
    export = write_export(tmp_path / "export", "canonical" if variant == "canonical" else "relaxed", variant == "array")
    report = run(conn, mapping, facts, export, tmp_path / "q.jsonl")
    assert {c.collection: c.imported for c in report.collections} == EXPECTED_IMPORTED
    from_export = snapshot(conn)
    with conn.transaction():
        for table in reversed(TABLES):
            conn.execute(f"delete from {table}")
    run(conn, mapping, facts, write_dump(tmp_path / "dump"), tmp_path / "q2.jsonl")
    from_dump = snapshot(conn)
    for table in TABLES:
        if table in ("desk.companies",):  # created_at default now() is not in either; compare the rest
            continue
        assert from_export[table] == from_dump[table], table


def test_parallel_jobs_give_the_same_result(conn, mapping, facts, tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "dump")
    report = run(conn, mapping, facts, dump, tmp_path / "q.jsonl", jobs=2, chunk_size=2, batch_size=3)
    assert {c.collection: c.imported for c in report.collections} == EXPECTED_IMPORTED
    assert all(c.balanced for c in report.collections)


def test_since_picks_up_only_changed_documents(conn, mapping, facts, tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "dump")
    run(conn, mapping, facts, dump, tmp_path / "q.jsonl")
    later = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    tickets = COLLECTIONS["tickets"]()
    tickets[0].update(
        subject="Login fails (again)",
        updatedAt=later,
        tags=["login"],
        comments=[{"_id": oid(31), "author": oid(12), "body": "Try again?"}],
    )
    tickets.append({"_id": oid(26, 1_720_000_000), "contact": oid(11), "subject": "New one", "updatedAt": later})
    (tmp_path / "dump/desk/tickets.bson.gz").unlink()
    (tmp_path / "dump/desk/tickets.bson").write_bytes(b"".join(bson.encode(t) for t in tickets))
    report = run(conn, mapping, facts, dump, tmp_path / "q2.jsonl", since=dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
    collections = by_name(report)
    assert collections["companies"].skipped == 6  # no `updated` path: ObjectId time 2023 < since
    assert collections["contacts"].skipped == 7
    assert collections["tickets"].skipped == 4 and collections["tickets"].rejected == 0
    main = collections["tickets"].tables["desk.tickets"]
    assert (main.new, main.updated, main.unchanged) == (1, 1, 0)
    assert collections["tickets"].tables["desk.comments"].deleted == 1
    assert collections["tickets"].tables["desk.ticket_tags"].deleted == 1
    subject = conn.execute("select subject from desk.tickets where legacy_id = %s", [str(oid(21))]).fetchone()
    assert subject == ("Login fails (again)",)


def test_update_mode_reports_changed_rows(conn, mapping, facts, tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "dump", gzip_tickets=False)
    run(conn, mapping, facts, dump, tmp_path / "q.jsonl")
    conn.execute("update desk.companies set name = 'Renamed' where legacy_id = %s", [str(oid(1))])
    kept = by_name(run(conn, mapping, facts, dump, tmp_path / "q2.jsonl"))["companies"].tables["desk.companies"]
    assert (kept.new, kept.differs, kept.updated) == (0, 1, 0)
    updated = by_name(run(conn, mapping, facts, dump, tmp_path / "q3.jsonl", update=True))["companies"]
    counts = updated.tables["desk.companies"]
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 2) and updated.balanced
    assert conn.execute("select count(*) from desk.companies where name = 'Acme'").fetchone() == (1,)


PRECHECK_SCHEMA = """
create schema pre;
create table pre.teams (id uuid primary key, name text not null unique);
create table pre.people (id uuid primary key, legacy_id text unique, email text not null unique,
                         team_id uuid references pre.teams, age integer check (age >= 0));
"""
PRECHECK_MAPPING = {
    "schema": "pre",
    "collections": {
        "teams": {"table": "teams", "columns": {"id": {"type": "id", "path": "id"}, "name": "text"}},
        "people": {
            "table": "people",
            "columns": {
                "id": {"type": "id", "path": "id"},
                "legacy_id": {"type": "key", "path": "id"},
                "email": "text",
                "team_id": {"path": "team", "type": "ref", "collection": "teams"},
                "age": "int",
            },
        },
    },
}


def _people_source(directory: Path) -> Path:
    """Two teams (and one refused in the worker, one by the database), 40 people: a duplicate e-mail,
    two dangling teams, one of each refused team, a CHECK the bulk checks do not know."""
    directory.mkdir()
    teams = [{"id": 1, "name": "Red"}, {"id": 2, "name": "Blue"}, {"id": 3}, {"id": 4, "name": "Red"}]
    (directory / "teams.json").write_text(json.dumps(teams))
    people = [{"id": 100 + n, "email": f"p{n}@x.test", "team": 1 + n % 2, "age": 20} for n in range(40)]
    people[7]["email"] = people[3]["email"]  # a duplicate in the batch: the first one keeps it
    people[9]["team"] = people[12]["team"] = 99  # no such team
    people[20]["team"], people[21]["team"] = 3, 4  # teams that were refused
    people[30]["age"] = -1  # a CHECK: only the database knows it
    (directory / "people.json").write_text(json.dumps(people))
    return directory


def _check_people(conn: psycopg.Connection, report: ImportReport, quarantine: Path) -> None:
    """Whichever way they were found, the same documents refused for the same reasons."""
    teams, people = by_name(report)["teams"], by_name(report)["people"]
    assert (teams.imported, teams.rejected) == (2, 2) and teams.balanced
    assert (people.imported, people.rejected) == (34, 6) and people.balanced
    entries = {(entry["collection"], entry["_id"]): entry for entry in read_quarantine(quarantine)}
    assert entries["teams", 3]["kind"] == "name: missing required field"
    assert entries["teams", 4]["kind"] == "database: UniqueViolation (teams_name_key)"
    assert entries["people", 107]["kind"] == "database: UniqueViolation (people_email_key)"
    assert "Key (email)=(p3@x.test) already exists" in entries["people", 107]["reason"]
    for dangling in (109, 112, 120, 121):
        assert entries["people", dangling]["kind"] == "database: ForeignKeyViolation (people_team_id_fkey)"
        assert 'is not present in table "teams"' in entries["people", dangling]["reason"]
    assert entries["people", 130]["kind"] == "database: CheckViolation (people_age_check)"
    emails = conn.execute("select email from pre.people where legacy_id in ('103', '107')").fetchall()
    assert emails == [("p3@x.test",)]


@pytest.fixture
def counted(monkeypatch) -> list[tuple[str, str]]:
    """The loader's attempts at loading a batch: (table or collection, how)."""
    from api.importer import loader as loader_module

    attempts: list[tuple[str, str]] = []
    attempt, copy_direct = loader_module.Loader._attempt, loader_module.Loader._copy_direct

    def counting(self, collection, stages, batch, seqs, rejects, checked=False):
        attempts.append((collection.name, "checked" if checked else "staged"))
        return attempt(self, collection, stages, batch, seqs, rejects, checked)

    def counting_direct(self, stages, batch, seqs):
        attempts.append((stages[0].target.table, "direct"))
        return copy_direct(self, stages, batch, seqs)

    monkeypatch.setattr(loader_module.Loader, "_attempt", counting)
    monkeypatch.setattr(loader_module.Loader, "_copy_direct", counting_direct)
    return attempts


@pytest.fixture
def pre_conn(database_url: str):
    from api.importer.catalog import check_mapping
    from api.importer.mapping import parse_mapping

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(PRECHECK_SCHEMA.encode())
        mapping = parse_mapping(PRECHECK_MAPPING)
        yield conn, mapping, check_mapping(conn, mapping)


def test_first_import_copies_around_refused_documents(pre_conn, tmp_path: Path, counted) -> None:
    """A first import copies straight into the tables: a document the database refuses on a COPY line
    (a unique key, a CHECK) is quarantined and the rest copied again; documents pointing at a team
    that is not in its table go through the bulk checks on their own. No splitting."""
    conn, mapping, facts = pre_conn
    quarantine = tmp_path / "q.jsonl"
    report = run(conn, mapping, facts, _people_source(tmp_path / "seed"), quarantine)
    _check_people(conn, report, quarantine)
    assert counted == [
        ("teams", "direct"),  # refused on the line of team 4 (its name is taken)
        ("teams", "direct"),
        ("people", "direct"),  # refused on the line of 107 (its e-mail is taken)
        ("people", "direct"),  # refused on the line of 130 (the CHECK)
        ("people", "direct"),  # the 34 others
        ("people", "checked"),  # the 4 pointing at no team: refused by the bulk checks
    ], counted


@pytest.mark.parametrize("bulk_checks", [True, False])
def test_refused_documents_are_found_in_bulk_or_by_splitting(
    pre_conn, tmp_path: Path, monkeypatch, counted, bulk_checks: bool
) -> None:
    """Through the staging tables (the tables not empty: no direct COPY), duplicate e-mails and
    dangling foreign keys are found by one set of bulk checks after the first refusal; without them,
    by splitting the batch. Both give the same rows and reasons; a CHECK the bulk checks do not know
    is still found by splitting."""
    from api.importer import loader as loader_module

    conn, mapping, facts = pre_conn
    conn.execute("insert into pre.teams values (gen_random_uuid(), 'Green')")
    conn.execute("insert into pre.people (id, email) values (gen_random_uuid(), 'someone@x.test')")
    if not bulk_checks:
        monkeypatch.setattr(loader_module.precheck, "refusals", lambda cursor, stages, update: {})
    quarantine = tmp_path / "q.jsonl"
    report = run(conn, mapping, facts, _people_source(tmp_path / "seed"), quarantine)
    _check_people(conn, report, quarantine)
    tries = sum(1 for name, _ in counted if name == "people")
    # refused, then checked (the CHECK refuses it again), then split down to document 130
    assert counted[:2] == [("teams", "staged"), ("teams", "checked")], counted
    assert ("people", "staged") in counted and counted[-1][1] == "checked", counted
    if bulk_checks:
        assert tries < 20, counted
    else:
        assert tries > 20, counted


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_duplicate_key_across_batches_and_files_is_quarantined(pre_conn, tmp_path: Path, jobs: int) -> None:
    """A document repeating the key of an earlier one — in a later batch, or in another file of the
    same collection — is quarantined as a duplicate; the first one's row stays as it was, on a first
    import and on a re-run alike."""
    conn, mapping, facts = pre_conn
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "teams.json").write_text(json.dumps([{"id": 1, "name": "Red"}]))
    people = [{"id": 100 + n, "email": f"p{n}@x.test", "team": 1} for n in range(10)]
    people.append({"id": 102, "email": "again@x.test", "team": 1})  # a later batch than #2
    (first / "people.json").write_text(json.dumps(people))
    (second / "people.json").write_text(
        json.dumps([{"id": 105, "email": "other@x.test"}, {"id": 200, "email": "new@x.test"}])
    )
    runs = []
    for attempt in (1, 2):
        quarantine = tmp_path / f"q{attempt}.jsonl"
        with Quarantine(quarantine) as sink:
            loader = Loader(conn, mapping, facts, sink, progress=False, batch_size=4, chunk_size=2, jobs=jobs)
            report = loader.run(discover([first, second]))
        people_report = by_name(report)["people"]
        assert people_report.documents == 13 and people_report.rejected == 2 and people_report.balanced
        entries = sorted(read_quarantine(quarantine), key=lambda entry: entry["_id"])
        assert [(e["_id"], e["kind"]) for e in entries] == [
            (102, "duplicate key in the source"),
            (105, "duplicate key in the source"),
        ]
        assert entries[0]["document"]["email"] == "again@x.test" and entries[0]["source"]["index"] == 10
        assert "also document #2)" in entries[0]["reason"]
        assert f"also document #5 of {first / 'people.json'}" in entries[1]["reason"]
        runs.append(people_report.tables["pre.people"])
    assert runs[0].new == 11 and runs[1].new == 0 and runs[1].unchanged == 11 and runs[1].differs == 0
    emails = conn.execute("select legacy_id, email from pre.people where legacy_id in ('102', '105') order by 1")
    assert emails.fetchall() == [("102", "p2@x.test"), ("105", "p5@x.test")]
