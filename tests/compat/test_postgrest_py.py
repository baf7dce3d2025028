"""The Supabase Python client (postgrest-py 2.34.1), sync and async, reading through Campus unchanged.

Every test runs twice, once per client flavour. The sync client is set up the way supabase-py does it
(`apikey` + `Authorization` headers only); the async one keeps postgrest-py's default headers
(`Accept: application/json`, `Content-Type: application/json`) and gets its token from `.auth()`.
Each request and its response are printed, so a failing test shows exactly what the client sent.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from postgrest import APIError, AsyncPostgrestClient, SyncPostgrestClient
from postgrest.constants import DEFAULT_POSTGREST_CLIENT_HEADERS

from support.server import RunningServer

Build = Callable[[Any], Any]  # client -> request builder (anything with .execute())
SHOWN_HEADERS = ("accept", "accept-profile", "prefer", "range", "authorization", "apikey")


class PyClient:
    """A postgrest-py client, sync or async, driven through one awaitable interface."""

    def __init__(self, kind: str, url: str, token: str | None, schema: str | None = "test") -> None:
        self.kind = kind
        options: dict[str, Any] = {} if schema is None else {"schema": schema}
        if kind == "sync":
            headers = {"apikey": token, "Authorization": f"Bearer {token}"} if token else {}
            self.raw: SyncPostgrestClient | AsyncPostgrestClient = SyncPostgrestClient(url, headers=headers, **options)
            self.raw.session.event_hooks = {"request": [], "response": [self._sync_hook]}
        else:
            headers = {**DEFAULT_POSTGREST_CLIENT_HEADERS, **({"apikey": token} if token else {})}
            self.raw = AsyncPostgrestClient(url, headers=headers, **options)
            if token:
                self.raw.auth(token)
            self.raw.session.event_hooks = {"request": [], "response": [self._async_hook]}

    @staticmethod
    def _show(response: httpx.Response) -> None:
        request = response.request
        headers = {k: v[:24] for k, v in request.headers.items() if k.lower() in SHOWN_HEADERS}
        print(f"{request.method} {request.url.raw_path.decode()} {headers}")
        shown = {k: response.headers[k] for k in ("content-type", "content-range") if k in response.headers}
        print(f"  -> {response.status_code} {shown} {response.text[:400]!r}")

    def _sync_hook(self, response: httpx.Response) -> None:
        response.read()
        self._show(response)

    async def _async_hook(self, response: httpx.Response) -> None:
        await response.aread()
        self._show(response)

    async def run(self, build: Build) -> Any:
        """Build a request on the client, execute it, return what `.execute()` returned."""
        outcome = build(self.raw).execute()
        return await outcome if inspect.isawaitable(outcome) else outcome

    async def error(self, build: Build) -> APIError:
        """Execute a request that must fail; the client's APIError."""
        with pytest.raises(APIError) as caught:
            await self.run(build)
        return caught.value

    async def close(self) -> None:
        outcome = self.raw.aclose()
        if inspect.isawaitable(outcome):
            await outcome


@pytest.fixture(scope="session", params=["sync", "async"])
async def client(
    request: pytest.FixtureRequest, compat_server: RunningServer, anon_token: str
) -> AsyncIterator[PyClient]:
    """A postgrest-py client (sync, then async) on schema `test` with a valid anon key."""
    py_client = PyClient(request.param, compat_server.url, anon_token)
    yield py_client
    await py_client.close()


@pytest.fixture
async def make_client(client: PyClient, compat_server: RunningServer) -> AsyncIterator[Callable[..., PyClient]]:
    """A factory for more clients of the same flavour: `make_client(token, schema=...)`."""
    made: list[PyClient] = []

    def make(token: str | None, schema: str | None = "test") -> PyClient:
        made.append(PyClient(client.kind, compat_server.url, token, schema))
        return made[-1]

    yield make
    for extra in made:
        await extra.close()


