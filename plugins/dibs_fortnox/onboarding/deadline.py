"""The "day not booked by ``booked_by_hour``" alert: silence is a problem too.

A failed task tells someone through its failure callback, but a day can also simply not
happen: the DAG paused by mistake, a scheduler down, a run waiting for an earlier day that
waits for a person. So once an hour a small DAG (``dags/dibs_fortnox_deadline.py``) asks,
for every tenant that books: is yesterday's payout day (the day the 06:00 Stockholm run
books) booked by the tenant's ``booked_by_hour``? If not, the data team (and, per tenant
``notify_merchant``, the merchant) get one e-mail per tenant and day; the ``alerts`` table
remembers it was sent, so the hourly check does not repeat it.

Tenants still in onboarding are left out (their onboarding e-mails say why nothing books),
as are paused tenants (someone paused them on purpose) and days before ``start_date``.

Example:
    >>> late = unbooked_day(tenant, ledger, records, now)           # doctest: +SKIP
    >>> late.reason                                                 # doctest: +SKIP
    'the last run failed: account 6040 is not active'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dibs_fortnox.ledger import Ledger
from dibs_fortnox.ledger.reversals import still_booked
from dibs_fortnox.onboarding.mail import Mail
from dibs_fortnox.onboarding.state import OnboardingRecords
from dibs_fortnox.schedule import TIMEZONE
from dibs_fortnox.tenants import TenantConfig

ALERT_KIND = "not_booked"


@dataclass(frozen=True)
class LateDay:
    """A payout day that should have been booked by now and was not.

    Attributes:
        reason: what the state database shows about the day (no run, or the last run's
            status and error), in plain words.
    """

    tenant: TenantConfig
    day: date
    deadline: datetime
    reason: str


def due_day(now: datetime) -> date:
    """The payout day the daily run of ``now``'s Stockholm date books (the day before)."""
    return now.astimezone(TIMEZONE).date() - timedelta(days=1)


def _why(ledger: Ledger, tenant: str, day: date) -> str | None:
    """None when the day is booked; otherwise what the runs table says."""
    found = ledger.runs(tenant, day)
    reversed_at = ledger.reversed_days(tenant).get(day)
    if any(still_booked(run, reversed_at) for run in found):
        return None
    if not found:
        return "no run of this day has started (is the DAG paused, or the scheduler down?)"
    last = found[-1]
    error = str((last.summary or {}).get("error") or "").strip()
    if reversed_at is not None and last.books_the_day:
        return (
            f"its booking was reversed at {reversed_at:%Y-%m-%d %H:%M} UTC "
            "(python -m dibs_fortnox.reverse) and the day was not booked again: clear the "
            "day's run in Airflow to book it"
        )
    if last.status == "success":  # and not booking: a dry run
        return (
            "only a dry run of this day has run (nothing was posted): set dry_run: false "
            "for the tenant in tenants.yaml, or trigger the day without the dry_run param"
        )
    if last.status == "running":
        return f"its run has been going since {last.started_at:%H:%M} UTC without finishing"
    detail = f": {error}" if error else ""
    return f"the last run {last.status}{detail}"


def unbooked_day(
    tenant: TenantConfig, ledger: Ledger, records: OnboardingRecords, now: datetime
) -> LateDay | None:
    """The tenant's due day when it is past the deadline and not booked; None otherwise."""
    local = now.astimezone(TIMEZONE)
    if tenant.paused or local.hour < tenant.booked_by_hour:
        return None
    day = due_day(now)
    if day < tenant.start_date:
        return None
    if tenant.onboarding == "required":
        onboarded = records.get(tenant.id)
        if onboarded is None or not onboarded.active:
            return None
    reason = _why(ledger, tenant.id, day)
    if reason is None:
        return None
    deadline = local.replace(hour=tenant.booked_by_hour, minute=0, second=0, microsecond=0)
    return LateDay(tenant, day, deadline, reason)


def late_day_mail(late: LateDay, to: tuple[str, ...]) -> Mail:
    """Plain words: which day, by when it should have been booked, why it was not."""
    t = late.tenant
    body = f"""Bokföringen för {t.name} ({t.id}) av dagen {late.day.isoformat()} är inte klar,
fast den skulle vara bokförd klockan {late.deadline:%H:%M} ({late.deadline:%Y-%m-%d}, svensk tid).

Vad vi ser: {late.reason}.

Åtgärd: öppna DAG {t.dag_id} i Airflow och se dagens körning (docs/troubleshooting.md).
Inget bokförs dubbelt: när orsaken är åtgärdad bokförs dagen av sig själv eller körs om.
"""
    return Mail(
        to, f"DIBS-Fortnox: {t.id} {late.day.isoformat()} not booked by {t.booked_by_hour}:00", body
    )


def alert_unbooked(
    tenants: Iterable[TenantConfig],
    ledger: Ledger,
    records: OnboardingRecords,
    now: datetime,
    send: Callable[[Mail], None],
    data_team: str | None,
) -> list[LateDay]:
    """Send one alert per late tenant and day (never twice); return the days alerted now."""
    sent: list[LateDay] = []
    for tenant in tenants:
        late = unbooked_day(tenant, ledger, records, now)
        if late is None:
            continue
        to = tuple(a for a in (data_team, tenant.email if tenant.notify_merchant else None) if a)
        if not to or not records.first_alert(tenant.id, ALERT_KIND, late.day.isoformat()):
            continue
        try:
            send(late_day_mail(late, to))
        except Exception:
            records.forget_alert(tenant.id, ALERT_KIND, late.day.isoformat())  # next hour again
            raise
        sent.append(late)
    return sent
