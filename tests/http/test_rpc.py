"""Function calls over /rpc: argument matching, every return kind, volatility, errors from SQL."""

from __future__ import annotations

import httpx

from support.server import RunningServer


def test_scalar_by_get_and_post_with_defaults(http: httpx.Client) -> None:
    response = http.get("/rpc/add_them?a=1&b=2")
    assert response.status_code == 200 and response.json() == 3
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert http.post("/rpc/add_them", json={"a": 1, "b": 2}).json() == 3
    assert http.get("/rpc/add_them?a=5").json() == 15, "b takes its default"
    assert http.get("/rpc/hello").json() == "Hello"


def test_arrays_variadic_and_set_of_scalars(http: httpx.Client) -> None:
    assert http.get("/rpc/plus_one?v=1&v=2&v=3").json() == [2, 3, 4]
    assert http.post("/rpc/plus_one", json={"v": [5, 6]}).json() == [6, 7]
    assert http.get("/rpc/first_of?arr={7,8}").json() == 7
    assert http.post("/rpc/first_of", json={"arr": [9, 10]}).json() == 9


def test_set_of_rows_is_filterable_orderable_embeddable_and_countable(http: httpx.Client) -> None:
    rows = http.get("/rpc/projects_of?client=1&select=name,clients(name)&order=id.desc").json()
    assert rows == [{"name": "Windows 10", "clients": {"name": "Microsoft"}},
                    {"name": "Windows 7", "clients": {"name": "Microsoft"}}]  # fmt: skip
    assert http.get("/rpc/projects_of?client=1&name=like.*10&select=id").json() == [{"id": 2}]
    counted = http.post("/rpc/projects_of?select=id&limit=1", json={"client": 2}, headers={"Prefer": "count=exact"})
    assert counted.status_code == 206 and counted.headers["content-range"] == "0-0/2"


def test_composite_is_an_object_and_table_returns_rows(http: httpx.Client) -> None:
    assert http.get("/rpc/project_row?pid=3&select=id,name").json() == {"id": 3, "name": "IOS"}
    assert http.get("/rpc/squares?upto=3&square=gt.1").json() == [{"n": 2, "square": 4}, {"n": 3, "square": 9}]


def test_void_is_204_and_writes_need_post(server: RunningServer, http: httpx.Client) -> None:
    response = http.post("/rpc/do_nothing")
    assert response.status_code == 204 and response.content == b""
    before = server.sql("select hits from test.counter where id = 1")[0][0]
    assert http.post("/rpc/bump", json={}).json() == before + 1
    read_only = http.get("/rpc/bump")
    assert read_only.status_code == 405
    assert read_only.json()["code"] == "25006"
    assert server.sql("select hits from test.counter where id = 1")[0][0] == before + 1, "the GET wrote nothing"
    assert http.options("/rpc/bump").headers["allow"] == "OPTIONS,POST"
    assert http.options("/rpc/hello").headers["allow"] == "OPTIONS,GET,HEAD,POST"


def test_single_unnamed_parameter_takes_the_whole_body(http: httpx.Client) -> None:
    assert http.post("/rpc/sum_json", json=[1, 2, 3]).json() == 6
    shouted = http.post("/rpc/shout", content=b"hi", headers={"Content-Type": "text/plain"})
    assert shouted.json() == "HI!"


def test_overloads_and_unknown_functions(http: httpx.Client) -> None:
    ambiguous = http.get("/rpc/echo?x=1")
    assert ambiguous.status_code == 300
    body = ambiguous.json()
    assert body["code"] == "PGRST203"
    assert body["message"] == (
        "Could not choose the best candidate function between: test.echo(x => integer), test.echo(x => text)"
    )
    missing = http.get("/rpc/helo")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "PGRST202",
        "details": "Searched for the function test.helo without parameters, but no matches were found in the "
        "schema cache.",
        "hint": "Perhaps you meant to call the function test.hello",
        "message": "Could not find the function test.helo without parameters in the schema cache",
    }
    wrong_args = http.get("/rpc/add_them?c=1")
    assert wrong_args.status_code == 404
    assert wrong_args.json()["message"] == "Could not find the function test.add_them(c) in the schema cache"
    assert http.delete("/rpc/hello").json()["code"] == "PGRST101"


def test_errors_status_and_headers_from_sql(http: httpx.Client) -> None:
    paid = http.post("/rpc/pay")
    assert paid.status_code == 402
    assert paid.json() == {
        "code": "PT402",
        "details": "Quota exceeded",
        "hint": "Upgrade",
        "message": "Payment Required",
    }
    teapot = http.get("/rpc/teapot")
    assert teapot.status_code == 418
    assert teapot.headers["x-brew"] == "earl grey"
    assert teapot.json() == "short and stout"
    bad_type = http.get("/rpc/add_them?a=x")
    assert bad_type.status_code == 400 and bad_type.json()["code"] == "22P02"
