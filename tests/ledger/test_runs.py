"""Payouts (pending, held with a reason, booked for good) and runs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dibs_fortnox.ledger import Ledger, LedgerError

T = "acme"
DAY = date(2026, 3, 1)


def test_a_held_payout_keeps_its_reason_until_booked(ledger: Ledger, clock) -> None:
    ledger.record_payout(T, DAY, "po_1", "pending")
    reason = "payout po_1 does not reconcile: expected 1 234.00 SEK, actions give 1 230.00 SEK"
    ledger.record_payout(T, DAY, "po_1", "held", reason)
    [held] = ledger.payouts(T)
    assert (held.payout_id, held.day, held.status, held.reason) == ("po_1", DAY, "held", reason)
    clock.advance(timedelta(days=1))
    ledger.record_payout(T, DAY, "po_1", "booked")
    [booked] = ledger.payouts(T)
    assert (booked.status, booked.reason, booked.updated_at) == ("booked", None, clock.now)


def test_a_booked_payout_stays_booked_when_a_rerun_records_it_again(ledger: Ledger) -> None:
    ledger.record_payout(T, DAY, "po_1", "booked")
    ledger.record_payout(T, DAY, "po_1", "pending")
    ledger.record_payout(T, DAY, "po_1", "held", "rerun found something")
    [state] = ledger.payouts(T)
    assert (state.status, state.reason) == ("booked", None)


def test_holding_without_a_reason_or_an_unknown_status_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="held without a reason"):
        ledger.record_payout(T, DAY, "po_1", "held", "  ")
    with pytest.raises(ValueError, match="unknown payout status 'paid'"):
        ledger.record_payout(T, DAY, "po_1", "paid")
    assert ledger.payouts(T) == []


def test_payouts_filter_by_day_and_tenant(ledger: Ledger) -> None:
    ledger.record_payout(T, DAY, "po_b", "pending")
    ledger.record_payout(T, DAY, "po_a", "held", "ambiguous refund match")
    ledger.record_payout(T, date(2026, 3, 2), "po_c", "booked")
    ledger.record_payout("other", DAY, "po_z", "pending")
    assert [p.payout_id for p in ledger.payouts(T)] == ["po_a", "po_b", "po_c"]
    assert [p.payout_id for p in ledger.payouts(T, date(2026, 3, 2))] == ["po_c"]


def test_a_run_records_its_start_end_and_summary(ledger: Ledger, clock) -> None:
    started = clock.now
    pk = ledger.start_run(T, DAY, "scheduled__2026-03-02T06:00:00+00:00")
    [running] = ledger.runs(T)
    assert (running.pk, running.status, running.summary, running.finished_at) == (
        pk,
        "running",
        None,
        None,
    )
    clock.advance(timedelta(minutes=3))
    ledger.finish_run(pk, "held", {"invoices": 12, "held_payouts": ["po_1"]})
    [done] = ledger.runs(T, DAY)
    assert done.status == "held"
    assert done.summary == {"invoices": 12, "held_payouts": ["po_1"]}
    assert (done.started_at, done.finished_at) == (started, clock.now)


def test_runs_are_listed_oldest_first_and_by_day(ledger: Ledger) -> None:
    first = ledger.start_run(T, DAY, "r1")
    second = ledger.start_run(T, DAY, "r2")
    third = ledger.start_run(T, date(2026, 3, 2), "r3")
    ledger.start_run("other", DAY, "r4")
    assert first < second < third
    assert [r.run_id for r in ledger.runs(T)] == ["r1", "r2", "r3"]
    assert [r.run_id for r in ledger.runs(T, DAY)] == ["r1", "r2"]


def test_finishing_an_unknown_run_or_as_running_is_refused(ledger: Ledger) -> None:
    pk = ledger.start_run(T, DAY, "r1")
    with pytest.raises(LedgerError, match="no run 999"):
        ledger.finish_run(999, "success", {})
    with pytest.raises(ValueError, match="not 'running'"):
        ledger.finish_run(pk, "running", {})
    assert ledger.runs(T)[0].status == "running"
