"""The bad-input catalogue through the pipeline against both emulators: a Fortnox and a
Nets mistake each fail the day with tenant, day and fix, post nothing, and the same day
completes once the mistake is fixed (what clearing the task in Airflow does)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from dibs_fortnox.errors import AuthFailed, ConfigError, ServerError
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.pipeline.failures import failure_text
from dibs_fortnox.pipeline.steps import execute
from dibs_fortnox.retry import RetryPolicy
from dibs_fortnox.sandbox.faults import FaultRule
from tests.pipeline.world import World, make_world
from tests.troubleshooting import assert_documented

WRONG_KEY = "live-secret-key-" + "0f" * 16


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = make_world(tmp_path, days=3, payments_per_day=3)
    try:
        yield world
    finally:
        world.close()


def test_regenerated_nets_key_fails_the_day_naming_the_connection_then_books(
    world: World,
) -> None:
    day = world.payout_days()[0]
    ctx = replace(
        world.context(day),
        nets_factory=lambda: NetsClient(world.nets.url, WRONG_KEY, tenant="demo"),
    )
    with pytest.raises(AuthFailed) as caught:
        execute(ctx, "extract")
    text = failure_text(ctx, "extract", caught.value)
    assert text.startswith(f"tenant demo, day {day}, extract: Nets (tenant 'demo') list_payouts")
    assert "HTTP 401" in text and "'nets_demo'" in text and "live secret key" in text
    assert WRONG_KEY not in text
    assert_documented("its password must be the merchant's live secret key")
    [run] = world.ledger.runs("demo", day)
    assert run.status == "failed" and run.summary["error"] == text
    assert world.fortnox_writes() == 0
    # The key is put right in the connection; clearing the day books it.
    summary = world.run_day(day)
    assert summary["reconcile"]["invariants"] == "OK" and summary["load"]["writes"] > 0


def test_inactive_fees_account_posts_nothing_then_the_day_books_after_the_fix(
    world: World,
) -> None:
    day = world.payout_days()[0]
    world.fortnox_app.company("demo").inactive_accounts.add(6040)
    with pytest.raises(ConfigError) as caught:
        world.run_day(day)
    text = str(caught.value)
    assert text.startswith(f"tenant demo, day {day}: nothing was posted because Fortnox")
    assert "account 6040 is not active in Fortnox: activate it" in text
    assert_documented("nothing was posted because Fortnox would refuse it:")
    assert world.fortnox_writes() == 0
    world.fortnox_app.company("demo").inactive_accounts.discard(6040)
    assert world.run_day(day)["reconcile"]["invariants"] == "OK"


def test_nets_html_error_page_is_transient_and_the_day_books_when_it_is_gone(
    world: World,
) -> None:
    day = world.payout_days()[0]
    world.nets_app.faults.add(FaultRule("html_page", route="/report/v1/payouts", status=503))
    ctx = replace(  # the client's own retries without their waits
        world.context(day),
        nets_factory=lambda: NetsClient(
            world.nets.url, world.scenario.secret_key, retry=RetryPolicy.no_wait(3)
        ),
    )
    with pytest.raises(ServerError, match=r"an HTML page \('503 Service Unavailable'\)"):
        execute(ctx, "extract")
    assert world.nets_app.faults.injected["html_page"] == 3
    [run] = world.ledger.runs("demo", day)
    assert run.status == "running"  # left open: Airflow retries a transient failure
    world.nets_app.faults.clear()
    assert world.run_day(day)["reconcile"]["invariants"] == "OK"
