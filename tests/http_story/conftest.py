"""The story's server fixture (see story_support.py): one running server for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from story_support import FIXTURE, StoryServer

from support.databases import ThrowawayCluster


@pytest.fixture(scope="session")
def story_server(cluster: ThrowawayCluster) -> Iterator[StoryServer]:
    running = StoryServer(
        cluster, FIXTURE, "api", extra_env={"CAMPUS_AUTH_RATE_LIMIT": "100000/minute", "PGRST_JWT_AUD": "authenticated"}
    )
    yield running
    running.stop()
