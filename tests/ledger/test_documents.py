"""Document intents and results: claim, the write protocol, status rules, listings, forget."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from dibs_fortnox.ledger import DocumentNotClaimed, Ledger, TransitionRefused

DAY = date(2026, 3, 1)
T = "acme"


def claim(ledger: Ledger, kind: str = "invoice", ref: str = "ch_1", **kw: object):
    args = {"day": DAY, "payout_id": "po_1", "payload_hash": "h1", **kw}
    return ledger.claim(T, kind, ref, **args)  # type: ignore[arg-type]


def test_claim_records_intent_with_its_context(ledger: Ledger, clock) -> None:
    state = claim(ledger)
    assert (state.tenant, state.kind, state.reference, state.status) == (
        T,
        "invoice",
        "ch_1",
        "intent",
    )
    assert (state.day, state.payout_id, state.payload_hash) == (DAY, "po_1", "h1")
    assert state.fortnox_id is None and state.detail is None
    assert state.updated_at == clock.now and state.updated_at.tzinfo == UTC


def test_claim_twice_returns_the_same_row_unchanged(ledger: Ledger, clock) -> None:
    first = claim(ledger)
    clock.advance(timedelta(minutes=5))
    second = claim(ledger, day=date(2026, 3, 2), payout_id="po_2", payload_hash="other")
    assert second == first
    assert len(ledger.documents(T)) == 1


def test_claim_returns_the_current_state_of_a_posted_document(ledger: Ledger) -> None:
    claim(ledger)
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    again = claim(ledger)
    assert (again.status, again.fortnox_id) == ("posted", "1001")


def test_claim_refuses_an_unknown_kind(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="unknown document kind 'receipt'"):
        claim(ledger, kind="receipt")


def test_the_same_reference_of_another_kind_or_tenant_is_another_document(
    ledger: Ledger,
) -> None:
    claim(ledger, kind="invoice")
    claim(ledger, kind="invoice_payment")
    ledger.claim("other", "invoice", "ch_1", day=DAY, payout_id=None, payload_hash=None)
    assert [d.kind for d in ledger.documents(T)] == ["invoice", "invoice_payment"]
    assert len(ledger.documents("other")) == 1


def test_write_protocol_intent_to_bookkept(ledger: Ledger, clock) -> None:
    claim(ledger)
    assert ledger.begin_write(T, "invoice", "ch_1") is True
    assert ledger.begin_write(T, "invoice", "ch_1") is False
    sending = ledger.document(T, "invoice", "ch_1")
    assert sending is not None and sending.status == "unknown" and sending.detail
    clock.advance(timedelta(seconds=2))
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    posted = ledger.document(T, "invoice", "ch_1")
    assert posted is not None
    assert (posted.status, posted.fortnox_id, posted.detail) == ("posted", "1001", None)
    assert posted.updated_at == clock.now
    ledger.mark_bookkept(T, "invoice", "ch_1")
    done = ledger.document(T, "invoice", "ch_1")
    assert done is not None and (done.status, done.fortnox_id) == ("bookkept", "1001")


def test_begin_write_is_refused_for_an_unclaimed_document(ledger: Ledger) -> None:
    assert ledger.begin_write(T, "invoice", "never") is False
    assert ledger.document(T, "invoice", "never") is None


def test_posting_straight_from_intent_is_allowed(ledger: Ledger) -> None:
    claim(ledger, kind="voucher", ref="po_1")
    ledger.mark_posted(T, "voucher", "po_1", "A-17")
    state = ledger.document(T, "voucher", "po_1")
    assert state is not None and (state.status, state.fortnox_id) == ("posted", "A-17")


def test_repeating_a_known_answer_changes_nothing(ledger: Ledger, clock) -> None:
    claim(ledger)
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    ledger.mark_bookkept(T, "invoice", "ch_1")
    before = ledger.document(T, "invoice", "ch_1")
    clock.advance(timedelta(hours=1))
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    ledger.mark_bookkept(T, "invoice", "ch_1")
    assert ledger.document(T, "invoice", "ch_1") == before


def test_a_second_number_for_a_posted_document_is_refused(ledger: Ledger) -> None:
    claim(ledger)
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    with pytest.raises(TransitionRefused, match="1001.*1002.*check both"):
        ledger.mark_posted(T, "invoice", "ch_1", "1002")
    state = ledger.document(T, "invoice", "ch_1")
    assert state is not None and state.fortnox_id == "1001"


def test_bookkeeping_needs_a_posted_document(ledger: Ledger) -> None:
    claim(ledger)
    with pytest.raises(TransitionRefused, match="is intent, not posted"):
        ledger.mark_bookkept(T, "invoice", "ch_1")


def test_an_unknown_outcome_cannot_follow_a_posted_one(ledger: Ledger) -> None:
    claim(ledger)
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    with pytest.raises(TransitionRefused, match="already posted"):
        ledger.mark_unknown(T, "invoice", "ch_1", "timeout")


def test_results_for_unclaimed_documents_are_refused(ledger: Ledger) -> None:
    with pytest.raises(DocumentNotClaimed, match="never claimed"):
        ledger.mark_posted(T, "invoice", "ghost", "1")
    with pytest.raises(DocumentNotClaimed):
        ledger.mark_unknown(T, "invoice", "ghost", "timeout")


def test_unknown_keeps_its_detail_and_resolves_to_posted_when_found(ledger: Ledger) -> None:
    claim(ledger)
    ledger.begin_write(T, "invoice", "ch_1")
    ledger.mark_unknown(T, "invoice", "ch_1", "read timeout after 30 s")
    state = ledger.document(T, "invoice", "ch_1")
    assert state is not None and (state.status, state.detail) == (
        "unknown",
        "read timeout after 30 s",
    )
    after = ledger.resolve(T, "invoice", "ch_1", "1001")
    assert (after.status, after.fortnox_id) == ("posted", "1001")
    assert after.detail is not None and "found in Fortnox" in after.detail


def test_unknown_resolves_back_to_intent_when_not_found_and_may_be_sent_again(
    ledger: Ledger,
) -> None:
    claim(ledger)
    ledger.begin_write(T, "invoice", "ch_1")
    after = ledger.resolve(T, "invoice", "ch_1", None)
    assert (after.status, after.fortnox_id) == ("intent", None)
    assert ledger.begin_write(T, "invoice", "ch_1") is True


def test_resolving_a_posted_document_as_missing_is_refused(ledger: Ledger) -> None:
    claim(ledger)
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    with pytest.raises(TransitionRefused, match="a person must check Fortnox"):
        ledger.resolve(T, "invoice", "ch_1", None)


def test_refusal_is_terminal_and_keeps_its_reason(ledger: Ledger) -> None:
    claim(ledger)
    ledger.begin_write(T, "invoice", "ch_1")
    ledger.mark_failed(T, "invoice", "ch_1", "Fortnox 2000359: account 3001 is inactive")
    state = ledger.document(T, "invoice", "ch_1")
    assert state is not None and state.status == "failed"
    assert state.detail == "Fortnox 2000359: account 3001 is inactive"
    with pytest.raises(TransitionRefused, match="refused by Fortnox"):
        ledger.mark_posted(T, "invoice", "ch_1", "1001")
    assert ledger.begin_write(T, "invoice", "ch_1") is False


def test_a_bookkept_document_cannot_be_marked_refused(ledger: Ledger) -> None:
    claim(ledger)
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    ledger.mark_bookkept(T, "invoice", "ch_1")
    with pytest.raises(TransitionRefused, match="already bookkept"):
        ledger.mark_failed(T, "invoice", "ch_1", "late refusal")


def test_booked_references_are_invoices_and_credits_that_exist_in_fortnox(
    ledger: Ledger,
) -> None:
    claim(ledger, "invoice", "ch_posted")
    ledger.mark_posted(T, "invoice", "ch_posted", "1")
    claim(ledger, "invoice", "ch_bookkept")
    ledger.mark_posted(T, "invoice", "ch_bookkept", "2")
    ledger.mark_bookkept(T, "invoice", "ch_bookkept")
    claim(ledger, "credit", "rf_1")
    ledger.mark_posted(T, "credit", "rf_1", "3")
    claim(ledger, "invoice", "ch_bookkeep_refused")
    ledger.mark_posted(T, "invoice", "ch_bookkeep_refused", "4")
    ledger.mark_failed(T, "invoice", "ch_bookkeep_refused", "period locked")
    claim(ledger, "invoice", "ch_intent")
    claim(ledger, "invoice", "ch_unknown")
    ledger.begin_write(T, "invoice", "ch_unknown")
    claim(ledger, "invoice", "ch_refused")
    ledger.mark_failed(T, "invoice", "ch_refused", "refused")
    claim(ledger, "invoice_payment", "ch_posted")
    ledger.mark_posted(T, "invoice_payment", "ch_posted", "9")
    ledger.claim("other", "invoice", "ch_x", day=DAY, payout_id=None, payload_hash=None)
    ledger.mark_posted("other", "invoice", "ch_x", "5")

    assert ledger.booked_references(T) == frozenset(
        {"ch_posted", "ch_bookkept", "rf_1", "ch_bookkeep_refused"}
    )
    assert ledger.booked_references(T, kinds=("credit",)) == frozenset({"rf_1"})
    assert ledger.booked_references(T, kinds=("invoice_payment",)) == frozenset({"ch_posted"})


def test_documents_filter_by_day_payout_and_kind(ledger: Ledger) -> None:
    claim(ledger, "invoice", "a", day=date(2026, 3, 1), payout_id="po_1")
    claim(ledger, "invoice_payment", "a", day=date(2026, 3, 1), payout_id="po_1")
    claim(ledger, "invoice", "b", day=date(2026, 3, 2), payout_id="po_2")
    claim(ledger, "customer", "c@example.com", day=date(2026, 3, 2), payout_id=None)

    def refs(docs):
        return [(d.kind, d.reference) for d in docs]

    assert refs(ledger.documents(T, day=date(2026, 3, 2))) == [
        ("invoice", "b"),
        ("customer", "c@example.com"),
    ]
    assert refs(ledger.documents(T, payout_id="po_1")) == [
        ("invoice", "a"),
        ("invoice_payment", "a"),
    ]
    assert refs(ledger.documents(T, kind="invoice")) == [("invoice", "a"), ("invoice", "b")]
    assert refs(ledger.documents(T, day=date(2026, 3, 1), kind="customer")) == []


def test_forget_documents_deletes_one_tenant_only(ledger: Ledger) -> None:
    claim(ledger, "invoice", "a")
    claim(ledger, "voucher", "po_1")
    ledger.claim("other", "invoice", "a", day=DAY, payout_id=None, payload_hash=None)
    assert ledger.forget_documents(T) == 2
    assert ledger.documents(T) == []
    assert ledger.document(T, "invoice", "a") is None
    assert len(ledger.documents("other")) == 1
    assert claim(ledger, "invoice", "a").status == "intent"


def test_a_refused_document_found_by_a_later_lookup_becomes_posted(ledger: Ledger) -> None:
    claim(ledger)
    ledger.mark_failed(T, "invoice", "ch_1", "read timeout, then 400 on retry")
    after = ledger.resolve(T, "invoice", "ch_1", "1001")
    assert (after.status, after.fortnox_id) == ("posted", "1001")


def test_a_refused_document_not_found_may_be_sent_again_after_the_fix(ledger: Ledger) -> None:
    claim(ledger)
    ledger.begin_write(T, "invoice", "ch_1")
    ledger.mark_failed(T, "invoice", "ch_1", "account 3001 is inactive")
    after = ledger.resolve(T, "invoice", "ch_1", None)
    assert (after.status, after.fortnox_id) == ("intent", None)
    assert ledger.begin_write(T, "invoice", "ch_1") is True


def test_a_refused_bookkeeping_keeps_the_number_against_a_lookup(ledger: Ledger) -> None:
    claim(ledger)
    ledger.mark_posted(T, "invoice", "ch_1", "1001")
    ledger.mark_failed(T, "invoice", "ch_1", "period is locked")
    with pytest.raises(TransitionRefused, match="as Fortnox 1001.*found nothing"):
        ledger.resolve(T, "invoice", "ch_1", None)
    with pytest.raises(TransitionRefused, match="1001.*1002"):
        ledger.resolve(T, "invoice", "ch_1", "1002")
    again = ledger.resolve(T, "invoice", "ch_1", "1001")
    assert (again.status, again.fortnox_id) == ("posted", "1001")
    ledger.mark_bookkept(T, "invoice", "ch_1")
