"""`campus import json|mongo|verify` as the lead will wire them: exit codes, the report, verify."""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path

import bson
import psycopg
import pytest
from desk_data import COLLECTIONS, EXPECTED_IMPORTED, oid, write_dump, write_export

from api.cli import main as cli_main
from api.config import Settings
from api.importer.commands import add_import_parser


def campus_import(url: str, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="campus")
    add_import_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["import", *argv])
    return args.handler(args, Settings(database_url=url, data_dir=Path("/nonexistent")))


def test_exit_codes_and_verify(desk_url: str, mapping_file: Path, tmp_path: Path, capsys) -> None:
    dump = str(write_dump(tmp_path / "dump"))
    quarantine = str(tmp_path / "q.jsonl")
    common = ["--mapping", str(mapping_file), "--quarantine", quarantine]
    assert campus_import(desk_url, "mongo", dump, *common, "--no-progress") == 1  # rejects without --allow-rejects
    err = capsys.readouterr().err
    assert "document(s) rejected" in err
    assert campus_import(desk_url, "mongo", dump, *common, "--no-progress", "--allow-rejects", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert all(c["balanced"] for c in report["collections"])
    assert all(t["new"] == 0 for c in report["collections"] for t in c["tables"].values())

    # verify: the ids match on both sides; comment authors nobody imported are orphans → exit 1
    assert campus_import(desk_url, "verify", dump, *common, "--json", "--sample", "50") == 1
    verified = {(t["collection"], t["table"]): t for t in json.loads(capsys.readouterr().out)["tables"]}
    for check in verified.values():
        assert check["checksum_source"] == check["checksum_target"], check
        assert check["missing"] == 0 and check["extra"] == 0 and not check["mismatches"], check
    comments = verified["tickets", "desk.comments"]
    assert comments["orphans"] == {"author_id": 1, "ticket_id": 0} and not comments["ok"]
    assert verified["companies", "desk.companies"]["source"] == 6
    assert verified["companies", "desk.companies"]["rejected"] == 3 and verified["companies", "desk.companies"]["ok"]
    assert verified["tickets", "desk.tickets"]["sampled"] == 2

    # the readable table, and a difference verify must notice
    with psycopg.connect(desk_url, autocommit=True) as conn:
        conn.execute("delete from desk.comments where author_id is not null and body like 'from someone%'")
        conn.execute("update desk.companies set employees = 1 where legacy_id = %s", [str(oid(1))])
    assert campus_import(desk_url, "verify", dump, *common, "--sample", "50") == 1
    out = capsys.readouterr().out
    assert "DIFFERS" in out and "employees: source=120 table=1" in out and "differences found" in out


def test_dry_run_and_bad_mapping(desk_url: str, mapping_file: Path, tmp_path: Path, capsys) -> None:
    dump = str(write_dump(tmp_path / "dump"))
    code = campus_import(
        desk_url,
        "mongo",
        dump,
        "--mapping",
        str(mapping_file),
        "--quarantine",
        str(tmp_path / "q.jsonl"),
        "--dry-run",
        "--allow-rejects",
        "--no-progress",
    )
    assert code == 0 and "dry run: rolled back" in capsys.readouterr().out
    with psycopg.connect(desk_url) as conn:
        assert conn.execute("select count(*) from desk.companies").fetchone() == (0,)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        mapping_file.read_text().replace(
            'name = { path = "name", type = "text"', 'nom = { path = "name", type = "text"'
        )
    )
    assert campus_import(desk_url, "mongo", dump, "--mapping", str(bad), "--no-progress") == 1
    err = capsys.readouterr().err
    assert "no column 'nom'" in err and "column 'name' is NOT NULL without a default and not mapped" in err


SUPPORT_DESK_SCHEMA = """
create table desk.categories (id uuid primary key, name text not null unique);
create table desk.agents (id uuid primary key, email text not null unique, full_name text, active boolean);
create table desk.cases (id uuid primary key, category_id uuid references desk.categories,
                         agent_id uuid references desk.agents, title text not null, opened date, amount numeric);
"""
SUPPORT_DESK_MAPPING = """
schema = "desk"
[collections.categories]
table = "categories"
columns = { id = { type = "id", path = "id" }, name = "text" }
[collections.agents]
table = "agents"
columns = { id = { type = "id", path = "id" }, email = "text", full_name = { path = "name.full" }, active = "bool" }
[collections.cases]
table = "cases"
[collections.cases.columns]
id = { type = "id", path = "id" }
category_id = { path = "categoryId", type = "ref", collection = "categories" }
agent_id = { path = "agentId", type = "ref", collection = "agents", missing = "null" }
title = "text"
opened = { path = "opened", type = "date" }
amount = { path = "amount", type = "numeric" }
"""


