"""The Supabase JavaScript client (@supabase/postgrest-js, pinned in js/package.json) writing and calling
functions through Campus.

`js/writes.mjs` runs every check against the session server and exits non-zero if any failed; it reads
its own writes back through the API. This test then checks, with SQL, the rows it left in the database:
ids 6000-6999 of test.items and test.notes, codes `js-*` of test2.entries, and the one increment of
test.counter by `bump` (its GET call must write nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from support.server import RunningServer

JS_DIR = Path(__file__).with_name("js")
RUN_TIMEOUT = 120
COUNTER = "select hits from test.counter where id = 1"

# What writes.mjs leaves behind, as (id, name, qty, client_id).
ITEMS: list[tuple[Any, ...]] = [
    (6000, "js pen", 1, None),
    (6010, "cap", 1, 2), (6011, "lid", 2, None),
    (6020, "a", 3, None), (6021, "b", 4, None), (6022, "c", 5, None), (6023, "d", 1, None), (6024, "e", 1, 1),
    (6030, "no qty", 1, None), (6031, "qty", 7, None),
    (6050, "newer", 5, None), (6051, "fresh", 7, None),
    (6060, "first", 2, None), (6061, "merged", 9, None),
    (6070, "u0", 9, None), (6071, "u1", 9, None), (6072, "u2", 6, None), (6073, "U3", 4, 2),
    (6094, "d4", 5, None), (6095, "d5", 6, None),
    (6100, "taken", 1, None),
]  # fmt: skip
NOTES: list[tuple[Any, ...]] = [(6040, "me", "hi"), (6041, "other", None)]
ENTRIES: list[tuple[Any, ...]] = [("js-a", "two", 5), ("js-c", None, 0)]


def test_postgrest_js_writes(
    node_modules: Path, compat_server: RunningServer, anon_token: str, test2_entries: str
) -> None:
    before = compat_server.sql(COUNTER)[0][0]
    env = {**os.environ, "CAMPUS_URL": compat_server.url, "CAMPUS_ANON_KEY": anon_token}
    result = subprocess.run(
        ["node", "writes.mjs"], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    output = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    print(output)  # shown by `pytest -rP`, and with the failure
    assert result.returncode == 0, output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["failed"] == 0 and summary["passed"] == summary["total"] >= 18, output

    sql = compat_server.sql
    assert sql("select id, name, qty, client_id from test.items where id between 6000 and 6999 order by id") == ITEMS
    assert sql("select id, owner, body from test.notes where id between 6000 and 6999 order by id") == NOTES
    assert sql("select code, label, n from test2.entries where code like 'js-%' order by code") == ENTRIES
    assert sql("select count(*) from test.clients where id between 6000 and 6999") == [(0,)]
    assert compat_server.sql(COUNTER)[0][0] == before + 1, "one bump by POST; the GET one wrote nothing"
