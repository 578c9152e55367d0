"""Gather the demo's figures (state database, the Fortnox emulator, the scenario) into a report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dibs_fortnox.demo.environment import Sandbox
from dibs_fortnox.demo.summary import Check, DayLine, render, trial_balance_checks
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.money import format_amount
from dibs_fortnox.sandbox.scenario_expected import (
    ScenarioAccounts,
    expected_trial_balance,
    nonzero,
)
from dibs_fortnox.tenants import TenantConfig


@dataclass(frozen=True)
class Report:
    text: str
    ok: bool


def fortnox_writes(sandbox: Sandbox) -> int:
    """Writes (POST/PUT under /3/) the Fortnox emulator has received so far."""
    return sandbox.fortnox_app.api_writes()


def scenario_accounts(tenant: TenantConfig) -> ScenarioAccounts:
    a = tenant.accounts
    return ScenarioAccounts(
        sales_se=a.sales_se,
        sales_eu=a.sales_eu,
        sales_non_eu=a.sales_non_eu,
        receivable=a.receivable,
        bank=a.bank,
        fees=a.fees,
    )


def day_lines(ledger: Ledger, tenant: str, runs: list[dict[str, str]]) -> list[DayLine]:
    lines = []
    for run in runs:
        day = date.fromisoformat(run["day"])
        kinds = Counter(
            d.kind for d in ledger.documents(tenant, day=day) if d.status in ("posted", "bookkept")
        )
        payouts = ledger.payouts(tenant, day)
        done = [r.summary for r in ledger.runs(tenant, day) if r.status == "success" and r.summary]
        figures = done[-1] if done else {}
        lines.append(
            DayLine(
                day=run["day"],
                state=run["state"],
                payouts=len(payouts),
                invoices=kinds["invoice"],
                credits=kinds["credit"],
                payments=kinds["invoice_payment"] + kinds["credit_payment"],
                vouchers=kinds["voucher"],
                held=sum(1 for p in payouts if p.status == "held"),
                bank=int(figures.get("bank", 0)),
                fees=int(figures.get("fees", 0)),
            )
        )
    return lines


def gather_report(
    tenant: TenantConfig,
    sandbox: Sandbox,
    state_db: Path,
    first: list[dict[str, str]],
    second: list[dict[str, str]],
    extra_writes: int,
    seconds: float,
) -> Report:
    ledger = Ledger.from_url(f"sqlite:///{state_db}")
    actual = sandbox.fortnox_app.trial_balance(tenant.id)
    expected = expected_trial_balance(
        sandbox.scenario, scenario_accounts(tenant), sandbox.first_day, sandbox.last_day
    )
    payouts = [
        p
        for p in sandbox.scenario.payouts
        if sandbox.first_day.isoformat() <= str(p["date"]) <= sandbox.last_day.isoformat()
    ]
    bank = sum(int(p["amount"]) - int(p.get("depositedAmount") or 0) for p in payouts)
    fees = sum(int(p.get("fees") or 0) for p in payouts)
    acc = tenant.accounts
    failed_runs = [r["day"] for r in first if r["state"] != "success"]
    checks = [
        Check(
            "every Airflow run succeeded",
            not failed_runs,
            f"{len(first)} runs in {seconds:.0f} s"
            + (f"; failed: {failed_runs}" if failed_runs else ""),
        ),
        Check(
            "trial balance equals the scenario's own computation, to the öre",
            nonzero(actual) == nonzero(expected),
            f"{len(expected)} accounts compared",
        ),
        Check(
            "the trial balance sums to zero",
            sum(actual.values()) == 0,
            format_amount(sum(actual.values())),
        ),
        Check(
            "1510 untouched in net (every invoice paid, every credit settled)",
            actual.get(1510, 0) == 0,
            format_amount(actual.get(1510, 0)),
        ),
        Check(
            f"receivable {acc.receivable} is zero (everything paid out)",
            actual.get(acc.receivable, 0) == 0,
            format_amount(actual.get(acc.receivable, 0)),
        ),
        Check(
            f"bank {acc.bank} = payouts − deposits",
            actual.get(acc.bank, 0) == bank,
            f"{format_amount(actual.get(acc.bank, 0))} vs {format_amount(bank)}",
        ),
        Check(
            f"fees {acc.fees} = Nets fees",
            actual.get(acc.fees, 0) == fees,
            f"{format_amount(actual.get(acc.fees, 0))} vs {format_amount(fees)}",
        ),
        Check(
            "booking every day again sent no write to Fortnox",
            extra_writes == 0 and all(r["state"] == "success" for r in second),
            f"{extra_writes} writes in {len(second)} re-runs",
        ),
    ]
    checks += trial_balance_checks(actual, expected)
    text = render(day_lines(ledger, tenant.id, first), actual, expected, checks)
    return Report(text, all(c.ok for c in checks))
