"""Unit tests for api.engine.request: one HTTP request → ApiRequest, pure (no database)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import pytest
from multidict import CIMultiDict

from api.engine.errors import ApiError
from api.engine.grammar import (
    Column,
    Condition,
    Embed,
    Field,
    Filter,
    LogicTree,
    OpExpr,
    OrderTerm,
    Star,
)
from api.engine.request import (
    ApiRequest,
    EmbedRange,
    MediaType,
    Order,
    PageRange,
    Payload,
    Preferences,
    QueryParam,
    Target,
    looks_like_filter,
    parse_accept,
    parse_prefer,
    parse_range_header,
    parse_request,
    split_query_string,
)

SCHEMAS = ("api", "v2")


def request(
    method: str = "GET",
    path: str = "/items",
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    schemas: tuple[str, ...] = SCHEMAS,
) -> ApiRequest:
    return parse_request(method, path, query, headers or {}, body, schemas=schemas)


def fails(status: int, code: str, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        request(**kwargs)
    assert (caught.value.status, caught.value.code) == (status, code)
    return caught.value


def cond(name: str, operator: str, value: str | tuple[str, ...], **kwargs: Any) -> Condition:
    return Condition(Field(name), OpExpr(operator, value, **kwargs))


# --------------------------------------------------------------------------------------------
# Path and method
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/", Target("root")),
        ("", Target("root")),
        ("/items", Target("relation", "items")),
        ("/Order%20Items", Target("relation", "Order Items")),
        ("/caf%C3%A9", Target("relation", "café")),
        ("/a%2Fb", Target("relation", "a/b")),
        ("/rpc", Target("relation", "rpc")),
        ("/rpc/add_them", Target("rpc", "add_them")),
        ("/rpc/say%20hi", Target("rpc", "say hi")),
    ],
)
def test_targets(path: str, target: Target):
    assert request(path=path).target == target


@pytest.mark.parametrize("path", ["/a/b", "/rpc/a/b", "/items/", "//", "/rpc/", "//items", "/a/b/c"])
def test_deeper_paths_are_not_found(path: str):
    error = fails(404, "PGRST125", path=path)
    assert error.message == "Invalid path specified in request URL"


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"])
def test_table_methods(method: str):
    body = b'{"a":1}' if method in ("POST", "PATCH", "PUT") else None
    assert request(method=method, body=body).method == method


def test_method_is_normalised_to_upper_case():
    assert request(method="get").method == "GET"


def test_unsupported_method_on_a_table():
    error = fails(405, "PGRST117", method="TRACE")
    assert error.message == "Unsupported HTTP method: TRACE"


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
def test_root_accepts_only_reads_and_options(method: str):
    assert fails(405, "PGRST117", method=method, path="/").message == f"Unsupported HTTP method: {method}"


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_root_methods(method: str):
    assert request(method=method, path="/").target.kind == "root"


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "OPTIONS"])
def test_rpc_methods(method: str):
    assert request(method=method, path="/rpc/f").target == Target("rpc", "f")


@pytest.mark.parametrize("method", ["DELETE", "PATCH", "PUT", "TRACE"])
def test_other_methods_on_rpc(method: str):
    error = fails(405, "PGRST101", method=method, path="/rpc/f")
    assert error.message == f"Cannot use the {method} method on RPC"


def test_path_is_checked_before_method():
    fails(404, "PGRST125", method="TRACE", path="/a/b")


# --------------------------------------------------------------------------------------------
# Schema (profiles)
# --------------------------------------------------------------------------------------------


def test_default_schema_is_the_first():
    req = request()
    assert (req.schema, req.schema_from_header) == ("api", False)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_accept_profile_selects_the_schema_for_reads(method: str):
    req = request(method=method, headers={"Accept-Profile": "v2", "Content-Profile": "nope"})
    assert (req.schema, req.schema_from_header) == ("v2", True)


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
def test_content_profile_selects_the_schema_for_writes(method: str):
    req = request(method=method, headers={"content-profile": "v2", "accept-profile": "nope"}, body=b"{}")
    assert req.schema == "v2"


def test_rpc_post_uses_content_profile():
    assert request(method="POST", path="/rpc/f", headers={"Content-Profile": "v2"}).schema == "v2"


def test_unknown_profile_is_406():
    error = fails(406, "PGRST106", headers={"Accept-Profile": "nope"})
    assert error.message == "Invalid schema: nope"
    assert error.hint == "Only the following schemas are exposed: api, v2"
    assert error.details is None
    fails(406, "PGRST106", method="POST", headers={"Content-Profile": "x"}, body=b"{}")


def test_profile_is_checked_even_with_one_schema():
    fails(406, "PGRST106", headers={"Accept-Profile": "other"}, schemas=("api",))
    assert request(headers={"Accept-Profile": "api"}, schemas=("api",)).schema_from_header


def test_blank_profile_means_default():
    assert request(headers={"Accept-Profile": " "}).schema == "api"


def test_headers_from_a_multidict():
    headers = CIMultiDict([("ACCEPT-PROFILE", "v2"), ("Prefer", "count=exact"), ("Prefer", "return=minimal")])
    req = request(headers=headers)
    assert req.schema == "v2"
    assert (req.preferences.count, req.preferences.returning) == ("exact", "minimal")


# --------------------------------------------------------------------------------------------
# Query string
# --------------------------------------------------------------------------------------------


def test_form_decoding():
    assert split_query_string("a=b+c&d=%2B1&e%20f=x%26y") == (
        QueryParam("a", "b c"),
        QueryParam("d", "+1"),
        QueryParam("e f", "x&y"),
    )


def test_flags_without_equals_are_ignored_and_empty_values_kept():
    assert split_query_string("?flag&a=&&b=1") == (QueryParam("a", ""), QueryParam("b", "1"))


def test_semicolons_separate_pairs_like_postgrest():
    assert split_query_string("a=eq.1;b=eq.2") == (QueryParam("a", "eq.1"), QueryParam("b", "eq.2"))
    assert split_query_string("a=eq.1%3B2") == (QueryParam("a", "eq.1;2"),)


def test_plus_in_values_is_a_space():
    req = request(query="ts=gt.2025-01-01T00:00:00+00:00&category=in.(a,b+c)")
    assert req.filters == (
        Filter((), cond("ts", "gt", "2025-01-01T00:00:00 00:00")),
        Filter((), cond("category", "in", ("a", "b c"))),
    )


def test_query_params_are_kept_for_content_location():
    req = request(query="select=id&id=eq.1&flag")
    assert req.query_params == (QueryParam("select", "id"), QueryParam("id", "eq.1"))


def test_default_select_is_star():
    assert request().select == (Star(),)
    assert request(query="select=").select == (Star(),)


def test_select_is_parsed():
    req = request(query="select=id,fullName:full_name,clients(*)")
    assert req.select == (
        Column(Field("id")),
        Column(Field("full_name"), alias="fullName"),
        Embed("clients", (Star(),)),
    )


def test_first_reserved_parameter_wins():
    assert request(query="select=a&select=b").select == (Column(Field("a")),)


def test_filters_keep_query_order_and_duplicates():
    req = request(query="id=gt.0&or=(a.eq.1,b.eq.2)&id=lt.5&actors.name=eq.x&not.and=(c.eq.3)")
    assert req.filters == (
        Filter((), cond("id", "gt", "0")),
        Filter((), LogicTree("or", (cond("a", "eq", "1"), cond("b", "eq", "2")))),
        Filter((), cond("id", "lt", "5")),
        Filter(("actors",), cond("name", "eq", "x")),
        Filter((), LogicTree("and", (cond("c", "eq", "3"),), negated=True)),
    )


def test_reserved_keys_are_not_filters():
    req = request(
        query="select=id&columns=a&on_conflict=b&order=id&limit=1&offset=2"
        "&actors.order=name&roles.actors.limit=3&actors.offset=1&clients.or=(x.eq.1)"
    )
    assert req.filters == (Filter(("clients",), LogicTree("or", (cond("x", "eq", "1"),))),)


def test_empty_filter_value_on_a_table_is_a_parse_error():
    error = fails(400, "PGRST100", query="a=")
    assert error.message == '"failed to parse filter ()" (line 1, column 1)'


def test_filter_parse_errors_surface():
    fails(400, "PGRST100", query="id=0")
    fails(400, "PGRST100", query="col::int=eq.1")
    fails(400, "PGRST100", query="or=(a.eq.1")
    fails(400, "PGRST100", query="select=id,")
    fails(400, "PGRST100", query="order=id.up")


def test_order_per_embed_path():
    req = request(query="order=age.desc,id&actors.order=name.asc.nullslast&order=ignored")
    assert req.orders == (
        Order((), (OrderTerm(Field("age"), "desc"), OrderTerm(Field("id")))),
        Order(("actors",), (OrderTerm(Field("name"), "asc", "last"),)),
    )
    assert req.order_at(("actors",)) == (OrderTerm(Field("name"), "asc", "last"),)
    assert req.order_at(("nope",)) == ()


def test_related_order():
    req = request(query="order=clients(name).desc")
    assert req.order_at(()) == (OrderTerm(Field("name"), "desc", relation="clients"),)


def test_columns_and_on_conflict():
    req = request(method="POST", query="columns=%22title%22,%22author_id%22&on_conflict=id,sku", body=b"[]")
    assert req.columns == ("title", "author_id")
    assert req.on_conflict == ("id", "sku")
    assert request().columns is None and request().on_conflict is None


def test_columns_parse_error():
    error = fails(400, "PGRST100", method="POST", query="columns=a,", body=b"{}")
    assert error.message.startswith('"failed to parse columns parameter (a,)"')
    error = fails(400, "PGRST100", method="POST", query="on_conflict=", body=b"{}")
    assert error.message.startswith('"failed to parse on_conflict parameter ()"')


def test_filters_at():
    req = request(query="a=eq.1&rel.b=eq.2&rel.or=(c.eq.3)")
    assert [f.path for f in req.filters_at(("rel",))] == [("rel",), ("rel",)]
    assert req.filters_at(()) == (Filter((), cond("a", "eq", "1")),)


# --------------------------------------------------------------------------------------------
# limit / offset / Range
# --------------------------------------------------------------------------------------------


def test_limit_and_offset():
    req = request(query="limit=2&offset=4")
    assert req.range == PageRange(4, 2)
    assert request().range == PageRange() and request().range.is_unbounded
    assert request(query="offset=20&limit=20").range == PageRange(20, 20)
    assert request(query="limit=0").range == PageRange(0, 0)


def test_embedded_limits_and_offsets():
    req = request(query="actors.limit=5&roles.actors.offset=2&roles.actors.limit=3&limit=1")
    assert req.range == PageRange(0, 1)
    assert req.embed_ranges == (
        EmbedRange(("actors",), PageRange(0, 5)),
        EmbedRange(("roles", "actors"), PageRange(2, 3)),
    )
    assert req.range_at(("roles", "actors")) == PageRange(2, 3)
    assert req.range_at(("nope",)) == PageRange()
    assert req.range_at(()) == PageRange(0, 1)


def test_negative_limit_is_416():
    error = fails(416, "PGRST103", query="limit=-1")
    assert error.message == "Requested range not satisfiable"
    assert error.details == "Limit should be greater than or equal to zero."
    fails(416, "PGRST103", query="actors.limit=-3")


def test_negative_offset_is_ignored():
    assert request(query="offset=-5").range == PageRange(0, None)


def test_non_integer_limits_are_ignored():
    assert request(query="limit=abc&offset=1.5").range == PageRange()
    assert request(query="limit=" + "9" * 5000).range == PageRange()  # no int() of huge strings


def test_first_limit_wins():
    assert request(query="limit=1&limit=2").range == PageRange(0, 1)


@pytest.mark.parametrize(
    ("header", "page"),
    [
        ("0-4", PageRange(0, 5)),
        ("5-", PageRange(5, None)),
        ("items=2-3", PageRange(2, 2)),
        (" 1-1 ", PageRange(1, 1)),
    ],
)
def test_range_header(header: str, page: PageRange):
    assert parse_range_header(header) == page
    assert request(headers={"Range": header}).range == page


@pytest.mark.parametrize("header", ["", "abc", "-5", "1-2-3", "bytes=1-2", "a-b", "1 - 2", "9" * 40 + "-"])
def test_malformed_range_header_is_ignored(header: str):
    assert parse_range_header(header) is None
    assert request(headers={"Range": header}).range == PageRange()


def test_range_header_lower_above_upper_is_416():
    error = fails(416, "PGRST103", headers={"Range": "5-2"})
    assert error.details == (
        "The lower boundary must be lower than or equal to the upper boundary in the Range header."
    )


@pytest.mark.parametrize("method", ["HEAD", "POST", "PATCH", "DELETE", "OPTIONS"])
def test_range_header_is_only_for_get(method: str):
    body = b"{}" if method in ("POST", "PATCH") else None
    assert request(method=method, headers={"Range": "5-2"}, body=body).range == PageRange()


def test_range_header_intersects_limit_and_offset():
    assert request(query="limit=10&offset=2", headers={"Range": "0-4"}).range == PageRange(2, 3)
    assert request(query="offset=20", headers={"Range": "0-9"}).range == PageRange(20, 0)
    assert request(query="limit=3", headers={"Range": "5-"}).range == PageRange(5, 0)


def test_page_range_intersection():
    assert PageRange(0, None).intersect(PageRange(3, None)) == PageRange(3, None)
    assert PageRange(0, 10).intersect(PageRange(5, 10)) == PageRange(5, 5)
    assert PageRange(0, 2).intersect(PageRange(5, 10)) == PageRange(5, 0)


# --------------------------------------------------------------------------------------------
# Prefer
# --------------------------------------------------------------------------------------------


def test_no_prefer_header():
    assert request().preferences == Preferences()


def test_every_preference():
    prefs = parse_prefer(
        [
            "return=headers-only, count=planned, resolution=ignore-duplicates, missing=default, "
            "handling=lenient, max-affected=10, tx=rollback, timezone=America/Los_Angeles, params=single-object"
        ]
    )
    assert prefs == Preferences(
        returning="headers-only",
        count="planned",
        resolution="ignore-duplicates",
        missing="default",
        handling="lenient",
        max_affected=10,
        tx="rollback",
        timezone="America/Los_Angeles",
        params="single-object",
    )


@pytest.mark.parametrize(
    "header",
    [
        "return=representation,resolution=merge-duplicates",
        "resolution=merge-duplicates, return=representation",
        " resolution = merge-duplicates ,return=representation, ",
    ],
)
def test_prefer_is_a_comma_list_in_any_order(header: str):
    prefs = request(headers={"Prefer": header}).preferences
    assert (prefs.returning, prefs.resolution, prefs.invalid) == ("representation", "merge-duplicates", ())


@pytest.mark.parametrize("value", ["minimal", "headers-only", "representation"])
def test_return_values(value: str):
    assert parse_prefer([f"return={value}"]).returning == value


@pytest.mark.parametrize("value", ["exact", "planned", "estimated"])
def test_count_values(value: str):
    assert parse_prefer([f"count={value}"]).count == value


def test_first_occurrence_of_a_kind_wins():
    prefs = parse_prefer(["count=exact", "count=planned, return=minimal, return=representation"])
    assert (prefs.count, prefs.returning, prefs.invalid) == ("exact", "minimal", ())


def test_unknown_preferences_are_collected_and_ignored_when_lenient():
    prefs = parse_prefer(["foo, return=everything, count=exact, max-affected=-1, max-affected=x, bar=1, timezone="])
    assert prefs.count == "exact"
    assert prefs.returning is None and prefs.max_affected is None and prefs.timezone is None
    assert prefs.invalid == ("foo", "return=everything", "max-affected=-1", "max-affected=x", "bar=1", "timezone=")


def test_strict_handling_rejects_unknown_preferences():
    error = fails(400, "PGRST122", headers={"Prefer": "handling=strict, foo, bar=baz"})
    assert error.message == "Invalid preferences given with handling=strict"
    assert error.details == "Invalid preferences: foo, bar=baz"


def test_strict_handling_with_only_known_preferences():
    prefs = parse_prefer(["handling=strict, max-affected=5"])
    assert (prefs.handling, prefs.max_affected) == ("strict", 5)


# --------------------------------------------------------------------------------------------
# Accept
# --------------------------------------------------------------------------------------------


def test_missing_or_blank_accept_means_anything():
    assert request().accept == (MediaType("*", "*"),)
    assert parse_accept("  ") == (MediaType("*", "*"),)


@pytest.mark.parametrize(
    "mime",
    [
        "application/json",
        "*/*",
        "application/vnd.pgrst.object+json",
        "application/vnd.pgrst.object",
        "text/csv",
        "application/geo+json",
        "application/openapi+json",
    ],
)
def test_single_media_types(mime: str):
    (media,) = parse_accept(mime)
    assert media.mime == mime


def test_accept_is_ordered_by_quality_then_position():
    wanted = parse_accept("text/csv;q=0.5, application/json, text/plain;q=0.9, */*;q=0.5")
    assert [m.mime for m in wanted] == ["application/json", "text/plain", "text/csv", "*/*"]
    assert wanted[2].q == 0.5


def test_accept_drops_q_zero_and_keeps_unknown_types_for_the_planner():
    assert [m.mime for m in parse_accept("text/unknowntype, text/csv, application/json;q=0")] == [
        "text/unknowntype",
        "text/csv",
    ]


def test_accept_parameters():
    (media,) = parse_accept('Application/Vnd.Pgrst.Plan+JSON; for="application/json"; options=analyze|verbose')
    assert media.mime == "application/vnd.pgrst.plan+json"
    assert media.param("for") == "application/json"
    assert media.param("options") == "analyze|verbose"
    assert media.param("missing") is None
    (stripped,) = parse_accept("application/vnd.pgrst.object+json;nulls=stripped")
    assert stripped.params == (("nulls", "stripped"),)
    assert str(stripped) == "application/vnd.pgrst.object+json; nulls=stripped"


def test_accept_commas_inside_quotes_do_not_split():
    wanted = parse_accept('application/vnd.pgrst.plan; for="a,b", text/csv')
    assert [m.mime for m in wanted] == ["application/vnd.pgrst.plan", "text/csv"]
    assert wanted[0].param("for") == "a,b"


def test_accept_bad_quality_counts_as_one():
    assert parse_accept("text/csv;q=abc")[0].q == 1.0
    assert parse_accept("text/csv;q=nan")[0].q == 1.0
    assert parse_accept("text/csv;q=7")[0].q == 1.0


def test_accept_headers_are_merged():
    headers = CIMultiDict([("Accept", "text/csv;q=0.1"), ("Accept", "application/json")])
    assert [m.mime for m in request(headers=headers).accept] == ["application/json", "text/csv"]


def test_accept_skips_empty_entries():
    assert [m.mime for m in parse_accept("text/csv,, ,application/json")] == ["text/csv", "application/json"]


# --------------------------------------------------------------------------------------------
# Body
# --------------------------------------------------------------------------------------------


def test_reads_and_deletes_have_no_payload():
    assert request(body=b"garbage").payload is None
    assert request(method="DELETE", body=b"{}").payload is None  # the Python client sends {}
    assert request(method="GET", path="/rpc/f", body=b"x").payload is None


def test_json_object_body():
    payload = request(method="POST", body=b'{"id":1,"name":"x"}').payload
    assert payload == Payload("application/json", "json", b'{"id":1,"name":"x"}', ("id", "name"), False)


def test_json_array_body_with_uniform_keys():
    body = b'[{"a":1,"b":2},{"b":3,"a":4}]'
    payload = request(method="POST", body=body, headers={"Content-Type": "application/json; charset=utf-8"}).payload
    assert payload == Payload("application/json", "json", body, ("a", "b"), True)
    assert request(method="POST", body=b"[]").payload == Payload("application/json", "json", b"[]", (), True)


@pytest.mark.parametrize("body", [b'[{"a":1},{"b":2}]', b'[{"a":1},{"a":1,"b":2}]', b"[1,2]", b'[{"a":1},3]'])
def test_json_array_keys_must_match(body: bytes):
    error = fails(400, "PGRST102", method="POST", body=body)
    assert error.message == "All object keys must match"


@pytest.mark.parametrize("body", [b"", b"  ", None, b"{", b"nope", b"\xff\xfe\x00", b"[" * 100_000])
def test_empty_or_invalid_json(body: bytes | None):
    assert fails(400, "PGRST102", method="POST", body=body).message == "Empty or invalid json"


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_empty_body_on_update(method: str):
    fails(400, "PGRST102", method=method, body=b"")


def test_json_scalar_counts_as_no_rows():
    assert request(method="POST", body=b'"hello"').payload == Payload("application/json", "json", b"[]", (), True)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_columns_pass_the_body_through_unparsed(method: str):
    payload = request(method=method, query="columns=a,b", body=b' [{"a":1},{"z":2}] ').payload
    assert payload == Payload("application/json", "raw_json", b' [{"a":1},{"z":2}] ', ("a", "b"), True)
    payload = request(method=method, query="columns=a", body=b'{"a":1}').payload
    assert payload is not None and (payload.kind, payload.is_array) == ("raw_json", False)


def test_put_ignores_columns_for_the_body():
    payload = request(method="PUT", query="columns=a&id=eq.1", body=b'{"id":1,"a":2}').payload
    assert payload is not None and payload.kind == "json" and payload.keys == ("id", "a")


def test_csv_body_becomes_json():
    body = b'name,age\nJ Doe,62\nJonas,NULL\n"x, ""y""",\n'
    payload = request(method="POST", body=body, headers={"Content-Type": "text/csv"}).payload
    assert payload is not None
    assert (payload.media_type, payload.kind, payload.keys, payload.is_array) == (
        "text/csv",
        "json",
        ("name", "age"),
        True,
    )
    assert json.loads(payload.data) == [
        {"name": "J Doe", "age": "62"},
        {"name": "Jonas", "age": None},
        {"name": 'x, "y"', "age": ""},
    ]


