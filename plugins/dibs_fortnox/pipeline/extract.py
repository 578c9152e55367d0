"""Extract: the day's payouts, every action in them and the payments they settle.

Everything fetched is stored raw in the state database before anything is derived from
it, so a day can be audited and re-transformed without asking Nets again. Payments are
read through the ledger-backed cache because Nets allows 30 reads per payment per hour.
"""

from __future__ import annotations

import logging
from typing import Any

from dibs_fortnox.pipeline.context import StepContext

log = logging.getLogger(__name__)


def extract(ctx: StepContext) -> dict[str, Any]:
    """Fetch and store the day's raw Nets data; return counts for the run summary."""
    tenant, day = ctx.tenant.id, ctx.day
    listed = ctx.nets.list_payouts(day, day)
    ctx.ledger.save_raw(tenant, "payouts_list", day.isoformat(), day, {"payouts": listed})
    payment_ids: set[str] = set()
    actions = 0
    for item in listed:
        if str(item.get("date", day.isoformat()))[:10] != day.isoformat():
            # Nets filters by date already; a payout of another day is never booked here.
            log.warning(
                "%s: payout %s is dated %s, skipped", ctx.where(), item.get("id"), item.get("date")
            )
            continue
        details = ctx.nets.get_payout(str(item["id"]))
        ctx.ledger.save_raw(tenant, "payout", str(item["id"]), day, details)
        for action in details.get("paymentActions") or []:
            actions += 1
            if action.get("paymentId"):
                payment_ids.add(str(action["paymentId"]))
    for payment_id in sorted(payment_ids):
        payment = ctx.nets.get_payment(payment_id)
        ctx.ledger.save_raw(tenant, "payment", payment_id, day, payment)
    summary = {
        "day": day.isoformat(),
        "payouts": len(listed),
        "actions": actions,
        "payments": len(payment_ids),
    }
    log.info("%s: extracted %s", ctx.where(), summary)
    return summary
