"""The importer's end-to-end throughput: N mixed documents → PostgreSQL with the generic loader.

    .venv/bin/python bench/import_bench.py                       # 1,000,000 documents
    .venv/bin/python bench/import_bench.py --documents 200000 --jobs 2

What it does, all in a temporary directory:

1. generates N documents over three collections the way a Mongoose app leaves them — users (40 %),
   courses with a `students` array (10 %, → enrolment rows), submissions (50 %) with references,
   Decimal128 grades, Int64 counters, dates as BSON dates / ISO strings / epoch numbers, nested
   arrays for jsonb — plus a few bad ones (a non-numeric grade, a duplicate e-mail) that must be
   quarantined; writes them as a mongodump directory (BSON) and as mongoexport JSON lines (relaxed);
2. starts a throwaway cluster (`api.cluster.EmbeddedCluster`), migrates it (`Migrator`), creates
   the target tables with foreign keys and unique constraints;
3. imports the BSON dump, then (into an emptied schema) the JSON lines, timing each end to end —
   discovery, decoding, validation, COPY, insert — and prints documents/s (target ≥ 25,000/s).

Generation is not timed. Prints only; nothing is written to bench/results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import bson  # noqa: E402
import psycopg  # noqa: E402
from bson import Decimal128, Int64, ObjectId  # noqa: E402

from api.cluster import EmbeddedCluster  # noqa: E402
from api.importer.catalog import check_mapping  # noqa: E402
from api.importer.loader import Loader  # noqa: E402
from api.importer.mapping import parse_mapping  # noqa: E402
from api.importer.quarantine import Quarantine  # noqa: E402
from api.importer.sources import discover  # noqa: E402
from api.migrations.runner import Migrator  # noqa: E402

TARGET = 25_000
SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "shared_buffers": "256MB"}
SCHEMA = """
create schema bench_import;
create table bench_import.users (id uuid primary key, legacy_id text not null unique, email text not null unique,
    name text, role text not null, logins bigint, created_at timestamptz not null, profile jsonb);
create table bench_import.courses (id uuid primary key, legacy_id text not null unique, title text not null,
    owner_id uuid references bench_import.users, tags text[], starts_at timestamptz, created_at timestamptz not null);
create table bench_import.enrolments (course_id uuid references bench_import.courses on delete cascade,
    user_id uuid references bench_import.users, primary key (course_id, user_id));
create table bench_import.submissions (id uuid primary key, legacy_id text not null unique,
    student_id uuid not null references bench_import.users, course_id uuid references bench_import.courses,
    grade numeric(6, 2), words integer, submitted_at timestamptz, late boolean, feedback jsonb,
    created_at timestamptz not null);
