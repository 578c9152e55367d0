"""NetsClient against the real Nets emulator over HTTP, and its paginator on its own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from dibs_fortnox.errors import (
    AuthFailed,
    BadRequest,
    ConfigError,
    NotFound,
    RateLimited,
    UnexpectedResponse,
)
from dibs_fortnox.nets.client import NetsClient
from dibs_fortnox.nets.paging import PageNumberPaginator
from dibs_fortnox.retry import RetryPolicy
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.server import SandboxServer

KEY = "live-secret-key-" + "ab" * 16


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept.append(seconds)


class DictCache:
    """A payment cache as the state database would be, minus the database."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}

    def get(self, payment_id: str) -> dict[str, Any] | None:
        return self.stored.get(payment_id)

    def put(self, payment_id: str, payment: dict[str, Any]) -> None:
        self.stored[payment_id] = payment


def payment(n: int) -> dict[str, Any]:
    return {
        "paymentId": f"{n:032x}",
        "summary": {"reservedAmount": 12500, "chargedAmount": 12500, "refundedAmount": 0},
        "orderDetails": {"amount": 12500, "currency": "SEK", "reference": f"order-{n}"},
        "charges": [
            {
                "chargeId": f"c{n:031x}",
                "amount": 12500,
                "created": "2026-03-02T10:00:00+01:00",
                "orderItems": [],
            }
        ],
    }


def action(n: int) -> dict[str, Any]:
    return {
        "id": f"a{n:031x}",
        "paymentId": f"{n:032x}",
        "paymentAction": "Charge",
        "amount": 12500,
        "fee": 250,
        "vatAmount": 2500,
        "currency": "SEK",
        "timestamp": "2026-03-02T09:00:00+00:00",
    }


def payout(pid: str, day: str, actions: int) -> dict[str, Any]:
    acts = [action(i) for i in range(actions)]
    charged = sum(a["amount"] for a in acts)
    fees = sum(a["fee"] for a in acts)
    return {
        "id": pid,
        "reference": pid,
        "date": day,
        "currency": "SEK",
        "amount": charged - fees,
        "chargedAmount": charged,
        "refundedAmount": 0,
        "depositedAmount": 0,
        "fees": fees,
        "paymentActions": acts,
    }


@dataclass
class Nets:
    app: NetsApp
    server: SandboxServer
    clock: FakeClock

    def client(
        self,
        *,
        key: str = KEY,
        page_size: int = 2,
        attempts: int = 3,
        cache: DictCache | None = None,
        max_pages: int = 1000,
    ) -> NetsClient:
        retry = RetryPolicy(
            max_attempts=attempts, base_s=0.0, max_wait_s=0.0, sleep=self.clock.sleep
        )
        return NetsClient(
            self.server.url,
            key,
            retry=retry,
            payment_cache=cache,
            tenant="acme",
            page_size=page_size,
            max_pages=max_pages,
        )

    def count(self, route: str) -> int:
        return self.app.requests_by_route[route]


@pytest.fixture
def nets() -> Iterator[Nets]:
    clock = FakeClock()
    app = NetsApp(mode="live", seed=0, clock=clock, payment_get_limit=2, window_s=3.0)
    app.add_merchant(
        KEY,
        payments=[payment(i) for i in range(3)],
        payouts=[
            payout("p1", "2026-03-02", 1),
            payout("p2", "2026-03-02", 5),
            payout("p3", "2026-03-03", 1),
            payout("p4", "2026-03-03", 2),
            payout("p5", "2026-03-04", 1),
            payout("p6", "2026-03-09", 1),
        ],
    )
    with SandboxServer(app) as server:
        yield Nets(app, server, clock)


# -- paging ------------------------------------------------------------------------------


def test_list_payouts_reads_every_page(nets: Nets) -> None:
    payouts = nets.client(page_size=2).list_payouts(date(2026, 3, 2), date(2026, 3, 4))
    assert [p["id"] for p in payouts] == ["p1", "p2", "p3", "p4", "p5"]
    assert nets.count("GET /report/v1/payouts") == 3  # 2 + 2 + 1


def test_list_payouts_of_an_empty_window_is_one_call(nets: Nets) -> None:
    assert nets.client().list_payouts(date(2026, 4, 1), date(2026, 4, 30)) == []
    assert nets.count("GET /report/v1/payouts") == 1


def test_get_payout_merges_every_page_of_actions(nets: Nets) -> None:
    details = nets.client(page_size=2).get_payout("p2")
    assert details["id"] == "p2" and details["numberOfPaymentActions"] == 5
    assert [a["id"] for a in details["paymentActions"]] == [action(i)["id"] for i in range(5)]
    assert nets.count("GET /report/v1/payouts/{payoutId}") == 3


def test_page_cap_raises_instead_of_truncating(nets: Nets) -> None:
    with pytest.raises(UnexpectedResponse, match="stopped after 2 pages"):
        nets.client(page_size=1, max_pages=2).get_payout("p2")


def test_window_must_not_run_backwards(nets: Nets) -> None:
    with pytest.raises(ConfigError):
        nets.client().list_payouts(date(2026, 3, 4), date(2026, 3, 2))


