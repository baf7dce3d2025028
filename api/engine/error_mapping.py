"""PostgreSQL errors → PostgREST's HTTP errors: the fixed SQLSTATE table, `RAISE SQLSTATE 'PGRST'`,
and the errors the engine raises itself when the database is unreachable or busy.

The table and the texts follow PostgREST's `Error.hs` (reference §5). Every error response also
carries `Proxy-Status: PostgREST; error=<code>` (see `error_headers`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import PoolTimeout

from api.engine.errors import ApiError

DEFAULT_RETRY_AFTER = 1  # seconds; the first back-off step while reconnecting

# Two-character SQLSTATE classes with a fixed status; exact codes are checked first (see below).
_CLASS_STATUS = {
    "08": 503,  # connection exception
    "09": 500,  # triggered action exception
    "0L": 403,  # invalid grantor
    "0P": 403,  # invalid role specification
    "25": 500,  # invalid transaction state
    "28": 403,  # invalid authorization specification
    "2D": 500,  # invalid transaction termination
    "38": 500,  # external routine exception
    "39": 500,  # external routine invocation exception
    "3B": 500,  # savepoint exception
    "40": 500,  # transaction rollback (serialization failures are not retried)
    "53": 503,  # insufficient resources
    "54": 500,  # program limit exceeded
    "55": 500,  # object not in prerequisite state
    "57": 500,  # operator intervention (e.g. 57014 statement timeout)
    "58": 500,  # system error
    "F0": 500,  # configuration file error
    "HV": 500,  # foreign data wrapper error
    "P0": 500,  # PL/pgSQL error (e.g. P0004 assert_failure)
    "XX": 500,  # internal error
}

_EXACT_STATUS = {
    "23503": 409,  # foreign_key_violation
    "23505": 409,  # unique_violation
    "25006": 405,  # read_only_sql_transaction: a GET reached something that writes
    "42P01": 404,  # undefined_table
    "42P17": 500,  # invalid_object_definition (infinite recursion in a policy)
    "53400": 500,  # configuration_limit_exceeded, unlike the rest of class 53
    "57P01": 503,  # admin_shutdown, unlike the rest of class 57
    "P0001": 400,  # raise_exception: a plain RAISE is the client's fault
}


@dataclass
class RaisedError(ApiError):
    """An error from `RAISE SQLSTATE 'PGRST'`, whose DETAIL may also name the reason phrase."""

    reason: str | None = None  # `status_text`: send it as the HTTP reason phrase when set


# --------------------------------------------------------------------------------------------
# SQLSTATE → HTTP status
# --------------------------------------------------------------------------------------------


def http_status_for_sqlstate(
    sqlstate: str, *, authenticated: bool, message: str = "", detail: str | None = None
) -> int:
    """The HTTP status PostgREST answers for a PostgreSQL error.

    `authenticated` is whether the request ran as a role from a JWT (not the anonymous role);
    `message`/`detail` matter for the few codes whose status depends on them.
    """
    if sqlstate in _EXACT_STATUS:
        return _EXACT_STATUS[sqlstate]
    special = _message_dependent_status(sqlstate, authenticated, message)
    if special is not None:
        return special
    if sqlstate == "PGRST":
        raised = _parse_raise_pgrst(message, detail)
        return raised.status
    if sqlstate.startswith("PT"):
        return _custom_status(sqlstate[2:])
    return _CLASS_STATUS.get(sqlstate[:2], 400)


def _message_dependent_status(sqlstate: str, authenticated: bool, message: str) -> int | None:
    if sqlstate == "42501":  # insufficient_privilege: anonymous callers should authenticate
        # A JWT naming a role the authenticator may not switch to is a bad credential, not a refusal.
        return 403 if authenticated and not message.startswith("permission denied to set role") else 401
    if sqlstate == "21000":  # cardinality_violation; pg-safeupdate's refusal is the client's fault
        return 400 if message.endswith("requires a WHERE clause") else 500
    if sqlstate == "22023":  # invalid_parameter_value; a JWT naming a role that does not exist
        return 401 if message.startswith("role") and message.endswith("does not exist") else 400
    if sqlstate == "42883":  # undefined_function; xmlagg missing means no XML output is possible
        return 406 if message.startswith("function xmlagg(") else 404
    return None


def _custom_status(digits: str) -> int:
    """`PTxyz` → xyz; anything that is not a usable HTTP status → 500."""
    if digits.isascii() and digits.isdigit() and 100 <= int(digits) <= 599:
        return int(digits)
    return 500


# --------------------------------------------------------------------------------------------
# psycopg errors → ApiError
# --------------------------------------------------------------------------------------------


def api_error_from_postgres(
    error: psycopg.Error, *, authenticated: bool, constraint_messages: Mapping[tuple[str, str], str] | None = None
) -> ApiError:
    """The client-facing error for a failed statement (or a failed pool checkout)."""
    if isinstance(error, PoolTimeout):
        return pool_timeout_error()
    sqlstate = error.sqlstate
    if sqlstate is None:
        return _client_side_error(error)
    diag = error.diag
    message = diag.message_primary or str(error)
    if sqlstate == "PGRST":
        return _parse_raise_pgrst(message, diag.message_detail)
    status = http_status_for_sqlstate(sqlstate, authenticated=authenticated, message=message)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    explained = constraint_message(sqlstate, diag, message, constraint_messages or {})
    if explained is not None:  # the schema's own words first; PostgreSQL's (naming the constraint) as details
        return ApiError(status, sqlstate, explained, message, diag.message_hint, headers)
    return ApiError(status, sqlstate, message, diag.message_detail, diag.message_hint, headers)


def constraint_message(
    sqlstate: str, diag: psycopg.errors.Diagnostic, message: str, messages: Mapping[tuple[str, str], str]
) -> str | None:
    """The `comment on constraint` of the constraint a row broke, when the schema wrote one.

    Only for the row being written: a foreign key refusing the delete of a referenced row ("update or
    delete on table …") is a different story from the one its comment tells, so it keeps PostgreSQL's text.
    """
    if sqlstate not in _CONSTRAINT_SQLSTATES or not diag.constraint_name or not diag.schema_name:
        return None
    if sqlstate == "23503" and not message.startswith("insert or update on table"):
        return None
    return messages.get((diag.schema_name, diag.constraint_name))


# check, unique, foreign key, exclusion, not null (a not-null constraint has a name from PostgreSQL 18)
_CONSTRAINT_SQLSTATES = frozenset({"23514", "23505", "23503", "23P01", "23502"})


def _client_side_error(error: psycopg.Error) -> ApiError:
    """An error libpq or psycopg raised without the server: a lost connection, or our own bug."""
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return database_client_error(str(error) or None)
    return ApiError(500, "PGRSTX00", "Internal server error", str(error) or None)


def error_headers(err: ApiError) -> dict[str, str]:
    """The error's own headers plus `Proxy-Status: PostgREST; error=<code>` (unless it set one)."""
    headers = {"Proxy-Status": f"PostgREST; error={err.code}"}
    for name, value in err.headers.items():
        if name.lower() == "proxy-status":
            del headers["Proxy-Status"]
        headers[name] = value
    return headers


# --------------------------------------------------------------------------------------------
# RAISE SQLSTATE 'PGRST': MESSAGE is the body, DETAIL the status and headers
# --------------------------------------------------------------------------------------------

_MESSAGE_HINT = (
    "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'."
)
_DETAIL_HINT = "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'."


def _parse_raise_pgrst(message: str, detail: str | None) -> ApiError:
    body = _json_object(message)
    if body is None or not _has_body_shape(body):
        return _unparsable_raise(f"Invalid JSON value for MESSAGE: '{message}'", _MESSAGE_HINT)
    if detail is None:
        return _unparsable_raise("DETAIL is missing in the RAISE statement", _DETAIL_HINT)
    envelope = _json_object(detail)
    if envelope is None or not _has_envelope_shape(envelope):
        return _unparsable_raise(f"Invalid JSON value for DETAIL: '{detail}'", _DETAIL_HINT)
    return RaisedError(
        status=int(envelope["status"]),
        code=body["code"],
        message=body["message"],
        details=body.get("details"),
        hint=body.get("hint"),
        headers=dict(envelope["headers"]),
        reason=envelope.get("status_text"),
    )


def _unparsable_raise(details: str, hint: str) -> ApiError:
    """500 PGRST121: the RAISE meant to control the response, but its JSON is not usable."""
    return ApiError(500, "PGRST121", "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error", details, hint)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _has_body_shape(body: dict[str, Any]) -> bool:
    required = all(isinstance(body.get(key), str) for key in ("code", "message"))
    optional = all(body.get(key) is None or isinstance(body[key], str) for key in ("details", "hint"))
    return required and optional


def _has_envelope_shape(envelope: dict[str, Any]) -> bool:
    status, headers, reason = envelope.get("status"), envelope.get("headers"), envelope.get("status_text")
    status_ok = isinstance(status, int | float) and not isinstance(status, bool) and float(status).is_integer()
    headers_ok = isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
    return status_ok and 100 <= int(status) <= 599 and headers_ok and (reason is None or isinstance(reason, str))


# --------------------------------------------------------------------------------------------
# Errors the engine raises itself
# --------------------------------------------------------------------------------------------


def _retry_headers(retry_after: int | None) -> dict[str, str]:
    return {} if retry_after is None else {"Retry-After": str(retry_after)}


def connection_error(details: str | None = None, *, retry_after: int | None = DEFAULT_RETRY_AFTER) -> ApiError:
    """503 PGRST000: no connection to the database could be made (details: libpq's text)."""
    message = "Database connection error. Retrying the connection."
    return ApiError(503, "PGRST000", message, details, None, _retry_headers(retry_after))


def database_client_error(details: str | None = None, *, retry_after: int | None = DEFAULT_RETRY_AFTER) -> ApiError:
    """503 PGRST001: the connection failed while in use (details: libpq's text)."""
    message = "Database client error. Retrying the connection."
    return ApiError(503, "PGRST001", message, details, None, _retry_headers(retry_after))


def schema_cache_not_loaded_error(*, retry_after: int | None = None) -> ApiError:
    """503 PGRST002: requests arrived before the schema cache could be loaded."""
    message = "Could not query the database for the schema cache. Retrying."
    return ApiError(503, "PGRST002", message, None, None, _retry_headers(retry_after))


def pool_timeout_error() -> ApiError:
    """504 PGRST003: every pooled connection stayed busy for `db-pool-acquisition-timeout`."""
    return ApiError(504, "PGRST003", "Timed out acquiring connection from connection pool.")