def names(rows: list[dict[str, Any]]) -> list[Any]:
    return [row["name"] for row in rows]


def titles(rows: list[dict[str, Any]]) -> list[Any]:
    return [row["title"] for row in rows]


# -- select --------------------------------------------------------------------------------------------
async def test_select_star_and_default_select(client: PyClient) -> None:
    everyone = [
        {"id": 1, "name": "Angela", "age": 41, "student": False},
        {"id": 2, "name": "Bo", "age": 17, "student": True},
        {"id": 3, "name": "Chen", "age": 22, "student": True},
        {"id": 4, "name": "Dana", "age": None, "student": None},
    ]
    assert (await client.run(lambda c: c.from_("people").select("*").order("id"))).data == everyone
    assert (await client.run(lambda c: c.table("people").select().order("id"))).data == everyone


async def test_select_columns_aliases_casts_and_whitespace(client: PyClient) -> None:
    response = await client.run(lambda c: c.from_("people").select("id", "fullName:name", "age::text").eq("id", 1))
    assert response.data == [{"id": 1, "fullName": "Angela", "age": "41"}]
    assert response.count is None
    spaced = await client.run(lambda c: c.from_("people").select("id,\n   name").eq("id", 2))
    assert spaced.data == [{"id": 2, "name": "Bo"}]


async def test_select_quoted_unicode_json_paths_and_typed_values(client: PyClient) -> None:
    response = await client.run(
        lambda c: (
            c.from_("documents")
            .select('"Display Name"', "café", "kind:data->>kind", "b:data->a->b", "first:data->list->0")
            .eq("id", 1)
        )
    )
    assert response.data == [{"Display Name": "Über document", "café": "au lait", "kind": "x", "b": 1, "first": 1}]
    typed = await client.run(lambda c: c.from_("documents").select("data,meta,tags,period,mood").eq("id", 1))
    assert typed.data == [{
        "data": {"a": {"b": 1}, "kind": "x", "list": [1, 2]},
        "meta": {"n": 1},
        "tags": ["cats", "animals"],
        "period": "[2025-01-01,2025-06-30)",
        "mood": "happy",
    }]  # fmt: skip


async def test_computed_field(client: PyClient) -> None:
    response = await client.run(lambda c: c.from_("projects").select("id", "label").eq("id", 3))
    assert response.data == [{"id": 3, "label": "IOS #3"}]


# -- embeds ----------------------------------------------------------------------------------------------
async def test_embed_to_one_and_missing_to_one(client: PyClient) -> None:
    response = await client.run(
        lambda c: c.from_("projects").select("name", "clients(name)").in_("id", [1, 5]).order("id")
    )
    assert response.data == [
        {"name": "Windows 7", "clients": {"name": "Microsoft"}},
        {"name": "Orphan", "clients": None},
    ]


async def test_embed_nested_to_many_with_foreign_table_order(client: PyClient) -> None:
    response = await client.run(
        lambda c: (
            c.from_("clients")
            .select("name", "projects(name,tasks(name))")
            .eq("id", 2)
            .order("id", foreign_table="projects")
            .order("id", desc=True, foreign_table="projects.tasks")
        )
    )
    assert response.data == [{"name": "Apple", "projects": [
        {"name": "IOS", "tasks": [{"name": "Code IOS"}, {"name": "Design IOS"}]},
        {"name": "OSX", "tasks": [{"name": "Code OSX"}, {"name": "Design OSX"}]},
    ]}]  # fmt: skip
    empty = await client.run(lambda c: c.from_("clients").select("name", "projects(name)").eq("id", 3))
    assert empty.data == [{"name": "Nobody", "projects": []}]


