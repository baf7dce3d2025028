"""`campus import`: bring MongoDB dumps/exports and JSON mock data into Campus tables, and check it.

    campus import json seed/ --mapping support-desk.toml               # JSON mock data, any tables
    campus import mongo dump/writing --institution riverside --jobs 2  # mongodump or mongoexport output
    campus import verify dump/writing --institution riverside --json

`mongo` and `verify` use the writing platform's mapping shipped in api/importer/mappings/writing.toml
unless --mapping names another. One source database is one institution: --institution SLUG gives
its id to the mapping (`const = "$institution"`).

The lead wires it into api/cli.py with `add_import_parser(commands)`; `cmd_import` is the handler.
Exit status: 0 when everything was imported (or verified), 1 otherwise — including any rejected
document unless --allow-rejects.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import psycopg

from api.cluster import EmbeddedCluster
from api.config import Settings
from api.importer.catalog import check_mapping
from api.importer.loader import ImportReport, Loader
from api.importer.mapping import MappingError, load_mapping
from api.importer.quarantine import Quarantine
from api.importer.sources import SourceError, discover
from api.importer.verify import Verifier, VerifyReport

EXIT_FAILURE = 1
DEFAULT_QUARANTINE = "import-quarantine.jsonl"
WRITING_MAPPING = Path(__file__).parent / "mappings" / "writing.toml"


def add_import_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "import",
        help="import MongoDB dumps/exports or JSON mock data, and verify the result",
        description="Load documents into Campus tables as a mapping file describes, with COPY, in dependency "
        "order, idempotently; every document is imported or quarantined with a reason.",
    )
    actions = parser.add_subparsers(dest="import_command", required=True, metavar="ACTION")
    for name, help_text in (
        ("json", "JSON mock data (arrays of objects, JSON lines, json-server files) into any mapped tables"),
        ("mongo", "a mongodump directory (*.bson) or mongoexport output (JSON lines or --jsonArray)"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        _common(action, default_format="auto", default_mapping=WRITING_MAPPING if name == "mongo" else None)
        action.add_argument("--dry-run", action="store_true", help="validate and load everything, then roll back")
        action.add_argument("--allow-rejects", action="store_true", help="exit 0 even when documents were rejected")
        action.add_argument(
            "--since",
            metavar="TIMESTAMP",
            help="only documents changed at or after TIMESTAMP (ISO 8601; a collection's `updated` paths, "
            "else its ObjectId's time); implies --update — for the final delta before switching over",
        )
        action.add_argument(
            "--update", action="store_true", help="update rows whose document changed (default: keep existing rows)"
        )
        action.add_argument("--jobs", type=int, default=1, metavar="N", help="parse in N processes (default 1)")
        action.add_argument("--batch-size", type=int, default=20_000, metavar="N", help="documents per transaction")
        action.add_argument("--no-progress", action="store_true", help="no progress bar on standard error")
    verify = actions.add_parser(
        "verify",
        help="compare the source with the tables: counts, id checksums, orphans, sampled fields",
        description="Per collection and table: source count, rejected, imported; md5 over sorted ids on both "
        "sides; orphan references; N sampled documents compared field by field.",
    )
    _common(verify, default_format="auto", default_mapping=WRITING_MAPPING)
    verify.add_argument("--sample", type=int, default=20, metavar="N", help="documents to compare field by field")
    verify.add_argument("--seed", type=int, help="random seed for the sample (default: a different sample each run)")
    parser.set_defaults(handler=cmd_import)


def _common(parser: argparse.ArgumentParser, default_format: str, default_mapping: Path | None) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories (searched recursively)")
    if default_mapping is None:
        parser.add_argument("--mapping", required=True, metavar="FILE", help="the mapping (TOML, or JSON)")
    else:
        parser.add_argument(
            "--mapping",
            default=str(default_mapping),
            metavar="FILE",
            help="the mapping (TOML, or JSON; default: the writing platform's, api/importer/mappings/writing.toml)",
        )
    parser.add_argument(
        "--institution",
        metavar="SLUG",
        help="the institution the data belongs to (one source database = one institution); "
        "its id is the mapping's $institution",
    )
    parser.add_argument(
        "--format",
        choices=["auto", "ejson", "json"],
        default=default_format,
        help="how to read .json files: Extended JSON, plain JSON, or guessed from their content (default)",
    )
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="SOURCE=COLLECTION",
        help="read the source collection SOURCE as COLLECTION of the mapping (repeatable)",
    )
    parser.add_argument(
        "--quarantine",
        default=DEFAULT_QUARANTINE,
        metavar="FILE",
        help=f"rejected documents (default {DEFAULT_QUARANTINE})",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        url = settings.database_url or _embedded(settings).url()
        with psycopg.connect(url, autocommit=True) as conn:
            variables = {"institution": _institution(conn, args.institution)} if args.institution else {}
            mapping = load_mapping(args.mapping, variables)
            names = {**mapping.names, **dict(_pair(item) for item in args.name)}
            sources = discover(args.paths, args.format, names)
            facts = check_mapping(conn, mapping)
            if args.import_command == "verify":
                verified = Verifier(conn, mapping, facts, args.quarantine, args.sample, args.seed).run(sources)
                print(json.dumps(verified.as_dict(), indent=2, default=str) if args.json else render_verify(verified))
                return 0 if verified.ok else EXIT_FAILURE
            since = _since(args.since) if args.since else None
            with Quarantine(args.quarantine, append=since is not None) as quarantine:
                loader = Loader(
                    conn,
                    mapping,
                    facts,
                    quarantine,
                    update=args.update,
                    since=since,
                    dry_run=args.dry_run,
                    batch_size=args.batch_size,
                    jobs=args.jobs,
                    progress=not args.no_progress,
                )
                report = loader.run(sources)
    except (MappingError, SourceError, ValueError, OSError) as error:
        print(f"campus: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(json.dumps(report.as_dict(), indent=2, default=str) if args.json else render_import(report, args.quarantine))
    if not all(collection.balanced for collection in report.collections):
        print("campus: the counts do not add up — a bug; please report it", file=sys.stderr)
        return EXIT_FAILURE
    if report.rejected and not args.allow_rejects:
        print(f"campus: {report.rejected} document(s) rejected, see {args.quarantine}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _institution(conn: psycopg.Connection, slug: str) -> str:
    found = conn.execute("select id::text from app.institutions where slug = %s", [slug]).fetchone()
    if found is None:
        raise ValueError(f"--institution {slug!r}: no institution with that slug (app.institutions)")
    return found[0]


def _pair(item: str) -> tuple[str, str]:
    source, _, collection = item.partition("=")
    if not source or not collection:
        raise ValueError(f"--name {item!r}: expected SOURCE=COLLECTION")
    return source, collection


def _since(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r}: not an ISO 8601 timestamp") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _embedded(settings: Settings) -> EmbeddedCluster:
    cluster = EmbeddedCluster(settings.data_dir)
    if cluster.start():
        print(f"started the embedded cluster in {cluster.data_dir}", file=sys.stderr)
    return cluster


# -- output --------------------------------------------------------------------------------------
def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain text table: text left-aligned, numbers right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(values: list[str], raw: list[Any] | None = None) -> str:
        out = []
        for i, value in enumerate(values):
            numeric = raw is not None and isinstance(raw[i], int | float)
            out.append(value.rjust(widths[i]) if numeric else value.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return "\n".join(
        [line(headers), line(["-" * w for w in widths]), *(line(c, r) for c, r in zip(cells, rows, strict=True))]
    )


def render_import(report: ImportReport, quarantine: str) -> str:
    headers = [
        "collection",
        "table",
        "documents",
        "new",
        "updated",
        "unchanged",
        "differs",
        "deleted",
        "nulled",
        "dropped",
        "rejected",
        "skipped",
    ]
    rows: list[list[Any]] = []
    for collection in report.collections:
        for name, counts in collection.tables.items():
            main = name == collection.table
            rows.append(
                [
                    collection.collection if main else "",
                    name,
                    collection.documents if main else counts.staged,
                    counts.new,
                    counts.updated,
                    counts.unchanged,
                    counts.differs,
                    counts.deleted,
                    counts.nulled,
                    counts.dropped,
                    collection.rejected if main else "",
                    collection.skipped if main else "",
                ]
            )
    parts = [table(headers, rows)]
    if report.rejects:
        parts.append(f"\nrejected (in {quarantine}):")
        for collection, kinds in report.rejects.items():
            parts.extend(f"  {collection}: {count} × {kind}" for kind, count in kinds.items())  # noqa: RUF001
    if any(c.tables[c.table].differs for c in report.collections):
        parts.append("\n'differs': rows already there with other values, kept; re-run with --update to update them")
    if report.unmapped:
        parts.append("\nnot imported (no mapping): " + ", ".join(sorted(report.unmapped)))
    if report.unsourced:
        parts.append("mapped but no source file: " + ", ".join(report.unsourced))
    rate = report.documents / report.seconds if report.seconds else 0.0
    mode = " (dry run: rolled back)" if report.dry_run else ""
    parts.append(f"\n{report.documents} document(s) in {report.seconds:.1f} s, {rate:,.0f}/s{mode}")
    return "\n".join(parts)


def render_verify(report: VerifyReport) -> str:
    headers = [
        "collection",
        "table",
        "source",
        "rejected",
        "expected",
        "in table",
        "missing",
        "extra",
        "checksum",
        "orphans",
        "dangling",
        "sampled",
        "mismatches",
        "ok",
    ]
    rows: list[list[Any]] = []
    for check in report.tables:
        orphans = sum(check.orphans.values())
        rows.append(
            [
                check.collection if check.role == "main" else f"  {check.role}",
                check.table,
                check.source,
                check.rejected,
                check.expected,
                check.target,
                check.missing,
                check.extra,
                "match" if check.checksum_source == check.checksum_target else "DIFFERS",
                orphans,
                sum(check.dangling.values()),
                check.sampled,
                len(check.mismatches),
                "ok" if check.ok else "FAIL",
            ]
        )
    parts = [table(headers, rows)]
    for check in report.tables:
        for column, count in check.orphans.items():
            if count:
                examples = ", ".join(check.orphan_examples.get(column, []))
                parts.append(f"orphans {check.table}.{column}: {count} (e.g. {examples})")
        for column, count in check.dangling.items():
            examples = ", ".join(check.dangling_examples.get(column, []))
            parts.append(f"dangling in the source, {check.table}.{column}: {count} (nulled/skipped; e.g. {examples})")
        parts.extend(f"mismatch {line}" for line in check.mismatches[:20])
    parts.append("verified: " + ("everything matches" if report.ok else "differences found"))
    return "\n".join(parts)
