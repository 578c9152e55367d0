"""The DIBS-Fortnox page in a real Airflow UI, driven by a real headless Chromium.

A real api-server (SQLite metadata, Airflow's SimpleAuthManager) loads our plugin folder.
The pipeline books a few sandbox days of tenant "ui" into the state database, the last
day's payout held because Nets reports it one öre off, and a person's stray voucher
leaves 123.45 on the receivable in Fortnox. Tenant "down" has a Fortnox that does not
answer. Chromium (Debian's package, through Playwright) logs in on Airflow's login page,
opens the page from the navigation, reads it, opens tenant "ui" with its chart, and keeps
screenshots in ``$DIBS_FORTNOX_ARTIFACTS`` (default ``var/artifacts/``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from dibs_fortnox.demo.environment import REPO, Sandbox, airflow_env, start_sandbox
from dibs_fortnox.demo.sequential import book_days
from dibs_fortnox.demo.stack import AirflowStack, free_port, stack_env
from dibs_fortnox.fortnox.auth import ClientCredentials
from dibs_fortnox.fortnox.client import FortnoxClient
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.tenants import TenantConfig, load_tenants
from dibs_fortnox.ui.mount import URL_PREFIX
from tests.databases import migrated

pytestmark = pytest.mark.airflow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DAYS = 3
# Generous: eight engineers share two cores here, and a slow page is not what is tested.
UI_TIMEOUT_MS = 90_000
STRAY = 123_45  # öre a person booked on the receivable by hand
TENANTS = """\
tenants:
  - id: ui
    name: Sidan AB
    start_date: {start}
    email: ekonomi@ui.example
    nets_conn_id: nets_ui
    fortnox_conn_id: fortnox_ui
    paused: true
    onboarding: skip
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
  - id: down
    name: Nere AB
    start_date: {start}
    email: ekonomi@down.example
    nets_conn_id: nets_down
    fortnox_conn_id: fortnox_down
    paused: true
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1580, bank: 1930, fees: 6040}}
"""


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("DIBS_FORTNOX_ARTIFACTS") or REPO / "var" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def book(tenant: TenantConfig, sandbox: Sandbox, state_db: Path) -> None:
    """Book every sandbox day with the pipeline, as the DAG's tasks would."""
    ledger = Ledger.from_url(migrated(f"sqlite:///{state_db}"))
    auth = ClientCredentials(
        sandbox.fortnox_client_id, sandbox.fortnox_client_secret, tenant.id, sandbox.fortnox.url
    )
    try:
        days = [sandbox.first_day + timedelta(days=n) for n in range(DAYS)]
        book_days(tenant, sandbox, ledger, days, "manual__")  # the held day's reconcile fails
        # A body as Fortnox's schema wants it (numbers, the year), so the session's contract
        # check against the official OpenAPI document holds for this request too.
        stray = FortnoxClient(sandbox.fortnox.url, auth, tenant=tenant.id)
        year = int(stray.financial_years(sandbox.last_day)[0]["Id"])
        stray.create_voucher(
            {
                "Description": "Rättelse för hand",
                "TransactionDate": sandbox.last_day.isoformat(),
                "VoucherSeries": "A",
                "Year": year,
                "VoucherRows": [
                    {"Account": 1516, "Debit": Decimal("123.45"), "Credit": Decimal(0)},
                    {"Account": 1930, "Debit": Decimal(0), "Credit": Decimal("123.45")},
                ],
            },
            financial_year=year,
        )
    finally:
        ledger.close()


@dataclass
class Site:
    url: str
    password: str
    sandbox: Sandbox
    held_payout: str
    secrets: list[str]


