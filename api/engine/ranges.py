"""Pagination for reads: which rows to fetch, the `Content-Range` header, and 200/206/416.

Mirrors PostgREST's `RangeQuery`/`ApiRequest.getRanges` (reference §1.8, §1.9): the `limit`/`offset`
query parameters are intersected with a `Range: first-last` header (GET only — the caller passes
None otherwise), `limit=0` is always honoured, and `db-max-rows` caps what is left.
"""

from __future__ import annotations

import re

from api.engine.errors import ApiError

_RANGE_HEADER = re.compile(r"([0-9]+)-([0-9]*)")  # PostgREST's ^([0-9]+)-([0-9]*)$; no unit prefix

_RANGE_MESSAGE = "Requested range not satisfiable"
_NEGATIVE_LIMIT = "Limit should be greater than or equal to zero."
_LOWER_GT_UPPER = "The lower boundary must be lower than or equal to the upper boundary in the Range header."

# A range as PostgREST models it: first row and last row (None = unbounded), both inclusive.
_Bounds = tuple[int, int | None]


def effective_range(
    offset: int | None, limit: int | None, range_header: str | None, db_max_rows: int | None
) -> tuple[int, int | None]:
    """The (offset, limit) to query with; limit None = no LIMIT.

    Raises 416 PGRST103 for a negative limit, a `Range` whose first row is past its last, and a
    `Range` that does not overlap `limit`/`offset` at all (PostgREST reports that last one with the
    negative-limit text too).
    """
    first = max(offset or 0, 0)  # a negative offset is a no-op
    if limit == 0:
        return first, 0  # limit=0 wins over everything (PostgREST's "limit zero range")
    header = parse_range_header(range_header)
    if header is not None and _is_empty(header):
        raise range_error(_LOWER_GT_UPPER)
    query = (first, None if limit is None else first + limit - 1)
    bounds = _intersect(query, header) if header is not None else query
    if _is_empty(bounds):
        raise range_error(_NEGATIVE_LIMIT)
    return _to_offset_limit(_cap(bounds, db_max_rows))


def parse_range_header(value: str | None) -> _Bounds | None:
    """`first-last` or `first-` as (first, last|None); anything else is ignored (None)."""
    match = _RANGE_HEADER.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    last = match.group(2)
    return int(match.group(1)), int(last) if last else None


def _is_empty(bounds: _Bounds) -> bool:
    first, last = bounds
    return last is not None and last < first


def _intersect(a: _Bounds, b: _Bounds) -> _Bounds:
    lasts = [last for _, last in (a, b) if last is not None]
    return max(a[0], b[0]), min(lasts) if lasts else None


def _cap(bounds: _Bounds, db_max_rows: int | None) -> _Bounds:
    """`db-max-rows` limits the rows fetched from the range's first row on."""
    if db_max_rows is None:
        return bounds
    first, _ = bounds
    return _intersect(bounds, (first, first + db_max_rows - 1))


def _to_offset_limit(bounds: _Bounds) -> tuple[int, int | None]:
    first, last = bounds
    return first, None if last is None else max(last - first + 1, 0)


def range_error(details: str, content_range: str | None = None) -> ApiError:
    """416 PGRST103 with the given details (and the `Content-Range` to send, if any)."""
    headers = {} if content_range is None else {"Content-Range": content_range}
    return ApiError(416, "PGRST103", _RANGE_MESSAGE, details, None, headers)


def content_range(offset: int, rows_returned: int, total: int | None) -> str:
    """`first-last/total`, with `*` for an empty page and for an unknown total.

    A known total of 0 always reads `*/0`, as PostgREST does.
    """
    last = offset + rows_returned - 1
    span = f"{offset}-{last}" if total != 0 and offset <= last else "*"
    return f"{span}/{'*' if total is None else total}"


def read_status(
    offset: int, rows_returned: int, total: int | None, count_requested: bool
) -> tuple[int, ApiError | None]:
    """200, 206 (the page is smaller than the total) or 416 (the offset is past the total).

    Without a count there is nothing to compare with: always 200. The 416 error carries the
    `Content-Range` (`*/15`) its response must send instead of the page's.
    """
    if not count_requested or total is None:
        return 200, None
    if offset > total:
        details = f"An offset of {offset} was requested, but there are only {total} rows."
        return 416, range_error(details, content_range(offset, rows_returned, total))
    return (206 if rows_returned < total else 200), None
