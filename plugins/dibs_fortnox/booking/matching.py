"""Match a payout's payment actions to the charges and refunds of their payments.

Nets does not document how a payout action relates to a charge or refund: the action's
``id`` is its own (docs/architecture.md, "Sandbox conventions"), and nothing promises that
its ``timestamp`` equals the charge's ``created`` or the refund's ``lastUpdated``. So the
amount decides and time only breaks ties: a ``Charge`` action matches the charge of the
same payment with the same amount, a ``Refund`` action the ``Completed`` refund with the
same amount. When several are free, the one at the action's very instant wins, else the
only one within ``MATCH_TIME_TOLERANCE`` of it; anything else is a real ambiguity, and the
payout is held with every candidate named. Each charge or refund can be matched once,
ever: ids booked by earlier payouts are passed in as claimed.

Example:
    >>> outcome = match_payout(payout, payments, claimed=frozenset())   # doctest: +SKIP
    >>> outcome.reasons or [m.source_id for m in outcome.matches]      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta

from dibs_fortnox.model import ActionKind, Charge, Payment, Payout, PayoutAction, Refund
from dibs_fortnox.money import format_amount

# How far apart an action and its charge or refund may be in time when the amount alone
# does not decide: a payout settles actions of the previous days, so a day and a half.
MATCH_TIME_TOLERANCE = timedelta(hours=36)


@dataclass(frozen=True)
class Match:
    """An action and the charge or refund it settles.

    Attributes:
        refund: ``None`` for a charge match; then ``charge`` is set. For a refund match
            ``charge`` is ``None`` (see ``credited_charge`` for the charge it credits).
    """

    action: PayoutAction
    payment: Payment
    charge: Charge | None = None
    refund: Refund | None = None

    @property
    def source_id(self) -> str:
        if self.charge is not None:
            return self.charge.charge_id
        assert self.refund is not None
        return self.refund.refund_id


@dataclass(frozen=True)
class MatchOutcome:
    """All matches of a payout, or the reasons it must be held (then ``matches`` is empty)."""

    matches: tuple[Match, ...]
    reasons: tuple[str, ...]


def _describe(payout: Payout, action: PayoutAction) -> str:
    when = action.timestamp.isoformat() if action.timestamp else "no timestamp"
    return (
        f"payout {payout.payout_id}: {action.kind.value.lower()} action {action.action_id or '?'} "
        f"of payment {action.payment_id} ({format_amount(action.amount)} {payout.currency}, {when})"
    )


def _when(source: Charge | Refund) -> datetime | None:
    return source.created if isinstance(source, Charge) else source.last_updated


def same_amount(action: PayoutAction, payment: Payment) -> list[Charge | Refund]:
    """The charges (or completed refunds) of the payment with the action's amount."""
    if action.kind is ActionKind.CHARGE:
        return [c for c in payment.charges if c.amount == action.amount]
    return [r for r in payment.refunds if r.completed and r.amount == action.amount]


def _closest(action: PayoutAction, free: list[Charge | Refund]) -> Charge | Refund | None:
    """The one candidate at the action's instant, else the only one within the tolerance."""
    if action.timestamp is None:
        return None
    exact = [c for c in free if _when(c) == action.timestamp]
    if len(exact) == 1:
        return exact[0]
    near = [
        c
        for c in free
        if (when := _when(c)) is not None and abs(when - action.timestamp) <= MATCH_TIME_TOLERANCE
    ]
    return near[0] if len(near) == 1 else None


def _match_action(
    payout: Payout, action: PayoutAction, payment: Payment, claimed: AbstractSet[str]
) -> Match | str:
    """Return the match, or the reason there is none."""
    label = _describe(payout, action)
    what = "charge" if action.kind is ActionKind.CHARGE else "completed refund"
    candidates = same_amount(action, payment)
    free = [c for c in candidates if _id(c) not in claimed]
    chosen = free[0] if len(free) == 1 else _closest(action, free)
    if chosen is not None:
        if isinstance(chosen, Charge):
            return Match(action=action, payment=payment, charge=chosen)
        return Match(action=action, payment=payment, refund=chosen)
    if free:
        named = ", ".join(f"{_id(c)} ({_when_text(c)})" for c in free)
        return (
            f"{label} matches {len(free)} {what}s with the same amount: {named}; Nets does "
            "not say which one was paid out, so book this payout by hand"
        )
    if candidates:
        return (
            f"{label} matches {what} {_id(candidates[0])}, which is already booked by another "
            "payout; check the payout in the Nets portal before booking it by hand"
        )
    return (
        f"{label} matches no {what} of that payment with the same amount, even after "
        "fetching the payment again from Nets"
    )


