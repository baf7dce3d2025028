"""Writes against a real database: parse → plan_write → build_write → execute → check/respond.

A migrated database of its own gets the small schema `wt` below; each test runs inside one
transaction that is rolled back afterwards, each statement inside a savepoint (so a statement
that fails leaves the test's transaction usable). Expected behaviour is PostgREST's (reference
§2, §11b F/G/H, §11c).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from aiohttp import web
from psycopg import errors as pg_errors

from api.engine.errors import ApiError
from api.engine.media import MediaChoice, negotiate
from api.engine.request import ApiRequest, parse_request
from api.engine.schema_cache import SchemaCache, load_schema_cache
from api.engine.sql_write import build_write
from api.engine.write_plan import WritePlan, plan_write
from api.engine.write_response import check_write, write_response
from support.databases import ThrowawayCluster

FIXTURE = r"""
create schema wt;
create table wt.clients (id integer primary key, name text not null);
create table wt.projects (
  id integer primary key,
  name text not null,
  client_id integer references wt.clients (id),
  budget numeric default 100,
  status text not null default 'open'
);
create table wt.tasks (
  id serial primary key,
  name text not null default 'todo',
  project_id integer references wt.projects (id),
  done boolean not null default false
);
create table wt.products (id serial primary key, sku text not null unique, price numeric,
                          stock integer not null default 0);
create view wt.products_view as select id, sku, price, stock from wt.products;
create table wt.pairs (a integer, b text, v text, primary key (a, b));
create table wt.logs (msg text, level integer default 1);
create table wt.tags (id integer primary key, label text default '100%', data jsonb);
create function wt.shout(wt.clients) returns text language sql stable as $$ select upper($1.name) $$;
create table wt.signals (id integer primary key, note text);
create function wt.signal() returns trigger language plpgsql as $$
begin
  perform set_config('response.status', '202', true);
  perform set_config('response.headers', '[{"X-Signal": "on"}, {"Content-Range": "custom"}]', true);
  return new;
end $$;
create trigger signal before insert on wt.signals for each row execute function wt.signal();

insert into wt.clients values (1, 'Apple'), (2, 'Microsoft');
insert into wt.projects (id, name, client_id, budget) values (1, 'Orbit', 1, 10), (2, 'Nova', 1, 20),
                                                             (3, 'Pulse', 2, 30);
