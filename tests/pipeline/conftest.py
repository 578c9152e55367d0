from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline.world import World, world_fixture


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from world_fixture(tmp_path)