def test_empty_csv_body():
    payload = request(method="POST", body=b"", headers={"Content-Type": "text/csv"}).payload
    assert payload == Payload("text/csv", "json", b"[]", (), True)


def test_ragged_csv_is_rejected():
    error = fails(400, "PGRST102", method="POST", body=b"a,b\n1\n", headers={"Content-Type": "text/csv"})
    assert error.message == "All lines must have same number of fields"


def test_invalid_csv_is_rejected():
    fails(400, "PGRST102", method="POST", body=b"\xff\xfe", headers={"Content-Type": "text/csv"})
    fails(400, "PGRST102", method="POST", body=b'a\n"x"y\n', headers={"Content-Type": "text/csv"})


def test_form_body_on_a_table():
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    payload = request(method="POST", body=b"a=1&b=x+y&a=2", headers=form).payload
    assert payload is not None and payload.kind == "json" and payload.keys == ("a", "b")
    assert json.loads(payload.data) == {"a": "2", "b": "x y"}


def test_form_body_on_rpc_keeps_repeated_keys():
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    payload = request(method="POST", path="/rpc/f", body=b"v=1&v=2&v=3&w=", headers=form).payload
    assert payload is not None and json.loads(payload.data) == {"v": ["1", "2", "3"], "w": ""}


def test_rpc_post_with_empty_body_has_no_arguments():
    assert request(method="POST", path="/rpc/f", body=b"").payload == Payload("application/json", "json", b"{}")


