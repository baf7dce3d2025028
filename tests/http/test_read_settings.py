"""Reads under non-default settings, and the SQL-side controls: spreads, aggregates, max rows,
counts, stripped nulls, timezone, response headers/status from SQL, the pre-request hook."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.databases import ThrowawayCluster
from support.server import RunningServer

FIXTURE = Path(__file__).with_name("fixture.sql")


@pytest.fixture(scope="module")
def configured(cluster: ThrowawayCluster) -> Iterator[httpx.Client]:
    server = RunningServer(
        cluster,
        FIXTURE,
        "test,test2",
        extra_env={
            "PGRST_DB_MAX_ROWS": "3",
            "PGRST_DB_AGGREGATES_ENABLED": "true",
            "PGRST_DB_PRE_REQUEST": "test.check_request",
            "PGRST_SERVER_TIMING_ENABLED": "true",
            "PGRST_DB_TX_END": "commit-allow-override",
            "PGRST_DB_PLAN_ENABLED": "true",
            # as behind PgBouncer/Supavisor in transaction mode: every statement unprepared
            "PGRST_DB_PREPARED_STATEMENTS": "false",
        },
    )
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
    server.stop()


def test_spreads_lift_to_one_columns_and_correlate_to_many_arrays(http: httpx.Client) -> None:
    rows = http.get("/projects?select=name,...clients(client:name)&id=eq.3").json()
    assert rows == [{"name": "IOS", "client": "Apple"}]
    rows = http.get("/clients?select=name,...projects(project:name,pid:id)&id=eq.2&projects.order=id").json()
    assert rows == [{"name": "Apple", "project": ["IOS", "OSX"], "pid": [3, 4]}]


def test_aggregates_are_refused_unless_enabled(http: httpx.Client, configured: httpx.Client) -> None:
    refused = http.get("/tasks?select=done,count()")
    assert refused.status_code == 400
    assert refused.json()["code"] == "PGRST123"
    rows = configured.get("/tasks?select=done,total:count(),max_id:id.max()&order=done").json()
    assert rows == [{"done": False, "total": 5, "max_id": 7}, {"done": True, "total": 3, "max_id": 8}]
    rows = configured.get("/projects?select=clients(name),id.count()&order=clients(name)&client_id=not.is.null").json()
    assert rows == [{"clients": {"name": "Apple"}, "count": 2}, {"clients": {"name": "Microsoft"}, "count": 2}]


def test_db_max_rows_caps_the_top_level_and_embeds(configured: httpx.Client) -> None:
    response = configured.get("/tasks?select=id&order=id", headers={"Prefer": "count=exact"})
    assert [r["id"] for r in response.json()] == [1, 2, 3]
    assert response.status_code == 206 and response.headers["content-range"] == "0-2/8"
    rows = configured.get("/clients?select=id,projects(id)&id=eq.1").json()
    assert len(rows[0]["projects"]) == 2
    rows = configured.get("/projects?select=id,tasks(id)&id=eq.1&tasks.limit=10").json()
    assert len(rows[0]["tasks"]) <= 3


def test_planned_and_estimated_counts(http: httpx.Client, configured: httpx.Client) -> None:
    planned = http.get("/tasks?select=id&limit=1", headers={"Prefer": "count=planned"})
    assert planned.headers["preference-applied"] == "count=planned"
    total = int(planned.headers["content-range"].split("/")[1])
    assert total > 0  # the planner's estimate, not necessarily 8
    # under db-max-rows the estimate is exact
    estimated = configured.get("/clients?select=id&limit=1", headers={"Prefer": "count=estimated"})
    assert estimated.headers["content-range"] == "0-0/3"


def test_stripped_nulls(http: httpx.Client) -> None:
    accept = "application/vnd.pgrst.array+json;nulls=stripped"
    response = http.get("/people?select=name,age,student&id=eq.4", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.json() == [{"name": "Dana"}]
    assert response.headers["content-type"].startswith("application/vnd.pgrst.array+json;nulls=stripped")


def test_content_location_and_server_timing(http: httpx.Client, configured: httpx.Client) -> None:
    response = http.get("/people?select=name,age&order=age.desc,id&age=gte.18")
    assert response.headers["content-location"] == "/people?age=gte.18&order=age.desc%2Cid&select=name%2Cage"
    assert "server-timing" not in response.headers
    timing = configured.get("/people?select=name").headers["server-timing"]
    assert [part.split(";")[0] for part in timing.split(", ")] == ["jwt", "parse", "plan", "transaction", "response"]


def test_prefer_timezone(http: httpx.Client) -> None:
    default = http.get("/instants").json()[0]["at"]
    assert default.endswith("+00:00")
    shifted = http.get("/instants", headers={"Prefer": "timezone=America/Los_Angeles"}).json()[0]["at"]
    assert shifted == "2025-01-01T04:00:00-08:00"


def test_response_headers_and_status_set_by_sql(http: httpx.Client) -> None:
    response = http.get("/clients?select=id,with_headers&id=eq.2")
    assert response.status_code == 299
    assert response.headers["x-client"] == "2"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]


def test_request_headers_and_cookies_reach_sql_and_pre_request_runs(configured: httpx.Client) -> None:
    blocked = configured.get("/clients", headers={"X-Block": "yes"})
    assert blocked.status_code == 403
    assert blocked.json() == {"code": "PT403", "details": None, "hint": "Drop the x-block header",
                              "message": "Blocked by the pre-request hook"}  # fmt: skip
    assert configured.get("/clients", headers={"X-Block": "no"}).status_code == 200


def test_prefer_tx_rollback_where_allowed(http: httpx.Client, configured: httpx.Client) -> None:
    body = {"id": 171, "name": "ghost"}
    rolled_back = configured.post("/items", json=body, headers={"Prefer": "tx=rollback, return=representation"})
    assert rolled_back.status_code == 201 and rolled_back.json()[0]["id"] == 171
    assert "tx=rollback" in rolled_back.headers["preference-applied"]
    assert configured.get("/items?id=eq.171").json() == [], "nothing was kept"
    ignored = http.post("/items", json={"id": 172, "name": "kept"}, headers={"Prefer": "tx=rollback"})
    assert ignored.status_code == 201
    assert http.get("/items?id=eq.172&select=id").json() == [{"id": 172}], "without allow-override tx= is ignored"


def test_profile_header_is_echoed_on_reads(http: httpx.Client) -> None:
    assert http.get("/clients", headers={"Accept-Profile": "test2"}).headers["content-profile"] == "test2"


def test_execution_plans_only_when_enabled(http: httpx.Client, configured: httpx.Client) -> None:
    assert http.get("/clients", headers={"Accept": "application/vnd.pgrst.plan+json"}).status_code == 406
    as_json = configured.get("/clients?id=eq.1", headers={"Accept": "application/vnd.pgrst.plan+json"})
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith('application/vnd.pgrst.plan+json; for="application/json"')
    assert "Plan" in as_json.json()[0]
    as_text = configured.get("/clients", headers={"Accept": 'application/vnd.pgrst.plan; for="text/csv"'})
    assert as_text.headers["content-type"].startswith('application/vnd.pgrst.plan+text; for="text/csv"')
    assert "Scan" in as_text.text
    analyzed = configured.post(
        "/items", json={"id": 181, "name": "explained"},
        headers={"Accept": "application/vnd.pgrst.plan+json; options=analyze"},
    )  # fmt: skip
    assert analyzed.status_code == 200 and "Actual Rows" in analyzed.text
    assert configured.get("/items?id=eq.181").json() == [], "an analyzed write is rolled back"
