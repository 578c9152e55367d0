"""The operator's reconciliation queries, run through the ledger on a small known state."""

from __future__ import annotations

from datetime import date

import pytest

from dibs_fortnox.ledger import Ledger
from dibs_fortnox.ledger.reports import parse_queries, queries

T = "acme"
D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


@pytest.fixture
def filled(ledger: Ledger) -> Ledger:
    def doc(kind: str, ref: str, day: date, payout: str | None) -> None:
        ledger.claim(T, kind, ref, day=day, payout_id=payout, payload_hash=None)

    doc("invoice", "ch_1", D1, "po_1")
    ledger.mark_posted(T, "invoice", "ch_1", "1")
    ledger.mark_bookkept(T, "invoice", "ch_1")
    doc("invoice", "ch_2", D1, "po_1")
    ledger.mark_posted(T, "invoice", "ch_2", "2")
    ledger.mark_bookkept(T, "invoice", "ch_2")
    doc("invoice_payment", "ch_1", D1, "po_1")
    ledger.begin_write(T, "invoice_payment", "ch_1")
    ledger.mark_unknown(T, "invoice_payment", "ch_1", "connection reset")
    doc("invoice", "ch_3", D2, "po_2")
    ledger.mark_failed(T, "invoice", "ch_3", "account 3106 is not active")
    doc("voucher", "po_2", D2, "po_2")
    ledger.record_payout(T, D1, "po_1", "pending")
    ledger.record_payout(T, D2, "po_2", "held", "invoice ch_3 refused by Fortnox")
    ledger.claim("other", "invoice", "x", day=D1, payout_id="po_9", payload_hash=None)
    ledger.record_payout("other", D1, "po_9", "held", "not ours")
    return ledger


def test_the_file_names_every_query_once() -> None:
    assert sorted(queries()) == [
        "ambiguous_documents",
        "documents_per_day",
        "failed_documents",
        "held_payouts",
        "payout_progress",
    ]
    with pytest.raises(ValueError, match="appears twice"):
        parse_queries("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n")


def test_documents_per_day_counts_kind_and_status(filled: Ledger) -> None:
    assert filled.report("documents_per_day", T) == [
        {"day": D1, "kind": "invoice", "status": "bookkept", "documents": 2},
        {"day": D1, "kind": "invoice_payment", "status": "unknown", "documents": 1},
        {"day": D2, "kind": "invoice", "status": "failed", "documents": 1},
        {"day": D2, "kind": "voucher", "status": "intent", "documents": 1},
    ]


def test_ambiguous_and_failed_documents(filled: Ledger) -> None:
    [ambiguous] = filled.report("ambiguous_documents", T)
    assert (ambiguous["kind"], ambiguous["reference"], ambiguous["detail"]) == (
        "invoice_payment",
        "ch_1",
        "connection reset",
    )
    assert ambiguous["updated_at"].utcoffset().total_seconds() == 0
    [failed] = filled.report("failed_documents", T)
    assert (failed["reference"], failed["fortnox_id"], failed["detail"]) == (
        "ch_3",
        None,
        "account 3106 is not active",
    )


def test_held_payouts_show_the_reason(filled: Ledger) -> None:
    rows = filled.report("held_payouts", T)
    assert [(r["day"], r["payout_id"], r["reason"]) for r in rows] == [
        (D2, "po_2", "invoice ch_3 refused by Fortnox")
    ]


def test_payout_progress_counts_documents_by_stage(filled: Ledger) -> None:
    rows = filled.report("payout_progress", T)
    assert [
        (r["payout_id"], r["status"], r["documents"], r["confirmed"], r["in_flight"], r["failed"])
        for r in rows
    ] == [("po_1", "pending", 3, 2, 1, 0), ("po_2", "held", 2, 0, 1, 1)]


def test_an_unknown_report_names_the_known_ones(ledger: Ledger) -> None:
    with pytest.raises(KeyError, match="held_payouts"):
        ledger.report("everything", T)
