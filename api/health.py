"""Liveness and readiness: `/live` says the process is up; `/ready` that it can serve.

Ready means the database answers and no migration of the plan is pending; otherwise 503 with a
JSON reason, so a load balancer or an orchestrator keeps traffic away until both hold.
"""

from __future__ import annotations

import asyncio

import psycopg
from aiohttp import web

from api.config import mask_password
from api.migrations.runner import Migrator

MIGRATOR = web.AppKey("migrator", Migrator)


async def live(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _readiness(migrator: Migrator) -> str | None:
    """None when ready, else the reason (runs in a thread: psycopg's sync API)."""
    try:
        pending = migrator.pending()
    except psycopg.OperationalError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"database unreachable at {mask_password(migrator.url)}: {first_line}"
    if pending:
        return f"{len(pending)} migration(s) pending: {', '.join(pending)}"
    return None


async def ready(request: web.Request) -> web.Response:
    reason = await asyncio.to_thread(_readiness, request.app[MIGRATOR])
    if reason is None:
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "unavailable", "reason": reason}, status=503)


def add_health_routes(app: web.Application, migrator: Migrator) -> None:
    app[MIGRATOR] = migrator
    app.router.add_get("/live", live)
    app.router.add_get("/ready", ready)
