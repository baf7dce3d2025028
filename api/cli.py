"""The `campus` command: serve, manage the embedded cluster, run migrations, set up auth."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

import psycopg

from api import logs
from api.auth.cli import AuthCommandError, add_auth_parser
from api.cluster import ClusterError, EmbeddedCluster
from api.config import Settings, mask_password
from api.demo import DemoError
from api.demo.commands import add_demo_parser
from api.engine.settings import SettingsError
from api.importer.commands import add_import_parser
from api.migrations.runner import DB_DIR, MigrationError, Migrator
from api.migrations.sqitch_plan import PlanError, read_plan
from api.migrations.stateless import StatelessError, render_script

EXIT_FAILURE = 1


class CommandError(RuntimeError):
    """A one-line failure to print before exiting non-zero."""


def _database_url(settings: Settings, start_embedded: bool = True) -> str:
    """DATABASE_URL/PGRST_DB_URI if set, else the embedded cluster's (started when asked)."""
    if settings.database_url:
        return settings.database_url
    cluster = EmbeddedCluster(settings.data_dir)
    if start_embedded and cluster.start():
        print(f"started the embedded cluster in {cluster.data_dir}", file=sys.stderr)
    return cluster.url()


# -- campus db ---------------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    cluster = EmbeddedCluster(settings.data_dir)
    action = args.db_command
    if action == "start":
        print("started" if cluster.start() else "already running", cluster.data_dir)
    elif action == "stop":
        print("stopped" if cluster.stop() else "not running", cluster.data_dir)
    elif action == "status":
        pid = cluster.postmaster_pid()
        state = f"running (pid {pid})" if pid else ("stopped" if cluster.is_initialised() else "not initialised")
        print(f"{state}: {cluster.data_dir}")
        return 0 if pid else 3  # pg_ctl's convention: 3 means not running
    elif action == "url":
        print(cluster.url())
    elif action == "psql":
        cluster.start()
        psql = cluster.binaries.tool("psql")
        os.execv(psql, [psql, cluster.url(), *args.psql_args])
    elif action == "reset":
        if not args.yes:
            raise CommandError("reset deletes the embedded cluster and all its data; repeat with --yes")
        cluster.destroy()
        cluster.start()
        applied = Migrator(cluster.url()).up()
        print(f"reset {cluster.data_dir}: fresh cluster, {len(applied)} change(s) deployed")
    return 0


# -- campus migrate ----------------------------------------------------------------------------
def _print_status(migrator: Migrator) -> None:
    width = max((len(s.name) for s in migrator.status()), default=6)
    for status in migrator.status():
        when = status.applied_at.strftime("%Y-%m-%d %H:%M:%S UTC") if status.applied_at else "pending"
        print(f"{status.name:<{width}}  {when:<23}  {status.note}")


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    action = args.migrate_command
    if action == "plan":
        for change in read_plan(DB_DIR / "migrations"):  # the plan needs no database
            requires = f" [{' '.join(change.requires)}]" if change.requires else ""
            print(f"{change.name}{requires}  {change.planned_at}  {change.note}")
        return 0
    migrator = Migrator(_database_url(settings))
    if action == "up":
        applied = migrator.up(to=args.to)
        print(f"deployed {len(applied)} change(s)" + (f": {', '.join(applied)}" if applied else " (up to date)"))
    elif action == "down":
        reverted = migrator.down(to=args.to, everything=args.all)
        print(f"reverted {len(reverted)} change(s)" + (f": {', '.join(reverted)}" if reverted else ""))
    elif action == "status":
        _print_status(migrator)
    elif action == "verify":
        failures = 0
        for name, error in migrator.verify().items():
            print(f"{'ok' if error is None else 'FAILED'}  {name}" + (f": {error}" if error else ""))
            failures += error is not None
        return EXIT_FAILURE if failures else 0
    elif action == "refresh":
        if args.sql:
            sys.stdout.write(render_script(migrator.stateless_files()))
        else:
            migrator.refresh(force=True)
            print(f"re-applied {len(migrator.stateless_files())} stateless file(s)")
    return 0


