"""The Supabase Python client (postgrest-py 2.34.1), sync and async, writing and calling functions through Campus.

Every test runs once per client flavour, on ids of its own: 5000-5499 for the sync client and 5500-5999
for the async one (the session server is shared with the JS checks, which use 6000+). What the client
returns is checked, then the rows in the database, read with SQL behind the server's back.

postgrest-py asks for `return=representation` on every write unless told `returning=minimal`, adds
`columns=` to bulk bodies, sends `{}` as the DELETE body and `Content-Profile` with every request.
Each request (with its body) and its response are printed, so a failing test shows the exchange.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from postgrest.types import ReturnMethod
from test_postgrest_py import SHOWN_HEADERS, PyClient

from support.server import RunningServer

ITEMS = "select id, name, qty, client_id from test.items where id between {lo} and {hi} order by id"
NOTES = "select id, owner, body from test.notes where id between {lo} and {hi} order by id"
ENTRIES = "select code, label, n from test2.entries where code like '{prefix}%' order by code"
COUNTER = "select hits from test.counter where id = 1"
FLAVOUR_BASE = {"sync": 5000, "async": 5500}


class WriteClient(PyClient):
    """A PyClient that also prints `Content-Profile` and the request body."""

    @staticmethod
    def _show(response: httpx.Response) -> None:
        request = response.request
        shown = (*SHOWN_HEADERS, "content-profile")
        headers = {
            k: v[:24] if k in ("apikey", "authorization") else v for k, v in request.headers.items() if k in shown
        }
        body = request.content.decode(errors="replace")[:300]
        print(f"{request.method} {request.url.raw_path.decode()} {headers} body={body!r}")
        seen = {k: response.headers[k] for k in ("content-type", "content-range", "preference-applied")
                if k in response.headers}  # fmt: skip
        print(f"  -> {response.status_code} {seen} {response.text[:400]!r}")

    @property
    def base(self) -> int:
        """The first id of this flavour's range."""
        return FLAVOUR_BASE[self.kind]


@pytest.fixture(scope="session", params=["sync", "async"])
async def writer(
    request: pytest.FixtureRequest, compat_server: RunningServer, anon_token: str
) -> AsyncIterator[WriteClient]:
    """A postgrest-py client (sync, then async) on schema `test` with a valid anon key."""
    py_client = WriteClient(request.param, compat_server.url, anon_token)
    yield py_client
    await py_client.close()


@pytest.fixture
async def make_writer(writer: WriteClient, compat_server: RunningServer) -> AsyncIterator[Callable[..., WriteClient]]:
    """More clients of the same flavour: `make_writer(token, schema=...)`."""
    made: list[WriteClient] = []

    def make(token: str | None, schema: str | None = "test") -> WriteClient:
        made.append(WriteClient(writer.kind, compat_server.url, token, schema))
        return made[-1]

    yield make
    for extra in made:
        await extra.close()


def items(server: RunningServer, lo: int, hi: int) -> list[tuple[Any, ...]]:
    """The rows of test.items with ids in [lo, hi], as (id, name, qty, client_id)."""
    return server.sql(ITEMS.format(lo=lo, hi=hi))


def item(id_: int, name: str, qty: int = 1, client_id: int | None = None) -> dict[str, Any]:
    return {"id": id_, "name": name, "qty": qty, "client_id": client_id}


