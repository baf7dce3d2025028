"""The REST engine's read benchmark: `campus serve --workers N` against a minimal hand-written handler.

    .venv/bin/python bench/read_bench.py            # the full run (10 s per scenario), recorded
    .venv/bin/python bench/read_bench.py --quick    # 2 s per scenario, printed only

What it does, all on 127.0.0.1 of this machine:

1. starts a throwaway PostgreSQL cluster with the project's own code (`api.cluster.EmbeddedCluster`),
   migrates it (`api.migrations.runner.Migrator`) and loads `bench/schema.sql` (100,000 articles);
2. for each worker count N: starts `python -m api.cli serve --no-migrate --workers N` and the
   reference `bench/minimal_handler.py --workers N` (same pool size, same SQL, same transaction);
   checks that both return byte-identical bodies for every scenario;
3. for each scenario (bench/scenarios.py) and each target: a warm-up, then
   `wrk -t2 -c50 -d<seconds> --latency -s bench/wrk_read.lua`, measuring req/s, p50 and p99, and
   the CPU time the server's processes, PostgreSQL's and wrk's used during the run;
4. prints one table per N and writes `bench/results/<date>-read.md` and `.json` with the machine
   facts and this command line.

Needs `wrk` (Debian: `apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import psycopg  # noqa: E402
from scenarios import BY_NAME, SCENARIOS, Scenario  # noqa: E402

from api.cluster import EmbeddedCluster  # noqa: E402
from api.migrations.runner import Migrator  # noqa: E402

JWT_SECRET = "campus-bench-secret-that-is-long-enough-0123456789"
# A throwaway cluster: durability buys nothing (reads only; commits of read-only transactions
# write no WAL anyway). Room for every pool of every target at once.
CLUSTER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "256MB",
}
TARGETS = {
    "campus": "campus serve",
    "minimal": "minimal handler (psycopg.pq pipeline)",
    "minimal-psycopg": "minimal handler (psycopg ordinary API)",
}
TARGET_RATIO = 0.8
TARGET_FILTER_RPS = 4000.0
TARGET_P99_MS = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- measurements -------------------------------------------------------------------------------
@dataclass
class Measurement:
    """One wrk run against one target for one scenario."""

    target: str
    scenario: str
    workers: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    server_cpu_s: float  # the target's processes (all workers)
    server_cpu_by_process: list[float]  # the same, per process (shows how SO_REUSEPORT spread the load)
    postgres_cpu_s: float  # every backend of the cluster
    wrk_cpu_s: float

    @property
    def server_us_per_request(self) -> float:
        return 1e6 * self.server_cpu_s / max(self.requests, 1)

    @property
    def postgres_us_per_request(self) -> float:
        return 1e6 * self.postgres_cpu_s / max(self.requests, 1)


@dataclass
class Run:
    """Everything one invocation measured, with what is needed to repeat it."""

    started: str
    command: str
    machine: dict[str, str]
    settings: dict[str, Any]
    measurements: list[Measurement] = field(default_factory=list)


def process_tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) used so far by `root_pid` and its direct children."""
    return sum(process_cpu(root_pid).values())


