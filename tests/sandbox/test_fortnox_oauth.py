"""OAuth at /oauth-v1/token and bearer checks on /3/, over real HTTP."""

from __future__ import annotations

import requests
from tests.sandbox.fortnox_harness import CLIENT_ID, CLIENT_SECRET, FortnoxHarness, running

from dibs_fortnox.sandbox.fortnox import Company


def _token(f: FortnoxHarness, **form: str) -> requests.Response:
    return f.http.post(f.url + "/oauth-v1/token", data=form, auth=(CLIENT_ID, CLIENT_SECRET))


def test_client_credentials_gives_a_working_token(fortnox: FortnoxHarness) -> None:
    token = fortnox.client_credentials()
    assert token["token_type"] == "bearer" and token["expires_in"] == 3600
    assert "refresh_token" not in token
    info = fortnox.ok("GET", "/3/companyinformation")["CompanyInformation"]
    assert info["CompanyName"] == "Demo Webbshop AB"


def test_client_credentials_without_consent_is_refused(fortnox: FortnoxHarness) -> None:
    fortnox.app.add_company(Company("other", "Other AB", "556000-0000", accounts={1930: "Bank"}))
    response = fortnox.http.post(
        fortnox.url + "/oauth-v1/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        headers={"TenantId": "other"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "consent" in response.json()["error_description"]


def test_wrong_client_secret_is_refused(fortnox: FortnoxHarness) -> None:
    response = fortnox.http.post(
        fortnox.url + "/oauth-v1/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, "wrong"),
        headers={"TenantId": "demo"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_authorization_code_gives_access_and_refresh_token(fortnox: FortnoxHarness) -> None:
    code = fortnox.app.issue_authorization_code(CLIENT_ID, "demo")
    tokens = _token(fortnox, grant_type="authorization_code", code=code).json()
    assert (
        fortnox.call("GET", "/3/companyinformation", token=tokens["access_token"]).status_code
        == 200
    )
    assert tokens["refresh_token"]
    again = _token(fortnox, grant_type="authorization_code", code=code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_refresh_token_rotates_and_is_single_use(fortnox: FortnoxHarness) -> None:
    code = fortnox.app.issue_authorization_code(CLIENT_ID, "demo")
    first = _token(fortnox, grant_type="authorization_code", code=code).json()
    second = _token(fortnox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = _token(fortnox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    newest = _token(
        fortnox, grant_type="refresh_token", refresh_token=second.json()["refresh_token"]
    )
    assert newest.status_code == 200


def test_missing_bearer_is_401_with_error_information(fortnox: FortnoxHarness) -> None:
    response = fortnox.http.get(fortnox.url + "/3/invoices")
    assert response.status_code == 401
    assert response.json()["ErrorInformation"]["code"] == 2000311


def test_unknown_token_is_401(fortnox: FortnoxHarness) -> None:
    response = fortnox.call("GET", "/3/invoices", token="made-up")
    assert response.status_code == 401
    assert response.json()["ErrorInformation"]["code"] == 2000310


def test_expire_tokens_makes_calls_401_until_a_new_token(fortnox: FortnoxHarness) -> None:
    fortnox.app.expire_tokens()
    info = fortnox.refused("GET", "/3/invoices", status=401)
    assert "expired" in info["message"]
    fortnox.token = fortnox.client_credentials()["access_token"]
    assert fortnox.call("GET", "/3/invoices").status_code == 200


def test_token_expires_after_its_lifetime_on_the_injected_clock() -> None:
    now = [1000.0]
    with running(rate_limit=False, token_lifetime_s=60, clock=lambda: now[0]) as f:
        assert f.call("GET", "/3/invoices").status_code == 200
        now[0] += 59
        assert f.call("GET", "/3/invoices").status_code == 200
        now[0] += 2
        assert f.call("GET", "/3/invoices").status_code == 401


def test_unsupported_grant_type(fortnox: FortnoxHarness) -> None:
    response = _token(fortnox, grant_type="password")
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
