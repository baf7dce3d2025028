"""The REST engine's HTTP face: one aiohttp handler that runs the pipeline for every request.

auth → request → plan → query → tx → response, each a module of its own; this file only wires
them and turns failures into PostgREST's error shape. Bodies come built by PostgreSQL and are
sent as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import psycopg
from aiohttp import web

from api.engine.error_mapping import api_error_from_postgres, schema_cache_not_loaded_error
from api.engine.errors import ApiError
from api.engine.jwt import Identity, JwtVerifier
from api.engine.media import MediaChoice, negotiate
from api.engine.openapi import (
    OPENAPI_CONTENT_TYPE,
    Privileges,
    accepts_openapi,
    openapi_document,
    openapi_json,
    privileges_statement,
)
from api.engine.read_plan import plan_read, relation_not_found
from api.engine.request import WRITE_METHODS, ApiRequest, parse_request
from api.engine.response import content_location, error_response, read_response, void_response
from api.engine.rpc_plan import plan_rpc, rpc_allow
from api.engine.schema_cache import SchemaCache, SchemaCacheHolder
from api.engine.settings import EngineSettings
from api.engine.shapes import ReadTemplate, Shape, ShapeCache, shape_of
from api.engine.sql_read import Statement, build_explain, build_read, explain, planned_rows
from api.engine.sql_rpc import build_rpc
from api.engine.sql_write import build_write
from api.engine.timing import OFF as TIMER_OFF
from api.engine.timing import StageTimer
from api.engine.tx import Executor, RequestContext
from api.engine.write_plan import plan_write
from api.engine.write_response import check_write, needs_check, write_response
from api.logs import get_logger

log = get_logger("campus.engine")
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class RestEngine:
    settings: EngineSettings
    verifier: JwtVerifier
    schema_cache: SchemaCacheHolder
    executor: Executor
    max_body: int = 10 * 1024 * 1024  # the application's client_max_size, named in 413 errors
    shapes: ShapeCache = field(default_factory=ShapeCache)  # read statements by request shape

    async def handle(self, request: web.Request) -> web.StreamResponse:
        timer = StageTimer(True) if self.settings.server_timing_enabled else TIMER_OFF
        response = await self.respond(request, timer)
        timer.mark("response")
        if (timing := timer.header()) is not None:
            response.headers["Server-Timing"] = timing
        return response

    async def respond(self, request: web.Request, timer: StageTimer) -> web.StreamResponse:
        identity: Identity | None = None
        try:
            identity = self.verifier.verify(request.headers.get("Authorization"))
            timer.mark("jwt")
            if request.method in READ_METHODS and (shaped := self.shaped(request, timer)) is not None:
                return await self.read_shaped(request, *shaped, identity, timer)
            body = await request.read() if request.method not in READ_METHODS else None
            api = parse_request(
                request.method,
                request.rel_url.raw_path,
                request.rel_url.raw_query_string,
                request.headers,
                body,
                schemas=self.settings.db_schemas,
            )
            timer.mark("parse")
            return await self.dispatch(request, api, identity, timer)
        except ApiError as error:
            return error_response(error)
        except web.HTTPRequestEntityTooLarge as too_large:  # aiohttp stops reading at the limit
            limit = self.max_body
            return error_response(ApiError(413, "PGRST413", f"Request body too large: the limit is {limit} bytes",
                                           details=too_large.text))  # fmt: skip
        except psycopg.Error as error:
            authenticated = identity is not None and identity.role != self.settings.db_anon_role
            cache = self.schema_cache.current
            messages = cache.constraint_messages if cache is not None else None
            return error_response(
                api_error_from_postgres(error, authenticated=authenticated, constraint_messages=messages)
            )
        except Exception:  # a bug of ours: log it, never show a traceback to the client
            log.exception("request failed", method=request.method, path=request.path)
            return error_response(ApiError(500, "PGRSTX00", "Internal server error"))

    async def dispatch(
        self, request: web.Request, api: ApiRequest, identity: Identity, timer: StageTimer
    ) -> web.StreamResponse:
        cache = self.schema_cache.current
        if cache is None:
            raise schema_cache_not_loaded_error()
        if api.target.kind == "relation" and api.method in READ_METHODS:
            return await self.read(request, api, identity, cache, timer)
        if api.target.kind == "relation" and api.method in WRITE_METHODS:
            return await self.write(request, api, identity, cache, timer)
        if api.target.kind == "relation" and api.method == "OPTIONS":
            return relation_options(api, cache)
        if api.target.kind == "rpc" and api.method == "OPTIONS":
            return web.Response(headers={"Allow": rpc_allow(cache.routines_named(api.schema, api.target.name))})
        if api.target.kind == "rpc":
            return await self.rpc(request, api, identity, cache, timer)
        if api.target.kind == "root":
            return await self.root(request, api, identity, cache)
        raise ApiError(
            501,
            "PGRST127",
            "Feature not implemented",
            details=f"{api.method} on {api.target.kind} is not implemented yet",
        )

    async def read(
        self, request: web.Request, api: ApiRequest, identity: Identity, cache, timer: StageTimer
    ) -> web.StreamResponse:
        media = negotiate(api.accept, plan_enabled=self.settings.db_plan_enabled)
        plan = plan_read(api, cache, self.settings.db_max_rows, aggregates=self.settings.db_aggregates_enabled)
        timer.mark("plan")
        context = request_context(request, api, identity, self.settings, cache.role_settings.get(identity.role, ()))
        count = plan.count
        planned: int | None = None
        if count in {"planned", "estimated"}:
            (explained,) = await self.executor.run(context, [build_explain(plan)], read_only=True)
            planned = planned_rows(explained)
            exact = count == "estimated" and (self.settings.db_max_rows is None or planned <= self.settings.db_max_rows)
            plan = replace(plan, count="exact" if exact else None)
        statement = build_read(plan, media.kind, want_body=api.method == "GET", strip_nulls=media.strip_nulls)
        if media.plan is not None:
            return await self.explained(context, statement, media, read_only=True)
        (row,) = await self.executor.run(context, [statement], read_only=True)
        timer.mark("transaction")
        assert row is not None
        total = row[0] if plan.count == "exact" else planned
        return read_response(api, media, plan.root.range.offset, count, row, total)

    def shaped(self, request: web.Request, timer: StageTimer) -> tuple[ReadTemplate, Shape, SchemaCache] | None:
        """The cached template for this read's shape, if it has one (building it on first sight)."""
        cache = self.schema_cache.current
        if cache is None:
            return None
        rel_url = request.rel_url
        shape = shape_of(request.method, rel_url.raw_path, rel_url.raw_query_string, request.headers)
        if shape is None:
            return None
        template = self.shapes.template(shape, request.headers, cache, self.settings)
        if template is None:  # the ordinary path parses and plans it
            return None
        timer.mark("parse")
        timer.mark("plan")  # nothing left to plan: the template was built for an earlier request
        return template, shape, cache

    async def read_shaped(
        self,
        request: web.Request,
        template: ReadTemplate,
        shape: Shape,
        cache: SchemaCache,
        identity: Identity,
        timer: StageTimer,
    ) -> web.StreamResponse:
        """`read` for a request whose statement was built before for its shape: bind and run."""
        api = template.api
        context = request_context(request, api, identity, self.settings, cache.role_settings.get(identity.role, ()))
        (row,) = await self.executor.run(context, [template.statement(shape.values)], read_only=True)
        timer.mark("transaction")
        assert row is not None
        total = row[0] if template.count == "exact" else None
        location = content_location(api.target, shape.params)
        return read_response(api, template.media, template.offset, template.count, row, total, location)

    async def write(
        self, request: web.Request, api: ApiRequest, identity: Identity, cache, timer: StageTimer
    ) -> web.StreamResponse:
        media = negotiate(api.accept, plan_enabled=self.settings.db_plan_enabled)
        plan = plan_write(api, cache, aggregates=self.settings.db_aggregates_enabled)
        timer.mark("plan")
        statement = build_write(plan, media.kind, strip_nulls=media.strip_nulls)
        context = request_context(request, api, identity, self.settings, cache.role_settings.get(identity.role, ()))
        if media.plan is not None:
            return await self.explained(context, statement, media, read_only=False)
        (row,) = await self.executor.run(
            context,
            [statement],
            read_only=False,
            rollback=self.ends_in_rollback(api),
            check=(lambda rows: check_write(api, plan, media, rows[0])) if needs_check(api, plan, media) else None,
        )
        timer.mark("transaction")
        return write_response(api, plan, row, media, tx_allowed=self.settings.tx_allow_override)

    async def explained(
        self, context: RequestContext, statement: Statement, media: MediaChoice, *, read_only: bool
    ) -> web.Response:
        """The execution plan instead of the result; always rolled back (`options=analyze` runs it)."""
        assert media.plan is not None
        (rows,) = await self.executor.run(
            context,
            [explain(statement, media.plan.format, media.plan.options)],
            read_only=read_only,
            rollback=True,
            all_rows=True,
        )
        assert rows is not None
        if media.plan.format == "json":
            body = json.dumps(rows[0][0], separators=(",", ":"))
        else:
            body = "\n".join(line for (line,) in rows)
        return web.Response(body=body.encode(), headers={"Content-Type": media.plan.content_type})

    def ends_in_rollback(self, api: ApiRequest) -> bool:
        """db-tx-end decides; `Prefer: tx=` may override it only where the setting allows."""
        wanted = api.preferences.tx if self.settings.tx_allow_override else None
        if wanted is not None:
            return wanted == "rollback"
        return self.settings.tx_rollback_all

    async def root(self, request: web.Request, api: ApiRequest, identity: Identity, cache) -> web.StreamResponse:
        """GET /: the OpenAPI (Swagger 2.0) document of what the requesting role may use."""
        if api.method == "OPTIONS":
            return web.Response(headers={"Allow": "OPTIONS,GET,HEAD"})
        if not accepts_openapi(api.accept):
            offered = ", ".join(m.mime for m in api.accept)
            raise ApiError(406, "PGRST107", f"None of these media types are available: {offered}")
        context = request_context(request, api, identity, self.settings, cache.role_settings.get(identity.role, ()))
        (row,) = await self.executor.run(context, [privileges_statement(api.schema)], read_only=True)
        assert row is not None
        server_url = f"http://{request.host}"
        document = openapi_document(cache, api.schema, Privileges.from_row(row), server_url=server_url)
        body = openapi_json(document) if api.method == "GET" else None
        return web.Response(body=body, headers={"Content-Type": OPENAPI_CONTENT_TYPE})

    async def rpc(
        self, request: web.Request, api: ApiRequest, identity: Identity, cache, timer: StageTimer
    ) -> web.StreamResponse:
        media = negotiate(api.accept, plan_enabled=self.settings.db_plan_enabled)
        plan = plan_rpc(api, cache, max_rows=self.settings.db_max_rows, aggregates=self.settings.db_aggregates_enabled,
                        content_type=request.content_type)  # fmt: skip
        timer.mark("plan")
        statement = build_rpc(plan, media.kind, want_body=api.method != "HEAD", strip_nulls=media.strip_nulls)
        context = request_context(request, api, identity, self.settings, cache.role_settings.get(identity.role, ()))
        if media.plan is not None:
            return await self.explained(context, statement, media, read_only=plan.read_only)
        (row,) = await self.executor.run(context, [statement], read_only=plan.read_only)
        timer.mark("transaction")
        assert row is not None
        if plan.result == "void":
            return void_response(row)
        offset = plan.node.range.offset if plan.node is not None else 0
        total = row[0] if plan.count == "exact" else None
        return read_response(api, media, offset, plan.count, row, total)


def request_context(
    request: web.Request,
    api: ApiRequest,
    identity: Identity,
    settings: EngineSettings,
    role_settings: tuple[tuple[str, str], ...] = (),
) -> RequestContext:
    headers = {lower: value for name, value in request.headers.items() if (lower := name.lower()) != "cookie"}
    return RequestContext(
        role=identity.role,
        claims_json=identity.claims_json,
        method=api.method,
        path=request.path,
        headers=headers,
        cookies=dict(request.cookies),
        search_path=(api.schema, *settings.db_extra_search_path),
        timezone=api.preferences.timezone,
        role_settings=role_settings,
    )


def relation_options(api: ApiRequest, cache) -> web.Response:
    relation = cache.relation(api.schema, api.target.name)
    if relation is None:
        raise relation_not_found(api.schema, api.target.name, cache)
    allowed = ["OPTIONS", "GET", "HEAD"]
    if relation.insertable:
        allowed.append("POST")
    if relation.insertable and relation.updatable and relation.primary_key:
        allowed.append("PUT")
    if relation.updatable:
        allowed.append("PATCH")
    if relation.deletable:
        allowed.append("DELETE")
    return web.Response(status=200, headers={"Allow": ",".join(allowed)})
