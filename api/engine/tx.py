"""The only stage that touches the database: one transaction per request, sent as one pipeline.

BEGIN (READ ONLY for reads and stable functions); one `set_config` statement carrying the role,
the JWT claims, the request's method/path/headers/cookies and the search_path — all
transaction-local, so pooled connections (and PgBouncer in transaction mode) never leak them;
the pre-request function; the main statement; COMMIT or ROLLBACK. The whole sequence goes out
in a single libpq pipeline, so a read costs one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import pq, sql
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from api.engine.error_mapping import pool_timeout_error
from api.engine.errors import ApiError
from api.engine.gate import Gate, GateTimeout
from api.engine.sql_read import Statement
from api.engine.wire import Pipeline, forget_prepared

# Constant statements are bytes already: nothing to render per request.
SET_CONFIG = (
    b"select pg_catalog.set_config('role', %s, true), "
    b"pg_catalog.set_config('request.jwt.claims', %s, true), "
    b"pg_catalog.set_config('request.method', %s, true), "
    b"pg_catalog.set_config('request.path', %s, true), "
    b"pg_catalog.set_config('request.headers', %s, true), "
    b"pg_catalog.set_config('request.cookies', %s, true), "
    b"pg_catalog.set_config('search_path', %s, true)"
)
SET_TIMEZONE = b"select pg_catalog.set_config('timezone', %s, true)"
Row = tuple[Any, ...] | None
BEGIN_READ = b"begin isolation level read committed read only"
BEGIN_WRITE = b"begin isolation level read committed read write"


@lru_cache(maxsize=64)
def search_path_setting(schemas: tuple[str, ...]) -> str:
    """The search_path value for the exposed schema and the extra ones, each quoted."""
    return ", ".join(sql.Identifier(schema).as_string() for schema in schemas)


@dataclass(frozen=True)
class RequestContext:
    """What the database learns about the request, besides the statement itself."""

    role: str
    claims_json: str
    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names, without cookie
    cookies: Mapping[str, str]
    search_path: Sequence[str]
    timezone: str | None = None
    role_settings: tuple[tuple[str, str], ...] = ()  # `alter role … set` of the request's role

    def config_params(self) -> list[str]:
        return [
            self.role,
            self.claims_json,
            self.method,
            self.path,
            compact_json(self.headers),
            compact_json(self.cookies) if self.cookies else "{}",
            search_path_setting(tuple(self.search_path)),
        ]


# One encoder for every request: `json.dumps` with separators builds a new one per call.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def compact_json(mapping: Mapping[str, str]) -> str:
    """`json.dumps(mapping, separators=(",", ":"))`, without building an encoder per call."""
    return _COMPACT.encode(mapping if isinstance(mapping, dict) else dict(mapping))


class Executor:
    """Runs statements for requests on a pool of connections as the authenticator role."""

    def __init__(
        self, pool: AsyncConnectionPool, pre_request: tuple[str, ...] | None = None, *, prepare: bool = True
    ) -> None:
        """`pre_request`: the function's name, schema-qualified (two parts) or found on the search_path;
        `prepare`: use prepared statements (off behind transaction-mode poolers)."""
        self.pool = pool
        self.pre_request = pre_request
        self.prepare = prepare
        self._gate: Gate | None = None
        # The pre-request call never changes: composed once (rendered per connection encoding).
        self._pre_request_call = sql.SQL("select {}()").format(sql.Identifier(*pre_request)) if pre_request else None

    @property
    def gate(self) -> Gate:
        """Requests queue here, not inside the pool: its waiting path is costly under load."""
        if self._gate is None:
            self._gate = Gate(self.pool.max_size, self.pool.timeout)
        return self._gate

    async def run(
        self,
        context: RequestContext,
        statements: Sequence[Statement],
        *,
        read_only: bool,
        rollback: bool = False,
        check: Callable[[list[Row]], None] | None = None,
        all_rows: bool = False,
    ) -> list[Row]:
        """Run `statements` in one request transaction; returns the first row of each (every row
        of each with `all_rows`, for EXPLAIN).

        Without `check` everything, COMMIT included, goes out in one pipeline (one round trip).
        With it, the rows are read first and `check` may raise (an ApiError) to roll back —
        for outcomes only the result can decide (singular responses, max-affected).
        """
        await self._enter_gate()
        try:
            # getconn/putconn rather than `pool.connection()`: that context manager also runs the
            # connection's own exit (a commit through its lock), a no-op here that costs per request.
            # putconn rolls back or discards a connection left in a transaction or broken.
            conn = await self.pool.getconn()
            try:
                return await self._transaction(conn, context, statements, read_only, rollback, check, all_rows)
            finally:
                await self.pool.putconn(conn)
        except PoolTimeout as timeout:
            raise pool_timeout_error() from timeout
        finally:
            self.gate.release()

    async def _enter_gate(self) -> None:
        """Wait for a connection slot, at most the pool's acquisition timeout (then 504 PGRST003)."""
        try:
            await self.gate.acquire()
        except GateTimeout as timeout:
            raise pool_timeout_error() from timeout

    async def _transaction(
        self,
        conn: psycopg.AsyncConnection,
        context: RequestContext,
        statements: Sequence[Statement],
        read_only: bool,
        rollback: bool,
        check: Callable[[list[Row]], None] | None,
        all_rows: bool = False,
    ) -> list[Row]:
        end = b"rollback" if rollback else b"commit"
        pipeline = Pipeline(conn, self.prepare)
        pgconn = conn.pgconn
        try:
            pgconn.enter_pipeline_mode()
            pipeline.send(BEGIN_READ if read_only else BEGIN_WRITE)
            pipeline.send(SET_CONFIG, context.config_params())
            if context.role_settings:
                pipeline.send(*role_settings_statement(context.role_settings))
            if context.timezone:
                pipeline.send(SET_TIMEZONE, [context.timezone])
            if self._pre_request_call is not None:
                pipeline.send(self._pre_request_call, [])
            for statement in statements:
                keep = "all" if all_rows else "first"
                pipeline.send(statement.query, statement.params, keep=keep, utf8=statement.utf8)
            if check is None:
                pipeline.send(end)
            try:
                rows = await pipeline.run()
                if check is not None:
                    check(rows)
                    pipeline.send(end)
                    await pipeline.run()
            except (psycopg.Error, ApiError):
                if pgconn.status == pq.ConnStatus.OK and pgconn.transaction_status != TransactionStatus.IDLE:
                    pipeline.send(b"rollback")
                    await pipeline.run()
                raise
            finally:
                if pgconn.status == pq.ConnStatus.OK:
                    pgconn.exit_pipeline_mode()
            return rows
        except (psycopg.Error, ApiError):
            if pgconn.status != pq.ConnStatus.OK:
                forget_prepared(conn)
            raise
        except BaseException:
            # Broken mid-flight (cancelled, say): the connection's state is unknown, so it goes.
            forget_prepared(conn)
            await conn.close()
            raise


def role_settings_statement(settings: tuple[tuple[str, str], ...]) -> tuple[sql.Composed, list[str]]:
    calls = sql.SQL(", ").join(sql.SQL("pg_catalog.set_config(%s, %s, true)") for _ in settings)
    return sql.SQL("select {}").format(calls), [item for pair in settings for item in pair]


def make_pool(conninfo: str, size: int, acquisition_timeout: float) -> AsyncConnectionPool:
    """Connections in autocommit: we send BEGIN/COMMIT ourselves."""
    return AsyncConnectionPool(
        conninfo,
        min_size=min(2, size),
        max_size=size,
        timeout=acquisition_timeout,
        open=False,
        # Statements are sent through the low-level pipeline (api/engine/wire.py), which prepares
        # them itself; psycopg's own preparation stays off.
        kwargs={"autocommit": True, "prepare_threshold": None},
    )
