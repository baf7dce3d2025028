"""Errors in GoTrue's shape: `{"code": <status>, "error_code": "...", "msg": "..."}`.

The SQL rules raise `PTxyz` SQLSTATEs (xyz = the HTTP status) with the human message as the
message and GoTrue's error code in DETAIL; everything else a client could cause maps by SQLSTATE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg
from aiohttp import web

from api.logs import get_logger

log = get_logger("campus.auth")


@dataclass
class AuthError(Exception):
    status: int
    error_code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    def response(self) -> web.Response:
        body = {"code": self.status, "error_code": self.error_code, "msg": self.message, **self.extra}
        return web.Response(
            status=self.status,
            body=json.dumps(body).encode(),
            content_type="application/json",
            headers=self.headers,
        )


def from_database_error(error: psycopg.Error) -> AuthError:
    """The client-facing error for a failed SQL rule; unexpected failures are logged, not shown."""
    diag = error.diag
    sqlstate = error.sqlstate or ""
    message = diag.message_primary or "Database error"
    if sqlstate.startswith("PT") and sqlstate[2:].isdigit():
        extra: dict[str, object] = {}
        if diag.message_detail == "weak_password":
            extra["weak_password"] = {"reasons": (diag.message_hint or "").split(",")}
        return AuthError(int(sqlstate[2:]), diag.message_detail or "validation_failed", message, extra=extra)
    if sqlstate == "42501":
        return AuthError(403, diag.message_detail or "not_admin", message)
    if sqlstate in ("22P02", "22023", "23514", "22001"):  # bad enum value, bad parameter, check, too long
        return AuthError(422, "validation_failed", message)
    if sqlstate == "42883":  # the auth functions are not installed in this database
        return AuthError(503, "unexpected_failure", "Auth is not installed in this database.")
    log.error("auth database error", sqlstate=sqlstate, error=message)
    return AuthError(500, "unexpected_failure", "Unexpected failure, please try again later.")


def bad_json() -> AuthError:
    return AuthError(400, "bad_json", "Could not parse request body as JSON")


def validation(message: str) -> AuthError:
    return AuthError(422, "validation_failed", message)
