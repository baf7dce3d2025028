"""`campus demo`: coherent demo data for the writing platform.

    campus demo load                         # the small demo (~200 users), in seconds
    campus demo load --scale large --seed 7  # ~30,000 users, 1,000,000 writing sessions, in minutes
    campus demo load --scale medium --replace
    campus demo accounts                     # the sample accounts to sign in with

`add_demo_parser(commands)` adds it to `campus`; `cmd_demo` is the handler and
`DemoError` its one-line failure. `campus serve --demo` calls `api.demo.ensure_demo(url)`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from api.cluster import EmbeddedCluster
from api.config import Settings
from api.demo.load import LoadReport, load, sample_accounts
from api.demo.model import SCALES, SampleAccount


def add_demo_parser(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser(
        "demo",
        help="load coherent demo data (institutions, people, courses, assignments, writing)",
        description="Generate deterministic demo data and load it with COPY in one transaction. "
        "Every demo user's password is the one printed with the sample accounts.",
    )
    actions = demo.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    loader = actions.add_parser("load", help="generate and load demo data")
    loader.add_argument("--scale", choices=list(SCALES), default="small", help="how much data (default small)")
    loader.add_argument("--seed", type=int, default=1, help="the same seed gives the same ids and e-mails")
    loader.add_argument("--replace", action="store_true", help="delete the demo data already loaded first")
    loader.add_argument("--no-progress", action="store_true", help="no progress bars")
    actions.add_parser("accounts", help="print the sample accounts of the loaded demo")
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    url = settings.database_url or _embedded(settings).url()
    if args.demo_command == "accounts":
        import psycopg

        with psycopg.connect(url) as conn:
            accounts = sample_accounts(conn)
        if not accounts:
            print("no demo data loaded; run `campus demo load`", file=sys.stderr)
            return 1
        print_accounts(accounts)
        return 0
    report = load(url, args.scale, args.seed, replace=args.replace, progress=not args.no_progress)
    _print_report(report)
    print_accounts(report.accounts)
    return 0


def print_accounts(accounts: list[SampleAccount], file: TextIO | None = None) -> None:
    """The sample accounts as `campus serve --demo` shows them (on stdout unless told)."""
    file = file or sys.stdout
    if not accounts:
        return
    print(f"Sample accounts ({accounts[0].institution}), password {accounts[0].password!r}:", file=file)
    for account in accounts:
        print(f"  {account.role:<9} {account.email:<32} {account.name}", file=file)


def _print_report(report: LoadReport) -> None:
    action = "replaced the demo data with" if report.replaced else "loaded"
    total = sum(report.rows.values())
    print(f"{action} the {report.scale} demo (seed {report.seed}): {total:,} rows in {report.total_seconds:.1f} s")
    width = max(map(len, report.rows))
    for name, count in report.rows.items():
        print(f"  {name:<{width}}  {count:>10,}  {report.seconds[name]:7.1f} s")


def _embedded(settings: Settings) -> EmbeddedCluster:
    """The embedded cluster, started and migrated (a fresh clone has neither)."""
    from api.migrations.runner import Migrator

    cluster = EmbeddedCluster(settings.data_dir)
    if cluster.start():
        print(f"started the embedded cluster in {cluster.data_dir}", file=sys.stderr)
    Migrator(cluster.url()).up()
    return cluster
