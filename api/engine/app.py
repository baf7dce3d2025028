"""The REST engine's HTTP face: one aiohttp handler that runs the pipeline for every request.

auth → request → plan → query → tx → response, each a module of its own; this file only wires
them and turns failures into PostgREST's error shape. Bodies come built by PostgreSQL and are
sent as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg
from aiohttp import web

from api.engine.error_mapping import api_error_from_postgres, error_headers, schema_cache_not_loaded_error
from api.engine.errors import ApiError
from api.engine.jwt import Identity, JwtVerifier
from api.engine.ranges import content_range, read_status
from api.engine.read_plan import plan_read
from api.engine.request import ApiRequest, MediaType, parse_request
from api.engine.schema_cache import SchemaCacheHolder
from api.engine.settings import EngineSettings
from api.engine.sql_read import build_read
from api.engine.tx import Executor, RequestContext

JSON = "application/json; charset=utf-8"
SINGULAR = "application/vnd.pgrst.object+json"
CSV = "text/csv"
CONTENT_TYPES = {"json": JSON, "object": f"{SINGULAR}; charset=utf-8", "csv": f"{CSV}; charset=utf-8"}
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class RestEngine:
    settings: EngineSettings
    verifier: JwtVerifier
    schema_cache: SchemaCacheHolder
    executor: Executor

    async def handle(self, request: web.Request) -> web.StreamResponse:
        identity: Identity | None = None
        try:
            identity = self.verifier.verify(request.headers.get("Authorization"))
            body = await request.read() if request.method not in READ_METHODS else None
            api = parse_request(
                request.method,
                request.rel_url.raw_path,
                request.rel_url.raw_query_string,
                request.headers,
                body,
                schemas=self.settings.db_schemas,
            )
            return await self.dispatch(request, api, identity)
        except ApiError as error:
            return error_response(error)
        except psycopg.Error as error:
            authenticated = identity is not None and identity.role != self.settings.db_anon_role
            return error_response(api_error_from_postgres(error, authenticated=authenticated))

    async def dispatch(self, request: web.Request, api: ApiRequest, identity: Identity) -> web.StreamResponse:
        cache = self.schema_cache.current
        if cache is None:
            raise schema_cache_not_loaded_error()
        if api.target.kind == "relation" and api.method in READ_METHODS:
            return await self.read(request, api, identity, cache)
        if api.target.kind == "relation" and api.method == "OPTIONS":
            return relation_options(api, cache)
        raise ApiError(
            501,
            "PGRST127",
            "Feature not implemented",
            details=f"{api.method} on {api.target.kind} is not implemented yet",
        )

    async def read(self, request: web.Request, api: ApiRequest, identity: Identity, cache) -> web.StreamResponse:
        kind = negotiate(api.accept)
        plan = plan_read(api, cache, self.settings.db_max_rows)
        statement = build_read(plan, kind, want_body=api.method == "GET")
        row = await self.executor.run(request_context(request, api, identity, self.settings), statement, read_only=True)
        assert row is not None
        total, page_total, body, headers_json, status_override = row
        if kind == "object" and page_total != 1:
            raise ApiError(
                406,
                "PGRST116",
                "Cannot coerce the result to a single JSON object",
                details=f"The result contains {page_total} rows",
            )
        status, error = read_status(plan.root.range.offset, page_total, total, plan.count is not None)
        if error is not None:
            raise error
        headers = {"Content-Range": content_range(plan.root.range.offset, page_total, total)}
        if plan.count:
            headers["Preference-Applied"] = f"count={plan.count}"
        response = web.Response(
            status=int(status_override) if status_override else status,
            body=body.encode() if api.method == "GET" else None,
            headers=headers,
        )
        response.content_type = CONTENT_TYPES[kind].split(";")[0]
        response.charset = "utf-8"
        apply_response_headers(response, headers_json)
        return response


def negotiate(accept: tuple[MediaType, ...]) -> str:
    """The body kind for the first acceptable media type (clients send */*; none means JSON)."""
    if not accept:
        return "json"
    for media in accept:
        full = f"{media.type}/{media.subtype}"
        if full in {"application/json", "*/*", "application/*"}:
            return "json"
        if full == SINGULAR:
            return "object"
        if full in {CSV, "text/*"}:
            return "csv"
    offered = ", ".join(f"{m.type}/{m.subtype}" for m in accept)
    raise ApiError(406, "PGRST107", f"None of these media types are available: {offered}")


def request_context(request: web.Request, api: ApiRequest, identity: Identity, settings: EngineSettings):
    headers = {name.lower(): value for name, value in request.headers.items() if name.lower() != "cookie"}
    return RequestContext(
        role=identity.role,
        claims_json=identity.claims_json,
        method=api.method,
        path=request.path,
        headers=headers,
        cookies=dict(request.cookies),
        search_path=(api.schema, *settings.db_extra_search_path),
        timezone=api.preferences.timezone,
    )


def apply_response_headers(response: web.StreamResponse, headers_json: str | None) -> None:
    """`response.headers` set by SQL: a JSON array of one-key objects (a name may repeat)."""
    if not headers_json:
        return
    for item in json.loads(headers_json):
        for name, value in item.items():
            response.headers.add(name, str(value))


def relation_options(api: ApiRequest, cache) -> web.Response:
    relation = cache.relation(api.schema, api.target.name)
    if relation is None:
        from api.engine.read_plan import relation_not_found

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


def error_response(error: ApiError) -> web.Response:
    return web.Response(
        status=error.status,
        body=error.body(),
        headers=error_headers(error),
        content_type="application/json",
        charset="utf-8",
    )
