"""Invariants checked before anything is posted, and against what Fortnox holds afterwards.

Every validator has one shape, ``(bookings, context) -> list[InvariantError]``, and they are
collected in ``VALIDATIONS``; the loader refuses to post when any returns an error. The
checks recompute from the raw payout (its actions) rather than reuse the transform's
intermediate numbers, so a bug in the transform cannot vouch for itself.

Example:
    >>> errors = [e for check in VALIDATIONS for e in check(bookings, context)]  # doctest: +SKIP
    >>> errors[0].message                                                         # doctest: +SKIP
    'Payout 11eb… does not reconcile: expected 1 234.00 SEK != documents 1 230.00 SEK (4.00 ...'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dibs_fortnox.booking.documents import PayoutBooking, VoucherRow
from dibs_fortnox.booking.settings import BookingAccounts
from dibs_fortnox.model import ActionKind
from dibs_fortnox.money import Ore, format_amount, from_decimal


@dataclass(frozen=True)
class InvariantError:
    """A broken invariant; ``payout_id`` is None when it concerns no single payout."""

    source: str
    payout_id: str | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ValidationContext:
    """What the validators need besides the documents.

    Attributes:
        active_accounts: the active accounts in Fortnox; ``None`` = unknown, check skipped.
    """

    accounts: BookingAccounts
    active_accounts: frozenset[int] | None = None


Validator = Callable[[Sequence[PayoutBooking], ValidationContext], list[InvariantError]]


def _gap(label: str, expected: Ore, actual: Ore, currency: str) -> str:
    diff = actual - expected
    how = "too little" if diff < 0 else "too much"
    return (
        f"{label}: expected {format_amount(expected)} {currency} != documents "
        f"{format_amount(actual)} {currency} ({format_amount(abs(diff))} {how})"
    )


def _net(rows: Sequence[VoucherRow], account: int) -> Ore:
    """Debit minus credit on one account."""
    return sum(r.debit - r.credit for r in rows if r.account == account)


def validate_vouchers_balance(
    bookings: Sequence[PayoutBooking], context: ValidationContext
) -> list[InvariantError]:
    """Every voucher's debits equal its credits, and no row has a negative or double side."""
    errors = []
    for b in bookings:
        v = b.voucher
        for row in v.rows:
            if row.debit < 0 or row.credit < 0 or (row.debit and row.credit):
                errors.append(
                    InvariantError(
                        "vouchers_balance",
                        b.payout_id,
                        f"Voucher of payout {b.payout_id}: row on {row.account} has debit "
                        f"{format_amount(row.debit)} and credit {format_amount(row.credit)}; "
                        "Fortnox wants one non-negative side per row",
                    )
                )
        if v.debit != v.credit:
            errors.append(
                InvariantError(
                    "vouchers_balance",
                    b.payout_id,
                    f"Voucher of payout {b.payout_id} does not balance: debit "
                    f"{format_amount(v.debit)} != credit {format_amount(v.credit)} "
                    f"({format_amount(abs(v.debit - v.credit))})",
                )
            )
    return errors


def validate_payout_reconciles(
    bookings: Sequence[PayoutBooking], context: ValidationContext
) -> list[InvariantError]:
    """Bank, fees, receivable, payments and invoices add up to the payout's own actions."""
    acc = context.accounts
    errors = []
    for b in bookings:
        p, cur = b.payout, b.payout.currency
        by_kind: Counter[ActionKind] = Counter()
        for action in p.actions:
            by_kind[action.kind] += action.amount
        fees = sum(a.fee for a in p.actions)
        charged, refunded = by_kind[ActionKind.CHARGE], by_kind[ActionKind.REFUND]
        deposited = by_kind[ActionKind.DEPOSIT]
        paid_out = charged - refunded - fees + deposited
        rows = b.voucher.rows
        # The bank gets the payout (debit) and pays the deposit on its own line (credit).
        checks = [
            (
                f"Payout {p.payout_id} does not reconcile",
                paid_out - deposited,
                _net(rows, acc.bank),
            ),
            (
                f"Payout {p.payout_id} bank receipt",
                paid_out,
                sum(r.debit for r in rows if r.account == acc.bank),
            ),
            (f"Payout {p.payout_id} fees", fees, _net(rows, acc.fees)),
            (f"Payout {p.payout_id} receivable", charged - refunded, -_net(rows, acc.receivable)),
            (
                f"Payout {p.payout_id} invoice payments",
                charged - refunded,
                sum(pay.amount for pay in b.payments),
            ),
            (
                f"Payout {p.payout_id} invoices",
                charged,
                sum(i.total for i in b.invoices if not i.is_credit),
            ),
            (
                f"Payout {p.payout_id} credit invoices",
                -refunded,
                sum(i.total for i in b.invoices if i.is_credit),
            ),
        ]
        if paid_out != p.amount:
            checks.append((f"Payout {p.payout_id} amount reported by Nets", paid_out, p.amount))
        errors += [
            InvariantError("payout_reconciles", p.payout_id, _gap(label, expected, actual, cur))
            for label, expected, actual in checks
            if expected != actual
        ]
    return errors