insert into wt.tasks (name, project_id) values ('design', 1), ('build', 1), ('ship', 2);
insert into wt.products (sku, price) values ('A', 1), ('B', 2);
insert into wt.tags (id, label, data) values (1, 'one', '{"kind": "x"}'), (2, 'two', '{"kind": "y"}');
"""


@pytest.fixture(scope="module")
def fixture_url(cluster: ThrowawayCluster) -> Iterator[str]:
    name = cluster.create("writes", script=FIXTURE)
    yield cluster.url(name)
    cluster.drop(name)


@pytest.fixture(scope="module")
def cache(fixture_url: str) -> SchemaCache:
    with psycopg.connect(fixture_url) as conn:
        return load_schema_cache(conn, ["wt"])


@pytest.fixture
def conn(fixture_url: str) -> Iterator[psycopg.Connection]:
    """One transaction for the whole test, rolled back at the end."""
    with psycopg.connect(fixture_url) as connection:
        connection.execute("select 1")  # opens the transaction: statements below run in savepoints
        yield connection
        connection.rollback()


@dataclass
class Outcome:
    api: ApiRequest
    plan: WritePlan
    media: MediaChoice
    row: tuple[Any, ...]

    @property
    def total(self) -> int:
        return self.row[0]

    @property
    def page_total(self) -> int:
        return self.row[1]

    @property
    def body(self) -> Any:
        return None if self.row[2] is None else json.loads(self.row[2])

    @property
    def location(self) -> list[str] | None:
        return self.row[5]

    @property
    def inserted(self) -> int | None:
        return self.row[6]

    def check(self) -> None:
        check_write(self.api, self.plan, self.media, self.row)

    def response(self, *, tx_allowed: bool = False) -> web.Response:
        return write_response(self.api, self.plan, self.row, self.media, tx_allowed=tx_allowed)


def write(
    conn: psycopg.Connection,
    cache: SchemaCache,
    method: str,
    target: str,
    query: str = "",
    body: Any = None,
    *,
    prefer: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Outcome:
    """Run one write the way the handler will: one statement, a fresh `pgrst.inserted` counter."""
    sent = dict(headers or {})
    if prefer:
        sent["Prefer"] = prefer
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    api = parse_request(method, "/" + target, query, sent, body, schemas=["wt"])
    plan = plan_write(api, cache)
    media = negotiate(api.accept)
    statement = build_write(plan, media.kind, strip_nulls=media.strip_nulls)
    with conn.transaction():
        row = conn.execute(statement.query, statement.params).fetchone()
    conn.execute("select pg_catalog.set_config('pgrst.inserted', '', true)")  # as a new transaction would be
    assert row is not None
    return Outcome(api, plan, media, row)


def rows(conn: psycopg.Connection, query: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(query, params).fetchall()


def plan_error(cache: SchemaCache, method: str, target: str, query: str = "", body: Any = None, **headers: str):
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    with pytest.raises(ApiError) as caught:
        api = parse_request(method, "/" + target, query, headers, body, schemas=["wt"])
        plan_write(api, cache)
    return caught.value


def check_error(outcome: Outcome) -> ApiError:
    with pytest.raises(ApiError) as caught:
        outcome.check()
    return caught.value


# -- POST ----------------------------------------------------------------------------------------


def test_insert_object_minimal(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", body={"id": 3, "name": "Google"})
    assert (out.total, out.page_total, out.row[2], out.location, out.inserted) == (1, 1, None, None, None)
    assert rows(conn, "select id, name from wt.clients where id = 3") == [(3, "Google")]
    response = out.response()
    assert response.status == 201
    assert response.headers["Content-Range"] == "*/*"
    assert "Content-Type" not in response.headers and "Preference-Applied" not in response.headers
    assert response.body is None


def test_insert_absent_columns_take_their_defaults(conn, cache) -> None:
    write(conn, cache, "POST", "projects", body={"id": 9, "name": "Nine"})
    assert rows(conn, "select budget, status, client_id from wt.projects where id = 9") == [(100, "open", None)]


def test_insert_representation_with_embed(conn, cache) -> None:
    out = write(
        conn, cache, "POST", "projects", "select=id,name,clients(id,name)",
        {"id": 6, "name": "New", "client_id": 2}, prefer="return=representation, count=exact",
    )  # fmt: skip
    assert out.row[2] == '[{"id":6,"name":"New","clients":{"id": 2, "name": "Microsoft"}}]'  # PostgreSQL's bytes
    response = out.response()
    assert response.status == 201
    assert response.headers["Content-Range"] == "*/1"
    assert response.headers["Preference-Applied"] == "return=representation, count=exact"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_insert_representation_without_select_returns_whole_rows(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", body=[{"id": 5, "name": "E"}], prefer="return=representation")
    assert out.body == [{"id": 5, "name": "E"}]


def test_insert_representation_computed_field(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", "select=id,shout", {"id": 7, "name": "quiet"},
                prefer="return=representation")  # fmt: skip
    assert out.body == [{"id": 7, "shout": "QUIET"}]


def test_insert_representation_as_csv(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", "select=name,id", [{"id": 8, "name": "a,b"}, {"id": 9, "name": "c"}],
                prefer="return=representation", headers={"Accept": "text/csv"})  # fmt: skip
    assert out.row[2] == 'name,id\n"a,b",8\nc,9'
    assert out.response().headers["Content-Type"] == "text/csv; charset=utf-8"


def test_bulk_insert(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", body=[{"id": 10, "name": "J"}, {"id": 11, "name": "K"}],
                prefer="count=exact")  # fmt: skip
    assert out.total == 2
    assert out.response().headers["Content-Range"] == "*/2"
    assert rows(conn, "select id from wt.clients where id >= 10 order by id") == [(10,), (11,)]


def test_insert_empty_array_inserts_nothing(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", body=[])
    assert out.total == 0
    assert out.response().status == 201


def test_insert_empty_objects_insert_default_rows(conn, cache) -> None:
    out = write(conn, cache, "POST", "tasks", body=[{}, {}], prefer="return=representation")
    assert [(t["name"], t["done"]) for t in out.body] == [("todo", False), ("todo", False)]


def test_csv_payload(conn, cache) -> None:
    body = b"id,name,client_id\n20,Twenty,NULL\n21,Twenty one,2"
    out = write(conn, cache, "POST", "projects", body=body, headers={"Content-Type": "text/csv"})
    assert out.total == 2
    assert rows(conn, "select id, name, client_id from wt.projects where id >= 20 order by id") == [
        (20, "Twenty", None),
        (21, "Twenty one", 2),
    ]


def test_form_payload(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", body=b"id=30&name=Form+Co",
                headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert out.total == 1
    assert rows(conn, "select name from wt.clients where id = 30") == [("Form Co",)]


def test_payload_is_bound_not_spliced(conn, cache) -> None:
    name = "x'); drop table wt.clients; -- %s %(a)s $1"
    write(conn, cache, "POST", "clients", body={"id": 40, "name": name})
    assert rows(conn, "select name from wt.clients where id = 40") == [(name,)]


def test_columns_parameter_missing_keys_are_null(conn, cache) -> None:
    body = [{"id": 50, "name": "A", "budget": 5, "ignored": True}, {"id": 51, "name": "B"}]
    out = write(conn, cache, "POST", "projects", "columns=id,name,budget", body)
    assert out.total == 2
    assert rows(conn, "select id, budget from wt.projects where id >= 50 order by id") == [(50, 5), (51, None)]


def test_missing_default_with_columns(conn, cache) -> None:
    body = [{"id": 52, "name": "A", "budget": 5}, {"id": 53, "name": "B"}, {"id": 54, "name": "C", "budget": None}]
    out = write(conn, cache, "POST", "projects", "columns=id,name,budget", body, prefer="missing=default")
    assert rows(conn, "select id, budget from wt.projects where id >= 52 order by id") == [
        (52, 5),
        (53, 100),  # absent: the default
        (54, None),  # an explicit null stays null
    ]
    assert out.response().headers["Preference-Applied"] == "missing=default"


def test_missing_default_generates_keys_from_sequences(conn, cache) -> None:
    body = [{"name": "first", "project_id": 1}, {"project_id": 2}]
    out = write(conn, cache, "POST", "tasks", "columns=id,name,project_id", body,
                prefer="missing=default, return=representation")  # fmt: skip
    first, second = out.body
    assert first["id"] is not None and second["id"] == first["id"] + 1
    assert (first["name"], second["name"]) == ("first", "todo")


def test_missing_default_single_object_and_percent_in_default(conn, cache) -> None:
    write(conn, cache, "POST", "tags", "columns=id,label", {"id": 9}, prefer="missing=default")
    assert rows(conn, "select label from wt.tags where id = 9") == [("100%",)]


def test_unknown_payload_key_is_pgrst204(cache) -> None:
    error = plan_error(cache, "POST", "clients", body={"id": 1, "zeta": 1, "nope": 2})
    assert (error.status, error.code) == (400, "PGRST204")
    assert error.message == "Could not find the 'nope' column of 'clients' in the schema cache"  # sorted: first
    assert (error.details, error.hint) == (None, None)


def test_unknown_columns_parameter_is_pgrst204(cache) -> None:
    error = plan_error(cache, "POST", "clients", "columns=id,nme", {"id": 1})
    assert error.message == "Could not find the 'nme' column of 'clients' in the schema cache"
    assert plan_error(cache, "PATCH", "clients", "id=eq.1", {"nope": 1}).code == "PGRST204"


def test_unknown_relation_is_pgrst205(cache) -> None:
    error = plan_error(cache, "POST", "clientz", body={"id": 1})
    assert (error.status, error.code) == (404, "PGRST205")
    assert error.message == "Could not find the table 'wt.clientz' in the schema cache"
    assert error.hint == "Perhaps you meant the table 'wt.clients'"


def test_bad_select_fails_even_with_minimal(cache) -> None:
    assert plan_error(cache, "POST", "clients", "select=id,nope(*)", {"id": 1}).code == "PGRST200"


def test_headers_only_location(conn, cache) -> None:
    out = write(conn, cache, "POST", "projects", body={"id": 33, "name": "x"}, prefer="return=headers-only")
    assert out.location == ["id=eq.33"]
    response = out.response()
    assert response.status == 201
    assert response.headers["Location"] == "/projects?id=eq.33"
    assert response.headers["Preference-Applied"] == "return=headers-only"
    assert response.body is None and "Content-Type" not in response.headers


def test_headers_only_location_composite_key_is_encoded(conn, cache) -> None:
    out = write(conn, cache, "POST", "pairs", body={"v": "1", "b": "x y&z", "a": 7}, prefer="return=headers-only")
    assert out.location == ["a=eq.7", "b=eq.x y&z"]  # table column order
    assert out.response().headers["Location"] == "/pairs?a=eq.7&b=eq.x%20y%26z"


def test_headers_only_location_only_for_one_row(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", body=[{"id": 60, "name": "a"}, {"id": 61, "name": "b"}],
                prefer="return=headers-only")  # fmt: skip
    assert out.location is None
    assert "Location" not in out.response().headers


def test_no_location_without_primary_key(conn, cache) -> None:
    out = write(conn, cache, "POST", "logs", body={"msg": "hi"}, prefer="return=headers-only")
    assert out.location is None


def test_plain_insert_conflict_is_unique_violation(conn, cache) -> None:
    with pytest.raises(pg_errors.UniqueViolation):
        write(conn, cache, "POST", "clients", body={"id": 1, "name": "dup"})


def test_on_conflict_without_resolution_is_a_plain_insert(conn, cache) -> None:
    with pytest.raises(pg_errors.UniqueViolation):
        write(conn, cache, "POST", "products", "on_conflict=sku", {"sku": "A", "price": 9})


def test_singular_accept_on_bulk_insert_must_roll_back(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", body=[{"id": 70, "name": "a"}, {"id": 71, "name": "b"}],
                prefer="return=representation", headers={"Accept": "application/vnd.pgrst.object+json"})  # fmt: skip
    error = check_error(out)
    assert (error.status, error.code, error.details) == (406, "PGRST116", "The result contains 2 rows")


def test_singular_insert_returns_an_object(conn, cache) -> None:
    out = write(conn, cache, "POST", "clients", body={"id": 72, "name": "a"}, prefer="return=representation",
                headers={"Accept": "application/vnd.pgrst.object+json"})  # fmt: skip
    out.check()
    assert out.body == {"id": 72, "name": "a"}
    assert out.response().headers["Content-Type"] == "application/vnd.pgrst.object+json; charset=utf-8"


def test_status_and_headers_from_sql(conn, cache) -> None:
    out = write(conn, cache, "POST", "signals", body={"id": 1, "note": "n"})
    response = out.response()
    assert response.status == 202
    assert response.headers["X-Signal"] == "on"
    assert response.headers.getall("Content-Range") == ["custom"]  # SQL's header replaces ours


# -- upserts -------------------------------------------------------------------------------------


def test_merge_duplicates_inserts_and_updates(conn, cache) -> None:
    body = [{"id": 1, "name": "Orbit 2"}, {"id": 80, "name": "Fresh"}]
    out = write(conn, cache, "POST", "projects", body=body,
                prefer="resolution=merge-duplicates, return=representation")  # fmt: skip
    assert (out.total, out.inserted) == (2, 1)
    assert [p["name"] for p in out.body] == ["Orbit 2", "Fresh"]
    response = out.response()
    assert response.status == 201
    assert response.headers["Preference-Applied"] == "resolution=merge-duplicates, return=representation"
    # only the payload's columns change: budget keeps its value
    assert rows(conn, "select budget from wt.projects where id = 1") == [(10,)]


def test_merge_duplicates_all_updates_is_200(conn, cache) -> None:
    body = [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]
    out = write(conn, cache, "POST", "projects", body=body, prefer="resolution=merge-duplicates")
    assert (out.total, out.inserted) == (2, 0)
    assert out.response().status == 200
    assert rows(conn, "select name from wt.projects where id in (1, 2) order by id") == [("A",), ("B",)]


def test_merge_duplicates_empty_array_is_200(conn, cache) -> None:
    out = write(conn, cache, "POST", "projects", body=[], prefer="resolution=merge-duplicates")
    assert (out.total, out.inserted) == (0, None)
    assert out.response().status == 200


def test_merge_duplicates_on_conflict_column(conn, cache) -> None:
    body = [{"sku": "A", "price": 10}, {"sku": "NEW", "price": 2}]
    out = write(conn, cache, "POST", "products", "on_conflict=sku", body, prefer="resolution=merge-duplicates")
    assert (out.total, out.inserted) == (2, 1)
    assert rows(conn, "select sku, price, stock from wt.products order by sku") == [
        ("A", 10, 0),
        ("B", 2, 0),
        ("NEW", 2, 0),
    ]


def test_merge_duplicates_through_a_view(conn, cache) -> None:
    body = [{"sku": "B", "price": 7}]
    out = write(conn, cache, "POST", "products_view", "on_conflict=sku", body, prefer="resolution=merge-duplicates")
    assert (out.total, out.inserted) == (1, 0)
    assert out.response().status == 200
    out = write(conn, cache, "POST", "products_view", "on_conflict=sku", [{"sku": "C", "price": 1}],
                prefer="resolution=merge-duplicates")  # fmt: skip
    assert out.inserted == 1 and out.response().status == 201


def test_ignore_duplicates_keeps_existing_rows(conn, cache) -> None:
    body = [{"id": 1, "name": "Ignored"}, {"id": 81, "name": "Inserted"}]
    out = write(conn, cache, "POST", "projects", "select=id,name", body,
                prefer="resolution=ignore-duplicates, return=representation")  # fmt: skip
    assert out.body == [{"id": 81, "name": "Inserted"}]  # only what was inserted
    assert out.response().status == 201
    assert rows(conn, "select name from wt.projects where id = 1") == [("Orbit",)]


def test_resolution_without_a_key_is_a_plain_insert(conn, cache) -> None:
    out = write(conn, cache, "POST", "logs", body=[{"msg": "a"}, {"msg": "a"}],
                prefer="resolution=merge-duplicates, return=minimal")  # fmt: skip
    assert out.plan.conflict is None
    assert out.total == 2
    response = out.response()
    assert response.status == 201
    assert response.headers["Preference-Applied"] == "return=minimal"  # resolution was not applied


def test_unknown_on_conflict_column(cache) -> None:
    error = plan_error(cache, "POST", "products", "on_conflict=nope", {"sku": "A"},
                       Prefer="resolution=merge-duplicates")  # fmt: skip
    assert (error.status, error.code) == (400, "42703")


def test_on_conflict_without_unique_constraint_fails_in_postgres(conn, cache) -> None:
    with pytest.raises(pg_errors.InvalidColumnReference):  # 42P10 → 400
        write(conn, cache, "POST", "products", "on_conflict=price", {"sku": "Z", "price": 1},
              prefer="resolution=merge-duplicates")  # fmt: skip


# -- PUT -----------------------------------------------------------------------------------------


def test_put_inserts_a_new_row(conn, cache) -> None:
    out = write(conn, cache, "PUT", "clients", "id=eq.90", {"id": 90, "name": "New"}, prefer="return=representation")
    out.check()
    assert (out.total, out.inserted) == (1, 1)
    assert out.body == [{"id": 90, "name": "New"}]
    response = out.response()
    assert response.status == 201
    assert "Content-Range" not in response.headers


def test_put_replaces_an_existing_row(conn, cache) -> None:
    out = write(conn, cache, "PUT", "projects", "id=eq.1", {"id": 1, "name": "Replaced", "budget": 1},
                prefer="return=representation")  # fmt: skip
    out.check()
    assert out.inserted == 0
    assert out.response().status == 200
    assert rows(conn, "select name, budget, client_id from wt.projects where id = 1") == [("Replaced", 1, 1)]


def test_put_minimal_is_204(conn, cache) -> None:
    out = write(conn, cache, "PUT", "pairs", "a=eq.1&b=eq.x", {"a": 1, "b": "x", "v": "v"})
    out.check()
    response = out.response()
    assert (response.status, response.body) == (204, None)
    assert rows(conn, "select v from wt.pairs where a = 1 and b = 'x'") == [("v",)]


def test_put_payload_key_must_match_the_url(conn, cache) -> None:
    out = write(conn, cache, "PUT", "clients", "id=eq.4", {"id": 5, "name": "Other"})
    assert out.total == 0
    error = check_error(out)
    assert (error.status, error.code) == (400, "PGRST115")
    assert error.message == "Payload values do not match URL in primary key column(s)"
    assert rows(conn, "select count(*) from wt.clients where id in (4, 5)") == [(0,)]


def test_put_payload_without_the_key_does_not_match(conn, cache) -> None:
    out = write(conn, cache, "PUT", "clients", "id=eq.4", {"name": "Keyless"})
    assert check_error(out).code == "PGRST115"


def test_put_uses_the_matching_element_of_an_array(conn, cache) -> None:
    out = write(conn, cache, "PUT", "clients", "id=eq.91", [{"id": 91, "name": "a"}, {"id": 92, "name": "b"}])
    out.check()
    assert rows(conn, "select id from wt.clients where id > 90") == [(91,)]


@pytest.mark.parametrize(
    ("target", "query"),
    [
        ("clients", "name=eq.x"),  # not the key
        ("clients", "id=eq.1&name=eq.x"),  # more than the key
        ("clients", "id=gt.1"),  # not eq
        ("clients", "id=not.eq.1"),
        ("clients", "id=eq(any).{1}"),
        ("clients", "or=(id.eq.1)"),
        ("clients", ""),
        ("pairs", "a=eq.1"),  # half of a composite key
        ("logs", "msg=eq.x"),  # no key at all
    ],
)
def test_put_filters_must_be_the_primary_key(cache, target: str, query: str) -> None:
    error = plan_error(cache, "PUT", target, query, {"id": 1})
    assert (error.status, error.code) == (405, "PGRST105")
    assert error.message == "Filters must include all and only primary key columns with 'eq' operators"


def test_put_with_limit_is_pgrst114(cache) -> None:
    error = plan_error(cache, "PUT", "clients", "id=eq.1&limit=1", {"id": 1})
    assert (error.status, error.code) == (400, "PGRST114")
    assert plan_error(cache, "PUT", "clients", "id=eq.1&offset=2", {"id": 1}).code == "PGRST114"


def test_put_ignores_columns_parameter(conn, cache) -> None:
    out = write(conn, cache, "PUT", "clients", "id=eq.93&columns=id", {"id": 93, "name": "kept"})
    out.check()
    assert rows(conn, "select name from wt.clients where id = 93") == [("kept",)]


# -- PATCH ---------------------------------------------------------------------------------------


def test_patch_with_filters(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "projects", "client_id=eq.1", {"status": "closed"})
    out.check()
    assert out.total == 2
    response = out.response()
    assert (response.status, response.headers["Content-Range"]) == (204, "0-1/*")
    assert rows(conn, "select id from wt.projects where status = 'closed' order by id") == [(1,), (2,)]


def test_patch_counted(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "projects", "id=lt.3", {"budget": 0}, prefer="count=exact")
    assert out.response().headers["Content-Range"] == "0-1/2"


def test_patch_single_row_range(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "tags", "id=eq.2", {"id": 42})
    assert out.response().headers["Content-Range"] == "0-0/*"
    assert rows(conn, "select id from wt.tags order by id") == [(1,), (42,)]


def test_patch_logic_tree(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "projects", "or=(id.eq.1,name.eq.Pulse)", {"budget": 7})
    assert out.total == 2
    assert rows(conn, "select id from wt.projects where budget = 7 order by id") == [(1,), (3,)]


def test_patch_json_path_filter(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "tags", "data->>kind=eq.y", {"label": "why"})
    assert out.total == 1
    assert rows(conn, "select id from wt.tags where label = 'why'") == [(2,)]


def test_patch_representation_with_embed_and_embed_filter(conn, cache) -> None:
    query = "id=eq.1&select=id,name,projects(id,name)&projects.id=gt.1&projects.order=id.desc"
    out = write(conn, cache, "PATCH", "clients", query, {"name": "Pear"}, prefer="return=representation")
    assert out.body == [{"id": 1, "name": "Pear", "projects": [{"id": 2, "name": "Nova"}]}]
    assert out.response().status == 200


def test_patch_representation_keeps_rows_the_update_moved(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "projects", "status=eq.open&select=id,status&order=id.desc",
                {"status": "done"}, prefer="return=representation")  # fmt: skip
    assert out.body == [{"id": 3, "status": "done"}, {"id": 2, "status": "done"}, {"id": 1, "status": "done"}]


def test_patch_representation_embed_needs_join_columns(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "projects", "id=eq.3&select=name,clients(name)", {"name": "Pulse 2"},
                prefer="return=representation")  # fmt: skip
    assert out.plan.returned == ("name", "client_id", "id")
    assert out.body == [{"name": "Pulse 2", "clients": {"name": "Microsoft"}}]


def test_patch_nothing_matched(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "projects", "id=eq.999", {"name": "x"}, prefer="return=representation")
    assert (out.total, out.body) == (0, [])
    response = out.response()
    assert (response.status, response.headers["Content-Range"]) == (200, "*/*")


@pytest.mark.parametrize("body", [{}, [], [{}]])
def test_patch_empty_payload_is_a_no_op(conn, cache, body: Any) -> None:
    out = write(conn, cache, "PATCH", "projects", "", body)
    assert out.total == 0
    response = out.response()
    assert (response.status, response.headers["Content-Range"]) == (204, "*/*")
    assert rows(conn, "select count(*) from wt.projects where name = 'Orbit'") == [(1,)]


def test_patch_without_filters_touches_every_row(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "tasks", "", {"done": True})
    assert out.total == 3


def test_patch_array_payload_uses_the_first_object(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "clients", "id=eq.1", [{"name": "first"}, {"name": "second"}])
    assert out.total == 1
    assert rows(conn, "select name from wt.clients where id = 1") == [("first",)]


def test_patch_missing_default_with_columns(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "projects", "id=eq.2&columns=name,budget", {"name": "Nova 2"},
                prefer="missing=default")  # fmt: skip
    assert out.total == 1
    assert rows(conn, "select name, budget from wt.projects where id = 2") == [("Nova 2", 100)]


def test_patch_columns_without_default_sets_null(conn, cache) -> None:
    write(conn, cache, "PATCH", "projects", "id=eq.2&columns=name,budget", {"name": "Nova 3"})
    assert rows(conn, "select budget from wt.projects where id = 2") == [(None,)]


def test_patch_singular_must_roll_back_unless_one_row(conn, cache) -> None:
    singular = {"Accept": "application/vnd.pgrst.object+json"}
    out = write(conn, cache, "PATCH", "projects", "client_id=eq.1", {"budget": 1}, headers=singular)
    assert check_error(out).code == "PGRST116"
    out = write(conn, cache, "PATCH", "projects", "id=eq.1", {"budget": 1}, prefer="return=representation",
                headers=singular)  # fmt: skip
    out.check()
    assert out.body["budget"] == 1


def test_patch_unknown_filter_column(cache) -> None:
    error = plan_error(cache, "PATCH", "projects", "nope=eq.1", {"name": "x"})
    assert (error.status, error.code) == (400, "42703")


def test_patch_filter_on_an_embed_that_is_not_selected(cache) -> None:
    assert plan_error(cache, "PATCH", "clients", "projects.id=eq.1", {"name": "x"}).code == "PGRST108"


def test_patch_max_affected(conn, cache) -> None:
    out = write(conn, cache, "PATCH", "projects", "", {"budget": 2}, prefer="handling=strict, max-affected=2")
    error = check_error(out)
    assert (error.status, error.code) == (400, "PGRST124")
    assert error.message == "Query result exceeds max-affected preference constraint"
    assert error.details == "The query affects 3 rows"


# -- DELETE --------------------------------------------------------------------------------------


def test_delete_with_filters(conn, cache) -> None:
    out = write(conn, cache, "DELETE", "tasks", "project_id=eq.1")
    out.check()
    assert out.total == 2
    response = out.response()
    assert (response.status, response.headers["Content-Range"], response.body) == (204, "*/*", None)
    assert rows(conn, "select name from wt.tasks") == [("ship",)]


def test_delete_counted(conn, cache) -> None:
    out = write(conn, cache, "DELETE", "tasks", "id=gt.0", prefer="count=exact")
    assert out.response().headers["Content-Range"] == "*/3"


def test_delete_representation_with_embed(conn, cache) -> None:
    out = write(conn, cache, "DELETE", "tasks", "name=eq.ship&select=name,projects(name,clients(name))",
                prefer="return=representation")  # fmt: skip
    assert out.body == [{"name": "ship", "projects": {"name": "Nova", "clients": {"name": "Apple"}}}]
    assert out.response().status == 200


def test_delete_max_affected_strict_and_lenient(conn, cache) -> None:
    out = write(conn, cache, "DELETE", "tasks", "id=lt.15", prefer="handling=strict, max-affected=2")
    error = check_error(out)
    assert (error.code, error.details) == ("PGRST124", "The query affects 3 rows")
    out = write(conn, cache, "DELETE", "tasks", "id=lt.15", prefer="handling=lenient, max-affected=2")
    out.check()  # without strict handling the preference is ignored
    assert out.response().headers["Preference-Applied"] == "handling=lenient"


def test_delete_within_max_affected(conn, cache) -> None:
    out = write(conn, cache, "DELETE", "tasks", "id=eq.1", prefer="handling=strict, max-affected=1")
    out.check()
    assert out.response().headers["Preference-Applied"] == "handling=strict, max-affected=1"


def test_delete_restricted_by_foreign_key(conn, cache) -> None:
    with pytest.raises(pg_errors.ForeignKeyViolation):  # 23503 → 409
        write(conn, cache, "DELETE", "clients", "id=eq.1")


def test_missing_default_fills_identity_columns(cluster) -> None:  # type: ignore[no-untyped-def]
    """An identity key absent from a `columns=` bulk insert takes its sequence, like any default."""
    import psycopg

    from api.engine.request import parse_request
    from api.engine.schema_cache import load_schema_cache
    from api.engine.sql_write import build_write
    from api.engine.write_plan import plan_write

    name = cluster.create("identity", migrated=True)
    try:
        with psycopg.connect(cluster.url(name), autocommit=True) as conn:
            conn.execute(
                "create schema ident; create table ident.t (id int generated by default as identity primary key, "
                "label text not null)"
            )
            # Loaded as the server loads it: as authenticator, which has no USAGE on the schema.
            with psycopg.connect(cluster.url(name, user="authenticator"), autocommit=True) as engine_conn:
                cache = load_schema_cache(engine_conn, ["ident"])
            assert cache.relation("ident", "t").column("id").default == "nextval('ident.t_id_seq'::regclass)"
            api = parse_request("POST", "/t", "columns=id,label", {"Prefer": "missing=default",
                                "Content-Type": "application/json"}, b'[{"label": "a"}, {"label": "b"}]',
                                schemas=["ident"])  # fmt: skip
            statement = build_write(plan_write(api, cache))
            conn.execute(statement.query, statement.params)
            assert conn.execute("select id, label from ident.t order by id").fetchall() == [(1, "a"), (2, "b")]
    finally:
        cluster.drop(name)
