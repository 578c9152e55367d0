"""The demo's closing report: figures in, text a bookkeeper reads out."""

from __future__ import annotations

from dibs_fortnox.demo.summary import Check, DayLine, render, trial_balance_checks

DAYS = [
    DayLine("2026-11-03", "success", 1, 6, 0, 6, 1, 0, bank=512057, fees=8841),
    DayLine("2026-11-04", "success", 1, 5, 1, 6, 1, 0, bank=100000, fees=1000),
]


def test_totals_row_adds_up_counts_and_money() -> None:
    text = render(DAYS, {}, {}, [])
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert total.split()[1:7] == ["2", "11", "1", "12", "2", "0"]
    assert total.split()[-3:] == ["6", "120.57", "98.41"]  # 6 120.57 to bank, 98.41 fees


def test_matching_trial_balance_has_no_failed_check() -> None:
    balance = {1930: 612057, 3001: -612057}
    assert trial_balance_checks(balance, dict(balance)) == []
    text = render(DAYS, balance, balance, [Check("x", True, "fine")])
    assert "All invariants hold." in text and "DIFF" not in text


def test_difference_is_named_with_its_amount() -> None:
    checks = trial_balance_checks({1930: 10000}, {1930: 10050})
    assert [c.detail for c in checks] == ["Fortnox 100.00 != expected 100.50 (-0.50 off)"]
    text = render(DAYS, {1930: 10000}, {1930: 10050}, checks)
    assert "DIFF" in text and "1 invariant(s) FAILED." in text


def test_sales_and_vat_are_listed_per_account_with_totals() -> None:
    balance = {1930: 65500, 3001: -20000, 3002: -10000, 3108: -15000, 3111: -10000,
               2611: -5000, 2621: -1200, 2681: -1900, 3740: 1, 1510: -3401}  # fmt: skip
    text = render(DAYS, balance, balance, [])
    section = text.split("Sales and output VAT per account")[1].split("Invariants")[0]
    lines = [line.split() for line in section.splitlines() if line.strip()]
    by_account = {words[0]: words[-1] for words in lines if words[0].isdigit()}
    assert by_account == {"3001": "200.00", "3002": "100.00", "3108": "150.00",
                          "3111": "100.00", "2611": "50.00", "2621": "12.00",
                          "2681": "19.00", "3740": "-0.01"}  # fmt: skip
    totals = {" ".join(w[:-1]): w[-1] for w in lines if w[0] == "total"}
    assert totals == {"total sales": "550.00", "total output VAT": "81.00"}
    assert "Försäljning EU-företag, omvänd moms" in section
