"""Airflow connections (as AIRFLOW_CONN_* variables) become correctly built clients."""

from __future__ import annotations

import json

import pytest

from dibs_fortnox.errors import ConfigError
from dibs_fortnox.hooks import FortnoxHook, NetsEasyHook, base_url


def test_base_url_accepts_a_full_url_or_parts() -> None:
    assert base_url("http://127.0.0.1:8061/", None, None, "x") == "http://127.0.0.1:8061"
    assert base_url("api.example", "https", 8443, "x") == "https://api.example:8443"
    assert base_url(None, None, None, "https://default") == "https://default"


def test_nets_hook_reads_the_secret_from_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_NETS_T",
        json.dumps(
            {
                "conn_type": "http",
                "host": "http://127.0.0.1:9",
                "password": "live-secret-key-" + "0" * 32,
            }
        ),
    )
    client = NetsEasyHook("nets_t").client("t")
    assert repr(client) == "NetsClient('http://127.0.0.1:9', tenant='t')"


def test_nets_hook_without_password_names_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_NETS_T", json.dumps({"conn_type": "http", "host": "h"}))
    with pytest.raises(ConfigError, match="'nets_t' has no password"):
        NetsEasyHook("nets_t").client("t")


def test_nets_hook_refuses_a_test_key_naming_the_connection_and_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "test-secret-key-" + "ab" * 16
    monkeypatch.setenv(
        "AIRFLOW_CONN_NETS_T",
        json.dumps({"conn_type": "http", "host": "http://127.0.0.1:9", "password": key}),
    )
    with pytest.raises(ConfigError) as refused:
        NetsEasyHook("nets_t").client("t")
    message = str(refused.value)
    assert "tenant t" in message and "'nets_t'" in message and "*test* key" in message
    assert "live-secret-key-" in message and key not in message


def test_fortnox_hook_needs_tenant_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_FORTNOX_T",
        json.dumps({"conn_type": "http", "login": "id", "password": "secret"}),
    )
    with pytest.raises(ConfigError, match="extra.tenant_id"):
        FortnoxHook("fortnox_t").client("t")


def test_fortnox_hook_builds_a_client_for_the_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_FORTNOX_T",
        json.dumps(
            {
                "conn_type": "http",
                "host": "http://127.0.0.1:9",
                "login": "id",
                "password": "secret",
                "extra": {"tenant_id": "42", "auth_url": "http://127.0.0.1:9"},
            }
        ),
    )
    client = FortnoxHook("fortnox_t").client("t")
    assert repr(client) == "FortnoxClient('http://127.0.0.1:9', tenant='t')"


@pytest.mark.parametrize("hook", [NetsEasyHook, FortnoxHook])
def test_missing_connection_is_a_config_error_with_the_fix(hook: type) -> None:
    with pytest.raises(ConfigError, match="'conn_nobody_made' does not exist: create it"):
        hook("conn_nobody_made").client("t")
