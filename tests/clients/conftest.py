"""Shared fixtures for the client tests: emulators served for real on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dibs_fortnox.sandbox.server import SandboxServer
from tests.clients.scripted import ScriptedApp


@pytest.fixture(scope="module")
def _scripted_server() -> Iterator[SandboxServer]:
    with SandboxServer(ScriptedApp()) as server:
        yield server


@pytest.fixture
def scripted(_scripted_server: SandboxServer) -> SandboxServer:
    """The scripted server with no faults and zeroed counters (one server per module: fast)."""
    app = _scripted_server.app
    assert isinstance(app, ScriptedApp)
    app.faults.clear()
    app.requests_by_route.clear()
    app.status_counts.clear()
    app.retry_after_once = None
    return _scripted_server