def _when_text(source: Charge | Refund) -> str:
    when = _when(source)
    return when.isoformat() if when else "no time"


def unexplained(payout: Payout, payment: Payment) -> list[PayoutAction]:
    """The payout's actions on ``payment`` that no charge or completed refund could match.

    A payment read earlier (from the cache or the state database) may predate a refund
    that completed since, or a later charge: the pipeline fetches such a payment again
    before it decides anything.
    """
    return [
        action
        for action in payout.actions
        if action.payment_id == payment.payment_id
        and action.kind is not ActionKind.DEPOSIT
        and not same_amount(action, payment)
    ]


def _id(source: Charge | Refund) -> str:
    return source.charge_id if isinstance(source, Charge) else source.refund_id


def match_payout(
    payout: Payout, payments: Mapping[str, Payment], claimed: AbstractSet[str]
) -> MatchOutcome:
    """Match every charge and refund action of ``payout``; deposits need no match.

    Args:
        payments: parsed payments by id; a missing id holds the payout.
        claimed: charge and refund ids already booked (earlier payouts or this run).
    """
    matches: list[Match] = []
    reasons: list[str] = []
    taken: set[str] = set()
    for action in payout.actions:
        if action.kind is ActionKind.DEPOSIT:
            continue
        if action.payment_id is None:
            reasons.append(f"{_describe(payout, action)} names no payment")
            continue
        payment = payments.get(action.payment_id)
        if payment is None:
            reasons.append(
                f"payout {payout.payout_id}: payment details for {action.payment_id} are missing "
                "(GET /v1/payments failed or was rate limited); run the day again later"
            )
            continue
        outcome = _match_action(payout, action, payment, claimed | taken)
        if isinstance(outcome, str):
            reasons.append(outcome)
            continue
        taken.add(outcome.source_id)
        matches.append(outcome)
    if reasons:
        return MatchOutcome(matches=(), reasons=tuple(reasons))
    return MatchOutcome(matches=tuple(matches), reasons=())


def _covers(charge: Charge, refund: Refund) -> bool:
    """True when every refunded line was on the charge (same SKU, name, rate, unit price)."""
    available = {
        (ln.reference, ln.name, ln.tax_rate, ln.unit_price): ln.quantity for ln in charge.lines
    }
    for line in refund.lines:
        key = (line.reference, line.name, line.tax_rate, line.unit_price)
        if key not in available or line.quantity > available[key]:
            return False
    return True


def credited_charge(
    payment: Payment, refund: Refund, known: AbstractSet[str]
) -> tuple[Charge | None, str | None]:
    """Find the charge a refund credits: the earliest booked charge holding its lines.

    Nets' payment object does not link a refund to its charge, so the refunded order lines
    decide; a refund without lines credits a charge of the same amount.

    Args:
        known: charge ids whose invoice exists or is being booked in this run.

    Returns:
        ``(charge, None)`` or ``(None, reason)`` for the bookkeeper.
    """
    if refund.lines:
        candidates = [c for c in payment.charges if _covers(c, refund)]
    else:
        candidates = [c for c in payment.charges if c.amount == refund.amount]
    if not candidates:
        return None, (
            f"refund {refund.refund_id} of payment {payment.payment_id} refunds lines that no "
            "charge of the payment has; book the credit by hand"
        )
    booked = [c for c in candidates if c.charge_id in known]
    if not booked:
        ids = ", ".join(c.charge_id for c in candidates)
        return None, (
            f"refund {refund.refund_id} of payment {payment.payment_id} credits charge {ids}, "
            "whose invoice is not booked (not in this run nor in an earlier payout); book the "
            "payout of that charge first (run its day), then run this day again"
        )
    return booked[0], None
