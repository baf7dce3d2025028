"""The response to a write: status and headers from the result row (reference §2.2 to §2.8, §11b F, G, H).

``check_write`` holds the outcomes only the result can decide — PUT matched no row (PGRST115), a
singular Accept met ≠ 1 row (PGRST116), ``max-affected`` exceeded (PGRST124). Each of them must
roll the transaction back, so the caller runs it before COMMIT (the executor's ``check`` hook).
``write_response`` then builds the answer:

| request | default | return=representation |
|---|---|---|
| POST   | 201, ``Content-Range: */*`` (``*/N`` counted) | 201 + body; 200 when a merge inserted nothing |
| PUT    | 204 | 201 inserted / 200 replaced, + body |
| PATCH  | 204, ``Content-Range: 0-(n-1)/*`` | 200 + body |
| DELETE | 204, ``Content-Range: */*`` | 200 + body |

plus ``Location`` (POST with ``return=headers-only``), ``Preference-Applied`` and the status and
headers SQL set through ``response.status`` / ``response.headers``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import CIMultiDict

from api.engine.errors import ApiError
from api.engine.media import MediaChoice
from api.engine.ranges import content_range
from api.engine.request import ApiRequest
from api.engine.write_plan import WritePlan

# The preferences each kind of write reports as honoured (PostgREST's Response.hs), listed in the
# fixed order of its Preference-Applied header.
PREFERENCE_ORDER = ("resolution", "missing", "return", "count", "tx", "handling", "timezone", "max-affected")
ECHOED = {
    "insert": frozenset({"resolution", "missing", "return", "count", "tx", "handling", "timezone"}),
    "update": frozenset({"missing", "return", "count", "tx", "handling", "timezone", "max-affected"}),
    "put": frozenset({"return", "count", "tx", "handling", "timezone"}),
    "delete": frozenset({"return", "count", "tx", "handling", "timezone", "max-affected"}),
}
COUNTED = frozenset({"exact", "estimated"})  # `planned` means nothing for a write: the total stays `*`

# row = (total, page_total, body, response_headers, response_status, location, inserted)
Row = Sequence[Any]


# -- checks before COMMIT ----------------------------------------------------------------------
def needs_check(api: ApiRequest, plan: WritePlan, media: MediaChoice) -> bool:
    """Whether `check_write` can fail for this request; if not, COMMIT goes out with the statement."""
    strict = api.preferences.handling == "strict" and api.preferences.max_affected is not None
    return plan.kind == "put" or media.kind == "object" or (strict and plan.kind in ("update", "delete"))


def check_write(api: ApiRequest, plan: WritePlan, media: MediaChoice, row: Row) -> None:
    """Raise the ApiError that must roll this write back, if any (PostgREST's order per kind)."""
    if plan.kind == "put":
        check_put(row)
        return
    check_singular(media, row)
    if plan.kind in ("update", "delete"):
        check_max_affected(api, row)


def check_put(row: Row) -> None:
    """The payload's key must be the URL's: otherwise the INSERT's WHERE kept no row."""
    if row[0] != 1:
        raise ApiError(400, "PGRST115", "Payload values do not match URL in primary key column(s)")


def check_singular(media: MediaChoice, row: Row) -> None:
    page_total = row[1]
    if media.kind == "object" and page_total != 1:
        raise ApiError(406, "PGRST116", "Cannot coerce the result to a single JSON object",
                       details=f"The result contains {page_total} rows")  # fmt: skip


def check_max_affected(api: ApiRequest, row: Row) -> None:
    """``Prefer: handling=strict, max-affected=N``: more than N affected rows is an error.

    Without ``handling=strict`` the preference is ignored. (PostgREST applies it to PATCH, DELETE
    and RPC; ``check_write`` calls it for PATCH and DELETE. An invalid preference under strict
    handling — PGRST122 — is rejected earlier, by ``parse_prefer``.)
    """
    preferences = api.preferences
    affected = row[0]
    if preferences.handling != "strict" or preferences.max_affected is None:
        return
    if affected > preferences.max_affected:
        raise ApiError(400, "PGRST124", "Query result exceeds max-affected preference constraint",
                       details=f"The query affects {affected} rows")  # fmt: skip


# -- the response ------------------------------------------------------------------------------
def write_response(
    api: ApiRequest, plan: WritePlan, row: Row, media: MediaChoice, *, tx_allowed: bool = False
) -> web.Response:
    """Status, headers and body of a successful write. ``tx_allowed``: ``db-tx-end`` lets clients
    choose (``*-allow-override``), so a ``Prefer: tx=…`` was honoured and is reported."""
    total, _, body, headers_json, status_text, location, inserted = row
    if plan.kind != "put":
        check_singular(media, row)
    representation = plan.returning == "representation"
    headers: CIMultiDict[str] = CIMultiDict()
    if location:
        headers["Location"] = location_header(plan, location)
    if plan.kind != "put":
        headers["Content-Range"] = mutation_range(plan, total)
    applied = preference_applied(api, plan, tx_allowed=tx_allowed)
    if applied:
        headers["Preference-Applied"] = applied
    if representation:
        headers["Content-Type"] = media.content_type
        if api.schema_from_header:
            headers["Content-Profile"] = api.schema
    response = web.Response(
        status=success_status(plan, inserted),
        body=body.encode() if representation and body is not None else None,
        headers=headers,
    )
    apply_overrides(response, status_text, headers_json)
    return response


def success_status(plan: WritePlan, inserted: int | None) -> int:
    representation = plan.returning == "representation"
    if plan.kind == "insert":
        merged_only = plan.counts_inserts and (inserted or 0) <= 0
        return 200 if merged_only else 201
    if plan.kind == "put":
        return (201 if (inserted or 0) > 0 else 200) if representation else 204
    return 200 if representation else 204


def mutation_range(plan: WritePlan, affected: int) -> str:
    """``*/*`` for inserts and deletes, ``0-(n-1)/*`` for updates; ``/n`` when a count was asked for."""
    total = affected if plan.count in COUNTED else None
    return content_range(0, affected if plan.kind == "update" else 0, total)


def location_header(plan: WritePlan, pairs: Sequence[str]) -> str:
    """``/t?k1=eq.v1&k2=eq.v2``: keys and values percent-encoded as PostgREST's query renderer does."""
    query = "&".join(
        f"{quote(key, safe='-_.~')}={quote(value, safe='-_.~')}"
        for key, _, value in (pair.partition("=") for pair in pairs)
    )
    return f"/{plan.relation.name.name}?{query}"


def preference_applied(api: ApiRequest, plan: WritePlan, *, tx_allowed: bool) -> str | None:
    """The honoured preferences, in PostgREST's order; None when there are none."""
    prefs = api.preferences
    values = {
        "resolution": prefs.resolution if plan.conflict is not None and plan.kind == "insert" else None,
        "missing": prefs.missing,
        "return": prefs.returning,
        "count": prefs.count,
        "tx": prefs.tx if tx_allowed else None,
        "handling": prefs.handling,
        "timezone": prefs.timezone,
        "max-affected": prefs.max_affected if prefs.handling == "strict" else None,
    }
    echoed = ECHOED[plan.kind]
    tokens = [f"{name}={values[name]}" for name in PREFERENCE_ORDER if name in echoed and values[name] is not None]
    return ", ".join(tokens) or None


# -- what SQL asked for ------------------------------------------------------------------------
def apply_overrides(response: web.Response, status_text: str | None, headers_json: str | None) -> None:
    """``response.status`` replaces the status; each ``response.headers`` name replaces ours."""
    if status_text is not None:
        response.set_status(guc_status(status_text))
    extra = guc_headers(headers_json)
    for name in {name.lower() for name, _ in extra}:
        response.headers.popall(name, None)
    for name, value in extra:
        response.headers.add(name, value)


def guc_status(text: str) -> int:
    try:
        status = int(text.strip())
    except ValueError:
        status = 0
    if not 100 <= status <= 999:
        raise ApiError(500, "PGRST112", "response.status guc must be a valid status code")
    return status


def guc_headers(text: str | None) -> list[tuple[str, str]]:
    """A JSON array of one-key objects with string values (a name may repeat), else PGRST111."""
    if not text:
        return []
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    valid = isinstance(document, list) and all(
        isinstance(item, dict) and len(item) == 1 and all(isinstance(v, str) for v in item.values())
        for item in document
    )
    if not valid:
        raise ApiError(
            500,
            "PGRST111",
            "response.headers guc must be a JSON array composed of objects with a single key and a string value",
        )
    return [next(iter(item.items())) for item in document]
