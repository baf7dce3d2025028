"""The only stage that touches the database: one transaction per request, sent as one pipeline.

BEGIN (READ ONLY for reads and stable functions); one `set_config` statement carrying the role,
the JWT claims, the request's method/path/headers/cookies and the search_path — all
transaction-local, so pooled connections (and PgBouncer in transaction mode) never leak them;
the pre-request function; the main statement; COMMIT or ROLLBACK. The whole sequence goes out
in a single libpq pipeline, so a read costs one round trip.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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

    def __init__(self, pool: AsyncConnectionPool, pre_request: tuple[str, str] | None = None) -> None:
        self.pool = pool
        self.pre_request = pre_request

    async def run(
        self,
        context: RequestContext,
        statement: Statement,
        *,
        read_only: bool,
        rollback: bool = False,
    ) -> tuple[Any, ...] | None:
        """Run `statement` in a request transaction and return its single row."""
        try:
            async with self.pool.connection() as conn:
                return await self._transaction(conn, context, statement, read_only, rollback)
        except PoolTimeout as timeout:
            raise pool_timeout_error() from timeout

    async def _transaction(
        self,
        conn: psycopg.AsyncConnection,
        context: RequestContext,
        statement: Statement,
        read_only: bool,
        rollback: bool,
    ) -> tuple[Any, ...] | None:
        try:
            async with conn.pipeline():
                await conn.execute(BEGIN_READ if read_only else BEGIN_WRITE, prepare=False)
                await conn.execute(SET_CONFIG, context.config_params())
                if context.timezone:
                    await conn.execute(SET_TIMEZONE, [context.timezone])
                if self.pre_request:
                    await conn.execute(sql.SQL("select {}()").format(sql.Identifier(*self.pre_request)))
                cursor = conn.cursor()
                await cursor.execute(statement.query, statement.params)
                await conn.execute(b"rollback" if rollback else b"commit", prepare=False)
            return await cursor.fetchone()
        except psycopg.Error:
            if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
                await conn.execute(b"rollback", prepare=False)
            raise


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
