"""Render the book's documents as Fortnox JSON, and page lists the way Fortnox does.

Money leaves as two-decimal ``Decimal`` (``money.to_decimal``), which ``money.dumps``
writes as an exact JSON number. Single resources carry the full field set; list items
are the subsets the official schemas name (``fortnox_InvoiceListItem`` and friends), so a
client that relies on a field only the single resource has fails here as it would live.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from dibs_fortnox.money import to_decimal
from dibs_fortnox.sandbox.fortnox.company import Company, FinancialYear
from dibs_fortnox.sandbox.fortnox.documents import Invoice, Payment, Voucher
from dibs_fortnox.sandbox.fortnox.rules import INVALID_PARAMETER, bad

DEFAULT_LIMIT = 100
MAX_LIMIT = 500

T = TypeVar("T")


def _d(day: date | None) -> str | None:
    return day.isoformat() if day else None


def invoice_item(inv: Invoice) -> dict[str, Any]:
    """The list-item subset of an invoice."""
    return {
        "@url": f"/3/invoices/{inv.number}",
        "DocumentNumber": str(inv.number),
        "CustomerNumber": inv.customer_number,
        "CustomerName": inv.customer_name,
        "InvoiceDate": _d(inv.invoice_date),
        "DueDate": _d(inv.due_date),
        "Total": to_decimal(inv.total),
        "Balance": to_decimal(inv.balance),
        "Booked": inv.booked,
        "Cancelled": inv.cancelled,
        "Currency": inv.currency,
        "ExternalInvoiceReference1": inv.external_ref1,
        "ExternalInvoiceReference2": inv.external_ref2,
        "YourOrderNumber": inv.your_order_number,
        "Credit": inv.is_credit,
        "CreditInvoiceReference": _credit_reference(inv),
        "FinalPayDate": _d(inv.final_pay_date),
        "VoucherNumber": inv.voucher.number if inv.voucher else None,
        "VoucherSeries": inv.voucher.series if inv.voucher else None,
        "VoucherYear": inv.voucher.year if inv.voucher else None,
    }


def _credit_reference(inv: Invoice) -> str:
    """A credit invoice points at its original; an original at its (first) credit invoice."""
    if inv.credit_of is not None:
        return str(inv.credit_of)
    return str(inv.credited_by[0]) if inv.credited_by else "0"


def invoice_full(inv: Invoice) -> dict[str, Any]:
    """The single-resource view (``GET /3/invoices/{n}``)."""
    rows = []
    for i, row in enumerate(inv.rows, 1):
        gross = row.net + row.vat
        rows.append(
            {
                "RowId": i,
                "AccountNumber": row.account,
                "Description": row.description,
                "DeliveredQuantity": str(row.quantity),
                "Price": to_decimal(row.price),
                "VAT": row.vat_rate,
                "Total": to_decimal(gross if inv.vat_included else row.net),
                "TotalExcludingVAT": to_decimal(row.net),
            }
        )
    return {
        **invoice_item(inv),
        "InvoiceRows": rows,
        "Net": to_decimal(inv.net),
        "TotalVAT": to_decimal(inv.total_vat),
        "Gross": to_decimal(inv.total),
        "RoundOff": to_decimal(inv.round_off),
        "TotalToPay": to_decimal(inv.total),
        "VATIncluded": inv.vat_included,
        "YourReference": inv.your_reference,
        "OurReference": inv.our_reference,
        "Remarks": inv.remarks,
        "Comments": inv.comments,
        "InvoiceType": "INVOICE",
        "AccountingMethod": "ACCRUAL",
        "Sent": False,
    }


def payment_item(pay: Payment) -> dict[str, Any]:
    return {
        "@url": f"/3/invoicepayments/{pay.number}",
        "Number": str(pay.number),
        "InvoiceNumber": pay.invoice_number,
        "Amount": to_decimal(pay.amount),
        "Booked": pay.booked,
        "Currency": pay.currency,
        "CurrencyRate": to_decimal(100),
        "CurrencyUnit": 1,
        "PaymentDate": _d(pay.payment_date),
        "Source": "direct",
        "WriteOffExist": False,
    }


def payment_full(pay: Payment, invoice: Invoice) -> dict[str, Any]:
    return {
        **payment_item(pay),
        "AmountCurrency": to_decimal(pay.amount),
        "ModeOfPayment": pay.mode_of_payment,
        "ModeOfPaymentAccount": pay.account,
        "ExternalInvoiceReference1": pay.external_ref1,
        "ExternalInvoiceReference2": pay.external_ref2,
        "InvoiceCustomerName": invoice.customer_name,
        "InvoiceCustomerNumber": invoice.customer_number,
        "InvoiceTotal": str(to_decimal(invoice.total)),
        "InvoiceDueDate": _d(invoice.due_date),
        "VoucherNumber": pay.voucher.number if pay.voucher else None,
        "VoucherSeries": pay.voucher.series if pay.voucher else None,
        "VoucherYear": pay.voucher.year if pay.voucher else None,
        "WriteOffs": [],
    }


def voucher_item(v: Voucher) -> dict[str, Any]:
    return {
        "@url": f"/3/vouchers/{v.series}/{v.number}?financialyear={v.year}",
        "Description": v.description,
        "TransactionDate": _d(v.transaction_date),
        "VoucherNumber": v.number,
        "VoucherSeries": v.series,
        "Year": v.year,
        "ReferenceNumber": v.reference_number,
        "ReferenceType": v.reference_type,
        "Comments": v.comments,
        "ApprovalState": 0,
    }


def voucher_full(v: Voucher) -> dict[str, Any]:
    rows = [
        {
            "Account": r.account,
            "Debit": to_decimal(r.debit),
            "Credit": to_decimal(r.credit),
            "TransactionInformation": r.info,
            "Description": "",
            "Removed": False,
        }
        for r in v.rows
    ]
    return {**voucher_item(v), "VoucherRows": rows}


def financial_year(year: FinancialYear) -> dict[str, Any]:
    return {
        "@url": f"/3/financialyears/{year.id}",
        "Id": year.id,
        "FromDate": _d(year.from_date),
        "ToDate": _d(year.to_date),
        "AccountChartType": "BAS 2025",
        "AccountingMethod": "ACCRUAL",
    }


def account(company: Company, number: int, year_id: int | None) -> dict[str, Any]:
    return {
        "@url": f"/3/accounts/{number}",
        "Number": number,
        "Description": company.accounts[number],
        "Active": number not in company.inactive_accounts,
        "VATCode": company.vat_codes[number].code if number in company.vat_codes else "",
        "SRU": 0,
        "Year": year_id,
        "BalanceBroughtForward": to_decimal(0),
    }


def page(
    request_query: dict[str, str],
    key: str,
    items: Sequence[T],
    render: Callable[[T], dict[str, Any]],
) -> dict[str, Any]:
    """One page of a list with ``MetaInformation`` (``limit`` ≤ 500, ``page`` 1-based)."""
    limit = _positive(request_query, "limit", DEFAULT_LIMIT)
    if limit > MAX_LIMIT:
        raise bad(
            INVALID_PARAMETER, f"Ogiltig parameter i anropet: limit {limit} is above {MAX_LIMIT}"
        )
    current = _positive(request_query, "page", 1)
    total_pages = max(1, -(-len(items) // limit))
    start = (current - 1) * limit
    return {
        key: [render(item) for item in items[start : start + limit]],
        "MetaInformation": {
            "@TotalResources": len(items),
            "@TotalPages": total_pages,
            "@CurrentPage": current,
        },
    }


def _positive(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise bad(INVALID_PARAMETER, f"Ogiltig parameter i anropet: {name}={raw!r}")
    return int(raw)
