"""CPU time per request of the REST engine alone, in-process: `RestEngine.handle` driven sequentially.

No HTTP server and no load generator share the process, so the number is the engine's own Python
work per request (JWT, parse, plan, build, the libpq pipeline, the response object) — steadier
than wrk's req/s on a busy machine. Needs a database with bench/schema.sql loaded: pass `--url`
(the authenticator's URL of a cluster left by `read_bench.py --keep`), or let it start one.

    .venv/bin/python bench/engine_profile.py --url 'postgresql://authenticator@/campus?host=…'
    .venv/bin/python bench/engine_profile.py --url … --profile embed   # cProfile, top functions
    .venv/bin/python bench/engine_profile.py --url … --reference       # the minimal handler instead
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from aiohttp import web  # noqa: E402
from aiohttp.test_utils import make_mocked_request  # noqa: E402
from multidict import CIMultiDict  # noqa: E402
from scenarios import BY_NAME, Scenario  # noqa: E402

from api.engine.app import RestEngine  # noqa: E402
from api.engine.jwt import JwtVerifier  # noqa: E402
from api.engine.schema_cache import SchemaCacheHolder  # noqa: E402
from api.engine.settings import EngineSettings  # noqa: E402
from api.engine.tx import Executor, make_pool  # noqa: E402
from api.server import jwt_settings  # noqa: E402

Handle = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROUNDS = 7  # the best round is reported: other processes on the machine only ever add time


async def timed(handle: Handle, requests: list[web.Request], concurrency: int) -> float:
    """CPU µs per request of handling `requests`, `concurrency` at a time."""

    async def client(mine: list[web.Request]) -> None:
        for request in mine:
            await handle(request)

    started = time.process_time()
    await asyncio.gather(*(client(requests[i::concurrency]) for i in range(concurrency)))
    return (time.process_time() - started) / len(requests) * 1e6


def request_for(scenario: Scenario, n: int):
    headers = CIMultiDict({"Host": "127.0.0.1:18300", **scenario.headers})
    return make_mocked_request("GET", f"{scenario.path}?{scenario.query(n)}", headers=headers)


def reference_handlers(url: str, settings: EngineSettings) -> tuple[Any, dict[str, Handle]]:
    """bench/minimal_handler.py's per-scenario handlers (with the same pool size)."""
    import minimal_handler

    routes, set_config = minimal_handler.build_routes(settings, url)
    handler = minimal_handler.Handler(routes, set_config, settings, argparse.Namespace(api="pq", conninfo=url, pool=4))
    return handler, {route.scenario.name: handler.handler_for(route) for route in routes}


async def run(url: str, names: list[str], count: int, profile: str | None, reference: bool, concurrency: int) -> None:
    settings = EngineSettings.from_env({"PGRST_DB_URI": url, "PGRST_DB_SCHEMAS": "bench", "PGRST_DB_POOL": "4"})
    holder = SchemaCacheHolder()
    pool = make_pool(url, 4, 10.0)
    await pool.open(wait=True)
    await holder.start(url, settings.db_schemas, channel_enabled=False)
    engine = RestEngine(settings, JwtVerifier(jwt_settings(settings)), holder, Executor(pool))
    handlers: dict[str, Handle] = {}
    if reference:
        minimal, handlers = reference_handlers(url, settings)
        await minimal.pool.open(wait=True)
    draw = random.Random(7)
    try:
        for name in names:
            scenario = BY_NAME[name]
            handle = handlers.get(name, engine.handle)
            requests = [request_for(scenario, draw.randint(scenario.low, scenario.high)) for _ in range(count)]
            for request in requests[:50]:  # warm-up: prepared statements, caches
                assert (await handle(request)).status in (200, 206)
            profiler = cProfile.Profile() if profile == name else None
            if profiler is not None:
                profiler.enable()
            rounds = [await timed(handle, requests[i::ROUNDS], concurrency) for i in range(ROUNDS)]
            if profiler is not None:
                profiler.disable()
            print(f"{name:10} {min(rounds):7.1f} µs CPU/request (best of {ROUNDS} rounds, {count} requests)")
            if profiler is not None:
                pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
    finally:
        await holder.close()
        await pool.close()
        if reference:
            await minimal.pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the authenticator's URL of a database with bench/schema.sql")
    parser.add_argument("--scenarios", default=",".join(BY_NAME))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", help="a scenario to run under cProfile")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight (pool: 4 connections)")
    parser.add_argument("--reference", action="store_true", help="measure bench/minimal_handler.py instead")
    args = parser.parse_args()
    names = args.scenarios.split(",")
    if args.url:
        uvloop.run(run(args.url, names, args.requests, args.profile, args.reference, args.concurrency))
        return 0
    from read_bench import start_database

    directory = Path(tempfile.mkdtemp(prefix="campus-profile-"))
    cluster = None
    try:
        cluster, _, engine_url = start_database(directory)
        uvloop.run(run(engine_url, names, args.requests, args.profile, args.reference, args.concurrency))
    finally:
        if cluster is not None:
            cluster.destroy()
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
