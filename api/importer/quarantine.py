"""The quarantine: every document that was not imported, as one JSON line each, with the reason.

    {"collection": "users", "_id": {"$oid": "…"}, "reason": "email: not text: an object",
     "kind": "email: not text: an object", "source": {"file": …, "index": …, "offset": …}, "document": {…}}

The document is relaxed Extended JSON (ObjectIds, dates, Decimal128 and binaries survive and can be
read back with bson.json_util.loads); an undecodable item is kept as `raw` text (base64 for bytes).
`kind` is the reason without array indexes, the key the counts are kept by.

A run starts a new file, so it lists what the last run refused (a clean re-run leaves it empty); a
delta run (--since) appends instead: the documents it skips were judged by the runs before it.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from bson import json_util

from api.importer.ids import BadKey, legacy_key
from api.importer.sources import Position

_OPTIONS = json_util.RELAXED_JSON_OPTIONS


def record(
    collection: str,
    reason: str,
    kind: str,
    document: Any = None,
    position: Position | None = None,
    raw: bytes | str | None = None,
    key_path: str = "_id",
) -> str:
    """One quarantine line (no newline); `_id` is the document's key, wherever the mapping says it is."""
    entry: dict[str, Any] = {
        "collection": collection,
        "_id": _get(document, key_path),
        "reason": reason,
        "kind": kind,
        "source": position.as_dict() if position else None,
        "document": document,
    }
    if raw is not None:
        entry["raw"] = raw if isinstance(raw, str) else base64.b64encode(raw).decode()
    try:
        return json.dumps(entry, default=_ejson, ensure_ascii=False)
    except (TypeError, ValueError):  # something even Extended JSON cannot say: keep its repr
        entry["document"] = repr(document)
        return json.dumps(entry, default=_ejson, ensure_ascii=False)


def _ejson(value: Any) -> Any:
    """Relaxed Extended JSON for what json cannot say; decimal.Decimal (how the Extended-JSON reader
    keeps $numberDecimal) written back as $numberDecimal."""
    if isinstance(value, Decimal):
        return {"$numberDecimal": str(value)}
    return json_util.default(value, _OPTIONS)


def _get(document: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


class Quarantine:
    """Writes quarantine lines to a file (None: count only) and counts them per collection and kind.
    The file is emptied when the quarantine is entered, unless `append`."""

    def __init__(self, path: Path | str | None, append: bool = False) -> None:
        self.path = Path(path) if path else None
        self.append = append
        self._handle: IO[str] | None = None
        self.counts: Counter[tuple[str, str]] = Counter()

    def __enter__(self) -> Quarantine:
        if self.path is not None and not self.append:
            self._open()
        return self

    def _open(self) -> IO[str]:
        if self._handle is None:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a" if self.append else "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        return self._handle

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def add(self, collection: str, kind: str, line: str) -> None:
        if self.path is not None:
            self._open().write(line + "\n")
        self.counts[collection, kind] += 1

    def total(self, collection: str | None = None) -> int:
        return sum(n for (name, _), n in self.counts.items() if collection is None or name == collection)

    def by_collection(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (collection, kind), count in sorted(self.counts.items()):
            out.setdefault(collection, {})[kind] = count
        return out

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_quarantine(path: Path | str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def quarantined_keys(path: Path | str | None) -> dict[str, set[str]]:
    """The legacy keys quarantined per collection (for verify: rejected documents are not missing)."""
    keys: dict[str, set[str]] = {}
    if path is None or not Path(path).exists():
        return keys
    for entry in read_quarantine(path):
        identifier = json_util.loads(json.dumps(entry.get("_id"))) if entry.get("_id") is not None else None
        try:
            key = legacy_key(identifier)
        except BadKey:
            continue
        keys.setdefault(entry["collection"], set()).add(key)
    return keys
