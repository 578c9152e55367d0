"""The documents an emulated Fortnox company holds, with amounts in integer öre.

These records are what the book stores and what the views render as Fortnox JSON. They
are mutable on purpose: a Fortnox invoice really changes state (booked, cancelled, paid
down), and the book changes them only under its lock.

Row arithmetic follows docs/architecture.md: per row ``net = round_half_up(price × qty)``
and ``vat = round_half_up(net × VAT / 100)``; with ``VATIncluded`` the price is gross and
``vat = round_half_up(gross × VAT / (100 + VAT))``. Totals are sums of rows; a company
that rounds invoices to whole kronor (öresavrundning) adds the difference as ``round_off``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from dibs_fortnox.money import round_half_up_div


@dataclass(frozen=True)
class VoucherRef:
    """Where a document was booked: series, number and financial year id."""

    series: str
    number: int
    year: int


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice row; ``price`` in öre per unit, net and vat in öre for the whole row."""

    account: int
    description: str
    quantity: Decimal
    price: int
    vat_rate: int
    net: int
    vat: int

    @classmethod
    def compute(
        cls,
        account: int,
        description: str,
        quantity: Decimal,
        price: int,
        vat_rate: int,
        vat_included: bool,
    ) -> InvoiceRow:
        """Build a row, computing its net and VAT per the sandbox rounding rule."""
        amount = int((Decimal(price) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if vat_included:
            vat = round_half_up_div(amount * vat_rate, 100 + vat_rate)
            net = amount - vat
        else:
            net = amount
            vat = round_half_up_div(net * vat_rate, 100)
        return cls(account, description, quantity, price, vat_rate, net, vat)


@dataclass
class Invoice:
    """A customer invoice (or, with ``credit_of`` set, a credit invoice).

    Attributes:
        credit_of: for a credit invoice, the number of the invoice it credits; None for an
            ordinary invoice.
        credited_by: numbers of credit invoices that credit this one (newest last).
        voucher: where it was booked; None while unbooked.
        payments: numbers of the payments registered on it.
    """

    number: int
    customer_number: str
    customer_name: str
    invoice_date: date
    due_date: date
    currency: str
    vat_included: bool
    rows: list[InvoiceRow]
    external_ref1: str = ""
    external_ref2: str = ""
    your_order_number: str = ""
    your_reference: str = ""
    our_reference: str = ""
    remarks: str = ""
    comments: str = ""
    credit_of: int | None = None
    credited_by: list[int] = field(default_factory=list)
    balance: int = 0
    booked: bool = False
    cancelled: bool = False
    voucher: VoucherRef | None = None
    payments: list[int] = field(default_factory=list)
    final_pay_date: date | None = None
    round_off: int = 0

    @property
    def net(self) -> int:
        return sum(row.net for row in self.rows)

    @property
    def total_vat(self) -> int:
        return sum(row.vat for row in self.rows)

    @property
    def total(self) -> int:
        """Net plus VAT, plus ``round_off`` when the company rounds invoices to whole kronor."""
        return self.net + self.total_vat + self.round_off

    @property
    def is_credit(self) -> bool:
        return self.credit_of is not None


@dataclass
class Payment:
    """A payment registered on an invoice; a negative amount pays out a credit invoice."""

    number: int
    invoice_number: int
    amount: int
    payment_date: date
    mode_of_payment: str
    account: int
    currency: str
    external_ref1: str = ""
    external_ref2: str = ""
    booked: bool = False
    voucher: VoucherRef | None = None


@dataclass(frozen=True)
class VoucherRow:
    """One voucher row; ``debit`` and ``credit`` are non-negative öre."""

    account: int
    debit: int
    credit: int
    info: str = ""


@dataclass
class Voucher:
    """A voucher (verifikation); unique by series, number and financial year.

    Attributes:
        reference_type: MANUAL for posted vouchers, INVOICE / INVOICEPAYMENT for the ones
            bookkeeping creates.
        reference_number: the invoice or payment number for those; "" for manual ones.
    """

    series: str
    number: int
    year: int
    description: str
    transaction_date: date
    rows: list[VoucherRow]
    reference_type: str = "MANUAL"
    reference_number: str = ""
    comments: str = ""


@dataclass
class Customer:
    """A customer; ``fields`` keeps the Fortnox fields that were sent (as text or bool)."""

    number: str
    fields: dict[str, object]

    @property
    def name(self) -> str:
        return str(self.fields.get("Name", ""))

    @property
    def active(self) -> bool:
        return self.fields.get("Active", True) is not False


def signed_rows(postings: dict[int, int], info: str = "") -> list[VoucherRow]:
    """Turn account -> (debit minus credit) into voucher rows; a negative goes to credit."""
    rows = []
    for account, amount in postings.items():
        if amount > 0:
            rows.append(VoucherRow(account, amount, 0, info))
        elif amount < 0:
            rows.append(VoucherRow(account, 0, -amount, info))
    return rows
