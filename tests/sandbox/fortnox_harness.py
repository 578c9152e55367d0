"""A running Fortnox emulator and a tiny HTTP helper for its tests.

The helper speaks plain ``requests`` over 127.0.0.1, sends money as exact JSON numbers
(``money.dumps``) and parses answers with ``Decimal``: the tests see exactly what a client
would, with no shortcut into the emulator's objects except the documented inspection API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import requests

from dibs_fortnox import money
from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.server import SandboxServer

CLIENT_ID = "client-id"
CLIENT_SECRET = "client-secret"


class FortnoxHarness:
    """A started emulator with a client-credentials token for tenant "demo"."""

    def __init__(self, app: FortnoxApp, server: SandboxServer) -> None:
        self.app = app
        self.server = server
        self.url = server.url
        self.http = requests.Session()
        self.token = self.client_credentials()["access_token"]

    def client_credentials(self, tenant: str = "demo", secret: str = CLIENT_SECRET) -> Any:
        response = self.http.post(
            self.url + "/oauth-v1/token",
            data={"grant_type": "client_credentials"},
            auth=(CLIENT_ID, secret),
            headers={"TenantId": tenant},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, **params: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = money.dumps(body).encode("utf-8")
        return self.http.request(method, self.url + path, data=data, headers=headers, params=params)

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """Call and insist on 2xx; return the body parsed with Decimal."""
        response = self.call(method, path, body, **params)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return money.loads(response.content)

    def refused(
        self, method: str, path: str, body: Any = None, status: int = 400, **params: Any
    ) -> Any:
        """Call and insist on a refusal; return its ErrorInformation."""
        response = self.call(method, path, body, **params)
        assert response.status_code == status, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json()["ErrorInformation"]

    # -- document shortcuts ------------------------------------------------------------
    def customer(self, number: str = "1", name: str = "Webbkund") -> Any:
        return self.ok(
            "POST", "/3/customers", {"Customer": {"CustomerNumber": number, "Name": name}}
        )

    def invoice(self, rows: list[dict[str, Any]] | None = None, **fields: Any) -> Any:
        body = {
            "CustomerNumber": "1",
            "InvoiceDate": "2026-03-14",
            "InvoiceRows": rows if rows is not None else [row()],
            **fields,
        }
        return self.ok("POST", "/3/invoices", {"Invoice": body})["Invoice"]

    def payment(self, invoice_number: int, amount: str, **fields: Any) -> Any:
        body = {
            "InvoiceNumber": invoice_number,
            "Amount": Decimal(amount),
            "PaymentDate": "2026-03-14",
            "ModeOfPayment": "NETS",
            "ModeOfPaymentAccount": 1516,
            **fields,
        }
        return self.ok("POST", "/3/invoicepayments", {"InvoicePayment": body})["InvoicePayment"]


def row(
    price: str = "100.00", vat: int = 25, account: int = 3001, quantity: str = "1", **extra: Any
) -> dict[str, Any]:
    """An invoice row with the price in kronor as an exact Decimal."""
    return {
        "AccountNumber": account,
        "DeliveredQuantity": quantity,
        "Price": Decimal(price),
        "VAT": vat,
        "Description": "Vara",
        **extra,
    }


@contextmanager
def running(**options: Any) -> Iterator[FortnoxHarness]:
    """Start a FortnoxApp with the demo company and one consented client."""
    app = FortnoxApp(**options)
    app.add_company(demo_company(tenant_id="demo"))
    app.add_client(CLIENT_ID, CLIENT_SECRET, tenant_ids=["demo"])
    with SandboxServer(app) as server:
        harness = FortnoxHarness(app, server)
        try:
            yield harness
        finally:
            harness.http.close()
