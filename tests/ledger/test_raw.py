"""Raw Nets responses and the payment cache built on them."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest

from dibs_fortnox import money
from dibs_fortnox.ledger import Ledger

T = "acme"
DAY = date(2026, 3, 1)

PAYMENT = {
    "paymentId": "pay_1",
    "summary": {"chargedAmount": 12500},
    "orderDetails": {"amount": 12500, "currency": "SEK", "reference": "order-7"},
    "consumer": {"shippingAddress": {"country": "SWE"}},
    "exchangeRate": Decimal("11.0512"),
}


def test_save_and_get_round_trip_keeps_numbers_exact(ledger: Ledger, clock) -> None:
    ledger.save_raw(T, "payment", "pay_1", DAY, PAYMENT)
    record = ledger.get_raw(T, "payment", "pay_1")
    assert record is not None
    assert record.payload == PAYMENT
    assert record.payload["exchangeRate"] == Decimal("11.0512")
    assert isinstance(record.payload["summary"]["chargedAmount"], int)
    assert (record.tenant, record.kind, record.nets_id, record.day) == (T, "payment", "pay_1", DAY)
    assert record.fetched_at == clock.now and record.fetched_at.tzinfo == UTC


def test_save_replaces_the_payload_and_the_fetch_time(ledger: Ledger, clock) -> None:
    ledger.save_raw(T, "payout", "po_1", DAY, {"payoutId": "po_1", "amount": 100})
    clock.advance(timedelta(hours=3))
    ledger.save_raw(T, "payout", "po_1", DAY, {"payoutId": "po_1", "amount": 90})
    record = ledger.get_raw(T, "payout", "po_1")
    assert record is not None
    assert record.payload == {"payoutId": "po_1", "amount": 90}
    assert record.fetched_at == clock.now
    assert len(ledger.raw_for_day(T, DAY)) == 1


def test_save_without_a_day_keeps_the_stored_day(ledger: Ledger) -> None:
    ledger.save_raw(T, "payment", "pay_1", DAY, PAYMENT)
    ledger.save_raw(T, "payment", "pay_1", None, {**PAYMENT, "refreshed": True})
    record = ledger.get_raw(T, "payment", "pay_1")
    assert record is not None and record.day == DAY and record.payload["refreshed"] is True


def test_raw_for_day_returns_that_tenant_and_day_only(ledger: Ledger) -> None:
    ledger.save_raw(T, "payouts_list", "2026-03-01", DAY, {"payouts": [{"payoutId": "po_1"}]})
    ledger.save_raw(T, "payout", "po_1", DAY, {"payoutId": "po_1"})
    ledger.save_raw(T, "payout", "po_2", date(2026, 3, 2), {"payoutId": "po_2"})
    ledger.save_raw("other", "payout", "po_9", DAY, {"payoutId": "po_9"})
    assert [(r.kind, r.nets_id) for r in ledger.raw_for_day(T, DAY)] == [
        ("payouts_list", "2026-03-01"),
        ("payout", "po_1"),
    ]


def test_unknown_kinds_and_float_money_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="unknown raw record kind 'refund'"):
        ledger.save_raw(T, "refund", "r1", DAY, {})
    with pytest.raises(TypeError, match="float"):
        ledger.save_raw(T, "payment", "pay_f", DAY, {"amount": 125.5})
    assert ledger.get_raw(T, "payment", "pay_f") is None


def test_get_raw_of_an_unfetched_object_is_none(ledger: Ledger) -> None:
    ledger.save_raw(T, "payment", "pay_1", DAY, PAYMENT)
    assert ledger.get_raw(T, "payment", "pay_2") is None
    assert ledger.get_raw(T, "payout", "pay_1") is None
    assert ledger.get_raw("other", "payment", "pay_1") is None


def test_payment_cache_answers_until_max_age(ledger: Ledger, clock) -> None:
    cache = ledger.payment_cache(T)
    assert cache.get("pay_1") is None
    cache.put("pay_1", PAYMENT)
    clock.advance(timedelta(hours=24))
    assert cache.get("pay_1") == PAYMENT
    clock.advance(timedelta(seconds=1))
    assert cache.get("pay_1") is None
    cache.put("pay_1", {**PAYMENT, "v": 2})
    assert cache.get("pay_1") == {**PAYMENT, "v": 2}


def test_payment_cache_honours_a_short_max_age_and_is_per_tenant(ledger: Ledger, clock) -> None:
    ledger.payment_cache(T).put("pay_1", PAYMENT, day=DAY)
    short = ledger.payment_cache(T, max_age=timedelta(minutes=10))
    clock.advance(timedelta(minutes=11))
    assert short.get("pay_1") is None
    assert ledger.payment_cache(T).get("pay_1") == PAYMENT
    assert ledger.payment_cache("other").get("pay_1") is None
    record = ledger.get_raw(T, "payment", "pay_1")
    assert record is not None and record.day == DAY


def test_payment_cache_refuses_a_negative_age(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        ledger.payment_cache(T, max_age=timedelta(seconds=-1))


def test_get_raws_reads_many_ids_in_batches_and_leaves_out_the_missing(ledger: Ledger) -> None:
    ids = [f"pay_{n}" for n in range(1203)]  # more than two batches of the query
    for n, nets_id in enumerate(ids):
        ledger.save_raw(T, "payment", nets_id, DAY, {**PAYMENT, "paymentId": nets_id, "n": n})
    ledger.save_raw("other", "payment", "pay_7", DAY, {"paymentId": "pay_7", "theirs": True})
    ledger.save_raw(T, "payout", "pay_8", DAY, {"payoutId": "pay_8"})  # another kind
    wanted = [*reversed(ids), "pay_7", "never_fetched"]
    found = ledger.get_raws(T, "payment", wanted)
    assert set(found) == set(ids)
    assert all(found[i].payload == {**PAYMENT, "paymentId": i, "n": n} for n, i in enumerate(ids))
    assert ledger.get_raws(T, "payment", []) == {}


SWEDISH = {"note": "Åsa Öberg, Göteborg \\ 10 €"}  # UTF-8 and a backslash, both kept as stored


def test_get_raw_texts_gives_the_stored_json_text_with_exact_numbers(ledger: Ledger) -> None:
    ids = [f"pay_{n}" for n in range(640)]  # more than one batch of the query
    for nets_id in ids:
        ledger.save_raw(T, "payment", nets_id, DAY, {**PAYMENT, "paymentId": nets_id, **SWEDISH})
    ledger.save_raw("other", "payment", "pay_7", DAY, {"paymentId": "pay_7", "theirs": True})
    texts = ledger.get_raw_texts(T, "payment", [*ids, "never_fetched"])
    assert set(texts) == set(ids)
    assert all(isinstance(t, bytes) for t in texts.values())
    assert money.loads(texts["pay_7"]) == {**PAYMENT, "paymentId": "pay_7", **SWEDISH}
    assert b'"exchangeRate": 11.0512' in texts["pay_7"].replace(b":11", b": 11")
    assert ledger.get_raw_texts(T, "payment", []) == {}
