"""The Nets part of the bad-input catalogue at the client: answers that are not the API's
JSON say what they are, and a 5xx or 429 is retried before anything fails."""

from __future__ import annotations

from datetime import date

import pytest

from dibs_fortnox.errors import RateLimited, ServerError, Transient, UnexpectedResponse
from dibs_fortnox.sandbox.faults import FaultRule
from tests.clients.test_nets_client import Nets, nets
from tests.troubleshooting import assert_documented

__all__ = ["nets"]  # the fixture, shared with the client tests
DAY = date(2026, 3, 2)
ROUTE = "/report/v1/payouts"


def test_html_error_page_is_named_as_such_and_retried(nets: Nets) -> None:
    nets.app.faults.add(FaultRule("html_page", route=ROUTE, status=502))
    with pytest.raises(ServerError) as caught:
        nets.client(attempts=3).list_payouts(DAY, DAY)
    assert isinstance(caught.value, Transient)  # Airflow retries the task later
    assert nets.count(f"GET {ROUTE}") == 3
    text = str(caught.value)
    assert "HTTP 502" in text and "an HTML page ('502 Service Unavailable')" in text
    assert "check the connection's host" in text and "<html" not in text
    assert_documented("instead of the API's JSON")


def test_html_page_once_then_the_listing_arrives(nets: Nets) -> None:
    nets.app.faults.add(FaultRule("html_page", route=ROUTE, status=503, times=1))
    assert len(nets.client().list_payouts(DAY, DAY)) == 2


def test_malformed_json_is_unexpected_and_says_nothing_was_booked(nets: Nets) -> None:
    nets.app.faults.add(FaultRule("garbled", route=ROUTE, times=1))
    with pytest.raises(UnexpectedResponse) as caught:
        nets.client().list_payouts(DAY, DAY)
    text = str(caught.value)
    assert "HTTP 200" in text and "the answer was not JSON" in text
    assert "Nothing was booked from this answer; clear the day" in text
    assert_documented("Nothing was booked from this answer; clear the day")


def test_429_and_5xx_are_retried_then_raised_as_transient(nets: Nets) -> None:
    nets.app.faults.add(FaultRule("rate_limit", route=ROUTE))
    with pytest.raises(RateLimited, match=r"was rate limited \(HTTP 429"):
        nets.client(attempts=2).list_payouts(DAY, DAY)
    assert_documented("was rate limited (HTTP 429")
    nets.app.faults.clear()
    nets.app.faults.add(FaultRule("error_before", route=ROUTE, status=500, times=2))
    assert len(nets.client(attempts=3).list_payouts(DAY, DAY)) == 2