@pytest.mark.parametrize("layout", ["files", "json-server"])
def test_json_mock_data(desk_url: str, tmp_path: Path, capsys, layout: str) -> None:
    with psycopg.connect(desk_url, autocommit=True) as conn:
        conn.execute(SUPPORT_DESK_SCHEMA.encode())
    mapping = tmp_path / "support.toml"
    mapping.write_text(SUPPORT_DESK_MAPPING)
    data = {
        "categories": [{"id": 1, "name": "Billing"}, {"id": "2", "name": "Access"}, {"id": 3, "name": "Billing"}],
        "agents": [
            {"id": 10, "email": "a@desk.test", "name": {"full": "Ana"}, "active": "true"},
            {"id": 11, "email": "b@desk.test", "active": 1},
        ],
        "cases": [
            {"id": 100, "categoryId": "1", "agentId": 10, "title": "Refund", "opened": "2024-03-01", "amount": 12.3},
            {"id": 101, "categoryId": 2, "agentId": 99, "title": "Reset", "opened": 1709251200},
            {"id": 102, "categoryId": 3, "title": "Dup category (rejected)"},
            {"id": 103, "categoryId": 2, "title": {"$oid": "not-an-oid"}},
        ],
    }
    root = tmp_path / "seed"
    root.mkdir()
    if layout == "files":
        for name, rows in data.items():
            (root / f"{name}.json").write_text(json.dumps(rows, indent=2))
    else:
        (root / "db.json").write_text(json.dumps(data, indent=2))
    quarantine = str(tmp_path / "q.jsonl")
    args = [str(root), "--mapping", str(mapping), "--quarantine", quarantine, "--no-progress", "--allow-rejects"]
    assert campus_import(desk_url, "json", *args, "--json") == 0
    report = {c["collection"]: c for c in json.loads(capsys.readouterr().out)["collections"]}
    assert {name: c["imported"] for name, c in report.items()} == {"categories": 2, "agents": 2, "cases": 2}
    assert report["categories"]["rejected"] == 1  # the duplicate name, refused by the unique constraint
    assert report["cases"]["rejected"] == 2  # its category was rejected (FK) / title is an object
    with psycopg.connect(desk_url) as conn:
        rows = conn.execute(
            "select title, agent_id is null, opened::text, amount from desk.cases order by title"
        ).fetchall()
    assert [r[:3] for r in rows] == [("Refund", False, "2024-03-01"), ("Reset", True, "2024-03-01")]
    assert str(rows[0][3]) == "12.3"
    assert campus_import(desk_url, "json", *args) == 0
    assert " 0 " in capsys.readouterr().out
    assert campus_import(desk_url, "verify", str(root), "--mapping", str(mapping), "--quarantine", quarantine) == 0


def test_progress_bar_shows_rate_and_eta(desk_url: str, mapping_file: Path, tmp_path: Path, capsys) -> None:
    dump = str(write_dump(tmp_path / "dump", gzip_tickets=False))
    args = ["--mapping", str(mapping_file), "--quarantine", str(tmp_path / "q.jsonl"), "--allow-rejects"]
    assert campus_import(desk_url, "mongo", dump, *args) == 0
    err = capsys.readouterr().err
    for collection, build in COLLECTIONS.items():
        # tqdm: "companies: 100%|██████████| 6.00/6.00 [00:00<00:00, 1.23kdoc/s]" — elapsed<ETA, rate
        total = rf"{len(build())}\.00"
        bar = rf"{collection}: 100%\|[^|]*\| {total}/{total} \[\d\d:\d\d<\d\d:\d\d, [\d.]+k?doc/s\]"
        assert re.search(bar, err), (collection, err)
    assert campus_import(desk_url, "mongo", dump, *args, "--no-progress") == 0
    assert "doc/s" not in capsys.readouterr().err


def _cli(url: str, monkeypatch, capsys, *argv: str) -> tuple[int, str]:
    """`campus ARGV` as the command line runs it; (exit status, standard error)."""
    monkeypatch.setenv("DATABASE_URL", url)
    code = cli_main(list(argv))
    return code, capsys.readouterr().err


