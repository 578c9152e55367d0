"""Transform step: the day's raw Nets data → the documents to post, checked before posting.

The plan is recomputed from the raw extracts stored in the state database (pure and cheap),
so the transform task and the load task always agree without passing frames through XCom.
Invariants run here: a payout with any error is held with its reason and not posted at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from dibs_fortnox.booking.documents import PayoutBooking
from dibs_fortnox.booking.invariants import VALIDATIONS, ValidationContext
from dibs_fortnox.booking.transform import HeldPayout, TransformResult, transform
from dibs_fortnox.booking.wire import StoredPayments, StoredPayout
from dibs_fortnox.pipeline.context import StepContext

log = logging.getLogger(__name__)

BOOKED_STATUSES = frozenset({"posted", "bookkept"})


@dataclass
class DayPlan:
    """What a day's payouts become: the bookable payouts and the held ones (with reasons)."""

    result: TransformResult
    bookings: list[PayoutBooking]
    held: list[HeldPayout]
    warnings: list[str] = field(default_factory=list)

    @property
    def payout_ids(self) -> set[str]:
        return {b.payout_id for b in self.bookings} | {h.payout_id for h in self.held}


def run_payout_ids(ctx: StepContext) -> list[str]:
    """The payouts this run books: the day's own, then late ones of earlier days (extract
    decided which, once, so every step of the run works on the same set)."""
    listing = ctx.ledger.get_raw(ctx.tenant.id, "payouts_list", ctx.day.isoformat())
    if listing is None:
        return []
    items = [*(listing.payload.get("payouts") or []), *(listing.payload.get("late") or [])]
    return list(dict.fromkeys(str(item.get("id")) for item in items))


def raw_inputs(ctx: StepContext) -> tuple[list[StoredPayout], StoredPayments]:
    """The run's payout details and every payment they reference, from the state database.

    Both are read as their stored JSON text and stay text: the transform reads the
    payments straight into columns (``booking.arrow_read``) and the payouts' actions as
    structs (``booking.wire.StoredPayout``), which at a million payment actions took a
    fraction of decoding them into objects first (``transform-1m`` in BENCHMARKS.md).
    """
    payout_ids = run_payout_ids(ctx)
    stored = ctx.ledger.get_raw_texts(ctx.tenant.id, "payout", payout_ids)
    payouts = [StoredPayout(stored[pid], pid) for pid in payout_ids if pid in stored]
    wanted = [pid for payout in payouts for pid in payout.payment_ids() if pid]
    found = ctx.ledger.get_raw_texts(ctx.tenant.id, "payment", wanted)
    # In the order the payouts first name them, as the transform lists its documents.
    payments = StoredPayments({pid: found[pid] for pid in dict.fromkeys(wanted) if pid in found})
    return payouts, payments


def booked_elsewhere(ctx: StepContext, todays_payouts: set[str]) -> frozenset[str]:
    """Charge and refund ids whose invoices earlier payouts created (so refunds can credit them),
    and those of payouts a person booked by hand.

    Documents of today's own payouts are left out: on a re-run they must be matched again.
    """
    refs = set(ctx.ledger.hand_booked_claims(ctx.tenant.id))
    for kind in ("invoice", "credit"):
        for doc in ctx.ledger.documents(ctx.tenant.id, kind=kind):
            if doc.status in BOOKED_STATUSES and doc.payout_id not in todays_payouts:
                refs.add(doc.reference)
    return frozenset(refs)


def plan_day(ctx: StepContext) -> DayPlan:
    """Transform the day's raw data and hold every payout that fails a check."""
    payouts, payments = raw_inputs(ctx)
    todays = {str(p.key) for p in payouts}  # stored under their ids
    result = transform(payouts, payments, ctx.settings, booked_elsewhere(ctx, todays))
    held = list(result.held)
    bookings: list[PayoutBooking] = []
    context = ValidationContext(accounts=ctx.settings.accounts)
    for booking in result.bookings():
        problems = [str(e) for check in VALIDATIONS for e in check([booking], context)]
        if problems:
            held.append(HeldPayout(booking.payout_id, booking.payout.day, "; ".join(problems)))
        else:
            bookings.append(booking)
    warnings = [str(w) for w in result.warnings]
    return DayPlan(result, bookings, held, warnings)


def record_held(ctx: StepContext, plan: DayPlan) -> None:
    for item in plan.held:
        log.warning("%s: payout %s held: %s", ctx.where(), item.payout_id, item.reason)
        day = item.day or ctx.day  # a late payout keeps its own day
        ctx.ledger.record_payout(ctx.tenant.id, day, item.payout_id, "held", item.reason)


def transform_step(ctx: StepContext) -> dict[str, Any]:
    """The transform task: plan the day, record held payouts, summarise."""
    plan = plan_day(ctx)
    record_held(ctx, plan)
    for booking in plan.bookings:
        ctx.ledger.record_payout(ctx.tenant.id, booking.payout.day, booking.payout_id, "pending")
    summary = {
        "day": ctx.day.isoformat(),
        "payouts_to_book": len(plan.bookings),
        "invoices": sum(1 for b in plan.bookings for i in b.invoices if not i.is_credit),
        "credits": sum(1 for b in plan.bookings for i in b.invoices if i.is_credit),
        "payments": sum(len(b.payments) for b in plan.bookings),
        "held": [{"payout": h.payout_id, "reason": h.reason} for h in plan.held],
        "warnings": plan.warnings,
        "errors": [e.message for e in plan.result.errors],
    }
    log.info("%s: planned %s", ctx.where(), summary)
    return summary
