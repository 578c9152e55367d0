"""Every field the Nets emulator sends is a field the Nets API reference documents.

The emulator must not invent fields the pipeline could come to rely on. The team's
reference (``../shared/reference/nets-easy-api.md``) is read when present; without it the
check runs against the field names written down below (taken from that reference).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import ScenarioConfig, generate
from dibs_fortnox.sandbox.server import SandboxServer

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared/reference/nets-easy-api.md"
DOCUMENTED = """
numberOfPayouts payouts id reference date bankAccountIban bankAccountBic currency amount
chargedAmount numberOfCharges refundedAmount numberOfRefunds depositedAmount numberOfDeposits
fees feeVATpercent feeTaxRate feeTaxAmount transactionTaxDetails rate numberOfPaymentActions
paymentActions paymentId paymentAction paymentMethod paymentType timestamp invoiceNumber
vatAmount fee flexibleFee fixedFee subscriptionId payment summary reservedAmount
cancelledAmount consumer shippingAddress billingAddress addressLine1 addressLine2 receiverLine
postalCode city country phoneNumber prefix number privatePerson firstName lastName email
company name registrationNumber contactDetails paymentDetails invoiceDetails cardDetails
maskedPan expiryDate orderDetails checkout url cancelUrl created charges chargeId
surchargeAmount orderItems quantity unit unitPrice taxRate taxAmount grossTotalAmount
netTotalAmount refunds refundId state lastUpdated myReference
"""


def _documented_text() -> str:
    if REFERENCE.parent.parent.exists():
        return REFERENCE.read_text(encoding="utf-8")
    return DOCUMENTED


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def test_every_emitted_field_is_documented() -> None:
    scenario = generate(ScenarioConfig(seed=11, days=4, payments_per_day=40, deposit_every_days=2))
    app = NetsApp()
    app.add_merchant(scenario.secret_key, scenario.payments, scenario.payouts)
    headers = {"Authorization": scenario.secret_key}
    bodies: list[Any] = []
    with SandboxServer(app) as server:
        listing = requests.get(
            server.url + "/report/v1/payouts",
            params={"fromDate": "2026-11-01", "toDate": "2026-12-31"},
            headers=headers,
            timeout=10,
        ).json()
        bodies.append(listing)
        for payout in listing["payouts"]:
            url = f"{server.url}/report/v1/payouts/{payout['id']}"
            bodies.append(requests.get(url, headers=headers, timeout=10).json())
        for payment in scenario.payments:
            url = f"{server.url}/v1/payments/{payment['paymentId']}"
            bodies.append(requests.get(url, headers=headers, timeout=10).json())
    emitted = {key for body in bodies for key in _keys(body)}
    text = _documented_text()
    missing = sorted(k for k in emitted if not re.search(rf"\b{re.escape(k)}\b", text))
    assert missing == []
    # the walk really covered the nested objects (deposits, refunds, companies)
    assert {"depositedAmount", "lastUpdated", "registrationNumber", "flexibleFee"} <= emitted
