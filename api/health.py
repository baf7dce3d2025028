"""Liveness and readiness: `/live` says the process is up; `/ready` that it can serve.

Ready means the database answers and — for a database Campus migrates — no change of the plan
is pending; otherwise 503 with a JSON reason, so a load balancer or an orchestrator keeps
traffic away until both hold. A foreign database served with `--no-migrate` (one without a
Campus migration registry) is only checked for reachability.
"""

from __future__ import annotations

import asyncio

import psycopg
from aiohttp import web

from api.config import mask_password
from api.migrations.runner import CONNECT_TIMEOUT, Migrator

MIGRATOR = web.AppKey("migrator", Migrator)
DATABASE_URL = web.AppKey("database_url", str)


async def live(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _readiness(migrator: Migrator | None, url: str) -> str | None:
    """None when ready, else the reason (runs in a thread: psycopg's sync API)."""
    try:
        if migrator is None:
            with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT) as conn:
                conn.execute("select 1")
            return None
        pending = migrator.pending()
    except psycopg.OperationalError as error:
        return f"database unreachable at {mask_password(url)}: {_first_line(error)}"
    except psycopg.Error as error:
        return f"cannot read the migration registry: {_first_line(error)}"
    if pending:
        return f"{len(pending)} migration(s) pending: {', '.join(pending)}"
    return None


async def ready(request: web.Request) -> web.Response:
    migrator = request.app.get(MIGRATOR)
    reason = await asyncio.to_thread(_readiness, migrator, migrator.url if migrator else request.app[DATABASE_URL])
    if reason is None:
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "unavailable", "reason": reason}, status=503)


def add_health_routes(app: web.Application, migrator: Migrator | None, database_url: str) -> None:
    """`migrator` None: check reachability only (a database Campus does not migrate)."""
    if migrator is not None:
        app[MIGRATOR] = migrator
    app[DATABASE_URL] = database_url
    app.router.add_get("/live", live)
    app.router.add_get("/ready", ready)
