"""Rows → lines of COPY's text format, in the worker that converted them (see parallel.py).

psycopg's own formatter does the work (its C implementation when installed: ~3 µs a row), with the
global adapters: str, int, Decimal, bool, datetime, date, lists and None, the only values the
converters in values.py produce. Text dumpers encode in UTF-8, so the loader's connection speaks
UTF-8 (Loader.run sets client_encoding).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.adapt import PyFormat, Transformer

try:  # not exported: the function Copy.write_row calls (C when psycopg[binary] is installed)
    from psycopg._copy_base import format_row_text as _format_row_text
except ImportError:  # pragma: no cover - a psycopg without it: the same rules, in Python
    _format_row_text = None

_TRANSFORMER = Transformer()
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_line(row: Sequence[Any]) -> bytes:
    """One COPY text line of the row's values (the staging path puts its document's number in front)."""
    if _format_row_text is not None:
        out = bytearray()
        _format_row_text(row, _TRANSFORMER, out)
        return bytes(out)
    dumped = _TRANSFORMER.dump_sequence(row, [PyFormat.TEXT] * len(row))
    fields = (rb"\N" if value is None else bytes(value).decode().translate(_ESCAPES).encode() for value in dumped)
    return b"\t".join(fields) + b"\n"
