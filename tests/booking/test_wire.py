"""Payouts and payments read from stored JSON text book exactly as the dicts of the same text.

``booking.wire`` decodes a stored payment straight into typed structs when it fits them
and keeps it as a dict when it does not, and reads a stored payout's actions as structs
(``StoredPayout``); ``columns`` reads the structs by attribute. On generated days and on
every fault case of the bulk/reference comparison (and those only text can carry), the
transform of ``StoredPayout``s and ``StoredPayments`` must equal the transform of the
dicts ``money.loads`` makes of the same texts: frames, held payouts, errors, warnings.
"""

from __future__ import annotations

import importlib
import random
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from tests.booking.test_bulk_equals_reference import (
    FAULTS,
    SETTINGS,
    _actions,
    _day,
    _source,
    assert_same_result,
)

from dibs_fortnox import money
from dibs_fortnox.booking import arrow_read, columns
from dibs_fortnox.booking.columns import read_payments
from dibs_fortnox.booking.transform import transform
from dibs_fortnox.booking.wire import (
    ACTION_FIELDS,
    CHARGE_TEXT,
    LINE_MONEY,
    LINE_TEXT,
    REFUND_TEXT,
    SOURCE_MONEY,
    StoredPayments,
    StoredPayout,
    WireAction,
    WireCharge,
    WireLine,
    WirePayment,
    WireRefund,
    decode_payment,
)


def assert_stored_books_as_dicts(
    payouts: list[dict[str, Any]] | list[str],
    texts: dict[str, str],
    booked: frozenset[str] = frozenset(),
) -> StoredPayments:
    """Payouts (dicts, or their texts) and payments as stored texts book as their dicts."""
    payout_texts = [p if isinstance(p, str) else money.dumps(_exact(p)) for p in payouts]
    stored = StoredPayments(texts)
    dicts = {key: money.loads(text) for key, text in texts.items()}
    assert_same_result(
        transform([StoredPayout(t) for t in payout_texts], stored, SETTINGS, booked),
        transform([money.loads(t) for t in payout_texts], dicts, SETTINGS, booked),
    )
    return stored


