"""What a tenant's Fortnox holds, in a form two bookings of the same scenario can compare.

Fortnox numbers documents in the order they arrive, so two runs that booked the same days
in another order (concurrent days, retries, a crash in the middle) give the same documents
different numbers. The fingerprint leaves Fortnox's own numbering out, keeps every link by
the Nets reference it stands for, and counts each document's content: equal fingerprints
mean the same documents, each as many times, and the same trial balance to the öre.
Used by the end-to-end tests and the chaos suite (``benchmarks/chaos.py``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from dibs_fortnox.sandbox.fortnox.app import FortnoxApp

NUMBERS = {"DocumentNumber", "Number", "VoucherNumber", "@url", "CustomerNumber", "Year"}
"""Fields Fortnox fills with its own running numbers."""

DOCUMENT_KINDS = ("invoices", "payments", "vouchers")


def fingerprint(app: FortnoxApp, tenant: str) -> dict[str, Any]:
    """Every invoice, payment and voucher of ``tenant`` (a Counter of contents per kind)
    and its non-zero trial balance (account → öre)."""
    docs = app.documents(tenant)
    ref_of = {str(i["DocumentNumber"]): i["ExternalInvoiceReference1"] for i in docs["invoices"]}
    invoice_of_payment = {str(p["Number"]): str(p["InvoiceNumber"]) for p in docs["payments"]}

    def about(item: dict[str, Any]) -> str | None:
        """The Nets reference a voucher Fortnox made for an invoice or payment is about."""
        number = str(item.get("ReferenceNumber") or "")
        if item.get("ReferenceType") == "INVOICE":
            return ref_of.get(number)
        if item.get("ReferenceType") == "INVOICEPAYMENT":
            return ref_of.get(invoice_of_payment.get(number, ""))
        return None

    def clean(item: dict[str, Any]) -> str:
        out = {k: v for k, v in item.items() if k not in NUMBERS}
        if (ref := about(item)) is not None:  # "Kundfaktura 12 ...": Fortnox's own numbers
            out["ReferenceNumber"] = ref
            out["Description"] = re.sub(r"\d+", "#", str(out.get("Description", "")))
        if out.get("CreditInvoiceReference") not in (None, "", 0, "0"):
            out["CreditInvoiceReference"] = ref_of[str(out["CreditInvoiceReference"])]
        if "InvoiceNumber" in out:
            out["InvoiceNumber"] = ref_of.get(str(out["InvoiceNumber"]))
        return json.dumps(out, sort_keys=True, default=str)

    return {kind: Counter(clean(item) for item in items) for kind, items in docs.items()} | {
        "trial_balance": {k: v for k, v in app.trial_balance(tenant).items() if v}
    }


def difference(expected: dict[str, Any], actual: dict[str, Any]) -> tuple[int, int]:
    """(missing, extra): documents in ``expected`` and not in ``actual``, and the reverse
    (a document posted twice counts once as extra)."""
    missing = sum(sum((expected[k] - actual[k]).values()) for k in DOCUMENT_KINDS)
    extra = sum(sum((actual[k] - expected[k]).values()) for k in DOCUMENT_KINDS)
    return missing, extra


def duplicate_references(app: FortnoxApp, tenant: str) -> int:
    """Documents that carry a Nets reference another live document of theirs also carries:
    invoices by ``ExternalInvoiceReference1``, vouchers by description (the payout id)."""
    docs = app.documents(tenant)
    refs = Counter(
        str(i.get("ExternalInvoiceReference1")) for i in docs["invoices"] if not i.get("Cancelled")
    )
    vouchers = Counter(str(v.get("Description")) for v in docs["vouchers"] if v.get("Description"))
    return sum(n - 1 for n in refs.values() if n > 1) + sum(
        n - 1 for n in vouchers.values() if n > 1
    )