async def test_embed_many_to_many_one_to_one_view_and_computed_relationship(client: PyClient) -> None:
    m2m = await client.run(
        lambda c: c.from_("people").select("name", "tasks(name)").eq("id", 3).order("id", foreign_table="tasks")
    )
    assert m2m.data == [
        {"name": "Chen", "tasks": [{"name": "Design IOS"}, {"name": "Code IOS"}, {"name": "Design OSX"}]}
    ]
    one_to_one = await client.run(lambda c: c.from_("clients").select("name", "client_profiles(motto)").eq("id", 1))
    assert one_to_one.data == [{"name": "Microsoft", "client_profiles": {"motto": "Be what's next"}}]
    view = await client.run(lambda c: c.from_("project_view").select("name", "client_name", "clients(id)").eq("id", 3))
    assert view.data == [{"name": "IOS", "client_name": "Apple", "clients": {"id": 2}}]
    computed = await client.run(lambda c: c.from_("projects").select("name", "open_tasks(name)").eq("id", 1))
    assert computed.data == [{"name": "Windows 7", "open_tasks": [{"name": "Code w7"}]}]


async def test_embed_inner_join_with_embedded_filter(client: PyClient) -> None:
    inner = await client.run(
        lambda c: c.from_("clients").select("id", "projects!inner(name)").eq("projects.name", "IOS")
    )
    assert inner.data == [{"id": 2, "projects": [{"name": "IOS"}]}]
    left = await client.run(
        lambda c: c.from_("clients").select("id", "projects(name)").eq("projects.name", "IOS").order("id")
    )
    assert left.data == [{"id": 1, "projects": []}, {"id": 2, "projects": [{"name": "IOS"}]}, {"id": 3, "projects": []}]


async def test_embed_hints_aliases_and_self_reference(client: PyClient) -> None:
    orders = await client.run(
        lambda c: (
            c.from_("orders")
            .select("name", "billing:addresses!billing(street)", "shipping:addresses!shipping_address_id(street)")
            .eq("id", 1)
        )
    )
    assert orders.data == [{"name": "first", "billing": {"street": "Main St 1"}, "shipping": {"street": "Side St 2"}}]
    family = await client.run(
        lambda c: c.from_("family").select("name", "parent:family!parent_id(name)", "children:family(name)").eq("id", 2)
    )
    assert family.data == [{"name": "Mum", "parent": {"name": "Grandma"}, "children": [{"name": "Kid"}]}]


async def test_embed_ambiguity_is_an_api_error(client: PyClient) -> None:
    error = await client.error(lambda c: c.from_("orders").select("*", "addresses(*)"))
    assert error.code == "PGRST201"
    assert isinstance(error.details, list) and len(error.details) == 2
    assert error.hint is not None and "'addresses!billing', 'addresses!shipping'" in error.hint


async def test_embed_spread_to_one(client: PyClient) -> None:
    response = await client.run(
        lambda c: c.from_("projects").select("name", "...clients(client_name:name)").eq("id", 3)
    )
    assert response.data == [{"name": "IOS", "client_name": "Apple"}]


async def test_empty_embed_with_null_filter(client: PyClient) -> None:
    none = await client.run(lambda c: c.from_("clients").select("id", "projects()").is_("projects", None))
    assert none.data == [{"id": 3}]
    some = await client.run(
        lambda c: c.from_("clients").select("id", "projects()").not_.is_("projects", None).order("id")
    )
    assert some.data == [{"id": 1}, {"id": 2}]