"""
MAPPING = {
    "schema": "bench_import",
    "collections": {
        "users": {
            "table": "users",
            "columns": {
                "id": {"type": "id"},
                "legacy_id": {"type": "key"},
                "email": "text",
                "name": "text",
                "role": {"type": "text", "default": "student"},
                "logins": "int",
                "created_at": {"path": "createdAt", "type": "timestamptz", "fallback": "id_time"},
                "profile": {"type": "jsonb"},
            },
        },
        "courses": {
            "table": "courses",
            "columns": {
                "id": {"type": "id"},
                "legacy_id": {"type": "key"},
                "title": "text",
                "owner_id": {"path": "owner", "type": "ref", "collection": "users"},
                "tags": {"type": "text[]"},
                "starts_at": {"path": "startsAt", "type": "timestamptz"},
                "created_at": {"path": "createdAt", "type": "timestamptz", "fallback": "id_time"},
            },
            "children": [
                {
                    "table": "enrolments",
                    "array": "students",
                    "parent": "course_id",
                    "key": ["course_id", "user_id"],
                    "columns": {
                        "course_id": {"path": "$parent._id", "type": "ref", "collection": "courses"},
                        "user_id": {"path": "$item", "type": "ref", "collection": "users"},
                    },
                }
            ],
        },
        "submissions": {
            "table": "submissions",
            "columns": {
                "id": {"type": "id"},
                "legacy_id": {"type": "key"},
                "student_id": {"path": "student", "type": "ref", "collection": "users"},
                "course_id": {"path": "course", "type": "ref", "collection": "courses"},
                "grade": {"type": "numeric"},
                "words": "int",
                "submitted_at": {"path": "submittedAt", "type": "timestamptz"},
                "late": "bool",
                "feedback": {"type": "jsonb"},
                "created_at": {"path": "createdAt", "type": "timestamptz", "fallback": "id_time"},
            },
        },
    },
}


def generate(n: int, directory: Path, seed: int = 7) -> dict[str, int]:
    """Write the dump (dump/campus/*.bson) and the export (export/*.json); returns counts per collection."""
    rng = random.Random(seed)
    counts = {"users": max(1, n * 4 // 10), "courses": max(1, n // 10)}
    counts["submissions"] = n - counts["users"] - counts["courses"]
    base = 1_600_000_000
    ids = {
        name: [ObjectId(f"{base + i:08x}{rng.getrandbits(64):016x}") for i in range(count)]
        for name, count in counts.items()
    }
    dump = directory / "dump" / "campus"
    export = directory / "export"
    dump.mkdir(parents=True)
    export.mkdir()
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    for name in counts:
        with open(dump / f"{name}.bson", "wb") as bson_out, open(export / f"{name}.json", "w") as json_out:
            for i, oid in enumerate(ids[name]):
                document = _document(name, i, oid, ids, rng, start)
                bson_out.write(bson.encode(document))
                json_out.write(json.dumps(_relaxed(document), ensure_ascii=False, separators=(",", ":")) + "\n")
    return counts


def _document(
    name: str, i: int, oid: ObjectId, ids: dict[str, list[ObjectId]], rng: random.Random, start: dt.datetime
) -> dict:
    when = start + dt.timedelta(seconds=i * 37)
    if name == "users":
        email = f"user{i}@campus.test" if i % 50_000 != 49_999 else "user0@campus.test"  # a few duplicates
        return {
            "_id": oid,
            "email": email,
            "name": f"Étudiant {i} ✓",
            "role": rng.choice(["student", "educator"]),
            "logins": Int64(rng.randrange(10**10)),
            "createdAt": when,
            "profile": {"langs": ["fr", "en"], "prefs": {"dark": bool(i % 2), "size": [12, 14]}},
        }
    if name == "courses":
        users = ids["users"]
        return {
            "_id": oid,
            "title": f"Course {i}",
            "owner": users[rng.randrange(len(users))],
            "tags": ["writing", f"level-{i % 5}"],
            "startsAt": when.isoformat(),
            "students": [users[rng.randrange(len(users))] for _ in range(rng.randrange(0, 8))],
        }
    grade = Decimal128(f"{rng.randrange(10000) / 100:.2f}") if i % 40_000 != 39_999 else "n/a"  # a few bad ones
    submitted = [when, int(when.timestamp() * 1000), when.isoformat()][i % 3]  # date, epoch ms, ISO string
    return {
        "_id": oid,
        "student": ids["users"][rng.randrange(len(ids["users"]))],
        "course": ids["courses"][rng.randrange(len(ids["courses"]))],
        "grade": grade,
        "words": rng.choice([rng.randrange(5000), str(rng.randrange(5000))]),
        "submittedAt": submitted,
        "late": i % 7 == 0,
        "feedback": {"rubric": [[1, 2], [3]], "comments": [{"by": "AI", "ok": True}]},
    }


def _relaxed(value):
    """Relaxed Extended JSON v2, as mongoexport writes it (json_util.dumps is slow for a million)."""
    if isinstance(value, dict):
        return {k: _relaxed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_relaxed(v) for v in value]
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, dt.datetime):
        return {"$date": value.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if isinstance(value, Decimal128):
        return {"$numberDecimal": str(value)}
    if isinstance(value, Int64):
        return int(value)
    return value


def import_once(url: str, source: Path, jobs: int, quarantine: Path) -> tuple[float, int, int, int]:
    """(seconds, documents, imported, rejected) for one end-to-end import."""
    mapping = parse_mapping(MAPPING)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn, Quarantine(quarantine) as sink:
        facts = check_mapping(conn, mapping)
        report = Loader(conn, mapping, facts, sink, jobs=jobs).run(discover([source]))
    seconds = time.perf_counter() - started
    assert all(c.balanced for c in report.collections), "counts do not add up"
    return seconds, report.documents, sum(c.imported for c in report.collections), report.rejected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000, help="documents to generate (default 1,000,000)")
    parser.add_argument("--jobs", type=int, default=2, help="parsing processes (default 2: this machine's cores)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and cluster")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="campus-import-bench-"))
    cluster: EmbeddedCluster | None = None
    try:
        started = time.perf_counter()
        counts = generate(args.documents, directory)
        print(
            f"generated {args.documents:,} documents {counts} in {time.perf_counter() - started:.1f} s", file=sys.stderr
        )
        cluster = EmbeddedCluster(directory / "data", settings=SETTINGS)
        cluster.start()
        url = cluster.url()
        Migrator(url).up()
        rates = []
        for label, source in (
            ("mongodump (BSON)", directory / "dump"),
            ("mongoexport (relaxed JSON lines)", directory / "export"),
        ):
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("drop schema if exists bench_import cascade")
                conn.execute(SCHEMA.encode())
            seconds, documents, imported, rejected = import_once(url, source, args.jobs, directory / "q.jsonl")
            rate = documents / seconds
            rates.append(rate)
            print(
                f"{label:34} {documents:>9,} docs  {imported:>9,} imported  {rejected:>3} quarantined  "
                f"{seconds:6.1f} s  {rate:>8,.0f} docs/s  (--jobs {args.jobs})"
            )
        verdict = "meets" if min(rates) >= TARGET else "misses"
        print(f"slowest {min(rates):,.0f} docs/s {verdict} the target of {TARGET:,}/s")
        return 0
    finally:
        if cluster is not None and not args.keep:
            cluster.destroy()
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            print(f"kept {directory}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
