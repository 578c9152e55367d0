"""25 requests per 5-second sliding window per (client, tenant), on an injected clock."""

from __future__ import annotations

from tests.sandbox.fortnox_harness import running

from dibs_fortnox.sandbox.fortnox import demo_company


def test_26th_request_in_window_is_429_and_counted() -> None:
    now = [0.0]
    with running(clock=lambda: now[0]) as f:
        statuses = [f.call("GET", "/3/companyinformation").status_code for _ in range(26)]
        assert statuses[:25] == [200] * 25
        assert statuses[25] == 429
        body = f.call("GET", "/3/companyinformation").json()
        assert "25 per 5 seconds" in body["ErrorInformation"]["message"]
        assert f.ok("GET", "/_sandbox/stats")["rate_limited"] == 2


def test_window_slides_so_requests_pass_again() -> None:
    now = [0.0]
    with running(clock=lambda: now[0]) as f:
        for i in range(25):
            now[0] = i * 0.1
            assert f.call("GET", "/3/accounts").status_code == 200
        now[0] = 4.9
        assert f.call("GET", "/3/accounts").status_code == 429
        now[0] = 5.05  # the first request (t=0) has left the window, the second not yet
        assert f.call("GET", "/3/accounts").status_code == 200
        assert f.call("GET", "/3/accounts").status_code == 429


def test_each_tenant_has_its_own_budget() -> None:
    now = [0.0]
    with running(clock=lambda: now[0]) as f:
        f.app.add_company(demo_company(tenant_id="shop2"))
        f.app.add_client("client-id", "client-secret", tenant_ids=["demo", "shop2"])
        second = f.client_credentials(tenant="shop2")["access_token"]
        for _ in range(25):
            assert f.call("GET", "/3/accounts").status_code == 200
        assert f.call("GET", "/3/accounts").status_code == 429
        assert f.call("GET", "/3/accounts", token=second).status_code == 200


def test_rate_limit_can_be_switched_off() -> None:
    now = [0.0]
    with running(rate_limit=False, clock=lambda: now[0]) as f:
        statuses = {f.call("GET", "/3/accounts").status_code for _ in range(40)}
        assert statuses == {200}