async def test_embedded_filters_or_and_limit(client: PyClient) -> None:
    tree = await client.run(
        lambda c: (
            c.from_("projects")
            .select("name", "tasks(name)")
            .eq("id", 1)
            .or_("done.is.true,name.like.*Code*", reference_table="tasks")
            .order("id", foreign_table="tasks")
        )
    )
    assert tree.data == [{"name": "Windows 7", "tasks": [{"name": "Design w7"}, {"name": "Code w7"}]}]
    flag = await client.run(
        lambda c: c.from_("projects").select("name", "tasks(name)").eq("id", 1).eq("tasks.done", False)
    )
    assert flag.data == [{"name": "Windows 7", "tasks": [{"name": "Code w7"}]}]
    limited = await client.run(
        lambda c: (
            c.from_("projects")
            .select("id", "tasks(id)")
            .eq("id", 1)
            .order("id", desc=True, foreign_table="tasks")
            .limit(1, foreign_table="tasks")
        )
    )
    assert limited.data == [{"id": 1, "tasks": [{"id": 2}]}]
    ranged = await client.run(
        lambda c: (
            c.from_("clients")
            .select("id", "projects(id)")
            .eq("id", 1)
            .order("id", foreign_table="projects")
            .range(1, 1, foreign_table="projects")
        )
    )
    assert ranged.data == [{"id": 1, "projects": [{"id": 2}]}]


# -- filters on people -------------------------------------------------------------------------------
PEOPLE_FILTERS: list[tuple[str, Build, list[str]]] = [
    ("eq", lambda q: q.eq("age", 41), ["Angela"]),
    ("eq-bool", lambda q: q.eq("student", True), ["Bo", "Chen"]),
    ("neq", lambda q: q.neq("age", 41), ["Bo", "Chen"]),
    ("gt", lambda q: q.gt("age", 17), ["Angela", "Chen"]),
    ("gte", lambda q: q.gte("age", 22), ["Angela", "Chen"]),
    ("lt", lambda q: q.lt("age", 22), ["Bo"]),
    ("lte", lambda q: q.lte("age", 22), ["Bo", "Chen"]),
    ("gt-and-lt", lambda q: q.gt("age", 20).lt("age", 30), ["Chen"]),
    ("like-star", lambda q: q.like("name", "*n*"), ["Angela", "Chen", "Dana"]),
    ("like-percent", lambda q: q.like("name", "%n%"), ["Angela", "Chen", "Dana"]),
    ("ilike", lambda q: q.ilike("name", "b%"), ["Bo"]),
    ("like_any_of", lambda q: q.like_any_of("name", "A*,B*"), ["Angela", "Bo"]),
    ("like_all_of", lambda q: q.like_all_of("name", "*a*,*e*"), ["Angela"]),
    ("ilike_any_of", lambda q: q.ilike_any_of("name", "a*,b*"), ["Angela", "Bo"]),
    ("ilike_all_of", lambda q: q.ilike_all_of("name", "*A*,*N*"), ["Angela", "Dana"]),
    ("is-null", lambda q: q.is_("age", None), ["Dana"]),
    ("is-true", lambda q: q.is_("student", True), ["Bo", "Chen"]),
    ("is-false", lambda q: q.is_("student", False), ["Angela"]),
    ("not-is-null", lambda q: q.not_.is_("age", None), ["Angela", "Bo", "Chen"]),
    ("in-text", lambda q: q.in_("name", ["Bo", "Dana"]), ["Bo", "Dana"]),
    ("in-int", lambda q: q.in_("age", [17, 22]), ["Bo", "Chen"]),
    ("in-empty", lambda q: q.in_("name", []), []),
    ("not-in", lambda q: q.not_.in_("name", ["Bo", "Dana"]), ["Angela", "Chen"]),
    ("not-eq", lambda q: q.not_.eq("name", "Bo"), ["Angela", "Chen", "Dana"]),
    ("match", lambda q: q.match({"student": True, "age": 17}), ["Bo"]),
    ("or", lambda q: q.or_("age.lt.18,student.not.is.true"), ["Angela", "Bo", "Dana"]),
    ("or-nested-and", lambda q: q.or_("age.gt.40,and(student.is.true,age.lt.20)"), ["Angela", "Bo"]),
    ("not-or", lambda q: q.not_.or_("age.gt.40,age.lt.20"), ["Chen"]),
    ("or-with-in", lambda q: q.or_("name.in.(Bo,Chen),age.is.null"), ["Bo", "Chen", "Dana"]),
    ("filter-match", lambda q: q.filter("name", "match", "^[AB]"), ["Angela", "Bo"]),
    ("filter-imatch", lambda q: q.filter("name", "imatch", "^c"), ["Chen"]),
    ("filter-isdistinct", lambda q: q.filter("student", "isdistinct", "true"), ["Angela", "Dana"]),
    ("filter-not-in", lambda q: q.filter("age", "not.in", "(17,41)"), ["Chen"]),
    ("not-filter", lambda q: q.not_.filter("age", "gte", "22"), ["Bo"]),
]


