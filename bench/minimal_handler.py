"""The reference the engine is measured against: a minimal hand-written aiohttp + psycopg handler.

One route per benchmark scenario (`/<scenario>/articles?<the same query string>`), each running,
for every request, the SQL text Campus produces for that URL — obtained once at startup from the
engine's own modules (parse_request → plan_read against a schema cache from load_schema_cache →
build_read) — inside the same transaction semantics as `api/engine/tx.py`: BEGIN READ ONLY; the
engine's own set_config statement (role anon, its claims, method, path, request headers, cookies,
search_path); the statement; COMMIT. The body is returned as the bytes PostgreSQL built.

Two ways of talking to PostgreSQL (`--api`):

- `pq` (the reference): the four statements as one libpq pipeline through psycopg's low-level
  `psycopg.pq` interface, both parameterised statements prepared once per connection, connections
  from a psycopg pool with a semaphore sized to the pool in front of it — the fastest handler
  measured on this machine (shared/reference/stack.md, "Performance reference points").
- `psycopg`: the same pipeline through psycopg's ordinary async API (`conn.pipeline()`,
  `prepare_threshold=5`), written like `api/engine/tx.py` but with the SQL pre-rendered. A
  diagnostic: it separates what psycopg's high-level API costs from what the engine's own
  per-request Python costs.

Write routes (bench/write_bench.py), added when the schema cache has `bench.events`:
`/<scenario>/events` (POST, PATCH) and `/<scenario>/rpc/<function>` (POST, GET), one per
write scenario (bench/write_scenarios.py). Their SQL comes from the engine the same way
(parse_request → plan_write + build_write, or plan_rpc + build_rpc), built once with a sentinel
body and query value; per request the handler binds the request's body bytes and the varying
query value where the engine binds them, and sends BEGIN READ WRITE (READ ONLY for a stable
function called with GET, as the engine does); set_config; the statement; COMMIT as one
pipeline. `pq` only.

Run: `python bench/minimal_handler.py --port 3100 --workers 2 --pool 10` with `PGRST_DB_URI`
(the authenticator's URL) and `PGRST_DB_SCHEMAS=bench` set, as for `campus serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root, for `api`

import psycopg
from aiohttp import web
from psycopg import pq
from psycopg._queries import PostgresQuery
from psycopg.adapt import Transformer
from psycopg_pool import AsyncConnectionPool

from api.engine.jwt import Identity
from api.engine.read_plan import plan_read
from api.engine.request import parse_request
from api.engine.rpc_plan import plan_rpc
from api.engine.schema_cache import load_schema_cache
from api.engine.settings import EngineSettings
from api.engine.sql_read import build_read
from api.engine.sql_rpc import build_rpc
from api.engine.sql_write import build_write
from api.engine.tx import BEGIN_READ, BEGIN_WRITE, SET_CONFIG, RequestContext
from api.engine.write_plan import plan_write
from api.server import run_workers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scenarios import SCENARIOS, VARY_SENTINEL, Scenario
from write_scenarios import QUERY_SENTINEL, WRITE_SCENARIOS, WriteScenario

COMMIT = b"commit"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
OK = pq.ExecStatus.TUPLES_OK
SYNC = pq.ExecStatus.PIPELINE_SYNC
FAILED = frozenset({pq.ExecStatus.FATAL_ERROR, pq.ExecStatus.PIPELINE_ABORTED})


@dataclass(frozen=True)
class PgStatement:
    """A statement as it goes on the wire: `$n` text, parameter types and formats, a prepared name."""

    name: bytes
    query: bytes  # with $1, $2, …
    percent_query: bytes  # with %s placeholders, for psycopg's ordinary API
    params: list[Any]  # the Python values (strings) at startup; one of them may vary
    types: tuple[int, ...]
    formats: list[int]
    vary_index: int | None = None  # the parameter taken from the request, if any

    def values(self, varying: str | None) -> list[Any]:
        if self.vary_index is None or varying is None:
            return self.params
        values = list(self.params)
        values[self.vary_index] = varying
        return values


def to_wire(name: str, query: Any, params: list[Any], conn: psycopg.Connection[Any]) -> PgStatement:
    """Render a psycopg composable + parameters exactly as psycopg would send them."""
    percent = query.as_bytes(conn) if not isinstance(query, bytes) else query
    converted = PostgresQuery(Transformer(conn))
    converted.convert(percent, params)
    assert all(isinstance(p, str) for p in params), "every bound value of these URLs is a string"
    vary = next((i for i, p in enumerate(params) if VARY_SENTINEL in p), None)
    return PgStatement(
        name=name.encode(),
        query=converted.query,
        percent_query=percent,
        params=params,
        types=converted.types,
        formats=[int(f) for f in converted.formats or []],
        vary_index=vary,
    )


@dataclass(frozen=True)
class Route:
    """One scenario's pre-built SQL and what the handler needs to fill it in."""

    scenario: Scenario
    statement: PgStatement
    offset: int  # the page's first row, for Content-Range