def test_rpc_post_json_body():
    payload = request(method="POST", path="/rpc/add", body=b'{"a":1,"b":2}').payload
    assert payload is not None and payload.keys == ("a", "b") and not payload.is_array


@pytest.mark.parametrize("mime", ["text/plain", "text/xml", "application/octet-stream"])
def test_rpc_raw_bodies(mime: str):
    payload = request(method="POST", path="/rpc/f", body=b"\x00raw", headers={"Content-Type": mime}).payload
    assert payload == Payload(mime, "raw", b"\x00raw")


@pytest.mark.parametrize("mime", ["text/plain", "application/xml", "image/png"])
def test_unsupported_content_type(mime: str):
    error = fails(400, "PGRST102", method="POST", body=b"x", headers={"Content-Type": mime + "; charset=utf-8"})
    assert error.message == f"Content-Type not acceptable: {mime}"


# --------------------------------------------------------------------------------------------
# RPC parameters
# --------------------------------------------------------------------------------------------


def test_rpc_get_keeps_plain_params_unparsed():
    req = request(path="/rpc/add_them", query="a=1&b=2&select=x&order=x&or=(x.eq.1)")
    assert req.rpc_params == (QueryParam("a", "1"), QueryParam("b", "2"))
    assert req.filters == (Filter((), LogicTree("or", (cond("x", "eq", "1"),))),)  # trees are reserved
    assert req.select == (Column(Field("x")),)


