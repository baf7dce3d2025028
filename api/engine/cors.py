"""CORS the way PostgREST answers it (its wai-cors policy, reference §7.5).

Only requests carrying `Origin` are concerned, and only when the origin is allowed:
`server-cors-allowed-origins` unset or empty allows any origin and answers
`Access-Control-Allow-Origin: *` (without credentials, which browsers refuse next to `*`); a list
allows those origins only, each echoed back with `Access-Control-Allow-Credentials: true`.

- A preflight (`OPTIONS` with a supported `Access-Control-Request-Method`) is answered here, 200
  with an empty body, without reaching the handler.
- Any other request goes to the handler, and its response gets the origin headers and
  `Access-Control-Expose-Headers`.
- A disallowed origin, or an OPTIONS that is no valid preflight, gets no CORS headers at all and
  goes to the handler unchanged (wai-cors "ignores failures"): the browser then refuses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]

# PostgREST's methods plus the CORS-simple ones wai-cors adds (HEAD), in wai-cors's order.
ALLOWED_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD")
# Always allowed: Authorization first, then whatever the preflight asks for, then the
# CORS-safelisted request headers wai-cors appends.
FIRST_HEADERS = ("Authorization",)
SIMPLE_HEADERS = ("Accept", "Accept-Language", "Content-Language")
EXPOSED_HEADERS = (
    "Content-Encoding, Content-Location, Content-Range, Content-Type, "
    "Date, Location, Server, Transfer-Encoding, Range-Unit"
)
MAX_AGE = str(60 * 60 * 24)


def cors_middleware(allowed_origins: tuple[str, ...] | None) -> Middleware:
    """An aiohttp middleware applying PostgREST's CORS policy; None or () allows any origin."""
    allowed = frozenset(allowed_origins) if allowed_origins else None

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is None or (allowed is not None and origin not in allowed):
            return await handler(request)
        common = origin_headers(origin, echo=allowed is not None)
        if request.method == "OPTIONS":
            preflight = preflight_headers(request)
            if preflight is not None:
                return web.Response(status=200, headers={**common, **preflight})
            return await handler(request)
        exposed = {**common, "Access-Control-Expose-Headers": EXPOSED_HEADERS}
        try:
            response = await handler(request)
        except web.HTTPException as error:  # raised responses (404 of the router…) are answers too
            error.headers.update(exposed)
            raise
        if not response.prepared:  # a streamed response already sent its headers
            response.headers.update(exposed)
        return response

    return cors


def origin_headers(origin: str, *, echo: bool) -> dict[str, str]:
    """`*` when any origin is allowed; the origin itself, with credentials, when it was listed."""
    if not echo:
        return {"Access-Control-Allow-Origin": "*"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}


def preflight_headers(request: web.Request) -> dict[str, str] | None:
    """The preflight answer's headers, or None when this OPTIONS is no (supported) preflight."""
    method = request.headers.get("Access-Control-Request-Method")
    if method not in ALLOWED_METHODS:  # also None: a plain OPTIONS, for the handler's Allow
        return None
    headers = {"Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS)}
    requested = request.headers.get("Access-Control-Request-Headers")
    if requested is not None:
        headers["Access-Control-Allow-Headers"] = ", ".join(allowed_headers(requested))
    headers["Access-Control-Max-Age"] = MAX_AGE
    return headers


def allowed_headers(requested: str) -> list[str]:
    """Authorization, the requested headers as sent, then the safelisted ones; each name once
    (compared case-insensitively, as header names are)."""
    names: dict[str, str] = {}
    asked = (name.strip() for name in requested.split(","))
    for name in (*FIRST_HEADERS, *asked, *SIMPLE_HEADERS):
        if name:
            names.setdefault(name.lower(), name)
    return list(names.values())