def process_cpu(root_pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by `root_pid` and by each of its direct children."""
    used: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, ppid = int(entry.name), int(fields[1])
        if pid == root_pid or ppid == root_pid:
            used[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return used


# -- the database ---------------------------------------------------------------------------------
def cluster_settings(durable: bool = False) -> dict[str, str]:
    """The throwaway cluster's settings; `durable` keeps PostgreSQL's defaults for fsync & co."""
    if not durable:
        return CLUSTER_SETTINGS
    return {k: v for k, v in CLUSTER_SETTINGS.items() if k not in {"fsync", "synchronous_commit", "full_page_writes"}}


def start_database(
    directory: Path, extra_sql: tuple[str, ...] = (), *, durable: bool = False
) -> tuple[EmbeddedCluster, str, str]:
    """A migrated throwaway cluster with bench/schema.sql (then `extra_sql`, files in bench/) loaded;
    returns it, the owner's URL and the engine's (authenticator's) URL."""
    cluster = EmbeddedCluster(directory / "data", settings=cluster_settings(durable))
    cluster.start()
    owner = cluster.url()
    Migrator(owner).up()
    started = time.perf_counter()
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute((BENCH / "schema.sql").read_bytes(), prepare=False)
        for name in extra_sql:
            conn.execute((BENCH / name).read_bytes(), prepare=False)
        conn.execute(b"vacuum (analyze) bench.authors, bench.articles, bench.comments", prepare=False)
    print(
        f"loaded bench/schema.sql{''.join(', bench/' + n for n in extra_sql)} in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return cluster, owner, cluster.url(user="authenticator")


def machine_facts(owner_url: str) -> dict[str, str]:
    cpu = "?"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("select version()").fetchone()
        postgres = row[0] if row else "?"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "api"], capture_output=True, text=True, cwd=ROOT)
    import aiohttp
    import uvloop

    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": _memory(),
        "kernel": platform.release(),
        "postgresql": postgres,
        "python": platform.python_version(),
        "psycopg": f"{psycopg.__version__} (libpq {psycopg.pq.version()}, {psycopg.pq.__impl__})",
        "aiohttp": aiohttp.__version__,
        "uvloop": uvloop.__version__,
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0].strip() if (wrk.stdout or wrk.stderr) else "?",
        "commit": commit.stdout.strip() + (" (api/ modified)" if dirty.stdout.strip() else ""),
    }


def _python() -> str:
    """This interpreter as the command line should show it (relative inside the project)."""
    executable = Path(sys.executable).absolute()
    return str(executable.relative_to(ROOT)) if executable.is_relative_to(ROOT) else str(executable)


def _memory() -> str:
    with open("/proc/meminfo") as info:
        kb = int(info.readline().split()[1])
    return f"{kb / 1024 / 1024:.0f} GiB"