def test_rpc_get_params_that_are_not_filters_do_not_fail_early():
    req = request(path="/rpc/f", query="name=John&empty=&in=in.the.park")
    assert req.rpc_params == (QueryParam("name", "John"), QueryParam("empty", ""), QueryParam("in", "in.the.park"))


def test_split_rpc_params_by_argument_names():
    req = request(path="/rpc/best_films", query="rating=gt.8&min=eq.3&v=1&v=2&actors.name=eq.x")
    args, filters = req.split_rpc_params({"min", "v"})
    assert args == (("min", "eq.3"), ("v", "1"), ("v", "2"))
    assert filters == (
        Filter((), cond("rating", "gt", "8")),
        Filter(("actors",), cond("name", "eq", "x")),
    )


def test_split_rpc_params_by_postgrest_guess():
    req = request(path="/rpc/f", query="a=1&id=eq.1&b=&c=not.in.(1)&t=fts(english).x&rel.x=eq.1&d=equal")
    args, filters = req.split_rpc_params()
    assert args == (("a", "1"), ("b", ""), ("d", "equal"))
    assert filters == (
        Filter((), cond("id", "eq", "1")),
        Filter((), cond("c", "in", ("1",), negated=True)),
        Filter((), cond("t", "fts", "x", fts_config="english")),
        Filter(("rel",), cond("x", "eq", "1")),
    )
    with pytest.raises(ApiError):  # an embedded key is always a filter, so its value must parse
        request(path="/rpc/f", query="rel.x=1").split_rpc_params()


