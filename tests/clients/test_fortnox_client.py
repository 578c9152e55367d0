"""FortnoxClient and ClientCredentials against the real Fortnox emulator over HTTP.

Emulator, limiter, retry waits and token expiry all share one fake clock, so the rate
limit is enforced for real while no test sleeps.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from dibs_fortnox.errors import (
    AuthFailed,
    BadRequest,
    DuplicateReference,
    NotFound,
    OutcomeUnknown,
    RateLimited,
)
from dibs_fortnox.fortnox.auth import ClientCredentials, Token
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.ratelimit import SlidingWindowLimiter
from dibs_fortnox.retry import RetryPolicy, no_jitter
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.fortnox import FortnoxApp, demo_company
from dibs_fortnox.sandbox.server import SandboxServer

CLIENT_ID = "dibs-fortnox-test"
CLIENT_SECRET = "s3cret-Fortnox-client-value"
TODAY = date(2026, 3, 14)


class FakeClock:
    """Monotonic seconds that move only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 10_000.0
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
            self.slept.append(seconds)


@dataclass
class World:
    app: FortnoxApp
    server: SandboxServer
    clock: FakeClock

    def client(
        self,
        *,
        secret: str = CLIENT_SECRET,
        tenant_id: str = "demo",
        limiter: SlidingWindowLimiter | None = None,
        retry: RetryPolicy | None = None,
        page_limit: int = 500,
    ) -> tuple[FortnoxClient, ClientCredentials]:
        auth = ClientCredentials(
            CLIENT_ID,
            secret,
            tenant_id,
            self.server.url,
            clock=self.clock,
            retry=RetryPolicy.no_wait(1),
            conn_hint="Airflow connection 'fortnox_demo'",
        )
        client = FortnoxClient(
            self.server.url,
            auth,
            tenant="acme",
            limiter=limiter
            or SlidingWindowLimiter.fortnox(clock=self.clock, sleep=self.clock.sleep),
            retry=retry
            or RetryPolicy(min_rate_limit_wait_s=5.0, sleep=self.clock.sleep, jitter=no_jitter),
            page_limit=page_limit,
        )
        return client, auth

    def count(self, key: str) -> int:
        return self.app.requests_by_route[key]


@pytest.fixture
def world() -> Iterator[World]:
    clock = FakeClock()
    app = FortnoxApp(seed=0, rate_limit=True, clock=clock, today=lambda: TODAY)
    app.add_company(demo_company(tenant_id="demo"))
    app.add_client(CLIENT_ID, CLIENT_SECRET, tenant_ids=["demo"])
    with SandboxServer(app) as server:
        yield World(app, server, clock)


def counting(auth: ClientCredentials) -> list[Token]:
    """Wrap the token request of ``auth`` and return the list of tokens it fetched."""
    fetched: list[Token] = []
    real: Callable[[], Token] = auth.obtain_token

    def obtain() -> Token:
        token = real()
        fetched.append(token)
        return token

    auth.obtain_token = obtain  # type: ignore[method-assign]
    return fetched


def invoice(ref: str, price: str = "100.00", **extra: Any) -> dict[str, Any]:
    return {
        "CustomerNumber": "1",
        "InvoiceDate": "2026-03-14",
        "ExternalInvoiceReference1": ref,
        "InvoiceRows": [
            {
                "AccountNumber": 3001,
                "DeliveredQuantity": "1",
                "Price": Decimal(price),
                "VAT": 25,
                "Description": "T-shirt (1 × 100.00)",
            },
        ],
        **extra,
    }


def with_customer(client: FortnoxClient) -> FortnoxClient:
    client.create_customer({"CustomerNumber": "1", "Name": "Webbkund Nets Easy"})
    return client


# -- tokens ------------------------------------------------------------------------------


def test_token_is_fetched_once_and_reused(world: World) -> None:
    client, auth = world.client()
    fetched = counting(auth)
    client.company_information()
    client.get_account(1930)
    client.locked_period()
    assert len(fetched) == 1
    assert world.count("POST /oauth-v1/token") == 1