# -- campus serve ------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from api.engine.settings import EngineSettings
    from api.server import serve

    engine = EngineSettings.from_file(args.config) if args.config else EngineSettings.from_env()
    for warning in engine.warnings:
        print(f"campus: {warning}", file=sys.stderr)
    engine = replace(engine, server_host=args.host or engine.server_host, server_port=args.port or engine.server_port)
    migrate = not args.no_migrate
    serve(engine, settings.data_dir, settings.database_url, migrate=migrate, demo=args.demo, workers=args.workers)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campus",
        description="Campus: a PostgreSQL-centric backend that speaks PostgREST's HTTP dialect. "
        "With no DATABASE_URL (or PGRST_DB_URI) set, commands use the embedded private cluster "
        "in CAMPUS_DATA_DIR (default ./.campus).",
    )
    parser.add_argument(
        "--log-format",
        choices=["console", "json"],
        default="console",
        help="readable lines (default) or JSON lines",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="migrate the database and serve HTTP",
        description="Start (if needed) and migrate the database, then serve HTTP "
        "until Ctrl-C or SIGTERM. GET /live and GET /ready report health.",
    )
    serve.add_argument("--host", help="address to listen on (default PGRST_SERVER_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default PGRST_SERVER_PORT or 3000)")
    serve.add_argument("--no-migrate", action="store_true", help="serve the database as it is")
    serve.add_argument(
        "--demo", action="store_true", help="load the small demo on first start and print accounts to sign in with"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes sharing the port (one per core; default 1)",
    )
    serve.add_argument(
        "--config", metavar="FILE", help="a PostgREST-format config file (PGRST_* variables override it)"
    )
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser(
        "db",
        help="manage the embedded PostgreSQL cluster",
        description="The embedded cluster lives in CAMPUS_DATA_DIR (default ./.campus) "
        "and listens only on a unix socket inside it.",
    )
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("start", help="initialise (first time) and start the cluster")
    db_commands.add_parser("stop", help="stop the cluster (fast shutdown)")
    db_commands.add_parser("status", help="say whether the cluster runs (exit 3 when it does not)")
    db_commands.add_parser("url", help="print the connection URL")
    psql = db_commands.add_parser("psql", help="open psql on the campus database")
    psql.add_argument("psql_args", nargs=argparse.REMAINDER, help="extra psql arguments")
    reset = db_commands.add_parser("reset", help="delete the cluster and start a fresh, migrated one")
    reset.add_argument("--yes", action="store_true", help="confirm that all data is deleted")
    db.set_defaults(handler=cmd_db)

    migrate = commands.add_parser(
        "migrate",
        help="deploy, revert and inspect schema changes",
        description="Changes come from db/migrations/sqitch.plan and run through "
        "yoyo, each in one transaction with its verify script. After every run that "
        "changed something, db/functions, db/views and db/policies are re-applied.",
    )
    migrate_commands = migrate.add_subparsers(dest="migrate_command", required=True, metavar="ACTION")
    up = migrate_commands.add_parser("up", help="deploy pending changes")
    up.add_argument("--to", metavar="CHANGE", help="stop after this change")
    down = migrate_commands.add_parser("down", help="revert the last change (or more)")
    target = down.add_mutually_exclusive_group()
    target.add_argument("--to", metavar="CHANGE", help="revert every change after this one")
    target.add_argument("--all", action="store_true", help="revert every change")
    migrate_commands.add_parser("status", help="list deployed and pending changes with times")
    migrate_commands.add_parser("verify", help="run the verify script of every deployed change")
    migrate_commands.add_parser("plan", help="list the plan's changes (no database needed)")
    refresh = migrate_commands.add_parser("refresh", help="re-apply functions, views and policies")
    refresh.add_argument(
        "--sql",
        action="store_true",
        help="print the script instead of running it (for sqitch users: pipe it to psql)",
    )
    migrate.set_defaults(handler=cmd_migrate)
    add_auth_parser(commands)
    add_import_parser(commands)
    add_demo_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_format, args.log_level)
    settings = Settings.from_env()
    handler: Callable[[argparse.Namespace, Settings], int] = args.handler
    try:
        return handler(args, settings)
    except psycopg.OperationalError as error:
        url = settings.database_url or EmbeddedCluster(settings.data_dir).url()
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        print(f"campus: cannot connect to {mask_password(url)}: {reason}", file=sys.stderr)
    except (ClusterError, CommandError, MigrationError, PlanError, StatelessError, SettingsError) as error:
        print(f"campus: {error}", file=sys.stderr)
    except (AuthCommandError, DemoError) as error:
        print(f"campus: {error}", file=sys.stderr)
    except psycopg.Error as error:  # e.g. a duplicate slug or a weak password, in the database's words
        print(f"campus: {error.diag.message_primary or error}", file=sys.stderr)
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
