"""The writing platform under load: `campus demo load --scale large`, then a mixed open-loop workload
through the real HTTP API of `campus serve --workers 2` (issue 6, acceptance 7 and 9).

    .venv/bin/python bench/writing_bench.py --record                       # the recorded run (~5 minutes)
    .venv/bin/python bench/writing_bench.py --scale medium --rate 200 --duration 10   # a quick look

What it does, all on 127.0.0.1 of this machine:

1. starts a throwaway cluster in a temporary directory with the project's own `EmbeddedCluster`
   (fsync, synchronous_commit and full_page_writes off, as bench/read_bench.py) and migrates it;
2. runs `campus demo load --scale S` into it and reports its wall time and the rows of every table;
3. starts `campus serve --no-migrate --workers 2` on it;
4. picks the students with the most open work (`--students`, default 1,000) and `--educators` (default
   100) educators from the loaded demo, plans every request of the run (bench/writing_workload.py: my
   courses, open an assignment, save a draft, submit, list notifications, search templates — a coherent
   sequence: drafts of each student's own open work, each submitted once after its drafts);
5. starts the generator as a separate process, which signs every account in through /auth/v1/token,
   then sends `--rate` requests/s for `--warmup` + `--duration` seconds open loop (on a fixed schedule,
   latency measured from the scheduled send time);
6. prints per operation and overall: count, errors (any non-2xx; a sample of each), p50/p95/p99/max,
   the achieved rate, how far sends lagged behind the schedule, and the CPU time of the server, of
   PostgreSQL and of the generator; `--record` writes bench/results/<date>-writing.md and .json with
   the command and the machine.

Targets (acceptance 9): p95 < 50 ms, p99 < 200 ms, no errors at 1,000 requests/s for 60 s on `large`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import psycopg  # noqa: E402
import writing_workload as workload  # noqa: E402

from api.cluster import EmbeddedCluster  # noqa: E402
from api.demo import DEMO_PASSWORD  # noqa: E402
from api.migrations.runner import Migrator  # noqa: E402

JWT_SECRET = "campus-bench-secret-that-is-long-enough-0123456789"
CLUSTER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "256MB",
}
TARGET_P95_MS = 50.0
TARGET_P99_MS = 200.0
# Acceptance 7: what `large` should hold.
EXPECTED_LARGE = {"auth.users": 30_000, "app.courses": 1_000, "app.assignments": 20_000,
                  "app.assignment_submissions": 300_000, "app.writing_sessions": 1_000_000}  # fmt: skip
TABLES = (
    "app.institutions", "auth.users", "app.profiles", "app.assignment_templates", "app.courses",
    "app.course_enrollments", "app.assignments", "app.assignment_submissions", "app.submission_collaborators",
    "app.documents", "app.document_collaborators", "app.document_versions", "app.writing_sessions",
    "app.submission_comments", "app.notifications",
)  # fmt: skip
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Options:
    scale: str = "large"
    rate: float = 1000.0
    duration: float = 60.0
    warmup: float = 5.0
    students: int = 1000
    educators: int = 100
    workers: int = 2
    seed: int = 7
    mix: dict[str, float] | None = None  # default: writing_workload.MIX


@dataclass
class Result:
    options: dict[str, Any]
    load_seconds: float
    rows: dict[str, int]
    sign_in_seconds: float
    accounts: dict[str, int]
    stats: list[workload.Stats]
    lag: dict[str, float]
    max_in_flight: int
    cpu_s: dict[str, float]
    planned: int
    planned_by_operation: dict[str, int]
    load_output: str = ""
    server_log: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def stat(self, operation: str) -> workload.Stats:
        return next(s for s in self.stats if s.operation == operation)

    def verdicts(self) -> list[str]:
        total = self.stat("all")

        def mark(ok: bool) -> str:
            return "met" if ok else "MISSED"

        return [
            f"p95 {total.p95_ms:.1f} ms (target < {TARGET_P95_MS:g}) — {mark(total.p95_ms < TARGET_P95_MS)}",
            f"p99 {total.p99_ms:.1f} ms (target < {TARGET_P99_MS:g}) — {mark(total.p99_ms < TARGET_P99_MS)}",
            f"errors {total.errors} (target 0) — {mark(total.errors == 0)}",
        ]


# -- processes -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) used so far by `root_pid` and its direct children."""
    used = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(entry.name) == root_pid or int(fields[1]) == root_pid:
            used += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