def validate_invoices_match_charges(
    bookings: Sequence[PayoutBooking], context: ValidationContext
) -> list[InvariantError]:
    """Each invoice totals its charge (a credit: minus its refund), and its payment pays it."""
    errors = []
    for b in bookings:
        payments = {pay.external_ref: pay.amount for pay in b.payments}
        for inv in b.invoices:
            what = f"{'Credit invoice' if inv.is_credit else 'Invoice'} {inv.external_ref}"
            if (inv.amount < 0) != inv.is_credit:
                errors.append(
                    InvariantError(
                        "invoices_match_charges",
                        b.payout_id,
                        f"{what} has the wrong sign: {format_amount(inv.amount)}",
                    )
                )
            if inv.total != inv.amount:
                label = f"{what} does not match Nets"
                errors.append(
                    InvariantError(
                        "invoices_match_charges",
                        b.payout_id,
                        _gap(label, inv.amount, inv.total, inv.currency),
                    )
                )
            paid = payments.get(inv.external_ref)
            if paid != inv.amount:
                shown = "no payment" if paid is None else f"a payment of {format_amount(paid)}"
                errors.append(
                    InvariantError(
                        "invoices_match_charges",
                        b.payout_id,
                        f"{what} of {format_amount(inv.amount)} has {shown}",
                    )
                )
    return errors


def validate_unique_external_refs(
    bookings: Sequence[PayoutBooking], context: ValidationContext
) -> list[InvariantError]:
    """No charge, refund or payout is booked twice (Fortnox has no idempotency key)."""
    refs = Counter(inv.external_ref for b in bookings for inv in b.invoices)
    pays = Counter(pay.external_ref for b in bookings for pay in b.payments)
    vouchers = Counter(b.voucher.description for b in bookings)
    errors = []
    for kind, counter in (("invoice", refs), ("payment", pays), ("voucher", vouchers)):
        errors += [
            InvariantError(
                "unique_external_refs", None, f"{count} {kind}s carry the reference {ref!r}"
            )
            for ref, count in counter.items()
            if count > 1
        ]
    return errors


def validate_accounts_exist(
    bookings: Sequence[PayoutBooking], context: ValidationContext
) -> list[InvariantError]:
    """Every account used is active in Fortnox (skipped when the chart is unknown)."""
    active = context.active_accounts
    if active is None:
        return []
    errors = []
    for b in bookings:
        used = {row.account for inv in b.invoices for row in inv.rows}
        used |= {pay.account for pay in b.payments} | {r.account for r in b.voucher.rows}
        missing = sorted(used - active)
        if missing:
            errors.append(
                InvariantError(
                    "accounts_exist",
                    b.payout_id,
                    f"Payout {b.payout_id} uses account(s) {', '.join(map(str, missing))}, "
                    "which are not active in Fortnox; activate them in Fortnox (Inställningar "
                    "→ Bokföring → Kontoplan) or change the tenant's accounts",
                )
            )
    return errors


VALIDATIONS: list[Validator] = [
    validate_vouchers_balance,
    validate_payout_reconciles,
    validate_invoices_match_charges,
    validate_unique_external_refs,
    validate_accounts_exist,
]


def validate(bookings: Sequence[PayoutBooking], context: ValidationContext) -> list[InvariantError]:
    """Run every validator in ``VALIDATIONS`` and return all errors."""
    return [error for check in VALIDATIONS for error in check(bookings, context)]


