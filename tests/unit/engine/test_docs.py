"""/docs: the Swagger UI page, its initializer and its static files, all served locally."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from api.engine.docs import SWAGGER_UI_DIR, add_docs_routes, render_initializer, render_page

EXTERNAL = re.compile(r"(?:https?:)?//|\bwww\.", re.IGNORECASE)  # any absolute or protocol-relative URL


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    app = web.Application()
    add_docs_routes(app)

    async def openapi(_: web.Request) -> web.Response:  # the catch-all comes after, as in the server
        return web.json_response({"swagger": "2.0"})

    app.router.add_route("*", "/{path:.*}", openapi)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


async def test_page_is_served_without_external_hosts(client: TestClient) -> None:
    response = await client.get("/docs")
    assert response.status == 200 and response.content_type == "text/html"
    html = await response.text()
    assert 'src="docs/static/swagger-ui-bundle.js"' in html
    assert 'href="docs/static/swagger-ui.css"' in html
    assert 'src="docs/init.js"' in html
    assert not EXTERNAL.search(html)


async def test_initializer_points_at_the_openapi_document(client: TestClient) -> None:
    response = await client.get("/docs/init.js")
    assert response.status == 200 and response.content_type == "text/javascript"
    script = await response.text()
    assert 'url: "./"' in script
    assert 'request.headers["Accept"] = "application/openapi+json"' in script
    assert "validatorUrl: null" in script
    assert not EXTERNAL.search(script)


async def test_static_asset_comes_from_the_package(client: TestClient) -> None:
    response = await client.get("/docs/static/swagger-ui-bundle.js")
    assert response.status == 200 and response.content_type in {"text/javascript", "application/javascript"}
    assert await response.read() == (SWAGGER_UI_DIR / "swagger-ui-bundle.js").read_bytes()
    css = await client.get("/docs/static/swagger-ui.css")
    assert css.status == 200 and css.content_type == "text/css"


@pytest.mark.parametrize("name", ["index.html", "swagger-initializer.js", "..%2F__init__.py", "nope.js"])
async def test_only_the_listed_files_are_served(client: TestClient, name: str) -> None:
    response = await client.get(f"/docs/static/{name}")
    assert response.status == 404


async def test_other_paths_still_reach_the_catch_all(client: TestClient) -> None:
    response = await client.get("/")
    assert await response.json() == {"swagger": "2.0"}


def test_links_are_relative_to_the_page() -> None:
    assert 'src="docs/static/swagger-ui-bundle.js"' in render_page("/docs")
    assert 'src="api-docs/static/swagger-ui-bundle.js"' in render_page("/v1/api-docs")
    assert 'url: "./"' in render_initializer("/", "/docs")
    assert 'url: "../"' in render_initializer("/", "/v1/api-docs")
    assert 'url: "../openapi.json"' in render_initializer("/openapi.json", "/v1/docs")
    assert 'url: "https://api.example.com/"' in render_initializer("https://api.example.com/", "/docs")