def test_a_503_on_a_page_is_retried(nets: Nets) -> None:
    nets.app.faults.add(
        FaultRule("error_before", method="GET", route="/report/v1/payouts", times=1)
    )
    assert len(nets.client().list_payouts(date(2026, 3, 2), date(2026, 3, 9))) == 6


def test_validation_errors_are_shown_per_field(nets: Nets) -> None:
    with pytest.raises(BadRequest, match="currency: currency must be an ISO 4217 code"):
        nets.client().list_payouts(date(2026, 3, 2), date(2026, 3, 4), currency="KRONOR")


def test_paginator_refuses_a_missing_stop_condition() -> None:
    with pytest.raises(ValueError):
        PageNumberPaginator("payouts", "")


def test_paginator_stops_on_a_short_listing() -> None:
    pages = {
        0: {"numberOfPayouts": 3, "payouts": [{"id": "a"}]},
        1: {"numberOfPayouts": 3, "payouts": []},
    }
    with pytest.raises(UnexpectedResponse, match="1 of 3"):
        PageNumberPaginator("payouts", "numberOfPayouts", page_size=1).collect(
            lambda p: pages[p["pageNumber"]]
        )


def test_paginator_refuses_an_item_seen_twice() -> None:
    page = {"numberOfPayouts": 2, "payouts": [{"id": "a"}]}
    with pytest.raises(UnexpectedResponse, match="appeared twice"):
        PageNumberPaginator("payouts", "numberOfPayouts", page_size=1).collect(lambda p: page)


def test_paginator_refuses_a_total_that_moves() -> None:
    pages = {
        0: {"numberOfPayouts": 2, "payouts": [{"id": "a"}]},
        1: {"numberOfPayouts": 3, "payouts": [{"id": "b"}]},
    }
    with pytest.raises(UnexpectedResponse, match="changed from 2 to 3"):
        PageNumberPaginator("payouts", "numberOfPayouts", page_size=1).collect(
            lambda p: pages[p["pageNumber"]]
        )


# -- payments ----------------------------------------------------------------------------


def test_get_payment_unwraps_and_keeps_minor_units(nets: Nets) -> None:
    got = nets.client().get_payment(payment(1)["paymentId"])
    assert got["paymentId"] == payment(1)["paymentId"]
    assert got["orderDetails"]["amount"] == 12500


def test_payment_cache_prevents_a_second_get(nets: Nets) -> None:
    cache = DictCache()
    pid = payment(0)["paymentId"]
    first = nets.client(cache=cache).get_payment(pid)
    again = nets.client(cache=cache).get_payment(pid)  # a later task, same database
    assert first == again
    assert nets.app.payment_gets[pid] == 1
    assert cache.stored[pid]["paymentId"] == pid


def test_payment_limit_with_a_long_wait_is_raised_not_slept(nets: Nets) -> None:
    app = NetsApp(mode="live", clock=nets.clock)  # the documented 30 per hour
    app.add_merchant(KEY, payments=[payment(0)])
    with SandboxServer(app) as server:
        client = NetsClient(server.url, KEY, retry=RetryPolicy(sleep=nets.clock.sleep))
        for _ in range(30):
            client.get_payment(payment(0)["paymentId"])
        with pytest.raises(RateLimited) as caught:
            client.get_payment(payment(0)["paymentId"])
    assert caught.value.retry_after_s is not None and caught.value.retry_after_s > 60
    assert nets.clock.slept == []  # an hour is Airflow's to wait, not the task's


def test_payment_limit_with_a_short_wait_is_retried(nets: Nets) -> None:
    client = nets.client()
    pid = payment(2)["paymentId"]
    client.get_payment(pid)
    client.get_payment(pid)
    assert client.get_payment(pid)["paymentId"] == pid  # the 3rd waits out the 3 s window
    assert nets.app.payment_gets_throttled == 1
    assert nets.clock.slept == [3.0]


def test_unknown_payment_is_not_found_with_the_nets_text(nets: Nets) -> None:
    with pytest.raises(NotFound, match="was not found"):
        nets.client().get_payment("f" * 32)


# -- auth --------------------------------------------------------------------------------


def test_wrong_key_is_auth_failed_without_the_key(nets: Nets) -> None:
    wrong = "live-secret-key-" + "cd" * 16
    with pytest.raises(AuthFailed) as caught:
        nets.client(key=wrong).list_payouts(date(2026, 3, 2), date(2026, 3, 2))
    assert caught.value.status == 401
    assert wrong not in str(caught.value)
    assert "Check the credentials" in str(caught.value)
    assert nets.count("GET /report/v1/payouts") == 1  # a 401 is not retried


def test_test_key_on_the_live_host_is_refused(nets: Nets) -> None:
    with pytest.raises(AuthFailed):
        nets.client(key="test-secret-key-" + "ab" * 16).get_payment(payment(0)["paymentId"])


def test_empty_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="secret key is empty"):
        NetsClient("https://api.dibspayment.eu", "")
