"""A running server for the client-library compatibility tests, and tokens signed for it.

The server serves the HTTP tests' fixture (tests/http/fixture.sql) plus one view, `test.whoami`,
that shows what reached the database: the role the request ran as, the JWT claims and the
`apikey` request header.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from support.databases import ThrowawayCluster
from support.server import JWT_SECRET, RunningServer

FIXTURE = Path(__file__).parents[1] / "http" / "fixture.sql"
WHOAMI = """
create view test.whoami as
  select current_user::text as role,
         nullif(current_setting('request.jwt.claims', true), '')::json->>'sub' as sub,
         nullif(current_setting('request.headers', true), '')::json->>'apikey' as apikey;
grant select on test.whoami to anon, authenticated;
"""
SCHEMAS = "test,test2"


def sign(**claims: object) -> str:
    """An HS256 token signed with the test server's secret; `exp` defaults to an hour ahead."""
    return jwt.encode({"exp": int(time.time()) + 3600, **claims}, JWT_SECRET, algorithm="HS256")


@pytest.fixture(scope="session")
def compat_server(cluster: ThrowawayCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """`campus serve` over the HTTP fixture plus `test.whoami`, exposing `test` and `test2`."""
    fixture = tmp_path_factory.mktemp("compat") / "fixture.sql"
    fixture.write_text(FIXTURE.read_text() + WHOAMI)
    running = RunningServer(cluster, fixture, SCHEMAS)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def anon_token() -> str:
    """A valid anon key, the way Supabase issues one: `{"role": "anon", "sub": ..., "exp": ...}`."""
    return sign(role="anon", sub="compat-anon")


@pytest.fixture(scope="session")
def authenticated_token() -> str:
    """A valid token for the `authenticated` role."""
    return sign(role="authenticated", sub="compat-user")


@pytest.fixture(scope="session")
def expired_token() -> str:
    """An anon token that expired two minutes ago."""
    return sign(role="anon", exp=int(time.time()) - 120)
