"""Shared pytest setup: a running Fortnox emulator, and the session-end contract check."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator

import pytest

# Airflow reads its configuration when first imported: give the whole session a throwaway
# home (never ~/airflow) and no example DAGs, before any test module imports Airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="dibs-fortnox-airflow-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.pop("DIBS_FORTNOX_TENANTS", None)

from tests.sandbox.fortnox_harness import FortnoxHarness, running  # noqa: E402

# The production topology (CeleryExecutor, Postgres, Redis) is tested only where both
# servers exist; .ci/run starts them. Not collected otherwise: there is nothing to skip.
_TOPOLOGY_SERVERS = ("DIBS_FORTNOX_TEST_PG_URL", "DIBS_FORTNOX_TEST_REDIS_URL")
if not all(os.environ.get(name) for name in _TOPOLOGY_SERVERS):
    collect_ignore_glob = ["topology/*"]


@pytest.fixture
def fortnox() -> Iterator[FortnoxHarness]:
    """A Fortnox emulator (demo company, no rate limit) with a token for tenant "demo"."""
    with running(rate_limit=False) as harness:
        yield harness


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any body a Fortnox emulator accepted breaks the official schemas."""
    app_module = sys.modules.get("dibs_fortnox.sandbox.fortnox.app")
    if app_module is None:
        return
    from tests.contract import spec_present, validate_entries

    if not spec_present():
        return
    problems = validate_entries(app_module.recorded_journals())
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        print(
            f"\n\nFortnox contract check: {len(problems)} request bodies accepted by the emulator "
            f"do not match the official Fortnox OpenAPI schemas:\n  {shown}{more}\n",
            file=sys.stderr,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
