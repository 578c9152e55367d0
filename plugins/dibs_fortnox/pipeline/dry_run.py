"""Dry run: what a day would post to Fortnox, written into the day's report instead.

A dry run (tenant setting ``dry_run: true``, or the DAG param ``dry_run`` for one run)
extracts and transforms as usual: the raw Nets data is stored, and payouts that do not add
up are held with their reasons. Then nothing is written to Fortnox. The load step asks
Fortnox the same read-only questions a real load asks first (accounts, mode of payment,
series, financial year, locked period, VAT settings), so a setting Fortnox would refuse
shows now; the reconcile step records every document the day would post, with its rows,
accounts and amounts in kronor, as the run's summary: the day's report in the ``runs``
table, the one a real run records its reconciliation in.

The run ends ``success`` (or ``held``) with ``dry_run: true`` and the notice
:data:`DRY_RUN_NOTICE` in its summary. The day does not count as booked
(``RunState.books_the_day``), its payouts stay ``pending``, and no document is claimed, so
a later real run of the day books it as if the dry run had never happened. Behind these
steps, the Fortnox client of a dry run refuses every write (``WritesForbidden``).

One limit: a refund is credited against the invoice of its charge, so in a dry run of
several days a refund whose charge lies in an earlier, also dry-run day is held ("charge not
booked"), where a real run of those days in order would book it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dibs_fortnox.booking.documents import InvoiceDoc, PaymentDoc, PayoutBooking, VoucherDoc
from dibs_fortnox.money import format_amount
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.pipeline.plan import plan_day, record_held
from dibs_fortnox.pipeline.preflight import BOOKING_ACCOUNT, preflight
from dibs_fortnox.pipeline.reconcile import ReconcileFailed
from dibs_fortnox.pipeline.vat_preflight import vat_preflight
from dibs_fortnox.tenants import TenantConfig

log = logging.getLogger(__name__)

DRY_RUN_NOTICE = "DRY RUN — nothing was posted"


def dry_run_wanted(tenant: TenantConfig, params: Mapping[str, Any]) -> bool:
    """True when the tenant is set to dry runs or the run's ``dry_run`` param asks for one.

    Either one is enough: a tenant under review cannot be booked for real by a trigger that
    forgot the param; it leaves dry-run mode when its YAML says ``dry_run: false``.
    """
    return tenant.dry_run or params.get("dry_run") is True


def _debit_credit(account: int, ore: int) -> dict[str, Any]:
    """A posting row: a positive amount is a debit, a negative one a credit."""
    return {
        "account": account,
        "debit": format_amount(ore) if ore > 0 else "",
        "credit": format_amount(-ore) if ore < 0 else "",
    }


def describe_invoice(doc: InvoiceDoc) -> dict[str, Any]:
    """An invoice or credit invoice as the report shows it: rows with accounts, in kronor."""
    return {
        "document": "credit invoice" if doc.is_credit else "invoice",
        "reference": doc.external_ref,
        "credits_charge": doc.credits,
        "date": doc.invoice_date.isoformat(),
        "customer": doc.customer.name,
        "currency": doc.currency,
        "rows": [
            {
                "account": row.account,
                "description": row.description,
                "net": format_amount(row.net),
                "vat_percent": row.vat_percent,
                "vat": format_amount(row.vat),
            }
            for row in doc.rows
        ],
        "total": format_amount(doc.total),
        # What bookkeeping the invoice books: Fortnox's receivable against the rows.
        "receivable": _debit_credit(BOOKING_ACCOUNT, doc.total),
    }


def describe_payment(doc: PaymentDoc) -> dict[str, Any]:
    """An invoice payment (negative on a credit invoice) and the entry it books."""
    return {
        "document": "invoice payment",
        "reference": doc.external_ref,
        "date": doc.payment_date.isoformat(),
        "mode_of_payment": doc.mode_of_payment,
        "amount": format_amount(doc.amount),
        "rows": [
            _debit_credit(doc.account, doc.amount),
            _debit_credit(BOOKING_ACCOUNT, -doc.amount),
        ],
    }


def describe_voucher(doc: VoucherDoc) -> dict[str, Any]:
    """The payout voucher with its rows."""
    return {
        "document": "voucher",
        "series": doc.series,
        "date": doc.transaction_date.isoformat(),
        "description": doc.description,
        "rows": [
            {
                "account": row.account,
                "debit": format_amount(row.debit) if row.debit else "",
                "credit": format_amount(row.credit) if row.credit else "",
            }
            for row in doc.rows
        ],
    }


def describe_booking(booking: PayoutBooking) -> dict[str, Any]:
    """Every document of one payout in posting order (a voucher only when money moves)."""
    documents: list[dict[str, Any]] = []
    for doc in booking.documents():
        if isinstance(doc, InvoiceDoc):
            documents.append(describe_invoice(doc))
        elif isinstance(doc, PaymentDoc):
            documents.append(describe_payment(doc))
        elif doc.rows:
            documents.append(describe_voucher(doc))
    return {
        "payout": booking.payout_id,
        "payout_day": booking.payout.day.isoformat(),
        "customers": [c.name for c in booking.customers],
        "documents": documents,
    }


def render_text(summary: Mapping[str, Any]) -> str:
    """The report as lines a bookkeeper reads in the task log."""
    lines = [f"{summary['notice']}: day {summary['day']}"]
    for payout in summary.get("documents") or []:
        lines.append(f"payout {payout['payout']} ({payout['payout_day']})")
        for doc in payout["documents"]:
            if doc["document"] == "voucher":
                lines.append(f"  voucher {doc['series']} {doc['date']} {doc['description']!r}")
            elif doc["document"] == "invoice payment":
                lines.append(
                    f"  payment {doc['reference']} {doc['date']} {doc['amount']} "
                    f"({doc['mode_of_payment']})"
                )
            else:
                lines.append(
                    f"  {doc['document']} {doc['reference']} {doc['date']} "
                    f"{doc['customer']}: total {doc['total']} {doc['currency']}"
                )
            for row in doc["rows"]:
                if "net" in row:
                    lines.append(
                        f"    {row['account']}  {row['description']}  net {row['net']}  "
                        f"VAT {row['vat_percent']} % {row['vat']}"
                    )
                else:
                    side = f"debit {row['debit']}" if row["debit"] else f"credit {row['credit']}"
                    lines.append(f"    {row['account']}  {side}")
    for held in summary.get("held") or []:
        lines.append(f"held: {held}")
    return "\n".join(lines)


def dry_load(ctx: StepContext) -> dict[str, Any]:
    """The load task of a dry run: Fortnox's read-only checks, no write."""
    plan = plan_day(ctx)
    record_held(ctx, plan)
    if plan.bookings:
        preflight(ctx, plan.bookings)
        vat_preflight(ctx, plan.bookings)
    summary = {
        "day": ctx.day.isoformat(),
        "dry_run": True,
        "notice": DRY_RUN_NOTICE,
        "payouts_to_book": len(plan.bookings),
        "payouts_held": len(plan.held),
        "writes": 0,
    }
    log.info("%s: %s; Fortnox's checks passed: %s", ctx.where(), DRY_RUN_NOTICE, summary)
    return summary


def dry_report(ctx: StepContext) -> dict[str, Any]:
    """The reconcile task of a dry run: the day's report lists what a real run would post.

    Raises:
        ReconcileFailed: a payout is held (the report is recorded all the same).
    """
    plan = plan_day(ctx)
    held = [f"payout {h.payout_id} held: {h.reason}" for h in plan.held]
    summary = {
        "day": ctx.day.isoformat(),
        "dry_run": True,
        "notice": DRY_RUN_NOTICE,
        "payouts_to_book": len(plan.bookings),
        "invoices": sum(1 for b in plan.bookings for i in b.invoices if not i.is_credit),
        "credits": sum(1 for b in plan.bookings for i in b.invoices if i.is_credit),
        "vouchers": sum(1 for b in plan.bookings if b.voucher.rows),
        "documents": [describe_booking(b) for b in plan.bookings],
        "held": held,
    }
    log.info("%s: %s\n%s", ctx.where(), DRY_RUN_NOTICE, render_text(summary))
    if held:
        raise ReconcileFailed(
            f"{ctx.where()}: {DRY_RUN_NOTICE}; " + "; ".join(held), summary, held_only=True
        )
    return summary
