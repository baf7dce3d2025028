"""Read a sqitch project (`sqitch.plan` + deploy/revert/verify scripts) into ordered changes.

The same files serve sqitch and yoyo. sqitch wraps each script in BEGIN … COMMIT (ROLLBACK for
verify); yoyo runs each change inside a transaction of its own, so those lines are stripped here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# One change line: name [deps] timestamp planner <email> # note
_CHANGE = re.compile(
    r"^(?P<name>[^\s@#%\[\]:]+)\s+"
    r"(?:\[(?P<deps>[^\]]*)\]\s+)?"
    r"(?P<planned_at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\s+"
    r"(?P<planner>[^<]*?)\s*<(?P<email>[^>]*)>"
    r"(?:\s*#\s?(?P<note>.*))?$"
)
_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK)\s*;\s*$", re.IGNORECASE)


class PlanError(ValueError):
    """The plan file or a script it names is malformed or missing."""


@dataclass(frozen=True)
class Change:
    """One change of the plan with the SQL of its three scripts (transaction lines stripped)."""

    name: str
    requires: tuple[str, ...]
    planned_at: str
    note: str
    deploy_sql: str
    revert_sql: str
    verify_sql: str


def strip_transaction_control(script: str) -> str:
    """Drop the BEGIN/COMMIT/ROLLBACK lines sqitch's templates put around a script."""
    return "".join(line for line in script.splitlines(keepends=True) if not _TRANSACTION_CONTROL.match(line))


def _script(top: Path, kind: str, name: str, required: bool = True) -> str:
    path = top / kind / f"{name}.sql"
    if not path.exists():
        if required:
            raise PlanError(f"change '{name}' has no {kind} script at {path}")
        return ""
    return strip_transaction_control(path.read_text())


def read_plan(top: Path) -> list[Change]:
    """The plan's changes in deployment order. Tags (`@tag`) and pragmas (`%…`) are skipped."""
    plan_file = top / "sqitch.plan"
    if not plan_file.exists():
        raise PlanError(f"no sqitch.plan in {top}")
    changes: list[Change] = []
    seen: set[str] = set()
    for number, raw in enumerate(plan_file.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#%@":
            continue
        match = _CHANGE.match(line)
        if not match:
            raise PlanError(f"sqitch.plan line {number} is not a change: {raw!r}")
        name = match["name"]
        if name in seen:
            raise PlanError(f"sqitch.plan line {number}: change '{name}' is planned twice (rework is not supported)")
        requires = tuple(dep for dep in (match["deps"] or "").split() if not dep.startswith("!"))
        unknown = [dep for dep in requires if dep not in seen]
        if unknown:
            raise PlanError(f"sqitch.plan line {number}: '{name}' requires unknown or later change(s) {unknown}")
        seen.add(name)
        changes.append(
            Change(
                name=name,
                requires=requires,
                planned_at=match["planned_at"],
                note=(match["note"] or "").strip(),
                deploy_sql=_script(top, "deploy", name),
                revert_sql=_script(top, "revert", name),
                verify_sql=_script(top, "verify", name, required=False),
            )
        )
    return changes
