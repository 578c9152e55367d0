"""Plan one payout at a time from parsed records: the straightforward way to book.

``transform_reference`` books a day payout by payout with the ``model`` records, the
matching and checks of ``booking.matching``/``booking.checks`` and one dict per row. It is
too slow for a big day (about 0.5 ms per payment action), so ``booking.transform`` books
clean payouts in bulk, with columns, and asks ``plan_payout`` here only about a payout the
bulk path cannot vouch for: one to be held (every reason is written here), or one with an
ambiguous match. A test holds the two to the same frames on random days.

Frames and their meaning: ``booking.transform``; column contracts: ``booking.frames``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from dibs_fortnox.booking import frames
from dibs_fortnox.booking.assemble import TransformWarning
from dibs_fortnox.booking.buyers import Buyer, buyer_of, customer_for
from dibs_fortnox.booking.checks import charge_reasons, payout_reasons, refund_reasons
from dibs_fortnox.booking.documents import row_description, voucher_description
from dibs_fortnox.booking.matching import Match, credited_charge, match_payout
from dibs_fortnox.booking.parse import ParseError, parse_payment, parse_payout
from dibs_fortnox.booking.regions import CustomerSpec
from dibs_fortnox.booking.result import (
    ROUNDING_TEXT,
    HeldPayout,
    ParsedPayouts,
    TransformError,
    TransformResult,
    local_day,
)
from dibs_fortnox.booking.settings import BookingSettings
from dibs_fortnox.booking.vat import LineBooking, book_line, rounding_reason
from dibs_fortnox.model import Charge, OrderLine, Payment, Payout, Refund
from dibs_fortnox.money import format_amount


@dataclass
class PayoutPlan:
    """Records of one payout, kept apart until the payout is known to be bookable."""

    invoices: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    vouchers: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)


def _line_records(
    seq: int, lines: tuple[OrderLine, ...], booked: list[LineBooking], quantity: int
) -> list[dict[str, Any]]:
    return [
        {
            "seq": seq,
            "row": i,
            "account": where.account,
            "quantity": quantity,
            "price": line.net,
            "vat_percent": where.vat_percent,
            "gross": quantity * line.gross,
            "description": row_description(line.name, line.quantity, line.unit, line.unit_price),
        }
        for i, (line, where) in enumerate(zip(lines, booked, strict=True), start=1)
    ]


def _book_lines(
    what: str, buyer: Buyer, lines: tuple[OrderLine, ...], settings: BookingSettings, cur: str
) -> tuple[list[LineBooking], list[str]]:
    """Each line's account and rate, and every reason a line cannot be booked."""
    booked: list[LineBooking] = []
    reasons: list[str] = []
    for line in lines:
        where = book_line(buyer, line, settings)
        if isinstance(where, str):
            reasons.append(f"{what}: {where}")
            continue
        booked.append(where)
        too_far = rounding_reason(line, where.vat_percent, cur)
        if too_far:
            reasons.append(f"{what}: {too_far}")
    return booked, reasons


def _vat_reason(match: Match, lines: tuple[OrderLine, ...], what: str, cur: str) -> list[str]:
    """Cross-check the payout action's own ``vatAmount`` against the document's lines."""
    reported = match.action.vat
    ours = sum(line.tax_amount for line in lines)
    if reported is None or reported == ours:
        return []
    return [
        f"{what}: the payout reports VAT {format_amount(reported)} {cur} but its order lines "
        f"add up to {format_amount(ours)} {cur}; ask Nets which is right, or book it by hand"
    ]


def _customer_columns(spec: CustomerSpec) -> dict[str, Any]:
    return {
        "customer": spec.key,
        "customer_name": spec.name,
        "customer_country": spec.country_code or "",
        "customer_kind": spec.kind,
        "vat_type": spec.vat_type,
        "vat_number": spec.vat_number or "",
    }


