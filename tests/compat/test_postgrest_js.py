"""The Supabase JavaScript client (@supabase/postgrest-js, pinned in js/package.json) reading through Campus.

`js/reads.mjs` runs every check against a running server and exits non-zero if any failed; the
Node dependencies are installed with `npm ci` (the `node_modules` fixture of conftest.py) when
`js/node_modules` is missing or older than `js/package-lock.json`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from support.server import RunningServer

JS_DIR = Path(__file__).with_name("js")
RUN_TIMEOUT = 120


def test_postgrest_js_reads(
    node_modules: Path,
    compat_server: RunningServer,
    anon_token: str,
    authenticated_token: str,
    expired_token: str,
) -> None:
    env = {
        **os.environ,
        "CAMPUS_URL": compat_server.url,
        "CAMPUS_ANON_KEY": anon_token,
        "CAMPUS_USER_KEY": authenticated_token,
        "CAMPUS_EXPIRED_KEY": expired_token,
    }
    result = subprocess.run(
        ["node", "reads.mjs"], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    output = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    print(output)  # shown by `pytest -rP`, and with the failure
    assert result.returncode == 0, output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["failed"] == 0 and summary["passed"] == summary["total"] > 50, output
