"""Fixtures for the importer tests: a migrated clone with the support-desk tables, and the mapping."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from desk_data import MAPPING, SCHEMA

from api.importer.catalog import TableFacts, check_mapping
from api.importer.mapping import Mapping, parse_mapping


@pytest.fixture
def desk_url(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SCHEMA.encode())
    return database_url


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "desk.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


@pytest.fixture
def mapping() -> Mapping:
    import tomllib

    return parse_mapping(tomllib.loads(MAPPING))


@pytest.fixture
def conn(desk_url: str):
    with psycopg.connect(desk_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def facts(conn: psycopg.Connection, mapping: Mapping) -> dict[str, TableFacts]:
    return check_mapping(conn, mapping)
