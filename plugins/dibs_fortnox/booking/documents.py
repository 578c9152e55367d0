"""Typed Fortnox documents of one payout, and the exact JSON Fortnox expects for each.

A payout becomes: one invoice and one invoice payment per charge, one credit invoice and
one negative payment per completed refund, and one voucher for the bank, fees and the
receivable. Amounts stay integer öre on the documents; ``to_payload`` is the only place they
become ``Decimal`` kronor (the Fortnox boundary). Numbers that Fortnox assigns (customer,
invoice and credited invoice numbers) are arguments of ``to_payload``: the loader knows them,
the booking step does not.

Fortnox computes an invoice the way ``InvoiceRow.vat`` does (docs/architecture.md "Sandbox
conventions"): per row ``round_half_up(net × VAT / 100)``, totals are sums of rows.

Example:
    >>> row = InvoiceRow(account=3001, quantity=1, price=16000, vat_percent=25, description="x")
    >>> (row.net, row.vat)
    (16000, 4000)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from dibs_fortnox.booking.regions import CustomerSpec
from dibs_fortnox.model import Account, Currency, Payout
from dibs_fortnox.money import Ore, format_amount, round_half_up_div, to_decimal

DESCRIPTION_MAX = 255
ORDER_NUMBER_MAX = 75
REMARKS_MAX = 1024
TRANSACTION_INFORMATION_MAX = 100


def voucher_description(payout_id: str) -> str:
    """The voucher text that is also the payout's external reference in Fortnox."""
    return f"Nets Easy utbetalning {payout_id}"