def build_routes(settings: EngineSettings, conninfo: str) -> tuple[list[Route], PgStatement]:
    """Ask the engine's own modules for each scenario's SQL, once, before forking."""
    routes = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        cache = load_schema_cache(conn, settings.db_schemas, settings.db_extra_search_path)
        for scenario in SCENARIOS:
            api = parse_request(
                "GET",
                scenario.path,
                scenario.sentinel_query(),
                scenario.headers,
                None,
                schemas=settings.db_schemas,
            )
            plan = plan_read(api, cache, settings.db_max_rows)
            statement = build_read(plan, "json")
            routes.append(
                Route(
                    scenario,
                    to_wire(f"bench_{scenario.name}", statement.query, statement.params, conn),
                    plan.root.range.offset,
                )
            )
        set_config = to_wire("bench_set_config", SET_CONFIG, ["x"] * 7, conn)
    return routes, set_config


@dataclass(frozen=True)
class WriteRoute:
    """One write scenario's pre-built SQL: its parameters as psycopg dumps them (bytes), and which
    of them take the request's body and the varying query value."""

    scenario: WriteScenario
    name: bytes
    query: bytes
    params: list[bytes | None]
    types: tuple[int, ...]
    formats: list[int]
    begin: bytes  # BEGIN_WRITE, or BEGIN_READ where the engine reads (a stable function via GET)
    body_index: int | None
    vary_index: int | None

    def values(self, body: bytes | None, varying: str | None) -> list[bytes | None]:
        values = list(self.params)
        if self.body_index is not None:
            values[self.body_index] = body
        if self.vary_index is not None and varying is not None:
            values[self.vary_index] = varying.encode()
        return values


def build_write_routes(settings: EngineSettings, conninfo: str) -> list[WriteRoute]:
    """Ask the engine for each write scenario's SQL, once, before forking (none without bench.events)."""
    routes: list[WriteRoute] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        cache = load_schema_cache(conn, settings.db_schemas, settings.db_extra_search_path)
        if cache.relation(settings.db_schemas[0], "events") is None:
            return routes
        for scenario in WRITE_SCENARIOS:
            body = scenario.example_body(1)
            api = parse_request(
                scenario.method,
                scenario.path,
                scenario.query_for(QUERY_SENTINEL),
                scenario.headers,
                body,
                schemas=settings.db_schemas,
            )
            if scenario.path.startswith("/rpc/"):
                plan = plan_rpc(api, cache, max_rows=settings.db_max_rows, content_type="application/json")
                statement = build_rpc(plan, "json")
                begin = BEGIN_READ if plan.read_only else BEGIN_WRITE
            else:
                statement = build_write(plan_write(api, cache), "json")
                begin = BEGIN_WRITE
            percent = statement.query.as_bytes(conn)
            converted = PostgresQuery(Transformer(conn))
            converted.convert(percent, statement.params)
            params = [bytes(p) if p is not None else None for p in converted.params or []]
            routes.append(
                WriteRoute(
                    scenario=scenario,
                    name=f"bench_{scenario.name}".encode(),
                    query=converted.query,
                    params=params,
                    types=converted.types,
                    formats=[int(f) for f in converted.formats or []],
                    begin=begin,
                    body_index=next((i for i, p in enumerate(params) if body is not None and p == body), None),
                    vary_index=next((i for i, p in enumerate(params) if p and QUERY_SENTINEL.encode() in p), None),
                )
            )
    return routes


