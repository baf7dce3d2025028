"""Decode and transform documents in chunks, in this process or on N worker processes, in source order.

The main process only reads raw items (cheap) and ships them in chunks; workers decode, check and
convert, and send back rows already in COPY's text format plus ready-made quarantine lines: one bytes
object per row pickles in a fraction of the time of a tuple of Decimals and datetimes, and the main
process — which also drives the database — only joins and sends them. A bounded number of chunks is
in flight (about one batch's worth), so memory stays bounded however large the source is.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bson.errors import BSONError

from api.importer.catalog import TableFacts
from api.importer.copyrows import copy_line
from api.importer.mapping import Mapping
from api.importer.quarantine import record
from api.importer.references import Checked, checked_references
from api.importer.sources import Format, Position, RawChunk, decode
from api.importer.transform import Transformer
from api.importer.values import RejectReason

DECODE_ERRORS = (ValueError, TypeError, KeyError, OverflowError, BSONError)


@dataclass(frozen=True)
class Task:
    collection: str
    format: Format
    file: str
    start: int  # the sequence number of the first item (counted per collection, over all its files)
    index: int  # the first item's index in the file (the others follow it)
    offsets: list[int]
    payloads: list[bytes | str | dict[str, Any]]

    def __len__(self) -> int:
        return len(self.payloads)

    def item(self, seq: int) -> tuple[Any, Position]:
        """The raw item of document `seq`, and where it is."""
        at = seq - self.start
        return self.payloads[at], Position(self.file, self.index + at, self.offsets[at])


@dataclass
class Rows:
    """One target's rows: `lines[i]` is the COPY text line of a row of document `seqs[i]`."""

    seqs: list[int] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)


@dataclass
class ChunkResult:
    start: int
    count: int
    accepted: list[int] = field(default_factory=list)  # sequence numbers of documents that gave rows
    keys: list[Any] = field(default_factory=list)  # each accepted document's main-table key (for duplicates)
    rows: list[Rows] = field(default_factory=list)  # per target: the rows as COPY lines, with their documents
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, kind, quarantine line)
    skipped: int = 0  # unchanged since --since
    # referenced collection → (documents, the ids they point to): the columns of references.py, for
    # the loader's routing of a direct COPY
    refs: dict[str, tuple[list[int], list[Any]]] = field(default_factory=dict)


class Worker:
    """Everything a process needs to turn raw items into rows: compiled once, reused for every chunk."""

    def __init__(self, mapping: Mapping, facts: dict[str, TableFacts], since: dt.datetime | None) -> None:
        self.mapping = mapping
        self.facts = facts
        self.since = since
        self._transformers: dict[str, tuple[Transformer, tuple[int, ...], Checked]] = {}

    def _transformer(self, collection: str) -> tuple[Transformer, tuple[int, ...], Checked]:
        if collection not in self._transformers:
            transformer = Transformer(self.mapping[collection], self.facts)
            main = self.mapping[collection].main
            key_at = tuple(main.column_names.index(name) for name in main.key)
            checked = checked_references(self.mapping, self.facts, self.mapping[collection])
            self._transformers[collection] = (transformer, key_at, checked)
        return self._transformers[collection]

    def __call__(self, task: Task) -> ChunkResult:
        transformer, key_at, checked = self._transformer(task.collection)
        key_path = transformer.collection.key_path
        result = ChunkResult(task.start, len(task.payloads), rows=[Rows() for _ in transformer.targets])
        refs = result.refs
        for columns in checked:
            for _, collection in columns:
                refs.setdefault(collection, ([], []))
        since = self.since
        for offset, payload in enumerate(task.payloads):
            seq = task.start + offset
            try:
                document = decode(task.format, payload)
            except DECODE_ERRORS as error:
                reason = f"undecodable: {error}"
                position = task.item(seq)[1]
                raw = payload if isinstance(payload, bytes | str) else None
                result.rejects.append(
                    (seq, "undecodable", record(task.collection, reason, "undecodable", None, position, raw))
                )
                continue
            if since is not None and isinstance(document, dict) and not transformer.changed_since(document, since):
                result.skipped += 1
                continue
            try:
                per_target = transformer.rows(document)
            except RejectReason as reason:
                position = task.item(seq)[1]
                line = record(task.collection, str(reason), reason.kind, document, position, None, key_path)
                result.rejects.append((seq, reason.kind, line))
                continue
            result.accepted.append(seq)
            main_row = per_target[0][0]
            result.keys.append(main_row[key_at[0]] if len(key_at) == 1 else tuple(main_row[i] for i in key_at))
            for rows, out, columns in zip(per_target, result.rows, checked, strict=True):
                for row in rows:
                    out.seqs.append(seq)
                    out.lines.append(copy_line(row))
                    for index, collection in columns:
                        value = row[index]
                        if value is not None:
                            seqs, ids = refs[collection]
                            seqs.append(seq)
                            ids.append(value)
        return result


_worker: Worker | None = None


def _initialise(mapping: Mapping, facts: dict[str, TableFacts], since: dt.datetime | None) -> None:
    global _worker
    _worker = Worker(mapping, facts, since)


def _run(task: Task) -> ChunkResult:
    assert _worker is not None
    return _worker(task)


class ChunkRunner:
    """Maps tasks to results in order: in-process for jobs=1, on a process pool otherwise."""

    def __init__(
        self, mapping: Mapping, facts: dict[str, TableFacts], since: dt.datetime | None, jobs: int = 1, window: int = 0
    ):
        self.jobs = max(1, jobs)
        # chunks in flight: enough for the workers to keep parsing while the main process waits on a COPY
        self.window = max(window, 2 * self.jobs)
        self._local = Worker(mapping, facts, since) if self.jobs == 1 else None
        self._pool = None
        if self.jobs > 1:
            # fork: the workers inherit the imported modules instead of re-importing them
            context = multiprocessing.get_context("fork")
            self._pool = context.Pool(self.jobs, initializer=_initialise, initargs=(mapping, facts, since))

    def map(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, ChunkResult]]:
        if self._local is not None:
            for task in tasks:
                yield task, self._local(task)
            return
        assert self._pool is not None
        pending: deque[tuple[Task, Any]] = deque()
        for task in tasks:
            pending.append((task, self._pool.apply_async(_run, (task,))))
            if len(pending) >= self.window:
                done, future = pending.popleft()
                yield done, future.get()
        while pending:
            done, future = pending.popleft()
            yield done, future.get()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def terminate(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def chunks(collection: str, fmt: Format, file: str, raw: Iterable[RawChunk], start: int) -> Iterator[Task]:
    """A file's raw chunks as tasks, numbering documents from `start`."""
    for index, offsets, payloads in raw:
        yield Task(collection, fmt, file, start, index, offsets, payloads)
        start += len(payloads)