def test_token_is_refreshed_exactly_once_after_the_server_expires_it(world: World) -> None:
    client, auth = world.client()
    fetched = counting(auth)
    client.company_information()
    world.app.expire_tokens()
    assert client.get_account(1930)["Number"] == 1930
    assert len(fetched) == 2
    assert world.app.status_counts[401] == 1
    assert fetched[0].access_token != fetched[1].access_token


def test_token_is_renewed_before_it_expires_without_a_401(world: World) -> None:
    client, auth = world.client()
    fetched = counting(auth)
    client.company_information()
    world.clock.sleep(3600 - 30)  # inside the safety margin
    client.company_information()
    assert len(fetched) == 2
    assert world.app.status_counts[401] == 0


def test_parallel_calls_share_one_token(world: World) -> None:
    client, auth = world.client()
    fetched = counting(auth)
    threads = [threading.Thread(target=client.locked_period) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fetched) == 1


def test_wrong_secret_says_what_to_fix_and_hides_the_secret(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, _ = world.client(secret="wrong-secret-value")
    with pytest.raises(AuthFailed) as caught:
        client.company_information()
    text = str(caught.value)
    assert "refused the client id/secret for tenant demo" in text
    assert "Airflow connection 'fortnox_demo'" in text
    assert caught.value.code == "invalid_client"
    for shown in (text, repr(caught.value), caplog.text):
        assert "wrong-secret-value" not in shown
    assert world.count("GET /3/companyinformation") == 0


def test_tenant_without_consent_is_told_apart(world: World) -> None:
    world.app.add_company(demo_company(tenant_id="other"))
    client, _ = world.client(tenant_id="other")
    with pytest.raises(AuthFailed, match="has not given this integration access"):
        client.company_information()


def test_access_token_never_reaches_logs_or_errors(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, auth = world.client()
    with pytest.raises(NotFound) as caught:
        client.get_invoice(999)
    token = auth.access_token()
    for shown in (str(caught.value), caplog.text):
        assert token not in shown
        assert CLIENT_SECRET not in shown


# -- reads and lookups -------------------------------------------------------------------


def test_setup_reads_unwrap_their_resources(world: World) -> None:
    client, _ = world.client()
    assert client.company_information()["CompanyName"] == "Demo Webbshop AB"
    years = client.financial_years(on=TODAY)
    assert [(y["FromDate"], y["ToDate"]) for y in years] == [("2026-01-01", "2026-12-31")]
    assert len(client.financial_years()) == 2
    assert client.get_account(1516)["Active"] is True
    assert {a["Number"] for a in client.list_accounts()} >= {1510, 1516, 1930, 6040}
    assert str(client.get_mode_of_payment("NETS")["AccountNumber"]) == "1516"
    series = {s["Code"]: s["Manual"] for s in client.list_voucher_series()}
    assert series["A"] is True and series["B"] is False
    assert client.locked_period()["EndDate"] == ""
    with pytest.raises(NotFound):
        client.get_account(4999)


def test_reference_search_is_resolved_exactly(world: World) -> None:
    client, _ = world.client()
    with_customer(client)
    ch10 = client.create_invoice(invoice("ch10"))
    ch1 = client.create_invoice(invoice("ch1"))
    # The server's filter is a substring match: both come back for "ch1" ...
    assert len(client.list_invoices(external_ref1="ch1")) == 2
    # ... and the lookup still picks exactly one, or none.
    found = client.find_invoice_by_reference("ch1")
    assert found is not None and found["DocumentNumber"] == ch1["DocumentNumber"]
    found10 = client.find_invoice_by_reference("ch10")
    assert found10 is not None and found10["DocumentNumber"] == ch10["DocumentNumber"]
    assert client.find_invoice_by_reference("ch") is None


def test_cancelled_invoices_do_not_count_and_duplicates_are_reported(world: World) -> None:
    client, _ = world.client()
    with_customer(client)
    first = client.create_invoice(invoice("ch7"))
    client.cancel_invoice(first["DocumentNumber"])
    assert client.find_invoice_by_reference("ch7") is None
    client.create_invoice(invoice("ch7"))
    client.create_invoice(invoice("ch7"))
    with pytest.raises(DuplicateReference, match="2 invoices with reference 'ch7'"):
        client.find_invoice_by_reference("ch7")


def test_lists_follow_every_page(world: World) -> None:
    client, _ = world.client(page_limit=2)
    with_customer(client)
    refs = [f"ch-page-{i}" for i in range(5)]
    for ref in refs:
        client.create_invoice(invoice(ref))
    listed = client.list_invoices(from_date=date(2026, 3, 1), to_date=date(2026, 3, 31))
    assert [i["ExternalInvoiceReference1"] for i in listed] == refs
    assert world.count("GET /3/invoices") == 3


def test_the_booking_sequence_round_trips_with_exact_decimals(world: World) -> None:
    client, _ = world.client()
    with_customer(client)
    created = client.create_invoice(invoice("ch-seq", price="80.10"))
    number = created["DocumentNumber"]
    booked = client.bookkeep_invoice(number)
    assert booked["Booked"] is True
    assert client.get_invoice(number)["Total"] == Decimal("100.13")  # 80.10 + 20.03 VAT
    payment = client.create_invoice_payment(
        {
            "InvoiceNumber": int(number),
            "Amount": Decimal("100.13"),
            "PaymentDate": "2026-03-14",
            "ModeOfPayment": "NETS",
            "ModeOfPaymentAccount": 1516,
        }
    )
    client.bookkeep_invoice_payment(payment["Number"])
    assert [p["Amount"] for p in client.list_invoice_payments(number)] == [Decimal("100.13")]
    assert world.app.trial_balance("demo")[1516] == 10013


def test_voucher_lookup_by_description_is_exact(world: World) -> None:
    client, _ = world.client()
    (year,) = client.financial_years(on=date(2026, 3, 16))

    def voucher(description: str) -> dict[str, Any]:
        return {
            "VoucherSeries": "A",
            "Year": year["Id"],
            "TransactionDate": "2026-03-16",
            "Description": description,
            "VoucherRows": [
                {"Account": 1930, "Debit": Decimal("97.50"), "Credit": Decimal("0")},
                {"Account": 6040, "Debit": Decimal("2.50"), "Credit": Decimal("0")},
                {"Account": 1516, "Debit": Decimal("0"), "Credit": Decimal("100.00")},
            ],
        }

    client.create_voucher(voucher("Nets Easy utbetalning p10"))
    made = client.create_voucher(voucher("Nets Easy utbetalning p1"))
    found = client.find_voucher_by_description(
        "A", date(2026, 3, 1), date(2026, 3, 31), "Nets Easy utbetalning p1"
    )
    assert found is not None and found["VoucherNumber"] == made["VoucherNumber"]
    assert (
        client.find_voucher_by_description(
            "A", date(2026, 3, 1), date(2026, 3, 31), "Nets Easy utbetalning p"
        )
        is None
    )
    years_asked = world.count("GET /3/financialyears")
    again = client.find_voucher_by_description(
        "A",
        date(2026, 3, 16),
        date(2026, 3, 16),
        "Nets Easy utbetalning p1",
        financial_year=year["Id"],
    )
    assert again is not None and again["VoucherNumber"] == made["VoucherNumber"]
    assert world.count("GET /3/financialyears") == years_asked  # the year was given
    full = client.get_voucher("A", made["VoucherNumber"], financial_year=made["Year"])
    assert sum(r["Debit"] for r in full["VoucherRows"]) == Decimal("100.00")


# -- errors ------------------------------------------------------------------------------


def test_unknown_account_is_explained(world: World) -> None:
    client, _ = world.client()
    with_customer(client)
    bad = invoice("ch-bad")
    bad["InvoiceRows"][0]["AccountNumber"] = 4999
    with pytest.raises(BadRequest) as caught:
        client.create_invoice(bad)
    assert caught.value.code == "2001304"
    assert "cannot find the account" in str(caught.value)
    assert "tenant 'acme'" in str(caught.value)


def test_locked_period_is_explained(world: World) -> None:
    world.app.company("demo").locked_until = date(2026, 3, 31)
    client, _ = world.client()
    with_customer(client)
    with pytest.raises(BadRequest) as caught:
        client.create_invoice(invoice("ch-locked"))
    assert caught.value.code == "2000401"
    assert "locked period" in str(caught.value)


# -- retries, write safety and the rate limit -------------------------------------------


def test_injected_429_is_retried_after_the_window(world: World) -> None:
    client, _ = world.client()
    world.app.faults.add(
        FaultRule("rate_limit", method="GET", route="/3/companyinformation", times=2)
    )
    assert client.company_information()["CompanyName"] == "Demo Webbshop AB"
    assert world.count("GET /3/companyinformation") == 3
    assert world.clock.slept.count(5.0) >= 2  # no Retry-After from Fortnox: waits a window


def test_503_on_a_read_is_retried(world: World) -> None:
    client, _ = world.client()
    with_customer(client)
    number = client.create_invoice(invoice("ch-503"))["DocumentNumber"]
    world.app.faults.add(
        FaultRule(
            "error_before", method="GET", route="/3/invoices/{DocumentNumber}", times=1, status=503
        )
    )
    assert client.get_invoice(number)["ExternalInvoiceReference1"] == "ch-503"
    assert world.count("GET /3/invoices/{DocumentNumber}") == 2


def test_429_on_a_write_is_retried_and_lands_once(world: World) -> None:
    client, _ = world.client()
    with_customer(client)
    world.app.faults.add(FaultRule("rate_limit", method="POST", route="/3/invoices", times=1))
    client.create_invoice(invoice("ch-429"))
    assert world.count("POST /3/invoices") == 2
    assert len(client.list_invoices(external_ref1="ch-429")) == 1


def test_lost_response_on_a_write_is_outcome_unknown_while_the_document_exists(
    world: World,
) -> None:
    client, _ = world.client()
    with_customer(client)
    world.app.faults.add(
        FaultRule("lost_response", method="POST", route="/3/invoices", times=1, status=502)
    )
    with pytest.raises(OutcomeUnknown) as caught:
        client.create_invoice(invoice("ch-lost"))
    assert caught.value.operation == "create_invoice"
    assert world.count("POST /3/invoices") == 1  # never sent twice
    found = client.find_invoice_by_reference("ch-lost")
    assert found is not None  # it did land: the lookup is how the pipeline learns that


def test_503_on_bookkeep_is_outcome_unknown(world: World) -> None:
    client, _ = world.client()
    with_customer(client)
    number = client.create_invoice(invoice("ch-bk"))["DocumentNumber"]
    world.app.faults.add(
        FaultRule(
            "lost_response", method="PUT", route="/3/invoices/{DocumentNumber}/bookkeep", times=1
        )
    )
    with pytest.raises(OutcomeUnknown):
        client.bookkeep_invoice(number)
    assert client.get_invoice(number)["Booked"] is True


def test_a_burst_of_60_reads_stays_under_the_limit(world: World) -> None:
    client, _ = world.client()
    for _ in range(60):
        client.get_account(1930)
    assert world.app.status_counts[429] == 0
    assert world.app.limiter.refused == 0
    assert world.clock.now - 10_000.0 >= 2 * 5.0  # the limiter did have to wait (60 = 25 + 25 + 10)


def test_without_the_limiter_the_same_burst_is_refused(world: World) -> None:
    # Control for the test above: the emulator really enforces 25 per 5 s.
    client, _ = world.client(
        limiter=SlidingWindowLimiter(1000, 5.2, clock=world.clock, sleep=world.clock.sleep),
        retry=RetryPolicy.no_wait(1),
    )
    with pytest.raises(RateLimited):
        for _ in range(60):
            client.get_account(1930)
    assert world.app.status_counts[429] == 1