# -- the servers ----------------------------------------------------------------------------------
@dataclass
class Server:
    """A target process (with its workers) listening on `port`."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, scenario: Scenario, n: int | None = None) -> str:
        prefix = "" if self.name == "campus" else f"/{scenario.name}"
        return f"http://127.0.0.1:{self.port}{prefix}{scenario.path}?{scenario.query(n)}"

    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(name: str, port: int, workers: int, pool: int, owner_url: str, engine_url: str, logs: Path) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_") and k != "DATABASE_URL"}
    env.update({
        "DATABASE_URL": owner_url,
        "PGRST_DB_URI": engine_url,
        "PGRST_DB_SCHEMAS": "bench",
        "PGRST_JWT_SECRET": JWT_SECRET,
        "PGRST_DB_POOL": str(pool),
    })  # fmt: skip
    if name == "campus":
        command = [sys.executable, "-m", "api.cli", "--log-level", "WARNING", "serve", "--no-migrate"]
        command += ["--workers", str(workers), "--port", str(port)]
    else:
        api = "pq" if name == "minimal" else "psycopg"
        command = [sys.executable, str(BENCH / "minimal_handler.py"), "--api", api]
        command += ["--workers", str(workers), "--port", str(port), "--pool", str(pool)]
    log = logs / f"{name}-{workers}.log"
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    return Server(name, port, process, log)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_serving(server: Server, seconds: float = 60) -> None:
    """Ready, and every worker's schema cache loaded: a run of consecutive successful reads
    on fresh connections (which SO_REUSEPORT spreads over the workers)."""
    deadline = time.monotonic() + seconds
    probe = server.url(SCENARIOS[0])
    successes = 0
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()}")
        try:
            ok = fetch(server.base() + "/ready")[0] == 200 and fetch(probe)[0] == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            ok = False
        successes = successes + 1 if ok else 0
        if successes >= 20:
            return
        time.sleep(0.02 if ok else 0.2)
    raise RuntimeError(f"{server.name} did not become ready:\n{server.log.read_text()}")


def check_same_answers(servers: list[Server]) -> None:
    """Every target must answer every scenario with the same status, Content-Range and body bytes."""
    for scenario in SCENARIOS:
        for n in sorted({scenario.low, scenario.high, (scenario.low + scenario.high) // 2}):
            answers = {s.name: fetch(s.url(scenario, n), scenario.headers) for s in servers}
            reference = answers["campus"]
            if reference[0] not in (200, 206):
                raise RuntimeError(f"campus answered {reference[0]} to {scenario.name}: {reference[2][:300]!r}")
            for name, (status, headers, body) in answers.items():
                if (status, headers.get("Content-Range"), body) != (
                    reference[0],
                    reference[1].get("Content-Range"),
                    reference[2],
                ):
                    raise RuntimeError(
                        f"{name} differs from campus on {scenario.name} (n={n}): {status} "
                        f"{headers.get('Content-Range')} {body[:200]!r} vs {reference[1].get('Content-Range')} "
                        f"{reference[2][:200]!r}"
                    )


# -- wrk ------------------------------------------------------------------------------------------
def wrk_command(server: Server, scenario: Scenario, seconds: float, threads: int, connections: int) -> list[str]:
    path = ("" if server.name == "campus" else f"/{scenario.name}") + scenario.path
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "5s"]
    command += ["-s", str(BENCH / "wrk_read.lua"), server.base(), "--"]
    command += [path, scenario.prefix, scenario.number_format or "", scenario.suffix, str(scenario.low)]
    command += [str(scenario.high)] + [f"{k}: {v}" for k, v in scenario.headers.items()]
    return command


def run_wrk(command: list[str]) -> dict[str, Any]:
    """Run wrk and return its BENCH_JSON summary (printed by bench/wrk_read.lua)."""
    process = subprocess.run(command, capture_output=True, text=True)
    for line in process.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    raise RuntimeError(f"wrk printed no summary: {process.stdout}\n{process.stderr}")


def measure(
    server: Server, scenario: Scenario, workers: int, seconds: float, args: argparse.Namespace, postmaster: int
) -> Measurement:
    command = wrk_command(server, scenario, seconds, args.threads, args.connections)
    return measure_command(server, command, scenario.name, workers, postmaster)


def measure_command(server: Server, command: list[str], scenario: str, workers: int, postmaster: int) -> Measurement:
    """Run one wrk `command` against `server`, with the CPU time of everything involved."""
    server_before, pg_before = process_cpu(server.process.pid), process_tree_cpu(postmaster)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = run_wrk(command)  # its CPU time: RUSAGE_CHILDREN grows by it
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after, pg_after = process_cpu(server.process.pid), process_tree_cpu(postmaster)
    per_process = {pid: round(used - server_before.get(pid, 0.0), 2) for pid, used in server_after.items()}
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    duration = summary["duration_us"] / 1e6
    errors = {k: summary[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")}
    return Measurement(
        target=server.name,
        scenario=scenario,
        workers=workers,
        seconds=round(duration, 2),
        requests=summary["requests"],
        rps=round(summary["requests"] / duration, 1),
        p50_ms=summary["p50_us"] / 1000,
        p90_ms=summary["p90_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        errors={k: v for k, v in errors.items() if v},
        server_cpu_s=round(sum(per_process.values()), 2),
        server_cpu_by_process=sorted((v for v in per_process.values() if v > 0), reverse=True),
        postgres_cpu_s=round(pg_after - pg_before, 2),
        wrk_cpu_s=round(wrk_cpu, 2),
    )


# -- reporting ------------------------------------------------------------------------------------
def find(run: Run, target: str, scenario: str, workers: int) -> Measurement | None:
    return next((m for m in run.measurements if (m.target, m.scenario, m.workers) == (target, scenario, workers)), None)


def table(run: Run, workers: int) -> str:
    """One markdown table for one worker count."""
    targets = [t for t in TARGETS if any(m.target == t and m.workers == workers for m in run.measurements)]
    head = ["scenario"]
    for target in targets:
        head += [f"{target} req/s", "p50 ms", "p99 ms"]
    head += ["ratio campus/minimal"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
    for scenario in SCENARIOS:
        cells = [scenario.name]
        for target in targets:
            m = find(run, target, scenario.name, workers)
            cells += [f"{m.rps:,.0f}", f"{m.p50_ms:.1f}", f"{m.p99_ms:.1f}"] if m else ["-"] * 3
        campus, minimal = find(run, "campus", scenario.name, workers), find(run, "minimal", scenario.name, workers)
        cells.append(f"{campus.rps / minimal.rps:.2f}" if campus and minimal else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_table(run: Run, workers: int) -> str:
    """Where the CPU went: per request, in the server's processes, in PostgreSQL, in wrk."""
    lines = [
        "| scenario | target | server CPU µs/req | PostgreSQL CPU µs/req | wrk CPU µs/req "
        "| CPU busy (of 2 cores) | server CPU s per process | errors |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    cores = os.cpu_count() or 1
    for scenario in SCENARIOS:
        for target in TARGETS:
            m = find(run, target, scenario.name, workers)
            if m is None:
                continue
            busy = (m.server_cpu_s + m.postgres_cpu_s + m.wrk_cpu_s) / (m.seconds * cores)
            wrk_us = 1e6 * m.wrk_cpu_s / max(m.requests, 1)
            lines.append(
                f"| {scenario.name} | {target} | {m.server_us_per_request:.0f} | {m.postgres_us_per_request:.0f} | "
                f"{wrk_us:.0f} | {busy:.0%} | {' / '.join(f'{v:.1f}' for v in m.server_cpu_by_process)} | "
                f"{json.dumps(m.errors) if m.errors else ''} |"
            )
    return "\n".join(lines).replace("of 2 cores", f"of {cores} cores")


def verdicts(run: Run, workers: int) -> list[str]:
    """The issue's targets, checked for one worker count."""
    out = []
    for scenario in SCENARIOS:
        campus, minimal = find(run, "campus", scenario.name, workers), find(run, "minimal", scenario.name, workers)
        if campus and minimal:
            ratio = campus.rps / minimal.rps
            mark = "met" if ratio >= TARGET_RATIO else "MISSED"
            out.append(f"- {scenario.name}: ratio {ratio:.2f} (target ≥ {TARGET_RATIO}) — {mark}")
        if campus:
            mark = "met" if campus.p99_ms <= TARGET_P99_MS else "MISSED"
            out.append(f"- {scenario.name}: campus p99 {campus.p99_ms:.1f} ms (target ≤ {TARGET_P99_MS:g} ms) — {mark}")
    filt = find(run, "campus", "filter20", workers)
    if filt:
        mark = "met" if filt.rps >= TARGET_FILTER_RPS else "MISSED"
        out.append(f"- filter20: campus {filt.rps:,.0f} req/s (target ≥ {TARGET_FILTER_RPS:,.0f}) — {mark}")
    return out


def report(run: Run) -> str:
    parts = [
        f"# Read benchmark — {run.started}",
        "",
        f"Command: `{run.command}`",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in run.machine.items()),
        "",
        "Settings: " + "; ".join(f"{k}: {v}" for k, v in run.settings.items()),
        "",
        "Scenarios (GET, anonymous, against `bench.articles`, 100,000 rows):",
        "",
    ]
    for scenario in SCENARIOS:
        example = f"{scenario.path}?{scenario.query()}"
        extra = "".join(f" + `{k}: {v}`" for k, v in scenario.headers.items())
        vary = f", n uniform in [{scenario.low}, {scenario.high}]" if scenario.varies else ""
        parts.append(f"- `{scenario.name}` — {scenario.title}: `{example}`{extra}{vary}")
    for workers in sorted({m.workers for m in run.measurements}):
        parts += [
            "",
            f"## {workers} worker process{'es' if workers > 1 else ''} per target",
            "",
            table(run, workers),
            "",
            cpu_table(run, workers),
            "",
            "Targets (campus):",
            "",
            *verdicts(run, workers),
        ]
    return "\n".join(parts) + "\n"