@pytest.mark.parametrize(("case", "apply", "expected"), PEOPLE_FILTERS, ids=[c[0] for c in PEOPLE_FILTERS])
async def test_people_filters(client: PyClient, case: str, apply: Build, expected: list[str]) -> None:
    response = await client.run(lambda c: apply(c.from_("people").select("name").order("name")))
    assert names(response.data) == expected, case


# -- filters on json, arrays, ranges, full text, enums ---------------------------------------------
DOCUMENT_FILTERS: list[tuple[str, Build, list[str]]] = [
    ("json-path-eq", lambda q: q.eq("data->>kind", "y"), ["Lazy dogs"]),
    ("json-nested-path", lambda q: q.eq("data->a->b", 1), ["Fat cats"]),
    ("enum-eq", lambda q: q.eq("mood", "happy"), ["Fat cats"]),
    ("enum-is-null", lambda q: q.is_("mood", None), ["Empty"]),
    ("quoted-column-in", lambda q: q.in_("Display Name", ["Über document", "x,y"]), ["Fat cats"]),
    ("unicode-column-eq", lambda q: q.eq("café", "au lait"), ["Fat cats"]),
    ("contains-array", lambda q: q.contains("tags", ["animals"]), ["Fat cats", "Lazy dogs"]),
    ("contains-jsonb", lambda q: q.contains("data", {"kind": "x"}), ["Fat cats"]),
    ("contains-jsonb-nested", lambda q: q.contains("data", {"a": {"b": 2}}), ["Lazy dogs"]),
    ("contains-range", lambda q: q.contains("period", "[2025-02-01,2025-03-01)"), ["Fat cats"]),
    ("cs", lambda q: q.cs("tags", ["cats", "animals"]), ["Fat cats"]),
    ("contained_by-array", lambda q: q.contained_by("tags", ["cats", "animals", "more"]), ["Fat cats", "Empty"]),
    (
        "contained_by-jsonb",
        lambda q: q.contained_by("data", {"a": {"b": 1}, "kind": "x", "list": [1, 2], "extra": True}),
        ["Fat cats"],
    ),
    ("contained_by-range", lambda q: q.contained_by("period", "[2025-01-01,2026-01-01)"), ["Fat cats", "Lazy dogs"]),
    ("cd", lambda q: q.cd("tags", ["dogs", "animals"]), ["Lazy dogs", "Empty"]),
    ("ov-array", lambda q: q.ov("tags", ["dogs", "fish"]), ["Lazy dogs"]),
    ("overlaps-array", lambda q: q.overlaps("tags", ["cats", "dogs"]), ["Fat cats", "Lazy dogs"]),
    ("ov-range", lambda q: q.ov("period", "[2025-06-01,2025-08-01)"), ["Fat cats", "Lazy dogs"]),
    ("range_lt-sl", lambda q: q.range_lt("period", ("2025-07-01", "2025-08-01")), ["Fat cats"]),
    ("range_gt-sr", lambda q: q.range_gt("period", ("2025-03-01", "2025-06-01")), ["Lazy dogs"]),
    ("range_gte-nxl", lambda q: q.range_gte("period", ("2025-06-01", "2025-07-01")), ["Lazy dogs"]),
    ("range_lte-nxr", lambda q: q.range_lte("period", ("2025-01-01", "2025-07-01")), ["Fat cats"]),
    (
        "range_adjacent-adj",
        lambda q: q.range_adjacent("period", ("2025-06-29", "2025-07-01")),
        ["Fat cats", "Lazy dogs"],
    ),
    ("sl", lambda q: q.sl("period", ("2025-07-01", "2025-08-01")), ["Fat cats"]),
    ("sr", lambda q: q.sr("period", ("2025-03-01", "2025-06-01")), ["Lazy dogs"]),
    ("nxl", lambda q: q.nxl("period", ("2025-06-01", "2025-07-01")), ["Lazy dogs"]),
    ("nxr", lambda q: q.nxr("period", ("2025-01-01", "2025-07-01")), ["Fat cats"]),
    ("adj", lambda q: q.adj("period", ("2025-06-29", "2025-07-01")), ["Fat cats", "Lazy dogs"]),
    ("text_search-fts", lambda q: q.text_search("search", "cats"), ["Fat cats"]),
    ("text_search-fts-operators", lambda q: q.text_search("search", "'fat' & 'cats'"), ["Fat cats"]),
    (
        "text_search-plain-config",
        lambda q: q.text_search("search", "fat cat", {"type": "plain", "config": "english"}),
        ["Fat cats"],
    ),
    (
        "text_search-phrase-config",
        lambda q: q.text_search("search", "lazy dog", {"type": "phrase", "config": "english"}),
        ["Lazy dogs"],
    ),
    (
        "text_search-websearch-config",
        lambda q: q.text_search("search", "cat or dog", {"type": "web_search", "config": "english"}),
        ["Fat cats", "Lazy dogs"],
    ),
    (
        "text_search-text-column",
        lambda q: q.text_search("body", "sleeps", {"config": "english"}),
        ["Lazy dogs"],
    ),
    ("fts", lambda q: q.fts("search", "dog"), ["Lazy dogs"]),
    ("plfts", lambda q: q.plfts("search", "fat cats"), ["Fat cats"]),
    ("phfts", lambda q: q.phfts("search", "dog sleeps"), ["Lazy dogs"]),
    ("wfts", lambda q: q.wfts("search", '"lazy dog" -cat'), ["Lazy dogs"]),
    ("not-fts", lambda q: q.not_.fts("search", "cats"), ["Lazy dogs", "Empty"]),
    ("or-with-array-literal", lambda q: q.or_("tags.cs.{cats},mood.eq.sad"), ["Fat cats", "Lazy dogs"]),
]


