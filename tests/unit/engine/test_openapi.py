"""The OpenAPI document against a real catalog: a small schema `oa` in a migrated database, the
schema cache read from it, and the privileges read as `anon` (who may not see `oa.secrets` nor call
`oa.hidden`), then the pure helpers on their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from api.engine.openapi import (
    NO_DEFAULT,
    Privileges,
    accepts_openapi,
    max_length,
    openapi_document,
    openapi_json,
    parse_default,
    privileges_statement,
    type_name,
)
from api.engine.request import parse_accept
from api.engine.schema_cache import QualifiedName, SchemaCache, load_schema_cache
from support.databases import ThrowawayCluster

FIXTURE = """
create schema oa;
comment on schema oa is E'Test API\n\nFor the OpenAPI tests.';
grant usage on schema oa to anon;
create type oa.mood as enum ('happy', 'sad');

create table oa.authors (
  id integer generated always as identity primary key,
  name varchar(40) not null,
  bio text
);
comment on table oa.authors is E'Authors\nPeople who write books.';
comment on column oa.authors.name is 'Full name';

create table oa.books (
  id bigint primary key,
  author_id integer not null references oa.authors (id),
  title text not null default 'untitled',
  price numeric(8, 2),
  tags text[],
  meta jsonb,
  published boolean default false,
  mood oa.mood,
  code character(3),
  pages integer default 42,
  added timestamp with time zone default now()
);
comment on table oa.books is 'Books';

create table oa.secrets (id integer primary key, value text);
create view oa.book_titles as select id, title from oa.books;

create function oa.add(a integer, b integer default 1) returns integer
  language sql immutable as 'select a + b';
comment on function oa.add(integer, integer) is E'Adds two numbers\nThe second defaults to one.';
create function oa.touch(id bigint) returns void language sql volatile as 'select';
create function oa.tally(variadic xs integer[]) returns integer language sql stable as 'select 1';
create function oa.hidden() returns integer language sql stable as 'select 1';
revoke execute on function oa.add(integer, integer), oa.touch(bigint), oa.tally(integer[]), oa.hidden() from public;

grant select on oa.authors, oa.books, oa.book_titles to anon;
grant insert (name, bio), update (bio) on oa.authors to anon;
grant execute on function oa.add(integer, integer), oa.touch(bigint), oa.tally(integer[]) to anon;
"""
SERVER = "http://localhost:3000"


@pytest.fixture(scope="module")
def database_url(cluster: ThrowawayCluster) -> Iterator[str]:
    name = cluster.create("openapi", script=FIXTURE)
    yield cluster.url(name)
    cluster.drop(name)


@pytest.fixture(scope="module")
def cache(database_url: str) -> SchemaCache:
    with psycopg.connect(database_url) as conn:
        return load_schema_cache(conn, ["oa"])


def read_privileges(url: str, role: str | None) -> Privileges:
    """The statement run the way the engine runs it: in a transaction, as the request's role."""
    statement = privileges_statement("oa")
    with psycopg.connect(url) as conn, conn.transaction():
        if role is not None:
            conn.execute(f"set local role {role}")
        row = conn.execute(statement.query, statement.params).fetchone()
    assert row is not None
    return Privileges.from_row(row)


@pytest.fixture(scope="module")
def anon_doc(database_url: str, cache: SchemaCache) -> dict[str, Any]:
    privileges = read_privileges(database_url, "anon")
    return openapi_document(cache, "oa", privileges, server_url=SERVER, version="1.2.3")


# -- privileges ------------------------------------------------------------------------------------


def test_privileges_follow_the_role(database_url: str) -> None:
    anon = read_privileges(database_url, "anon")
    oa = lambda name: QualifiedName("oa", name)  # noqa: E731
    assert anon.schema_description == "Test API\n\nFor the OpenAPI tests."
    assert anon.select == {oa("authors"), oa("books"), oa("book_titles")}
    assert anon.insert == anon.update == {oa("authors")}  # column grants count
    assert anon.delete == frozenset()
    assert {name.name for name, _ in anon.execute} == {"add", "touch", "tally"}

    owner = read_privileges(database_url, None)
    assert oa("secrets") in owner.select and oa("secrets") in owner.delete
    assert "hidden" in {name.name for name, _ in owner.execute}


# -- the document ----------------------------------------------------------------------------------


def test_document_shape(anon_doc: dict[str, Any]) -> None:
    assert anon_doc["swagger"] == "2.0"
    assert anon_doc["info"] == {"title": "Test API", "description": "For the OpenAPI tests.", "version": "1.2.3"}
    assert (anon_doc["host"], anon_doc["basePath"], anon_doc["schemes"]) == ("localhost:3000", "/", ["http"])
    assert "application/vnd.pgrst.object+json" in anon_doc["produces"]
    assert "text/csv" in anon_doc["consumes"]
    assert anon_doc["paths"]["/"]["get"]["produces"] == ["application/openapi+json", "application/json"]
    assert "securityDefinitions" not in anon_doc


