"""Unit tests for api.engine.error_mapping: PostgreSQL errors → PostgREST's statuses, bodies and headers.

The psycopg errors are real: each is raised by a statement run against a throwaway database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from api.engine.error_mapping import (
    RaisedError,
    api_error_from_postgres,
    connection_error,
    database_client_error,
    error_headers,
    http_status_for_sqlstate,
    pool_timeout_error,
    schema_cache_not_loaded_error,
)
from api.engine.errors import ApiError

MESSAGE_HINT = (
    "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'."
)
DETAIL_HINT = "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'."
PGRST121_MESSAGE = "Could not parse JSON in the \"RAISE SQLSTATE 'PGRST'\" error"


# --------------------------------------------------------------------------------------------
# Real errors from a real database
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conn(cluster) -> Iterator[psycopg.Connection]:
    """One migrated database for the module; every statement below runs in a rolled-back transaction."""
    name = cluster.create("errors")
    with psycopg.connect(cluster.url(name), autocommit=True) as connection:
        connection.execute("create table public.gadgets (id int primary key, name text not null)")
        connection.execute("revoke all on public.gadgets from public")
        yield connection
    cluster.drop(name)


def raised(conn: psycopg.Connection, *statements: str) -> psycopg.Error:
    """The error the last failing statement raises; the transaction is rolled back."""
    with pytest.raises(psycopg.Error) as caught, conn.transaction():
        for statement in statements:
            conn.execute(statement)
    return caught.value


def plpgsql_raise(conn: psycopg.Connection, raise_statement: str) -> psycopg.Error:
    return raised(conn, f"do $body$ begin {raise_statement}; end $body$")


def pgrst_raise(conn: psycopg.Connection, message: str, detail: str | None) -> psycopg.Error:
    """`RAISE SQLSTATE 'PGRST'` with the given MESSAGE and (optional) DETAIL, quoted as SQL literals."""
    using = f"message = {_literal(message)}" + ("" if detail is None else f", detail = {_literal(detail)}")
    return plpgsql_raise(conn, f"raise sqlstate 'PGRST' using {using}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_unique_violation_is_409_with_postgres_texts(conn):
    error = raised(
        conn,
        "insert into public.gadgets values (1, 'a')",
        "insert into public.gadgets values (1, 'b')",
    )
    api = api_error_from_postgres(error, authenticated=True)
    assert (api.status, api.code) == (409, "23505")
    assert api.message == 'duplicate key value violates unique constraint "gadgets_pkey"'
    assert api.details == "Key (id)=(1) already exists."
    assert api.hint is None
    assert api.headers == {}


def test_permission_denied_is_401_with_challenge_for_the_anonymous_role(conn):
    error = raised(conn, "set local role anon", "select * from public.gadgets")
    api = api_error_from_postgres(error, authenticated=False)
    assert (api.status, api.code) == (401, "42501")
    assert api.message == "permission denied for table gadgets"
    assert api.headers == {"WWW-Authenticate": "Bearer"}
    assert error_headers(api) == {"Proxy-Status": "PostgREST; error=42501", "WWW-Authenticate": "Bearer"}


def test_permission_denied_is_403_without_challenge_when_authenticated(conn):
    error = raised(conn, "set local role anon", "select * from public.gadgets")
    api = api_error_from_postgres(error, authenticated=True)
    assert (api.status, api.code) == (403, "42501")
    assert api.headers == {}


def test_invalid_text_representation_is_400(conn):
    error = raised(conn, "select 'abc'::int")
    api = api_error_from_postgres(error, authenticated=False)
    assert (api.status, api.code) == (400, "22P02")
    assert api.message == 'invalid input syntax for type integer: "abc"'
    assert api.body() == (
        b'{"code":"22P02","details":null,"hint":null,"message":"invalid input syntax for type integer: \\"abc\\""}'
    )


def test_undefined_table_is_404(conn):
    error = raised(conn, "select * from public.nowhere")
    api = api_error_from_postgres(error, authenticated=True)
    assert (api.status, api.code, api.message) == (404, "42P01", 'relation "public.nowhere" does not exist')


def test_not_null_violation_is_400(conn):
    error = raised(conn, "insert into public.gadgets (id) values (7)")
    api = api_error_from_postgres(error, authenticated=True)
    assert (api.status, api.code) == (400, "23502")
    assert api.details.startswith("Failing row contains (7, null)")


def test_read_only_transaction_is_405(conn):
    error = raised(conn, "set transaction read only", "insert into public.gadgets values (2, 'x')")
    api = api_error_from_postgres(error, authenticated=True)
    assert (api.status, api.code) == (405, "25006")
    assert api.message == "cannot execute INSERT in a read-only transaction"


def test_nonexistent_role_is_401(conn):
    error = raised(conn, "select set_config('role', 'no_such_role', true)")
    api = api_error_from_postgres(error, authenticated=True)
    assert (api.status, api.code) == (401, "22023")
    assert api.message == 'role "no_such_role" does not exist'
    assert api.headers == {"WWW-Authenticate": "Bearer"}


def test_plain_raise_exception_is_400_with_detail_and_hint(conn):
    error = plpgsql_raise(conn, "raise exception 'Not allowed' using detail = 'Closed course', hint = 'Ask'")
    api = api_error_from_postgres(error, authenticated=True)
    assert (api.status, api.code, api.message, api.details, api.hint) == (
        400,
        "P0001",
        "Not allowed",
        "Closed course",
        "Ask",
    )


def test_assert_failure_is_500(conn):
    error = plpgsql_raise(conn, "assert 1 = 2, 'broken invariant'")
    api = api_error_from_postgres(error, authenticated=True)
    assert (api.status, api.code, api.message) == (500, "P0004", "broken invariant")


def test_pt_sqlstate_picks_the_status(conn):
    error = plpgsql_raise(
        conn, "raise sqlstate 'PT402' using message = 'Payment Required', detail = 'Quota exceeded', hint = 'Upgrade'"
    )
    api = api_error_from_postgres(error, authenticated=True)
    assert api.status == 402
    assert json.loads(api.body()) == {
        "code": "PT402",
        "details": "Quota exceeded",
        "hint": "Upgrade",
        "message": "Payment Required",
    }
    assert error_headers(api) == {"Proxy-Status": "PostgREST; error=PT402"}


def test_pt401_carries_the_bearer_challenge(conn):
    error = plpgsql_raise(conn, "raise sqlstate 'PT401' using message = 'Sign in first'")
    api = api_error_from_postgres(error, authenticated=False)
    assert (api.status, api.headers) == (401, {"WWW-Authenticate": "Bearer"})


def test_raise_pgrst_controls_body_status_reason_and_headers(conn):
    message = '{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade"}'
    detail = '{"status":402,"status_text":"Pay Up","headers":{"X-Powered-By":"Nerd Rage"}}'
    api = api_error_from_postgres(pgrst_raise(conn, message, detail), authenticated=False)
    assert isinstance(api, RaisedError)
    assert (api.status, api.reason) == (402, "Pay Up")
    assert json.loads(api.body()) == {
        "code": "123",
        "details": "Quota exceeded",
        "hint": "Upgrade",
        "message": "Payment Required",
    }
    # Only the headers DETAIL names: no automatic WWW-Authenticate, even for a 401.
    assert error_headers(api) == {"Proxy-Status": "PostgREST; error=123", "X-Powered-By": "Nerd Rage"}


def test_raise_pgrst_401_sends_only_the_headers_it_names(conn):
    message = '{"code":"PGRST_AUTH","message":"Token revoked"}'
    detail = '{"status":401,"headers":{"WWW-Authenticate":"Bearer error=\\"invalid_token\\""}}'
    api = api_error_from_postgres(pgrst_raise(conn, message, detail), authenticated=False)
    assert (api.status, api.code, api.details, api.hint, api.reason) == (401, "PGRST_AUTH", None, None, None)
    assert api.headers == {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@pytest.mark.parametrize(
    ("message", "detail", "details", "hint"),
    [
        ("INVALID", '{"status":402,"headers":{}}', "Invalid JSON value for MESSAGE: 'INVALID'", MESSAGE_HINT),
        (
            '{"message":"no code"}',
            '{"status":402,"headers":{}}',
            """Invalid JSON value for MESSAGE: '{"message":"no code"}'""",
            MESSAGE_HINT,
        ),
        ('{"code":"123","message":"m"}', None, "DETAIL is missing in the RAISE statement", DETAIL_HINT),
        ('{"code":"123","message":"m"}', "INVALID", "Invalid JSON value for DETAIL: 'INVALID'", DETAIL_HINT),
        (
            '{"code":"123","message":"m"}',
            '{"status":402}',
            """Invalid JSON value for DETAIL: '{"status":402}'""",
            DETAIL_HINT,
        ),
        (
            '{"code":"123","message":"m"}',
            '{"status":"402","headers":{}}',
            """Invalid JSON value for DETAIL: '{"status":"402","headers":{}}'""",
            DETAIL_HINT,
        ),
    ],
)
def test_unparsable_raise_pgrst_is_500_pgrst121(conn, message, detail, details, hint):
    api = api_error_from_postgres(pgrst_raise(conn, message, detail), authenticated=True)
    assert (api.status, api.code, api.message) == (500, "PGRST121", PGRST121_MESSAGE)
    assert (api.details, api.hint) == (details, hint)
    assert error_headers(api) == {"Proxy-Status": "PostgREST; error=PGRST121"}


# --------------------------------------------------------------------------------------------
# The status table
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sqlstate", "status"),
    [
        ("08000", 503),
        ("08006", 503),
        ("09000", 500),
        ("0L000", 403),
        ("0LP01", 403),
        ("0P000", 403),
        ("21000", 500),
        ("22000", 400),
        ("22023", 400),
        ("22P02", 400),
        ("23000", 400),
        ("23502", 400),
        ("23503", 409),
        ("23505", 409),
        ("23514", 400),
        ("25000", 500),
        ("25006", 405),
        ("25P02", 500),
        ("28000", 403),
        ("28P01", 403),
        ("2D000", 500),
        ("38000", 500),
        ("39000", 500),
        ("3B000", 500),
        ("40001", 500),
        ("40P01", 500),
        ("42601", 400),
        ("42703", 400),
        ("42883", 404),
        ("42P01", 404),
        ("42P10", 400),
        ("42P17", 500),
        ("53000", 503),
        ("53100", 503),
        ("53400", 500),
        ("54000", 500),
        ("55000", 500),
        ("55P03", 500),
        ("57000", 500),
        ("57014", 500),
        ("57P01", 503),
        ("58000", 500),
        ("F0000", 500),
        ("HV000", 500),
        ("P0000", 500),
        ("P0001", 400),
        ("P0002", 500),
        ("P0004", 500),
        ("XX000", 500),
        ("XX001", 500),
        ("PT402", 402),
        ("PT418", 418),
        ("PT201", 201),
        ("PTABC", 500),
        ("PT4O2", 500),
        ("PT000", 500),
        ("01000", 400),
        ("0A000", 400),
        ("44000", 400),
    ],
)
def test_status_table(sqlstate, status):
    assert http_status_for_sqlstate(sqlstate, authenticated=True) == status


def test_insufficient_privilege_depends_on_authentication():
    assert http_status_for_sqlstate("42501", authenticated=False) == 401
    assert http_status_for_sqlstate("42501", authenticated=True) == 403


@pytest.mark.parametrize(
    ("sqlstate", "message", "status"),
    [
        ("21000", "UPDATE requires a WHERE clause", 400),
        ("21000", "DELETE requires a WHERE clause", 400),
        ("21000", "more than one row returned by a subquery used as an expression", 500),
        ("22023", 'role "ghost" does not exist', 401),
        ("22023", "invalid value for parameter", 400),
        ("42883", "function xmlagg(integer) does not exist", 406),
        ("42883", "function nope() does not exist", 404),
    ],
)
def test_statuses_that_depend_on_the_message(sqlstate, message, status):
    assert http_status_for_sqlstate(sqlstate, authenticated=True, message=message) == status


def test_pgrst_status_comes_from_the_detail():
    message, detail = '{"code":"X1","message":"m"}', '{"status":418,"headers":{}}'
    assert http_status_for_sqlstate("PGRST", authenticated=True, message=message, detail=detail) == 418
    assert http_status_for_sqlstate("PGRST", authenticated=True, message=message, detail="nope") == 500


# --------------------------------------------------------------------------------------------
# Errors without a SQLSTATE, and the engine's own errors
# --------------------------------------------------------------------------------------------


def test_pool_timeout_is_504_pgrst003():
    api = api_error_from_postgres(PoolTimeout("couldn't get a connection after 10.00 sec"), authenticated=True)
    assert api == pool_timeout_error()
    assert (api.status, api.code, api.message) == (
        504,
        "PGRST003",
        "Timed out acquiring connection from connection pool.",
    )
    assert error_headers(api) == {"Proxy-Status": "PostgREST; error=PGRST003"}


def test_lost_connection_is_503_pgrst001_with_retry_after():
    error = psycopg.OperationalError("server closed the connection unexpectedly")
    api = api_error_from_postgres(error, authenticated=False)
    assert (api.status, api.code, api.message) == (503, "PGRST001", "Database client error. Retrying the connection.")
    assert api.details == "server closed the connection unexpectedly"
    assert error_headers(api) == {"Proxy-Status": "PostgREST; error=PGRST001", "Retry-After": "1"}


def test_client_side_programming_error_is_500_internal():
    api = api_error_from_postgres(psycopg.ProgrammingError("the query has 1 placeholder"), authenticated=True)
    assert (api.status, api.code) == (500, "PGRSTX00")


def test_connection_error_is_503_pgrst000():
    api = connection_error('connection to server failed: FATAL:  database "x" does not exist', retry_after=4)
    assert (api.status, api.code, api.message) == (
        503,
        "PGRST000",
        "Database connection error. Retrying the connection.",
    )
    assert api.details == 'connection to server failed: FATAL:  database "x" does not exist'
    assert error_headers(api) == {"Proxy-Status": "PostgREST; error=PGRST000", "Retry-After": "4"}


def test_client_error_without_retry_after():
    assert "Retry-After" not in database_client_error("gone", retry_after=None).headers


def test_schema_cache_not_loaded_is_503_pgrst002():
    api = schema_cache_not_loaded_error()
    assert (api.status, api.code, api.message) == (
        503,
        "PGRST002",
        "Could not query the database for the schema cache. Retrying.",
    )
    assert (api.details, api.hint, api.headers) == (None, None, {})
    assert schema_cache_not_loaded_error(retry_after=2).headers == {"Retry-After": "2"}


def test_error_headers_keeps_an_explicit_proxy_status():
    err = ApiError(402, "X1", "m", headers={"proxy-status": "custom", "X-A": "b"})
    assert error_headers(err) == {"proxy-status": "custom", "X-A": "b"}
