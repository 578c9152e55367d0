"""Match a payout's payment actions to the charges and refunds of their payments.

Nets does not document how a payout action relates to a charge or refund, and the action's
``id`` is its own (docs/architecture.md, "Sandbox conventions"). So a ``Charge`` action is
matched to the charge of the same payment with the same amount created at the same instant
(the action's ``timestamp`` may be written with another UTC offset), and a ``Refund``
action to the ``Completed`` refund with the same amount and ``lastUpdated``. Each charge or
refund can be matched once, ever: ids booked by earlier payouts are passed in as claimed.
Anything but exactly one candidate is a reason to hold the whole payout.

Example:
    >>> outcome = match_payout(payout, payments, claimed=frozenset())   # doctest: +SKIP
    >>> outcome.reasons or [m.source_id for m in outcome.matches]      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from dibs_fortnox.model import ActionKind, Charge, Payment, Payout, PayoutAction, Refund
from dibs_fortnox.money import format_amount


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


def _match_action(
    payout: Payout, action: PayoutAction, payment: Payment, claimed: AbstractSet[str]
) -> Match | str:
    """Return the match, or the reason there is none."""
    label = _describe(payout, action)
    if action.timestamp is None:
        return f"{label} has no timestamp, so it cannot be matched"
    candidates: list[Charge | Refund]
    if action.kind is ActionKind.CHARGE:
        candidates = [
            c
            for c in payment.charges
            if c.amount == action.amount and c.created is not None and c.created == action.timestamp
        ]
        what = "charge"
    else:
        candidates = [
            r
            for r in payment.refunds
            if r.completed
            and r.amount == action.amount
            and r.last_updated is not None
            and r.last_updated == action.timestamp
        ]
        what = "completed refund"
    free = [c for c in candidates if _id(c) not in claimed]
    if len(free) == 1:
        if isinstance(free[0], Charge):
            return Match(action=action, payment=payment, charge=free[0])
        return Match(action=action, payment=payment, refund=free[0])
    if len(free) > 1:
        return (
            f"{label} matches {len(free)} {what}s ({', '.join(_id(c) for c in free)}) with the "
            "same amount and time; Nets does not say which one was paid out, so book it by hand"
        )
    if candidates:
        return (
            f"{label} matches {what} {_id(candidates[0])}, which is already booked by another "
            "payout; check the payout in the Nets portal before booking it by hand"
        )
    return f"{label} matches no {what} of that payment with the same amount and time"


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
