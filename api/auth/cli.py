"""`campus auth`: what an operator needs before anyone can sign in.

campus auth institution add north "North College" --domain north.edu --self-signup
campus auth user add head@north.edu --institution north --role admin --password-stdin
campus auth token --role service_role          # a service key for trusted server-side callers
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time

import psycopg

from api.auth.keys import load_signing_key
from api.auth.settings import AuthSettings
from api.cluster import EmbeddedCluster
from api.config import Settings
from api.engine.settings import EngineSettings

SERVICE_CLAIMS = {"role": "service_role"}


class AuthCommandError(RuntimeError):
    pass


def add_auth_parser(commands: argparse._SubParsersAction) -> None:
    auth = commands.add_parser(
        "auth",
        help="institutions, first accounts and service keys",
        description="Set up who can sign in: institutions, administrator accounts, and signed keys "
        "for trusted server-side callers.",
    )
    actions = auth.add_subparsers(dest="auth_command", required=True, metavar="ACTION")

    institution = actions.add_parser("institution", help="add an institution (tenant)")
    institution.add_argument("verb", choices=["add"])
    institution.add_argument("slug", help="short unique name, e.g. north")
    institution.add_argument("name", help="display name")
    institution.add_argument("--domain", action="append", default=[], help="e-mail domain of its people (repeatable)")
    institution.add_argument("--self-signup", action="store_true", help="let people register themselves as students")

    user = actions.add_parser("user", help="add a user with a confirmed e-mail address")
    user.add_argument("verb", choices=["add"])
    user.add_argument("email")
    user.add_argument("--institution", required=True, metavar="SLUG")
    user.add_argument("--role", choices=["student", "educator", "admin"], default="admin")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    token = actions.add_parser("token", help="print a signed access token (default: a service_role key)")
    token.add_argument("--role", default="service_role")
    token.add_argument("--sub", help="the sub claim (a user id)")
    token.add_argument("--exp", type=int, default=365 * 24 * 3600, help="lifetime in seconds (default one year)")
    auth.set_defaults(handler=cmd_auth)


def cmd_auth(args: argparse.Namespace, settings: Settings) -> int:
    if args.auth_command == "token":
        print(_token(args, settings))
        return 0
    url = settings.database_url or _embedded(settings).url()
    with psycopg.connect(url, autocommit=True) as conn:
        if args.auth_command == "institution":
            row = conn.execute(
                "insert into app.institutions (slug, name, email_domains, self_signup) values (%s, %s, %s, %s) "
                "returning id",
                [args.slug, args.name, [domain.lower() for domain in args.domain], args.self_signup],
            ).fetchone()
            print(row[0] if row else "")
        else:
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            if password is None and sys.stdin.isatty():
                password = getpass.getpass("password (empty: none, the user resets it by mail): ") or None
            print(_add_user(conn, args.email, args.institution, args.role, password))
    return 0


def _add_user(conn: psycopg.Connection, email: str, slug: str, role: str, password: str | None) -> str:
    found = conn.execute("select id from app.institutions where slug = %s", [slug]).fetchone()
    if found is None:
        raise AuthCommandError(f"no institution {slug!r}; add it with `campus auth institution add`")
    with conn.transaction():
        conn.execute("select pg_catalog.set_config('request.jwt.claims', %s, true)", [json.dumps(SERVICE_CLAIMS)])
        document = conn.execute(
            "select api.admin_create_user(email => %s, password => %s, role => %s::app.user_role, "
            "email_confirm => true, institution_id => %s)",
            [email, password, role, found[0]],
        ).fetchone()
    return document[0]["id"] if document else ""


def _embedded(settings: Settings) -> EmbeddedCluster:
    cluster = EmbeddedCluster(settings.data_dir)
    cluster.start()
    return cluster


def _token(args: argparse.Namespace, settings: Settings) -> str:
    """Signed with what `campus serve` verifies with: the private key, PGRST_JWT_SECRET, or the embedded secret."""
    from api.server import embedded_jwt_secret

    engine = EngineSettings.from_env()
    auth = AuthSettings.from_env()
    secret = engine.jwt_secret
    if secret is None and auth.private_key_pem is None:
        if settings.database_url:
            raise AuthCommandError("set PGRST_JWT_SECRET or CAMPUS_AUTH_JWT_PRIVATE_KEY to sign tokens")
        secret = embedded_jwt_secret(EmbeddedCluster(settings.data_dir).data_dir)
    key = load_signing_key(secret, auth.private_key_pem, engine.jwt_secret_is_base64)
    now = int(time.time())
    claims = {"role": args.role, "iss": "campus", "iat": now, "exp": now + args.exp}
    if args.sub:
        claims["sub"] = args.sub
    return key.sign(claims)