def plan_payout(
    payout: Payout,
    payments: Mapping[str, Payment],
    settings: BookingSettings,
    claimed: frozenset[str],
    seq: int,
) -> PayoutPlan:
    plan = PayoutPlan(reasons=payout_reasons(payout, settings.currency))
    outcome = match_payout(payout, payments, claimed)
    plan.reasons.extend(outcome.reasons)
    known = claimed | {m.charge.charge_id for m in outcome.matches if m.charge is not None}
    ordered: list[Match] = sorted(outcome.matches, key=lambda m: m.refund is not None)
    base = {"payout_id": payout.payout_id, "currency": payout.currency}
    for match in ordered:
        payment = match.payment
        buyer = buyer_of(payment, settings.default_country)
        region = buyer.region
        source: Charge | Refund
        if match.charge is not None:
            source = match.charge
            plan.reasons.extend(charge_reasons(payout, payment, source, region))
            moment, credits, kind, sign = source.created, "", "invoice", 1
        else:
            assert match.refund is not None
            source = match.refund
            plan.reasons.extend(refund_reasons(payout, payment, source, region))
            charge, why = credited_charge(payment, source, known)
            if why:
                plan.reasons.append(f"payout {payout.payout_id}: {why}")
            credits = charge.charge_id if charge else ""
            if not source.lines and charge is not None:
                # A refund of a whole charge may come without order lines: credit them all.
                source = replace(source, lines=charge.lines)
            moment, kind, sign = source.last_updated, "credit", -1
        if region is None or moment is None:
            continue
        what = f"{kind} {source.charge_id if isinstance(source, Charge) else source.refund_id}"
        what += f" of payment {payment.payment_id} (order {payment.order_reference or '?'})"
        booked, line_reasons = _book_lines(what, buyer, source.lines, settings, payout.currency)
        plan.reasons += line_reasons + _vat_reason(match, source.lines, what, payout.currency)
        if plan.reasons:
            continue
        seq += 1
        day = local_day(moment)
        ref = source.charge_id if isinstance(source, Charge) else source.refund_id
        doc = {
            **base,
            "seq": seq,
            "external_ref": ref,
            "kind": kind,
            "payment_id": payment.payment_id,
            "credits": credits,
            "order_reference": payment.order_reference,
            **_customer_columns(customer_for(buyer, payout.currency)),
            "invoice_date": day,
            "amount": sign * source.amount,
        }
        plan.invoices.append(doc)
        plan.lines.extend(_line_records(seq, source.lines, booked, sign))
        plan.payments.append(
            {
                **base,
                "seq": seq,
                "external_ref": ref,
                "kind": kind,
                "payment_date": day,
                "amount": sign * source.amount,
                "mode_of_payment": settings.mode_of_payment,
                "account": settings.accounts.receivable,
            }
        )
        plan.claims.append(ref)
    plan.vouchers = voucher_records(payout, settings)
    return plan


def voucher_records(payout: Payout, settings: BookingSettings) -> list[dict[str, Any]]:
    """D bank amount, C bank deposited, D fees, C receivable; negatives swap sides."""
    accounts = settings.accounts
    sides = [
        (accounts.bank, payout.amount, "debit"),
        (accounts.bank, payout.deposited, "credit"),
        (accounts.fees, payout.fees, "debit"),
        (accounts.receivable, payout.charged - payout.refunded, "credit"),
    ]
    records: list[dict[str, Any]] = []
    for account, amount, side in sides:
        if amount == 0:
            continue
        if amount < 0:
            side, amount = ("credit" if side == "debit" else "debit"), -amount
        records.append(
            {
                "payout_id": payout.payout_id,
                "series": settings.voucher_series,
                "transaction_date": payout.day,
                "description": voucher_description(payout.payout_id),
                "row": len(records) + 1,
                "account": account,
                "debit": amount if side == "debit" else 0,
                "credit": amount if side == "credit" else 0,
            }
        )
    return records


def _round_half_up(numerator: pd.Series, denominator: int) -> pd.Series:
    magnitude = (numerator.abs() * 2 + denominator) // (2 * denominator)
    return magnitude.where(numerator >= 0, -magnitude)