def test_split_rpc_params_raises_for_unparsable_filters():
    req = request(path="/rpc/f", query="a=1&x=nope")
    with pytest.raises(ApiError) as caught:
        req.split_rpc_params({"a"})
    assert caught.value.code == "PGRST100"


def test_rpc_post_query_params_are_filters():
    req = request(method="POST", path="/rpc/f", query="id=eq.1", body=b"{}")
    assert req.filters == (Filter((), cond("id", "eq", "1")),)
    assert req.rpc_params == ()
    fails(400, "PGRST100", method="POST", path="/rpc/f", query="name=John", body=b"{}")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("id", "eq.1", True),
        ("id", "1", False),
        ("id", "not.eq.1", True),
        ("id", "is.null", True),
        ("id", "in.(1)", True),
        ("t", "wfts(simple).x", True),
        ("t", "eq(any).{1}", True),
        ("a", "", False),
        ("a", "equal.x", False),
        ("a", "not.x", True),
        ("a", "not", False),
        ("a", "eq", True),
        ("a", "is", True),
        ("a", "(x)", False),
        ("a", "EQ.1", False),
        ("rel.a", "1", True),
    ],
)
def test_looks_like_filter(key: str, value: str, expected: bool):
    assert looks_like_filter(key, value) is expected


# --------------------------------------------------------------------------------------------
# The whole thing
# --------------------------------------------------------------------------------------------


