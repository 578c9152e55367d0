"""Reasons to hold a payout, each written for the bookkeeper who has to act on it.

A payout is posted whole or not at all, so every check returns a list of reasons (empty
when fine) instead of raising: the transform collects them all and shows them together.

Example:
    >>> payout_reasons(payout, "SEK")                                    # doctest: +SKIP
    ['payout 11eb…: currency EUR is not booked yet (this tenant books SEK); ...']
"""

from __future__ import annotations

from dibs_fortnox.booking.regions import Region
from dibs_fortnox.model import ActionKind, Charge, OrderLine, Payment, Payout, Refund
from dibs_fortnox.money import format_amount


def payout_reasons(payout: Payout, currency: str) -> list[str]:
    """Check the payout's currency, completeness, header sums and formula."""
    pid, cur = payout.payout_id, payout.currency
    reasons = []
    if cur != currency:
        reasons.append(
            f"payout {pid}: currency {cur} is not booked yet (this tenant books {currency}); "
            "book it by hand in Fortnox"
        )
    if payout.expected_actions is not None and payout.expected_actions != len(payout.actions):
        reasons.append(
            f"payout {pid}: Nets announced {payout.expected_actions} payment actions but "
            f"{len(payout.actions)} were fetched; run the day again"
        )
    sums = {kind: 0 for kind in ActionKind}
    for action in payout.actions:
        sums[action.kind] += action.amount
    fees = sum(action.fee for action in payout.actions)
    for name, header, actual in (
        ("chargedAmount", payout.charged, sums[ActionKind.CHARGE]),
        ("refundedAmount", payout.refunded, sums[ActionKind.REFUND]),
        ("depositedAmount", payout.deposited, sums[ActionKind.DEPOSIT]),
        ("fees", payout.fees, fees),
    ):
        if header != actual:
            reasons.append(
                f"payout {pid}: {name} {format_amount(header)} {cur} != sum of its actions "
                f"{format_amount(actual)} {cur}; Nets' report is inconsistent, ask Nets "
                "support or book it by hand"
            )
    expected = payout.charged - payout.refunded - payout.fees + payout.deposited
    if payout.amount != expected:
        reasons.append(
            f"payout {pid}: amount {format_amount(payout.amount)} {cur} != charged "
            f"{format_amount(payout.charged)} − refunded {format_amount(payout.refunded)} − fees "
            f"{format_amount(payout.fees)} + deposited {format_amount(payout.deposited)} = "
            f"{format_amount(expected)} {cur} (off by {format_amount(payout.amount - expected)}); "
            "compare with the bank statement and book it by hand"
        )
    return reasons


def _region_reason(payment: Payment, region: Region | None) -> list[str]:
    if region is not None:
        return []
    order = f"payment {payment.payment_id} (order {payment.order_reference or '?'})"
    if payment.country:
        return [
            f"{order} has unknown country {payment.country!r}, so its sales account "
            "(Sverige / EU / utanför EU) is unknown; book it by hand"
        ]
    return [
        f"{order} has no address at all (the shop handles consumer data, Nets "
        "merchantHandlesConsumerData) and the tenant's default_country is not a known "
        "country or is null; set default_country (docs/tenants.md), release the payout and "
        "clear the day, or book it by hand"
    ]


def _line_reasons(what: str, lines: tuple[OrderLine, ...], amount: int, cur: str) -> list[str]:
    reasons = []
    # Rates and VAT amounts are checked against the buyer in ``booking.vat``.
    for line in lines:
        if line.net + line.tax_amount != line.gross:
            reasons.append(
                f"{what}: line '{line.name}' net {format_amount(line.net)} + VAT "
                f"{format_amount(line.tax_amount)} != gross {format_amount(line.gross)}"
            )
    total = sum(line.gross for line in lines)
    if total != amount:
        reasons.append(
            f"{what}: amount {format_amount(amount)} {cur} != sum of its order lines "
            f"{format_amount(total)} {cur}; book it by hand"
        )
    return reasons


def _currency_reason(payout: Payout, payment: Payment) -> list[str]:
    if payment.currency in (None, payout.currency):
        return []
    return [
        f"payout {payout.payout_id}: payment {payment.payment_id} is in {payment.currency}, "
        f"the payout in {payout.currency}; book it by hand"
    ]


def _surcharge_reason(what: str, surcharge: int, currency: str) -> list[str]:
    if not surcharge:
        return []
    return [
        f"{what} has a surcharge of {format_amount(surcharge)} {currency}; "
        "surcharges are not booked yet, book this payout by hand"
    ]


def charge_reasons(
    payout: Payout, payment: Payment, charge: Charge, region: Region | None
) -> list[str]:
    """Check a matched charge: currency, surcharge, country, VAT rates and line sums."""
    what = f"charge {charge.charge_id} of payment {payment.payment_id}"
    reasons = _currency_reason(payout, payment) + _region_reason(payment, region)
    reasons += _surcharge_reason(what, charge.surcharge, payout.currency)
    if not charge.lines:
        reasons.append(f"{what} has no order lines, so no invoice rows; book it by hand")
    else:
        reasons += _line_reasons(what, charge.lines, charge.amount, payout.currency)
    return reasons


def refund_reasons(
    payout: Payout, payment: Payment, refund: Refund, region: Region | None
) -> list[str]:
    """Check a matched refund like a charge; a refund without lines is checked later."""
    what = f"refund {refund.refund_id} of payment {payment.payment_id}"
    reasons = _currency_reason(payout, payment) + _region_reason(payment, region)
    reasons += _surcharge_reason(what, refund.surcharge, payout.currency)
    if refund.lines:
        reasons += _line_reasons(what, refund.lines, refund.amount, payout.currency)
    return reasons
