"""The REST engine's write/RPC benchmark: `campus serve --workers N` against the minimal handler.

    .venv/bin/python bench/write_bench.py            # the full run (10 s per scenario), recorded
    .venv/bin/python bench/write_bench.py --quick    # 2 s per scenario, printed only

Reuses bench/read_bench.py's machinery (throwaway cluster, servers, wrk, CPU accounting) and adds
bench/write_schema.sql (`bench.events`, `bench.bump`, `bench.article_count`). For each scenario of
bench/write_scenarios.py (single insert, bulk insert of 1,000 rows with `columns=`, PATCH by
primary key, POST /rpc/bump, GET /rpc/article_count) it first checks that every target answers
with Campus's status and Content-Range (and body, for RPC) and that the rows land in the table,
then runs `wrk -t2 -c<scenario's connections> -d<seconds> --latency -s bench/wrk_write.lua`
against each target, and prints (and records in `bench/results/<date>-write.md` + `.json`) req/s,
p50, p99, the ratio campus/minimal and, for the bulk insert, rows/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path

import psycopg
import read_bench as rb
from read_bench import BENCH, ROOT, Measurement, Run, Server
from write_scenarios import WRITE_BY_NAME, WRITE_SCENARIOS, WriteScenario

from api.cluster import EmbeddedCluster

TARGETS = ("campus", "minimal")
TARGET_BULK_ROWS_PER_S = 50_000.0


# -- requests -----------------------------------------------------------------------------------
def path_of(server: Server, scenario: WriteScenario) -> str:
    """The scenario's path on `server` (the minimal handler prefixes its routes with the name)."""
    return ("" if server.name == "campus" else f"/{scenario.name}") + scenario.path


