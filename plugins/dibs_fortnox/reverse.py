"""``python -m dibs_fortnox.reverse``: undo what the product booked for a tenant's days.

Fortnox keeps every bookkept document, so the days are reversed, not deleted: a credit
invoice for each invoice, a payment of the opposite amount for each payment, a mirrored
voucher for each payout voucher (``dibs_fortnox.pipeline.reversal``). Without ``--apply``
the command only shows what it would do. With ``--apply`` it does it, exactly once: a run
that stopped half-way (a crash, a lost connection) is finished by running the same command
again. Afterwards the days are ready to book again (the command prints how).

Refused, with nothing written: a date in Fortnox's locked period, or a document the state
database does not show as finished. ``--by`` and ``--note`` (who decided, and why) are kept
in the state database with the time.

Example:
    python -m dibs_fortnox.reverse --tenant acme --from 2026-11-03 --to 2026-11-05
    python -m dibs_fortnox.reverse --tenant acme --from 2026-11-03 --to 2026-11-05 \\
        --apply --by "Anna, ekonomi" --note "booked with the wrong sales account"
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, timedelta

from dibs_fortnox.errors import DibsFortnoxError
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.pipeline.context import db_url, fortnox_window
from dibs_fortnox.pipeline.reversal import Reverser, plan_reversal
from dibs_fortnox.tenants import load_tenants


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day YYYY-MM-DD, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dibs_fortnox.reverse",
        description="Reverse what was booked for a tenant's days (a preview unless --apply).",
    )
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--from", dest="from_day", type=_day, required=True, help="first day")
    parser.add_argument("--to", dest="to_day", type=_day, required=True, help="last day")
    parser.add_argument("--apply", action="store_true", help="do it (default: only show)")
    parser.add_argument("--by", default="", help="who decides (name, role); with --apply")
    parser.add_argument("--note", default="", help="why, for the audit trail; with --apply")
    parser.add_argument("--verbose", action="store_true", help="log every Fortnox request")
    args = parser.parse_args(argv)
    if args.apply and not (args.by.strip() and args.note.strip()):
        parser.error("--apply needs --by (who decides) and --note (why)")

    package_log = logging.getLogger("dibs_fortnox")
    level = package_log.level
    if not args.verbose:  # the plan is the output; the state database keeps the record
        package_log.setLevel(logging.WARNING)
    try:
        return _reverse(args)
    finally:
        package_log.setLevel(level)


def _reverse(args: argparse.Namespace) -> int:
    from dibs_fortnox.hooks import FortnoxHook  # Airflow: import only when needed

    try:
        tenant = load_tenants().by_id(args.tenant)
    except DibsFortnoxError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    ledger = Ledger.from_url(db_url())
    try:
        plan = plan_reversal(ledger, tenant, args.from_day, args.to_day)
        if not plan.payouts:
            print(f"{plan.where()}: nothing booked by DIBS-Fortnox to reverse")
            return 0
        fortnox = FortnoxHook(tenant.fortnox_conn_id).client(
            tenant.id, limiter=fortnox_window(ledger, tenant.id)
        )
        reverser = Reverser(plan, ledger, fortnox)
        lines = reverser.describe()
        print(f"{plan.where()}: {plan.count} documents of {len(plan.payouts)} payouts")
        print("\n".join(lines))
        if not args.apply:
            print(
                "\nPreview only: nothing was sent. To reverse, run the same command with "
                '--apply --by "NAME" --note "WHY".'
            )
            return 0
        count = reverser.apply(args.by, args.note)
    except DibsFortnoxError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        ledger.close()
    print(
        f"\nReversed {count} documents. The days are ready to book again:\n"
        f"  airflow tasks clear {tenant.dag_id} --yes --start-date {args.from_day} "
        f"--end-date {args.to_day + timedelta(days=1)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
