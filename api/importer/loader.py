"""Load transformed rows into PostgreSQL: COPY into a staging table, then insert in dependency order.

Per collection, documents are gathered into batches; each batch is one transaction (one savepoint
inside the run's transaction with --dry-run, rolled back at the end):

    truncate staging → COPY rows (tagged with their document's sequence number) → dangling-reference
    checks (`missing = "null"|"reject"`) → insert into the table, main table first, then children:
      insert-only (default):    only keys not in the table yet (the others are compared and
                                 reported as unchanged or `differs`) — re-runs add nothing;
      update (--update/--since): also UPDATE … WHERE the row IS DISTINCT FROM the new one, and child
                                 rows of re-imported parents that are no longer in the array are deleted.
    Existing keys never reach an INSERT: BEFORE INSERT triggers fire even for a row that then meets
    ON CONFLICT, and one that counts something (a course's seats) would count it again.

The session runs with `campus.importing = on`: triggers that keep derived history (document versions)
let the import bring its own, for the tables' owner only (db/functions/app/writing_rules.sql); a
collection's `finish` SQL then does their bookkeeping once it is loaded.

A first import (the tables empty when the collection begins, insert-only, `missing` rules only on
references into earlier collections) copies each batch straight into its tables instead; see
_flush: a row refused on a COPY line is quarantined and the batch copied again without it, and
documents pointing at ids their table does not hold (references.py) go through staging on their own.

A document repeating the key of an earlier one of its collection (in the batch, an earlier batch or
another file) is quarantined as a duplicate: the first one keeps the key.

The database's constraints and triggers do their checks. When one refuses without naming a line (a
foreign key, a CHECK after staging), the batch is rolled back and tried again through staging with the
bulk foreign-key and unique-index checks of precheck.py (and so are the collection's later batches,
on a first import until one passes clean); if the database still refuses it, it is split in halves
until the refused documents are isolated. Each goes to the quarantine with the database's message;
everything else is loaded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sys
import time
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from tqdm import tqdm

from api.importer import precheck
from api.importer.catalog import TableFacts
from api.importer.mapping import CollectionMapping, Mapping, Target
from api.importer.parallel import ChunkResult, ChunkRunner, Rows, Task, chunks
from api.importer.quarantine import Quarantine, record
from api.importer.references import checked_references, keyed_by_id
from api.importer.sources import Position, SourceFile, count_hint, decode, iter_chunks

SEQ = precheck.SEQ  # the staging tables' extra column: which document a row came from
NOT_PER_DOCUMENT = (psycopg.OperationalError, psycopg.ProgrammingError, psycopg.NotSupportedError)
# ...except what triggers raise about a row: RAISE EXCEPTION (P0001) and Campus's domain refusals
# (PTxyz, which PostgREST maps to HTTP xyz) — psycopg files both under ProgrammingError.
ROW_REFUSALS = ("P0001", "PT")
# A direct COPY refused on a line is sent again without that document this many times, then the
# batch goes through the bulk checks (each try costs up to a whole COPY; the checks cost about two)
LINE_RETRIES = 2


def _per_document(error: psycopg.DatabaseError) -> bool:
    """Whether the database refused a row (so the batch is split to find it) rather than the statement."""
    state = error.sqlstate or ""
    return not isinstance(error, NOT_PER_DOCUMENT) or state.startswith(ROW_REFUSALS)


@dataclass
class TableCounts:
    staged: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    differs: int = 0  # insert-only mode: already there with other values, kept (re-run with --update)
    deleted: int = 0  # update mode: child rows whose element left the parent's array
    nulled: int = 0  # dangling references set to NULL (missing = "null")
    dropped: int = 0  # child rows left out for a dangling reference (missing = "skip")

    def add(self, other: TableCounts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class CollectionReport:
    collection: str
    table: str
    files: list[str] = field(default_factory=list)
    documents: int = 0
    skipped: int = 0  # not changed since --since
    rejected: int = 0
    tables: dict[str, TableCounts] = field(default_factory=dict)

    @property
    def imported(self) -> int:
        """Documents whose main row is in the table now (new, updated, unchanged or kept)."""
        main = self.tables.get(self.table, TableCounts())
        return main.new + main.updated + main.unchanged + main.differs

    @property
    def balanced(self) -> bool:
        """Every document read is accounted for."""
        return self.documents == self.imported + self.rejected + self.skipped


@dataclass
class ImportReport:
    collections: list[CollectionReport] = field(default_factory=list)
    unmapped: dict[str, list[str]] = field(default_factory=dict)  # source collections without a mapping
    unsourced: list[str] = field(default_factory=list)  # mapped collections no file provided
    rejects: dict[str, dict[str, int]] = field(default_factory=dict)  # collection → kind → count
    dry_run: bool = False
    update: bool = False
    since: str | None = None
    seconds: float = 0.0
    # where the main process's time went: reading sources and waiting for the workers ("feed"),
    # gathering batches ("take"), the database ("database")
    phases: dict[str, float] = field(default_factory=lambda: {"feed": 0.0, "take": 0.0, "database": 0.0})

    @property
    def documents(self) -> int:
        return sum(c.documents for c in self.collections)

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.collections)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for entry, collection in zip(data["collections"], self.collections, strict=True):
            entry["imported"] = collection.imported
            entry["balanced"] = collection.balanced
        return data


@dataclass
class _Batch:
    tasks: list[Task] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    rows: list[Rows] = field(default_factory=list)  # per target
    key_of: dict[int, Any] = field(default_factory=dict)  # document → its main-table key
    suspects: set[int] = field(default_factory=set)  # documents pointing outside what is known (references.py)

    def payload(self, seq: int) -> tuple[Task, Any, Position]:
        task = self.tasks[bisect_right([t.start for t in self.tasks], seq) - 1]
        payload, position = task.item(seq)
        return task, payload, position


@dataclass
class _Stage:
    target: Target
    name: sql.Identifier
    columns: sql.Composed
    facts: TableFacts


class _Lookahead:
    """An iterator of (task, result) one can peek into (None at the end)."""

    def __init__(self, items: Iterator[tuple[Task, ChunkResult]]) -> None:
        self._items = items
        self._next: tuple[Task, ChunkResult] | None = None

    def peek(self) -> tuple[Task, ChunkResult] | None:
        if self._next is None:
            self._next = next(self._items, None)
        return self._next

    def __iter__(self) -> _Lookahead:
        return self

    def __next__(self) -> tuple[Task, ChunkResult]:
        item = self.peek()
        if item is None:
            raise StopIteration
        self._next = None
        return item


class Loader:
    def __init__(
        self,
        conn: psycopg.Connection,
        mapping: Mapping,
        facts: dict[str, TableFacts],
        quarantine: Quarantine,
        *,
        update: bool = False,
        since: dt.datetime | None = None,
        dry_run: bool = False,
        batch_size: int = 20_000,
        chunk_size: int = 1_000,
        jobs: int = 1,
        progress: bool = True,
    ) -> None:
        if not conn.autocommit:
            raise ValueError("the loader needs an autocommit connection: it opens its own transactions")
        self.conn = conn
        self.mapping = mapping
        self.facts = facts
        self.quarantine = quarantine
        self.update = update or since is not None
        self.since = since
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.chunk_size = chunk_size
        self.jobs = jobs
        self.progress = progress
        self._stages: dict[str, list[_Stage]] = {}
        # collections whose batches go through the bulk checks first: a batch was refused (for good
        # outside a first import; on one, until a checked batch passes clean)
        self._checking: set[str] = set()
        self._keys: dict[str, dict[Any, int]] = {}  # collection → main-table key → the document that has it
        self._refused: dict[str, set[Any]] = {}  # collection → keys of accepted documents quarantined later
        self._origins: dict[str, tuple[list[int], list[tuple[str, int]]]] = {}  # task starts → (file, index)
        # collections whose main table holds exactly their accepted, unquarantined keys (a first import)
        self._known: dict[str, dict[Any, int]] = {}
        self._referenced: set[str] = set()  # collections whose keys later ones check (references.py)
        self._phases: dict[str, float] = {}
        self._empty: dict[str, bool] = {}  # target tables empty when their collection began loading (see _direct)

    # -- the run ---------------------------------------------------------------------------------
    def run(self, sources: Sequence[SourceFile]) -> ImportReport:
        started = time.perf_counter()
        report = ImportReport(dry_run=self.dry_run, update=self.update, since=self.since and self.since.isoformat())
        self._phases = report.phases
        by_collection: dict[str, list[SourceFile]] = {}
        for source in sources:
            by_collection.setdefault(source.collection, []).append(source)
        for name, files in by_collection.items():
            if name not in self.mapping.collections:
                report.unmapped[name] = [str(source.path) for source in files]
        report.unsourced = [name for name in self.mapping.order if name not in by_collection]
        window = -(-self.batch_size // self.chunk_size) + 2 * self.jobs  # a batch ahead: no stall while loading
        runner = ChunkRunner(self.mapping, self.facts, self.since, self.jobs, window)
        if self.conn.info.encoding != "utf-8":  # the workers format COPY lines in UTF-8 (copyrows.py)
            self.conn.execute("set client_encoding to 'UTF8'")
        previous = self.conn.execute("select pg_catalog.current_setting('campus.importing', true)").fetchone()
        self.conn.execute("select pg_catalog.set_config('campus.importing', 'on', false)")
        try:
            plan = [(name, by_collection[name]) for name in self.mapping.order if name in by_collection]
            for name, _ in plan:
                for columns in checked_references(self.mapping, self.facts, self.mapping[name]):
                    self._referenced.update(parent for _, parent in columns)
            # One stream of tasks over all collections: the workers parse the next collection while
            # this process loads the end of the previous one (loading is in dependency order, parsing
            # has no order to keep).
            results = _Lookahead(runner.map(self._tasks(plan)))
            with self.conn.transaction(force_rollback=True) if self.dry_run else contextlib.nullcontext():
                for name, files in plan:
                    report.collections.append(self._collection(self.mapping[name], files, results))
                    if name in self.mapping.finish:
                        with self.conn.transaction():
                            self.conn.execute(self.mapping.finish[name])
            runner.close()
        finally:
            runner.terminate()
            if not self.conn.closed:
                self.conn.execute(
                    "select pg_catalog.set_config('campus.importing', %s, false)", [(previous or [None])[0] or ""]
                )
        report.rejects = self.quarantine.by_collection()
        report.seconds = time.perf_counter() - started
        return report

    def _tasks(self, plan: list[tuple[str, list[SourceFile]]]) -> Iterator[Task]:
        """Every collection's chunks in load order, numbered per collection over all its files."""
        for name, files in plan:
            start = 0
            for source in files:
                for task in chunks(name, source.format, str(source.path), iter_chunks(source, self.chunk_size), start):
                    start = task.start + len(task)
                    yield task

    def _collection(
        self, collection: CollectionMapping, files: list[SourceFile], results: _Lookahead
    ) -> CollectionReport:
        stages = self._staging(collection)
        report = CollectionReport(collection.name, collection.main.qualified, [str(f.path) for f in files])
        for stage in stages:
            report.tables.setdefault(stage.target.qualified, TableCounts())
        hints = [count_hint(source) for source in files]
        total = None if None in hints else sum(h or 0 for h in hints)
        bar = tqdm(
            total=total, desc=collection.name, unit="doc", unit_scale=True, file=sys.stderr, disable=not self.progress
        )
        batch = _Batch(rows=[Rows() for _ in stages])
        direct = self._direct(collection, stages)
        phases = self._phases
        clock = time.perf_counter
        with bar:
            while True:
                began = clock()
                peeked = results.peek()
                taken = clock()
                phases["feed"] += taken - began
                if peeked is None or peeked[0].collection != collection.name:
                    break
                task, result = next(results)
                report.documents += result.count
                report.skipped += result.skipped
                self._take(collection, batch, task, result, report, direct)
                bar.update(result.count)
                flushed = clock()
                phases["take"] += flushed - taken
                if len(batch.seqs) >= self.batch_size:
                    self._flush(collection, stages, batch, report, direct)
                    batch = _Batch(rows=[Rows() for _ in stages])
                    phases["database"] += clock() - flushed
            flushed = clock()
            self._flush(collection, stages, batch, report, direct)
            phases["database"] += clock() - flushed
        self._settle(collection)
        return report

    def _settle(self, collection: CollectionMapping) -> None:
        """Keep the collection's keys if later collections check references into it (see references.py)
        and its table held nothing else when it began; forget them otherwise."""
        keys = self._keys.pop(collection.name, {})
        self._origins.pop(collection.name, None)
        if (
            collection.name in self._referenced
            and not self.update
            and keyed_by_id(collection)
            and self._empty.get(collection.main.qualified, False)
        ):
            self._known[collection.name] = keys

    def _take(
        self,
        collection: CollectionMapping,
        batch: _Batch,
        task: Task,
        result: ChunkResult,
        report: CollectionReport,
        direct: bool = False,
    ) -> None:
        """Add a chunk's rows to the batch; quarantine its rejects and the documents repeating a key
        of an earlier document of the collection (in this batch, an earlier one or another file)."""
        name = collection.name
        for _, kind, line in result.rejects:
            self.quarantine.add(name, kind, line)
            report.rejected += 1
        batch.tasks.append(task)
        starts, places = self._origins.setdefault(name, ([], []))
        starts.append(task.start)
        places.append((task.file, task.index))
        keys = self._keys.setdefault(name, {})
        key_of = batch.key_of
        duplicates: set[int] = set()
        for seq, key in zip(result.accepted, result.keys, strict=True):
            first = keys.setdefault(key, seq)
            if first != seq:
                duplicates.add(seq)
                _, payload, position = batch.payload(seq)
                file, index = self._place(name, first)
                where = f"document #{index}" + ("" if file == task.file else f" of {file}")
                reason = f"duplicate key {key} in the source (also {where})"
                self._reject(name, "duplicate key in the source", reason, task.format, payload, position)
                report.rejected += 1
            else:
                batch.seqs.append(seq)
                key_of[seq] = key
        for rows, out in zip(result.rows, batch.rows, strict=True):
            if not duplicates:
                out.seqs.extend(rows.seqs)
                out.lines.extend(rows.lines)
                continue
            for seq, line in zip(rows.seqs, rows.lines, strict=True):
                if seq not in duplicates:
                    out.seqs.append(seq)
                    out.lines.append(line)
        if direct:
            self._suspect(batch, result)

    def _suspect(self, batch: _Batch, result: ChunkResult) -> None:
        """Mark the documents pointing at an id their table does not hold (see references.py)."""
        for parent, (seqs, ids) in result.refs.items():
            known = self._known.get(parent)
            if known is None or not ids:
                continue
            values = set(ids)
            outside = values.difference(known)
            refused = self._refused.get(parent)
            if refused:
                outside |= values & refused
            if outside:
                batch.suspects.update(seq for seq, value in zip(seqs, ids, strict=True) if value in outside)

    def _place(self, collection: str, seq: int) -> tuple[str, int]:
        """(file, index in it) of a document of the collection being loaded."""
        starts, places = self._origins[collection]
        at = bisect_right(starts, seq) - 1
        file, first = places[at]
        return file, first + seq - starts[at]

    def _reject(self, collection: str, kind: str, reason: str, fmt: Any, payload: Any, position: Position) -> None:
        try:
            document = decode(fmt, payload)
        except Exception:  # decoded fine in the worker; this is only for the quarantine line
            document = None
        key_path = self.mapping[collection].key_path
        self.quarantine.add(collection, kind, record(collection, reason, kind, document, position, None, key_path))

    # -- staging ---------------------------------------------------------------------------------
    def _staging(self, collection: CollectionMapping) -> list[_Stage]:
        if collection.name in self._stages:
            return self._stages[collection.name]
        stages = []
        number = len(self._stages)
        for index, target in enumerate(collection.targets):
            name = sql.Identifier(f"_import_{number}_{index}")
            columns = sql.SQL(", ").join(map(sql.Identifier, target.column_names))
            self.conn.execute(
                sql.SQL(
                    "create temp table if not exists {} as select null::bigint as {}, {} from {} with no data"
                ).format(name, sql.Identifier(SEQ), columns, sql.Identifier(target.schema, target.table))
            )
            stages.append(_Stage(target, name, columns, self.facts[target.qualified]))
            if target.qualified not in self._empty:
                empty = self.conn.execute(
                    sql.SQL("select not exists (select from {})").format(sql.Identifier(target.schema, target.table))
                ).fetchone()
                self._empty[target.qualified] = bool(empty and empty[0])
        self._stages[collection.name] = stages
        return stages

    # -- one batch, split on refusal --------------------------------------------------------------
    def _flush(
        self,
        collection: CollectionMapping,
        stages: list[_Stage],
        batch: _Batch,
        report: CollectionReport,
        direct: bool = False,
    ) -> None:
        if not batch.seqs:
            return
        name = collection.name
        if not direct:
            self._staged(collection, stages, batch, batch.seqs, report, name in self._checking)
            return
        suspects = batch.suspects
        plain = [seq for seq in batch.seqs if seq not in suspects] if suspects else batch.seqs
        # after a batch refused without a line, the bulk checks come first
        rest = plain if name in self._checking else self._copy_lines(collection, stages, batch, plain, report)
        if rest and self._staged(collection, stages, batch, rest, report, checked=True):
            self._checking.discard(name)  # a checked batch passed clean: back to plain direct copies
        if suspects:
            self._staged(collection, stages, batch, [seq for seq in batch.seqs if seq in suspects], report, True)

    def _copy_lines(
        self,
        collection: CollectionMapping,
        stages: list[_Stage],
        batch: _Batch,
        seqs: list[int],
        report: CollectionReport,
    ) -> list[int]:
        """Copy the documents straight into their tables. One the database refuses on a COPY line (a
        unique key, a CHECK, a BEFORE trigger) is quarantined with the database's words and the rest
        copied again, up to LINE_RETRIES times; the documents still to load are returned when the
        database refused without naming a line (a foreign key, checked after the last line)."""
        for _ in range(LINE_RETRIES + 1):
            if not seqs:
                return []
            try:
                with self.conn.transaction():
                    counts = self._copy_direct(stages, batch, seqs)
            except _Refused as refused:
                if refused.document is None:
                    break
                kind, reason = _refusal(refused.error)
                self._quarantine(collection, batch, refused.document, kind, reason, report)
                seqs = [seq for seq in seqs if seq != refused.document]
                continue
            for stage, count in zip(stages, counts, strict=True):
                report.tables[stage.target.qualified].add(count)
            return []
        self._checking.add(collection.name)  # the next batches are likely refused too: check first
        return seqs

    def _staged(
        self,
        collection: CollectionMapping,
        stages: list[_Stage],
        batch: _Batch,
        seqs: list[int],
        report: CollectionReport,
        checked: bool,
    ) -> bool:
        """Load the documents through the staging tables; whether none of them was refused."""
        # (documents, checked): a refused batch is tried again with the bulk checks of precheck.py,
        # and only split in halves if the database still refuses it
        pending = [(seqs, checked)]
        clean = True
        while pending:
            seqs, checked = pending.pop()
            rejects: list[tuple[int, str, str]] = []
            try:
                with self.conn.transaction():
                    counts = self._attempt(collection, stages, batch, seqs, rejects, checked)
            except psycopg.DatabaseError as error:
                if not _per_document(error):
                    raise
                clean = False
                if not checked:
                    self._checking.add(collection.name)  # the next batches are likely refused too: check first
                    pending.append((seqs, True))
                elif len(seqs) == 1:
                    kind, reason = _refusal(error)
                    self._quarantine(collection, batch, seqs[0], kind, reason, report)
                else:
                    middle = len(seqs) // 2  # the first half first: earlier documents win
                    pending.extend(((seqs[middle:], True), (seqs[:middle], True)))
                continue
            clean = clean and not rejects
            for seq, kind, reason in rejects:
                self._quarantine(collection, batch, seq, kind, reason, report)
            for stage, count in zip(stages, counts, strict=True):
                report.tables[stage.target.qualified].add(count)
        return clean

    def _quarantine(
        self, collection: CollectionMapping, batch: _Batch, seq: int, kind: str, reason: str, report: CollectionReport
    ) -> None:
        """An accepted document refused on the way in: to the quarantine, its key to the refused ones."""
        task, payload, position = batch.payload(seq)
        self._reject(collection.name, kind, reason, task.format, payload, position)
        report.rejected += 1
        key = batch.key_of.get(seq)
        if key is not None:
            self._refused.setdefault(collection.name, set()).add(key)

    def _direct(self, collection: CollectionMapping, stages: list[_Stage]) -> bool:
        """Whether the collection's batches may be copied straight into its tables: a first import
        (every target table was empty when the collection began loading: no key of the source can be
        there), insert-only, and every reference with a `missing` rule pointing into an earlier
        collection whose ids are known (references.py: the documents pointing elsewhere go through
        staging, where the rule applies). Refused documents are found as _flush says."""
        if self.update:
            return False
        for stage in stages:
            for column in stage.target.columns:
                if column.type != "ref" or column.missing == "keep":
                    continue
                if column.collection == collection.name or column.collection not in self._known:
                    return False
        return all(self._empty.get(stage.target.qualified, False) for stage in stages)

    def _copy_direct(self, stages: list[_Stage], batch: _Batch, seqs: list[int]) -> list[TableCounts]:
        counts = [TableCounts() for _ in stages]
        keep = None if len(seqs) == len(batch.seqs) else set(seqs)
        with self.conn.cursor() as cursor:
            for stage, rows, count in zip(stages, batch.rows, counts, strict=True):
                target = stage.target
                if keep is None:
                    sent, lines = rows.seqs, rows.lines
                else:
                    chosen = [(seq, line) for seq, line in zip(rows.seqs, rows.lines, strict=True) if seq in keep]
                    sent, lines = [seq for seq, _ in chosen], [line for _, line in chosen]
                statement = sql.SQL("copy {} ({}) from stdin").format(
                    sql.Identifier(target.schema, target.table), stage.columns
                )
                try:
                    with cursor.copy(statement) as copy:
                        copy.write(b"".join(lines))
                except psycopg.DatabaseError as error:
                    if not _per_document(error):
                        raise
                    raise _Refused(error, _line_document(error, target.table, sent)) from error
                count.staged = count.new = len(lines)
        return counts

    def _attempt(
        self,
        collection: CollectionMapping,
        stages: list[_Stage],
        batch: _Batch,
        seqs: list[int],
        rejects: list[tuple[int, str, str]],
        checked: bool = False,
    ) -> list[TableCounts]:
        subset = None if len(seqs) == len(batch.seqs) else set(seqs)
        counts = [TableCounts() for _ in stages]
        with self.conn.cursor() as cursor:
            for stage, rows, count in zip(stages, batch.rows, counts, strict=True):
                cursor.execute(sql.SQL("truncate {}").format(stage.name))
                statement = sql.SQL("copy {} ({}, {}) from stdin").format(
                    stage.name, sql.Identifier(SEQ), stage.columns
                )
                chosen = [
                    b"%d\t%b" % (seq, line)
                    for seq, line in zip(rows.seqs, rows.lines, strict=True)
                    if subset is None or seq in subset
                ]
                data = b"".join(chosen)
                count.staged += len(chosen)
                with cursor.copy(statement) as copy:
                    copy.write(data)
            self._dangling(cursor, collection, stages, counts, rejects)
            if checked:
                refused = precheck.refusals(cursor, stages, self.update)
                self._drop(cursor, stages, counts, list(refused))
                rejects.extend((seq, kind, reason) for seq, (kind, reason) in refused.items())
            for stage, count in zip(stages, counts, strict=True):
                self._insert(cursor, stage, count)
            if self.update:
                for stage, count in zip(stages[1:], counts[1:], strict=True):
                    count.deleted = self._delete_stale(cursor, stages[0], stage)
        return counts

    def _dangling(
        self,
        cursor: psycopg.Cursor,
        collection: CollectionMapping,
        stages: list[_Stage],
        counts: list[TableCounts],
        rejects: list[tuple[int, str, str]],
    ) -> None:
        """Apply `missing = "null"|"skip"|"reject"` to references whose target row does not exist (yet)."""
        refused: dict[int, str] = {}
        for stage, count in zip(stages, counts, strict=True):
            for column in stage.target.columns:
                if (
                    column.type != "ref"
                    or column.missing == "keep"
                    or column.collection not in self.mapping.collections
                ):
                    continue
                parent = self.mapping[column.collection].main
                condition = sql.SQL(
                    "s.{col} is not null and not exists (select 1 from {table} r where r.{key} = s.{col})"
                ).format(
                    col=sql.Identifier(column.name),
                    table=sql.Identifier(parent.schema, parent.table),
                    key=sql.Identifier(parent.key[0]),
                )
                if column.collection == collection.name:  # a reference into this same batch is fine
                    condition += sql.SQL(" and not exists (select 1 from {} r2 where r2.{} = s.{})").format(
                        stages[0].name, sql.Identifier(parent.key[0]), sql.Identifier(column.name)
                    )
                if column.missing == "null":
                    cursor.execute(
                        sql.SQL("update {} s set {} = null where ").format(stage.name, sql.Identifier(column.name))
                        + condition
                    )
                    count.nulled += cursor.rowcount
                    continue
                if column.missing == "skip":
                    cursor.execute(sql.SQL("delete from {} s where ").format(stage.name) + condition)
                    count.dropped += cursor.rowcount
                    count.staged -= cursor.rowcount
                    continue
                query = sql.SQL("select s.{}, s.{}::text from {} s where ").format(
                    sql.Identifier(SEQ), sql.Identifier(column.name), stage.name
                )
                label = column.paths[0] if column.paths else column.name
                for seq, target in cursor.execute(query + condition):
                    refused.setdefault(seq, f"{label}: dangling reference into {column.collection} ({target})")
        if refused:
            self._drop(cursor, stages, counts, list(refused))
            rejects.extend((seq, "dangling reference", reason) for seq, reason in refused.items())

    def _drop(self, cursor: psycopg.Cursor, stages: list[_Stage], counts: list[TableCounts], seqs: list[int]) -> None:
        """Take the rows of these documents out of every staging table."""
        if not seqs:
            return
        for stage, count in zip(stages, counts, strict=True):
            cursor.execute(sql.SQL("delete from {} where {} = any(%s)").format(stage.name, sql.Identifier(SEQ)), [seqs])
            count.staged -= cursor.rowcount

    def _insert(self, cursor: psycopg.Cursor, stage: _Stage, count: TableCounts) -> None:
        target = stage.target
        table = sql.Identifier(target.schema, target.table)
        key = sql.SQL(", ").join(map(sql.Identifier, target.key))
        others = [name for name in target.column_names if name not in target.key]

        def compared(alias: str) -> sql.Composable:
            cast = {name: sql.SQL("::jsonb" if stage.facts.columns[name].type == "json" else "") for name in others}
            return sql.SQL("row({})").format(
                sql.SQL(", ").join(
                    sql.SQL("{}.{}{}").format(sql.Identifier(alias), sql.Identifier(n), cast[n]) for n in others
                )
            )

        join = sql.SQL(" and ").join(sql.SQL("t.{0} = s.{0}").format(sql.Identifier(n)) for n in target.key)
        if self.update and others:
            # Rows already there are updated by a plain UPDATE, not ON CONFLICT DO UPDATE: BEFORE INSERT
            # triggers fire for every row proposed to an INSERT, even one that then conflicts (a seat
            # would be taken twice), so the INSERT below only ever sees new keys.
            assignments = sql.SQL(", ").join(sql.SQL("{0} = s.{0}").format(sql.Identifier(n)) for n in others)
            statement = sql.SQL(
                "with w as (update {table} as t set {assignments} from {stage} s where {join} "
                "and {old} is distinct from {new} returning 1) select count(*) from w"
            ).format(
                table=table, assignments=assignments, stage=stage.name, join=join, old=compared("t"), new=compared("s")
            )
            row = cursor.execute(statement).fetchone()
            count.updated = row[0] if row else 0
        statement = sql.SQL(
            "with w as (insert into {table} as t ({columns}) select {columns} from {stage} s "
            "where not exists (select from {table} t where {join}) on conflict ({key}) do nothing returning 1) "
            "select count(*) from w"
        ).format(table=table, columns=stage.columns, stage=stage.name, join=join, key=key)
        row = cursor.execute(statement).fetchone()
        count.new = row[0] if row else 0
        if not self.update and others and count.new < count.staged:  # some were there already: do they differ?
            differs = sql.SQL(
                "select count(*) from {stage} s join {table} t on {join} where {old} is distinct from {new}"
            )
            row = cursor.execute(
                differs.format(stage=stage.name, table=table, join=join, old=compared("t"), new=compared("s"))
            ).fetchone()
            count.differs = row[0] if row else 0
        count.unchanged = count.staged - count.new - count.updated - count.differs

    def _delete_stale(self, cursor: psycopg.Cursor, main: _Stage, child: _Stage) -> int:
        """Child rows of the re-imported parents whose element is gone from the array."""
        target = child.target
        if target.parent is None:
            return 0
        same_key = sql.SQL(" and ").join(sql.SQL("s.{0} = c.{0}").format(sql.Identifier(n)) for n in target.key)
        cursor.execute(
            sql.SQL(
                "delete from {child} c using {parents} p where c.{parent} = p.{id} "
                "and not exists (select 1 from {stage} s where {same_key})"
            ).format(
                child=sql.Identifier(target.schema, target.table),
                parents=main.name,
                parent=sql.Identifier(target.parent),
                id=sql.Identifier(main.target.key[0]),
                stage=child.name,
                same_key=same_key,
            )
        )
        return cursor.rowcount


