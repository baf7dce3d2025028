"""The CORS middleware in front of a tiny aiohttp app that counts the requests reaching it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from api.engine.cors import EXPOSED_HEADERS, allowed_headers, cors_middleware

CALLS = web.AppKey("calls", list[str])  # the methods that reached the handler
ClientFactory = Callable[[tuple[str, ...] | None], Awaitable[TestClient]]
EXPOSED = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, "
    "Date, Location, Server, Transfer-Encoding, Range-Unit"
)
CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Expose-Headers",
)


def no_cors(headers: object) -> bool:
    return not any(name in headers for name in CORS_HEADERS)  # type: ignore[operator]


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    clients: list[TestClient] = []

    async def make(allowed: tuple[str, ...] | None) -> TestClient:
        app = web.Application(middlewares=[cors_middleware(allowed)])
        app[CALLS] = []

        async def handler(request: web.Request) -> web.Response:
            app[CALLS].append(request.method)
            if request.path == "/forbidden":
                raise web.HTTPForbidden(text="no")
            return web.Response(text="handled", headers={"Allow": "OPTIONS,GET,HEAD"})

        app.router.add_route("*", "/{path:.*}", handler)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def calls(client: TestClient) -> list[str]:
    return client.server.app[CALLS]  # type: ignore[index]


async def test_simple_request_from_any_origin(make_client: ClientFactory) -> None:
    client = await make_client(None)
    response = await client.get("/items", headers={"Origin": "http://example.com"})
    assert response.status == 200 and await response.text() == "handled"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers["Access-Control-Expose-Headers"] == EXPOSED == EXPOSED_HEADERS


async def test_request_without_origin_is_left_alone(make_client: ClientFactory) -> None:
    client = await make_client(None)
    response = await client.get("/items")
    assert no_cors(response.headers)


async def test_preflight_is_answered_without_the_handler(make_client: ClientFactory) -> None:
    client = await make_client(None)
    response = await client.options(
        "/",
        headers={
            "Origin": "http://example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Foo,Bar",
        },
    )
    assert response.status == 200 and await response.read() == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
    assert response.headers["Access-Control-Allow-Headers"] == (
        "Authorization, Foo, Bar, Accept, Accept-Language, Content-Language"
    )
    assert response.headers["Access-Control-Max-Age"] == "86400"
    assert "Access-Control-Expose-Headers" not in response.headers
    assert calls(client) == []


async def test_preflight_without_requested_headers(make_client: ClientFactory) -> None:
    client = await make_client(None)
    headers = {"Origin": "http://example.com", "Access-Control-Request-Method": "DELETE"}
    response = await client.options("/items", headers=headers)
    assert response.status == 200 and "Access-Control-Allow-Headers" not in response.headers
    assert calls(client) == []


async def test_plain_options_reaches_the_handler(make_client: ClientFactory) -> None:
    client = await make_client(None)
    response = await client.options("/items", headers={"Origin": "http://localhost:8000"})
    assert response.headers["Allow"] == "OPTIONS,GET,HEAD"
    assert no_cors(response.headers)
    assert calls(client) == ["OPTIONS"]


async def test_unsupported_preflight_method_reaches_the_handler(make_client: ClientFactory) -> None:
    client = await make_client(None)
    headers = {"Origin": "http://example.com", "Access-Control-Request-Method": "TRACE"}
    response = await client.options("/items", headers=headers)
    assert no_cors(response.headers) and calls(client) == ["OPTIONS"]


async def test_listed_origin_is_echoed_with_credentials(make_client: ClientFactory) -> None:
    client = await make_client(("http://example.com", "http://example2.com"))
    response = await client.get("/items", headers={"Origin": "http://example2.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://example2.com"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Expose-Headers"] == EXPOSED

    headers = {"Origin": "http://example.com", "Access-Control-Request-Method": "POST"}
    preflight = await client.options("/items", headers={**headers, "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://example.com"
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert calls(client) == ["GET"]


async def test_disallowed_origin_gets_no_cors_headers(make_client: ClientFactory) -> None:
    client = await make_client(("http://example.com",))
    response = await client.get("/items", headers={"Origin": "http://invalid.com"})
    assert response.status == 200 and no_cors(response.headers)
    headers = {"Origin": "http://invalid.com", "Access-Control-Request-Method": "POST"}
    preflight = await client.options("/items", headers=headers)
    assert no_cors(preflight.headers)
    assert calls(client) == ["GET", "OPTIONS"]


async def test_empty_list_allows_any_origin(make_client: ClientFactory) -> None:
    client = await make_client(())
    response = await client.get("/items", headers={"Origin": "http://anyorigin.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_raised_http_errors_get_the_headers_too(make_client: ClientFactory) -> None:
    client = await make_client(None)
    response = await client.get("/forbidden", headers={"Origin": "http://example.com"})
    assert response.status == 403
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Expose-Headers"] == EXPOSED


def test_allowed_headers_are_deduplicated_case_insensitively() -> None:
    assert allowed_headers("authorization, Content-Type,accept,,") == [
        "Authorization",
        "Content-Type",
        "accept",
        "Accept-Language",
        "Content-Language",
    ]
