"""Unit tests for api.engine.write_response: statuses, headers and result checks of writes, pure.

Plans come from api.engine.write_plan over a hand-made schema cache; result rows are written out
by hand in build_write's column order (total, page_total, body, response_headers, response_status,
location, inserted). Expected values are PostgREST's (reference §2.2 to §2.8, §11b F/G/H, §11c).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from api.engine.errors import ApiError
from api.engine.media import MediaChoice, negotiate
from api.engine.request import ApiRequest, parse_request
from api.engine.schema_cache import Column, QualifiedName, Relation, SchemaCache
from api.engine.write_plan import WritePlan, plan_write
from api.engine.write_response import (
    check_max_affected,
    check_write,
    preference_applied,
    write_response,
)

JSON = MediaChoice("json")
SINGULAR = MediaChoice("object")


def _relation(name: str, columns: tuple[str, ...], key: tuple[str, ...] = ()) -> Relation:
    cols = tuple(
        Column(c, "integer", 23, True, None, (), position, None, False) for position, c in enumerate(columns, 1)
    )
    return Relation(QualifiedName("wt", name), "table", cols, key, True, True, True, None)


RELATIONS = [
    _relation("items", ("id", "name"), ("id",)),
    _relation("pairs", ("a", "b", "v"), ("a", "b")),
    _relation("logs", ("msg",)),
]
BODIES = {"/items": b'{"id": 1}', "/pairs": b'{"a": 1, "b": 1}', "/logs": b'{"msg": 1}'}
CACHE = SchemaCache(
    relations={r.name: r for r in RELATIONS},
    relationships={},
    routines={},
    computed_fields={},
    schemas=("wt",),
    loaded_at=0.0,
)


def request(
    method: str, path: str, query: str = "", *, prefer: str | None = None, headers: Mapping[str, str] | None = None
) -> tuple[ApiRequest, WritePlan]:
    sent = dict(headers or {})
    if prefer:
        sent["Prefer"] = prefer
    body = None if method == "DELETE" else BODIES[path]
    api = parse_request(method, path, query, sent, body, schemas=["wt", "other"])
    return api, plan_write(api, CACHE)


def row(
    total: int = 1,
    page_total: int | None = None,
    body: str | None = None,
    headers: str | None = None,
    status: str | None = None,
    location: list[str] | None = None,
    inserted: int | None = None,
) -> tuple[Any, ...]:
    return (total, total if page_total is None else page_total, body, headers, status, location, inserted)


def respond(method: str, path: str, query: str = "", result: tuple[Any, ...] | None = None, **kwargs: Any):
    tx_allowed = kwargs.pop("tx_allowed", False)
    api, plan = request(method, path, query, **kwargs)
    return write_response(api, plan, result or row(), negotiate(api.accept), tx_allowed=tx_allowed)


def raises(code: str, call, *args: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    assert caught.value.code == code
    return caught.value


# -- POST ----------------------------------------------------------------------------------------


def test_insert_minimal() -> None:
    response = respond("POST", "/items")
    assert response.status == 201
    assert dict(response.headers) == {"Content-Range": "*/*"}
    assert response.body is None


@pytest.mark.parametrize(("count", "expected"), [("exact", "*/3"), ("estimated", "*/3"), ("planned", "*/*")])
def test_insert_counted(count: str, expected: str) -> None:
    response = respond("POST", "/items", result=row(3), prefer=f"count={count}")
    assert response.headers["Content-Range"] == expected
    assert response.headers["Preference-Applied"] == f"count={count}"


def test_insert_headers_only_location() -> None:
    response = respond("POST", "/pairs", result=row(location=["a=eq.1", "b=eq.x y/ü"]), prefer="return=headers-only")
    assert response.status == 201
    assert response.headers["Location"] == "/pairs?a=eq.1&b=eq.x%20y%2F%C3%BC"
    assert response.headers["Preference-Applied"] == "return=headers-only"
    assert "Content-Type" not in response.headers and response.body is None


def test_insert_null_key_location() -> None:
    response = respond("POST", "/items", result=row(location=["id=is.null"]), prefer="return=headers-only")
    assert response.headers["Location"] == "/items?id=is.null"


def test_insert_representation() -> None:
    response = respond("POST", "/items", result=row(body='[{"id":1}]'), prefer="return=representation")
    assert response.status == 201
    assert response.body == b'[{"id":1}]'
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Content-Range"] == "*/*"
    assert "Content-Profile" not in response.headers


def test_representation_echoes_the_profile_it_was_asked_for() -> None:
    response = respond("POST", "/items", result=row(body="[]"), prefer="return=representation",
                       headers={"Content-Profile": "wt"})  # fmt: skip
    assert response.headers["Content-Profile"] == "wt"


@pytest.mark.parametrize(
    ("inserted", "status"),
    [(2, 201), (1, 201), (0, 200), (None, 200)],  # None: no row at all (an empty array)
)
def test_merge_duplicates_status(inserted: int | None, status: int) -> None:
    result = row(2, inserted=inserted)
    response = respond("POST", "/items", result=result, prefer="resolution=merge-duplicates")
    assert response.status == status
    assert response.headers["Preference-Applied"] == "resolution=merge-duplicates"


def test_ignore_duplicates_is_always_201() -> None:
    response = respond("POST", "/items", result=row(0), prefer="resolution=ignore-duplicates")
    assert response.status == 201
    assert response.headers["Preference-Applied"] == "resolution=ignore-duplicates"


def test_resolution_not_echoed_without_conflict_target() -> None:
    response = respond("POST", "/logs", prefer="resolution=merge-duplicates, return=minimal")
    assert response.status == 201
    assert response.headers["Preference-Applied"] == "return=minimal"


def test_resolution_echoed_with_on_conflict_on_a_keyless_table() -> None:
    api, plan = request("POST", "/logs", "on_conflict=msg", prefer="resolution=ignore-duplicates")
    assert preference_applied(api, plan, tx_allowed=False) == "resolution=ignore-duplicates"


# -- PUT -----------------------------------------------------------------------------------------


def test_put_minimal_is_204_without_content_range() -> None:
    response = respond("PUT", "/items", "id=eq.1", result=row(inserted=1))
    assert response.status == 204
    assert "Content-Range" not in response.headers
    assert response.body is None


@pytest.mark.parametrize(("inserted", "status"), [(1, 201), (0, 200)])
def test_put_representation_status(inserted: int, status: int) -> None:
    result = row(body='[{"id":1}]', inserted=inserted)
    response = respond("PUT", "/items", "id=eq.1", result=result, prefer="return=representation")
    assert response.status == status
    assert response.body == b'[{"id":1}]'


def test_put_mismatch_must_roll_back() -> None:
    api, plan = request("PUT", "/items", "id=eq.1")
    error = raises("PGRST115", check_write, api, plan, JSON, row(0))
    assert error.status == 400
    assert error.message == "Payload values do not match URL in primary key column(s)"
    check_write(api, plan, SINGULAR, row(1))  # PUT is one row: no singular check


def test_put_preferences_applied() -> None:
    api, plan = request("PUT", "/items", "id=eq.1",
                        prefer="missing=default, return=representation, count=exact, handling=lenient")  # fmt: skip
    assert preference_applied(api, plan, tx_allowed=False) == "return=representation, count=exact, handling=lenient"


# -- PATCH ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("affected", "prefer", "expected"),
    [
        (2, None, "0-1/*"),
        (1, None, "0-0/*"),
        (0, None, "*/*"),
        (2, "count=exact", "0-1/2"),
        (0, "count=exact", "*/0"),
    ],
)
def test_update_content_range(affected: int, prefer: str | None, expected: str) -> None:
    response = respond("PATCH", "/items", "id=gt.0", result=row(affected), prefer=prefer)
    assert response.status == 204
    assert response.headers["Content-Range"] == expected
    assert "Content-Type" not in response.headers


def test_update_representation() -> None:
    response = respond("PATCH", "/items", "id=eq.9", result=row(0, body="[]"), prefer="return=representation")
    assert (response.status, response.body) == (200, b"[]")
    assert response.headers["Content-Range"] == "*/*"


def test_update_headers_only_is_204() -> None:
    response = respond("PATCH", "/items", result=row(1), prefer="return=headers-only")
    assert (response.status, response.body) == (204, None)
    assert "Location" not in response.headers


# -- DELETE --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prefer", "expected"), [(None, "*/*"), ("count=exact", "*/5"), ("count=planned", "*/*")])
def test_delete_content_range(prefer: str | None, expected: str) -> None:
    response = respond("DELETE", "/items", result=row(5), prefer=prefer)
    assert (response.status, response.headers["Content-Range"]) == (204, expected)


def test_delete_representation() -> None:
    response = respond("DELETE", "/items", "id=eq.1", result=row(body='[{"id":1}]'), prefer="return=representation")
    assert (response.status, response.body) == (200, b'[{"id":1}]')


# -- Preference-Applied ------------------------------------------------------------------------


def test_preferences_applied_in_postgrest_order() -> None:
    prefer = (
        "max-affected=5, timezone=UTC, handling=strict, tx=rollback, count=exact, return=representation,"
        " missing=default, resolution=merge-duplicates"
    )
    api, plan = request("POST", "/items", prefer=prefer)
    assert preference_applied(api, plan, tx_allowed=True) == (
        "resolution=merge-duplicates, missing=default, return=representation, count=exact, tx=rollback,"
        " handling=strict, timezone=UTC"  # max-affected is not reported for inserts
    )
    api, plan = request("PATCH", "/items", prefer=prefer)
    assert preference_applied(api, plan, tx_allowed=True) == (
        "missing=default, return=representation, count=exact, tx=rollback, handling=strict, timezone=UTC,"
        " max-affected=5"
    )
    api, plan = request("DELETE", "/items", prefer=prefer)
    assert preference_applied(api, plan, tx_allowed=False) == (
        "return=representation, count=exact, handling=strict, timezone=UTC, max-affected=5"
    )


def test_tx_reported_only_when_allowed() -> None:
    api, plan = request("DELETE", "/items", prefer="tx=commit")
    assert preference_applied(api, plan, tx_allowed=False) is None
    assert preference_applied(api, plan, tx_allowed=True) == "tx=commit"


def test_max_affected_reported_only_with_strict_handling() -> None:
    api, plan = request("DELETE", "/items", prefer="max-affected=5")
    assert preference_applied(api, plan, tx_allowed=False) is None


def test_unknown_preferences_are_not_reported() -> None:
    api, plan = request("DELETE", "/items", prefer="return=minimal, nope=1")
    assert preference_applied(api, plan, tx_allowed=False) == "return=minimal"


# -- checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_singular_needs_exactly_one_row(method: str) -> None:
    api, plan = request(method, "/items", headers={"Accept": "application/vnd.pgrst.object+json"})
    media = negotiate(api.accept)
    error = raises("PGRST116", check_write, api, plan, media, row(2))
    assert (error.status, error.message, error.details) == (
        406,
        "Cannot coerce the result to a single JSON object",
        "The result contains 2 rows",
    )
    raises("PGRST116", check_write, api, plan, media, row(0))
    check_write(api, plan, media, row(1))
    raises("PGRST116", write_response, api, plan, row(2), media)  # also refused when responding


def test_singular_content_type() -> None:
    response = respond("PATCH", "/items", "id=eq.1", result=row(body='{"id":1}'), prefer="return=representation",
                       headers={"Accept": "application/vnd.pgrst.object+json"})  # fmt: skip
    assert response.headers["Content-Type"] == "application/vnd.pgrst.object+json; charset=utf-8"
    assert response.body == b'{"id":1}'


def test_max_affected() -> None:
    api, plan = request("DELETE", "/items", prefer="handling=strict, max-affected=10")
    error = raises("PGRST124", check_max_affected, api, row(14))
    assert (error.status, error.message, error.details) == (
        400,
        "Query result exceeds max-affected preference constraint",
        "The query affects 14 rows",
    )
    check_max_affected(api, row(10))
    raises("PGRST124", check_write, api, plan, JSON, row(11))


def test_max_affected_ignored_without_strict_handling_and_for_inserts() -> None:
    api, plan = request("PATCH", "/items", prefer="max-affected=1")
    check_write(api, plan, JSON, row(5))
    api, plan = request("POST", "/items", prefer="handling=strict, max-affected=1")
    check_write(api, plan, JSON, row(5))  # PostgREST checks it on PATCH, DELETE and RPC only


# -- response.status / response.headers --------------------------------------------------------


def test_sql_status_and_headers_override() -> None:
    headers = '[{"Location": "/elsewhere"}, {"Set-Cookie": "a=1"}, {"Set-Cookie": "b=2"}]'
    result = row(location=["id=eq.1"], headers=headers, status="202")
    response = respond("POST", "/items", result=result, prefer="return=headers-only")
    assert response.status == 202
    assert response.headers.getall("Location") == ["/elsewhere"]
    assert response.headers.getall("Set-Cookie") == ["a=1", "b=2"]


@pytest.mark.parametrize("status", ["abc", "", "42", "1000"])
def test_bad_sql_status(status: str) -> None:
    error = raises("PGRST112", respond, "DELETE", "/items", "", row(status=status))
    assert (error.status, error.message) == (500, "response.status guc must be a valid status code")


@pytest.mark.parametrize("headers", ["nope", '{"a": "b"}', '[{"a": 1}]', '[{"a": "b", "c": "d"}]', "[1]"])
def test_bad_sql_headers(headers: str) -> None:
    error = raises("PGRST111", respond, "DELETE", "/items", "", row(headers=headers))
    assert error.status == 500


# -- on the wire ---------------------------------------------------------------------------------


async def test_empty_bodies_on_the_wire() -> None:
    """201 sends `Content-Length: 0` and no Content-Type; 204 sends neither (§11c)."""
    created = respond("POST", "/items")
    updated = respond("PATCH", "/items", result=row(2))

    async def handler(request: web.Request) -> web.Response:
        return created if request.path == "/created" else updated

    app = web.Application()
    app.router.add_post("/{name}", handler)
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/created")
        assert (response.status, response.headers["Content-Length"]) == (201, "0")
        assert "Content-Type" not in response.headers
        response = await client.post("/updated")
        assert response.status == 204
        assert "Content-Type" not in response.headers and "Content-Length" not in response.headers
        assert response.headers["Content-Range"] == "0-1/*"
