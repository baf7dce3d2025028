"""api.engine.wire against a real connection: parameters go out as psycopg itself would send them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from api.engine.wire import Pipeline
from support.databases import ThrowawayCluster


@pytest.fixture
def conn(cluster: ThrowawayCluster, empty_database: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(cluster.url(empty_database), autocommit=True) as connection:
        yield connection


@pytest.mark.parametrize(
    "params",
    [
        ["anon", '{"role":"anon"}', "GET", "/articles", "", "é ünïcode ✓", "x" * 10_000],
        ["1", 2, None, "text"],  # not all strings: psycopg's own dumpers
        [b"bytes", "text"],
    ],
)
def test_dump_matches_psycopg(conn: psycopg.Connection[Any], params: list[Any]) -> None:
    pipeline = Pipeline(conn, prepare=False)  # type: ignore[arg-type]  # only needs pgconn, info, adapters
    values, types, formats = pipeline.dump(params)
    expected = pipeline.transformer.dump_sequence(list(params), [psycopg.adapt.PyFormat.TEXT] * len(params))
    assert values == expected
    assert types == tuple(pipeline.transformer.types)
    assert formats is None or list(formats) == list(pipeline.transformer.formats)
    assert formats is not None or all(f == psycopg.pq.Format.TEXT for f in pipeline.transformer.formats)


def test_nul_in_a_string_is_refused_as_psycopg_refuses_it(conn: psycopg.Connection[Any]) -> None:
    pipeline = Pipeline(conn, prepare=False)  # type: ignore[arg-type]
    with pytest.raises(psycopg.DataError, match="NUL"):
        pipeline.dump(["ok", "a\x00b"])
