"""The pipeline end to end against the emulators (no Airflow): booking, re-runs, lost answers."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dibs_fortnox.errors import OutcomeUnknown
from dibs_fortnox.pipeline.load import load
from dibs_fortnox.pipeline.posting import MAX_UNKNOWN_ROUNDS
from dibs_fortnox.pipeline.reconcile import ReconcileFailed
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.scenario import Scenario
from dibs_fortnox.sandbox.scenario_expected import ScenarioAccounts, expected_trial_balance, nonzero
from tests.pipeline.world import World, make_world


def expected(world: World) -> dict[int, int]:
    days = world.payout_days()
    return nonzero(expected_trial_balance(world.scenario, ScenarioAccounts(), days[0], days[-1]))


def invoice_refs(world: World) -> Counter[str]:
    docs = world.fortnox_app.documents(world.tenant.id)
    return Counter(str(i.get("ExternalInvoiceReference1")) for i in docs["invoices"])


def test_all_days_book_to_the_expected_trial_balance(world: World) -> None:
    assert any(p.get("depositedAmount") for p in world.scenario.payouts)
    for day in world.payout_days():
        summary = world.run_day(day)
        assert summary["reconcile"]["invariants"] == "OK"
    assert nonzero(world.fortnox_app.trial_balance("demo")) == expected(world)


def test_second_run_of_every_day_sends_no_write(world: World) -> None:
    for day in world.payout_days():
        world.run_day(day)
    writes = world.fortnox_writes()
    for day in world.payout_days():
        assert world.run_day(day)["load"]["writes"] == 0
    assert world.fortnox_writes() == writes


def test_lost_state_database_still_sends_no_write(world: World) -> None:
    for day in world.payout_days():
        world.run_day(day)
    writes = world.fortnox_writes()
    assert world.ledger.forget_documents("demo") > 0
    for day in world.payout_days():
        summary = world.run_day(day)
        assert summary["load"]["writes"] == 0
    assert world.fortnox_writes() == writes
    assert nonzero(world.fortnox_app.trial_balance("demo")) == expected(world)


def test_lost_response_on_invoice_create_is_resolved_in_the_task(world: World) -> None:
    day = world.payout_days()[0]
    world.fortnox_app.faults.add(
        FaultRule("lost_response", method="POST", route="/3/invoices", times=1)
    )
    summary = world.run_day(day)  # no exception: looked up and found in the same task
    assert world.fortnox_app.faults.injected["lost_response"] == 1
    assert summary["load"]["lost_answers_resolved"] == 1
    assert max(invoice_refs(world).values()) == 1
    assert summary["reconcile"]["invariants"] == "OK"


def test_server_error_before_the_write_is_sent_again_in_the_task(world: World) -> None:
    day = world.payout_days()[0]
    world.fortnox_app.faults.add(
        FaultRule("error_before", method="POST", route="/3/invoicepayments", times=1)
    )
    summary = world.run_day(day)  # not found after the 503, so the payment is sent again
    assert world.fortnox_app.faults.injected["error_before"] == 1
    assert summary["load"]["lost_answers_resolved"] == 1
    payments = world.fortnox_app.documents("demo")["payments"]
    assert len(payments) == len({p["InvoiceNumber"] for p in payments})
    assert summary["reconcile"]["invariants"] == "OK"


def test_dropped_connection_on_voucher_is_resolved_in_the_task(world: World) -> None:
    day = world.payout_days()[0]
    world.fortnox_app.faults.add(
        FaultRule("drop_after", method="POST", route="/3/vouchers", times=1)
    )
    assert world.run_day(day)["load"]["lost_answers_resolved"] == 1
    vouchers = world.fortnox_app.documents("demo")["vouchers"]
    descriptions = Counter(v["Description"] for v in vouchers)
    assert descriptions and max(descriptions.values()) == 1


def test_a_write_failing_again_and_again_is_left_to_the_next_try(world: World) -> None:
    day = world.payout_days()[0]
    world.fortnox_app.faults.add(  # one invoice: 503, not found, sent again, 503, ...
        FaultRule("error_before", method="POST", route="/3/invoices", times=MAX_UNKNOWN_ROUNDS)
    )
    with pytest.raises(OutcomeUnknown):
        world.run_day(day)
    unknown = [d for d in world.ledger.documents("demo") if d.status == "unknown"]
    assert [d.kind for d in unknown] == ["invoice"]
    world.run_day(day)  # what Airflow's retry does
    refs = invoice_refs(world)
    assert refs[unknown[0].reference] == 1
    assert max(refs.values()) == 1


def test_lost_bookkeep_answer_is_read_back(world: World) -> None:
    day = world.payout_days()[0]
    world.fortnox_app.faults.add(
        FaultRule(
            "lost_response", method="PUT", route="/3/invoices/{DocumentNumber}/bookkeep", times=1
        )
    )
    summary = world.run_day(day)  # the invoice is read back instead of failing the day
    assert world.fortnox_app.faults.injected["lost_response"] == 1
    assert summary["reconcile"]["invariants"] == "OK"
    docs = world.fortnox_app.documents("demo")["invoices"]
    assert docs and all(i["Booked"] for i in docs)


def test_payout_that_does_not_add_up_is_held_and_the_rest_booked(tmp_path: Path) -> None:
    broken: dict[str, Any] = {}

    def overstate_first_payout(scenario: Scenario) -> None:
        first = min(scenario.payouts, key=lambda p: str(p["date"]))
        first["amount"] = int(first["amount"]) + 100
        broken.update(first)

    world = make_world(tmp_path, payments_per_day=8, mutate=overstate_first_payout)
    try:
        _check_held(world, broken)
    finally:
        world.close()


def _check_held(world: World, broken: dict[str, Any]) -> None:
    day = date.fromisoformat(str(broken["date"])[:10])
    with pytest.raises(ReconcileFailed, match=f"payout {broken['id']} held"):
        world.run_day(day)
    vouchers = world.fortnox_app.documents("demo")["vouchers"]
    assert all(broken["id"] not in v["Description"] for v in vouchers)
    held = [p for p in world.ledger.payouts("demo", day) if p.status == "held"]
    assert [p.payout_id for p in held] == [broken["id"]]
    assert "1.00" in (held[0].reason or "")


def test_each_run_is_recorded_with_its_summary(world: World) -> None:
    day = world.payout_days()[0]
    world.run_day(day)
    [run] = world.ledger.runs("demo", day)
    assert run.status == "success" and run.finished_at is not None
    assert run.summary is not None and run.summary["invariants"] == "OK"


def test_held_payout_finishes_the_run_as_held(tmp_path: Path) -> None:
    def overstate(scenario: Scenario) -> None:
        first = min(scenario.payouts, key=lambda p: str(p["date"]))
        first["fees"] = int(first["fees"]) + 1

    world = make_world(tmp_path, mutate=overstate)
    try:
        day = world.payout_days()[0]
        with pytest.raises(ReconcileFailed):
            world.run_day(day)
        [run] = world.ledger.runs("demo", day)
        assert run.status == "held" and "held" in str(run.summary)
    finally:
        world.close()


def test_load_without_extract_posts_nothing(world: World) -> None:
    day = world.payout_days()[0]
    summary = load(world.context(day))
    assert summary["payouts_booked"] == 0 and world.fortnox_writes() == 0
