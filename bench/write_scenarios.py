"""The write benchmark's requests, shared by the driver (bench/write_bench.py), the wrk script
(bench/wrk_write.lua) and the minimal reference handler (bench/minimal_handler.py).

Every scenario draws `n` uniformly from `[low, high]` per request (a fixed seed per wrk thread).
`query` may hold one `%d` (replaced by `n`); the body is built from `n` by the Lua function named
by `body` in bench/wrk_write.lua, and by `example_body` here for the checks and for the SQL the
minimal handler prepares — the two build the same shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

QUERY_SENTINEL = "__bench_value__"
BULK_ROWS = 1000
MINIMAL = {"Prefer": "return=minimal", "Content-Type": "application/json"}


@dataclass(frozen=True)
class WriteScenario:
    """One benchmarked write (or RPC) request shape against the `bench` schema."""

    name: str
    title: str
    method: str
    path: str  # below the API root, as Campus serves it
    query: str  # may contain one `%d`
    body: str  # the body builder in wrk_write.lua: none | insert | bulk | patch | bump
    status: int  # what Campus answers (checked for every target before measuring)
    low: int = 1
    high: int = 10_000
    rows: int = 1  # rows written per request (rows/s = req/s * rows)
    connections: int = 50  # wrk -c
    headers: dict[str, str] = field(default_factory=dict)

    def query_for(self, n: int | str) -> str:
        """The query string for `n` (an int, or the sentinel that marks its bind parameter)."""
        return self.query.replace("%d", str(n))

    @property
    def vary_param(self) -> str | None:
        """The query parameter carrying `n` (`id` in `id=eq.%d`), if any."""
        if "%d" not in self.query:
            return None
        return self.query.split("%d")[0].rsplit("&", 1)[-1].split("=", 1)[0]

    def example_body(self, n: int, tag: str = "check") -> bytes | None:
        """A body of this scenario's shape for `n` (what wrk_write.lua sends, up to the names)."""
        if self.body == "none":
            return None
        if self.body == "insert":
            document: object = {"name": f"{tag}-{n}", "n": n}
        elif self.body == "bulk":
            document = [{"name": f"{tag}-{n}-{i}", "n": i} for i in range(1, BULK_ROWS + 1)]
        elif self.body == "patch":
            document = {"n": n}
        else:  # bump
            document = {"id": n}
        return json.dumps(document, separators=(",", ":")).encode()


WRITE_SCENARIOS: tuple[WriteScenario, ...] = (
    WriteScenario("insert1", "POST one object, return=minimal", "POST", "/events", "", "insert", 201,
                  low=1, high=1_000_000, headers=MINIMAL),
    WriteScenario("bulk1000", f"POST an array of {BULK_ROWS:,} objects with columns=, return=minimal", "POST",
                  "/events", "columns=name,n", "bulk", 201, rows=BULK_ROWS, connections=8, headers=MINIMAL),
    WriteScenario("patch_pk", "PATCH one column of one row by primary key, return=minimal", "PATCH", "/events",
                  "id=eq.%d", "patch", 204, headers=MINIMAL),
    WriteScenario("rpc_bump", "POST /rpc/bump (volatile, update … returning)", "POST", "/rpc/bump", "", "bump", 200,
                  headers={"Content-Type": "application/json"}),
    WriteScenario("rpc_count", "GET /rpc/article_count (stable, counts an author's articles)", "GET",
                  "/rpc/article_count", "author=%d", "none", 200),
)  # fmt: skip

WRITE_BY_NAME = {scenario.name: scenario for scenario in WRITE_SCENARIOS}
