"""The TEST documents: green in Fortnox, marked TEST, and every account back at zero after."""

from __future__ import annotations

import pytest

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.onboarding import testdocs
from dibs_fortnox.onboarding.testdocs import create_test_documents, reverse_test_documents
from tests.onboarding.world import TODAY, OnboardingWorld


def test_test_invoice_is_paid_and_marked_and_the_voucher_is_in_the_series(
    world: OnboardingWorld,
) -> None:
    docs = create_test_documents(world.fortnox(), world.tenant, TODAY)
    held = world.fortnox_app.documents("acme")
    (invoice,) = held["invoices"]
    assert invoice["Remarks"].startswith("TEST") and invoice["Booked"] is True
    assert str(invoice["Balance"]) in ("0", "0.00")  # green: paid in full
    assert [p["ModeOfPayment"] for p in held["payments"]] == ["NETS"]
    assert docs.voucher_series == "A"
    balance = world.fortnox_app.trial_balance("acme")
    assert balance == {1510: 0, 1516: 0, 1930: 12513, 2611: -2503, 3001: -10010}


def test_reversal_brings_every_account_back_to_zero_once(world: OnboardingWorld) -> None:
    fortnox = world.fortnox()
    docs = reverse_test_documents(
        fortnox, world.tenant, create_test_documents(fortnox, world.tenant, TODAY)
    )
    assert docs.credit_number and docs.reversal_voucher
    again = reverse_test_documents(fortnox, world.tenant, docs)  # a retried task
    assert again == docs
    assert set(world.fortnox_app.trial_balance("acme").values()) == {0}
    assert len(world.fortnox_app.documents("acme")["invoices"]) == 2


def test_creating_twice_finds_the_first_documents(world: OnboardingWorld) -> None:
    fortnox = world.fortnox()
    first = create_test_documents(fortnox, world.tenant, TODAY)
    assert create_test_documents(fortnox, world.tenant, TODAY) == first
    vouchers = world.fortnox_app.documents("acme")["vouchers"]
    assert [v["VoucherSeries"] for v in vouchers].count("A") == 1


def test_an_invoice_left_unpaid_is_refused_with_the_rounding_fix(
    world: OnboardingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A payment a few öre short of the total: as when Fortnox rounds the invoice total.
    monkeypatch.setattr(testdocs, "TOTAL_ORE", testdocs.TOTAL_ORE - 13)
    with pytest.raises(ConfigError, match="öresutjämning"):
        create_test_documents(world.fortnox(), world.tenant, TODAY)
