"""Reads served from the statement cache of api/engine/shapes.py, through a real server.

A shape is templated on its second sight, so each case sends a series of requests of one shape
with different values twice over and in both orders: every answer after the first comes from
a statement built for other values, and must still be the right one for its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import jwt

from support.server import JWT_SECRET, RunningServer

Case = tuple[str, object]  # (path and query, the expected answer)


def check(http: httpx.Client, cases: list[Case], answer: Callable[[httpx.Response], object], **headers: str) -> None:
    """Send the cases' requests (one shape) four times over; each must get its own answer."""
    sent = {k.replace("_", "-"): v for k, v in headers.items()}
    for series in (cases, cases, cases[::-1], cases):
        for url, expected in series:
            response = http.get(url, headers=sent)
            assert answer(response) == expected, (url, response.status_code, response.text)


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()]


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def titles(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["title"] for row in response.json()]


def test_plain_filter_values(http: httpx.Client) -> None:
    people = "/people?select=name&order=id"
    check(http, [(f"{people}&age=eq.41", ["Angela"]), (f"{people}&age=eq.17", ["Bo"]), (f"{people}&age=eq.99", [])],
          names)  # fmt: skip
    check(http, [(f"{people}&age=gt.20", ["Angela", "Chen"]), (f"{people}&age=gt.40", ["Angela"])], names)
    check(http, [(f"{people}&name=not.eq.Bo", ["Angela", "Chen", "Dana"]), (f"{people}&name=not.eq.Dana",
                 ["Angela", "Bo", "Chen"])], names)  # fmt: skip
    check(http, [(f"{people}&name=eq.", []), (f"{people}&name=eq.Chen", ["Chen"])], names)


def test_like_values_have_their_stars_turned_into_percents(http: httpx.Client) -> None:
    people = "/people?select=name&order=id"
    check(http, [(f"{people}&name=like.*n*", ["Angela", "Chen", "Dana"]), (f"{people}&name=like.B*", ["Bo"]),
                 (f"{people}&name=like.%25o", ["Bo"]), (f"{people}&name=like.Bo", ["Bo"])], names)  # fmt: skip
    check(http, [(f"{people}&name=ilike.a*", ["Angela"]), (f"{people}&name=ilike.*A", ["Angela", "Dana"])], names)


def test_quantified_operators(http: httpx.Client) -> None:
    people = "/people?select=name&order=id"
    check(http, [(f"{people}&name=like(any).{{A*,B*}}", ["Angela", "Bo"]),
                 (f"{people}&name=like(any).{{C*,D*}}", ["Chen", "Dana"]),
                 (f"{people}&name=like(any).{{C*}}", ["Chen"])], names)  # fmt: skip
    check(http, [(f"{people}&age=gt(all).{{10,20}}", ["Angela", "Chen"]), (f"{people}&age=gt(all).{{10}}",
                 ["Angela", "Bo", "Chen"])], names)  # fmt: skip


def test_in_lists_of_other_values_and_lengths(http: httpx.Client) -> None:
    people = "/people?select=name&order=id"
    check(http, [(f"{people}&id=in.(1,2)", ["Angela", "Bo"]), (f"{people}&id=in.(3)", ["Chen"]),
                 (f"{people}&id=in.(1,3,4)", ["Angela", "Chen", "Dana"]), (f"{people}&id=in.()", []),
                 (f"{people}&id=not.in.(1,2)", ["Chen", "Dana"])], names)  # fmt: skip


def test_is_keywords(http: httpx.Client) -> None:
    people = "/people?select=name&order=id"
    check(http, [(f"{people}&student=is.true", ["Bo", "Chen"]), (f"{people}&student=is.false", ["Angela"]),
                 (f"{people}&student=is.null", ["Dana"]), (f"{people}&student=is.unknown", ["Dana"]),
                 (f"{people}&student=not.is.true", ["Angela", "Dana"]),
                 (f"{people}&age=is.not_null", ["Angela", "Bo", "Chen"])], names)  # fmt: skip