@pytest.mark.parametrize(("case", "apply", "expected"), DOCUMENT_FILTERS, ids=[c[0] for c in DOCUMENT_FILTERS])
async def test_document_filters(client: PyClient, case: str, apply: Build, expected: list[str]) -> None:
    response = await client.run(lambda c: apply(c.from_("documents").select("title").order("id")))
    assert titles(response.data) == expected, case


# -- order, limit, range --------------------------------------------------------------------------
async def test_order_desc_nulls_and_several_columns(client: PyClient) -> None:
    async def ordered(apply: Build) -> list[str]:
        return names((await client.run(lambda c: apply(c.from_("people").select("name")))).data)

    assert await ordered(lambda q: q.order("age", desc=True, nullsfirst=True)) == ["Dana", "Angela", "Chen", "Bo"]
    assert await ordered(lambda q: q.order("age", desc=True, nullsfirst=False)) == ["Angela", "Chen", "Bo", "Dana"]
    assert await ordered(lambda q: q.order("age", nullsfirst=False)) == ["Bo", "Chen", "Angela", "Dana"]
    assert await ordered(lambda q: q.order("age", nullsfirst=True)) == ["Dana", "Bo", "Chen", "Angela"]
    assert await ordered(lambda q: q.order("name", desc=True)) == ["Dana", "Chen", "Bo", "Angela"]
    several = await ordered(lambda q: q.order("student", desc=True, nullsfirst=False).order("name", desc=True))
    assert several == ["Chen", "Bo", "Angela", "Dana"]


