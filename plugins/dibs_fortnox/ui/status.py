"""What the tenants page shows, gathered from the state database: no HTML, no Airflow.

For each tenant: where its onboarding stands, the last day booked, the days that failed or
hold payouts (with the reasons a bookkeeper acts on), and the receivable account in Fortnox
against the balance our ledger expects. For one tenant, day-by-day series for its chart.

The Fortnox balance is read by a function the caller passes (``BalanceReader``), so this
module stays testable with a plain function and the page can show one tenant's unreachable
Fortnox as that tenant's error while the others render.

Expected receivable, from the ledger alone (docs/architecture.md, "Booking"): a booked
payout nets to zero on the receivable (its invoice payments debit what its voucher
credits) and a held payout posts nothing, so only a payout still *pending* leaves a
balance: the bookkept payments of its charges minus those of its refunds, not yet cleared by
its voucher.

Example:
    >>> overview = tenant_overview(tenant, ledger, read_balance)      # doctest: +SKIP
    >>> overview.balance.difference                                   # doctest: +SKIP
    0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from dibs_fortnox.booking.parse import ParseError, parse_payment, parse_payout
from dibs_fortnox.errors import DibsFortnoxError, redact
from dibs_fortnox.ledger import Ledger, RunState
from dibs_fortnox.ledger.reversals import still_booked
from dibs_fortnox.model import ActionKind, Payout
from dibs_fortnox.money import Ore
from dibs_fortnox.onboarding.state import OnboardingRecords
from dibs_fortnox.schedule import TIMEZONE
from dibs_fortnox.tenants import TenantConfig

BalanceReader = Callable[[TenantConfig], Ore]
"""Read the tenant's receivable account balance in Fortnox (öre, debit − credit)."""


@dataclass(frozen=True)
class DayProblem:
    """A payout day that needs a person.

    Attributes:
        day: the payout day.
        state: ``failed`` (the run failed) or ``held`` (payouts held, the rest booked).
        reasons: one line per cause: the run's error, or each held payout with its reason.
        run_id: the Airflow run id of the day's latest run.
    """

    day: date
    state: str
    reasons: tuple[str, ...]
    run_id: str


@dataclass(frozen=True)
class BalanceCheck:
    """The receivable account in Fortnox against what the ledger expects.

    Attributes:
        account: the tenant's receivable account (``accounts.receivable``).
        expected: what the ledger expects (öre).
        fortnox: the balance Fortnox reports; None when it could not be read.
        error: why it could not be read (a message naming the fix); None when read.
    """

    account: int
    expected: Ore
    fortnox: Ore | None
    error: str | None

    @property
    def difference(self) -> Ore | None:
        """Fortnox minus expected; None when Fortnox could not be read."""
        return None if self.fortnox is None else self.fortnox - self.expected


@dataclass(frozen=True)
class TenantOverview:
    """One row of the tenants page.

    Attributes:
        onboarding: the onboarding status (``active``, ``awaiting_approval`` ...), or
            ``skipped`` for a tenant configured with ``onboarding: skip`` and no record,
            ``not started`` when the onboarding DAG has not run yet.
        last_booked_day: the latest day whose latest run booked everything; None if none.
        problems: failed and held days, newest first.
        balance: the receivable check.
    """

    tenant: TenantConfig
    onboarding: str
    last_booked_day: date | None
    problems: tuple[DayProblem, ...]
    balance: BalanceCheck


@dataclass(frozen=True)
class DayPoint:
    """One day of a tenant's chart (öre).

    Attributes:
        sales: charges minus refunds made that day (Stockholm), of booked payouts.
        payouts: what booked payouts of that day paid to the bank.
        receivable: the receivable account at the end of the day, by transaction date, as
            the booked documents put it (invoice payments on the charge day, the payout
            voucher on the payout day).
    """

    day: date
    sales: Ore
    payouts: Ore
    receivable: Ore


def latest_runs(runs: list[RunState]) -> dict[date, RunState]:
    """The latest run of each day (by start time)."""
    latest: dict[date, RunState] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.pk)):
        latest[run.day] = run
    return latest


def onboarding_state(tenant: TenantConfig, records: OnboardingRecords) -> str:
    found = records.get(tenant.id)
    if found is not None:
        return found.status
    return "skipped" if tenant.onboarding == "skip" else "not started"


def day_problems(ledger: Ledger, tenant: TenantConfig) -> tuple[DayProblem, ...]:
    """Days whose latest run failed or held payouts, newest first, with their reasons."""
    held: dict[date, list[str]] = {}
    for payout in ledger.payouts(tenant.id):
        if payout.status == "held":
            reason = payout.reason or "no reason recorded"
            if payout.payout_id not in reason:
                reason = f"payout {payout.payout_id}: {reason}"
            held.setdefault(payout.day, []).append(reason)
    problems: list[DayProblem] = []
    for day, run in sorted(latest_runs(ledger.runs(tenant.id)).items(), reverse=True):
        if run.status == "failed":
            error = str((run.summary or {}).get("error") or "no error recorded")
            problems.append(DayProblem(day, "failed", (error, *held.get(day, [])), run.run_id))
        elif run.status == "held" or (run.status == "success" and day in held):
            reasons = held.get(day) or [str((run.summary or {}).get("error") or "held")]
            problems.append(DayProblem(day, "held", tuple(reasons), run.run_id))
    return tuple(problems)


