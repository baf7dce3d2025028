"""`campus serve`: find or start the database, migrate it, serve HTTP, and shut down cleanly.

With no DATABASE_URL/PGRST_DB_URI the embedded cluster is started, and stopped again on exit
(Ctrl-C or SIGTERM) if this process started it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import uvloop
from aiohttp import web

from api.cluster import EmbeddedCluster
from api.config import Settings, mask_password
from api.health import add_health_routes
from api.logs import get_logger
from api.migrations.runner import Migrator

log = get_logger("campus.serve")


def build_app(migrator: Migrator) -> web.Application:
    app = web.Application()
    add_health_routes(app, migrator)
    return app


async def _serve_until_signalled(app: web.Application, host: str, port: int) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("listening", url=f"http://{host}:{port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()


def serve(settings: Settings, migrate: bool = True) -> None:
    cluster: EmbeddedCluster | None = None
    started_cluster = False
    url = settings.database_url
    if url is None:
        cluster = EmbeddedCluster(settings.data_dir)
        started_cluster = cluster.start()
        url = cluster.url()
        log.info("embedded cluster", data_dir=str(cluster.data_dir), started=started_cluster)
    try:
        migrator = Migrator(url)
        if migrate:
            applied = migrator.up()
            log.info("migrated", database=mask_password(url), applied=applied)
        with contextlib.suppress(KeyboardInterrupt):
            uvloop.run(_serve_until_signalled(build_app(migrator), settings.server_host, settings.server_port))
    finally:
        if cluster is not None and started_cluster:
            cluster.stop()
            log.info("embedded cluster stopped")