def test_full_text_configs_and_values(http: httpx.Client) -> None:
    docs = "/documents?select=title&order=id"
    check(http, [(f"{docs}&body=fts(english).cat", ["Fat cats"]), (f"{docs}&body=fts(simple).cat", []),
                 (f"{docs}&body=fts(simple).cats", ["Fat cats"]), (f"{docs}&body=fts(english).dog", ["Lazy dogs"]),
                 (f"{docs}&body=fts.sleeping", ["Lazy dogs"])], titles)  # fmt: skip
    check(http, [(f"{docs}&search=plfts.fat%20cat", ["Fat cats"]), (f"{docs}&search=plfts.lazy%20dog",
                 ["Lazy dogs"])], titles)  # fmt: skip


def test_json_paths_arrays_and_ranges(http: httpx.Client) -> None:
    docs = "/documents?select=title&order=id"
    check(http, [(f"{docs}&data->>kind=eq.x", ["Fat cats"]), (f"{docs}&data->>kind=eq.y", ["Lazy dogs"]),
                 (f"{docs}&data->>kind=eq.z", [])], titles)  # fmt: skip
    check(http, [(f"{docs}&data->a->>b=eq.2", ["Lazy dogs"]), (f"{docs}&data->a->>b=eq.1", ["Fat cats"])], titles)
    check(http, [(f"{docs}&tags=cs.{{cats}}", ["Fat cats"]), (f"{docs}&tags=cs.{{animals}}", ["Fat cats", "Lazy dogs"]),
                 (f"{docs}&tags=cs.{{}}", ["Fat cats", "Lazy dogs", "Empty"])], titles)  # fmt: skip
    check(http, [(f"{docs}&period=sl.[2025-07-01,2025-08-01)", ["Fat cats"]),
                 (f"{docs}&period=sl.[2026-01-01,2026-02-01)", ["Fat cats", "Lazy dogs"])], titles)  # fmt: skip


def test_casts_order_limit_offset_and_range(http: httpx.Client) -> None:
    check(http, [("/people?select=id,age::text&id=eq.1", [{"id": 1, "age": "41"}]),
                 ("/people?select=id,age&id=eq.1", [{"id": 1, "age": 41}])], lambda r: r.json())  # fmt: skip
    check(http, [("/people?select=name&order=age.desc.nullslast&limit=1", ["Angela"]),
                 ("/people?select=name&order=age.asc&limit=1", ["Bo"]),
                 ("/people?select=name&order=name.desc&limit=1", ["Dana"]),
                 ("/people?select=name&order=name.desc&limit=2", ["Dana", "Chen"]),
                 ("/people?select=name&order=name.desc&limit=2&offset=1", ["Chen", "Bo"])], names)  # fmt: skip
    tasks = "/tasks?select=id&order=id&id=gt."
    check(http, [(f"{tasks}0", [3, 4, 5]), (f"{tasks}4", [7, 8])], ids, range="2-4")
    check(http, [(f"{tasks}0", [1, 2]), (f"{tasks}6", [7, 8])], ids, range="0-1")


def test_logic_trees_with_values_inside(http: httpx.Client) -> None:
    people = "/people?select=name&order=id"
    check(http, [(f"{people}&or=(age.eq.41,age.eq.17)", ["Angela", "Bo"]), (f"{people}&or=(age.eq.22,age.eq.17)",
                 ["Bo", "Chen"]), (f"{people}&or=(name.like.A*,name.like.D*)", ["Angela", "Dana"]),
                 (f"{people}&not.or=(age.gt.40,age.lt.20)", ["Chen"])], names)  # fmt: skip


def test_repeated_keys(http: httpx.Client) -> None:
    tasks = "/tasks?select=id&order=id"
    check(http, [(f"{tasks}&id=gt.1&id=lt.4", [2, 3]), (f"{tasks}&id=gt.5&id=lt.8", [6, 7]),
                 (f"{tasks}&id=gt.5", [6, 7, 8]), (f"{tasks}&id=gt.5&id=lt.8&id=neq.6", [7])], ids)  # fmt: skip


def test_embeds_with_filters_and_hints(http: httpx.Client) -> None:
    def projects(response: httpx.Response) -> object:
        assert response.status_code == 200, response.text
        return response.json()

    base = "/clients?select=name,projects(name)&projects.order=id&id=eq."
    check(http, [(f"{base}1", [{"name": "Microsoft", "projects": [{"name": "Windows 7"}, {"name": "Windows 10"}]}]),
                 (f"{base}3", [{"name": "Nobody", "projects": []}])], projects)  # fmt: skip
    inner = "/clients?select=id,projects!inner(name)&projects.name=eq."
    check(http, [(f"{inner}IOS", [{"id": 2, "projects": [{"name": "IOS"}]}]), (f"{inner}Nope", []),
                 (f"{inner}Windows%207", [{"id": 1, "projects": [{"name": "Windows 7"}]}])], projects)  # fmt: skip
    orders = "/orders?select=name,a:addresses!{}(street)&id=eq.1"
    check(http, [(orders.format("billing"), [{"name": "first", "a": {"street": "Main St 1"}}]),
                 (orders.format("shipping"), [{"name": "first", "a": {"street": "Side St 2"}}])], projects)  # fmt: skip