def last_booked_day(ledger: Ledger, tenant: TenantConfig) -> date | None:
    taken_back = ledger.reversed_days(tenant.id)  # python -m dibs_fortnox.reverse
    booked = [
        d
        for d, r in latest_runs(ledger.runs(tenant.id)).items()
        if still_booked(r, taken_back.get(d))
    ]
    return max(booked, default=None)


def _payout(ledger: Ledger, tenant: str, payout_id: str) -> Payout | None:
    record = ledger.get_raw(tenant, "payout", payout_id)
    if record is None:
        return None
    try:
        return parse_payout(record.payload)
    except ParseError:
        return None


def _payment_amounts(ledger: Ledger, tenant: str, payout: Payout) -> dict[str, Ore]:
    """Charge and refund ids of the payout's payments → signed amount on the receivable."""
    amounts: dict[str, Ore] = {}
    for payment_id in {a.payment_id for a in payout.actions if a.payment_id}:
        record = ledger.get_raw(tenant, "payment", payment_id)
        if record is None:
            continue
        try:
            payment = parse_payment(record.payload)
        except ParseError:
            continue
        amounts.update({c.charge_id: c.amount for c in payment.charges})
        amounts.update({r.refund_id: -r.amount for r in payment.refunds})
    return amounts


def expected_receivable(ledger: Ledger, tenant: TenantConfig) -> Ore:
    """The receivable balance the ledger accounts for: bookkept payments of pending payouts."""
    total = 0
    for state in ledger.payouts(tenant.id):
        if state.status != "pending":
            continue
        payout = _payout(ledger, tenant.id, state.payout_id)
        if payout is None:
            continue
        amounts = _payment_amounts(ledger, tenant.id, payout)
        for doc in ledger.documents(tenant.id, payout_id=state.payout_id):
            if doc.kind in ("invoice_payment", "credit_payment") and doc.status == "bookkept":
                total += amounts.get(doc.reference, 0)
    return total


def check_balance(ledger: Ledger, tenant: TenantConfig, read: BalanceReader) -> BalanceCheck:
    """Compare; a Fortnox that cannot be read is this tenant's error, never an exception."""
    expected = expected_receivable(ledger, tenant)
    account = tenant.accounts.receivable
    try:
        return BalanceCheck(account, expected, read(tenant), None)
    except DibsFortnoxError as exc:
        return BalanceCheck(account, expected, None, redact(str(exc)))


def tenant_overview(ledger: Ledger, tenant: TenantConfig, read: BalanceReader) -> TenantOverview:
    return TenantOverview(
        tenant=tenant,
        onboarding=onboarding_state(tenant, OnboardingRecords(ledger.engine)),
        last_booked_day=last_booked_day(ledger, tenant),
        problems=day_problems(ledger, tenant),
        balance=check_balance(ledger, tenant, read),
    )


def daily_series(ledger: Ledger, tenant: TenantConfig) -> list[DayPoint]:
    """Sales, payouts and receivable per day, from the booked payouts' Nets records.

    Every day from the first charge to the last payout is present (zeros included), so the
    chart's x axis is calendar time.
    """
    payouts = [
        p
        for s in ledger.payouts(tenant.id)
        if s.status == "booked" and (p := _payout(ledger, tenant.id, s.payout_id)) is not None
    ]
    sales: dict[date, Ore] = {}
    paid: dict[date, Ore] = {}
    # receivable moves: + on the charge day, − on the refund day, − (net) on the payout day
    moves: dict[date, Ore] = {}
    for payout in payouts:
        paid[payout.day] = paid.get(payout.day, 0) + payout.amount
        for action in payout.actions:
            if action.kind is ActionKind.DEPOSIT or action.timestamp is None:
                continue
            signed = action.amount if action.kind is ActionKind.CHARGE else -action.amount
            day = action.timestamp.astimezone(TIMEZONE).date()
            sales[day] = sales.get(day, 0) + signed
            moves[day] = moves.get(day, 0) + signed
            moves[payout.day] = moves.get(payout.day, 0) - signed
    days = set(sales) | set(paid) | set(moves)
    if not days:
        return []
    first, last = min(days), max(days)
    points: list[DayPoint] = []
    balance = 0
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        balance += moves.get(day, 0)
        points.append(DayPoint(day, sales.get(day, 0), paid.get(day, 0), balance))
    return points