# -- insert ----------------------------------------------------------------------------------------------
async def test_insert_returns_the_row_by_default(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base
    response = await writer.run(lambda c: c.from_("items").insert({"id": b, "name": "py pen"}))
    assert response.data == [item(b, "py pen")]
    assert response.count is None
    assert items(compat_server, b, b) == [(b, "py pen", 1, None)]


async def test_insert_minimal_returns_nothing(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 10
    response = await writer.run(
        lambda c: c.from_("items").insert({"id": b, "name": "quiet", "qty": 4}, returning=ReturnMethod.minimal)
    )
    assert response.data == []
    assert items(compat_server, b, b) == [(b, "quiet", 4, None)]


async def test_insert_with_select_columns_and_embed(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 20
    response = await writer.run(
        lambda c: (
            c.from_("items").insert({"id": b, "name": "cap", "client_id": 2}).select("id", "name", "clients(name)")
        )
    )
    assert response.data == [{"id": b, "name": "cap", "clients": {"name": "Apple"}}]
    aliased = await writer.run(
        lambda c: c.from_("items").insert({"id": b + 1, "name": "lid", "qty": 2}).select("key:id", "qty")
    )
    assert aliased.data == [{"key": b + 1, "qty": 2}]
    assert items(compat_server, b, b + 1) == [(b, "cap", 1, 2), (b + 1, "lid", 2, None)]


async def test_bulk_insert_with_count(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 30
    rows = [
        {"id": b, "name": "a", "qty": 3},
        {"id": b + 1, "name": "b", "qty": 4},
        {"id": b + 2, "name": "c", "qty": 5},
    ]
    response = await writer.run(lambda c: c.from_("items").insert(rows, count="exact"))
    assert response.data == [item(b, "a", 3), item(b + 1, "b", 4), item(b + 2, "c", 5)]
    assert response.count == 3
    minimal = await writer.run(
        lambda c: c.from_("items").insert(
            [{"id": b + 3, "name": "d"}, {"id": b + 4, "name": "e", "client_id": 1}],
            count="exact",
            returning=ReturnMethod.minimal,
            default_to_null=False,
        )
    )
    assert (minimal.data, minimal.count) == ([], 2)
    assert items(compat_server, b, b + 9) == [
        (b, "a", 3, None), (b + 1, "b", 4, None), (b + 2, "c", 5, None), (b + 3, "d", 1, None), (b + 4, "e", 1, 1),
    ]  # fmt: skip


async def test_bulk_insert_missing_keys_null_or_default(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 40
    rows = [{"id": b, "name": "no qty"}, {"id": b + 1, "name": "qty", "qty": 7}]
    # columns="id","name","qty": the first row's missing qty is NULL, refused by NOT NULL, so nothing is written
    refused = await writer.error(lambda c: c.from_("items").insert(rows))
    assert refused.code == "23502"
    assert refused.message == 'null value in column "qty" of relation "items" violates not-null constraint'
    assert items(compat_server, b, b + 9) == []
    # default_to_null=False sends Prefer: missing=default, so the column default fills the gap
    defaulted = await writer.run(lambda c: c.from_("items").insert(rows, default_to_null=False))
    assert defaulted.data == [item(b, "no qty", 1), item(b + 1, "qty", 7)]
    assert items(compat_server, b, b + 9) == [(b, "no qty", 1, None), (b + 1, "qty", 7, None)]


async def test_insert_into_a_table_the_role_cannot_read(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 50
    mine = await writer.run(lambda c: c.from_("notes").insert({"id": b, "owner": "me", "body": "hi"}))
    assert mine.data == [{"id": b, "owner": "me", "body": "hi"}]
    hidden = await writer.run(
        lambda c: c.from_("notes").insert({"id": b + 1, "owner": "other"}, returning=ReturnMethod.minimal)
    )
    assert hidden.data == []
    shown = await writer.error(lambda c: c.from_("notes").insert({"id": b + 2, "owner": "other"}))
    assert shown.code == "42501"
    assert shown.message == 'new row violates row-level security policy for table "notes"'
    assert compat_server.sql(NOTES.format(lo=b, hi=b + 9)) == [(b, "me", "hi"), (b + 1, "other", None)]


# -- upsert ----------------------------------------------------------------------------------------------
async def test_upsert_merges_duplicates(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 60
    await writer.run(lambda c: c.from_("items").insert({"id": b, "name": "old", "qty": 3}))
    merged = await writer.run(lambda c: c.from_("items").upsert({"id": b, "name": "new"}))
    assert merged.data == [item(b, "new", 3)], "only the columns sent are updated"
    both = await writer.run(
        lambda c: c.from_("items").upsert(
            [{"id": b, "name": "newer", "qty": 5}, {"id": b + 1, "name": "fresh", "qty": 6}], count="exact"
        )
    )
    assert both.data == [item(b, "newer", 5), item(b + 1, "fresh", 6)]
    assert both.count == 2
    assert items(compat_server, b, b + 9) == [(b, "newer", 5, None), (b + 1, "fresh", 6, None)]


async def test_upsert_with_on_conflict_and_select(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 70
    await writer.run(lambda c: c.from_("items").insert({"id": b, "name": "kept", "qty": 2}))
    response = await writer.run(
        lambda c: c.from_("items").upsert({"id": b, "name": "changed", "client_id": 1}, on_conflict="id")
        .select("id", "name", "clients(name)")
    )  # fmt: skip
    assert response.data == [{"id": b, "name": "changed", "clients": {"name": "Microsoft"}}]
    minimal = await writer.run(
        lambda c: c.from_("items").upsert(
            [{"id": b, "qty": 8, "name": "changed"}, {"id": b + 1, "name": "added"}],
            on_conflict="id",
            returning=ReturnMethod.minimal,
            count="exact",
            default_to_null=False,
        )
    )
    assert (minimal.data, minimal.count) == ([], 2)
    assert items(compat_server, b, b + 9) == [(b, "changed", 8, 1), (b + 1, "added", 1, None)]


async def test_upsert_ignoring_duplicates(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 80
    await writer.run(lambda c: c.from_("items").insert({"id": b, "name": "first", "qty": 2}))
    response = await writer.run(
        lambda c: c.from_("items").upsert(
            [{"id": b, "name": "ignored", "qty": 9}, {"id": b + 1, "name": "inserted", "qty": 9}],
            ignore_duplicates=True,
            count="exact",
        )
    )
    assert response.data == [item(b + 1, "inserted", 9)]
    assert response.count == 1
    nothing = await writer.run(
        lambda c: c.from_("items").upsert({"id": b, "name": "again"}, ignore_duplicates=True, on_conflict="id")
    )
    assert nothing.data == []
    assert items(compat_server, b, b + 9) == [(b, "first", 2, None), (b + 1, "inserted", 9, None)]


# -- update ----------------------------------------------------------------------------------------------
async def test_update_with_filters(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 90
    rows = [{"id": b + i, "name": name} for i, name in enumerate(["u0", "u1", "u2", "u3"])]
    await writer.run(lambda c: c.from_("items").insert(rows, returning=ReturnMethod.minimal))
    two = await writer.run(lambda c: c.from_("items").update({"qty": 9}).in_("id", [b, b + 1]))
    assert sorted(two.data, key=lambda row: row["id"]) == [item(b, "u0", 9), item(b + 1, "u1", 9)]
    counted = await writer.run(
        lambda c: c.from_("items").update({"qty": 4}, count="exact").gte("id", b + 2).lte("id", b + 3)
    )
    assert counted.count == 2 and len(counted.data) == 2
    selected = await writer.run(
        lambda c: (
            c.from_("items").update({"name": "U3", "client_id": 2}).eq("id", b + 3).select("name", "clients(name)")
        )
    )
    assert selected.data == [{"name": "U3", "clients": {"name": "Apple"}}]
    minimal = await writer.run(
        lambda c: c.from_("items").update({"qty": 6}, returning=ReturnMethod.minimal).match({"id": b + 2, "name": "u2"})
    )
    assert minimal.data == []
    nothing = await writer.run(lambda c: c.from_("items").update({"qty": 1}, count="exact").eq("id", b + 9))
    assert (nothing.data, nothing.count) == ([], 0)
    negated = await writer.run(
        lambda c: c.from_("items").update({"name": "other"}).gte("id", b).lte("id", b + 3).not_.in_("qty", [4, 6, 9])
    )
    assert negated.data == []
    assert items(compat_server, b, b + 9) == [(b, "u0", 9, None), (b + 1, "u1", 9, None), (b + 2, "u2", 6, None),
                                             (b + 3, "U3", 4, 2)]  # fmt: skip


async def test_update_and_delete_with_max_affected(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 100
    await writer.run(lambda c: c.from_("items").insert([{"id": b, "name": "m0"}, {"id": b + 1, "name": "m1"}]))
    too_many = await writer.error(lambda c: c.from_("items").update({"qty": 2}).in_("id", [b, b + 1]).max_affected(1))
    assert too_many.code == "PGRST124"
    assert too_many.message == "Query result exceeds max-affected preference constraint"
    assert items(compat_server, b, b + 9) == [(b, "m0", 1, None), (b + 1, "m1", 1, None)], "rolled back"
    one = await writer.run(lambda c: c.from_("items").update({"qty": 2}).eq("id", b).max_affected(1))
    assert one.data == [item(b, "m0", 2)]
    refused = await writer.error(lambda c: c.from_("items").delete().in_("id", [b, b + 1]).max_affected(1))
    assert refused.code == "PGRST124"
    both = await writer.run(lambda c: c.from_("items").delete(count="exact").in_("id", [b, b + 1]).max_affected(2))
    assert both.count == 2
    assert items(compat_server, b, b + 9) == []


# -- delete ----------------------------------------------------------------------------------------------
async def test_delete_with_filters(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 110
    rows = [{"id": b + i, "name": f"d{i}", "qty": i + 1} for i in range(6)]
    await writer.run(lambda c: c.from_("items").insert(rows, returning=ReturnMethod.minimal))
    one = await writer.run(lambda c: c.from_("items").delete().eq("id", b))
    assert one.data == [item(b, "d0", 1)]
    counted = await writer.run(lambda c: c.from_("items").delete(count="exact").in_("id", [b + 1, b + 2]))
    assert counted.count == 2
    assert sorted(row["id"] for row in counted.data) == [b + 1, b + 2]
    selected = await writer.run(lambda c: c.from_("items").delete().eq("name", "d3").gte("id", b).select("id", "qty"))
    assert selected.data == [{"id": b + 3, "qty": 4}]
    minimal = await writer.run(lambda c: c.from_("items").delete(returning=ReturnMethod.minimal).eq("id", b + 4))
    assert minimal.data == []
    nothing = await writer.run(lambda c: c.from_("items").delete(count="exact").eq("id", b + 9))
    assert (nothing.data, nothing.count) == ([], 0)
    assert items(compat_server, b, b + 9) == [(b + 5, "d5", 6, None)]


# -- errors ----------------------------------------------------------------------------------------------
async def test_write_errors_are_api_errors(writer: WriteClient, compat_server: RunningServer) -> None:
    b = writer.base + 120
    await writer.run(lambda c: c.from_("items").insert({"id": b, "name": "taken"}, returning=ReturnMethod.minimal))
    duplicate = await writer.error(lambda c: c.from_("items").insert({"id": b, "name": "again"}))
    assert duplicate.code == "23505"
    assert duplicate.message == 'duplicate key value violates unique constraint "items_pkey"'
    assert duplicate.details == f"Key (id)=({b}) already exists."
    assert duplicate.hint is None
    unknown = await writer.error(lambda c: c.from_("items").insert({"id": b + 1, "name": "x", "nope": 1}))
    assert unknown.code == "PGRST204"
    assert unknown.message == "Could not find the 'nope' column of 'items' in the schema cache"
    unknown_bulk = await writer.error(lambda c: c.from_("items").insert([{"id": b + 1, "name": "x", "nope": 1}]))
    assert unknown_bulk.code == "PGRST204"
    unknown_update = await writer.error(lambda c: c.from_("items").update({"nope": 1}).eq("id", b))
    assert unknown_update.code == "PGRST204"
    foreign = await writer.error(lambda c: c.from_("items").insert({"id": b + 2, "name": "x", "client_id": 999}))
    assert foreign.code == "23503"
    assert foreign.details == 'Key (client_id)=(999) is not present in table "clients".'
    missing = await writer.error(lambda c: c.from_("itemz").insert({"id": b + 3}))
    assert missing.code == "PGRST205"
    read_only = await writer.error(lambda c: c.from_("clients").insert({"id": b + 4, "name": "x"}))
    assert read_only.code == "42501"
    assert read_only.message == "permission denied for table clients"
    assert items(compat_server, b, b + 9) == [(b, "taken", 1, None)]
    assert compat_server.sql(f"select count(*) from test.clients where id = {b + 4}") == [(0,)]


# -- another schema --------------------------------------------------------------------------------------
async def test_writes_in_another_schema(
    writer: WriteClient,
    make_writer: Callable[..., WriteClient],
    anon_token: str,
    test2_entries: str,
    compat_server: RunningServer,
) -> None:
    prefix = f"py-{writer.kind}-"
    entries = ENTRIES.format(prefix=prefix)
    created = await writer.run(
        lambda c: (
            c.schema("test2").from_("entries").insert({"code": prefix + "a", "label": "one"}).select("code", "label")
        )
    )
    assert created.data == [{"code": prefix + "a", "label": "one"}]
    merged = await writer.run(
        lambda c: c.schema("test2").from_("entries")
        .upsert([{"code": prefix + "a", "label": "two", "n": 1}, {"code": prefix + "b", "label": "bee", "n": 2}],
                on_conflict="code")
        .select("code", "label", "n")
    )  # fmt: skip
    assert sorted(merged.data, key=lambda row: row["code"]) == [
        {"code": prefix + "a", "label": "two", "n": 1}, {"code": prefix + "b", "label": "bee", "n": 2},
    ]  # fmt: skip
    ignored = await writer.run(
        lambda c: c.schema("test2").from_("entries")
        .upsert({"code": prefix + "b", "label": "ignored"}, on_conflict="code", ignore_duplicates=True)
    )  # fmt: skip
    assert ignored.data == []
    second = make_writer(anon_token, schema="test2")
    updated = await second.run(lambda c: c.from_("entries").update({"n": 5}, count="exact").eq("code", prefix + "a"))
    assert updated.count == 1 and updated.data[0]["n"] == 5
    added = await second.run(lambda c: c.from_("entries").insert({"code": prefix + "c"}).select("code", "label", "n"))
    assert added.data == [{"code": prefix + "c", "label": None, "n": 0}]
    deleted = await second.run(lambda c: c.from_("entries").delete().eq("code", prefix + "b").select("code"))
    assert deleted.data == [{"code": prefix + "b"}]
    wrong_schema = await writer.error(lambda c: c.from_("entries").insert({"code": prefix + "z"}))
    assert wrong_schema.code == "PGRST205", "test.entries does not exist"
    assert compat_server.sql(entries) == [(prefix + "a", "two", 5), (prefix + "c", None, 0)]


# -- rpc -------------------------------------------------------------------------------------------------
async def test_rpc_scalar_by_post_and_get(writer: WriteClient) -> None:
    assert (await writer.run(lambda c: c.rpc("add_them", {"a": 1, "b": 2}))).data == 3
    assert (await writer.run(lambda c: c.rpc("add_them", {"a": 1, "b": 2}, get=True))).data == 3
    assert (await writer.run(lambda c: c.rpc("add_them", {"a": 5}))).data == 15, "b takes its default"
    assert (await writer.run(lambda c: c.rpc("add_them", {"a": 5}, get=True))).data == 15
    assert (await writer.run(lambda c: c.rpc("hello", {}))).data == "Hello"
    assert (await writer.run(lambda c: c.rpc("hello", {}, get=True))).data == "Hello"
    assert (await writer.run(lambda c: c.rpc("sum_json", [1, 2, 3]))).data == 6  # type: ignore[arg-type]


async def test_rpc_variadic_and_array_arguments(writer: WriteClient) -> None:
    assert (await writer.run(lambda c: c.rpc("plus_one", {"v": [1, 2, 3]}))).data == [2, 3, 4]
    assert (await writer.run(lambda c: c.rpc("plus_one", {"v": 5}, get=True))).data == [6]
    # By GET the client turns a list into one array literal, `v={5,6}`; PostgREST (and so Campus) takes each
    # value of a variadic parameter as one element, so that literal is an invalid integer there too.
    literal = await writer.error(lambda c: c.rpc("plus_one", {"v": [5, 6]}, get=True))
    assert (literal.code, literal.message) == ("22P02", 'invalid input syntax for type integer: "{5,6}"')
    assert (await writer.run(lambda c: c.rpc("first_of", {"arr": [9, 10]}))).data == 9
    assert (await writer.run(lambda c: c.rpc("first_of", {"arr": [7, 8]}, get=True))).data == 7


async def test_rpc_set_of_rows_filtered_ordered_limited(writer: WriteClient) -> None:
    for get in (False, True):
        ordered = await writer.run(
            lambda c, get=get: c.rpc("projects_of", {"client": 1}, get=get).select("id", "name").order("id", desc=True)
        )
        assert ordered.data == [{"id": 2, "name": "Windows 10"}, {"id": 1, "name": "Windows 7"}], get
        filtered = await writer.run(
            lambda c, get=get: c.rpc("projects_of", {"client": 2}, get=get).select("id").eq("name", "OSX")
        )
        assert filtered.data == [{"id": 4}], get
        limited = await writer.run(
            lambda c, get=get: c.rpc("projects_of", {"client": 2}, get=get).select("name").order("name").limit(1)
        )
        assert limited.data == [{"name": "IOS"}], get
        embedded = await writer.run(
            lambda c, get=get: c.rpc("projects_of", {"client": 2}, get=get)
            .select("name", "clients(name)").like("name", "I*").single()
        )  # fmt: skip
        assert embedded.data == {"name": "IOS", "clients": {"name": "Apple"}}, get
    squares = await writer.run(lambda c: c.rpc("squares", {"upto": 4}).gt("square", 4).order("n", desc=True))
    assert squares.data == [{"n": 4, "square": 16}, {"n": 3, "square": 9}]
    ranged = await writer.run(lambda c: c.rpc("squares", {"upto": 5}, get=True).order("n").range(1, 2))
    assert ranged.data == [{"n": 2, "square": 4}, {"n": 3, "square": 9}]
    row = await writer.run(lambda c: c.rpc("project_row", {"pid": 3}).select("id", "name"))
    assert row.data == {"id": 3, "name": "IOS"}
    maybe = await writer.run(lambda c: c.rpc("projects_of", {"client": 3}).maybe_single())
    assert maybe is None
    too_many = await writer.error(lambda c: c.rpc("projects_of", {"client": 1}).single())
    assert (too_many.code, too_many.details) == ("PGRST116", "The result contains 2 rows")


async def test_rpc_count_and_head(writer: WriteClient) -> None:
    counted = await writer.run(lambda c: c.rpc("projects_of", {"client": 2}, count="exact").select("id").order("id"))
    assert (counted.data, counted.count) == ([{"id": 3}, {"id": 4}], 2)
    page = await writer.run(lambda c: c.rpc("squares", {"upto": 6}, count="exact").select("n").order("n").limit(2))
    assert (page.data, page.count) == ([{"n": 1}, {"n": 2}], 6)
    filtered = await writer.run(lambda c: c.rpc("squares", {"upto": 6}, count="exact", get=True).lt("square", 10))
    assert filtered.count == 3 and len(filtered.data) == 3
    head = await writer.run(lambda c: c.rpc("projects_of", {"client": 1}, head=True, count="exact"))
    assert (head.data, head.count) == ([], 2)
    head_filtered = await writer.run(lambda c: c.rpc("squares", {"upto": 9}, head=True, count="exact").gt("n", 5))
    assert (head_filtered.data, head_filtered.count) == ([], 4)


async def test_rpc_void_and_volatile(writer: WriteClient, compat_server: RunningServer) -> None:
    void = await writer.run(lambda c: c.rpc("do_nothing", {}))
    assert void.data == []  # 204 No Content, which postgrest-py turns into []
    before = compat_server.sql(COUNTER)[0][0]
    assert (await writer.run(lambda c: c.rpc("bump", {}))).data == before + 1
    read_only = await writer.error(lambda c: c.rpc("bump", {}, get=True))
    assert read_only.code == "25006"
    assert read_only.message == "cannot execute UPDATE in a read-only transaction"
    assert compat_server.sql(COUNTER)[0][0] == before + 1, "the GET wrote nothing"


async def test_rpc_errors_are_api_errors(writer: WriteClient) -> None:
    paid = await writer.error(lambda c: c.rpc("pay", {}))
    assert (paid.code, paid.message, paid.details, paid.hint) == (
        "PT402",
        "Payment Required",
        "Quota exceeded",
        "Upgrade",
    )
    missing = await writer.error(lambda c: c.rpc("helo", {}))
    assert missing.code == "PGRST202"
    assert missing.message == "Could not find the function test.helo without parameters in the schema cache"
    assert missing.details == (
        "Searched for the function test.helo without parameters or with a single unnamed json/jsonb parameter, "
        "but no matches were found in the schema cache."
    )
    assert missing.hint == "Perhaps you meant to call the function test.hello"
    missing_get = await writer.error(lambda c: c.rpc("helo", {}, get=True))
    assert missing_get.code == "PGRST202"
    assert missing_get.details == (
        "Searched for the function test.helo without parameters, but no matches were found in the schema cache."
    )
    wrong_args = await writer.error(lambda c: c.rpc("add_them", {"c": 1}))
    assert wrong_args.code == "PGRST202"
    assert wrong_args.message == "Could not find the function test.add_them(c) in the schema cache"
    bad_value = await writer.error(lambda c: c.rpc("add_them", {"a": "x"}, get=True))
    assert bad_value.code == "22P02"
    # A status set from SQL is no error to the server; postgrest-py raises on any non-2xx status and,
    # the body being no error object, falls back to the status and the raw body.
    teapot = await writer.error(lambda c: c.rpc("teapot", {}))
    assert (teapot.code, teapot.details) == ("418", '"short and stout"')