async def test_order_by_json_path_and_related_to_one_column(client: PyClient) -> None:
    by_json = await client.run(
        lambda c: c.from_("documents").select("id").order("data->>kind", desc=True, nullsfirst=False)
    )
    assert [row["id"] for row in by_json.data] == [2, 1, 3]
    by_related = await client.run(
        lambda c: (
            c.from_("projects")
            .select("name", "clients(name)")
            .not_.is_("client_id", None)
            .order("clients(name)", desc=True)
            .order("id")
        )
    )
    assert names(by_related.data) == ["Windows 7", "Windows 10", "IOS", "OSX"]


async def test_limit_offset_and_range(client: PyClient) -> None:
    async def ids(apply: Build) -> list[int]:
        return [
            row["id"] for row in (await client.run(lambda c: apply(c.from_("tasks").select("id").order("id")))).data
        ]

    assert await ids(lambda q: q.limit(2)) == [1, 2]
    assert await ids(lambda q: q.range(2, 4)) == [3, 4, 5]
    assert await ids(lambda q: q.offset(3).limit(2)) == [4, 5]
    assert await ids(lambda q: q.range(6, 20)) == [7, 8]
    assert await ids(lambda q: q.limit(0)) == []


# -- counts -------------------------------------------------------------------------------------------
async def test_count_exact(client: PyClient) -> None:
    whole = await client.run(lambda c: c.from_("tasks").select("id", count="exact").order("id"))
    assert whole.count == 8 and len(whole.data) == 8
    page = await client.run(lambda c: c.from_("tasks").select("id", count="exact").order("id").range(1, 2))
    assert page.count == 8 and page.data == [{"id": 2}, {"id": 3}]
    filtered = await client.run(lambda c: c.from_("tasks").select("*", count="exact").eq("done", True).limit(1))
    assert filtered.count == 3 and len(filtered.data) == 1
    none = await client.run(lambda c: c.from_("tasks").select("*", count="exact").eq("id", 999))
    assert none.count == 0 and none.data == []
    inner = await client.run(
        lambda c: c.from_("clients").select("id", "projects!inner(id)", count="exact").like("projects.name", "Windows*")
    )
    assert inner.count == 1 and [row["id"] for row in inner.data] == [1]


async def test_count_exact_with_head(client: PyClient) -> None:
    everything = await client.run(lambda c: c.from_("tasks").select("*", count="exact", head=True))
    assert everything.count == 8 and everything.data == []
    done = await client.run(lambda c: c.from_("tasks").select("*", count="exact", head=True).eq("done", True))
    assert done.count == 3 and done.data == []
    view = await client.run(lambda c: c.from_("project_view").select("id", count="exact", head=True).eq("client_id", 1))
    assert view.count == 2


# -- singular, csv -----------------------------------------------------------------------------------
async def test_single(client: PyClient) -> None:
    one = await client.run(lambda c: c.from_("tasks").select("id", "name").eq("id", 1).single())
    assert one.data == {"id": 1, "name": "Design w7"}
    embedded = await client.run(lambda c: c.from_("projects").select("name", "clients(name)").eq("id", 3).single())
    assert embedded.data == {"name": "IOS", "clients": {"name": "Apple"}}
    many = await client.error(lambda c: c.from_("tasks").select("id").lt("id", 3).single())
    assert (many.code, many.details) == ("PGRST116", "The result contains 2 rows")
    assert many.message == "Cannot coerce the result to a single JSON object"
    none = await client.error(lambda c: c.from_("tasks").select("id").eq("id", 999).single())
    assert (none.code, none.details) == ("PGRST116", "The result contains 0 rows")