class Handler:
    """The per-process state: the pool, the pre-built statements and the request handlers."""

    def __init__(
        self,
        routes: list[Route],
        set_config: PgStatement,
        settings: EngineSettings,
        args: Any,
        write_routes: list[WriteRoute] | None = None,
    ) -> None:
        self.routes = routes
        self.write_routes = write_routes or []
        self.set_config = set_config
        self.api = args.api
        self.role = settings.db_anon_role or "anon"
        self.claims_json = Identity.of(self.role, {}).claims_json
        self.search_path = RequestContext(
            self.role, "", "GET", "", {}, {}, (settings.db_schemas[0], *settings.db_extra_search_path)
        ).config_params()[-1]
        self.pool = AsyncConnectionPool(
            args.conninfo,
            min_size=args.pool,
            max_size=args.pool,
            open=False,
            kwargs={"autocommit": True, "prepare_threshold": None if args.api == "pq" else 5},
        )
        self.gate = asyncio.Semaphore(args.pool) if args.api == "pq" else None
        self.prepared: dict[int, set[bytes]] = {}  # id(pgconn) → statement names prepared on it

    # -- the aiohttp app ------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ready", self.ready)
        for route in self.routes:
            app.router.add_get(f"/{route.scenario.name}{route.scenario.path}", self.handler_for(route))
        if self.api == "pq":
            for write in self.write_routes:
                path = f"/{write.scenario.name}{write.scenario.path}"
                app.router.add_route(write.scenario.method, path, self.write_handler_for(write))

        async def lifecycle(_: web.Application) -> Any:
            await self.pool.open(wait=True)
            yield
            await self.pool.close()

        app.cleanup_ctx.append(lifecycle)
        return app

    async def ready(self, _: web.Request) -> web.Response:
        return web.Response(text="ready")

    def handler_for(self, route: Route) -> Callable[[web.Request], Any]:
        vary_param = route.scenario.vary_param
        run = self.run_pq if self.api == "pq" else self.run_psycopg

        async def handle(request: web.Request) -> web.Response:
            varying = None
            if vary_param is not None:
                operand = request.query.get(vary_param)
                if operand is None:
                    return web.Response(status=400, text=f"missing {vary_param}")
                varying = operand.partition(".")[2]  # `eq.123` → `123`, as the engine binds it
            headers = {name.lower(): value for name, value in request.headers.items() if name.lower() != "cookie"}
            config = [
                self.role,
                self.claims_json,
                "GET",
                route.scenario.path,
                json.dumps(headers, separators=(",", ":")),
                json.dumps(dict(request.cookies), separators=(",", ":")),
                self.search_path,
            ]
            total, page_total, body = await run(route.statement, config, route.statement.values(varying))
            first = route.offset
            span = f"{first}-{first + page_total - 1}" if page_total else "*"
            return web.Response(
                status=206 if total is not None and page_total < total else 200,
                body=body,
                headers={
                    "Content-Type": JSON_CONTENT_TYPE,
                    "Content-Range": f"{span}/{total if total is not None else '*'}",
                },
            )

        return handle

    def write_handler_for(self, route: WriteRoute) -> Callable[[web.Request], Any]:
        """A write or RPC route: the request's body and varying value bound into the engine's SQL."""
        scenario = route.scenario
        vary_param = scenario.vary_param

        async def handle(request: web.Request) -> web.Response:
            varying = None
            if vary_param is not None:
                operand = request.query.get(vary_param)
                if operand is None:
                    return web.Response(status=400, text=f"missing {vary_param}")
                varying = operand.partition(".")[2] if "." in operand else operand  # `eq.7` → `7`; `7` → `7`
            body = await request.read() if route.body_index is not None else None
            headers = {name.lower(): value for name, value in request.headers.items() if name.lower() != "cookie"}
            config = [
                self.role,
                self.claims_json,
                scenario.method,
                scenario.path,
                json.dumps(headers, separators=(",", ":")),
                json.dumps(dict(request.cookies), separators=(",", ":")),
                self.search_path,
            ]
            row = await self.run_write_pq(route, config, route.values(body, varying))
            if scenario.status == 200:  # an RPC: the body PostgreSQL built
                span = f"0-{int(row[1]) - 1}/*" if row[1] else "*/*"  # page_total, as the engine's read_response
                headers = {"Content-Type": JSON_CONTENT_TYPE, "Content-Range": span}
                return web.Response(status=200, body=row[2] or b"", headers=headers)
            affected = int(row[0] or 0)  # as the engine's mutation_range: `*/*` for inserts
            span = f"0-{affected - 1}/*" if scenario.method == "PATCH" and affected else "*/*"
            return web.Response(status=scenario.status, headers={"Content-Range": span})

        return handle

    async def run_write_pq(self, route: WriteRoute, config: list[str], values: list[bytes | None]) -> list[Any]:
        """BEGIN; set_config; the statement; COMMIT as one pipeline; the statement's first row."""
        assert self.gate is not None
        async with self.gate, self.pool.connection() as conn:
            pgconn = conn.pgconn
            prepared = self.prepared.setdefault(id(pgconn), set())
            pgconn.enter_pipeline_mode()
            try:
                pgconn.send_query_params(route.begin, None)
                if self.set_config.name not in prepared:
                    pgconn.send_prepare(self.set_config.name, self.set_config.query, self.set_config.types)
                    prepared.add(self.set_config.name)
                pgconn.send_query_prepared(self.set_config.name, [p.encode() for p in config], self.set_config.formats)
                if route.name not in prepared:
                    pgconn.send_prepare(route.name, route.query, route.types)
                    prepared.add(route.name)
                pgconn.send_query_prepared(route.name, values, route.formats)
                pgconn.send_query_params(COMMIT, None)
                pgconn.pipeline_sync()
                results = await drain(pgconn)
            except BaseException:
                self.prepared.pop(id(pgconn), None)
                await conn.close()  # the pool replaces it
                raise
            pgconn.exit_pipeline_mode()
        failed = next((r for r in results if r.status in FAILED), None)
        if failed is not None:
            raise RuntimeError((failed.error_message or b"pipeline aborted").decode())
        main = [r for r in results if r.status == OK][-1]
        return [main.get_value(0, i) for i in range(main.nfields)]

    # -- the low-level pipeline -----------------------------------------------------------------
    async def run_pq(self, statement: PgStatement, config: list[str], values: list[str]) -> tuple[Any, int, bytes]:
        assert self.gate is not None
        async with self.gate, self.pool.connection() as conn:
            pgconn = conn.pgconn
            prepared = self.prepared.setdefault(id(pgconn), set())
            pgconn.enter_pipeline_mode()
            try:
                pgconn.send_query_params(BEGIN_READ, None)
                for stmt, params in ((self.set_config, config), (statement, values)):
                    if stmt.name not in prepared:
                        pgconn.send_prepare(stmt.name, stmt.query, stmt.types)
                        prepared.add(stmt.name)
                    pgconn.send_query_prepared(stmt.name, [p.encode() for p in params], stmt.formats)
                pgconn.send_query_params(COMMIT, None)
                pgconn.pipeline_sync()
                results = await drain(pgconn)
            except BaseException:
                self.prepared.pop(id(pgconn), None)
                await conn.close()  # the pool replaces it
                raise
            pgconn.exit_pipeline_mode()
        failed = next((r for r in results if r.status in FAILED), None)
        if failed is not None:
            raise RuntimeError((failed.error_message or b"pipeline aborted").decode())
        main = [r for r in results if r.status == OK][-1]
        total = main.get_value(0, 0)
        page_total = main.get_value(0, 1)
        return (
            int(total) if total is not None else None,
            int(page_total or 0),
            main.get_value(0, 2) or b"",
        )

    # -- psycopg's ordinary API (diagnostic) ----------------------------------------------------
    async def run_psycopg(self, statement: PgStatement, config: list[str], values: list[str]) -> tuple[Any, int, bytes]:
        async with self.pool.connection() as conn:
            async with conn.pipeline():
                await conn.execute(BEGIN_READ, prepare=False)
                await conn.execute(self.set_config.percent_query, config)
                cursor = conn.cursor()
                await cursor.execute(statement.percent_query, values)
                await conn.execute(COMMIT, prepare=False)
            row = await cursor.fetchone()
        assert row is not None
        total, page_total, body = row[0], row[1], row[2]
        return total, int(page_total or 0), body.encode()


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _wait(fd: int, writable: bool = False) -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    if writable:
        loop.add_writer(fd, _wake, future)
    else:
        loop.add_reader(fd, _wake, future)
    try:
        await future
    finally:
        if writable:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


