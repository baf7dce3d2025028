"""GET / (OpenAPI), /docs and CORS on the running server."""

from __future__ import annotations

import httpx


def test_root_serves_swagger_2_for_the_requesting_role(http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openapi+json")
    document = response.json()
    assert document["swagger"] == "2.0"
    assert "/clients" in document["paths"] and "/rpc/add_them" in document["paths"]
    assert "get" in document["paths"]["/clients"]
    assert document["definitions"]["documents"]["description"] == "Documents with every interesting column type."
    assert http.get("/", headers={"Accept": "text/csv"}).status_code == 406


def test_docs_page_is_served_without_a_cdn(http: httpx.Client) -> None:
    page = http.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    assert "https://" not in page.text and "http://" not in page.text


def test_cors_simple_and_preflight(http: httpx.Client) -> None:
    simple = http.get("/clients", headers={"Origin": "http://example.test"})
    assert simple.headers["access-control-allow-origin"] == "*"
    preflight = http.options(
        "/clients",
        headers={"Origin": "http://example.test", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, prefer"},
    )  # fmt: skip
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "prefer" in preflight.headers["access-control-allow-headers"].lower()
