"""Statements on the wire: one libpq pipeline per request, through psycopg's low-level `pq` layer.

psycopg's ordinary async API costs several times the Python work per statement of this path
and writes each statement to the socket separately; a request here is rendered once, queued
whole (BEGIN … COMMIT) and flushed in one write, then its results are read up to the sync
point. Values are still dumped by psycopg's adapters, results loaded by its loaders, and
errors are psycopg's own exception classes, so everything above this module sees psycopg.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors, pq, sql
from psycopg.adapt import PyFormat, Transformer

PREPARED_PER_CONNECTION = 256  # beyond this, new query shapes run unprepared
_PLACEHOLDER = re.compile(rb"%(%|s)")
FATAL_ERROR = pq.ExecStatus.FATAL_ERROR


@lru_cache(maxsize=2048)
def numbered(query: bytes) -> bytes:
    """psycopg's `%s` placeholders as PostgreSQL's `$n` (and `%%` as `%`)."""
    counter = iter(range(1, 1 << 16))
    return _PLACEHOLDER.sub(lambda m: b"%" if m.group(1) == b"%" else b"$%d" % next(counter), query)


@lru_cache(maxsize=64)
def _unknown_types(count: int) -> tuple[int, ...]:
    return (0,) * count  # oid 0: PostgreSQL infers each type, as for psycopg's str parameters


def render(query: sql.Composable | bytes | str, context: psycopg.AsyncConnection | None) -> bytes:
    """The statement's bytes. `context` None renders as UTF-8 without asking the connection for
    every fragment (much faster); pass the connection when its encoding is something else."""
    if isinstance(query, bytes):
        return query
    if isinstance(query, str):
        return query.encode()
    return query.as_bytes(context)


@dataclass
class Prepared:
    """Names of the statements prepared on one connection, by query text and parameter types."""

    names: dict[tuple[bytes, tuple[int, ...]], bytes] = field(default_factory=dict)


_prepared: weakref.WeakKeyDictionary[psycopg.AsyncConnection, Prepared] = weakref.WeakKeyDictionary()


def forget_prepared(conn: psycopg.AsyncConnection) -> None:
    _prepared.pop(conn, None)


class Pipeline:
    """Queue statements on a connection, then `run()` them: one flush, results up to the sync."""

    def __init__(self, conn: psycopg.AsyncConnection, prepare: bool) -> None:
        self.conn = conn
        self.pgconn = conn.pgconn
        self.prepare = prepare
        self.transformer = Transformer(conn)
        self.render_context = None if conn.info.encoding == "utf-8" else conn
        self.expected: list[str] = []  # per queued result: "" (ignored), "first" row, or "all" rows
        self._names: dict[tuple[bytes, tuple[int, ...]], bytes] | None = None  # prepared on conn

    @property
    def names(self) -> dict[tuple[bytes, tuple[int, ...]], bytes]:
        if self._names is None:
            self._names = _prepared.setdefault(self.conn, Prepared()).names
        return self._names

    def send(
        self,
        query: sql.Composable | bytes | str,
        params: Sequence[Any] | None = None,
        *,
        keep: str = "",
        utf8: bytes | None = None,
    ) -> None:
        """Queue one statement. With `params` (even empty) the text follows psycopg's placeholder
        rules (`%s`, `%%`), as a psycopg `execute` would; without, it is sent as it is. `utf8` is
        `query` rendered already, used when the connection speaks UTF-8."""
        text = utf8 if utf8 is not None and self.render_context is None else render(query, self.render_context)
        values = types = formats = None
        if params is not None:
            text = numbered(text)
            if params:
                values, types, formats = self.dump(params)
        if self.prepare and params:
            assert types is not None
            names = self.names
            name = names.get((text, types))
            if name is None and len(names) < PREPARED_PER_CONNECTION:
                name = b"campus_%d" % len(names)
                self.pgconn.send_prepare(name, text, types)
                self.expected.append("")
                names[(text, types)] = name
            if name is not None:
                self.pgconn.send_query_prepared(name, values, formats)
                self.expected.append(keep)
                return
        self.pgconn.send_query_params(text, values, types or None, formats)
        self.expected.append(keep)

    def dump(self, params: Sequence[Any]) -> tuple[list[bytes | None], tuple[int, ...], list[pq.Format] | None]:
        """Parameters as psycopg dumps them (text format). Strings on a UTF-8 connection — nearly
        every parameter — are encoded directly, as psycopg's `unknown`-typed str dumper would."""
        if self.render_context is None and all(type(p) is str and "\0" not in p for p in params):
            return [p.encode() for p in params], _unknown_types(len(params)), None
        values = self.transformer.dump_sequence(list(params), [PyFormat.TEXT] * len(params))
        return values, tuple(self.transformer.types), list(self.transformer.formats)

    async def run(self) -> list[tuple[Any, ...] | None]:
        """Flush, wait for every result; the first row of each kept result, or the first error raised."""
        self.pgconn.pipeline_sync()
        results = await _drain(self.pgconn)
        expected, self.expected = self.expected, []
        for result in results:
            if result.status == FATAL_ERROR:
                raise errors.error_from_result(result, encoding=self.conn.info.encoding)
        rows: list[Any] = []
        for keep, result in zip(expected, results, strict=True):
            if keep == "first":
                rows.append(self._first_row(result))
            elif keep == "all":
                self.transformer.set_pgresult(result)
                rows.append(self.transformer.load_rows(0, result.ntuples, tuple))
        return rows

    def _first_row(self, result: pq.abc.PGresult) -> tuple[Any, ...] | None:
        if result.ntuples == 0:
            return None
        self.transformer.set_pgresult(result)
        return self.transformer.load_row(0, tuple)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _wait(fd: int, *, writable: bool) -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    (loop.add_writer if writable else loop.add_reader)(fd, _wake, future)
    try:
        await future
    finally:
        (loop.remove_writer if writable else loop.remove_reader)(fd)


async def _drain(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Send what libpq buffered, then collect every result up to the pipeline's sync point."""
    fd = pgconn.socket
    while pgconn.flush():
        await _wait(fd, writable=True)
    results: list[pq.abc.PGresult] = []
    while True:
        while pgconn.is_busy():
            await _wait(fd, writable=False)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one statement's results
            continue
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return results
        results.append(result)