def test_bad_input_is_one_line_and_exit_1(desk_url: str, mapping_file: Path, tmp_path: Path, monkeypatch, capsys):
    dump = write_dump(tmp_path / "dump")
    common = ["--mapping", str(mapping_file), "--quarantine", str(tmp_path / "q.jsonl"), "--no-progress"]
    broken_toml = tmp_path / "broken.toml"
    broken_toml.write_text('[collections.companies]\ntable = "companies\n')
    corrupt = tmp_path / "corrupt" / "desk"
    corrupt.mkdir(parents=True)
    (corrupt / "companies.bson").write_bytes(b"\xff\xff\xff\x7f" + b"\x00" * 16)
    bad_gzip = tmp_path / "badgzip" / "desk"
    bad_gzip.mkdir(parents=True)
    (bad_gzip / "companies.bson.gz").write_bytes(gzip.compress(bson.encode({"_id": oid(1)}))[:-8])
    bad_json = tmp_path / "seed"
    bad_json.mkdir()
    (bad_json / "db.json").write_text('{\n  "companies": [\n')
    cases = {
        "a missing path": (["import", "mongo", str(tmp_path / "nowhere"), *common], "nowhere: no such file"),
        "a malformed mapping": (
            ["import", "mongo", str(dump), *common[2:], "--mapping", str(broken_toml)],
            "broken.toml: ",
        ),
        "a missing mapping": (
            ["import", "mongo", str(dump), *common[2:], "--mapping", str(tmp_path / "none.toml")],
            "none.toml: ",
        ),
        "a corrupt BSON file": (["import", "mongo", str(tmp_path / "corrupt"), *common], "corrupt BSON at byte 0"),
        "a truncated gzip": (
            ["import", "mongo", str(tmp_path / "badgzip"), *common],
            "companies.bson.gz: cannot be read",
        ),
        "malformed JSON": (["import", "json", str(bad_json), *common], "db.json: not JSON"),
        "a bad --since": (["import", "mongo", str(dump), *common, "--since", "soon"], "--since 'soon'"),
        "verify of a missing path": (["import", "verify", str(tmp_path / "nowhere"), *common[:4]], "no such file"),
    }
    for case, (argv, expected) in cases.items():
        code, err = _cli(desk_url, monkeypatch, capsys, *argv)
        lines = err.strip().splitlines()
        assert code == 1 and len(lines) == 1 and lines[0].startswith("campus: "), (case, err)
        assert expected in lines[0] and "Traceback" not in err, (case, err)
    with psycopg.connect(desk_url) as conn:  # nothing was written by any of them
        assert conn.execute("select count(*) from desk.companies").fetchone() == (0,)


def test_undecodable_documents_are_quarantined(desk_url: str, mapping_file: Path, tmp_path: Path, capsys) -> None:
    """A document whose bytes are not BSON (or a line that is not JSON) is quarantined with its raw
    text; the documents around it are imported."""
    dump = write_dump(tmp_path / "dump", gzip_tickets=False)
    path = dump / "desk" / "companies.bson"
    good = bson.encode({"_id": oid(50), "name": "After the bad one"})
    bad = b"\x10\x00\x00\x00\x99bad\x00\x01\x02\x03\x04\x05\x06\x00"  # a valid size, an unknown element type
    path.write_bytes(path.read_bytes() + bad + good)
    export = write_export(tmp_path / "export")
    with open(export / "contacts.json", "a", encoding="utf-8") as handle:
        handle.write('{"_id": {"$oid": "not json\n')
    for source, collection, imported in ((dump, "companies", 4), (export, "contacts", 4)):
        quarantine = tmp_path / f"{source.name}.jsonl"
        args = ["--mapping", str(mapping_file), "--quarantine", str(quarantine), "--no-progress", "--json"]
        assert campus_import(desk_url, "mongo", str(source), *args) == 1  # rejected, no --allow-rejects
        report = {c["collection"]: c for c in json.loads(capsys.readouterr().out)["collections"]}
        assert report[collection]["imported"] == imported and report[collection]["balanced"], report[collection]
        (entry,) = [json.loads(line) for line in quarantine.read_text().splitlines() if '"undecodable"' in line]
        assert entry["collection"] == collection and entry["reason"].startswith("undecodable: ")
        assert entry["document"] is None and entry["raw"] and entry["source"]["index"] >= 0


def test_quarantine_is_the_last_runs(desk_url: str, mapping_file: Path, tmp_path: Path, capsys) -> None:
    """A run starts a new quarantine file; verify does not count a quarantined document that has since
    been imported as rejected (the file may be older than the table)."""
    dump = write_dump(tmp_path / "dump", gzip_tickets=False)
    quarantine = tmp_path / "q.jsonl"
    args = ["--mapping", str(mapping_file), "--quarantine", str(quarantine), "--no-progress", "--allow-rejects"]
    assert campus_import(desk_url, "mongo", str(dump), *args) == 0
    stale = quarantine.read_text()
    assert stale.count("\n") == sum(len(build()) - EXPECTED_IMPORTED[name] for name, build in COLLECTIONS.items())
    # the source cleaned up: only the documents that were imported
    for name in COLLECTIONS:
        imported = {
            json.loads(line)["_id"]["$oid"] for line in stale.splitlines() if json.loads(line)["collection"] == name
        }
        path = dump / "desk" / f"{name}.bson"
        kept = [d for d in bson.decode_all(path.read_bytes()) if str(d["_id"]) not in imported]
        path.write_bytes(b"".join(bson.encode(d) for d in kept))
    assert campus_import(desk_url, "mongo", str(dump), *args) == 0
    assert quarantine.read_text() == ""  # nothing refused this time
    capsys.readouterr()
    # verify with the stale file of the first run: the counts still add up
    quarantine.write_text(stale)
    campus_import(desk_url, "verify", str(dump), *args[:4], "--json")
    checks = json.loads(capsys.readouterr().out)["tables"]
    for check in checks:
        assert check["checksum_source"] == check["checksum_target"] and check["missing"] == 0, check
