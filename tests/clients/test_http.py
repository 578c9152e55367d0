"""JsonHttp over a real loopback server: retries, write safety, error mapping, redaction."""

from __future__ import annotations

import logging
import re
import socket
from decimal import Decimal
from pathlib import Path

import pytest

from dibs_fortnox import errors
from dibs_fortnox.errors import (
    ApiError,
    ApiUnavailable,
    AuthFailed,
    BadRequest,
    Conflict,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    UnexpectedResponse,
)
from dibs_fortnox.http import JsonHttp, RawKeyAuth, error_class
from dibs_fortnox.retry import RetryPolicy
from dibs_fortnox.sandbox.faults import FaultRule
from dibs_fortnox.sandbox.server import SandboxServer
from tests.clients.scripted import NETS_KEY, ScriptedApp

SANDBOX = Path(__file__).resolve().parents[2] / "plugins" / "dibs_fortnox" / "sandbox"

# What each status the emulators can answer must become (the meta-test below checks that
# the emulators answer nothing outside this table).
EXPECTED: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AuthFailed,
    402: BadRequest,
    403: AuthFailed,
    404: NotFound,
    405: BadRequest,
    409: Conflict,
    429: RateLimited,
    500: ServerError,
    502: ServerError,
    503: ServerError,
    504: ServerError,
}


def _http(
    server: SandboxServer, *, attempts: int = 1, sleeps: list[float] | None = None, **kwargs: object
) -> JsonHttp:
    policy = RetryPolicy.no_wait(attempts, sleep=(sleeps.append if sleeps is not None else None))
    return JsonHttp(server.url, service="nets", tenant="acme", retry=policy, **kwargs)  # type: ignore[arg-type]


def _calls(server: SandboxServer, key: str) -> int:
    return server.app.requests_by_route[key]


def emulator_statuses() -> set[int]:
    """Every literal HTTP status the sandbox sources can answer with."""
    pattern = re.compile(
        r"(?:Response\.json|Response\.empty|Response|FortnoxError|OAuthError|_refuse|status\s*[:=]"
        r"\s*int\s*=|status=)\(?\s*(\d{3})\b"
    )
    found: set[int] = set()
    for source in SANDBOX.rglob("*.py"):
        found.update(int(m) for m in pattern.findall(source.read_text(encoding="utf-8")))
    return {s for s in found if s >= 400}


def test_every_status_the_emulators_answer_maps_to_a_specific_class() -> None:
    statuses = emulator_statuses()
    assert {401, 404, 405, 429, 500, 503} <= statuses  # the scan does find them
    unknown = statuses - set(EXPECTED)
    assert not unknown, f"decide which error class these statuses become: {sorted(unknown)}"
    for status in statuses:
        assert error_class(status) is EXPECTED[status], status


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_each_status_raises_its_class_over_http(scripted: SandboxServer, status: int) -> None:
    with pytest.raises(ApiError) as caught:
        _http(scripted).request("GET", f"/status/{status}", operation="probe")
    assert type(caught.value) is EXPECTED[status]
    assert caught.value.status == status


def test_transient_marker_is_on_exactly_the_retryable_kinds() -> None:
    transient = {
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.Transient) and c is not errors.Transient
    }
    # Waiting for an earlier day is not an API error, but waiting is what cures it too.
    assert transient == {RateLimited, ServerError, ApiUnavailable, errors.WaitingForEarlierDay}
    assert not issubclass(OutcomeUnknown, errors.Transient)


def test_read_503_is_retried_until_it_succeeds(scripted: SandboxServer) -> None:
    scripted.app.faults.add(FaultRule("error_before", method="GET", route="/ok", times=2))
    sleeps: list[float] = []
    assert _http(scripted, attempts=5, sleeps=sleeps).request("GET", "/ok", operation="ok") == {
        "ok": True
    }
    assert _calls(scripted, "GET /ok") == 3
    assert len(sleeps) == 2


def test_read_gives_up_after_max_attempts(scripted: SandboxServer) -> None:
    with pytest.raises(ServerError):
        _http(scripted, attempts=4).request("GET", "/status/502", operation="probe")
    assert _calls(scripted, "GET /status/{code}") == 4


def test_write_5xx_is_outcome_unknown_and_sent_once(scripted: SandboxServer) -> None:
    with pytest.raises(OutcomeUnknown) as caught:
        _http(scripted, attempts=5).request("POST", "/status/503", operation="create", json_body={})
    assert _calls(scripted, "POST /status/{code}") == 1
    assert "Look the document up" in str(caught.value)


def test_write_429_is_retried_because_it_was_not_processed(scripted: SandboxServer) -> None:
    scripted.app.faults.add(FaultRule("rate_limit", method="POST", route="/echo", times=2))
    body = _http(scripted, attempts=5).request(
        "POST", "/echo", operation="create", json_body={"a": 1}
    )
    assert body == {"a": 1}
    assert _calls(scripted, "POST /echo") == 3


