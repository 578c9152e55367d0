"""Reconcile step: check what Fortnox now holds for the day against what Nets reported.

The checks are recomputed from Fortnox's own answers (invoice totals and balances, the
voucher rows), not from what the load step believes it sent. A difference or a held payout
fails the task after the summary is logged, so a person sees the day in red and reads why.
"""

from __future__ import annotations

import logging
from typing import Any

from dibs_fortnox.booking.invariants import reconcile_with_fortnox
from dibs_fortnox.errors import DibsFortnoxError
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.pipeline.load import parse_voucher_id
from dibs_fortnox.pipeline.plan import plan_day

log = logging.getLogger(__name__)


class ReconcileFailed(DibsFortnoxError):
    """Fortnox does not hold what the day's payouts say, or a payout is held.

    Attributes:
        summary: the day's summary, for the run record.
        held_only: True when Fortnox agrees and only held payouts remain.
    """

    def __init__(self, message: str, summary: dict[str, Any], held_only: bool) -> None:
        super().__init__(message)
        self.summary = summary
        self.held_only = held_only


def reconcile(ctx: StepContext) -> dict[str, Any]:
    """The reconcile task: invariants against Fortnox, and a short summary of the day."""
    plan = plan_day(ctx)
    bookings = plan.bookings
    problems: list[str] = []
    if bookings:
        dates = [i.invoice_date for b in bookings for i in b.invoices]
        invoices = (
            ctx.fortnox.list_invoices(from_date=min(dates), to_date=max(dates)) if dates else []
        )
        taken_back = ctx.ledger.reversed_ids(ctx.tenant.id).invoices  # dibs_fortnox.reverse
        invoices = [i for i in invoices if str(i.get("DocumentNumber")) not in taken_back]
        vouchers = []
        for booking in bookings:
            if not booking.voucher.rows:
                continue  # the payout moved no money: no voucher was posted
            state = ctx.ledger.document(ctx.tenant.id, "voucher", booking.payout_id)
            if state is None or not state.fortnox_id:
                problems.append(f"payout {booking.payout_id}: no voucher recorded as posted")
                continue
            series, number, year = parse_voucher_id(state.fortnox_id)
            vouchers.append(ctx.fortnox.get_voucher(series, number, financial_year=year))
        problems += [str(p) for p in reconcile_with_fortnox(bookings, invoices, vouchers)]
    held = [f"payout {h.payout_id} held: {h.reason}" for h in plan.held]
    summary = {
        "day": ctx.day.isoformat(),
        "payouts_booked": len(bookings),
        "invoices": sum(1 for b in bookings for i in b.invoices if not i.is_credit),
        "credits": sum(1 for b in bookings for i in b.invoices if i.is_credit),
        "vouchers": len(bookings),
        "bank": sum(b.payout.amount - b.payout.deposited for b in bookings),
        "fees": sum(b.payout.fees for b in bookings),
        "invariants": "OK" if not problems else problems,
        "held": held,
    }
    log.info("%s: reconciled %s", ctx.where(), summary)
    if problems or held:
        raise ReconcileFailed(
            f"{ctx.where()}: "
            + "; ".join(problems + held)
            + ". What was bookable is booked; fix the cause and clear this run.",
            summary,
            held_only=not problems,
        )
    return summary
