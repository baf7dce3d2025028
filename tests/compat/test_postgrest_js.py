"""The Supabase JavaScript client (@supabase/postgrest-js, pinned in js/package.json) reading through Campus.

`js/reads.mjs` runs every check against a running server and exits non-zero if any failed; the
Node dependencies are installed with `npm ci` when `js/node_modules` is missing or older than
`js/package-lock.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.server import RunningServer

JS_DIR = Path(__file__).with_name("js")
LOCK = JS_DIR / "package-lock.json"
STAMP = JS_DIR / "node_modules" / ".campus-lock-stamp"
NPM_TIMEOUT = 300
RUN_TIMEOUT = 120


def lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """`js/node_modules`, installed by `npm ci` unless the stamp matches package-lock.json."""
    for tool in ("node", "npm"):
        assert shutil.which(tool), f"{tool} is not on PATH (Node 20+ is required for the JS compatibility tests)"
    digest = lock_digest()
    if not (STAMP.is_file() and STAMP.read_text().strip() == digest):
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR, capture_output=True, text=True, timeout=NPM_TIMEOUT,
        )  # fmt: skip
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
        STAMP.write_text(digest + "\n")
    return STAMP.parent


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
