"""The demo's closing report, written for a bookkeeper: what was booked, does it balance.

Pure formatting of figures gathered elsewhere, so it is tested without any server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dibs_fortnox.money import format_amount

ACCOUNT_NAMES = {
    1510: "Kundfordringar",
    1516: "Kortfordran Nets (avstämning)",
    1580: "Kortfordringar",
    1930: "Företagskonto",
    2611: "Utgående moms 25 %",
    2621: "Utgående moms 12 %",
    2631: "Utgående moms 6 %",
    2681: "Utgående moms OSS Tyskland 19 %",
    2682: "Utgående moms OSS Frankrike 20 %",
    2683: "Utgående moms OSS Tyskland 7 %",
    3001: "Försäljning Sverige 25 %",
    3002: "Försäljning Sverige 12 %",
    3003: "Försäljning Sverige 6 %",
    3004: "Försäljning Sverige momsfri",
    3105: "Försäljning utanför EU (export)",
    3106: "Försäljning EU-konsument, svensk moms",
    3108: "Försäljning EU-företag, omvänd moms",
    3111: "Försäljning OSS Tyskland 19 %",
    3112: "Försäljning OSS Tyskland 7 %",
    3113: "Försäljning OSS Frankrike 20 %",
    3740: "Öres- och kronutjämning",
    6040: "Kontokortsavgifter",
    6570: "Bankkostnader",
}


@dataclass(frozen=True)
class DayLine:
    """What one day's run did; ``bank`` and ``fees`` in öre (what reached the bank, net of
    the merchant's deposits, and the card fees)."""

    day: str
    state: str
    payouts: int
    invoices: int
    credits: int
    payments: int
    vouchers: int
    held: int
    bank: int = 0
    fees: int = 0


_COUNTS = ("payouts", "invoices", "credits", "payments", "vouchers", "held", "bank", "fees")


@dataclass(frozen=True)
class Check:
    """One invariant: its name, whether it holds, and the figures behind it."""

    name: str
    ok: bool
    detail: str


def trial_balance_checks(actual: Mapping[int, int], expected: Mapping[int, int]) -> list[Check]:
    """Compare Fortnox's trial balance with the independently computed one, per account."""
    checks = []
    for account in sorted(set(actual) | set(expected)):
        got, want = actual.get(account, 0), expected.get(account, 0)
        if got == want:
            continue
        checks.append(
            Check(
                f"account {account}",
                False,
                f"Fortnox {format_amount(got)} != expected {format_amount(want)} "
                f"({format_amount(got - want)} off)",
            )
        )
    return checks


def is_sales(account: int) -> bool:
    """BAS class 3 main revenue (30xx–37xx); 3740 is öre rounding, shown with the VAT."""
    return 3000 <= account <= 3699


def is_output_vat(account: int) -> bool:
    """BAS 26xx output VAT (2610–2699 in the accounts this product books)."""
    return 2610 <= account <= 2699


def sales_and_vat(actual: Mapping[int, int], currency: str = "SEK") -> list[str]:
    """Sales and output VAT per account, as credits (positive), with their totals.

    This is what the bookkeeper compares with the VAT return: one line per sales account
    (so per rate and buyer kind) and per output-VAT account (Swedish rates and each OSS
    country), then the rounding account that takes Nets' öre differences.
    """
    out = [f"Sales and output VAT per account ({currency}; credits shown positive)", ""]
    groups = (("sales", is_sales), ("output VAT", is_output_vat), ("rounding", lambda a: a == 3740))
    for label, wanted in groups:
        accounts = sorted(a for a in actual if wanted(a))
        for account in accounts:
            name = ACCOUNT_NAMES.get(account, "")
            out.append(f"{account:<8}{name:<40}{format_amount(-actual[account]):>16}")
        if label != "rounding":
            total = -sum(actual[a] for a in accounts)
            out.append(f"{'':<8}{'total ' + label:<40}{format_amount(total):>16}")
        out.append("")
    return out


def render(
    days: Sequence[DayLine],
    actual: Mapping[int, int],
    expected: Mapping[int, int],
    checks: Sequence[Check],
    currency: str = "SEK",
) -> str:
    """The whole report as text."""
    out = ["", "DIBS-Fortnox demo: Nets Easy payouts booked in Fortnox", "=" * 56, ""]
    out.append(
        f"{'day':<12}{'run':<10}{'payouts':>8}{'invoices':>10}{'credits':>9}"
        f"{'payments':>10}{'vouchers':>10}{'held':>6}{'to bank':>14}{'fees':>11}"
    )
    total = DayLine("total", "", *(sum(getattr(d, f) for d in days) for f in _COUNTS))
    for d in [*days, total]:
        out.append(
            f"{d.day:<12}{d.state:<10}{d.payouts:>8}{d.invoices:>10}{d.credits:>9}"
            f"{d.payments:>10}{d.vouchers:>10}{d.held:>6}"
            f"{format_amount(d.bank):>14}{format_amount(d.fees):>11}"
        )
    out += ["", f"Trial balance in Fortnox ({currency}; debit +, credit −) vs expected", ""]
    out.append(f"{'account':<8}{'name':<32}{'Fortnox':>16}{'expected':>16}  ")
    for account in sorted(set(actual) | set(expected)):
        got, want = actual.get(account, 0), expected.get(account, 0)
        mark = "OK" if got == want else "DIFF"
        out.append(
            f"{account:<8}{ACCOUNT_NAMES.get(account, ''):<32}"
            f"{format_amount(got):>16}{format_amount(want):>16}  {mark}"
        )
    out.append(
        f"{'':<8}{'sum (must be 0.00)':<32}{format_amount(sum(actual.values())):>16}"
        f"{format_amount(sum(expected.values())):>16}"
    )
    out += ["", *sales_and_vat(actual, currency)]
    out += ["Invariants", ""]
    for check in checks:
        out.append(f"  {'OK  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    out += ["", "All invariants hold." if not failed else f"{len(failed)} invariant(s) FAILED.", ""]
    return "\n".join(out)
