"""The Fortnox part of the bad-input catalogue: the emulator refuses as Fortnox does, and
the client's error says what a person changes in Fortnox or in the tenant's settings.

docs/troubleshooting.md lists every explanation (``test_troubleshooting_lists_...``).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dibs_fortnox.errors import ApiError, AuthFailed, BadRequest
from dibs_fortnox.fortnox.errors_map import KNOWN_CODES, KNOWN_MESSAGES
from dibs_fortnox.sandbox.fortnox import rules
from tests.clients.test_fortnox_client import CLIENT_SECRET, World, invoice, with_customer, world

__all__ = ["world"]  # the fixture, shared with the client tests
REPO = Path(__file__).resolve().parents[2]


def refusal(call: object) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_inactive_account(world: World) -> None:
    world.app.company("demo").inactive_accounts.add(3001)
    client = with_customer(world.client()[0])
    error = refusal(lambda: client.create_invoice(invoice("ch-inactive")))
    assert isinstance(error, BadRequest)
    assert "not active in Fortnox: activate it" in str(error) and "3001" in str(error)


def test_missing_mode_of_payment(world: World) -> None:
    client = world.client()[0]
    body = {"InvoicePayment": {"InvoiceNumber": 1, "Amount": "100.00", "ModeOfPayment": "KORT"}}
    error = refusal(lambda: client.create_invoice_payment(body))
    assert "mode of payment does not exist in Fortnox: create it" in str(error)
    assert "KORT" in str(error)


def test_series_not_manual(world: World) -> None:
    client = world.client()[0]
    rows = [{"Account": 1930, "Debit": "1.00"}, {"Account": 1516, "Credit": "1.00"}]
    body = {"Voucher": {"VoucherSeries": "B", "TransactionDate": "2026-03-14",
                        "Description": "p1", "VoucherRows": rows}}  # fmt: skip
    error = refusal(lambda: client.create_voucher(body))
    assert "does not allow manual vouchers: fix it in" in str(error)


def test_locked_period(world: World) -> None:
    world.app.company("demo").locked_until = date(2026, 3, 31)
    client = with_customer(world.client()[0])
    error = refusal(lambda: client.create_invoice(invoice("ch-locked")))
    assert error.code == "2000401" and "Låst period" in str(error)


def test_missing_financial_year(world: World) -> None:
    client = with_customer(world.client()[0])
    error = refusal(lambda: client.create_invoice(invoice("ch-2019", InvoiceDate="2019-03-14")))
    assert "no financial year in Fortnox covers the date: create it" in str(error)


def test_missing_currency(world: World) -> None:
    client = with_customer(world.client()[0])
    error = refusal(lambda: client.create_invoice(invoice("ch-gbp", Currency="GBP")))
    assert "currency is not set up in Fortnox: add it" in str(error) and "GBP" in str(error)


def test_missing_licence(world: World) -> None:
    world.app.company("demo").unlicensed.add("invoice")
    client = world.client()[0]
    error = refusal(lambda: client.list_invoices())
    assert isinstance(error, AuthFailed) and error.status == 403 and error.code == "2001101"
    assert "Hantera licenser" in str(error)
    assert "Check the credentials" not in str(error)  # the credentials are fine


def test_missing_scope(world: World) -> None:
    world.app.add_client(
        "dibs-fortnox-test",
        CLIENT_SECRET,
        tenant_ids=["demo"],
        scopes="bookkeeping companyinformation currency customer invoice settings",
    )
    client = world.client()[0]
    error = refusal(lambda: client.list_invoice_payments(1))
    assert isinstance(error, AuthFailed) and error.status == 403
    assert "lacks the scope" in str(error) and "connect again" in str(error)
    assert "scope payment" in str(error)  # Fortnox's own text names it


def test_withdrawn_consent(world: World) -> None:
    world.app.add_client("dibs-fortnox-test", CLIENT_SECRET, tenant_ids=[])
    error = refusal(lambda: world.client()[0].list_accounts())
    assert isinstance(error, AuthFailed)
    assert "activate the integration again" in str(error) and CLIENT_SECRET not in str(error)


def test_every_documented_code_the_emulator_uses_is_explained() -> None:
    documented = {
        value for name, value in vars(rules).items()
        if name.isupper() and isinstance(value, int) and not 2999000 <= value < 3000000
    }  # fmt: skip
    assert documented  # the emulator's own list of real Fortnox codes
    assert {str(code) for code in documented} <= set(KNOWN_CODES)


def test_troubleshooting_lists_every_fortnox_explanation() -> None:
    doc = (REPO / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    rows = "\n".join(line for line in doc.splitlines() if line.startswith("|"))
    missing = [code for code in KNOWN_CODES if f"`{code}`" not in rows]
    assert missing == [], f"codes missing from docs/troubleshooting.md: {missing}"
    for _, sentence in KNOWN_MESSAGES:
        head = re.split(r"[:(]", sentence, maxsplit=1)[0].strip()
        assert head in rows, f"docs/troubleshooting.md lacks a row for '{head}'"
