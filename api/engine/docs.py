"""`/docs`: Swagger UI over the OpenAPI document at `GET /`, served from an installed package.

The page, its initializer script and Swagger UI's files all come from this server (the
`swagger-ui-bundle-v2` package ships them): no CDN, so it works offline and under a strict
Content-Security-Policy (no inline script either). Links are relative to the page, so the docs
keep working behind a proxy that mounts the API under a path prefix (`/rest/v1/docs`).
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

from aiohttp import web
from swagger_ui_bundle import swagger_ui_path

from api.engine.openapi import OPENAPI_MEDIA_TYPE

SWAGGER_UI_DIR = Path(str(swagger_ui_path))
# What the page uses; the package's own index.html (pointing at a remote petstore) is not served.
STATIC_FILES = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "index.css", "favicon-16x16.png", "favicon-32x32.png"}
)

PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>API documentation</title>
    <link rel="stylesheet" type="text/css" href="{static}/swagger-ui.css">
    <link rel="stylesheet" type="text/css" href="{static}/index.css">
    <link rel="icon" type="image/png" href="{static}/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="{static}/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="{static}/swagger-ui-bundle.js" charset="utf-8"></script>
    <script src="{script}" charset="utf-8"></script>
  </body>
</html>
"""

# The spec request asks for PostgREST's OpenAPI media type; validatorUrl null keeps Swagger UI from
# sending the document to its public validator.
INITIALIZER = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: %(url)s,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    requestInterceptor: function (request) {
      if (request.loadSpec) {
        request.headers["Accept"] = %(accept)s;
      }
      return request;
    },
  });
});
"""


def add_docs_routes(app: web.Application, openapi_url: str = "/", prefix: str = "/docs") -> None:
    """Serve the page at `prefix`, its script at `prefix/init.js` and Swagger UI's files under
    `prefix/static/`. Add before a catch-all route: aiohttp tries routes in order."""
    page = render_page(prefix)
    script = render_initializer(openapi_url, prefix)

    async def docs_page(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    async def docs_script(_: web.Request) -> web.Response:
        return web.Response(text=script, content_type="text/javascript")

    app.router.add_get(prefix, docs_page)
    app.router.add_get(f"{prefix}/init.js", docs_script)
    app.router.add_get(f"{prefix}/static/{{name}}", static_file)


async def static_file(request: web.Request) -> web.StreamResponse:
    """One of Swagger UI's files (FileResponse brings ETag, Last-Modified and ranges)."""
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.FileResponse(SWAGGER_UI_DIR / name)


def render_page(prefix: str) -> str:
    base = _directory(prefix)
    return PAGE.format(static=_relative(f"{prefix}/static", base), script=_relative(f"{prefix}/init.js", base))


def render_initializer(openapi_url: str, prefix: str) -> str:
    url = _relative(openapi_url, _directory(prefix)) if openapi_url.startswith("/") else openapi_url
    return INITIALIZER % {"url": json.dumps(url), "accept": json.dumps(OPENAPI_MEDIA_TYPE)}


def _directory(path: str) -> str:
    """The directory a browser resolves relative links against for a page at `path`."""
    return path[: path.rfind("/") + 1]


def _relative(target: str, base: str) -> str:
    """`target` (an absolute path) relative to directory `base`, keeping a trailing slash."""
    relative = posixpath.relpath(target, base)
    if relative == ".":
        return "./"
    return f"{relative}/" if target.endswith("/") and not relative.endswith("/") else relative