def wait_until_up(stack: AirflowStack, url: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            if requests.get(f"{url}/api/v2/monitor/health", timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    raise AssertionError(f"the api-server did not answer within {timeout_s:.0f} s")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the tenants page in a browser: {reason}")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("ui")
    start = date.today() - timedelta(days=DAYS + 2)
    (root / "tenants.yaml").write_text(TENANTS.format(start=start), encoding="utf-8")
    tenant = load_tenants(root / "tenants.yaml").by_id("ui")
    sandbox = start_sandbox(
        tenant, days=DAYS, payments_per_day=3, seed=7, nets_port=0, fortnox_port=0
    )
    try:
        last = next(p for p in sandbox.scenario.payouts if p["date"][:10] == str(sandbox.last_day))
        last["amount"] += 1  # Nets reports one öre too much: held, with its reason
        book(tenant, sandbox, root / "state.db")

        env = airflow_env(tenant, sandbox, home=root / "airflow", state_db=root / "state.db")
        dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        down_secret = "down-" + secrets.token_urlsafe(16)
        password = secrets.token_urlsafe(12)
        (root / "passwords.json").write_text(json.dumps({"admin": password}), encoding="utf-8")
        env.update(
            {
                "DIBS_FORTNOX_TENANTS": str(root / "tenants.yaml"),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(root / "passwords.json"),
                "AIRFLOW_CONN_FORTNOX_DOWN": json.dumps(
                    {"conn_type": "http", "host": dead, "login": "down-client",
                     "password": down_secret, "extra": {"tenant_id": "down", "auth_url": dead}}
                ),
                "AIRFLOW_CONN_NETS_DOWN": json.dumps(
                    {"conn_type": "http", "host": dead, "password": "live-secret-key-" + "d" * 32}
                ),
            }
        )  # fmt: skip
        stack = AirflowStack(stack_env(env), root / "logs", components=("api-server",))
        stack.migrate()
        with stack:
            url = f"http://127.0.0.1:{stack.env['AIRFLOW__API__PORT']}"
            wait_until_up(stack, url)
            yield Site(
                url=url,
                password=password,
                sandbox=sandbox,
                held_payout=last["id"],
                secrets=[
                    sandbox.nets_secret,
                    sandbox.fortnox_client_secret,
                    down_secret,
                    "d" * 32,
                    password,
                ],
            )
    finally:
        sandbox.stop()


def test_anonymous_request_is_sent_to_airflows_login(site: Site) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = requests.get(
            f"{site.url}{URL_PREFIX}/", headers=headers, allow_redirects=False, timeout=30
        )
        assert answer.status_code == 303, answer.text[:300]
        assert answer.headers["location"].startswith("/auth/login?next=")
        assert "Sidan AB" not in answer.text
    forged = requests.get(
        f"{site.url}{URL_PREFIX}/tenants/ui", cookies={"_token": "x.y.z"}, allow_redirects=False
    )
    assert forged.status_code == 303


def test_logged_in_user_sees_tenants_held_day_balances_and_chart(site: Site) -> None:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT_MS)

    shots = artifacts_dir()
    (shots / "failure.png").unlink(missing_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="dibs-fortnox-chromium-"))  # a fresh profile
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        page = browser.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        try:
            # Straight to the page: Airflow's login first, then back here.
            page.goto(f"{site.url}{URL_PREFIX}/")
            page.wait_for_url("**/auth/login**")
            page.locator('input[name="username"]').fill("admin")
            page.locator('input[name="password"]').fill(site.password)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"**{URL_PREFIX}/")
            expect(page.locator('tr[data-tenant="ui"]')).to_be_visible()

            # The way a person gets there: Airflow's home page, then the nav entry.
            page.goto(f"{site.url}/")
            page.get_by_role("button", name="DIBS-Fortnox").or_(
                page.get_by_role("link", name="DIBS-Fortnox")
            ).first.click()
            page.wait_for_url("**/plugin/dibs-fortnox")
            frame = page.frame_locator("iframe").first
            row = frame.locator('tr[data-tenant="ui"]')
            expect(row).to_contain_text("Sidan AB")
            expect(row).to_contain_text("skipped")  # onboarding: skip, no record
            expect(row).to_contain_text(str(site.sandbox.last_day - timedelta(days=1)))
            expect(row).to_contain_text(f"{site.sandbox.last_day} held")
            expect(row).to_contain_text(site.held_payout)
            expect(row).to_contain_text("off by 0.01")
            expect(row.locator('a:text-is("run")')).to_have_attribute(
                "href", f"/dags/dibs_fortnox__ui/runs/manual__{site.sandbox.last_day}"
            )
            expect(row).to_contain_text("Fortnox 123.45, expected 0.00")
            expect(row).to_contain_text("differs by 123.45")
            down = frame.locator('tr[data-tenant="down"]')
            expect(down).to_contain_text("Fortnox not readable")
            expect(down).to_contain_text("not started")
            expect(frame.locator("text=Fortnox not readable")).to_have_count(1)
            page.screenshot(path=str(shots / "tenants-page.png"), full_page=True)
            overview_html = frame.locator("html").inner_html()

            frame.locator('a:text-is("ui")').click()
            chart = frame.locator("svg.chart")
            expect(chart).to_be_visible()
            expect(chart.locator("polyline.series")).to_have_count(3)
            runs = frame.locator('a:text-is("DAG runs")')
            expect(runs).to_have_attribute("href", "/dags/dibs_fortnox__ui/runs")
            expect(runs).to_have_attribute("target", "_top")
            page.screenshot(path=str(shots / "tenant-page.png"), full_page=True)
            tenant_html = frame.locator("html").inner_html()
        except Exception:
            page.screenshot(path=str(shots / "failure.png"), full_page=True)  # what it saw
            raise
        finally:
            browser.close()
            shutil.rmtree(profile, ignore_errors=True)
    for shown in (overview_html, tenant_html, page_source_of(site)):
        for secret in site.secrets:
            assert secret not in shown


def page_source_of(site: Site) -> str:
    """The page's HTML as the server sends it, with a token of the logged-in kind."""
    token = requests.post(
        f"{site.url}/auth/token",
        json={"username": "admin", "password": site.password},
        timeout=30,
    ).json()["access_token"]
    answer = requests.get(
        f"{site.url}{URL_PREFIX}/", headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    assert answer.ok and "Sidan AB" in answer.text
    return answer.text