def test_what_the_role_cannot_reach_is_absent(anon_doc: dict[str, Any]) -> None:
    assert "/secrets" not in anon_doc["paths"]
    assert "secrets" not in anon_doc["definitions"]
    assert not [key for key in anon_doc["parameters"] if ".secrets" in key]
    assert "/rpc/hidden" not in anon_doc["paths"]


def test_methods_follow_privileges(anon_doc: dict[str, Any]) -> None:
    paths = anon_doc["paths"]
    assert set(paths["/authors"]) == {"get", "post", "patch"}  # no DELETE grant
    assert set(paths["/books"]) == {"get"}
    assert set(paths["/book_titles"]) == {"get"}


def test_relation_operations(anon_doc: dict[str, Any]) -> None:
    get = anon_doc["paths"]["/authors"]["get"]
    assert (get["summary"], get["description"], get["tags"]) == ("Authors", "People who write books.", ["authors"])
    assert [p["$ref"] for p in get["parameters"]] == [
        "#/parameters/rowFilter.authors.id",
        "#/parameters/rowFilter.authors.name",
        "#/parameters/rowFilter.authors.bio",
        *(f"#/parameters/{n}" for n in ("select", "order", "range", "rangeUnit", "offset", "limit", "preferCount")),
    ]
    assert get["responses"]["200"]["schema"] == {"type": "array", "items": {"$ref": "#/definitions/authors"}}
    post = anon_doc["paths"]["/authors"]["post"]
    assert [p["$ref"] for p in post["parameters"]] == [
        "#/parameters/body.authors",
        "#/parameters/select",
        "#/parameters/preferPost",
    ]
    assert post["responses"] == {"201": {"description": "Created"}}
    books = anon_doc["paths"]["/books"]["get"]
    assert books["summary"] == "Books" and "description" not in books


def test_definition_of_a_table(anon_doc: dict[str, Any]) -> None:
    authors = anon_doc["definitions"]["authors"]
    assert authors == {
        "type": "object",
        "description": "Authors\nPeople who write books.",
        "properties": {
            "id": {"format": "integer", "type": "integer", "description": "Note:\nThis is a Primary Key.<pk/>"},
            "name": {"format": "character varying", "type": "string", "maxLength": 40, "description": "Full name"},
            "bio": {"format": "text", "type": "string"},
        },
        "required": ["id", "name"],
    }


def test_types_defaults_and_keys(anon_doc: dict[str, Any]) -> None:
    props = anon_doc["definitions"]["books"]["properties"]
    assert props["author_id"] == {
        "format": "integer",
        "type": "integer",
        "description": "Note:\nThis is a Foreign Key to `authors.id`.<fk table='authors' column='id'/>",
    }
    assert props["id"]["format"] == "bigint" and props["id"]["type"] == "integer"
    assert props["title"]["default"] == "untitled"
    assert props["price"] == {"format": "numeric", "type": "number"}
    assert props["tags"] == {"format": "text[]", "type": "array", "items": {"type": "string"}}
    assert props["meta"] == {"format": "jsonb"}
    assert props["published"] == {"format": "boolean", "type": "boolean", "default": False}
    assert props["mood"] == {"format": "oa.mood", "type": "string", "enum": ["happy", "sad"]}
    assert props["code"] == {"format": "character", "type": "string", "maxLength": 3}
    assert props["pages"]["default"] == 42
    assert props["added"] == {"format": "timestamp with time zone", "type": "string", "default": "now()"}


def test_view_gets_the_inferred_primary_key(anon_doc: dict[str, Any]) -> None:
    view = anon_doc["definitions"]["book_titles"]
    assert view["properties"]["id"]["description"] == "Note:\nThis is a Primary Key.<pk/>"
    assert "required" not in view  # view columns are never NOT NULL in the catalog


def test_shared_parameters(anon_doc: dict[str, Any]) -> None:
    params = anon_doc["parameters"]
    assert params["rowFilter.authors.name"] == {
        "name": "name",
        "description": "Full name",
        "required": False,
        "in": "query",
        "type": "string",
    }
    assert params["body.books"]["schema"] == {"$ref": "#/definitions/books"}
    assert params["rangeUnit"]["default"] == "items"
    assert params["preferCount"]["enum"] == ["count=none"]


def test_rpc_paths(anon_doc: dict[str, Any]) -> None:
    add = anon_doc["paths"]["/rpc/add"]
    assert set(add) == {"get", "post"}  # immutable: GET too
    post = add["post"]
    assert (post["summary"], post["description"], post["tags"]) == (
        "Adds two numbers",
        "The second defaults to one.",
        ["(rpc) add"],
    )
    assert post["parameters"][0] == {
        "name": "args",
        "required": True,
        "in": "body",
        "schema": {
            "type": "object",
            "description": "Adds two numbers\nThe second defaults to one.",
            "properties": {
                "a": {"format": "integer", "type": "integer"},
                "b": {"format": "integer", "type": "integer"},
            },
            "required": ["a"],
        },
    }
    assert post["parameters"][1] == {"$ref": "#/parameters/preferParams"}
    assert add["get"]["parameters"] == [
        {"name": "a", "required": True, "in": "query", "format": "integer", "type": "integer"},
        {"name": "b", "required": False, "in": "query", "format": "integer", "type": "integer"},
    ]
    assert set(anon_doc["paths"]["/rpc/touch"]) == {"post"}  # volatile: POST only
    tally = anon_doc["paths"]["/rpc/tally"]["get"]["parameters"][0]
    assert tally == {
        "name": "xs",
        "required": True,
        "in": "query",
        "type": "array",
        "items": {"format": "integer", "type": "integer"},
        "collectionFormat": "multi",
    }


