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
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from api.engine.error_mapping import pool_timeout_error
from api.engine.sql_read import Statement

SET_CONFIG = sql.SQL(
    "select pg_catalog.set_config('role', %s, true), "
    "pg_catalog.set_config('request.jwt.claims', %s, true), "
    "pg_catalog.set_config('request.method', %s, true), "
    "pg_catalog.set_config('request.path', %s, true), "
    "pg_catalog.set_config('request.headers', %s, true), "
    "pg_catalog.set_config('request.cookies', %s, true), "
    "pg_catalog.set_config('search_path', %s, true)"
)
SET_TIMEZONE = sql.SQL("select pg_catalog.set_config('timezone', %s, true)")
Row = tuple[Any, ...] | None
BEGIN_READ = b"begin isolation level read committed read only"
BEGIN_WRITE = b"begin isolation level read committed read write"


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
            json.dumps(dict(self.headers), separators=(",", ":")),
            json.dumps(dict(self.cookies), separators=(",", ":")),
            ", ".join(sql.Identifier(s).as_string() for s in self.search_path),
        ]


class Executor:
    """Runs statements for requests on a pool of connections as the authenticator role."""

    def __init__(self, pool: AsyncConnectionPool, pre_request: tuple[str, ...] | None = None) -> None:
        """`pre_request`: the function's name, schema-qualified (two parts) or found on the search_path."""
        self.pool = pool
        self.pre_request = pre_request

    async def run(
        self,
        context: RequestContext,
        statements: Sequence[Statement],
        *,
        read_only: bool,
        rollback: bool = False,
        check: Callable[[list[Row]], None] | None = None,
    ) -> list[Row]:
        """Run `statements` in one request transaction; returns the first row of each.

        Without `check` everything, COMMIT included, goes out in one pipeline (one round trip).
        With it, the rows are read first and `check` may raise (an ApiError) to roll back —
        for outcomes only the result can decide (singular responses, max-affected).
        """
        try:
            async with self.pool.connection() as conn:
                return await self._transaction(conn, context, statements, read_only, rollback, check)
        except PoolTimeout as timeout:
            raise pool_timeout_error() from timeout

    async def _transaction(
        self,
        conn: psycopg.AsyncConnection,
        context: RequestContext,
        statements: Sequence[Statement],
        read_only: bool,
        rollback: bool,
        check: Callable[[list[Row]], None] | None,
    ) -> list[Row]:
        end = b"rollback" if rollback else b"commit"
        try:
            async with conn.pipeline():
                await conn.execute(BEGIN_READ if read_only else BEGIN_WRITE, prepare=False)
                await conn.execute(SET_CONFIG, context.config_params())
                if context.role_settings:
                    await conn.execute(*role_settings_statement(context.role_settings))
                if context.timezone:
                    await conn.execute(SET_TIMEZONE, [context.timezone])
                if self.pre_request:
                    await conn.execute(sql.SQL("select {}()").format(sql.Identifier(*self.pre_request)))
                cursors = []
                for statement in statements:
                    cursor = conn.cursor()
                    await cursor.execute(statement.query, statement.params)
                    cursors.append(cursor)
                if check is None:
                    await conn.execute(end, prepare=False)
            rows = [await cursor.fetchone() for cursor in cursors]
            if check is not None:
                check(rows)
                await conn.execute(end, prepare=False)
            return rows
        except BaseException:
            if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
                await conn.execute(b"rollback", prepare=False)
            raise


def role_settings_statement(settings: tuple[tuple[str, str], ...]) -> tuple[sql.Composed, list[str]]:
    calls = sql.SQL(", ").join(sql.SQL("pg_catalog.set_config(%s, %s, true)") for _ in settings)
    return sql.SQL("select {}").format(calls), [item for pair in settings for item in pair]


def make_pool(conninfo: str, size: int, acquisition_timeout: float, prepared_statements: bool) -> AsyncConnectionPool:
    """Connections in autocommit (we send BEGIN/COMMIT ourselves); prepared statements off behind poolers."""
    return AsyncConnectionPool(
        conninfo,
        min_size=min(2, size),
        max_size=size,
        timeout=acquisition_timeout,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 5 if prepared_statements else None},
    )