def fortnox_ore(value: Any) -> Ore:
    """Öre from a Fortnox amount (Decimal, int or str; a float through its shortest repr).

    Clients should parse with ``money.loads`` so amounts arrive as Decimal; a float from
    plain ``json.loads`` is converted via its repr (no arithmetic on it).
    """
    if isinstance(value, float):
        value = Decimal(repr(value))
    return from_decimal(Decimal(value) if isinstance(value, str) else value)


def _voucher_rows(voucher: dict[str, Any]) -> Counter[tuple[int, Ore, Ore]]:
    rows: Counter[tuple[int, Ore, Ore]] = Counter()
    for row in voucher.get("VoucherRows") or []:
        if row.get("Removed"):
            continue
        debit, credit = fortnox_ore(row.get("Debit") or 0), fortnox_ore(row.get("Credit") or 0)
        if debit or credit:
            rows[(int(row["Account"]), debit, credit)] += 1
    return rows


def reconcile_with_fortnox(
    bookings: Sequence[PayoutBooking],
    fortnox_invoices: list[dict[str, Any]],
    fortnox_vouchers: list[dict[str, Any]],
) -> list[InvariantError]:
    """Check that Fortnox holds every document once, booked, paid and with our amounts.

    Args:
        fortnox_invoices: invoice list items (``Total``, ``Balance``, ``Booked``,
            ``ExternalInvoiceReference1``, optionally ``Cancelled``, ``DocumentNumber``).
        fortnox_vouchers: vouchers with their ``VoucherRows`` (wrapped in ``Voucher`` or not).
    """
    invoices: dict[str, list[dict[str, Any]]] = {}
    for item in fortnox_invoices:
        if not item.get("Cancelled"):
            invoices.setdefault(str(item.get("ExternalInvoiceReference1") or ""), []).append(item)
    vouchers: dict[str, list[dict[str, Any]]] = {}
    for raw in fortnox_vouchers:
        voucher = raw.get("Voucher", raw)
        vouchers.setdefault(str(voucher.get("Description") or ""), []).append(voucher)
    errors: list[InvariantError] = []

    def add(payout_id: str, message: str) -> None:
        errors.append(InvariantError("fortnox", payout_id, message))

    for b in bookings:
        pid = b.payout_id
        for inv in b.invoices:
            what = f"{'Credit invoice' if inv.is_credit else 'Invoice'} {inv.external_ref}"
            found = invoices.get(inv.external_ref, [])
            if len(found) != 1:
                numbers = ", ".join(str(f.get("DocumentNumber", "?")) for f in found)
                add(
                    pid,
                    f"{what} is in Fortnox {len(found)} times" + (f" ({numbers})" if found else ""),
                )
                continue
            item = found[0]
            number = item.get("DocumentNumber", "?")
            if not item.get("Booked"):
                add(pid, f"{what} (Fortnox {number}) is not bookkept")
            balance = fortnox_ore(item.get("Balance") or 0)
            if balance:
                add(
                    pid,
                    f"{what} (Fortnox {number}) has an unpaid balance of "
                    f"{format_amount(balance)} {inv.currency}",
                )
            total = fortnox_ore(item.get("Total") or 0)
            if total != inv.amount:
                add(pid, _gap(f"{what} (Fortnox {number}) total", inv.amount, total, inv.currency))
        found_vouchers = vouchers.get(b.voucher.description, [])
        if not b.voucher.rows:
            continue
        if len(found_vouchers) != 1:
            add(pid, f"Voucher '{b.voucher.description}' is in Fortnox {len(found_vouchers)} times")
            continue
        actual = _voucher_rows(found_vouchers[0])
        expected = Counter((r.account, r.debit, r.credit) for r in b.voucher.rows)
        if actual != expected:
            add(
                pid,
                f"Voucher '{b.voucher.description}' rows differ: missing "
                f"{sorted((expected - actual).elements())}, "
                f"unexpected {sorted((actual - expected).elements())}",
            )
        debit = sum(d * n for (_, d, _), n in actual.items())
        credit = sum(c * n for (_, _, c), n in actual.items())
        if debit != credit:
            add(
                pid,
                f"Voucher '{b.voucher.description}' in Fortnox does not balance: "
                f"debit {format_amount(debit)} != credit {format_amount(credit)}",
            )
    return errors