async def drain(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Send what libpq buffered, then collect every result up to the pipeline's sync point."""
    fd = pgconn.socket
    while pgconn.flush():
        await _wait(fd, writable=True)
    results: list[pq.abc.PGresult] = []
    while True:
        while pgconn.is_busy():
            await _wait(fd)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one statement's results
            continue
        if result.status == SYNC:
            return results
        results.append(result)


# -- processes ------------------------------------------------------------------------------------
# Worker processes are run exactly as `campus serve --workers N` runs them (api.server.run_workers),
# so the two targets differ only in what happens inside a request.


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3100)
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the port (SO_REUSEPORT)")
    parser.add_argument("--pool", type=int, default=10, help="connections per process")
    parser.add_argument("--api", choices=["pq", "psycopg"], default="pq", help="low-level pipeline or ordinary API")
    args = parser.parse_args(argv)
    settings = EngineSettings.from_env()
    args.conninfo = settings.db_uri or os.environ.get("DATABASE_URL")
    if not args.conninfo:
        parser.error("set PGRST_DB_URI (the authenticator's URL)")
    routes, set_config = build_routes(settings, args.conninfo)
    write_routes = build_write_routes(settings, args.conninfo)
    run_workers(
        lambda: Handler(routes, set_config, settings, args, write_routes).app(), args.host, args.port, args.workers
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