def record(run: Run, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{run.started[:10]}-read"
    markdown, data = directory / f"{stem}.md", directory / f"{stem}.json"
    markdown.write_text(report(run))
    payload = asdict(run)
    for item, m in zip(payload["measurements"], run.measurements, strict=True):
        item["server_us_per_request"] = round(m.server_us_per_request, 1)
        item["postgres_us_per_request"] = round(m.postgres_us_per_request, 1)
    data.write_text(json.dumps(payload, indent=2) + "\n")
    return markdown, data


# -- the run --------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Read benchmark: campus serve vs a minimal handler (see module doc).")
    parser.add_argument("--quick", action="store_true", help="2 s per scenario, 1 s warm-up, N=2, not recorded")
    parser.add_argument("--duration", type=float, help="seconds per measured run (default 10; --quick: 2)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per run (default 3; --quick: 1)")
    parser.add_argument("--workers", help="comma-separated worker counts (default 1,2; --quick: 2)")
    parser.add_argument("--pool", type=int, default=4, help="connections per worker process (default 4)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--scenarios", default=",".join(BY_NAME), help="comma-separated scenario names")
    parser.add_argument(
        "--targets", default=",".join(TARGETS), help=f"comma-separated, from {', '.join(TARGETS)} (campus required)"
    )
    parser.add_argument(
        "--record", action=argparse.BooleanOptionalAction, help="write bench/results (default: unless --quick)"
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="where to record")
    parser.add_argument("--base-port", type=int, default=18300)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the cluster running and keep its directory and the server logs (for profiling)",
    )
    args = parser.parse_args(argv)
    args.duration = args.duration or (2.0 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    args.workers = [int(w) for w in (args.workers or ("2" if args.quick else "1,2")).split(",")]
    args.record = (not args.quick) if args.record is None else args.record
    args.scenario_list = [BY_NAME[name] for name in args.scenarios.split(",")]
    args.target_list = [t for t in TARGETS if t in args.targets.split(",")]
    if "campus" not in args.target_list:
        parser.error("--targets must include campus")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("read_bench: wrk is not installed (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 1
    directory = Path(tempfile.mkdtemp(prefix="campus-bench-"))
    cluster: EmbeddedCluster | None = None
    try:
        cluster, owner, engine = start_database(directory)
        postmaster = cluster.postmaster_pid()
        assert postmaster is not None
        run = Run(
            started=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            command=shlex.join([_python(), "bench/read_bench.py", *(argv if argv is not None else sys.argv[1:])]),
            machine=machine_facts(owner),
            settings={
                "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration:g}s --latency",
                "warm-up": f"{args.warmup:g} s per target and scenario",
                "pool per worker": args.pool,
                "cluster": ", ".join(f"{k}={v}" for k, v in CLUSTER_SETTINGS.items()),
            },
        )
        for workers in args.workers:
            run_workers(run, workers, args, owner, engine, directory, postmaster)
        print(report(run))
        if args.record:
            markdown, data = record(run, args.results)
            print(f"recorded {markdown.relative_to(ROOT)} and {data.relative_to(ROOT)}", file=sys.stderr)
        return 0
    finally:
        if cluster is not None and not args.keep:
            cluster.destroy()
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            running = f"; the cluster still runs, stop it with EmbeddedCluster(...).destroy(): {cluster.url()}"
            print(f"kept {directory}" + (running if cluster is not None else ""), file=sys.stderr)


def run_workers(
    run: Run, workers: int, args: argparse.Namespace, owner: str, engine: str, directory: Path, postmaster: int
) -> None:
    servers: list[Server] = []
    try:
        for i, name in enumerate(args.target_list):
            port = args.base_port + 10 * workers + i
            servers.append(start_server(name, port, workers, args.pool, owner, engine, directory))
        for server in servers:
            wait_until_serving(server)
        check_same_answers(servers)
        for index, scenario in enumerate(args.scenario_list):
            order = servers if index % 2 == 0 else list(reversed(servers))  # neither always goes first
            for server in order:
                if args.warmup:
                    run_wrk(wrk_command(server, scenario, args.warmup, args.threads, args.connections))
                measurement = measure(server, scenario, workers, args.duration, args, postmaster)
                run.measurements.append(measurement)
                print(
                    f"N={workers} {scenario.name:<9} {server.name:<16} {measurement.rps:>8,.0f} req/s  "
                    f"p50 {measurement.p50_ms:6.1f} ms  p99 {measurement.p99_ms:6.1f} ms  "
                    f"cpu/req server {measurement.server_us_per_request:5.0f} µs, "
                    f"pg {measurement.postgres_us_per_request:5.0f} µs"
                    + (f"  errors {measurement.errors}" if measurement.errors else ""),
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
