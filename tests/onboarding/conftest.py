from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.onboarding.world import OnboardingWorld, onboarding_world


@pytest.fixture
def world() -> Iterator[OnboardingWorld]:
    yield from onboarding_world()
