"""Matching payout actions to charges and refunds when Nets' times do not line up.

Nets does not document that an action's ``timestamp`` equals the charge's ``created`` or
the refund's ``lastUpdated``: the amount decides, time only breaks ties, and a payout is
held only for a real ambiguity, with every candidate named.
"""

from __future__ import annotations

from tests.booking.booking_notation import (
    SETTINGS,
    charge,
    charged,
    payment,
    payments_by_id,
    payout,
    refund,
    refunded,
)

from dibs_fortnox.booking import transform
from dibs_fortnox.booking.matching import unexplained
from dibs_fortnox.booking.parse import parse_payment, parse_payout

MORNING = "2024-03-05T08:00:00.0000+00:00"
EVENING = "2024-03-05T20:00:00.0000+00:00"
WEEK_LATER = "2024-03-12T09:00:00.0000+00:00"


def book(*pays, payouts, already_booked=frozenset()):
    return transform(list(payouts), payments_by_id(*pays), SETTINGS, frozenset(already_booked))


def refs(result):
    return [i.external_ref for b in result.bookings() for i in b.invoices]


def test_action_time_differs_from_charge_unique_amount_matches():
    pay = payment("p1", charges=[charge("c1", ["Tröja 1 × 160.00 @25%"], at=MORNING)])
    # Nets stamped the action a week after the charge: the amount is unique, so it matches.
    result = book(pay, payouts=[payout("po1", charged(pay, "c1", at=WEEK_LATER))])
    assert result.held == [] and refs(result) == ["c1"]


def test_refund_action_time_differs_from_refund_still_matches():
    pay = payment(
        "p1",
        charges=[charge("c1", ["Tröja 2 × 160.00 @25%"], at=MORNING)],
        refunds=[refund("r1", ["Tröja 1 × 160.00 @25%"], at=EVENING)],
    )
    action = {**refunded(pay, "r1"), "timestamp": "2024-03-06T02:10:00+01:00"}
    result = book(pay, payouts=[payout("po2", action)], already_booked={"c1"})
    assert result.held == [] and refs(result) == ["r1"]


def test_same_amount_twice_the_one_near_in_time_wins():
    pay = payment(
        "p1",
        charges=[
            charge("c1", ["Tröja 1 × 160.00 @25%"], at=MORNING),
            charge("c2", ["Mössa 1 × 160.00 @25%"], at=WEEK_LATER),
        ],
    )
    # Stamped an hour after c1 (not equal to it): only c1 is within the tolerance.
    action = charged(pay, "c1", at="2024-03-05T09:00:00.0000+00:00")
    result = book(pay, payouts=[payout("po1", action)])
    assert result.held == [] and refs(result) == ["c1"]


def test_same_amount_twice_near_in_time_is_held_naming_both():
    pay = payment(
        "p1",
        charges=[
            charge("c1", ["Tröja 1 × 160.00 @25%"], at=MORNING),
            charge("c2", ["Mössa 1 × 160.00 @25%"], at=EVENING),
        ],
    )
    action = charged(pay, "c1", at="2024-03-05T14:00:00.0000+00:00")
    result = book(pay, payouts=[payout("po1", action)])
    assert result.bookings() == []
    reason = result.held[0].reason
    assert "matches 2 charges with the same amount" in reason
    assert f"c1 ({MORNING[:19]}" in reason and f"c2 ({EVENING[:19]}" in reason


def test_exact_instant_wins_over_another_near_one():
    pay = payment(
        "p1",
        charges=[
            charge("c1", ["Tröja 1 × 160.00 @25%"], at=MORNING),
            charge("c2", ["Mössa 1 × 160.00 @25%"], at=EVENING),
        ],
    )
    result = book(pay, payouts=[payout("po1", charged(pay, "c2"))])
    assert result.held == [] and refs(result) == ["c2"]


def test_claimed_twin_leaves_the_other_to_match():
    pay = payment(
        "p1",
        charges=[
            charge("c1", ["Tröja 1 × 160.00 @25%"], at=MORNING),
            charge("c2", ["Mössa 1 × 160.00 @25%"], at=EVENING),
        ],
    )
    action = charged(pay, "c1", at=WEEK_LATER)
    result = book(pay, payouts=[payout("po2", action)], already_booked={"c1"})
    assert result.held == [] and refs(result) == ["c2"]


def test_unexplained_names_actions_the_stored_payment_cannot_match():
    fresh = payment(
        "p1",
        charges=[charge("c1", ["Tröja 2 × 160.00 @25%"], at=MORNING)],
        refunds=[refund("r1", ["Tröja 1 × 160.00 @25%"], at=EVENING)],
    )
    stale = payment(
        "p1",
        charges=[charge("c1", ["Tröja 2 × 160.00 @25%"], at=MORNING)],
        refunds=[refund("r1", ["Tröja 1 × 160.00 @25%"], at=MORNING, state="Pending")],
    )
    po = parse_payout(payout("po2", refunded(fresh, "r1")))
    assert [a.action_id for a in unexplained(po, parse_payment(stale))] == ["act-r1"]
    assert unexplained(po, parse_payment(fresh)) == []
