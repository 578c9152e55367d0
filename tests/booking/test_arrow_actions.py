"""A stored payout's actions read by Arrow give the columns the structs and dicts give.

``booking.arrow_actions`` reads a stored payout's actions from its whole text and takes
only what it reads as the structs would; everything else is left to them. Whatever the
actions hold, ``columns.read_payouts`` of the stored text must equal its reading of the
dict ``money.loads`` makes of the same text (frames, headers and messages), and for a
plain payout Arrow must be the reader that did it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.booking.test_bulk_equals_reference import _day

from dibs_fortnox import money
from dibs_fortnox.booking import columns
from dibs_fortnox.booking.arrow_actions import action_columns
from dibs_fortnox.booking.columns import read_payouts
from dibs_fortnox.booking.wire import StoredPayout

_MISSING = object()


def _payout(actions: list[Any]) -> dict[str, Any]:
    """A payout of the generated days with these actions (its header sums may not add
    up: reading the actions does not check them, booking does)."""
    payouts, _ = _day(5, days=1, per_day=4)
    return payouts[0] | {"paymentActions": actions}


def _text(actions: list[Any], indent: int | None = None) -> str:
    return json.dumps(_payout(actions), indent=indent, ensure_ascii=False)


def _action(**fields: Any) -> dict[str, Any]:
    plain = {
        "id": "a1",
        "paymentId": "p1",
        "paymentAction": "Charge",
        "timestamp": "2026-11-01T07:09:27.4683+01:00",
        "amount": 12500,
        "fee": 310,
        "vatAmount": 2500,
    }
    merged = plain | fields
    return {k: v for k, v in merged.items() if v is not _MISSING}


# The payment keys the actions are located among: "p1" at 1, any other key nowhere.
KEYS = ["p0", "p1", "p2"]


def assert_reads_as_its_dict(text: str | bytes) -> None:
    stored = read_payouts([StoredPayout(text)], KEYS)
    loose = read_payouts([money.loads(text)], KEYS)
    pd.testing.assert_frame_equal(stored.actions, loose.actions)
    assert stored.headers == loose.headers
    assert [str(e) for _, e in stored.unreadable] == [str(e) for _, e in loose.unreadable]


PLAIN = {
    "every field": [_action()],
    "kinds in any case and padding": [
        _action(paymentAction="charge"),
        _action(id="a2", paymentAction=" REFUND ", amount=500),
        _action(id="a3", paymentAction="Deposit", paymentId=_MISSING),
    ],
    "no VAT amount": [_action(vatAmount=_MISSING), _action(id="a2", vatAmount=None)],
    "missing and blank ids": [
        _action(id=_MISSING),
        _action(id=None, paymentId=""),
        _action(id="", paymentId=None),
    ],
    "missing money reads as 0": [_action(amount=None, fee=_MISSING)],
    "times in Z, whole seconds, blank, missing": [
        _action(timestamp="2026-11-01T06:09:27Z"),
        _action(timestamp="2026-11-01T06:09:27.1234567-05:00"),
        _action(timestamp=""),
        _action(timestamp=_MISSING),
    ],
    "text beyond ASCII, escapes and a null byte": [
        _action(id="åäö €", paymentId='p"\\\n\u0000'),
    ],
    "unknown fields and nested values are skipped": [
        _action(extra={"a": [1, {"b": None}]}, note="x", id="a9"),
    ],
    "no actions": [],
}


@pytest.mark.parametrize("case", PLAIN)
@pytest.mark.parametrize("indent", [None, 2])
def test_a_plain_payout_is_read_by_arrow_as_its_dict(case, indent):
    text = _text(PLAIN[case], indent)
    assert action_columns(text) is not None
    assert action_columns(text.encode()) is not None
    assert_reads_as_its_dict(text)
    assert_reads_as_its_dict(text.encode())


def test_arrow_reads_what_the_structs_read(monkeypatch):
    text = _text([a for actions in PLAIN.values() for a in actions])
    by_arrow = read_payouts([StoredPayout(text)], KEYS)
    monkeypatch.setattr(columns, "action_columns", lambda *args: None)
    by_structs = read_payouts([StoredPayout(text)], KEYS)
    pd.testing.assert_frame_equal(by_arrow.actions, by_structs.actions)


ODD = {
    "a fractional amount": [_action(amount=1.5)],
    "a whole amount written as a fraction": [_action(amount=1.0)],
    "an amount in quotes": [_action(fee="310")],
    "an amount beyond 64 bits": [_action(amount=2**70)],
    "a boolean amount": [_action(vatAmount=True)],
    "a number as the id": [_action(id=5)],
    "a number as the payment": [_action(paymentId=7)],
    "an object as the id": [_action(id={"a": 1})],
    "a null action": [_action(), None],
    "an action that is a list": [_action(), ["a"]],
    "an unknown kind": [_action(paymentAction="Chargeback")],
    "a missing kind": [_action(paymentAction=_MISSING)],
    "a time without an offset": [_action(timestamp="2026-11-01T07:09:27")],
    "30 February": [_action(timestamp="2026-02-30T07:09:27Z")],
    "a time in another layout": [_action(timestamp="01/11/2026 07:09")],
}


@pytest.mark.parametrize("case", ODD)
def test_what_arrow_would_read_otherwise_is_left_to_the_structs(case):
    text = _text(ODD[case])
    assert action_columns(text) is None
    assert_reads_as_its_dict(text)


def test_a_key_given_twice_is_left_to_the_structs():
    text = _text([_action()]).replace('"id": "a1"', '"id": "a0", "id": "a1"')
    assert action_columns(text) is None
    assert_reads_as_its_dict(text)
    twice = _text([_action()]).replace('"paymentActions": [', '"paymentActions": [], "x": [', 1)
    assert action_columns(twice.replace('"x"', '"paymentActions"')) is None


def test_a_payout_without_actions_or_not_an_object_is_not_read_by_arrow():
    no_actions = json.dumps({k: v for k, v in _payout([]).items() if k != "paymentActions"})
    assert StoredPayout(no_actions).action_text() is None
    assert action_columns("[1, 2]") is None
    assert action_columns("") is None
    assert action_columns(_text([_action()]) + " " + _text([_action()])) is None
    assert action_columns('{"paymentActions": null}') is None


def test_a_clean_stored_day_has_its_actions_read_by_arrow(monkeypatch):
    payouts, payments = _day(7, days=2, per_day=10)
    texts = [money.dumps(p) for p in payouts]
    keys = list(payments)[::-1]
    expected = read_payouts([money.loads(t) for t in texts], keys)

    def refuse(self: StoredPayout) -> None:
        raise AssertionError("the actions were decoded into structs")

    monkeypatch.setattr(StoredPayout, "wire_actions", refuse)
    got = read_payouts([StoredPayout(t) for t in texts], keys)
    pd.testing.assert_frame_equal(got.actions, expected.actions)
    located = got.actions[got.actions["payment_at"] >= 0]
    assert len(located) == (got.actions["kind"] != "Deposit").sum() > 0
    assert (np.array(keys)[located["payment_at"]] == located["payment_key"]).all()


def test_each_action_is_located_among_the_payment_keys_by_every_reader(monkeypatch):
    text = _text(
        [_action(), _action(id="a2", paymentId="p2"), _action(id="a3", paymentId="p9")]
        + [_action(id="a4", paymentAction="Deposit", paymentId=_MISSING)]
    )
    by_arrow = read_payouts([StoredPayout(text)], KEYS)
    assert by_arrow.actions["payment_at"].tolist() == [1, 2, -1, -1]
    assert by_arrow.payment_keys == KEYS
    # A key Arrow cannot hold (a lone surrogate) leaves the locating to pandas.
    odd_keys = ["p2", "\ud800", "p1"]
    assert read_payouts([StoredPayout(text)], odd_keys).actions["payment_at"].tolist() == [
        2, 0, -1, -1
    ]  # fmt: skip
    monkeypatch.setattr(columns, "action_columns", lambda *args: None)
    assert read_payouts([StoredPayout(text)], KEYS).actions["payment_at"].tolist() == [
        1, 2, -1, -1
    ]  # fmt: skip


def test_payouts_read_by_arrow_and_by_the_structs_keep_the_payouts_order():
    odd = _text([_action(id="o1", amount=1.5), _action(id="o2")])
    plain = _text([_action(id="p1"), _action(id="p2")])
    texts = [plain, odd, plain.replace('"p1"', '"p3"'), money.dumps(_payout([_action()]))]
    stored = read_payouts([StoredPayout(t) for t in texts], KEYS)
    loose = read_payouts([money.loads(t) for t in texts], KEYS)
    pd.testing.assert_frame_equal(stored.actions, loose.actions)
    assert [str(e) for _, e in stored.unreadable] == [str(e) for _, e in loose.unreadable]


_VALUES = {
    "id": st.sampled_from(["a1", "", None, 5, "åäö"]),
    "paymentId": st.sampled_from(["p1", "p2", "", None, 7]),
    "paymentAction": st.sampled_from(["Charge", "refund", " Deposit ", "Bogus", None, 3]),
    "timestamp": st.sampled_from(
        [
            "2026-11-01T07:09:27.4683+01:00",
            "2026-11-01T06:09:27Z",
            "",
            None,
            "2026-11-01T07:09:27",
            "2026-02-30T00:00:00Z",
            5,
        ]
    ),
    "amount": st.sampled_from([0, 12500, -5, None, 1.5, 1.0, "5", 2**70, True]),
    "fee": st.sampled_from([0, 310, None, 2.5]),
    "vatAmount": st.sampled_from([0, 2500, None, "x"]),
}
_ACTIONS = st.one_of(
    st.fixed_dictionaries({}, optional=_VALUES),
    st.sampled_from([None, [], "action"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_ACTIONS, max_size=4), min_size=1, max_size=3))
def test_any_actions_read_from_text_as_from_their_dicts(per_payout):
    texts = [json.dumps(_payout(actions)) for actions in per_payout]
    stored = read_payouts([StoredPayout(t) for t in texts], KEYS)
    loose = read_payouts([money.loads(t) for t in texts], KEYS)
    pd.testing.assert_frame_equal(stored.actions, loose.actions)
    assert stored.headers == loose.headers
    assert [str(e) for _, e in stored.unreadable] == [str(e) for _, e in loose.unreadable]
