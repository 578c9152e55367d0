"""Held payouts can be resolved: booked by hand (later refunds go on) or released and re-run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dibs_fortnox import held_payouts
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.sandbox.scenario import Scenario
from dibs_fortnox.sandbox.scenario_expected import ScenarioAccounts, expected_trial_balance, nonzero
from tests.databases import migrated
from tests.pipeline.world import World, make_world


def charge_then_refund(scenario: Scenario) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A payout with a charge and a later payout with a refund of that same payment."""
    by_payment: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for payout in scenario.payouts:
        for action in payout["paymentActions"]:
            if action.get("paymentId"):
                by_payment.setdefault(action["paymentId"], []).append(
                    (action["paymentAction"], payout)
                )
    for payment_id, seen in by_payment.items():
        kinds = [kind for kind, _ in seen]
        if kinds == ["Charge", "Refund"] and seen[0][1]["date"] < seen[1][1]["date"]:
            return seen[0][1], seen[1][1], payment_id
    raise AssertionError("the scenario has no refund paid out after its charge")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    world = make_world(tmp_path, days=6, payments_per_day=5, seed=5, refund_percent=60)
    monkeypatch.setenv("DIBS_FORTNOX_DB_URL", world.db_url)  # the command opens the ledger
    try:
        yield world
    finally:
        world.close()


def break_payout(payout: dict[str, Any]) -> None:
    """Nets reports an amount one öre off: the payout does not add up and is held."""
    payout["amount"] += 1


def run_all(world: World) -> None:
    for day in world.payout_days():
        world.run_day_tolerating_held(day)


def status(world: World, payout_id: str) -> str:
    return {p.payout_id: p.status for p in world.ledger.payouts("demo")}[payout_id]


def test_release_after_nets_corrects_the_payout_books_it(world: World, capsys: Any) -> None:
    charged, refunded, _ = charge_then_refund(world.scenario)
    break_payout(charged)
    run_all(world)
    assert status(world, charged["id"]) == "held"
    assert status(world, refunded["id"]) == "held"  # its charge's invoice is not booked
    charged["amount"] -= 1  # Nets corrected it
    held = [p for p in world.ledger.payouts("demo") if p.status == "held"]
    for payout in held:  # the documented recovery: release each, run the days oldest first
        args = ["--tenant", "demo", "--payout", payout.payout_id, "--by", "Anna", "--note", "ok"]
        assert held_payouts.main(["release", *args]) == 0
    assert "airflow tasks clear dibs_fortnox__demo" in capsys.readouterr().out
    assert status(world, charged["id"]) == "pending"
    for day in sorted({p.day for p in held}):
        world.run_day_tolerating_held(day)
    assert {p.status for p in world.ledger.payouts("demo")} == {"booked"}
    days = world.payout_days()
    expected = expected_trial_balance(world.scenario, ScenarioAccounts(), days[0], days[-1])
    assert nonzero(world.fortnox_app.trial_balance("demo")) == nonzero(expected)
    (first, *_) = world.ledger.payout_history("demo", charged["id"])
    assert (first.action, first.decided_by, first.note) == ("released", "Anna", "ok")


def test_book_by_hand_lets_later_refunds_of_its_charges_go_on(world: World, tmp_path: Path) -> None:
    charged, refunded, payment_id = charge_then_refund(world.scenario)
    break_payout(charged)
    run_all(world)
    assert status(world, refunded["id"]) == "held"
    # The bookkeeper books the charge's invoice by hand, with the Nets charge id as its
    # ExternalInvoiceReference1 (played here by the pipeline with a state database of its own).
    charged["amount"] -= 1
    elsewhere = Ledger.from_url(migrated(f"sqlite:///{tmp_path / 'bookkeeper.db'}"))
    world.run_day_tolerating_held_with(date.fromisoformat(charged["date"]), elsewhere)
    elsewhere.close()
    assert held_payouts.main(["book-by-hand", "--tenant", "demo", "--payout", charged["id"],
                              "--by", "Anna", "--note", "booked by hand"]) == 0  # fmt: skip
    assert status(world, charged["id"]) == "booked"
    charge_ids = {c["chargeId"] for c in world.scenario.payment(payment_id)["charges"]}
    assert charge_ids & world.ledger.hand_booked_claims("demo")
    world.run_day_tolerating_held(date.fromisoformat(refunded["date"]))
    assert status(world, refunded["id"]) == "booked"


def test_a_decision_needs_who_and_why(world: World, capsys: Any) -> None:
    charged, _, _ = charge_then_refund(world.scenario)
    break_payout(charged)
    run_all(world)
    code = held_payouts.main(["release", "--tenant", "demo", "--payout", charged["id"],
                              "--by", " ", "--note", "x"])  # fmt: skip
    assert code == 2 and "who made it" in capsys.readouterr().err
    assert status(world, charged["id"]) == "held"
