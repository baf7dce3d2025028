"""The auth rules' only door to the database: each call is one transaction running one SQL function.

Self-service calls run as `auth_service`, which may execute the auth.* functions and nothing else;
administrative calls run as the caller's own role with their verified claims, exactly as the REST
engine would run them, so the SQL decides what an admin may do.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from api.auth.errors import AuthError, from_database_error

AUTH_SERVICE_ROLE = "auth_service"
ADMIN_ROLES = frozenset({"admin", "service_role"})


class AuthStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def call(self, function: str, *args: Any, role: str = AUTH_SERVICE_ROLE, claims: dict | None = None) -> Any:
        """`select <schema.function>(args…)` in a transaction of its own, as `role`; returns the value."""
        schema, name = function.split(".", 1)
        statement = sql.SQL("select {}({})").format(
            sql.Identifier(schema, name), sql.SQL(", ").join(sql.Placeholder() * len(args))
        )
        params = [Jsonb(arg) if isinstance(arg, (dict, list)) else arg for arg in args]
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute(
                    "select pg_catalog.set_config('role', %s, true), "
                    "pg_catalog.set_config('request.jwt.claims', %s, true)",
                    [role, json.dumps(claims or {})],
                )
                cursor = await conn.execute(statement, params)
                row = await cursor.fetchone()
        except psycopg.Error as error:
            if isinstance(error, psycopg.OperationalError) and error.sqlstate is None:
                message = "The database is not reachable; try again shortly."
                raise AuthError(503, "unexpected_failure", message) from error
            raise from_database_error(error) from error
        return row[0] if row else None

    async def admin_call(self, function: str, *args: Any, claims: dict) -> Any:
        """An `api.admin_*` function as the administrator's own role (admin or service_role)."""
        role = claims.get("role")
        if role not in ADMIN_ROLES:
            raise AuthError(403, "not_admin", "User not allowed")
        return await self.call(function, *args, role=role, claims=claims)