def _exact(value: Any) -> Any:
    """A float as the Decimal of its JSON text (money.dumps refuses floats)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def _texts(payments: dict[str, Any]) -> dict[str, str]:
    return {key: money.dumps(_exact(payment)) for key, payment in payments.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_days_book_alike_from_text(seed):
    payouts, payments = _day(seed)
    stored = assert_stored_books_as_dicts(payouts, _texts(payments))
    # Every clean payment is read straight from its text.
    assert read_payments(stored).read_by == {**NOBODY, "text": len(payments)}


def test_earlier_bookings_are_respected_alike_from_text():
    payouts, payments = _day(11, days=4, per_day=20)
    charges = [c["chargeId"] for p in payments.values() for c in p.get("charges") or []]
    booked = frozenset(random.Random(11).sample(charges, 5))
    assert_stored_books_as_dicts(payouts, _texts(payments), booked)


def _replace_in_text(texts: dict[str, str], key: str, old: str, new: str) -> None:
    assert old in texts[key]
    texts[key] = texts[key].replace(old, new, 1)


# Texts the typed path refuses (kept as dicts) or reads and finds irregular.
TEXT_FAULTS = {
    "amount beyond 64 bits": lambda po, pa, r: _source(pa, r).update(amount=2**70),
    "charges as an object": lambda po, pa, r: pa[_actions(po, r)["paymentId"]].update(charges={}),
    "payment wrapper not an object": lambda po, pa, r: pa[_actions(po, r)["paymentId"]].update(
        payment="none"
    ),
    "order items null": lambda po, pa, r: _source(pa, r).update(orderItems=None),
    "country as number": lambda po, pa, r: (
        r.choice(list(pa.values()))
        .setdefault("consumer", {})
        .update(billingAddress={"country": 752})
    ),
}


# Payout texts the action structs refuse (read as dicts) or read and find irregular.
PAYOUT_TEXT_FAULTS = {
    "action amount as a fraction": lambda po, pa, r: _actions(po, r).update(
        amount=Decimal("100.5")
    ),
    "action amount beyond 64 bits": lambda po, pa, r: _actions(po, r).update(amount=2**70),
    "action payment id as a number": lambda po, pa, r: _actions(po, r).update(paymentId=12345),
    "action kind as a number": lambda po, pa, r: _actions(po, r).update(paymentAction=1),
    "action without VAT": lambda po, pa, r: _actions(po, r).pop("vatAmount"),
    "action time as a number": lambda po, pa, r: _actions(po, r).update(timestamp=1),
    "actions null": lambda po, pa, r: r.choice(po).update(paymentActions=None),
    "actions as an object": lambda po, pa, r: r.choice(po).update(paymentActions={}),
    "action as text": lambda po, pa, r: r.choice(po)["paymentActions"].append("x"),
    "payout without an id": lambda po, pa, r: r.choice(po).pop("id"),
    "payout fees as a fraction": lambda po, pa, r: r.choice(po).update(fees=Decimal("0.5")),
}


ALL_FAULTS = {**FAULTS, **TEXT_FAULTS, **PAYOUT_TEXT_FAULTS}
NOBODY = dict.fromkeys(columns.READERS, 0)


@pytest.mark.parametrize("chunk", [arrow_read.CHUNK, 4])  # one chunk; several joined
@pytest.mark.parametrize("fault", sorted(ALL_FAULTS))
def test_faults_book_alike_from_text(fault, chunk, monkeypatch):
    monkeypatch.setattr(arrow_read, "CHUNK", chunk)
    rng = random.Random(fault)
    payouts, payments = _day(7, days=3, per_day=15)
    ALL_FAULTS[fault](payouts, payments, rng)
    assert_stored_books_as_dicts(payouts, _texts(payments))


def test_text_only_the_standard_library_reads_is_kept_as_a_dict():
    payouts, payments = _day(3, days=2, per_day=10)
    texts = _texts(payments)
    key = _actions(payouts, random.Random(3))["paymentId"]
    # A lone surrogate escape: msgspec refuses it, money.loads falls back to json.loads.
    _replace_in_text(texts, key, '"reference": "', '"reference": "\\ud800')
    stored = assert_stored_books_as_dicts(payouts, texts)
    # Arrow refuses its chunk, the structs refuse it; the rest of the chunk is typed.
    assert read_payments(stored).read_by == {**NOBODY, "structs": len(texts) - 1, "dicts": 1}
    assert stored[key]["orderDetails"]["reference"].startswith("\ud800")


def test_the_structs_refuse_what_the_lenient_path_must_judge():
    assert decode_payment('{"paymentId": "p", "charges": [{"amount": 1.5}]}') is None
    assert decode_payment('{"paymentId": "p", "charges": [{"amount": "100"}]}') is None
    assert decode_payment('{"paymentId": "p", "charges": [{"amount": true}]}') is None
    assert decode_payment('{"paymentId": 7}') is None
    assert decode_payment("[]") is None
    fitting = decode_payment('{"payment": {"paymentId": "p", "x": [1.5]}, "y": {}}')
    assert isinstance(fitting, WirePayment) and fitting.inner.paymentId == "p"


def test_a_wrapped_payment_is_unwrapped_by_the_structs_not_read_one_by_one():
    payouts, payments = _day(2, days=2, per_day=10)
    texts = _texts(payments)
    first = next(iter(texts))
    texts[first] = '{"payment": ' + texts[first] + "}"
    columns = read_payments(StoredPayments(texts))
    assert columns.read_by == {**NOBODY, "text": len(texts) - 1, "structs": 1}
    assert list(columns.payments["key"]) == [*list(texts)[1:], first]
    assert columns.payments["payment_id"].iloc[-1] == first
    assert_stored_books_as_dicts(payouts, texts)


def test_the_column_reader_asks_the_structs_for_their_own_fields():
    assert set(CHARGE_TEXT + SOURCE_MONEY) == set(WireCharge.__struct_fields__)
    assert set(REFUND_TEXT + SOURCE_MONEY) == set(WireRefund.__struct_fields__)
    assert set(LINE_TEXT + LINE_MONEY) == set(WireLine.__struct_fields__)


@pytest.mark.parametrize("chunk", [arrow_read.CHUNK, 3])  # one chunk; seven joined
def test_a_clean_stored_day_is_read_without_the_one_by_one_parser(monkeypatch, chunk):
    monkeypatch.setattr(arrow_read, "CHUNK", chunk)
    payouts, payments = _day(4, days=2, per_day=10)
    texts = _texts(payments)
    expected = read_payments({key: money.loads(text) for key, text in texts.items()})

    def refuse(data: Any) -> None:
        raise AssertionError(f"read one by one: {data.get('paymentId')}")

    monkeypatch.setattr(columns, "parse_payment", refuse)
    got = read_payments(StoredPayments(texts))
    for name in ("payments", "sources", "lines"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name))


def test_a_missing_amount_reads_as_zero_on_both_paths():
    payouts, payments = _day(6, days=2, per_day=10)
    source = _source(payments, random.Random(6))
    del source["surchargeAmount"]
    source["orderItems"][0]["taxRate"] = None
    assert_stored_books_as_dicts(payouts, _texts(payments))


def test_a_line_bad_in_two_columns_stays_bad():
    # A fractional amount marks the line's payment for booking.parse; a fractional
    # quantity read after it must not unmark it (the payment would keep an amount of 0).
    payouts, payments = _day(8, days=2, per_day=10)
    key = next(k for k, p in payments.items() if p.get("charges"))
    line = payments[key]["charges"][0]["orderItems"][0]
    line.update(quantity=Decimal("1.5"), netTotalAmount=Decimal("100.5"))
    for read in (read_payments(StoredPayments(_texts(payments))), read_payments(payments)):
        assert key in read.unreadable
        assert key not in set(read.payments["key"])


def test_stored_payments_answer_membership_without_decoding():
    stored = StoredPayments({"p1": '{"paymentId": "p1"}', "p2": "not json at all"})
    assert "p2" in stored and "p3" not in stored  # no decode: p2 would raise
    assert len(stored) == 2 and list(stored) == ["p1", "p2"]


def test_a_stored_payout_reads_as_the_dict_of_its_text():
    texts = [
        '{"id": "a", "fees": 12.50, "paymentActions": [{"amount": 1.5}]}',
        '{"id": "b", "paymentActions": [{"amount": 100}], "id": "c"}',  # the last one wins
        '{"id": "d", "reference": "\\ud800x"}',  # only the standard library reads it
        '{"id": "e", "date": NaN}',
    ]
    for text in texts:
        assert dict(StoredPayout(text)) == money.loads(text)
    assert StoredPayout(texts[0]).wire_actions() is None  # a fraction: the dicts judge it
    assert StoredPayout(texts[0])["fees"] == Decimal("12.50")


def test_a_stored_payout_leaves_its_actions_undecoded_for_the_header():
    payout = StoredPayout('{"id": "a", "currency": "SEK", "paymentActions": [{"amount": 7}]}')
    assert payout.get("currency") == "SEK" and "paymentActions" in payout
    assert "paymentActions" not in payout._values
    assert payout.wire_actions() == [WireAction(amount=7)]
    assert "paymentActions" not in payout._values


def test_the_action_structs_carry_the_fields_the_reader_asks_for():
    assert ACTION_FIELDS == WireAction.__struct_fields__


def test_action_payment_ids_fall_back_to_the_dicts_when_the_structs_refuse():
    payout = StoredPayout('{"paymentActions": [{"paymentId": "p1"}, {}, {"paymentId": 2}]}')
    assert payout.action_payment_ids() is None
    assert StoredPayout('{"paymentActions": [{"paymentId": "p1"}, {}]}').action_payment_ids() == [
        "p1",
        None,
    ]
    assert StoredPayout('{"id": "a"}').action_payment_ids() is None


def test_a_clean_stored_payout_is_read_from_its_action_structs(monkeypatch):
    payouts, payments = _day(4, days=1, per_day=10)
    (payout,) = [money.dumps(_exact(p)) for p in payouts if p["currency"] == "SEK"]

    def refuse(self: StoredPayout, key: str) -> Any:
        assert key != "paymentActions", "the actions were decoded into dicts"
        return original(self, key)

    original = StoredPayout.__getitem__
    expected = columns.read_payouts([money.loads(payout)])
    monkeypatch.setattr(StoredPayout, "__getitem__", refuse)
    got = columns.read_payouts([StoredPayout(payout)])
    pd.testing.assert_frame_equal(got.actions, expected.actions)
    assert got.headers == expected.headers and not got.unreadable


def test_a_payout_text_only_the_standard_library_reads_books_as_its_dict():
    payouts, payments = _day(3, days=2, per_day=10)
    payout_texts = [money.dumps(_exact(p)) for p in payouts]
    assert '"reference": "' in payout_texts[0]
    payout_texts[0] = payout_texts[0].replace('"reference": "', '"reference": "\\ud800', 1)
    assert_stored_books_as_dicts(payout_texts, _texts(payments))


def _with(texts: dict[str, str], key: str, old: str, new: str) -> dict[str, str]:
    changed = dict(texts)
    _replace_in_text(changed, key, old, new)
    return changed


# What Arrow would read, but not as the structs do: the payment goes to the structs.
DEFERRED = {
    "null among the charges": ('"charges": [', '"charges": [null, '),
    "null among the order items": ('"orderItems": [', '"orderItems": [null, '),
    "quantity beyond 2**53": ('"quantity": ', '"quantity": 9007199254740993, "q": '),
    "quantity of 17 digits": ('"quantity": ', '"quantity": 0.12345678901234567, "q": '),
}


@pytest.mark.parametrize("case", sorted(DEFERRED))
def test_what_arrow_reads_differently_is_deferred_to_the_structs(case):
    payouts, payments = _day(5, days=2, per_day=10)
    texts = _texts(payments)
    key = next(k for k, p in payments.items() if p.get("charges"))
    texts = _with(texts, key, *DEFERRED[case])
    read = read_payments(StoredPayments(texts))
    assert read.read_by["text"] == len(texts) - 1
    assert sum(read.read_by.values()) + len(read.unreadable) == len(texts)
    assert_stored_books_as_dicts(payouts, texts)


# Times Arrow's cast would read (or refuse) otherwise than the other readers: the payment
# goes to the structs, whose rules judge it.
ODD_TIMES = {
    "a day that does not exist": "2026-02-30T07:09:27+01:00",
    "hour 24": "2026-11-01T24:00:00Z",
    "nine fractional digits": "2026-11-01T07:09:27.123456789+01:00",
    "a space for the T": "2026-11-01 07:09:27+01:00",
    "an offset without a colon": "2026-11-01T07:09:27+0100",
    "no offset": "2026-11-01T07:09:27",
    "digits that are not ASCII": "\u0662\u0660\u0662\u0666-11-01T07:09:27+01:00",
    "only a date": "2026-11-01",
}


def _with_time(payments: dict[str, Any], field: str, time: str) -> tuple[dict[str, str], str]:
    """The texts, with the first charge's (or refund's) time of some payment replaced."""
    sources = "charges" if field == "created" else "refunds"
    key = next(k for k, p in payments.items() if p.get(sources))
    changed = {k: dict(p) for k, p in payments.items()}
    changed[key][sources] = [{**changed[key][sources][0], field: time}] + changed[key][sources][1:]
    return _texts(changed), key


@pytest.mark.parametrize("field", ["created", "lastUpdated"])
@pytest.mark.parametrize("case", sorted(ODD_TIMES))
def test_a_time_arrow_would_read_otherwise_is_deferred_to_the_structs(case, field):
    payouts, payments = _day(5, days=2, per_day=10)
    texts, _ = _with_time(payments, field, ODD_TIMES[case])
    read = read_payments(StoredPayments(texts))
    assert read.read_by["text"] == len(texts) - 1
    assert_stored_books_as_dicts(payouts, texts)


@pytest.mark.parametrize("time", ["", None, "2026-11-01T07:09:27.1234567-05:30"])
def test_plain_blank_and_missing_times_are_read_from_text(time):
    payouts, payments = _day(5, days=2, per_day=10)
    texts, key = _with_time(payments, "created", time)
    read = read_payments(StoredPayments(texts))
    assert read.read_by == {**NOBODY, "text": len(texts)}
    assert read.sources["when"].to_numpy().dtype == "int64"
    assert_stored_books_as_dicts(payouts, texts)


COUNTRY_PAIRS = [
    (" deu ", "SWE"),
    ("", "DEU"),
    ("   ", "fin"),
    (None, "NOR"),
    ("SWE", None),
    (None, None),
    ("", ""),
    ("xx", "SWE"),
]


def test_payments_without_any_charge_or_refund_are_read_from_text():
    # Flattening a column where no payment has a charge leaves Arrow no chunk to build on.
    payouts, payments = _day(4, days=2, per_day=8)
    for payment in payments.values():
        payment.pop("charges", None)
        payment["refunds"] = None
    texts = _texts(payments)
    read = read_payments(StoredPayments(texts))
    assert read.read_by == {**NOBODY, "text": len(texts)}
    assert len(read.sources) == 0
    assert_stored_books_as_dicts(payouts, texts)


def test_countries_are_read_from_text_as_the_dicts_read_them():
    payouts, payments = _day(9, days=2, per_day=12)
    for (shipping, billing), payment in zip(COUNTRY_PAIRS * 3, payments.values(), strict=False):
        consumer = payment.setdefault("consumer", {})
        for field, country in (("shippingAddress", shipping), ("billingAddress", billing)):
            if country is None:
                consumer.pop(field, None)
            else:
                consumer[field] = {"country": country}
    texts = _texts(payments)
    read = read_payments(StoredPayments(texts))
    assert read.read_by == {**NOBODY, "text": len(texts)}
    dicts = read_payments({key: money.loads(text) for key, text in texts.items()})
    assert read.payments["country"].tolist() == dicts.payments["country"].tolist()
    assert {"DEU", "FIN", "NOR", "SWE", "XX", None} <= set(read.payments["country"])
    assert_stored_books_as_dicts(payouts, texts)


def test_a_fraction_is_read_from_text_as_the_decimal_the_json_wrote():
    payouts, payments = _day(5, days=2, per_day=10)
    texts = _texts(payments)
    key = next(k for k, p in payments.items() if p.get("charges"))
    texts = _with(texts, key, '"quantity": ', '"quantity": 0.333, "q": ')
    read = read_payments(StoredPayments(texts))
    assert read.read_by == {**NOBODY, "text": len(texts)}
    quantities = read.lines["quantity"].tolist()
    assert Decimal("0.333") in quantities
    assert all(type(q) is int or type(q) is Decimal for q in quantities)
    assert_stored_books_as_dicts(payouts, texts)


def test_a_chunk_arrow_refuses_is_read_the_slower_way_and_only_that_chunk(monkeypatch):
    monkeypatch.setattr(arrow_read, "CHUNK", 8)
    payouts, payments = _day(5, days=2, per_day=10)
    texts = _texts(payments)
    keys = list(texts)
    texts = _with(texts, keys[3], '"paymentId": ', '"paymentId": 1, "x": ')  # a number
    read = read_payments(StoredPayments(texts))
    assert read.read_by["text"] == len(texts) - 8
    assert read.read_by["structs"] == 7  # the number as paymentId: the lenient path
    assert_stored_books_as_dicts(payouts, texts)


# Texts whose line breaks or blankness could put Arrow's rows out of step with the texts.
LAYOUTS = {
    "pretty JSON": lambda text: text.replace('{"', '{\n  "').replace("[{", "[\n{"),
    "a trailing line break": lambda text: text + "\n",
    "two objects in one text": lambda text: text + "\n" + text,
    "blank": lambda text: "  ",
    "empty": lambda text: "",
}


@pytest.mark.parametrize("block", [None, 256])  # Arrow's blocks as set; blocks cut mid-text
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_line_breaks_and_blank_texts_never_shift_a_payment_onto_another(layout, block, monkeypatch):
    monkeypatch.setattr(arrow_read, "CHUNK", 8)
    if block:
        monkeypatch.setattr(arrow_read, "_READ", arrow_read.pj.ReadOptions(block_size=block))
    payouts, payments = _day(5, days=2, per_day=10)
    texts = _texts(payments)
    keys = list(texts)
    texts[keys[12]] = LAYOUTS[layout](texts[keys[12]])
    if layout == "two objects in one text":
        texts[keys[13]] = "  "  # a blank text beside it would even out the row count
    read = read_payments(StoredPayments(texts))
    assert sum(read.read_by.values()) + len(read.unreadable) == len(texts)
    if layout in ("pretty JSON", "a trailing line break"):
        assert_stored_books_as_dicts(payouts, texts)
        return
    # Not JSON: that payment alone is unreadable, named, and its payout held.
    stored = transform(payouts, StoredPayments(texts), SETTINGS)
    missing = dict(texts)
    del missing[keys[12]]
    alone = transform(payouts, StoredPayments(missing), SETTINGS)
    [error] = [e for e in stored.errors if e.payment_id == keys[12]]
    assert "its stored text is not JSON" in error.message
    assert {h.payout_id for h in stored.held} == {h.payout_id for h in alone.held}
    for name in ("invoices", "payments", "vouchers"):
        pd.testing.assert_frame_equal(getattr(stored, name), getattr(alone, name))


def test_booked_payouts_are_parsed_from_their_action_structs():
    payouts, payments = _day(4, days=1, per_day=10)
    stored = [StoredPayout(money.dumps(_exact(p))) for p in payouts]
    result = transform(stored, StoredPayments(_texts(payments)), SETTINGS)
    parsed = list(result.payouts)
    assert parsed == list(transform(payouts, payments, SETTINGS).payouts) and parsed
    assert all("paymentActions" not in p._values for p in stored)  # no action dicts made


@pytest.mark.parametrize("text", ["not json at all", "[]"])
def test_a_stored_payout_that_is_no_json_object_is_held_by_its_key_while_others_book(text):
    payouts, payments = _day(4, days=2, per_day=10)
    stored = [StoredPayout(money.dumps(_exact(p)), p["id"]) for p in payouts]
    texts = _texts(payments)
    alone = transform(stored, StoredPayments(texts), SETTINGS)
    result = transform([StoredPayout(text, "po-broken"), *stored], StoredPayments(texts), SETTINGS)
    [error] = [e for e in result.errors if e.payout_id == "po-broken"]
    assert "its stored text is not a JSON object" in error.message
    assert [h.payout_id for h in result.held] == ["po-broken", *(h.payout_id for h in alone.held)]
    for name in ("invoices", "payments", "vouchers"):
        pd.testing.assert_frame_equal(getattr(result, name), getattr(alone, name))


def test_payment_ids_are_read_leniently_where_the_structs_refuse():
    loose = StoredPayout('{"paymentActions": [{"paymentId": "p1"}, {}, {"paymentId": 2}, "x"]}')
    assert loose.payment_ids() == ["p1", None, "2", None]
    assert StoredPayout('{"paymentActions": [{"paymentId": "p1"}]}').payment_ids() == ["p1"]
    assert StoredPayout("not json", "po").payment_ids() == []


@pytest.mark.parametrize("stored", ["text", "one wrapped", "dicts"])
def test_every_payout_booked_is_booked_by_the_bulk_path(monkeypatch, stored):
    # The one-by-one planner books alike, only a thousand times slower: a wrong payment
    # row for an action would send its payout there unseen. Here it sees only the
    # payouts it holds (a refund of a charge paid out on a day not in the run). A
    # wrapped payment is read after the others, so the payments' rows are not in the
    # order the payouts' reader located them in.
    payouts, payments = _day(4, days=2, per_day=10)
    texts = _texts(payments)
    if stored == "one wrapped":
        first = next(iter(texts))
        texts[first] = money.dumps({"payment": _exact(payments[first])})
    if stored != "dicts":
        day = ([StoredPayout(money.dumps(_exact(p))) for p in payouts], StoredPayments(texts))
    else:
        day = ([money.loads(money.dumps(_exact(p))) for p in payouts], payments)
    module = importlib.import_module(transform.__module__)  # the package exports the function
    planned: list[str] = []

    def plan_payout(payout: Any, *args: Any) -> Any:
        planned.append(payout.payout_id)
        return reference_planner(payout, *args)

    reference_planner = module.plan_payout
    monkeypatch.setattr(module, "plan_payout", plan_payout)
    result = transform(*day, SETTINGS)
    assert len(result.payouts) > 0
    assert sorted(planned) == sorted(h.payout_id for h in result.held)