def send(server: Server, scenario: WriteScenario, n: int, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
    """One request of `scenario` with the varying value `n` and `body`; status, headers, body."""
    query = scenario.query_for(n)
    url = server.base() + path_of(server, scenario) + (f"?{query}" if query else "")
    request = urllib.request.Request(url, data=body, headers=scenario.headers, method=scenario.method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def check_writes(servers: list[Server], owner_url: str) -> None:
    """Every target answers every scenario as Campus does, and its writes land in bench.events."""
    with psycopg.connect(owner_url, autocommit=True) as conn:

        def scalar(query: str, *params: object) -> object:
            row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
            return row[0] if row else None

        for index, server in enumerate(servers):
            answers: dict[str, tuple[int, str | None, bytes]] = {}
            tag = f"check-{server.name}"
            for scenario in WRITE_SCENARIOS:
                n = 4242 + index
                if scenario.body == "insert":
                    status, headers, body = send(server, scenario, n, scenario.example_body(n, tag))
                    landed = scalar("select count(*) from bench.events where name = %s", f"{tag}-{n}") == 1
                elif scenario.body == "bulk":
                    status, headers, body = send(server, scenario, n, scenario.example_body(n, tag))
                    landed = scalar("select count(*) from bench.events where name like %s", f"{tag}-{n}-%") == 1000
                elif scenario.body == "patch":
                    value = 777_000 + index
                    status, headers, body = send(server, scenario, n, scenario.example_body(value))
                    landed = scalar("select n from bench.events where id = %s", n) == value
                elif scenario.body == "bump":
                    before = scalar("select n from bench.events where id = %s", n)
                    status, headers, body = send(server, scenario, n, scenario.example_body(n))
                    after = scalar("select n from bench.events where id = %s", n)
                    landed = after == int(before) + 1 and body == str(after).encode()  # type: ignore[arg-type]
                else:  # a read: the count PostgreSQL computes itself
                    status, headers, body = send(server, scenario, n, None)
                    expected = scalar("select count(*) from bench.articles where author_id = %s", n)
                    landed = body == str(expected).encode()
                if status != scenario.status or not landed:
                    raise RuntimeError(
                        f"{server.name} {scenario.name}: status {status} (expected {scenario.status}), "
                        f"effect in the table {'ok' if landed else 'MISSING'}: {body[:300]!r}"
                    )
                answers[scenario.name] = (
                    status,
                    headers.get("Content-Range"),
                    b"" if scenario.body == "bump" else body,
                )
            if index == 0:
                reference = answers
            elif answers != reference:
                raise RuntimeError(f"{server.name} answers differently from campus: {answers} vs {reference}")


# -- wrk -----------------------------------------------------------------------------------------
def wrk_command(server: Server, scenario: WriteScenario, seconds: float, threads: int, connections: int) -> list[str]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
    command += ["-s", str(BENCH / "wrk_write.lua"), server.base(), "--"]
    command += [scenario.method, path_of(server, scenario), scenario.query, scenario.body]
    command += [str(scenario.low), str(scenario.high)] + [f"{k}: {v}" for k, v in scenario.headers.items()]
    return command


def connections_for(scenario: WriteScenario, args: argparse.Namespace) -> int:
    return args.bulk_connections if scenario.name == "bulk1000" else args.connections


# -- reporting -----------------------------------------------------------------------------------
def find(run: Run, target: str, scenario: str) -> Measurement | None:
    return next((m for m in run.measurements if (m.target, m.scenario) == (target, scenario)), None)


def table(run: Run) -> str:
    lines = [
        "| scenario | wrk -c | campus req/s | p50 ms | p99 ms | minimal req/s | p50 ms | p99 ms "
        "| ratio campus/minimal | campus rows/s | minimal rows/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in WRITE_SCENARIOS:
        campus, minimal = find(run, "campus", scenario.name), find(run, "minimal", scenario.name)
        if campus is None and minimal is None:
            continue
        cells = [scenario.name, str(run.settings["connections"][scenario.name])]
        for m in (campus, minimal):
            cells += [f"{m.rps:,.0f}", f"{m.p50_ms:.1f}", f"{m.p99_ms:.1f}"] if m else ["-"] * 3
        cells.append(f"{campus.rps / minimal.rps:.2f}" if campus and minimal else "-")
        for m in (campus, minimal):
            cells.append(f"{m.rps * scenario.rows:,.0f}" if m else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_table(run: Run) -> str:
    cores = rb.os.cpu_count() or 1
    lines = [
        f"| scenario | target | server CPU µs/req | PostgreSQL CPU µs/req | CPU busy (of {cores} cores) | errors |",
        "|---|---|---:|---:|---:|---|",
    ]
    for scenario in WRITE_SCENARIOS:
        for target in TARGETS:
            m = find(run, target, scenario.name)
            if m is None:
                continue
            busy = (m.server_cpu_s + m.postgres_cpu_s + m.wrk_cpu_s) / (m.seconds * cores)
            lines.append(
                f"| {scenario.name} | {target} | {m.server_us_per_request:,.0f} | {m.postgres_us_per_request:,.0f} "
                f"| {busy:.0%} | {json.dumps(m.errors) if m.errors else ''} |"
            )
    return "\n".join(lines)


def verdict(run: Run) -> str:
    bulk = find(run, "campus", "bulk1000")
    if bulk is None:
        return "- bulk1000 not measured"
    rows = bulk.rps * WRITE_BY_NAME["bulk1000"].rows
    mark = "met" if rows >= TARGET_BULK_ROWS_PER_S else "MISSED"
    return f"- bulk1000 through Campus: {rows:,.0f} rows/s (target ≥ {TARGET_BULK_ROWS_PER_S:,.0f}) — {mark}"


def report(run: Run) -> str:
    parts = [
        f"# Write/RPC benchmark — {run.started}",
        "",
        f"Command: `{run.command}`",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in run.machine.items()),
        "",
        "Settings: " + "; ".join(f"{k}: {v}" for k, v in run.settings.items() if k != "connections"),
        "",
        "Scenarios (anonymous, `bench.events` seeded with 10,000 rows; n uniform in [low, high] per request):",
        "",
    ]
    for s in WRITE_SCENARIOS:
        query = f"?{s.query_for('<n>')}" if s.query else ""
        example = (s.example_body(7, "x") or b"").decode()
        body = f", body `{example[:60]}{'…' if len(example) > 60 else ''}`" if example else ""
        extra = "".join(f" + `{k}: {v}`" for k, v in s.headers.items())
        parts.append(f"- `{s.name}` — {s.title}: `{s.method} {s.path}{query}`{body}{extra}, n in [{s.low}, {s.high}]")
    parts += ["", f"## {run.settings['workers']} worker processes per target", "", table(run), "", cpu_table(run)]
    parts += ["", "Target (campus):", "", verdict(run)]
    return "\n".join(parts) + "\n"


def record(run: Run, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{run.started[:10]}-write" + ("-durable" if run.settings.get("durable") else "")
    markdown, data = directory / f"{stem}.md", directory / f"{stem}.json"
    markdown.write_text(report(run))
    payload = asdict(run)
    for item, m in zip(payload["measurements"], run.measurements, strict=True):
        item["server_us_per_request"] = round(m.server_us_per_request, 1)
        item["postgres_us_per_request"] = round(m.postgres_us_per_request, 1)
        item["rows_per_s"] = round(m.rps * WRITE_BY_NAME[m.scenario].rows, 1)
    data.write_text(json.dumps(payload, indent=2) + "\n")
    return markdown, data


# -- the run -------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Write/RPC benchmark: campus serve vs a minimal handler.")
    parser.add_argument("--quick", action="store_true", help="2 s per scenario, 1 s warm-up, not recorded")
    parser.add_argument("--duration", type=float, help="seconds per measured run (default 10; --quick: 2)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per run (default 3; --quick: 1)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per target (default 2)")
    parser.add_argument("--pool", type=int, default=4, help="connections per worker process (default 4)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--bulk-connections", type=int, default=8, help="wrk connections for bulk1000 (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--scenarios", default=",".join(WRITE_BY_NAME), help="comma-separated scenario names")
    parser.add_argument(
        "--record", action=argparse.BooleanOptionalAction, help="write bench/results (default: unless --quick)"
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="where to record")
    parser.add_argument("--base-port", type=int, default=18400)
    parser.add_argument("--durable", action="store_true", help="keep fsync, synchronous_commit and full_page_writes on")
    args = parser.parse_args(argv)
    args.duration = args.duration or (2.0 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.record = (not args.quick) if args.record is None else args.record
    args.scenario_list = [WRITE_BY_NAME[name] for name in args.scenarios.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("write_bench: wrk is not installed (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 1
    directory = Path(tempfile.mkdtemp(prefix="campus-write-bench-"))
    cluster: EmbeddedCluster | None = None
    servers: list[Server] = []
    try:
        cluster, owner, engine = rb.start_database(directory, ("write_schema.sql",), durable=args.durable)
        postmaster = cluster.postmaster_pid()
        assert postmaster is not None
        run = Run(
            started=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            command=shlex.join([rb._python(), "bench/write_bench.py", *(argv if argv is not None else sys.argv[1:])]),
            machine=rb.machine_facts(owner),
            settings={
                "workers": args.workers,
                "wrk": f"-t{args.threads} -c{args.connections} (bulk1000: -c{args.bulk_connections}) "
                f"-d{args.duration:g}s --latency",
                "warm-up": f"{args.warmup:g} s per target and scenario",
                "pool per worker": args.pool,
                "cluster": ", ".join(f"{k}={v}" for k, v in rb.cluster_settings(args.durable).items()),
                "durable": args.durable,
                "connections": {s.name: connections_for(s, args) for s in WRITE_SCENARIOS},
            },
        )
        for i, name in enumerate(TARGETS):
            port = args.base_port + i
            servers.append(rb.start_server(name, port, args.workers, args.pool, owner, engine, directory))
        for server in servers:
            rb.wait_until_serving(server)
        check_writes(servers, owner)
        print("checked: same statuses, Content-Range and RPC bodies; the rows landed", file=sys.stderr)
        for index, scenario in enumerate(args.scenario_list):
            conns = connections_for(scenario, args)
            for server in servers if index % 2 == 0 else list(reversed(servers)):
                if args.warmup:
                    rb.run_wrk(wrk_command(server, scenario, args.warmup, args.threads, conns))
                command = wrk_command(server, scenario, args.duration, args.threads, conns)
                m = rb.measure_command(server, command, scenario.name, args.workers, postmaster)
                run.measurements.append(m)
                print(
                    f"{scenario.name:<10} {server.name:<8} {m.rps:>8,.0f} req/s  p50 {m.p50_ms:6.1f} ms  "
                    f"p99 {m.p99_ms:6.1f} ms  rows/s {m.rps * scenario.rows:>9,.0f}  cpu/req server "
                    f"{m.server_us_per_request:6.0f} µs, pg {m.postgres_us_per_request:6.0f} µs"
                    + (f"  errors {m.errors}" if m.errors else ""),
                    file=sys.stderr,
                    flush=True,
                )
        with psycopg.connect(owner) as conn:
            row = conn.execute("select count(*) from bench.events").fetchone()
        print(f"bench.events holds {row[0] if row else '?'} rows at the end", file=sys.stderr)
        print(report(run))
        if args.record:
            markdown, data = record(run, args.results)
            print(f"recorded {markdown.relative_to(ROOT)} and {data.relative_to(ROOT)}", file=sys.stderr)
        return 0
    finally:
        for server in servers:
            server.stop()
        if cluster is not None:
            cluster.destroy()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
