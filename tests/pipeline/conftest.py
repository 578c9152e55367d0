"""The pipeline runs against the state database on every backend under test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import backends
from tests.pipeline.world import World, world_fixture


@pytest.fixture(params=backends())
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    yield from world_fixture(tmp_path, backend=request.param)