def test_owner_sees_everything(database_url: str, cache: SchemaCache) -> None:
    doc = openapi_document(cache, "oa", read_privileges(database_url, None), server_url=SERVER)
    assert {"/secrets", "/rpc/hidden"} <= set(doc["paths"])
    assert set(doc["paths"]["/books"]) == {"get", "post", "patch", "delete"}


def test_unrestricted_privileges_match_the_owner(database_url: str, cache: SchemaCache) -> None:
    owner = openapi_document(cache, "oa", read_privileges(database_url, None), server_url=SERVER, version="1")
    everything = Privileges.unrestricted(cache, "oa", "Test API\n\nFor the OpenAPI tests.")
    assert openapi_document(cache, "oa", everything, server_url=SERVER, version="1") == owner


def test_json_is_deterministic(anon_doc: dict[str, Any]) -> None:
    encoded = openapi_json(anon_doc)
    assert encoded == openapi_json(json.loads(encoded))
    assert list(json.loads(encoded)) == sorted(anon_doc)


# -- pure helpers ----------------------------------------------------------------------------------


def document_for(server_url: str, comment: str | None = None, **options: Any) -> dict[str, Any]:
    empty = SchemaCache({}, {}, {}, {}, ("oa",), 0.0)
    privileges = Privileges(comment, frozenset(), frozenset(), frozenset(), frozenset(), frozenset())
    return openapi_document(empty, "oa", privileges, server_url=server_url, **options)


@pytest.mark.parametrize(
    ("url", "host", "base", "scheme"),
    [
        ("http://127.0.0.1:3000", "127.0.0.1:3000", "/", "http"),
        ("https://api.example.com/rest/v1", "api.example.com:443", "/rest/v1", "https"),
        ("http://!4:3000", "0.0.0.0:3000", "/", "http"),
        ("http://[::1]:8080/", "[::1]:8080", "/", "http"),
    ],
)
def test_server_url(url: str, host: str, base: str, scheme: str) -> None:
    doc = document_for(url)
    assert (doc["host"], doc["basePath"], doc["schemes"]) == (host, base, [scheme])


def test_info_without_or_with_a_one_line_comment() -> None:
    assert document_for(SERVER, title="Campus", version="9")["info"] == {
        "title": "Campus",
        "description": "This is a dynamic API generated by PostgREST",
        "version": "9",
    }
    assert document_for(SERVER, "Just a title")["info"]["description"] == ""


def test_security_definition() -> None:
    doc = document_for(SERVER, security=True)
    assert doc["securityDefinitions"]["JWT"]["in"] == "header"
    assert doc["security"] == [{"JWT": []}]


def test_empty_document_still_has_the_root_path() -> None:
    doc = document_for(SERVER)
    assert list(doc["paths"]) == ["/"] and doc["definitions"] == {}


@pytest.mark.parametrize(
    ("data_type", "name", "length"),
    [
        ("character varying(20)", "character varying", 20),
        ("character(1)", "character", 1),
        ("numeric(8,2)", "numeric", None),
        ("timestamp(3) with time zone", "timestamp with time zone", None),
        ("character varying(20)[]", "character varying[]", None),
        ("bit varying(5)", "bit varying", 5),
        ("app.mood", "app.mood", None),
    ],
)
def test_type_names_and_lengths(data_type: str, name: str, length: int | None) -> None:
    assert (type_name(data_type), max_length(data_type)) == (name, length)


@pytest.mark.parametrize(
    ("expression", "pg_type", "value"),
    [
        ("'hello'::text", "text", "hello"),
        ("'x'::character varying", "character varying", "x"),
        ("'1900-01-01'::date", "date", "1900-01-01"),
        ("42", "integer", 42),
        ("42.2", "numeric", 42.2),
        ("true", "boolean", True),
        ("'{}'::jsonb", "jsonb", None),
        ("nextval('oa.t_id_seq'::regclass)", "integer", None),
    ],
)
def test_parse_default(expression: str, pg_type: str, value: Any) -> None:
    assert parse_default(expression, pg_type) == (NO_DEFAULT if value is None else value)


@pytest.mark.parametrize(
    ("accept", "taken"),
    [
        ("", True),
        ("application/openapi+json", True),
        ("application/json", True),
        ("text/html, */*;q=0.8", True),
        ("text/csv", False),
        ("application/vnd.pgrst.object+json", False),
    ],
)
def test_accepts_openapi(accept: str, taken: bool) -> None:
    assert accepts_openapi(parse_accept(accept)) is taken
