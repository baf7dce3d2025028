"""Shared fixtures: one throwaway PostgreSQL cluster per run, migrated clones per test, pgTAP items."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.databases import ThrowawayCluster, close_test_cluster, shared_cluster
from support.pgtap import PgTapFile

PGTAP_DIR = Path(__file__).parent / "db"


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    if file_path.suffix == ".sql" and file_path.parent == PGTAP_DIR:
        return PgTapFile.from_parent(parent, path=file_path)
    return None


def pytest_sessionfinish(session: pytest.Session) -> None:
    close_test_cluster()


@pytest.fixture(scope="session")
def cluster() -> ThrowawayCluster:
    return shared_cluster()


@pytest.fixture
def database(cluster: ThrowawayCluster) -> Iterator[str]:
    """A fresh clone of the migrated template; its name. Dropped after the test."""
    name = cluster.create()
    yield name
    cluster.drop(name)


@pytest.fixture
def database_url(cluster: ThrowawayCluster, database: str) -> str:
    return cluster.url(database)


@pytest.fixture
def empty_database(cluster: ThrowawayCluster) -> Iterator[str]:
    """A fresh database with nothing deployed; its name."""
    name = cluster.create("empty", migrated=False)
    yield name
    cluster.drop(name)
