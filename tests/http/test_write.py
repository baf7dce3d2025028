"""Writes through a real server: statuses, headers, bodies, conflicts, and that failures leave nothing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx

from support.server import RunningServer

REPRESENTATION = {"Prefer": "return=representation"}


def rows(server: RunningServer, where: str) -> list[tuple]:
    return server.sql(f"select id, name, qty, client_id from test.items where {where} order by id")


def test_insert_minimal_headers_only_and_representation(server: RunningServer, http: httpx.Client) -> None:
    minimal = http.post("/items", json={"id": 101, "name": "pen"})
    assert minimal.status_code == 201 and minimal.content == b""
    assert minimal.headers["content-range"] == "*/*"
    assert rows(server, "id = 101") == [(101, "pen", 1, None)]

    located = http.post("/items", json={"id": 102, "name": "ink"}, headers={"Prefer": "return=headers-only"})
    assert located.status_code == 201
    assert located.headers["location"] == "/items?id=eq.102"
    assert located.headers["preference-applied"] == "return=headers-only"

    shown = http.post("/items?select=id,name,clients(name)", json={"id": 103, "name": "cap", "client_id": 2},
                      headers=REPRESENTATION)  # fmt: skip
    assert shown.status_code == 201
    assert shown.json() == [{"id": 103, "name": "cap", "clients": {"name": "Apple"}}]


def test_bulk_csv_and_columns(server: RunningServer, http: httpx.Client) -> None:
    bulk = http.post("/items", json=[{"id": 111, "name": "a"}, {"id": 112, "name": "b"}],
                     headers={"Prefer": "count=exact"})  # fmt: skip
    assert bulk.status_code == 201 and bulk.headers["content-range"] == "*/2"
    mismatch = http.post("/items", json=[{"id": 113, "name": "c"}, {"id": 114}])
    assert mismatch.status_code == 400 and mismatch.json()["code"] == "PGRST102"
    with_columns = http.post(
        '/items?columns="id","name"', json=[{"id": 113, "name": "c", "junk": 1}, {"id": 114, "name": "d"}]
    )
    assert with_columns.status_code == 201
    csv = http.post("/items", content=b"id,name,qty\n115,e,5\n116,f,NULL", headers={"Content-Type": "text/csv"})
    assert csv.status_code == 400 or csv.status_code == 201  # qty is NOT NULL: NULL is refused as a whole
    assert rows(server, "id between 111 and 114") == [(111, "a", 1, None), (112, "b", 1, None), (113, "c", 1, None),
                                                       (114, "d", 1, None)]  # fmt: skip
    ok = http.post("/items", content=b"id,name,qty\n115,e,5\n116,f,6", headers={"Content-Type": "text/csv"})
    assert ok.status_code == 201
    assert rows(server, "id in (115, 116)") == [(115, "e", 5, None), (116, "f", 6, None)]


def test_upserts_and_conflicts(server: RunningServer, http: httpx.Client) -> None:
    http.post("/items", json={"id": 121, "name": "old", "qty": 3})
    duplicate = http.post("/items", json={"id": 121, "name": "dup"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "23505"
    merged = http.post("/items", json=[{"id": 121, "name": "new"}],
                       headers={"Prefer": "resolution=merge-duplicates,return=representation"})  # fmt: skip
    assert merged.status_code == 200, merged.text  # only updated
    assert merged.json() == [{"id": 121, "name": "new", "qty": 3, "client_id": None}]
    ignored = http.post("/items?on_conflict=id", json=[{"id": 121, "name": "ignored"}, {"id": 122, "name": "fresh"}],
                        headers={"Prefer": "resolution=ignore-duplicates,return=representation"})  # fmt: skip
    assert ignored.status_code == 201 and [r["id"] for r in ignored.json()] == [122]
    assert rows(server, "id in (121, 122)") == [(121, "new", 3, None), (122, "fresh", 1, None)]


def test_concurrent_upserts_on_one_key(server: RunningServer) -> None:
    def upsert(n: int) -> int:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            return client.post("/items", json={"id": 131, "name": f"v{n}"},
                               headers={"Prefer": "resolution=merge-duplicates"}).status_code  # fmt: skip

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(upsert, range(24)))
    assert set(statuses) <= {200, 201}
    assert server.sql("select count(*) from test.items where id = 131") == [(1,)]


def test_put_rules(server: RunningServer, http: httpx.Client) -> None:
    created = http.put("/items?id=eq.141", json={"id": 141, "name": "put"}, headers=REPRESENTATION)
    assert created.status_code in {200, 201} and created.json()[0]["name"] == "put"
    replaced = http.put("/items?id=eq.141", json={"id": 141, "name": "again"})
    assert replaced.status_code == 204
    assert rows(server, "id = 141") == [(141, "again", 1, None)]
    assert http.put("/items?id=eq.141", json={"id": 142, "name": "x"}).json()["code"] == "PGRST115"
    assert http.put("/items?name=eq.x", json={"id": 141, "name": "x"}).status_code == 405
    assert http.put("/items?id=eq.141&limit=1", json={"id": 141, "name": "x"}).json()["code"] == "PGRST114"


def test_patch_and_delete(server: RunningServer, http: httpx.Client) -> None:
    http.post("/items", json=[{"id": 151, "name": "a"}, {"id": 152, "name": "b"}, {"id": 153, "name": "c"}])
    patched = http.patch("/items?id=in.(151,152)", json={"qty": 9})
    assert patched.status_code == 204 and patched.headers["content-range"] == "0-1/*"
    shown = http.patch("/items?id=eq.153&select=id,qty", json={"qty": 7}, headers=REPRESENTATION)
    assert shown.status_code == 200 and shown.json() == [{"id": 153, "qty": 7}]
    nothing = http.patch("/items?id=eq.999", json={"qty": 1}, headers=REPRESENTATION)
    assert nothing.status_code == 200 and nothing.json() == []
    deleted = http.delete("/items?id=eq.151", headers=REPRESENTATION)
    assert deleted.status_code == 200 and deleted.json()[0]["id"] == 151
    assert rows(server, "id between 151 and 153") == [(152, "b", 9, None), (153, "c", 7, None)]


def test_failures_roll_back_everything(server: RunningServer, http: httpx.Client) -> None:
    http.post("/items", json=[{"id": 161, "name": "a"}, {"id": 162, "name": "b"}])
    singular = http.patch("/items?id=in.(161,162)", json={"qty": 5},
                          headers={"Accept": "application/vnd.pgrst.object+json", **REPRESENTATION})  # fmt: skip
    assert singular.status_code == 406 and singular.json()["code"] == "PGRST116"
    strict = http.delete("/items?id=in.(161,162)", headers={"Prefer": "handling=strict, max-affected=1"})
    assert strict.status_code == 400 and strict.json()["code"] == "PGRST124"
    assert rows(server, "id in (161, 162)") == [(161, "a", 1, None), (162, "b", 1, None)]
    bad_fk = http.post("/items", json={"id": 163, "name": "c", "client_id": 999})
    assert bad_fk.status_code == 409 and bad_fk.json()["code"] == "23503"
    unknown = http.post("/items", json={"id": 164, "nope": 1})
    assert unknown.status_code == 400 and unknown.json()["code"] == "PGRST204"
    invalid = http.post("/items", content=b"{not json", headers={"Content-Type": "application/json"})
    assert invalid.status_code == 400 and invalid.json()["code"] == "PGRST102"
    wrong_type = http.post("/items", json={"id": "x", "name": "c"})
    assert wrong_type.status_code == 400 and wrong_type.json()["code"] == "22P02"
    assert rows(server, "id between 163 and 164") == []


def test_representation_respects_select_policies(server: RunningServer, http: httpx.Client) -> None:
    mine = http.post("/notes", json={"id": 1, "owner": "me", "body": "hi"}, headers=REPRESENTATION)
    assert mine.status_code == 201 and mine.json() == [{"id": 1, "owner": "me", "body": "hi"}]
    theirs = http.post("/notes", json={"id": 2, "owner": "other"}, headers=REPRESENTATION)
    assert theirs.status_code >= 400, "a row the role cannot see is not returned"
    assert server.sql("select count(*) from test.notes where id = 2") == [(0,)]
    assert http.post("/notes", json={"id": 3, "owner": "other"}).status_code == 201, "minimal needs no SELECT"


def test_oversized_body_is_413(http: httpx.Client) -> None:
    big = json.dumps([{"id": 1, "name": "x" * 1000}] * 11_000).encode()
    response = http.post("/items", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["message"].startswith("Request body too large")
