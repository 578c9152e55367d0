"""The tenants file's VAT settings: per-rate accounts with BAS defaults, and the OSS table."""

from __future__ import annotations

from pathlib import Path

from tests.config.test_tenants import GOOD, write

from dibs_fortnox.pipeline.context import booking_settings
from dibs_fortnox.tenants import load_tenants


def test_an_older_file_gets_bas_defaults_and_keeps_its_three_sales_keys(tmp_path: Path) -> None:
    tenant = load_tenants(write(tmp_path, GOOD)).by_id("acme")
    a = tenant.accounts
    assert (a.sales_se, a.sales_eu, a.sales_non_eu) == (3001, 3106, 3105)
    assert (a.sales_se_12, a.sales_se_6, a.sales_se_0, a.sales_eu_business) == (
        3002, 3003, 3004, 3108)  # fmt: skip
    assert tenant.oss is False and tenant.oss_countries == {}
    settings = booking_settings(tenant)
    assert settings.accounts.swedish_rate(12) == 3002 and settings.oss is False


def test_rate_accounts_and_oss_table_are_read(tmp_path: Path) -> None:
    text = GOOD.replace("receivable: 1516, bank: 1930}", "receivable: 1516, bank: 1930,\n"
                        "               sales_se_12: 3012, sales_eu_business: 3118}") + (
        "    oss: true\n"
        "    oss_countries:\n"
        "      DEU: {19: {sales: 3111, vat: 2681}, 7: {sales: 3112, vat: 2683}}\n"
    )  # fmt: skip
    tenant = load_tenants(write(tmp_path, text)).by_id("acme")
    assert (tenant.accounts.sales_se_12, tenant.accounts.sales_eu_business) == (3012, 3118)
    settings = booking_settings(tenant)
    assert settings.oss is True
    assert settings.oss_accounts["DEU"][19].sales == 3111
    assert settings.oss_accounts["DEU"][7].vat == 2683


def test_oss_country_outside_the_eu_or_sweden_is_that_tenants_problem(tmp_path: Path) -> None:
    text = GOOD + "    oss_countries:\n      SWE: {25: {sales: 3001, vat: 2611}}\n"
    loaded = load_tenants(write(tmp_path, text))
    [problem] = loaded.problems
    assert problem.field == "oss_countries" and "SWE" in problem.message


def test_oss_rate_must_be_a_whole_percent_with_both_accounts(tmp_path: Path) -> None:
    text = GOOD + "    oss_countries:\n      DEU: {19: {sales: 3111}}\n"
    [problem] = load_tenants(write(tmp_path, text)).problems
    assert problem.field.startswith("oss_countries.DEU.19") and "vat" in problem.field