def test_write_429_that_persists_is_rate_limited_not_unknown(scripted: SandboxServer) -> None:
    with pytest.raises(RateLimited):
        _http(scripted, attempts=3).request("PUT", "/status/429", operation="bookkeep")
    assert _calls(scripted, "PUT /status/{code}") == 3


def test_lost_response_after_a_write_is_outcome_unknown(scripted: SandboxServer) -> None:
    scripted.app.faults.add(
        FaultRule("lost_response", method="POST", route="/echo", times=1, status=502)
    )
    with pytest.raises(OutcomeUnknown):
        _http(scripted, attempts=5).request("POST", "/echo", operation="create", json_body={"a": 1})
    assert _calls(scripted, "POST /echo") == 1


def test_dropped_connection_after_a_write_is_outcome_unknown(scripted: SandboxServer) -> None:
    scripted.app.faults.add(FaultRule("drop_after", method="POST", route="/echo", times=1))
    with pytest.raises(OutcomeUnknown) as caught:
        _http(scripted, attempts=5).request("POST", "/echo", operation="create", json_body={"a": 1})
    assert caught.value.status is None
    assert _calls(scripted, "POST /echo") == 1


def test_dropped_connection_on_a_read_is_retried(scripted: SandboxServer) -> None:
    scripted.app.faults.add(FaultRule("drop_after", method="GET", route="/ok", times=1))
    assert _http(scripted, attempts=3).request("GET", "/ok", operation="ok") == {"ok": True}
    assert _calls(scripted, "GET /ok") == 2


def test_read_timeout_on_a_write_is_outcome_unknown(scripted: SandboxServer) -> None:
    scripted.app.faults.add(FaultRule("latency", method="POST", route="/echo", delay_s=0.5))
    http = _http(scripted, attempts=3, timeout=(5.0, 0.1))
    with pytest.raises(OutcomeUnknown):
        http.request("POST", "/echo", operation="create", json_body={"a": 1})
    assert _calls(scripted, "POST /echo") == 1


def test_refused_connection_is_unavailable_and_even_a_write_may_retry() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    http = JsonHttp(
        f"http://127.0.0.1:{port}",
        service="fortnox",
        retry=RetryPolicy.no_wait(3, sleep=sleeps.append),
    )
    with pytest.raises(ApiUnavailable):
        http.request("POST", "/3/invoices", operation="create_invoice", json_body={})
    assert len(sleeps) == 2  # nothing reached a server, so repeating was safe


def test_retry_after_is_waited_for(scripted: SandboxServer) -> None:
    app = scripted.app
    assert isinstance(app, ScriptedApp)
    app.retry_after_once = "2"
    sleeps: list[float] = []
    http = JsonHttp(
        scripted.url,
        service="nets",
        retry=RetryPolicy(sleep=sleeps.append, base_s=0.0, max_wait_s=0.0),
    )
    assert http.request("GET", "/throttled", operation="t") == {"ok": True}
    assert sleeps == [2.0]


def test_decimals_travel_exactly_both_ways(scripted: SandboxServer) -> None:
    payload = {"Price": Decimal("0.10"), "Total": Decimal("1234567.89"), "Qty": "1"}
    echoed = _http(scripted).request("POST", "/echo", operation="create", json_body=payload)
    assert echoed == payload
    assert isinstance(echoed["Price"], Decimal) and str(echoed["Price"]) == "0.10"


def test_floats_are_refused_before_sending(scripted: SandboxServer) -> None:
    with pytest.raises(TypeError):
        _http(scripted).request("POST", "/echo", operation="create", json_body={"Price": 0.1})
    assert _calls(scripted, "POST /echo") == 0


def test_non_json_success_is_unexpected(scripted: SandboxServer) -> None:
    with pytest.raises(UnexpectedResponse, match="not JSON"):
        _http(scripted).request("GET", "/text", operation="t")
    assert _http(scripted).request("GET", "/empty", operation="t") is None


def test_secret_key_never_reaches_errors_or_logs(
    scripted: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    http = _http(scripted, auth=RawKeyAuth(NETS_KEY))
    with pytest.raises(BadRequest) as caught:
        http.request("GET", "/leaky", operation="get_payment")
    assert "rejected Authorization" in str(caught.value)  # the body is shown ...
    for text in (str(caught.value), repr(caught.value), caught.value.body, caplog.text):
        assert NETS_KEY not in text  # ... but never the key
        assert NETS_KEY[16:] not in text


def test_an_unshaped_secret_is_redacted_when_the_client_names_it(scripted: SandboxServer) -> None:
    secret = "correct horse battery"
    http = _http(scripted, auth=RawKeyAuth(secret))
    with pytest.raises(BadRequest) as caught:
        http.request("GET", "/leaky", operation="probe")
    assert secret not in str(caught.value)
    assert "***" in str(caught.value)


def test_log_line_names_method_path_and_status(
    scripted: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dibs_fortnox.http")
    _http(scripted, auth=RawKeyAuth(NETS_KEY)).request("GET", "/ok", operation="ok")
    assert re.search(r"nets GET /ok -> 200 in \d+ ms \(try 1\)", caplog.text)
