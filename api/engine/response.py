"""The last stage: status and headers from the result row; the body bytes come built by PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

from aiohttp import web

from api.engine.error_mapping import error_headers
from api.engine.errors import ApiError
from api.engine.media import MediaChoice
from api.engine.ranges import content_range, read_status
from api.engine.request import ApiRequest, QueryParam, Target


def content_location(target: Target, query_params: Iterable[QueryParam]) -> str:
    """PostgREST's Content-Location: the path and the query parameters sorted by key, re-encoded."""
    params = sorted((p.key, p.value) for p in query_params)
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in params)
    path = "/" + (f"rpc/{target.name}" if target.kind == "rpc" else target.name)
    return f"{path}?{query}" if query else path


def read_response(
    api: ApiRequest,
    media: MediaChoice,
    offset: int,
    count: str | None,
    row: tuple,
    total: int | None,
    location: str | None = None,
) -> web.Response:
    """`location`: the Content-Location, when `api` does not hold the request's own query parameters."""
    _, page_total, body, headers_json, status_override = row
    if media.kind == "object" and page_total != 1:
        raise ApiError(406, "PGRST116", "Cannot coerce the result to a single JSON object",
                       details=f"The result contains {page_total} rows")  # fmt: skip
    status, error = read_status(offset, page_total, total, count is not None)
    if error is not None:
        raise error
    headers = {
        "Content-Range": content_range(offset, page_total, total),
        "Content-Location": location or content_location(api.target, api.query_params),
        "Content-Type": media.content_type,
    }
    if count:
        headers["Preference-Applied"] = f"count={count}"
    if api.schema_from_header:
        headers["Content-Profile"] = api.schema
    response = web.Response(
        status=int(status_override) if status_override else status,
        body=body.encode() if api.method != "HEAD" and body is not None else None,
        headers=headers,
    )
    apply_response_headers(response, headers_json)
    return response


def void_response(row: tuple) -> web.Response:
    """A function returning void: 204, no body, but SQL may still set headers or the status."""
    headers_json, status_override = row[3], row[4]
    response = web.Response(status=int(status_override) if status_override else 204)
    apply_response_headers(response, headers_json)
    return response


def apply_response_headers(response: web.StreamResponse, headers_json: str | None) -> None:
    """`response.headers` set by SQL: a JSON array of one-key objects (a name may repeat)."""
    if not headers_json:
        return
    for item in json.loads(headers_json):
        for name, value in item.items():
            response.headers.add(name, str(value))


def error_response(error: ApiError) -> web.Response:
    return web.Response(
        status=error.status,
        body=error.body(),
        headers={**error_headers(error), "Content-Type": "application/json; charset=utf-8"},
    )
