"""Unit tests for api.engine.ranges: limit/offset/Range → rows to fetch, Content-Range, 200/206/416.

Expected values are PostgREST's (reference §1.8, §1.9, §11b and its RangeSpec).
"""

from __future__ import annotations

import json

import pytest

from api.engine.errors import ApiError
from api.engine.ranges import content_range, effective_range, parse_range_header, read_status

NEGATIVE_LIMIT = "Limit should be greater than or equal to zero."
LOWER_GT_UPPER = "The lower boundary must be lower than or equal to the upper boundary in the Range header."


# --------------------------------------------------------------------------------------------
# effective_range
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "limit", "header", "max_rows", "expected"),
    [
        (None, None, None, None, (0, None)),  # everything
        (None, 3, None, None, (0, 3)),
        (2, 3, None, None, (2, 3)),  # items 3..5 → 2-4/*
        (4, 2, None, None, (4, 2)),  # §11b A
        (0, None, None, None, (0, None)),  # offset=0 is a no-op
        (-4, None, None, None, (0, None)),  # a negative offset is a no-op
        (None, 0, None, None, (0, 0)),  # limit=0 → [] with */*
        (None, 0, "0-1", None, (0, 0)),  # limit=0 wins over the Range header
        (None, 0, "1-0", None, (0, 0)),  # ... even over an invalid one
        (None, 0, None, 10, (0, 0)),
        (None, None, "0-1", None, (0, 2)),
        (None, None, "0-0", None, (0, 1)),  # one-item request
        (None, None, "0-", None, (0, None)),  # open-ended
        (None, None, "10-100", None, (10, 91)),  # truncated by the data later: 10-14/*
        (None, None, "4-5", None, (4, 2)),  # §11b A with a Range header instead
        (None, 3, "0-1", None, (0, 2)),  # headers override (intersect) query parameters
        (None, 3, "1-", None, (1, 2)),
        (2, None, "0-3", None, (2, 2)),
        (2, 10, "5-20", None, (5, 7)),
        (None, None, None, 10, (0, 10)),  # db-max-rows caps an unbounded read
        (5, None, None, 10, (5, 10)),
        (None, 3, None, 10, (0, 3)),  # a smaller limit stays
        (None, 50, None, 10, (0, 10)),  # a bigger one is capped
        (None, None, "0-99", 10, (0, 10)),
        (None, None, "3-", 10, (3, 10)),
        (None, None, None, 0, (0, 0)),
        (None, None, "bytes=0-1", None, (0, None)),  # malformed headers are ignored
        (None, None, "items=0-1", None, (0, None)),
        (None, None, "-5", None, (0, None)),
        (None, None, "a-b", None, (0, None)),
        (None, None, "0-1,3-4", None, (0, None)),
        (None, None, "", None, (0, None)),
        (None, None, " 0-1 ", None, (0, 2)),  # surrounding blanks are not part of the value
    ],
)
def test_effective_range(offset, limit, header, max_rows, expected):
    assert effective_range(offset, limit, header, max_rows) == expected


@pytest.mark.parametrize(
    ("offset", "limit", "header", "details"),
    [
        (None, -1, None, NEGATIVE_LIMIT),
        (3, -5, None, NEGATIVE_LIMIT),
        (None, None, "1-0", LOWER_GT_UPPER),
        (None, -1, "1-0", LOWER_GT_UPPER),  # the header's error is reported first
        (None, 5, "10-20", NEGATIVE_LIMIT),  # no overlap: PostgREST reports it with this text
    ],
)
def test_effective_range_refusals(offset, limit, header, details):
    with pytest.raises(ApiError) as caught:
        effective_range(offset, limit, header, None)
    error = caught.value
    assert (error.status, error.code, error.message, error.details) == (
        416,
        "PGRST103",
        "Requested range not satisfiable",
        details,
    )
    assert error.headers == {}


def test_parse_range_header():
    assert parse_range_header("0-24") == (0, 24)
    assert parse_range_header("7-") == (7, None)
    assert parse_range_header("5-1") == (5, 1)
    assert parse_range_header(None) is None
    assert parse_range_header("bytes=0-1") is None


# --------------------------------------------------------------------------------------------
# content_range
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "rows", "total", "expected"),
    [
        (0, 15, None, "0-14/*"),
        (0, 2, None, "0-1/*"),
        (10, 5, None, "10-14/*"),
        (2, 3, None, "2-4/*"),
        (0, 1, None, "0-0/*"),
        (0, 0, None, "*/*"),  # empty page, no count
        (0, 15, 15, "0-14/15"),
        (0, 7, 8, "0-6/8"),
        (3, 2, 15, "3-4/15"),
        (4, 2, 37, "4-5/37"),
        (0, 25, 3573458, "0-24/3573458"),
        (0, 0, 0, "*/0"),
        (1, 0, 0, "*/0"),
        (100, 0, 15, "*/15"),
        (15, 0, 15, "*/15"),
        (0, 3, 0, "*/0"),  # a planned count of 0 still reads */0
    ],
)
def test_content_range(offset, rows, total, expected):
    assert content_range(offset, rows, total) == expected


# --------------------------------------------------------------------------------------------
# read_status
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "rows", "total", "counted", "status"),
    [
        (0, 15, None, False, 200),  # no count: always 200
        (100, 0, None, False, 200),
        (0, 2, 15, False, 200),  # a total without a count request changes nothing
        (0, 15, 15, True, 200),
        (0, 0, 0, True, 200),  # empty table, offset 0
        (0, 7, 8, True, 206),
        (3, 2, 15, True, 206),
        (4, 2, 37, True, 206),
        (15, 0, 15, True, 206),  # offset == total is not past the end
        (0, 3, 2, True, 200),  # a planned count below the rows actually returned
        (0, 15, None, True, 200),  # a count was asked for but none is known
    ],
)
def test_read_status(offset, rows, total, counted, status):
    assert read_status(offset, rows, total, counted) == (status, None)


def test_offset_past_the_total_is_416_with_the_total_in_content_range():
    status, error = read_status(100, 0, 15, True)
    assert status == 416
    assert error is not None
    assert (error.status, error.code) == (416, "PGRST103")
    assert json.loads(error.body()) == {
        "code": "PGRST103",
        "details": "An offset of 100 was requested, but there are only 15 rows.",
        "hint": None,
        "message": "Requested range not satisfiable",
    }
    assert error.headers == {"Content-Range": "*/15"}


def test_nonzero_offset_on_an_empty_result_is_416():
    status, error = read_status(1, 0, 0, True)
    assert status == 416
    assert error is not None
    assert error.details == "An offset of 1 was requested, but there are only 0 rows."
    assert error.headers == {"Content-Range": "*/0"}
