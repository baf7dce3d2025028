"""The /auth/v1 sub-application: routes, GoTrue-shaped errors, and its own small connection pool."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from api.auth.errors import AuthError
from api.auth.keys import SigningKey
from api.auth.ratelimit import AuthRateLimiter
from api.auth.routes import AuthHandlers
from api.auth.settings import AuthSettings
from api.auth.store import AuthStore
from api.engine.jwt import JwtVerifier
from api.engine.tx import make_pool

PREFIX = "/auth/v1"
POOL_SIZE = 4  # bcrypt, not the pool, is what limits sign-ins per second
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def auth_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except AuthError as error:
        return error.response()
    except web.HTTPMethodNotAllowed as error:
        not_allowed = AuthError(405, "method_not_allowed", f"{request.method} is not allowed here", dict(error.headers))
        return not_allowed.response()
    except web.HTTPNotFound:
        return AuthError(404, "not_found", "Not found").response()


def build_auth_app(
    settings: AuthSettings, key: SigningKey, verifier: JwtVerifier, database_url: str
) -> web.Application:
    pool = make_pool(database_url, POOL_SIZE, 10.0)
    limiter = AuthRateLimiter.from_settings(settings.rate_limit, settings.redis_url)
    handlers = AuthHandlers(settings, AuthStore(pool), key, verifier, limiter)
    app = web.Application(middlewares=[auth_errors])
    routes = app.router
    routes.add_get("/health", handlers.health)
    routes.add_get("/settings", handlers.settings_view)
    routes.add_get("/.well-known/jwks.json", handlers.jwks)
    routes.add_post("/signup", handlers.signup)
    routes.add_post("/token", handlers.token)
    routes.add_post("/logout", handlers.logout)
    routes.add_post("/recover", handlers.recover)
    routes.add_post("/verify", handlers.verify_post)
    routes.add_get("/verify", handlers.verify_get)
    routes.add_get("/user", handlers.get_user)
    routes.add_put("/user", handlers.put_user)
    routes.add_get("/admin/users", handlers.admin_list)
    routes.add_post("/admin/users", handlers.admin_create)
    routes.add_get("/admin/users/{user_id}", handlers.admin_get)
    routes.add_put("/admin/users/{user_id}", handlers.admin_update)
    routes.add_delete("/admin/users/{user_id}", handlers.admin_delete)

    async def lifecycle(_: web.Application):
        await pool.open(wait=False)
        yield
        await limiter.close()
        await pool.close()

    app.cleanup_ctx.append(lifecycle)
    return app
