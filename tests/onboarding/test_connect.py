"""The connect command against the Fortnox emulator: consent URL, code, TenantId, no secret."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.onboarding import connect
from tests.onboarding.world import SECRET, TENANT, OnboardingWorld

TENANTS = f"""\
tenants:
  - id: acme
    name: Acme AB
    start_date: 2026-11-03
    email: ekonomi@acme.example
    nets_conn_id: nets_acme
    fortnox_conn_id: fortnox_acme
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: {TENANT.accounts.receivable}, bank: 1930, fees: 6040}}
"""


@pytest.fixture
def unconnected(
    world: OnboardingWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> OnboardingWorld:
    """A tenant whose connection has the client id and secret but no TenantId yet, and a
    company that has not consented."""
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(TENANTS)
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(tenants))
    url = world.fortnox_server.url
    monkeypatch.setenv(
        "AIRFLOW_CONN_FORTNOX_ACME",
        json.dumps({"conn_type": "http", "host": url, "login": "acme-client", "password": SECRET,
                    "extra": {"auth_url": url}}),
    )  # fmt: skip
    world.fortnox_app.add_client("acme-client", SECRET, tenant_ids=[])
    return world


def _approve_in_browser(world: OnboardingWorld, lines: list[str], paste: bool = False) -> str:
    """What the administrator's browser does: open the consent URL, approve, follow the
    redirect back (or show the address to paste)."""
    for _ in range(200):
        shown = [line for line in lines if "/oauth-v1/auth?" in line]
        if shown:
            break
        threading.Event().wait(0.05)
    url = urlparse(shown[0].strip())
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["access_type"] == "offline" and query["response_type"] == "code"
    assert set(query["scope"].split()) >= {"invoice", "payment", "bookkeeping", "settings"}
    code = world.fortnox_app.issue_authorization_code(query["client_id"], "acme")
    back = f"{query['redirect_uri']}?code={code}&state={query['state']}"
    if not paste:
        assert urlparse(query["redirect_uri"]).port not in (None, 0, 80)  # :0 = a free port
        assert requests.get(back, timeout=10).status_code == 200
    return back


def test_connect_by_callback_finds_the_tenant_id_and_prints_no_secret(
    unconnected: OnboardingWorld,
) -> None:
    lines: list[str] = []
    done: list[int] = []
    runner = threading.Thread(
        target=lambda: done.append(
            connect.main(["--tenant", "acme", "--redirect-uri", "http://127.0.0.1:0/callback",
                          "--timeout", "30"], say=lines.append)
        )
    )  # fmt: skip
    runner.start()
    _approve_in_browser(unconnected, lines)
    runner.join(30)
    out = "\n".join(lines)
    assert done == [0], out
    assert "TenantId acme" in out
    assert "airflow connections add fortnox_acme" in out and '"tenant_id": "acme"' in out
    assert SECRET not in out and "$FORTNOX_SECRET" in out
    # What the booking does afterwards: client credentials with the stored TenantId.
    auth = ClientCredentials("acme-client", SECRET, "acme", unconnected.fortnox_server.url)
    client = FortnoxClient(unconnected.fortnox_server.url, auth, tenant="acme")
    assert client.company_information()["CompanyName"] == "Acme AB"


def test_connect_by_pasting_the_address(
    unconnected: OnboardingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    pasted: list[str] = []

    def fake_input(_prompt: str) -> str:
        pasted.append(_approve_in_browser(unconnected, lines, paste=True))
        return pasted[0]

    monkeypatch.setattr("builtins.input", fake_input)
    assert connect.main(["--tenant", "acme", "--paste"], say=lines.append) == 0
    assert "TenantId acme" in "\n".join(lines)
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback" in "\n".join(lines)


def test_a_used_code_is_refused_with_what_to_do(
    unconnected: OnboardingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = unconnected.fortnox_app.issue_authorization_code("acme-client", "acme")
    integration = connect.integration_of(TENANT)
    session = requests.Session()
    connect.exchange_code(integration, code, connect.DEFAULT_REDIRECT, "acme", session)
    with pytest.raises(connect.ConnectError, match="tenant acme: Fortnox refused the code") as e:
        connect.exchange_code(integration, code, connect.DEFAULT_REDIRECT, "acme", session)
    assert "run this command again" in str(e.value) and code not in str(e.value)


def test_someone_elses_code_is_refused() -> None:
    with pytest.raises(connect.ConnectError, match="state differs"):
        connect.code_from("http://127.0.0.1:8765/callback?code=abc&state=theirs", "ours")
    assert connect.code_from("  abc123 \n", "ours") == "abc123"


def test_apply_imports_the_connection_from_a_private_file(unconnected: OnboardingWorld) -> None:
    integration = connect.integration_of(TENANT)
    seen: list[tuple[list[str], dict[str, object], int]] = []

    def run(argv: list[str]) -> int:
        path = Path(argv[-1])
        seen.append((argv, json.loads(path.read_text()), path.stat().st_mode & 0o777))
        return 0

    connect.apply_connection(integration, "acme", run=run)
    argv, written, mode = seen[0]
    assert argv[-4:-1] == ["connections", "import", "--overwrite"] and mode == 0o600
    assert not Path(argv[-1]).exists()
    conn = written["fortnox_acme"]
    assert isinstance(conn, dict) and json.loads(conn["extra"])["tenant_id"] == "acme"


def test_create_mode_of_payment_when_missing(
    world: OnboardingWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text(TENANTS)
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(tenants))
    url = world.fortnox_server.url
    monkeypatch.setenv(
        "AIRFLOW_CONN_FORTNOX_ACME",
        json.dumps({"conn_type": "http", "host": url, "login": "acme-client", "password": SECRET,
                    "extra": {"auth_url": url, "tenant_id": "acme"}}),
    )  # fmt: skip
    world.company.modes_of_payment.pop(TENANT.mode_of_payment, None)
    lines: list[str] = []
    assert connect.main(["--tenant", "acme", "--create-mode-of-payment"], say=lines.append) == 0
    assert re.search(r"created mode of payment \S+ on account 1516", lines[-1])
    assert world.company.modes_of_payment[TENANT.mode_of_payment] == 1516
    assert connect.main(["--tenant", "acme", "--create-mode-of-payment"], say=lines.append) == 0
    assert "already there" in lines[-1]


def test_a_revoked_consent_asks_to_reconnect_this_tenant_and_is_not_retried(
    unconnected: OnboardingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fortnox's invalid_grant fails the day at once (no retry loop) and names the command;
    the day's failure e-mail carries this message to the data team."""
    from dibs_fortnox.errors import AuthFailed, Transient
    from dibs_fortnox.hooks import FortnoxHook

    url = unconnected.fortnox_server.url
    monkeypatch.setenv(
        "AIRFLOW_CONN_FORTNOX_ACME",
        json.dumps({"conn_type": "http", "host": url, "login": "acme-client", "password": SECRET,
                    "extra": {"auth_url": url, "tenant_id": "acme"}}),
    )  # fmt: skip
    client = FortnoxHook("fortnox_acme").client("acme")
    with pytest.raises(AuthFailed) as refused:
        client.company_information()
    assert not isinstance(refused.value, Transient)
    message = str(refused.value)
    assert "reconnect this tenant: python -m dibs_fortnox.onboarding.connect --tenant acme" in (
        message
    )
    assert SECRET not in message
