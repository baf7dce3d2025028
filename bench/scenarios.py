"""The read benchmark's four requests, shared by the driver (bench/read_bench.py), the wrk script
(bench/wrk_read.lua) and the minimal reference handler (bench/minimal_handler.py).

A scenario's query string is `prefix + (number_format % n) + suffix` with `n` drawn uniformly
from `[low, high]` for every request, so consecutive requests read different rows; a scenario
with no `number_format` sends one fixed URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VARY_SENTINEL = "__bench_value__"


@dataclass(frozen=True)
class Scenario:
    """One benchmarked request shape against the `bench` schema."""

    name: str
    title: str
    path: str  # below the API root, as Campus serves it
    prefix: str  # the query string up to the varying number
    number_format: str | None = None  # printf-style (Lua's string.format and Python's % agree)
    suffix: str = ""
    low: int = 0
    high: int = 0
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def varies(self) -> bool:
        return self.number_format is not None

    def query(self, n: int | None = None) -> str:
        """The query string for `n` (the scenario's lowest value when not given)."""
        if self.number_format is None:
            return self.prefix
        return self.prefix + self.number_format % (self.low if n is None else n) + self.suffix

    def sentinel_query(self) -> str:
        """The query string with the varying part replaced by a marker, to find its bind parameter."""
        return self.prefix + VARY_SENTINEL + self.suffix if self.varies else self.prefix

    @property
    def vary_param(self) -> str | None:
        """The query parameter that carries the varying value (`id` in `id=eq.123`)."""
        if not self.varies:
            return None
        return self.prefix.rsplit("&", 1)[-1].split("=", 1)[0]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "pk",
        "one row by primary key",
        "/articles",
        "id=eq.",
        "%d",
        low=1,
        high=100_000,
    ),
    Scenario(
        "filter20",
        "20 rows by an indexed filter",
        "/articles",
        "category=eq.cat-",
        "%04d",
        low=0,
        high=4_999,
    ),
    Scenario(
        "embed",
        "20 rows with a to-one and a to-many embed",
        "/articles",
        "select=id,title,category,author:authors(id,name),comments(id,author_name,body)&category=eq.cat-",
        "%04d",
        low=0,
        high=4_999,
    ),
    Scenario(
        "count",
        "a page of 20 with count=exact (100,000 rows counted)",
        "/articles",
        "select=id,title,published_at&order=id&limit=20&offset=200",
        headers={"Prefer": "count=exact"},
    ),
)

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
