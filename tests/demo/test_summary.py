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