def test_worked_example_from_the_reference():
    req = request(
        query="select=title,director:directors(last_name),actors!inner(first_name)"
        "&actors.first_name=eq.Jehanne&actors.order=first_name&actors.limit=5",
        headers={"Prefer": "count=exact", "Accept": "application/json"},
    )
    assert req.select == (
        Column(Field("title")),
        Embed("directors", (Column(Field("last_name")),), alias="director"),
        Embed("actors", (Column(Field("first_name")),), join="inner"),
    )
    assert req.filters == (Filter(("actors",), cond("first_name", "eq", "Jehanne")),)
    assert req.order_at(("actors",)) == (OrderTerm(Field("first_name")),)
    assert req.range_at(("actors",)) == PageRange(0, 5)
    assert req.preferences.count == "exact"
    assert req.accept == (MediaType("application", "json"),)


def test_supabase_upsert_shape():
    req = request(
        method="POST",
        path="/products",
        query="on_conflict=sku&columns=%22sku%22,%22price%22&select=*",
        headers={
            "Prefer": "return=representation,resolution=merge-duplicates",
            "Content-Profile": "api",
            "Accept-Profile": "api",
            "Content-Type": "application/json",
        },
        body=b'[{"sku":"A","price":1}]',
    )
    assert (req.on_conflict, req.columns) == (("sku",), ("sku", "price"))
    assert (req.preferences.returning, req.preferences.resolution) == ("representation", "merge-duplicates")
    assert req.payload is not None and req.payload.kind == "raw_json"


def test_api_request_is_frozen():
    req = request()
    with pytest.raises(dataclasses.FrozenInstanceError):
        req.schema = "v2"  # type: ignore[misc]
