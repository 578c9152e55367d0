"""``python -m dibs_fortnox.held_payouts``: see held payouts, book one by hand, or release it.

A held payout posts nothing and stays held until a person acts. Two ways out:

- ``book-by-hand``: it was booked in Fortnox by a person. It becomes booked for good, and
  the charges and refunds it settled count as taken, so no later payout books them again
  and later refunds of those charges go on (they credit the invoice whose
  ``ExternalInvoiceReference1`` is the Nets charge id: give the hand-made invoice that
  reference).
- ``release``: the cause is fixed (Nets corrected the data, an account was activated). The
  payout is pending again; run its day again (the command prints how) to book it.

Both need ``--by`` and ``--note``: who decided and why stay in the state database.

Example:
    python -m dibs_fortnox.held_payouts list --tenant acme
    python -m dibs_fortnox.held_payouts release --tenant acme --payout 0a1b... \\
        --by "Anna, ekonomi" --note "Nets corrected the refund on 2 Dec"
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from dibs_fortnox.booking.matching import same_amount
from dibs_fortnox.booking.parse import ParseError, parse_payment, parse_payout
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.ledger.states import LedgerError
from dibs_fortnox.model import ActionKind, Charge
from dibs_fortnox.tenants import load_tenants


def settled_ids(ledger: Ledger, tenant: str, payout_id: str) -> list[str]:
    """The charge and refund ids a payout settles, by amount (every candidate when several).

    Taking all same-amount candidates errs on the safe side: a charge claimed here can
    never be booked twice by a later payout.
    """
    record = ledger.get_raw(tenant, "payout", payout_id)
    if record is None:
        return []
    try:
        payout = parse_payout(record.payload)
    except ParseError:
        return []
    ids: list[str] = []
    for action in payout.actions:
        if action.kind is ActionKind.DEPOSIT or action.payment_id is None:
            continue
        stored = ledger.get_raw(tenant, "payment", action.payment_id)
        if stored is None:
            continue
        try:
            payment = parse_payment(stored.payload)
        except ParseError:
            continue
        for source in same_amount(action, payment):
            ids.append(source.charge_id if isinstance(source, Charge) else source.refund_id)
    return ids


def _list(ledger: Ledger, tenant: str) -> int:
    payouts = [p for p in ledger.payouts(tenant) if p.status != "booked"]
    if not payouts:
        print(f"tenant {tenant}: no held or pending payouts")
    for p in payouts:
        print(f"{p.day}  {p.payout_id}  {p.status}\n    {p.reason or ''}")
    for decision in ledger.payout_history(tenant):
        print(
            f"decided {decision.decided_at:%Y-%m-%d %H:%M} by {decision.decided_by}: "
            f"{decision.payout_id} {decision.action} ({decision.note})"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dibs_fortnox.held_payouts")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("list", help="held and pending payouts, and decisions made")
    show.add_argument("--tenant", required=True)
    for name, text in (
        ("book-by-hand", "the payout was booked in Fortnox by a person: booked for good"),
        ("release", "the cause is fixed: pending again, for a re-run of its day"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--tenant", required=True)
        cmd.add_argument("--payout", required=True, help="the Nets payout id")
        cmd.add_argument("--by", required=True, help="who decides (name, role)")
        cmd.add_argument("--note", required=True, help="why, for the audit trail")
    args = parser.parse_args(argv)

    tenant = load_tenants().by_id(args.tenant)
    ledger = Ledger.from_env()
    try:
        if args.command == "list":
            return _list(ledger, tenant.id)
        action = "booked_by_hand" if args.command == "book-by-hand" else "released"
        claims = settled_ids(ledger, tenant.id, args.payout) if action == "booked_by_hand" else []
        try:
            ledger.resolve_payout(tenant.id, args.payout, action, args.by, args.note, claims)
        except (LedgerError, ValueError) as exc:
            print(f"tenant {tenant.id}, payout {args.payout}: {exc}", file=sys.stderr)
            return 2
        (state,) = [p for p in ledger.payouts(tenant.id) if p.payout_id == args.payout]
        if action == "booked_by_hand":
            print(
                f"payout {args.payout} ({state.day}) is booked by hand; it settled "
                f"{len(claims)} charge(s)/refund(s), which no later payout will book again"
            )
        else:
            print(
                f"payout {args.payout} ({state.day}) is released. Book it by running its day "
                f"again:\n  airflow tasks clear {tenant.dag_id} --yes --start-date {state.day} "
                f"--end-date {state.day + timedelta(days=1)}"
            )
        return 0
    finally:
        ledger.close()


if __name__ == "__main__":
    sys.exit(main())