def row_description(name: str, quantity: Decimal, unit: str, unit_price: Ore) -> str:
    """'Tröja (2 pcs × 160.00)', cut to Fortnox's 255 characters."""
    if quantity == quantity.to_integral_value():
        qty = str(int(quantity))
    else:
        qty = format(quantity.normalize(), "f")
    amount = f"{qty} {unit}".strip()
    text = f"{name} ({amount} × {format_amount(unit_price).replace(' ', '')})"
    return text[:DESCRIPTION_MAX]


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice row: ``quantity`` × ``price`` at ``vat_percent``.

    Attributes:
        quantity: 1 on an invoice, -1 on a credit invoice (Fortnox credits by negative
            quantities), so ``price`` keeps the sign Nets gave the order line.
        price: the order line's net total in öre (the row stands for the whole line).
    """

    account: Account
    quantity: int
    price: Ore
    vat_percent: int
    description: str

    @property
    def net(self) -> Ore:
        return self.quantity * self.price

    @property
    def vat(self) -> Ore:
        return round_half_up_div(self.net * self.vat_percent, 100)

    def to_payload(self) -> dict[str, Any]:
        return {
            "AccountNumber": self.account,
            "DeliveredQuantity": str(self.quantity),
            "Price": to_decimal(self.price),
            "VAT": self.vat_percent,
            "Description": self.description,
        }


@dataclass(frozen=True)
class InvoiceDoc:
    """A customer invoice for a charge, or a credit invoice for a completed refund.

    Attributes:
        external_ref: the charge id (invoice) or refund id (credit): ExternalInvoiceReference1.
        amount: what Nets says the document is worth: the charge amount, or minus the refund.
        credits: for a credit invoice, the charge id of the invoice it credits (the loader
            looks up that invoice's number); ``None`` for an ordinary invoice.
        warnings: notes for the bookkeeper, e.g. a rounding row added for Nets' VAT.
    """

    external_ref: str
    payment_id: str
    order_reference: str
    invoice_date: date
    currency: Currency
    customer: CustomerSpec
    rows: tuple[InvoiceRow, ...]
    amount: Ore
    credits: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def is_credit(self) -> bool:
        return self.credits is not None

    @property
    def total(self) -> Ore:
        """The total Fortnox will compute from the rows (net plus per-row rounded VAT)."""
        return sum(row.net + row.vat for row in self.rows)

    def to_payload(
        self,
        customer_number: str,
        credit_invoice_reference: str | None = None,
        *,
        linked: bool = True,
    ) -> dict[str, Any]:
        """The body of ``POST /3/invoices``.

        Args:
            customer_number: the Fortnox number of ``self.customer``.
            credit_invoice_reference: the DocumentNumber of the credited invoice; required
                for a credit invoice and refused for an ordinary one.
            linked: False when the credited invoice already has a credit invoice: Fortnox
                keeps one ``CreditInvoiceReference`` per invoice, so a further partial
                refund becomes a stand-alone invoice with negative rows whose remarks name
                the original invoice.
        """
        if self.is_credit and not credit_invoice_reference:
            raise ValueError(
                f"credit invoice for refund {self.external_ref} needs the number of the "
                f"invoice of charge {self.credits}"
            )
        if not self.is_credit and credit_invoice_reference:
            raise ValueError(f"invoice for charge {self.external_ref} is not a credit invoice")
        invoice: dict[str, Any] = {
            "CustomerNumber": customer_number,
            "InvoiceDate": self.invoice_date.isoformat(),
            "Currency": self.currency,
            "VATIncluded": False,
            "ExternalInvoiceReference1": self.external_ref,
            "ExternalInvoiceReference2": self.payment_id,
            "YourOrderNumber": self.order_reference[:ORDER_NUMBER_MAX],
            "InvoiceRows": [row.to_payload() for row in self.rows],
        }
        remarks = []
        if credit_invoice_reference and linked:
            invoice["CreditInvoiceReference"] = credit_invoice_reference
        elif credit_invoice_reference:
            remarks.append(
                f"Kreditering av faktura {credit_invoice_reference} (Nets Easy återbetalning "
                f"{self.external_ref})"
            )
        if self.customer.vat_type == "EUREVERSEDVAT":
            # The invoice must say so and show the buyer's VAT number (ML 17 kap. 24 §).
            remarks.append(
                "Omvänd skattskyldighet / reverse charge, köparens VAT-nr "
                f"{self.customer.vat_number}"
            )
        elif self.customer.vat_type == "EXPORT":
            remarks.append("Export, momsfri försäljning utanför EU")
        if remarks:
            invoice["Remarks"] = "\n".join(remarks)[:REMARKS_MAX]
        return {"Invoice": invoice}


@dataclass(frozen=True)
class PaymentDoc:
    """An invoice payment: the charge amount, or minus the refund amount on a credit invoice.

    Attributes:
        external_ref: the charge or refund id; equal to the paid document's external_ref.
        account: ``ModeOfPaymentAccount`` (the tenant's receivable, e.g. 1516).
    """

    external_ref: str
    payment_date: date
    currency: Currency
    amount: Ore
    mode_of_payment: str
    account: Account

    def to_payload(self, invoice_number: int) -> dict[str, Any]:
        """The body of ``POST /3/invoicepayments`` for the Fortnox invoice ``invoice_number``."""
        return {
            "InvoicePayment": {
                "InvoiceNumber": invoice_number,
                # The tenant books only payouts in its own currency (others are held), so
                # the invoice currency is the company's: the rate is 1 and both amounts agree.
                "Amount": to_decimal(self.amount),
                "AmountCurrency": to_decimal(self.amount),
                "CurrencyRate": Decimal(1),
                "PaymentDate": self.payment_date.isoformat(),
                "ModeOfPayment": self.mode_of_payment,
                "ModeOfPaymentAccount": self.account,
                "ExternalInvoiceReference1": self.external_ref,
            }
        }


@dataclass(frozen=True)
class VoucherRow:
    """One voucher row; exactly one of debit and credit is non-zero, both are ≥ 0."""

    account: Account
    debit: Ore
    credit: Ore

    def to_payload(self, information: str = "") -> dict[str, Any]:
        """One row of the voucher body; ``information`` is its ``TransactionInformation``."""
        row: dict[str, Any] = {
            "Account": self.account,
            "Debit": to_decimal(self.debit),
            "Credit": to_decimal(self.credit),
        }
        if information:
            row["TransactionInformation"] = information[:TRANSACTION_INFORMATION_MAX]
        return row


@dataclass(frozen=True)
class VoucherDoc:
    """The payout voucher; ``description`` carries the payout id and identifies it in Fortnox."""

    payout_id: str
    series: str
    transaction_date: date
    description: str
    rows: tuple[VoucherRow, ...]

    @property
    def debit(self) -> Ore:
        return sum(row.debit for row in self.rows)

    @property
    def credit(self) -> Ore:
        return sum(row.credit for row in self.rows)

    def to_payload(self) -> dict[str, Any]:
        """The body of ``POST /3/vouchers``; the loader names the year (``financialyear``).

        Every row carries the payout id, so a row found in a ledger report leads back to
        the Nets payout without opening the voucher.
        """
        info = f"Nets {self.payout_id}"
        return {
            "Voucher": {
                "Description": self.description,
                "TransactionDate": self.transaction_date.isoformat(),
                "VoucherSeries": self.series,
                "VoucherRows": [row.to_payload(info) for row in self.rows],
            }
        }


@dataclass(frozen=True)
class PayoutBooking:
    """Every document of one payout, with the raw payout it was built from.

    ``invoices`` lists ordinary invoices before credit invoices, so a credit always comes
    after the invoice it credits; ``payments[i]`` pays the invoice with the same external_ref.
    """

    payout: Payout
    invoices: tuple[InvoiceDoc, ...]
    payments: tuple[PaymentDoc, ...]
    voucher: VoucherDoc

    @property
    def payout_id(self) -> str:
        return self.payout.payout_id

    @property
    def customers(self) -> tuple[CustomerSpec, ...]:
        """The collective customers the invoices need, each once, in first-use order."""
        return tuple(dict.fromkeys(invoice.customer for invoice in self.invoices))

    def documents(self) -> Iterator[InvoiceDoc | PaymentDoc | VoucherDoc]:
        """Documents in posting order: each invoice then its payment, the voucher last."""
        payments = {payment.external_ref: payment for payment in self.payments}
        for invoice in self.invoices:
            yield invoice
            if invoice.external_ref in payments:
                yield payments[invoice.external_ref]
        yield self.voucher