class _Refused(Exception):
    """The database refused a direct COPY; `document` is the one on the line it named, if it did."""

    def __init__(self, error: psycopg.DatabaseError, document: int | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.document = document


_COPY_LINE = re.compile(r"COPY (.+?), line (\d+)")


def _line_document(error: psycopg.DatabaseError, table: str, sent: Sequence[int]) -> int | None:
    """The document whose row the database refused, when the error's outermost context is the COPY
    line it was reading ("COPY users, line 812"). Foreign keys and AFTER triggers are checked once the
    last line is in, outside that context: None."""
    context = (error.diag.context or "").strip().splitlines()
    match = _COPY_LINE.match(context[-1]) if context else None
    if match is None or match.group(1) != table:
        return None
    line = int(match.group(2))
    return sent[line - 1] if 1 <= line <= len(sent) else None


def _refusal(error: psycopg.DatabaseError) -> tuple[str, str]:
    """(kind, reason) for a document the database refused, in the database's words."""
    diag = error.diag
    name = type(error).__name__
    kind = f"database: {name}" + (f" ({diag.constraint_name})" if diag.constraint_name else "")
    reason = f"database refused it: {diag.message_primary or error}"
    if diag.message_detail:
        reason += f" — {diag.message_detail}"
    return kind, reason


def load(
    conn: psycopg.Connection,
    mapping: Mapping,
    facts: dict[str, TableFacts],
    sources: Iterable[SourceFile],
    quarantine: Quarantine,
    **options: Any,
) -> ImportReport:
    """Import `sources` with `mapping` (see Loader for the options)."""
    return Loader(conn, mapping, facts, quarantine, **options).run(list(sources))