async def test_maybe_single(client: PyClient) -> None:
    one = await client.run(lambda c: c.from_("people").select("name", "age").eq("name", "Bo").maybe_single())
    assert one is not None and one.data == {"name": "Bo", "age": 17}
    none = await client.run(lambda c: c.from_("people").select("name").eq("name", "Nobody").maybe_single())
    assert none is None
    many = await client.error(lambda c: c.from_("people").select("name").maybe_single())
    assert many.code == "406"  # raised by the client itself


async def test_strip_nulls(client: PyClient) -> None:
    rows = await client.run(lambda c: c.from_("people").select("*").in_("id", [3, 4]).order("id").strip_nulls())
    assert rows.data == [{"id": 3, "name": "Chen", "age": 22, "student": True}, {"id": 4, "name": "Dana"}]
    one = await client.run(lambda c: c.from_("documents").select("id,body,mood").eq("id", 3).strip_nulls().single())
    assert one.data == {"id": 3}


async def test_csv(client: PyClient) -> None:
    response = await client.run(lambda c: c.from_("people").select("id", "name", "age").order("id").csv())
    assert response.data == "id,name,age\n1,Angela,41\n2,Bo,17\n3,Chen,22\n4,Dana,"
    filtered = await client.run(lambda c: c.from_("clients").select("id,name").in_("id", [1, 2]).order("id").csv())
    assert filtered.data == "id,name\n1,Microsoft\n2,Apple"


# -- schemas -----------------------------------------------------------------------------------------
async def test_schema_switching(client: PyClient, make_client: Callable[..., PyClient], anon_token: str) -> None:
    switched = await client.run(lambda c: c.schema("test2").from_("clients").select("*"))
    assert switched.data == [{"id": 1, "name": "Second schema client"}]
    assert (await client.run(lambda c: c.from_("clients").select("name").eq("id", 1))).data == [{"name": "Microsoft"}]
    second = make_client(anon_token, schema="test2")
    assert (await second.run(lambda c: c.from_("clients").select("name"))).data == [{"name": "Second schema client"}]
    back = await second.run(lambda c: c.schema("test").from_("clients").select("name").eq("id", 2))
    assert back.data == [{"name": "Apple"}]


async def test_unexposed_schema_and_unknown_table(make_client: Callable[..., PyClient], anon_token: str) -> None:
    public = make_client(anon_token, schema=None)  # postgrest-py's default schema is "public"
    error = await public.error(lambda c: c.from_("clients").select("*"))
    assert error.code == "PGRST106"
    assert error.message == "Invalid schema: public"
    assert error.hint == "Only the following schemas are exposed: test, test2"
    missing = await make_client(anon_token).error(lambda c: c.from_("clientz").select("*"))
    assert missing.code == "PGRST205"


async def test_database_errors_reach_the_client(client: PyClient) -> None:
    column = await client.error(lambda c: c.from_("clients").select("nope"))
    assert column.code == "42703"
    literal = await client.error(lambda c: c.from_("clients").select("*").eq("id", "abc"))
    assert literal.code == "22P02" and literal.message is not None and "integer" in literal.message


# -- tokens --------------------------------------------------------------------------------------------
async def test_anon_key_reaches_the_database(client: PyClient, anon_token: str) -> None:
    response = await client.run(lambda c: c.from_("whoami").select("*"))
    assert response.data == [{"role": "anon", "sub": "compat-anon", "apikey": anon_token}]


async def test_authenticated_token(make_client: Callable[..., PyClient], authenticated_token: str) -> None:
    user = make_client(authenticated_token)
    response = await user.run(lambda c: c.from_("whoami").select("role", "sub"))
    assert response.data == [{"role": "authenticated", "sub": "compat-user"}]


async def test_expired_token_is_rejected(make_client: Callable[..., PyClient], expired_token: str) -> None:
    expired = make_client(expired_token)
    error = await expired.error(lambda c: c.from_("clients").select("*"))
    assert (error.code, error.message) == ("PGRST303", "JWT expired")
    counted = await expired.error(lambda c: c.from_("clients").select("*", count="exact").single())
    assert counted.code == "PGRST303"
