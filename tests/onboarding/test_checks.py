"""Each onboarding check: passes on a well set-up company, and fails with its own fix."""

from __future__ import annotations

import json
from datetime import date

import pytest

from dibs_fortnox.hooks import NetsEasyHook
from dibs_fortnox.onboarding.checks import CheckResult, run_checks
from tests.onboarding.world import TODAY, OnboardingWorld, onboarding_world


def failures(world: OnboardingWorld, key: str | None = None) -> dict[str, CheckResult]:
    nets = (lambda: world.nets(key)) if key else world.nets
    results = run_checks(world.tenant, world.fortnox(), nets, TODAY)
    return {r.name: r for r in results if not r.ok}


def test_a_well_set_up_company_passes_every_check(world: OnboardingWorld) -> None:
    assert failures(world) == {}


def test_fortnox_without_consent_is_one_failure_with_the_connect_command(
    world: OnboardingWorld,
) -> None:
    world.fortnox_app.add_client("acme-client", "onboarding-client-secret", tenant_ids=[])
    found = failures(world)
    assert list(found) == ["fortnox_reachable"]
    assert "connect --tenant acme" in found["fortnox_reachable"].fix


def test_missing_scopes_are_named() -> None:
    for world in onboarding_world(scopes="bookkeeping companyinformation invoice"):
        found = failures(world)
        assert list(found) == ["fortnox_scopes"]
        assert "customer, payment, settings" in found["fortnox_scopes"].message


def test_missing_licence_is_named(world: OnboardingWorld) -> None:
    world.company.unlicensed.add("invoice")  # the emulator answers 403, code 2001101
    found = failures(world)
    assert list(found) == ["fortnox_scopes"]
    assert "licence" in found["fortnox_scopes"].message


def test_inactive_account_is_named_with_its_year(world: OnboardingWorld) -> None:
    world.company.inactive_accounts.add(6040)
    found = failures(world)
    assert list(found) == ["accounts"]
    assert "account 6040 is not active" in found["accounts"].message
    assert "Kontoplan" in found["accounts"].fix


def test_missing_financial_year_for_start_date(world: OnboardingWorld) -> None:
    world.company.financial_years = [(date(2026, 12, 1), date(2026, 12, 31))]
    found = failures(world)
    assert "financial_years" in found
    assert "2026-11-03" in found["financial_years"].message


def test_cash_method_is_refused(world: OnboardingWorld) -> None:
    world.company.accounting_method = "CASH"
    found = failures(world)
    assert list(found) == ["accrual_method"]
    assert "kontantmetoden" in found["accrual_method"].message


def test_missing_mode_of_payment_offers_to_create_it(world: OnboardingWorld) -> None:
    del world.company.modes_of_payment["NETS"]
    found = failures(world)
    assert list(found) == ["mode_of_payment"]
    assert found["mode_of_payment"].offer == "create_mode_of_payment"
    assert "Betalsätt" in found["mode_of_payment"].fix


def test_mode_of_payment_on_the_wrong_account(world: OnboardingWorld) -> None:
    world.company.modes_of_payment["NETS"] = 1580
    found = failures(world)
    assert list(found) == ["mode_of_payment"]
    assert "books to account 1580" in found["mode_of_payment"].message
    assert found["mode_of_payment"].offer == ""


def test_voucher_series_without_manual_vouchers(world: OnboardingWorld) -> None:
    world.company.voucher_series["A"] = False
    found = failures(world)
    assert list(found) == ["voucher_series"]
    assert "does not allow manual vouchers" in found["voucher_series"].message


def test_locked_period_after_start_date(world: OnboardingWorld) -> None:
    world.company.locked_until = date(2026, 11, 30)
    found = failures(world)
    assert list(found) == ["locked_period"]
    assert "2026-11-30" in found["locked_period"].message


def test_nets_key_that_does_not_answer(world: OnboardingWorld) -> None:
    found = failures(world, key="live-secret-key-" + "ff" * 16)
    assert list(found) == ["nets"]
    assert "nets_acme" in found["nets"].fix


def test_nets_test_key_is_refused_with_the_connection_and_fix(
    world: OnboardingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the hook, as in Airflow: the test key never reaches Nets."""
    key = "test-secret-key-" + "0a" * 16
    monkeypatch.setenv(
        "AIRFLOW_CONN_NETS_ACME",
        json.dumps({"conn_type": "http", "host": world.nets_server.url, "password": key}),
    )
    results = run_checks(
        world.tenant, world.fortnox(), lambda: NetsEasyHook("nets_acme").client("acme"), TODAY
    )
    (nets,) = [r for r in results if not r.ok]
    assert nets.name == "nets"
    assert "'nets_acme' holds a Nets Easy *test* key" in nets.message
    assert "live secret key" in nets.fix and key not in nets.message + nets.fix
