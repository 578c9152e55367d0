"""Extract: the day's payouts, late payouts of the days before, and the payments they settle.

Everything fetched is stored raw in the state database before anything is derived from
it, so a day can be audited and re-transformed without asking Nets again. Payments are
read through the ledger-backed cache because Nets allows 30 reads per payment per hour;
but a stored payment never wins over what a payout says: when a payout action matches
nothing in it (a refund completed since, a later charge), the payment is fetched again.

Late payouts: Nets may publish a payout after its own day's run has looked. A run for day
D therefore also lists the ``late_payout_days`` days before D and takes over every payout
there that its own day's run did not see when it listed that day, and that no run has
booked, planned or held since.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from dibs_fortnox.booking.matching import unexplained
from dibs_fortnox.booking.parse import ParseError, parse_payment, parse_payout
from dibs_fortnox.model import Payout
from dibs_fortnox.pipeline.context import StepContext

log = logging.getLogger(__name__)


def payout_day(item: dict[str, Any], default: date) -> date:
    """The date Nets gives a payout (``YYYY-MM-DD…``), or ``default`` when it gives none."""
    text = str(item.get("date") or "")[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return default


def late_payouts(ctx: StepContext, listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Payouts of earlier days that were published after their own day's run looked.

    A payout is late when its day's run saved the list of that day's payouts without it,
    and no run has booked, planned or held it since. A day whose run never listed its
    payouts (not run yet, or failed before asking Nets) is left to its own run: taking its
    payouts over would book them out of order, or spread one broken payout to later days.
    """
    known = {p.payout_id for p in ctx.ledger.payouts(ctx.tenant.id)}
    seen_by_day: dict[date, set[str] | None] = {}
    late = []
    for item in listed:
        day = payout_day(item, ctx.day)
        payout_id = str(item.get("id"))
        if not (ctx.tenant.start_date <= day < ctx.day) or payout_id in known:
            continue
        if day not in seen_by_day:
            record = ctx.ledger.get_raw(ctx.tenant.id, "payouts_list", day.isoformat())
            seen_by_day[day] = (
                None
                if record is None
                else {str(p.get("id")) for p in record.payload.get("payouts") or []}
            )
        seen = seen_by_day[day]
        if seen is not None and payout_id not in seen:
            late.append(item)
    return late


def _fresh_payment(ctx: StepContext, payment_id: str, payouts: list[Payout]) -> dict[str, Any]:
    """The payment, from the cache when it explains every action on it, else from Nets."""
    payment = ctx.nets.get_payment(payment_id)
    try:
        parsed = parse_payment(payment)
    except ParseError:
        return payment  # the transform reports it; asking Nets again would not help
    if any(unexplained(payout, parsed) for payout in payouts):
        log.info(
            "%s: payment %s as stored does not explain its payout actions; asking Nets again",
            ctx.where(),
            payment_id,
        )
        payment = ctx.nets.get_payment(payment_id, refresh=True)
    return payment


def extract(ctx: StepContext) -> dict[str, Any]:
    """Fetch and store the day's raw Nets data; return counts for the run summary."""
    tenant, day = ctx.tenant.id, ctx.day
    first = max(day - timedelta(days=ctx.tenant.late_payout_days), ctx.tenant.start_date)
    listed = ctx.nets.list_payouts(min(first, day), day)
    todays = [item for item in listed if payout_day(item, day) == day]
    late = late_payouts(ctx, listed)
    ctx.ledger.save_raw(
        tenant, "payouts_list", day.isoformat(), day, {"payouts": todays, "late": late}
    )
    by_payment: dict[str, list[Payout]] = defaultdict(list)
    actions = 0
    for item in [*todays, *late]:
        details = ctx.nets.get_payout(str(item["id"]))
        ctx.ledger.save_raw(tenant, "payout", str(item["id"]), payout_day(item, day), details)
        try:
            parsed = parse_payout(details)
        except ParseError:
            parsed = None  # the transform holds it with the reason
        for action in details.get("paymentActions") or []:
            actions += 1
            if action.get("paymentId") and parsed is not None:
                by_payment[str(action["paymentId"])].append(parsed)
            elif action.get("paymentId"):
                by_payment.setdefault(str(action["paymentId"]), [])
    for payment_id in sorted(by_payment):
        payment = _fresh_payment(ctx, payment_id, by_payment[payment_id])
        ctx.ledger.save_raw(tenant, "payment", payment_id, day, payment)
    if late:
        log.warning(
            "%s: %d payout(s) of earlier days published late, booked by this run: %s",
            ctx.where(),
            len(late),
            ", ".join(f"{p.get('id')} ({p.get('date')})" for p in late),
        )
    summary = {
        "day": day.isoformat(),
        "payouts": len(todays),
        "late_payouts": [{"payout": str(p.get("id")), "date": str(p.get("date"))} for p in late],
        "actions": actions,
        "payments": len(by_payment),
    }
    log.info("%s: extracted %s", ctx.where(), summary)
    return summary