def campus_env(owner_url: str, engine_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGRST_") and k != "DATABASE_URL"}
    env.update({
        "DATABASE_URL": owner_url,
        "PGRST_DB_URI": engine_url,
        "PGRST_JWT_SECRET": JWT_SECRET,
        "PGRST_JWT_AUD": "authenticated",
        "CAMPUS_AUTH_RATE_LIMIT": "1000000/minute",  # thousands of sign-ins from one address, on purpose
    })  # fmt: skip
    return env


def load_demo(owner_url: str, engine_url: str, scale: str) -> tuple[float, str]:
    """`campus demo load --scale S` as an operator runs it: its wall time and its output."""
    command = [sys.executable, "-m", "api.cli", "demo", "load", "--scale", scale, "--no-progress"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=campus_env(owner_url, engine_url), capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"campus demo load failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def count_rows(owner_url: str) -> dict[str, int]:
    with psycopg.connect(owner_url) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}  # fixed names


class Server:
    """`campus serve --no-migrate --workers N` on 127.0.0.1."""

    def __init__(self, owner_url: str, engine_url: str, workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "api.cli", "--log-level", "WARNING", "serve", "--no-migrate"]
        command += ["--workers", str(workers), "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=campus_env(owner_url, engine_url), stdout=subprocess.DEVNULL, stderr=log.open("w")
        )

    def wait_until_serving(self, seconds: float = 60) -> None:
        """Ready, with every worker's schema cache loaded (consecutive good answers on fresh connections)."""
        import urllib.error
        import urllib.request

        deadline, successes = time.monotonic() + seconds, 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"campus serve exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/rpc/search_templates?query=essay", timeout=5) as r:
                    ok = r.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                ok = False
            successes = successes + 1 if ok else 0
            if successes >= 10:
                return
            time.sleep(0.05 if ok else 0.2)
        raise RuntimeError(f"campus serve did not become ready:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- the run ---------------------------------------------------------------------------------------
def run(
    owner_url: str,
    engine_url: str,
    options: Options,
    directory: Path,
    postmaster: int | None = None,
    load: bool = True,
) -> Result:
    """Load the demo into the (migrated, empty) database at `owner_url` (unless `load` is false: it is
    there already), serve it, and measure."""
    load_seconds, load_output = load_demo(owner_url, engine_url, options.scale) if load else (0.0, "")
    rows = count_rows(owner_url)
    print(
        f"campus demo load --scale {options.scale}: {load_seconds:.1f} s, {sum(rows.values()):,} rows", file=sys.stderr
    )
    server = Server(owner_url, engine_url, options.workers, directory / "server.log")
    try:
        server.wait_until_serving()
        margin = options.warmup + options.duration + 600  # no due date passes during the run
        with psycopg.connect(owner_url) as conn:
            cast = workload.choose_cast(conn, options.students, options.educators, DEMO_PASSWORD, margin)
        plan = workload.build_plan(
            cast, server.url, options.rate, options.duration, options.warmup, options.seed, mix=options.mix
        )
        plan_path, result_path = directory / "plan.json", directory / "outcome.json"
        workload.write_plan(plan, plan_path)
        print(
            f"planned {len(plan.requests):,} requests for {len(cast.students)} students "
            f"({len(cast.works):,} open works) and {len(cast.educators)} educators",
            file=sys.stderr,
        )
        generator = subprocess.Popen(
            [sys.executable, str(BENCH / "writing_workload.py"), str(plan_path), str(result_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert generator.stdout is not None
        generator.stdout.readline()  # "signed in": the timed part starts
        server_before = process_cpu(server.process.pid)
        pg_before = process_cpu(postmaster) if postmaster else 0.0
        if generator.wait() != 0:
            raise RuntimeError("the load generator failed (see its output above)")
        cpu = {"server": round(process_cpu(server.process.pid) - server_before, 1)}
        if postmaster:
            cpu["postgresql"] = round(process_cpu(postmaster) - pg_before, 1)
        outcome = workload.read_outcome(result_path)
        cpu["generator (timed part)"] = round(outcome.generator_cpu_s, 1)
    finally:
        server.stop()
    return Result(
        options=asdict(options),
        load_seconds=round(load_seconds, 1),
        rows=rows,
        sign_in_seconds=round(outcome.sign_in_seconds, 1),
        accounts={"students": len(cast.students), "educators": len(cast.educators), "open works": len(cast.works)},
        stats=workload.statistics(outcome, options.warmup, options.duration),
        lag=workload.lag_stats(outcome, options.warmup),
        max_in_flight=outcome.max_in_flight,
        cpu_s=cpu,
        planned=len(plan.requests),
        planned_by_operation={op: sum(r.operation == op for r in plan.requests) for op in workload.OPERATIONS},
        load_output=load_output,
        server_log=server.log.read_text()[-3000:],
    )


# -- reporting -------------------------------------------------------------------------------------
def report(result: Result, command: str, machine: dict[str, str]) -> str:
    o = result.options
    lines = [
        f"# Writing benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}`",
        "",
        "Machine: " + "; ".join(f"{k}: {v}" for k, v in machine.items()),
        "",
        f"## `campus demo load --scale {o['scale']}`: {result.load_seconds:.1f} s wall time",
        "",
        "| table | rows |" + (" expected (acceptance 7) |" if o["scale"] == "large" else ""),
        "|---|---:|" + ("---:|" if o["scale"] == "large" else ""),
    ]
    for table, count in result.rows.items():
        expected = f" ≈ {EXPECTED_LARGE[table]:,} |" if table in EXPECTED_LARGE else " |"
        lines.append(f"| {table} | {count:,} |" + (expected if o["scale"] == "large" else ""))
    lines += [
        "",
        f"## Open-loop mixed workload: {o['rate']:g} requests/s for {o['duration']:g} s "
        f"(after {o['warmup']:g} s of warm-up), `campus serve --workers {o['workers']}`",
        "",
        f"Accounts: {result.accounts['students']:,} students ({result.accounts['open works']:,} open submissions) and "
        f"{result.accounts['educators']:,} educators, signed in through /auth/v1/token in "
        f"{result.sign_in_seconds:.1f} s "
        "before the timed part. Mix (weights): "
        + ", ".join(f"{k} {v:g}" for k, v in (o["mix"] or workload.MIX).items())
        + ".",
        "",
        "| operation | count | errors | p50 ms | p95 ms | p99 ms | max ms | rate /s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result.stats:
        name = f"**{s.operation}**" if s.operation == "all" else s.operation
        lines.append(
            f"| {name} | {s.count:,} | {s.errors:,} | {s.p50_ms:.1f} | {s.p95_ms:.1f} | {s.p99_ms:.1f} | "
            f"{s.max_ms:.1f} | {s.rate:,.1f} |"
        )
    lag = result.lag
    sent = result.planned
    per_request = ", ".join(f"{k} {1e6 * v / max(sent, 1):,.0f} µs" for k, v in result.cpu_s.items())
    lines += [
        "",
        f"Generator: sends behind schedule p50 {lag['p50_ms']:.2f} ms, p99 {lag['p99_ms']:.2f} ms, "
        f"max {lag['max_ms']:.2f} ms; at most {result.max_in_flight} requests in flight.",
        "CPU seconds during the timed part (warm-up included): "
        + ", ".join(f"{k} {v}" for k, v in result.cpu_s.items())
        + f"; per request: {per_request}.",
        "",
        "Targets (acceptance 9):",
        "",
        *(f"- {v}" for v in result.verdicts()),
    ]
    samples = [(s.operation, e) for s in result.stats if s.operation != "all" for e in s.error_sample]
    if samples:
        lines += ["", "Error samples:", "", *(f"- {op}: `{e}`" for op, e in samples)]
    return "\n".join(lines) + "\n"


def machine_facts(owner_url: str) -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    with psycopg.connect(owner_url) as conn:
        postgres = conn.execute("select version()").fetchone()[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "api", "db"], capture_output=True, text=True, cwd=ROOT
    )
    import aiohttp

    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "kernel": platform.release(),
        "postgresql": postgres,
        "python": platform.python_version(),
        "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
        "aiohttp": aiohttp.__version__,
        "commit": commit.stdout.strip() + (" (api/ or db/ modified)" if dirty.stdout.strip() else ""),
        "cluster": ", ".join(f"{k}={v}" for k, v in CLUSTER_SETTINGS.items()),
    }


def record(result: Result, text: str, command: str, machine: dict[str, str], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"{dt.date.today().isoformat()}-writing"
    stem.with_suffix(".md").write_text(text)
    data = asdict(result)
    data.pop("server_log")
    data.update({"command": command, "machine": machine, "targets": {"p95_ms": TARGET_P95_MS, "p99_ms": TARGET_P99_MS}})
    stem.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n")
    return [stem.with_suffix(".md"), stem.with_suffix(".json")]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=["small", "medium", "large"], default="large")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second (default 1000)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (default 60)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds sent first and not counted (default 5)")
    parser.add_argument("--students", type=int, default=1000, help="students taking part (default 1000)")
    parser.add_argument("--educators", type=int, default=100, help="educators taking part (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="campus serve --workers (default 2)")
    parser.add_argument(
        "--mix", type=workload.parse_mix, help="operation=weight,... instead of the default mix (for diagnosis)"
    )
    parser.add_argument("--record", action="store_true", help="write bench/results/<date>-writing.md and .json")
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="where --record writes")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running and keep its directory")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(
        args.scale, args.rate, args.duration, args.warmup, args.students, args.educators, args.workers, mix=args.mix
    )
    executable = Path(sys.executable).absolute()
    python = str(executable.relative_to(ROOT)) if executable.is_relative_to(ROOT) else sys.executable
    command = shlex.join([python, "bench/writing_bench.py", *(argv if argv is not None else sys.argv[1:])])
    directory = Path(tempfile.mkdtemp(prefix="campus-writing-bench-"))
    cluster: EmbeddedCluster | None = None
    try:
        cluster = EmbeddedCluster(directory / "data", settings=CLUSTER_SETTINGS)
        cluster.start()
        owner, engine = cluster.url(), cluster.url(user="authenticator")
        Migrator(owner).up()
        result = run(owner, engine, options, directory, cluster.postmaster_pid())
        machine = machine_facts(owner)
        text = report(result, command, machine)
        print(text)
        if args.record:
            for path in record(result, text, command, machine, args.results):
                print(f"recorded {path.relative_to(ROOT)}", file=sys.stderr)
        return 0
    finally:
        if cluster is not None and not args.keep:
            cluster.destroy()
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        elif cluster is not None:
            print(f"kept {directory}; the cluster still runs: {cluster.url()}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
