"""Turn request bodies into checked documents, refusing what Fortnox would refuse.

Each function takes the object inside the wrapper (``body["Invoice"]``), checks field
names against the resource's known fields, parses money with ``Decimal`` into öre and
checks the values against the company's setup. State-dependent rules (is the invoice
booked, is the number free) live in ``book.py``; these functions only need the company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dibs_fortnox.money import format_amount
from dibs_fortnox.sandbox.fortnox import fields
from dibs_fortnox.sandbox.fortnox.company import Company
from dibs_fortnox.sandbox.fortnox.documents import InvoiceRow, VoucherRow
from dibs_fortnox.sandbox.fortnox.rules import (
    ACCOUNT_NOT_FOUND,
    CURRENCY_AMOUNTS,
    UNBALANCED_VOUCHER,
    UNKNOWN_MODE_OF_PAYMENT,
    bad,
    check_account,
    check_booking_date,
    check_fields,
    check_series,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_money,
    require,
)
from dibs_fortnox.sandbox.fortnox.vat_rules import check_row_vat

PREDEFINED_PAYMENT_ACCOUNT = 1930  # the "betalkonto" predefined account when no mode is sent


def _text(obj: dict[str, Any], name: str, max_len: int | None = None) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    text = str(value)
    if max_len is not None and len(text) > max_len:
        raise bad(2000359, f"{name} is longer than {max_len} characters ({len(text)})")
    return text


@dataclass(frozen=True)
class InvoiceDraft:
    """A checked invoice body, before the book gives it a number."""

    customer_number: str
    invoice_date: date
    due_date: date
    currency: str | None
    vat_included: bool
    rows: list[InvoiceRow]
    credit_of: int | None
    document_number: int | None
    texts: dict[str, str]


def invoice_draft(company: Company, obj: dict[str, Any], today: date) -> InvoiceDraft:
    """Check an ``Invoice`` body (rows, accounts, VAT rates, dates)."""
    check_fields(obj, fields.INVOICE, "Invoice")
    customer = str(require(obj, "CustomerNumber", "Invoice"))
    invoice_date = (
        parse_date("InvoiceDate", obj["InvoiceDate"]) if obj.get("InvoiceDate") else today
    )
    due_date = parse_date("DueDate", obj["DueDate"]) if obj.get("DueDate") else invoice_date
    check_booking_date(company, invoice_date, "invoice")
    vat_included = parse_bool("VATIncluded", obj["VATIncluded"]) if "VATIncluded" in obj else False
    raw_rows = obj.get("InvoiceRows") or []
    if not isinstance(raw_rows, list):
        raise bad(2001392, "InvoiceRows must be a list of rows")
    rows = [_invoice_row(company, i, raw, vat_included) for i, raw in enumerate(raw_rows, 1)]
    credit_ref = obj.get("CreditInvoiceReference")
    credit_of = (
        parse_int("CreditInvoiceReference", credit_ref)
        if credit_ref not in (None, "", "0", 0)
        else None
    )
    number = obj.get("DocumentNumber")
    texts = {
        "ExternalInvoiceReference1": _text(obj, "ExternalInvoiceReference1", 80),
        "ExternalInvoiceReference2": _text(obj, "ExternalInvoiceReference2", 80),
        "YourOrderNumber": _text(obj, "YourOrderNumber", 75),
        "YourReference": _text(obj, "YourReference", 50),
        "OurReference": _text(obj, "OurReference", 50),
        "Remarks": _text(obj, "Remarks", 1024),
        "Comments": _text(obj, "Comments", 1024),
    }
    return InvoiceDraft(
        customer_number=customer,
        invoice_date=invoice_date,
        due_date=due_date,
        currency=str(obj["Currency"]) if obj.get("Currency") else None,
        vat_included=vat_included,
        rows=rows,
        credit_of=credit_of,
        document_number=parse_int("DocumentNumber", number) if number not in (None, "") else None,
        texts=texts,
    )


def _invoice_row(company: Company, index: int, raw: Any, vat_included: bool) -> InvoiceRow:
    if not isinstance(raw, dict):
        raise bad(2001392, f"InvoiceRows[{index}] must be an object")
    check_fields(raw, fields.INVOICE_ROW, f"InvoiceRows[{index}]")
    if raw.get("AccountNumber") in (None, ""):
        raise bad(ACCOUNT_NOT_FOUND, f"Kunde inte hitta konto: row {index} has no AccountNumber")
    account = check_account(company, parse_int("AccountNumber", raw["AccountNumber"]))
    given = parse_int("VAT", raw["VAT"]) if raw.get("VAT") is not None else None
    vat_rate = check_row_vat(company.vat_codes, account, given)
    quantity = parse_decimal("DeliveredQuantity", raw.get("DeliveredQuantity", "1"))
    price = parse_money("Price", raw.get("Price", 0))
    description = _text(raw, "Description", 255)
    return InvoiceRow.compute(account, description, quantity, price, vat_rate, vat_included)


@dataclass(frozen=True)
class PaymentDraft:
    """A checked ``InvoicePayment`` body."""

    invoice_number: int
    amount: int
    payment_date: date | None
    mode_of_payment: str
    account: int
    currency: str | None
    external_ref1: str
    external_ref2: str


def _check_currency_amounts(obj: dict[str, Any], amount: int) -> None:
    """``Amount`` (SEK) must be ``AmountCurrency`` × ``CurrencyRate`` when both are sent."""
    if obj.get("Amount") is None or obj.get("AmountCurrency") is None:
        return
    in_currency = parse_money("AmountCurrency", obj["AmountCurrency"])
    rate = parse_decimal("CurrencyRate", obj.get("CurrencyRate", 1))
    converted = (Decimal(in_currency) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if int(converted) != amount:
        raise bad(
            CURRENCY_AMOUNTS,
            f"InvoicePayment: Amount {obj['Amount']} != AmountCurrency {obj['AmountCurrency']} "
            f"× CurrencyRate {rate}",
        )


def payment_draft(company: Company, obj: dict[str, Any]) -> PaymentDraft:
    """Check an ``InvoicePayment`` body (amount, mode of payment and its account)."""
    check_fields(obj, fields.INVOICE_PAYMENT, "InvoicePayment")
    invoice_number = parse_int("InvoiceNumber", require(obj, "InvoiceNumber", "InvoicePayment"))
    if obj.get("Amount") is not None:
        amount = parse_money("Amount", obj["Amount"])
    else:
        amount = parse_money("AmountCurrency", require(obj, "AmountCurrency", "InvoicePayment"))
    if amount == 0:
        raise bad(2000108, "InvoicePayment: the amount must not be 0")
    _check_currency_amounts(obj, amount)
    mode = str(obj.get("ModeOfPayment") or "")
    if mode and mode not in company.modes_of_payment:
        raise bad(
            UNKNOWN_MODE_OF_PAYMENT, f"Betalsättet {mode} finns inte (unknown mode of payment)"
        )
    if obj.get("ModeOfPaymentAccount") not in (None, ""):
        account = parse_int("ModeOfPaymentAccount", obj["ModeOfPaymentAccount"])
    else:
        account = company.modes_of_payment.get(mode, PREDEFINED_PAYMENT_ACCOUNT)
    check_account(company, account)
    return PaymentDraft(
        invoice_number=invoice_number,
        amount=amount,
        payment_date=parse_date("PaymentDate", obj["PaymentDate"])
        if obj.get("PaymentDate")
        else None,
        mode_of_payment=mode,
        account=account,
        currency=str(obj["Currency"]) if obj.get("Currency") else None,
        external_ref1=_text(obj, "ExternalInvoiceReference1"),
        external_ref2=_text(obj, "ExternalInvoiceReference2"),
    )


@dataclass(frozen=True)
class VoucherDraft:
    """A checked manual ``Voucher`` body; ``year`` is the financial year id."""

    series: str
    year: int
    description: str
    transaction_date: date
    rows: list[VoucherRow]
    comments: str


def voucher_draft(company: Company, obj: dict[str, Any], year_param: str | None) -> VoucherDraft:
    """Check a manual voucher: manual series, open year, active accounts, balance."""
    check_fields(obj, fields.VOUCHER, "Voucher")
    series = check_series(company, str(require(obj, "VoucherSeries", "Voucher")))
    day = parse_date("TransactionDate", require(obj, "TransactionDate", "Voucher"))
    description = _text(obj, "Description", 200)
    if not description:
        raise bad(2999016, "Voucher: the field Description is required")
    year = check_booking_date(company, day, "voucher")
    for name, given in (("Year", obj.get("Year")), ("financialyear", year_param)):
        if given not in (None, "") and parse_int(name, given) != year.id:
            raise bad(
                2999008,
                f"{name} {given} is not the financial year of {day} (that year has Id {year.id})",
            )
    raw_rows = obj.get("VoucherRows")
    if not isinstance(raw_rows, list) or len(raw_rows) < 2:
        raise bad(UNBALANCED_VOUCHER, "Voucher: at least two VoucherRows are needed")
    rows = []
    for i, raw in enumerate(raw_rows, 1):
        if not isinstance(raw, dict):
            raise bad(2001392, f"VoucherRows[{i}] must be an object")
        check_fields(raw, fields.VOUCHER_ROW, f"VoucherRows[{i}]")
        if raw.get("Removed") is True:
            continue
        account = check_account(
            company, parse_int("Account", require(raw, "Account", f"VoucherRows[{i}]"))
        )
        debit = parse_money("Debit", raw.get("Debit", 0))
        credit = parse_money("Credit", raw.get("Credit", 0))
        if debit < 0 or credit < 0:
            raise bad(
                2000108,
                f"VoucherRows[{i}]: Debit and Credit must not be negative (account {account})",
            )
        rows.append(VoucherRow(account, debit, credit, _text(raw, "TransactionInformation", 100)))
    debit_sum = sum(r.debit for r in rows)
    credit_sum = sum(r.credit for r in rows)
    if debit_sum != credit_sum:
        raise bad(
            UNBALANCED_VOUCHER,
            f"Verifikationen är inte i balans: debit {format_amount(debit_sum)} != credit "
            f"{format_amount(credit_sum)} (difference {format_amount(debit_sum - credit_sum)})",
        )
    return VoucherDraft(series, year.id, description, day, rows, _text(obj, "Comments", 1000))
