"""The error tree: what a message says, what it never says, and how error bodies are read."""

from __future__ import annotations

import pickle

import pytest

from dibs_fortnox.errors import (
    ApiError,
    ApiUnavailable,
    AuthFailed,
    BadRequest,
    ConfigError,
    DibsFortnoxError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    Transient,
    redact,
    shorten,
)
from dibs_fortnox.fortnox.errors_map import decode_fortnox_error, decode_token_error
from dibs_fortnox.nets.client import decode_nets_error

KEY = "live-secret-key-00112233445566778899aabbccddeeff"


def test_message_names_service_tenant_operation_status_and_request_id() -> None:
    error = BadRequest(
        "fortnox",
        "create_invoice",
        400,
        '{"ErrorInformation": {"code": 2001304}}',
        "req-42",
        "acme",
        code="2001304",
        detail="Fortnox cannot find the account",
    )
    text = str(error)
    for part in (
        "Fortnox",
        "tenant 'acme'",
        "create_invoice",
        "HTTP 400",
        "code 2001304",
        "request id req-42",
        "cannot find the account",
    ):
        assert part in text


def test_body_is_shortened() -> None:
    error = ServerError("nets", "list_payouts", 500, "x" * 5000)
    assert len(str(error)) < 600
    assert "more characters" in str(error)
    assert shorten("a  b\n c") == "a b c"


@pytest.mark.parametrize(
    "leak",
    [
        KEY,
        "test-secret-key-abcdef0123456789abcdef0123456789",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRJZCI6MX0.c2lnbmF0dXJl",
        "Basic ZGlicy1mb3J0bm94OnMzY3JldA==",
    ],
)
def test_shaped_secrets_are_redacted(leak: str) -> None:
    error = AuthFailed("nets", "get_payment", 401, f"you sent {leak}", tenant="acme")
    assert leak not in str(error)
    assert leak not in repr(error)
    assert "***" in str(error)


def test_named_fields_are_redacted_in_json_and_forms() -> None:
    text = redact('{"access_token": "abc.def", "client_secret": "pw1"} client_secret=pw2&x=1')
    assert "abc.def" not in text and "pw1" not in text and "pw2" not in text
    assert "x=1" in text


def test_explicit_secrets_are_redacted_and_tiny_values_ignored() -> None:
    assert redact("my secret is hunter2!", ["hunter2"]) == "my secret is ***!"
    assert redact("a b c", ["a"]) == "a b c"


def test_errors_survive_pickling() -> None:
    error = OutcomeUnknown("fortnox", "create_voucher", 502, "Bad gateway", "r1", "acme")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is OutcomeUnknown and str(copy) == str(error)


def test_tree_shape() -> None:
    assert issubclass(ConfigError, DibsFortnoxError)
    for cls in (AuthFailed, BadRequest, ServerError, ApiUnavailable, RateLimited, OutcomeUnknown):
        assert issubclass(cls, ApiError)
    assert isinstance(RateLimited("nets", "x", 429), Transient)
    assert not isinstance(OutcomeUnknown("fortnox", "x", 503), Transient)
    assert not isinstance(BadRequest("fortnox", "x", 400), Transient)


def test_rate_limited_tells_how_long_the_api_asked_to_wait() -> None:
    error = RateLimited("nets", "get_payment", 429)
    error.retry_after_s = 1800
    assert "1800 s" in str(error)


def test_fortnox_error_keys_are_read_in_any_case() -> None:
    lower = {"ErrorInformation": {"error": 1, "message": "Kan inte hitta kontot.", "code": 2001304}}
    upper = {
        "errorinformation": {"Error": 1, "Message": "Kan inte hitta kontot.", "Code": "2001304"}
    }
    for body in (lower, upper):
        code, detail = decode_fortnox_error(body)
        assert code == "2001304"
        assert "cannot find the account" in detail and "Kan inte hitta kontot." in detail


def test_unknown_fortnox_code_keeps_fortnox_text() -> None:
    assert decode_fortnox_error(
        {"ErrorInformation": {"code": 2999099, "message": "Något annat gick fel"}}
    ) == ("2999099", "Något annat gick fel")
    assert decode_fortnox_error(None) == (None, "")
    assert decode_fortnox_error({"message": "Too many"}) == (None, "Too many")


def test_token_errors_are_oauth_shaped() -> None:
    assert decode_token_error({"error": "invalid_client", "error_description": "wrong secret"}) == (
        "invalid_client",
        "wrong secret",
    )


def test_nets_validation_and_internal_errors() -> None:
    assert decode_nets_error({"errors": {"amount": ["Amount must be higher than 0"]}}) == (
        None,
        "amount: Amount must be higher than 0",
    )
    assert decode_nets_error(
        {"message": "Payment not found", "code": "404", "source": "Payment"}
    ) == (
        "404",
        "Payment not found (source: Payment)",
    )
    assert decode_nets_error(None) == (None, "")
