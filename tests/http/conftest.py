"""A running server over the engine test fixture (tests/http/fixture.sql), shared by this folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.databases import ThrowawayCluster
from support.server import RunningServer

FIXTURE = Path(__file__).with_name("fixture.sql")


@pytest.fixture(scope="session")
def server(cluster: ThrowawayCluster) -> Iterator[RunningServer]:
    running = RunningServer(cluster, FIXTURE, "test,test2")
    yield running
    running.stop()


@pytest.fixture
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