def _with_vat_and_rounding(
    lines: pd.DataFrame, invoices: pd.DataFrame, rounding_account: int
) -> tuple[pd.DataFrame, list[TransformWarning]]:
    """Add Fortnox's row VAT, and a VAT-free rounding row where Nets' VAT differs from it.

    Nets does not validate ``taxAmount`` (old DIBS docs), while Fortnox recomputes VAT per
    row; the rounding row keeps the invoice total equal to the charge to the öre.
    """
    net = lines["quantity"] * lines["price"]
    lines = lines.assign(vat=_round_half_up(net * lines["vat_percent"], 100))
    lines = lines.assign(diff=lines["gross"] - net - lines["vat"])
    off = lines[lines["diff"] != 0]
    extra, warnings = [], []
    for seq, group in off.groupby("seq", sort=True):
        first = group.iloc[0]
        diff = int(group["diff"].sum())
        if diff == 0:
            continue
        names = ", ".join(str(d).split(" (")[0] for d in group["description"])
        doc = invoices[invoices["seq"] == seq].iloc[0]
        warnings.append(
            TransformWarning(
                str(doc["payout_id"]),
                str(doc["external_ref"]),
                f"Nets' VAT on {names} differs from Fortnox's rounding by "
                f"{format_amount(diff)} {doc['currency']}; booked on account {rounding_account}",
            )
        )
        row = first.to_dict()
        quantity = int(first["quantity"])
        row.update(
            row=int(lines.loc[lines["seq"] == seq, "row"].max()) + 1,
            account=rounding_account,
            price=diff * quantity,
            vat_percent=0,
            vat=0,
            gross=diff,
            diff=0,
            description=ROUNDING_TEXT,
        )
        extra.append(row)
    if extra:
        lines = pd.concat([lines, pd.DataFrame(extra, columns=lines.columns)], ignore_index=True)
    lines = lines.sort_values(["seq", "row"], kind="stable").reset_index(drop=True)
    return frames.frame_from_records(lines.to_dict("records"), frames.INVOICE_ROWS), warnings


def transform_reference(
    payouts: Sequence[Mapping[str, Any]],
    payments: Mapping[str, Mapping[str, Any]],
    settings: BookingSettings,
    already_booked: frozenset[str] = frozenset(),
) -> TransformResult:
    """Book a day's payouts.

    Args:
        payouts: payout DETAIL dicts (with every ``paymentActions`` entry).
        payments: payment objects by payment id (``GET /v1/payments/{id}``, wrapped or not).
        already_booked: charge and refund ids booked by earlier payouts; they are never
            matched again, and a refund may credit their invoices.
    """
    errors: list[TransformError] = []
    held: list[HeldPayout] = []
    parsed_payments: dict[str, Payment] = {}
    for payment_id, raw in payments.items():
        try:
            parsed_payments[payment_id] = parse_payment(raw)
        except ParseError as exc:
            errors.append(TransformError("payment", None, payment_id, str(exc)))
    parsed: list[tuple[Payout, Mapping[str, Any]]] = []
    for raw in payouts:
        try:
            parsed.append((parse_payout(raw), raw))
        except ParseError as exc:
            payout_id = str(raw.get("id") or "?")
            errors.append(TransformError("payout", payout_id, None, str(exc)))
            held.append(HeldPayout(payout_id, None, f"payout {payout_id} could not be read: {exc}"))
    claimed = frozenset(already_booked)
    invoice_docs: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    payment_rows: list[dict[str, Any]] = []
    voucher_rows: list[dict[str, Any]] = []
    booked: list[Mapping[str, Any]] = []
    seq = 0
    for payout, raw in sorted(parsed, key=lambda p: p[0].day):
        plan = plan_payout(payout, parsed_payments, settings, claimed, seq)
        if plan.reasons:
            held.append(HeldPayout(payout.payout_id, payout.day, "; ".join(plan.reasons)))
            continue
        seq += len(plan.payments)
        claimed = claimed | set(plan.claims)
        invoice_docs += plan.invoices
        lines += plan.lines
        payment_rows += plan.payments
        voucher_rows += plan.vouchers
        booked.append(raw)
    invoices = frames.frame_from_records(invoice_docs, frames.INVOICES)
    line_frame = frames.frame_from_records(lines, frames.ROWS_BEFORE_VAT)
    rows, warnings = _with_vat_and_rounding(line_frame, invoices, settings.accounts.rounding)
    return TransformResult(
        invoices=invoices,
        invoice_rows=rows,
        payments=frames.frame_from_records(payment_rows, frames.PAYMENTS),
        vouchers=frames.frame_from_records(voucher_rows, frames.VOUCHER_ROWS),
        held=held,
        errors=errors,
        warnings=warnings,
        payouts=ParsedPayouts(booked),
        voucher_series=settings.voucher_series,
    )