def test_counts_singular_stripped_nulls_and_csv(http: httpx.Client) -> None:
    def counted(response: httpx.Response) -> object:
        return response.status_code, response.headers["content-range"]

    check(http, [("/tasks?select=id&limit=2&id=gt.0", (206, "0-1/8")), ("/tasks?select=id&limit=2&id=gt.6",
                 (200, "0-1/2")), ("/tasks?select=id&limit=2&id=gt.7", (200, "0-0/1"))],
          counted, prefer="count=exact")  # fmt: skip

    def single(response: httpx.Response) -> object:
        return response.status_code, response.json()

    check(http, [("/people?select=id,age&id=gt.3", (200, {"id": 4})), ("/people?select=id,age&id=gt.2",
                 (406, {"code": "PGRST116", "details": "The result contains 2 rows", "hint": None,
                        "message": "Cannot coerce the result to a single JSON object"})),
                 ("/people?select=id,age&id=gt.0&id=lt.2", (200, {"id": 1, "age": 41}))],
          single, accept="application/vnd.pgrst.object+json;nulls=stripped")  # fmt: skip
    check(http, [("/people?select=id,name&id=lt.3&order=id", "id,name\n1,Angela\n2,Bo"),
                 ("/people?select=id,name&id=lt.2&order=id", "id,name\n1,Angela")],
          lambda r: r.text, accept="text/csv")  # fmt: skip


def test_head_and_get_of_one_shape(http: httpx.Client) -> None:
    for _ in range(3):
        for low, total in (("0", "0-7/8"), ("6", "0-1/2")):
            head = http.head(f"/tasks?id=gt.{low}", headers={"Prefer": "count=exact"})
            assert (head.status_code, head.content, head.headers["content-range"]) == (200, b"", total)
            get = http.get(f"/tasks?select=id&id=gt.{low}", headers={"Prefer": "count=exact"})
            assert get.headers["content-range"] == total and len(get.json()) == int(total[-1])


def test_content_location_is_the_requests_own(http: httpx.Client) -> None:
    check(http, [("/people?select=id&name=eq.Bo", "/people?name=eq.Bo&select=id"),
                 ("/people?select=id&name=eq.Chen", "/people?name=eq.Chen&select=id"),
                 ("/people?select=id&name=eq.a%20b", "/people?name=eq.a%20b&select=id")],
          lambda r: r.headers["content-location"])  # fmt: skip


def test_profiles(http: httpx.Client) -> None:
    for _ in range(3):
        for profile, name in (("test", "Microsoft"), ("test2", "Second schema client")):
            response = http.get("/clients?select=name&id=eq.1", headers={"Accept-Profile": profile})
            assert names(response) == [name]
            assert response.headers["content-profile"] == profile


def token(**claims: object) -> str:
    return jwt.encode({"exp": int(time.time()) + 60, **claims}, JWT_SECRET, algorithm="HS256")


