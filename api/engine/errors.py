"""Errors as data: every failure a client sees has PostgREST's {code, message, details, hint} shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiError(Exception):
    """A client-facing error. `status` is the HTTP status; `headers` are extra response headers."""

    status: int
    code: str
    message: str
    details: Any = None
    hint: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def body(self) -> bytes:
        """The compact JSON body PostgREST sends (keys in its order: code, details, hint, message)."""
        document = {"code": self.code, "details": self.details, "hint": self.hint, "message": self.message}
        return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
