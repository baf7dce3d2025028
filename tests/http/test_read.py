"""GET/HEAD/OPTIONS through a real server: status, the headers that matter, and the body."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from support.server import JWT_SECRET, RunningServer


def get(http: httpx.Client, path: str, **headers: str) -> httpx.Response:
    return http.get(path, headers={k.replace("_", "-"): v for k, v in headers.items()})


def names(response: httpx.Response) -> list:
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()]


# -- select ------------------------------------------------------------------------------------
def test_select_columns_alias_and_cast(http: httpx.Client) -> None:
    response = get(http, "/people?select=id,fullName:name,age::text&id=eq.1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == [{"id": 1, "fullName": "Angela", "age": "41"}]


def test_json_paths_and_unicode_columns(http: httpx.Client) -> None:
    rows = get(http, "/documents?select=id,b:data->a->>b,kind:data->>kind,first:data->list->0&id=eq.1").json()
    assert rows == [{"id": 1, "b": "1", "kind": "x", "first": 1}]
    rows = get(http, "/documents?select=%22Display%20Name%22,caf%C3%A9&id=eq.1").json()
    assert rows == [{"Display Name": "Über document", "café": "au lait"}]


def test_computed_field(http: httpx.Client) -> None:
    assert get(http, "/projects?select=label&id=eq.3").json() == [{"label": "IOS #3"}]
    assert names(get(http, "/projects?select=name&label=like.*%232")) == ["Windows 10"]


def test_embeds_to_one_to_many_many_to_many_and_nested(http: httpx.Client) -> None:
    rows = get(http, "/projects?select=name,clients(name)&id=in.(1,5)&order=id").json()
    assert rows == [{"name": "Windows 7", "clients": {"name": "Microsoft"}}, {"name": "Orphan", "clients": None}]
    rows = get(
        http, "/clients?select=name,projects(name,tasks(name))&id=eq.2&projects.order=id&projects.tasks.order=id"
    ).json()
    assert rows == [{"name": "Apple", "projects": [
        {"name": "IOS", "tasks": [{"name": "Design IOS"}, {"name": "Code IOS"}]},
        {"name": "OSX", "tasks": [{"name": "Design OSX"}, {"name": "Code OSX"}]},
    ]}]  # fmt: skip
    rows = get(http, "/people?select=name,tasks(name)&id=eq.3&tasks.order=id").json()
    assert rows == [{"name": "Chen", "tasks": [{"name": "Design IOS"}, {"name": "Code IOS"}, {"name": "Design OSX"}]}]
    assert get(http, "/clients?select=name,projects(name)&id=eq.3").json() == [{"name": "Nobody", "projects": []}]


def test_one_to_one_and_views_and_computed_relationships(http: httpx.Client) -> None:
    rows = get(http, "/clients?select=name,client_profiles(motto)&id=eq.1").json()
    assert rows == [{"name": "Microsoft", "client_profiles": {"motto": "Be what's next"}}]
    rows = get(http, "/project_view?select=name,client_name,clients(id)&id=eq.3").json()
    assert rows == [{"name": "IOS", "client_name": "Apple", "clients": {"id": 2}}]
    rows = get(http, "/projects?select=name,open_tasks(name)&id=eq.1").json()
    assert rows == [{"name": "Windows 7", "open_tasks": [{"name": "Code w7"}]}]


def test_hints_self_reference_and_ambiguity(http: httpx.Client) -> None:
    rows = get(
        http, "/orders?select=name,billing:addresses!billing(street),shipping:addresses!shipping(street)&id=eq.1"
    ).json()
    assert rows == [{"name": "first", "billing": {"street": "Main St 1"}, "shipping": {"street": "Side St 2"}}]
    rows = get(http, "/family?select=name,parent:family!parent_id(name),children:family(name)&id=eq.2").json()
    assert rows == [{"name": "Mum", "parent": {"name": "Grandma"}, "children": [{"name": "Kid"}]}]

    ambiguous = get(http, "/orders?select=*,addresses(*)")
    assert ambiguous.status_code == 300
    body = ambiguous.json()
    assert body["code"] == "PGRST201"
    assert body["hint"].startswith(
        "Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'."
    )
    assert body["details"][0] == {
        "cardinality": "many-to-one",
        "embedding": "orders with addresses",
        "relationship": "billing using orders(billing_address_id) and addresses(id)",
    }


def test_missing_relationship_and_table(http: httpx.Client) -> None:
    missing = get(http, "/clients?select=*,projectz(*)")
    assert missing.status_code == 400
    assert missing.json()["code"] == "PGRST200"
    assert missing.json()["hint"] == "Perhaps you meant 'projects' instead of 'projectz'."
    table = get(http, "/clientz")
    assert table.status_code == 404
    assert table.json() == {
        "code": "PGRST205",
        "details": None,
        "hint": "Perhaps you meant the table 'test.clients'",
        "message": "Could not find the table 'test.clientz' in the schema cache",
    }


def test_inner_embeds_empty_embeds_and_null_embed_filters(http: httpx.Client) -> None:
    rows = get(http, "/clients?select=id,projects!inner(name)&projects.name=eq.IOS").json()
    assert rows == [{"id": 2, "projects": [{"name": "IOS"}]}]
    assert get(http, "/clients?select=id,projects(name)&projects.name=eq.IOS&order=id").json()[0] == {
        "id": 1,
        "projects": [],
    }
    assert get(http, "/clients?select=id,projects()&projects=is.null").json() == [{"id": 3}]
    assert [r["id"] for r in get(http, "/clients?select=id,projects()&projects=not.is.null&order=id").json()] == [1, 2]
    bad = get(http, "/clients?select=id,projects()&projects=eq.1")
    assert bad.status_code == 400 and bad.json()["code"] == "PGRST120"
    undeclared = get(http, "/clients?select=id&projects.name=eq.x")
    assert undeclared.status_code == 400 and undeclared.json()["code"] == "PGRST108"


# -- filters -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("age=eq.41", ["Angela"]),
        ("age=neq.41", ["Bo", "Chen"]),
        ("age=gt.17", ["Angela", "Chen"]),
        ("age=gte.22", ["Angela", "Chen"]),
        ("age=lt.22", ["Bo"]),
        ("age=lte.22", ["Bo", "Chen"]),
        ("name=like.*n*", ["Angela", "Chen", "Dana"]),
        ("name=ilike.B*", ["Bo"]),
        ("name=match.^[AB]", ["Angela", "Bo"]),
        ("name=imatch.^c", ["Chen"]),
        ("name=in.(Bo,Dana)", ["Bo", "Dana"]),
        ("name=in.()", []),
        ("name=not.in.(Bo,Dana)", ["Angela", "Chen"]),
        ("age=is.null", ["Dana"]),
        ("age=not.is.null", ["Angela", "Bo", "Chen"]),
        ("age=is.not_null", ["Angela", "Bo", "Chen"]),
        ("student=is.true", ["Bo", "Chen"]),
        ("student=is.FALSE", ["Angela"]),
        ("student=is.unknown", ["Dana"]),
        ("student=isdistinct.true", ["Angela", "Dana"]),
        ("name=like(any).{A*,B*}", ["Angela", "Bo"]),
        ("name=like(all).{*a*,*e*}", ["Angela"]),
        ("age=gt.20&age=lt.30", ["Chen"]),
        ("or=(age.lt.18,student.not.is.true)", ["Angela", "Bo", "Dana"]),
        ("or=(age.gt.40,and(student.is.true,age.lt.20))", ["Angela", "Bo"]),
        ("not.or=(age.gt.40,age.lt.20)", ["Chen"]),
        ("and=(name.in.(Bo,Chen,Angela),or(age.eq.41,age.eq.17))", ["Angela", "Bo"]),
    ],
)
def test_operators_and_logic_trees(http: httpx.Client, query: str, expected: list[str]) -> None:
    assert names(get(http, f"/people?select=name&order=name&{query}")) == expected


def test_json_array_range_and_full_text_filters(http: httpx.Client) -> None:
    def titles(query: str) -> list[str]:
        response = get(http, f"/documents?select=title&order=id&{query}")
        assert response.status_code == 200, response.text
        return [r["title"] for r in response.json()]

    assert titles("data->>kind=eq.y") == ["Lazy dogs"]
    assert titles("data->a->b=eq.1") == ["Fat cats"]
    assert titles("tags=cs.{animals}") == ["Fat cats", "Lazy dogs"]
    assert titles("tags=cd.{cats,animals,more}") == ["Fat cats", "Empty"]
    assert titles("tags=ov.{dogs,fish}") == ["Lazy dogs"]
    assert titles("period=ov.[2025-06-01,2025-08-01)") == ["Fat cats", "Lazy dogs"]
    assert titles("period=sl.[2025-07-01,2025-08-01)") == ["Fat cats"]
    assert titles("period=adj.[2025-06-30,2025-07-01)") == ["Fat cats", "Lazy dogs"]
    assert titles("search=fts.cats") == ["Fat cats"]
    assert titles("search=plfts(english).fat%20cat") == ["Fat cats"]
    assert titles("search=phfts(english).lazy%20dog") == ["Lazy dogs"]
    assert titles("search=wfts(english).cat%20or%20dog") == ["Fat cats", "Lazy dogs"]
    assert titles("body=fts(english).sleeps") == ["Lazy dogs"]  # a text column gets to_tsvector
    assert titles("mood=eq.happy") == ["Fat cats"]


def test_filters_on_embeds_and_their_logic_trees(http: httpx.Client) -> None:
    rows = get(
        http, "/projects?select=name,tasks(name)&id=eq.1&tasks.or=(done.is.true,name.like.*Code*)&tasks.order=id"
    ).json()
    assert rows == [{"name": "Windows 7", "tasks": [{"name": "Design w7"}, {"name": "Code w7"}]}]
    rows = get(http, "/projects?select=name,tasks(name)&id=eq.1&tasks.done=is.false").json()
    assert rows == [{"name": "Windows 7", "tasks": [{"name": "Code w7"}]}]


# -- order, limits, ranges, counts -----------------------------------------------------------------
def test_order_with_nulls_json_paths_and_related_order(http: httpx.Client) -> None:
    assert names(get(http, "/people?select=name&order=age.desc.nullsfirst")) == ["Dana", "Angela", "Chen", "Bo"]
    assert names(get(http, "/people?select=name&order=age.asc.nullslast")) == ["Bo", "Chen", "Angela", "Dana"]
    assert [r["id"] for r in get(http, "/documents?select=id&order=data->>kind.desc.nullslast").json()] == [2, 1, 3]
    rows = get(http, "/projects?select=name,clients(name)&order=clients(name).desc,id&client_id=not.is.null").json()
    assert [r["name"] for r in rows] == ["Windows 7", "Windows 10", "IOS", "OSX"]
    to_many = get(http, "/clients?select=name,projects(name)&order=projects(name)")
    assert to_many.status_code == 400 and to_many.json()["code"] == "PGRST118"


def test_limit_offset_embedded_limit_and_range_header(http: httpx.Client) -> None:
    response = get(http, "/tasks?select=id&order=id&limit=2&offset=3")
    assert response.json() == [{"id": 4}, {"id": 5}]
    assert response.headers["content-range"] == "3-4/*"
    response = get(http, "/tasks?select=id&order=id", range="2-4")
    assert [r["id"] for r in response.json()] == [3, 4, 5] and response.headers["content-range"] == "2-4/*"
    rows = get(http, "/projects?select=id,tasks(id)&id=eq.1&tasks.order=id.desc&tasks.limit=1").json()
    assert rows == [{"id": 1, "tasks": [{"id": 2}]}]
    negative = get(http, "/tasks?limit=-1")
    assert negative.status_code == 416 and negative.json()["code"] == "PGRST103"


def test_counts_and_partial_content(http: httpx.Client) -> None:
    response = get(http, "/tasks?select=id&limit=2&offset=1", prefer="count=exact")
    assert response.status_code == 206
    assert response.headers["content-range"] == "1-2/8"
    assert response.headers["preference-applied"] == "count=exact"
    whole = get(http, "/tasks?select=id", prefer="count=exact")
    assert whole.status_code == 200 and whole.headers["content-range"] == "0-7/8"
    beyond = get(http, "/tasks?offset=100", prefer="count=exact")
    assert beyond.status_code == 416
    assert beyond.json()["details"] == "An offset of 100 was requested, but there are only 8 rows."
    filtered = get(http, "/clients?select=id,projects!inner(id)&projects.name=like.Windows*", prefer="count=exact")
    assert filtered.headers["content-range"] == "0-0/1"


def test_head_has_headers_and_no_body(http: httpx.Client) -> None:
    response = http.head("/tasks", headers={"Prefer": "count=exact"})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-range"] == "0-7/8"


# -- representations ---------------------------------------------------------------------------
def test_singular_object_and_its_errors(http: httpx.Client) -> None:
    one = get(http, "/tasks?id=eq.1&select=id,name", accept="application/vnd.pgrst.object+json")
    assert one.status_code == 200
    assert one.headers["content-type"] == "application/vnd.pgrst.object+json; charset=utf-8"
    assert one.json() == {"id": 1, "name": "Design w7"}
    many = get(http, "/tasks?id=lt.3", accept="application/vnd.pgrst.object+json")
    assert many.status_code == 406
    assert many.json() == {
        "code": "PGRST116",
        "details": "The result contains 2 rows",
        "hint": None,
        "message": "Cannot coerce the result to a single JSON object",
    }


def test_csv(http: httpx.Client) -> None:
    response = get(http, "/people?select=id,name,age&order=id", accept="text/csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text == "id,name,age\n1,Angela,41\n2,Bo,17\n3,Chen,22\n4,Dana,"


def test_accept_negotiation(http: httpx.Client) -> None:
    assert get(http, "/clients", accept="*/*").status_code == 200
    assert get(http, "/clients", accept="text/unknown, text/csv").headers["content-type"].startswith("text/csv")
    unknown = get(http, "/clients", accept="text/unknowntype")
    assert unknown.status_code == 406
    assert unknown.json()["message"] == "None of these media types are available: text/unknowntype"


def test_schema_profiles(http: httpx.Client) -> None:
    assert get(http, "/clients", accept_profile="test2").json() == [{"id": 1, "name": "Second schema client"}]
    bad = get(http, "/clients", accept_profile="nope")
    assert bad.status_code == 406
    assert bad.json() == {
        "code": "PGRST106",
        "details": None,
        "hint": "Only the following schemas are exposed: test, test2",
        "message": "Invalid schema: nope",
    }


def test_options_lists_allowed_methods(http: httpx.Client) -> None:
    assert http.options("/clients").headers["allow"] == "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"
    assert http.options("/no_pk").headers["allow"] == "OPTIONS,GET,HEAD,POST,PATCH,DELETE"
    assert http.options("/project_view").headers["allow"].startswith("OPTIONS,GET,HEAD")


# -- errors --------------------------------------------------------------------------------------
def test_parse_errors_unknown_columns_and_bad_literals(http: httpx.Client) -> None:
    order = get(http, "/clients?order=id.asc.nullslasttt")
    assert order.status_code == 400
    assert order.json() == {
        "code": "PGRST100",
        "details": "unexpected 't' expecting \",\" or end of input",
        "hint": None,
        "message": '"failed to parse order (id.asc.nullslasttt)" (line 1, column 17)',
    }
    column = get(http, "/clients?select=nope")
    assert column.status_code == 400 and column.json()["code"] == "42703"
    literal = get(http, "/clients?id=eq.abc")
    assert literal.status_code == 400 and literal.json()["code"] == "22P02"
    assert literal.headers["proxy-status"] == "PostgREST; error=22P02"
    deep = get(http, "/clients?select=" + "a(" * 50 + "id" + ")" * 50)
    assert deep.status_code == 400 and deep.json()["code"] == "PGRST100"


def test_long_and_huge_query_strings(http: httpx.Client) -> None:
    long_filter = "/people?select=name&name=in.(" + ",".join(f"n{i}" for i in range(2000)) + ",Bo)"
    assert len(long_filter) > 10_000
    assert names(get(http, long_filter)) == ["Bo"]
    huge = get(http, "/people?select=" + "name," * 8_000 + "id")
    assert huge.status_code in {400, 414}
    assert get(http, "/people?select=name&id=eq.1").status_code == 200, "the server is still up"


def test_invalid_paths_and_methods(http: httpx.Client) -> None:
    assert get(http, "/a/b/c").json()["code"] == "PGRST125"
    trace = http.request("TRACE", "/clients")
    assert trace.status_code == 405 and trace.json()["code"] == "PGRST117"


# -- roles and tokens -------------------------------------------------------------------------------
def token(**claims) -> str:
    return jwt.encode({"exp": int(time.time()) + 60, **claims}, JWT_SECRET, algorithm="HS256")


def test_jwt_role_and_claims_reach_the_database(server: RunningServer, http: httpx.Client) -> None:
    server.sql(
        "create or replace function test.whoami() returns text language sql stable as "
        "$$ select current_user || ':' || coalesce(current_setting('request.jwt.claims', true)::json->>'sub', '-') $$;"
        "grant execute on function test.whoami() to anon, authenticated;"
        "create or replace view test.me as select test.whoami() as who;"
        "grant select on test.me to anon, authenticated; notify pgrst, 'reload schema';"
    )
    deadline = time.monotonic() + 5
    while get(http, "/me").status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get(http, "/me").json() == [{"who": "anon:-"}]
    signed = get(http, "/me", authorization=f"Bearer {token(role='authenticated', sub='u-1')}")
    assert signed.json() == [{"who": "authenticated:u-1"}]


def test_bad_tokens_are_401_with_www_authenticate(http: httpx.Client) -> None:
    expired = get(http, "/clients", authorization=f"Bearer {token(role='anon', exp=int(time.time()) - 120)}")
    assert expired.status_code == 401
    assert expired.json()["code"] == "PGRST303" and expired.json()["message"] == "JWT expired"
    assert expired.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    garbage = get(http, "/clients", authorization="Bearer abc.def")
    assert garbage.status_code == 401 and garbage.json()["message"] == "Expected 3 parts in JWT; got 2"


def test_anon_without_privilege_is_401_and_signed_in_is_403(server: RunningServer, http: httpx.Client) -> None:
    server.sql(
        "create table if not exists test.secrets (id int); revoke all on test.secrets from anon, authenticated;"
        "notify pgrst, 'reload schema';"
    )
    deadline = time.monotonic() + 5
    while get(http, "/secrets").status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.1)
    anon = get(http, "/secrets")
    assert anon.status_code == 401 and anon.json()["code"] == "42501"
    assert anon.headers["www-authenticate"] == "Bearer"
    signed = get(http, "/secrets", authorization=f"Bearer {token(role='authenticated')}")
    assert signed.status_code == 403