def wait_for(http: httpx.Client, url: str, done: Callable[[httpx.Response], bool]) -> httpx.Response:
    deadline = time.monotonic() + 10
    while not done(response := http.get(url)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return response


def test_two_roles_one_shape(server: RunningServer, http: httpx.Client) -> None:
    server.sql(
        "create table if not exists test.shape_notes (id int primary key, owner text not null);"
        "alter table test.shape_notes enable row level security;"
        "drop policy if exists select_visible on test.shape_notes;"
        "create policy select_visible on test.shape_notes for select using ("
        "  owner = current_user or owner = current_setting('request.jwt.claims', true)::json->>'sub');"
        "grant select on test.shape_notes to anon, authenticated;"
        "insert into test.shape_notes values (1, 'anon'), (2, 'anon'), (3, 'authenticated'), (4, 'u-1'), (5, 'u-2')"
        "  on conflict do nothing;"
        "notify pgrst, 'reload schema';"
    )
    assert wait_for(http, "/shape_notes", lambda r: r.status_code == 200).status_code == 200
    readers = {
        "anon": ({}, [1, 2]),
        "u-1": ({"Authorization": f"Bearer {token(role='authenticated', sub='u-1')}"}, [3, 4]),
        "u-2": ({"Authorization": f"Bearer {token(role='authenticated', sub='u-2')}"}, [3, 5]),
    }
    for _ in range(3):
        for sent, expected in readers.values():
            assert ids(http.get("/shape_notes?select=id&order=id&id=gt.0", headers=sent)) == expected
            assert ids(http.get("/shape_notes?select=id&order=id&id=gt.2", headers=sent)) == [
                n for n in expected if n > 2
            ]


def test_a_schema_reload_between_requests(server: RunningServer, http: httpx.Client) -> None:
    server.sql(
        "drop table if exists test.shape_child, test.shape_parent;"
        "create table test.shape_parent (id int primary key);"
        "create table test.shape_child (id int primary key, a_id int constraint shape_child_fk"
        "  references test.shape_parent (id), b_id int, kind jsonb);"
        "insert into test.shape_parent values (1), (2);"
        'insert into test.shape_child values (10, 1, 2, \'{"k": "x"}\'), (20, 2, 1, \'{"k": "y"}\');'
        "grant select on test.shape_parent, test.shape_child to anon;"
        "notify pgrst, 'reload schema';"
    )
    url = "/shape_parent?select=id,shape_child(id)&id=eq.{}"

    def children(response: httpx.Response) -> object:
        assert response.status_code == 200, response.text
        return response.json()

    assert wait_for(http, url.format(1), lambda r: r.status_code == 200).status_code == 200
    check(http, [(url.format(1), [{"id": 1, "shape_child": [{"id": 10}]}]),
                 (url.format(2), [{"id": 2, "shape_child": [{"id": 20}]}])], children)  # fmt: skip
    # The foreign key moves to the other column: the same shape now joins differently.
    server.sql(
        "alter table test.shape_child drop constraint shape_child_fk;"
        "alter table test.shape_child add constraint shape_child_fk foreign key (b_id)"
        "  references test.shape_parent (id);"
        "notify pgrst, 'reload schema';"
    )
    moved = [{"id": 1, "shape_child": [{"id": 20}]}]
    assert children(wait_for(http, url.format(1), lambda r: r.json() == moved)) == moved
    check(http, [(url.format(1), moved), (url.format(2), [{"id": 2, "shape_child": [{"id": 10}]}])], children)
    # A column changes type (jsonb → text): the path now reads a JSON string, which has no key `k`.
    path = "/shape_child?select=id&kind->>k=eq.{}"
    check(http, [(path.format("x"), [{"id": 10}]), (path.format("y"), [{"id": 20}])], children)
    server.sql("alter table test.shape_child alter column kind type text; notify pgrst, 'reload schema';")
    assert children(wait_for(http, path.format("x"), lambda r: r.status_code == 200 and r.json() == [])) == []
    check(http, [(path.format("x"), []), (path.format("y"), [])], children)


def test_one_query_with_other_headers(http: httpx.Client) -> None:
    def seen(response: httpx.Response) -> object:
        return response.status_code, response.headers.get("content-range"), response.text

    url = "/clients?select=id,name&id=gt.0&order=id"
    variants = [
        ({}, (200, "0-2/*", '[{"id":1,"name":"Microsoft"}, \n {"id":2,"name":"Apple"}, \n {"id":3,"name":"Nobody"}]')),
        ({"Prefer": "count=exact"}, (200, "0-2/3", None)),
        ({"Accept": "text/csv"}, (200, "0-2/*", "id,name\n1,Microsoft\n2,Apple\n3,Nobody")),
        ({"Range": "1-1"}, (200, "1-1/*", '[{"id":2,"name":"Apple"}]')),
        ({"Accept-Profile": "test2"}, (200, "0-0/*", '[{"id":1,"name":"Second schema client"}]')),
        ({"Accept": "application/vnd.pgrst.object+json"}, (406, None, None)),
    ]
    for _ in range(3):
        for sent, (status, content_range, text) in variants:
            got = seen(http.get(url, headers=sent))
            assert got[:2] == (status, content_range), (sent, got)
            assert text is None or got[2] == text, (sent, got)
