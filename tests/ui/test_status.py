"""The tenants page's facts against a real booking: the pipeline books sandbox days into a
real state database and Fortnox emulator, and the page's numbers must agree with Fortnox's
own books to the öre (held days, a payout left half-way, a Fortnox that cannot be reached).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dibs_fortnox.booking.parse import parse_payout
from dibs_fortnox.errors import DibsFortnoxError
from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.onboarding.state import OnboardingRecords
from dibs_fortnox.retry import RetryPolicy
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.server import SandboxServer
from dibs_fortnox.tenants import LoadedTenants, TenantConfig
from dibs_fortnox.ui.app import gather
from dibs_fortnox.ui.html import overview_page, tenant_page
from dibs_fortnox.ui.status import daily_series, expected_receivable, tenant_overview
from tests.pipeline.world import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path, days=4, payments_per_day=4, seed=5, refund_percent=40)
    try:
        yield w
    finally:
        w.close()


def fortnox_balance(world: World) -> int:
    return world.fortnox_app.trial_balance("demo").get(1516, 0)


def read_from(world: World):  # type: ignore[no-untyped-def]
    return lambda tenant: world.fortnox_client().account_balance(tenant.accounts.receivable)


def test_held_day_and_balances_agree_with_fortnox(world: World) -> None:
    days = world.payout_days()
    # The last day's payout: Nets reports one öre too much, so it is held (an earlier one
    # would hold later payouts too, whose refunds credit its charges).
    broken = next(p for p in world.scenario.payouts if p["date"][:10] == days[-1].isoformat())
    broken["amount"] += 1
    for day in days:
        world.run_day_tolerating_held(day)

    overview = tenant_overview(world.ledger, world.tenant, read_from(world))

    assert overview.last_booked_day == days[-2]
    [problem] = overview.problems
    assert (problem.day, problem.state) == (days[-1], "held")
    assert any(broken["id"] in r and "off by 0.01" in r for r in problem.reasons)
    assert overview.balance.fortnox == fortnox_balance(world) == 0
    assert overview.balance.difference == 0

    points = daily_series(world.ledger, world.tenant)
    booked = [
        parse_payout(p)
        for p in world.scenario.payouts
        if p["id"] != broken["id"] and p["date"][:10] in {d.isoformat() for d in days}
    ]
    assert sum(p.payouts for p in points) == sum(p.amount for p in booked)
    assert sum(p.sales for p in points) == sum(p.charged - p.refunded for p in booked)
    assert points[-1].receivable == 0  # every booked payout cleared what it settled
    assert max(p.receivable for p in points) > 0  # charges wait for their payout

    page = tenant_page(overview, points, "/dibs-fortnox")
    assert "<svg" in page and page.count('class="series"') == 3
    assert broken["id"] in page


def test_payout_left_half_way_is_expected_on_the_receivable(world: World) -> None:
    """The voucher of the last day cannot be posted: its invoice payments are in Fortnox's
    receivable, and the ledger expects exactly that amount."""
    days = world.payout_days()
    for day in days[:-1]:
        world.run_day_tolerating_held(day)
    world.fortnox_app.faults.add(
        FaultRule("error_before", method="POST", route="/3/vouchers", status=503)
    )
    with pytest.raises(DibsFortnoxError):
        world.run_day(days[-1])

    expected = expected_receivable(world.ledger, world.tenant)
    assert expected != 0
    assert expected == fortnox_balance(world)
    overview = tenant_overview(world.ledger, world.tenant, read_from(world))
    assert overview.balance.difference == 0


def test_unreachable_fortnox_is_that_tenants_error_only(world: World) -> None:
    world.run_day_tolerating_held(world.payout_days()[0])
    dead = SandboxServer(world.fortnox_app).start()
    url = dead.url
    dead.stop()  # nothing listens there any more

    def unreachable(tenant: TenantConfig) -> int:
        once = RetryPolicy(max_attempts=1)
        auth = ClientCredentials("demo-client", world.client_secret, tenant.id, url, retry=once)
        client = FortnoxClient(url, auth, tenant=tenant.id, retry=once)
        return client.account_balance(tenant.accounts.receivable)

    other = world.tenant.model_copy(update={"id": "other", "name": "Other AB"})
    down = tenant_overview(world.ledger, world.tenant, unreachable)
    up = tenant_overview(world.ledger, other, read_from(world))

    assert down.balance.fortnox is None and down.balance.error
    assert up.balance.error is None
    page = overview_page([down, up], [("bad", "tenant 'bad': accounts: <missing>")], "/x")
    assert page.count("Fortnox not readable") == 1
    assert "&lt;missing&gt;" in page and "<missing>" not in page  # escaped
    assert world.client_secret not in page


def test_failed_day_shows_the_runs_error(world: World) -> None:
    """A preflight refusal fails the day; the page names the day and the error, and the
    day before stays the last booked one."""
    days = world.payout_days()
    world.run_day(days[0])
    world.fortnox_app.company("demo").inactive_accounts.add(6040)  # fees account closed
    with pytest.raises(DibsFortnoxError):
        world.run_day(days[1])

    overview = tenant_overview(world.ledger, world.tenant, read_from(world))

    assert overview.last_booked_day == days[0]
    [problem] = overview.problems
    assert (problem.day, problem.state, problem.run_id) == (days[1], "failed", f"test-{days[1]}")
    assert "6040" in problem.reasons[0]


def test_onboarding_state_comes_from_the_onboarding_record(world: World) -> None:
    overview = tenant_overview(world.ledger, world.tenant, read_from(world))
    assert overview.onboarding == "not started"  # onboarding required, never ran
    OnboardingRecords(world.ledger.engine).update("demo", "awaiting_approval")
    overview = tenant_overview(world.ledger, world.tenant, read_from(world))
    assert overview.onboarding == "awaiting_approval"
    assert overview.last_booked_day is None and overview.problems == ()


def test_page_gathers_every_tenant_and_isolates_a_broken_one(world: World) -> None:
    world.run_day_tolerating_held(world.payout_days()[0])
    tenants = [
        world.tenant.model_copy(update={"id": f"t{n}", "name": f"Tenant {n}"}) for n in range(12)
    ]
    loaded = LoadedTenants("tenants.yaml", tenants, [])
    good = read_from(world)

    def read(tenant: TenantConfig) -> int:
        if tenant.id == "t5":
            raise RuntimeError("a bug, not a Fortnox error")
        return good(tenant)

    rows, broken = gather(loaded, world.ledger, read)

    assert [r.tenant.id for r in rows] == [t.id for t in tenants if t.id != "t5"]
    assert broken == [("t5", "RuntimeError: a bug, not a Fortnox error")]
    assert all(r.balance.difference == 0 for r in rows)
