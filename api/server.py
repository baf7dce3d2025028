"""`campus serve`: find or start the database, migrate it, serve HTTP, and shut down cleanly.

With no database URL (DATABASE_URL or PGRST_DB_URI) the embedded cluster is started, and
stopped again on exit (Ctrl-C or SIGTERM) if this process started it. Migrations run as the
URL's user (the embedded superuser owns everything); the REST engine connects as `authenticator`
on the embedded cluster, and as the URL's user otherwise — PostgREST's `db-uri` semantics.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import psycopg
import uvloop
from aiohttp import web

from api.auth.app import PREFIX as AUTH_PREFIX
from api.auth.app import build_auth_app
from api.auth.keys import SigningKey, load_signing_key
from api.auth.settings import AuthSettings
from api.cluster import EmbeddedCluster
from api.config import mask_password
from api.engine.app import RestEngine
from api.engine.cors import cors_middleware
from api.engine.docs import add_docs_routes
from api.engine.jwt import JwtSettings, JwtVerifier
from api.engine.schema_cache import SchemaCacheHolder
from api.engine.settings import EngineSettings
from api.engine.tx import Executor, make_pool
from api.health import add_health_routes
from api.logs import get_logger
from api.migrations.runner import Migrator

log = get_logger("campus.serve")
# Request bodies above this answer 413 (CAMPUS_MAX_BODY_BYTES; aiohttp never buffers more).
MAX_BODY = int(os.environ.get("CAMPUS_MAX_BODY_BYTES", 10 * 1024 * 1024))


def embedded_jwt_secret(data_dir: Path) -> str:
    """A per-installation secret for the embedded setup, kept beside the cluster (mode 0600)."""
    path = data_dir / "jwt-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def jwt_settings(settings: EngineSettings) -> JwtSettings:
    return JwtSettings(
        secret=settings.jwt_secret,
        secret_is_base64=settings.jwt_secret_is_base64,
        audience=settings.jwt_aud,
        role_claim_key=settings.jwt_role_claim_key,
        anon_role=settings.db_anon_role,
        cache_max_entries=settings.jwt_cache_max_entries,
    )


def signing_setup(settings: EngineSettings, auth: AuthSettings) -> tuple[EngineSettings, SigningKey | None]:
    """The key /auth/v1 signs with, and engine settings that accept what it signs.

    With a private key (RS256/ES256) the engine verifies against its public JWKS, plus the HS
    secret when one is configured, so service keys signed with that secret keep working.
    """
    if not auth.enabled or (auth.private_key_pem is None and settings.jwt_secret is None):
        return settings, None
    key = load_signing_key(settings.jwt_secret, auth.private_key_pem, settings.jwt_secret_is_base64)
    if auth.private_key_pem is None:
        return settings, key
    keys = key.public_jwks()["keys"]
    if settings.jwt_secret is not None:
        shared = load_signing_key(settings.jwt_secret, None, settings.jwt_secret_is_base64).verifier_secret()
        keys = [*keys, *(_as_jwks(shared))]
    return replace(settings, jwt_secret=json.dumps({"keys": keys}), jwt_secret_is_base64=False), key


def _as_jwks(secret: str) -> list[dict]:
    """An HS secret as JWK entries: already a JWK (base64 secrets) or a plain string to encode."""
    if secret.lstrip().startswith("{"):
        document = json.loads(secret)
        return document.get("keys", [document])
    raw = base64.urlsafe_b64encode(secret.encode()).rstrip(b"=").decode()
    return [{"kty": "oct", "k": raw, "alg": "HS256"}]


def build_app(
    settings: EngineSettings,
    migrator: Migrator,
    engine_url: str,
    require_migrations: bool = True,
    auth: tuple[AuthSettings, SigningKey] | None = None,
) -> web.Application:
    """The aiohttp application: health routes, /auth/v1, then the REST engine for every other path."""
    # Long select/filter URLs are normal for PostgREST clients; past 32 KiB aiohttp answers 400 itself.
    app = web.Application(
        client_max_size=MAX_BODY,
        handler_args={"max_line_size": 32768, "max_field_size": 32768},
        middlewares=[cors_middleware(settings.server_cors_allowed_origins)],
    )
    add_health_routes(app, migrator if require_migrations else None, migrator.url)
    add_docs_routes(app)  # before the engine's catch-all route
    cache = SchemaCacheHolder()
    pool = make_pool(engine_url, settings.db_pool, settings.db_pool_acquisition_timeout)
    pre_request = tuple(settings.db_pre_request.split(".", 1)) if settings.db_pre_request else None
    verifier = JwtVerifier(jwt_settings(settings))
    if auth is not None:
        app.add_subapp(AUTH_PREFIX, build_auth_app(auth[0], auth[1], verifier, engine_url))
    engine = RestEngine(
        settings,
        verifier,
        cache,
        Executor(pool, pre_request, prepare=settings.db_prepared_statements),
        MAX_BODY,
    )

    async def lifecycle(_: web.Application):
        await pool.open(wait=False)
        await cache.start(
            engine_url,
            settings.db_schemas,
            settings.db_extra_search_path,
            settings.db_channel,
            settings.db_channel_enabled,
        )
        yield
        await cache.close()
        await pool.close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_route("*", "/{path:.*}", engine.handle)
    return app


def _is_managed(migrator: Migrator) -> bool:
    """Whether /ready should wait for migrations; an unreachable database counts as managed."""
    try:
        return migrator.is_managed()
    except psycopg.OperationalError:
        return True


async def _serve_until_signalled(app: web.Application, host: str, port: int, reuse_port: bool = False) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port)
    await site.start()
    log.info("listening", url=f"http://{host}:{port}", pid=os.getpid())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()


def run_workers(make_app: Callable[[], web.Application], host: str, port: int, workers: int) -> None:
    """Serve with `workers` processes sharing the port (SO_REUSEPORT): one event loop per core.

    Each worker builds its own application (pool, schema cache, listener) after the fork. The
    parent only forwards SIGINT/SIGTERM and, when one worker dies, stops the others.
    """
    if workers <= 1:
        with contextlib.suppress(KeyboardInterrupt):
            uvloop.run(_serve_until_signalled(make_app(), host, port))
        return
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                uvloop.run(_serve_until_signalled(make_app(), host, port, reuse_port=True))
            except BaseException:  # a worker reports and exits; the parent notices
                log.exception("worker failed")
                code = 1
            os._exit(code)
        children.append(pid)

    def stop_all(signum: int, _frame: object = None) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    remaining = set(children)
    while remaining:
        pid, _status = os.wait()
        remaining.discard(pid)
        if remaining:
            stop_all(signal.SIGTERM)


def _interrupt(signum: int, _frame: object = None) -> None:
    raise KeyboardInterrupt


def load_demo(url: str) -> None:
    """`campus serve --demo`: the small demo on first start, then the accounts to sign in with."""
    from api.demo import ensure_demo
    from api.demo.commands import print_accounts

    print_accounts(ensure_demo(url, progress=sys.stderr.isatty()))
    sys.stdout.flush()


def serve(
    settings: EngineSettings,
    data_dir: Path,
    owner_url: str | None,
    migrate: bool = True,
    demo: bool = False,
    workers: int = 1,
    auth_settings: AuthSettings | None = None,
) -> None:
    """`owner_url` runs migrations (DATABASE_URL); the engine connects with `settings.db_uri` (PGRST_DB_URI)."""
    cluster: EmbeddedCluster | None = None
    started_cluster = False
    url = owner_url or settings.db_uri
    engine_url = settings.db_uri or url
    if url is None:
        cluster = EmbeddedCluster(data_dir)
        started_cluster = cluster.start()
        url = cluster.url()
        engine_url = cluster.url(user="authenticator")
        if settings.jwt_secret is None:
            settings = replace(settings, jwt_secret=embedded_jwt_secret(cluster.data_dir))
        if settings.jwt_aud is None:  # tokens for another audience are refused; tokens without aud pass
            settings = replace(settings, jwt_aud="authenticated")
        log.info("embedded cluster", data_dir=str(cluster.data_dir), started=started_cluster)
    assert engine_url is not None
    auth_settings = auth_settings or AuthSettings.from_env()
    settings, signing_key = signing_setup(settings, auth_settings)
    if signing_key is None:
        reason = "no JWT secret or private key" if auth_settings.enabled else "CAMPUS_AUTH_ENABLED is off"
        log.warning("auth disabled", reason=reason)
    auth = (auth_settings, signing_key) if signing_key is not None else None
    # Until the server's own handlers take over, SIGTERM interrupts like Ctrl-C, so that a stop while
    # migrating or loading the demo still runs the `finally` below (the default action would leave the
    # embedded cluster running); the interrupted transaction is rolled back.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        migrator = Migrator(url)
        if migrate:
            applied = migrator.up()
            log.info("migrated", database=mask_password(url), applied=applied)
        if demo:
            load_demo(url)
        require_migrations = migrate or _is_managed(migrator)
        run_workers(
            lambda: build_app(settings, migrator, engine_url, require_migrations, auth),
            settings.server_host,
            settings.server_port,
            workers,
        )
    except KeyboardInterrupt:
        log.info("stopped before serving")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if cluster is not None and started_cluster:
            cluster.stop()
            log.info("embedded cluster stopped")
