"""The Nets Easy emulator over real HTTP on 127.0.0.1: one short test per rule it enforces."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
import requests

from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.nets import NetsApp
from dibs_fortnox.sandbox.scenario import Scenario, ScenarioConfig, generate
from dibs_fortnox.sandbox.server import SandboxServer

TEST_KEY = "test-secret-key-" + "ab" * 16


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Nets:
    url: str
    app: NetsApp
    scenario: Scenario
    clock: FakeClock

    def get(self, path: str, key: str | None = None, **params: object) -> requests.Response:
        headers = {} if key == "" else {"Authorization": key or self.scenario.secret_key}
        return requests.get(self.url + path, headers=headers, params=params, timeout=10)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate(ScenarioConfig(seed=3, days=5, payments_per_day=30, payout_delay_days=1))


@pytest.fixture
def nets(scenario: Scenario) -> Iterator[Nets]:
    clock = FakeClock()
    app = NetsApp(mode="live", seed=0, clock=clock)
    app.add_merchant(scenario.secret_key, scenario.payments, scenario.payouts)
    app.add_merchant(TEST_KEY, scenario.payments, scenario.payouts)
    with SandboxServer(app) as server:
        yield Nets(server.url, app, scenario, clock)


WEEK = {"fromDate": "2026-11-01", "toDate": "2026-11-30"}


def _charged_payment_id(scenario: Scenario) -> str:
    return next(p["paymentId"] for p in scenario.payments if p.get("charges"))


# -- auth --------------------------------------------------------------------------------
def test_raw_secret_key_is_accepted(nets: Nets) -> None:
    assert nets.get("/report/v1/payouts", **WEEK).status_code == 200


def test_bearer_prefix_is_refused(nets: Nets) -> None:
    response = nets.get("/report/v1/payouts", key="Bearer " + nets.scenario.secret_key, **WEEK)
    assert response.status_code == 401


def test_missing_key_gets_401_without_body(nets: Nets) -> None:
    response = nets.get("/report/v1/payouts", key="", **WEEK)
    assert (response.status_code, response.content) == (401, b"")


def test_unknown_key_gets_401_without_body(nets: Nets) -> None:
    response = nets.get("/report/v1/payouts", key="live-secret-key-" + "0" * 32, **WEEK)
    assert (response.status_code, response.content) == (401, b"")


def test_test_key_is_refused_by_live_server(nets: Nets) -> None:
    assert nets.get("/report/v1/payouts", key=TEST_KEY, **WEEK).status_code == 401


def test_live_key_is_refused_by_test_server(scenario: Scenario) -> None:
    app = NetsApp(mode="test")
    app.add_merchant(scenario.secret_key, scenario.payments, scenario.payouts)
    app.add_merchant(TEST_KEY, scenario.payments, scenario.payouts)
    with SandboxServer(app) as server:
        live = requests.get(
            server.url + "/report/v1/payouts",
            params=WEEK,
            headers={"Authorization": scenario.secret_key},
            timeout=10,
        )
        test = requests.get(
            server.url + "/report/v1/payouts",
            params=WEEK,
            headers={"Authorization": TEST_KEY},
            timeout=10,
        )
    assert (live.status_code, test.status_code) == (401, 200)


# -- payouts list ------------------------------------------------------------------------
def test_payouts_list_pages_are_zero_based(nets: Nets) -> None:
    pages = [
        nets.get("/report/v1/payouts", pageNumber=n, pageSize=2, **WEEK).json() for n in range(3)
    ]
    ids = [p["id"] for page in pages for p in page["payouts"]]
    assert [len(page["payouts"]) for page in pages] == [2, 2, 1]
    assert pages[0]["numberOfPayouts"] == 5
    assert ids == [p["id"] for p in nets.scenario.payouts]


def test_payouts_list_items_have_no_actions(nets: Nets) -> None:
    item = nets.get("/report/v1/payouts", **WEEK).json()["payouts"][0]
    assert "paymentActions" not in item and item["chargedAmount"] > 0


def test_payouts_date_filter_is_inclusive(nets: Nets) -> None:
    body = nets.get("/report/v1/payouts", fromDate="2026-11-03", toDate="2026-11-04").json()
    assert [p["date"] for p in body["payouts"]] == ["2026-11-03", "2026-11-04"]
    assert body["numberOfPayouts"] == 2


def test_payouts_currency_filter(nets: Nets) -> None:
    body = nets.get("/report/v1/payouts", currency="EUR", **WEEK).json()
    assert body == {"numberOfPayouts": 0, "payouts": []}


def test_payouts_without_from_date_is_400_with_field_errors(nets: Nets) -> None:
    response = nets.get("/report/v1/payouts", toDate="2026-11-30")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["fromDate"]


def test_payouts_with_bad_date_is_400(nets: Nets) -> None:
    response = nets.get("/report/v1/payouts", fromDate="2026-11-01", toDate="30/11/2026")
    assert response.status_code == 400
    assert "toDate" in response.json()["errors"]


def test_negative_page_number_is_400(nets: Nets) -> None:
    response = nets.get("/report/v1/payouts", pageNumber=-1, **WEEK)
    assert response.json() == {
        "errors": {"pageNumber": ["pageNumber must be a whole number of at least 0."]}
    }


# -- payout details ----------------------------------------------------------------------
def test_payout_details_page_actions(nets: Nets) -> None:
    payout = max(nets.scenario.payouts, key=lambda p: len(p["paymentActions"]))
    total = len(payout["paymentActions"])
    path = f"/report/v1/payouts/{payout['id']}"
    pages = [nets.get(path, pageNumber=n, pageSize=10).json() for n in range(total // 10 + 2)]
    assert {page["numberOfPaymentActions"] for page in pages} == {total}
    assert [len(page["paymentActions"]) for page in pages[-3:]] == [10, total % 10, 0]
    seen = [a["id"] for page in pages for a in page["paymentActions"]]
    assert seen == [a["id"] for a in payout["paymentActions"]]


def test_payout_details_default_page_size_is_100(scenario: Scenario) -> None:
    big = generate(ScenarioConfig(seed=4, days=1, payments_per_day=150))
    app = NetsApp()
    app.add_merchant(big.secret_key, big.payments, big.payouts)
    with SandboxServer(app) as server:
        body = requests.get(
            f"{server.url}/report/v1/payouts/{big.payouts[0]['id']}",
            headers={"Authorization": big.secret_key},
            timeout=10,
        ).json()
    assert body["numberOfPaymentActions"] > 100
    assert len(body["paymentActions"]) == 100


def test_unknown_payout_is_404(nets: Nets) -> None:
    response = nets.get("/report/v1/payouts/" + "f" * 32)
    assert response.status_code == 404
    assert set(response.json()) == {"message", "code", "source"}


# -- payments ----------------------------------------------------------------------------
def test_payment_is_wrapped_and_omits_zero_summary_keys(nets: Nets) -> None:
    payment_id = _charged_payment_id(nets.scenario)
    original = nets.scenario.payment(payment_id)
    nets.app.add_merchant(
        "live-secret-key-" + "cd" * 16,
        [{**original, "summary": {**original["summary"], "refundedAmount": 0}}],
    )
    body = nets.get(f"/v1/payments/{payment_id}", key="live-secret-key-" + "cd" * 16).json()
    assert body["payment"]["paymentId"] == payment_id
    assert "refundedAmount" not in body["payment"]["summary"]
    assert body["payment"]["summary"]["chargedAmount"] == original["summary"]["chargedAmount"]
    assert body["payment"]["charges"][0]["orderItems"]
    assert len(body["payment"]["consumer"]["shippingAddress"]["country"]) == 3


def test_unknown_payment_is_404(nets: Nets) -> None:
    response = nets.get("/v1/payments/" + "e" * 32)
    assert response.status_code == 404
    assert set(response.json()) == {"message", "code", "source"}


def test_31st_payment_get_in_an_hour_is_429(nets: Nets) -> None:
    payment_id = _charged_payment_id(nets.scenario)
    statuses = [nets.get(f"/v1/payments/{payment_id}").status_code for _ in range(31)]
    assert statuses == [200] * 30 + [429]
    other = nets.scenario.payments[-1]["paymentId"]
    assert nets.get(f"/v1/payments/{other}").status_code == 200


def test_payment_limit_resets_after_an_hour(nets: Nets) -> None:
    payment_id = _charged_payment_id(nets.scenario)
    for _ in range(30):
        nets.get(f"/v1/payments/{payment_id}")
    nets.clock.now += 1800
    throttled = nets.get(f"/v1/payments/{payment_id}")
    nets.clock.now += 1800
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "1800"
    assert nets.get(f"/v1/payments/{payment_id}").status_code == 200


def test_payment_gets_are_counted_per_payment(nets: Nets) -> None:
    payment_id = _charged_payment_id(nets.scenario)
    for _ in range(3):
        nets.get(f"/v1/payments/{payment_id}")
    stats = requests.get(nets.url + "/_sandbox/stats", timeout=10).json()
    assert stats["payment_gets"] == {payment_id: 3}
    assert stats["payment_gets_max"] == 3


# -- faults ------------------------------------------------------------------------------
def test_injected_500_has_the_documented_error_body(nets: Nets) -> None:
    nets.app.faults.add(
        FaultRule("error_before", method="GET", route="/report/v1/payouts", times=1, status=500)
    )
    failed = nets.get("/report/v1/payouts", **WEEK)
    again = nets.get("/report/v1/payouts", **WEEK)
    assert failed.status_code == 500
    assert set(failed.json()) == {"message", "code", "source"}
    assert again.status_code == 200


def test_payout_dates_come_from_the_scenario(nets: Nets) -> None:
    days = nets.scenario.payout_days()
    assert days == [date(2026, 11, d) for d in range(2, 7)]
