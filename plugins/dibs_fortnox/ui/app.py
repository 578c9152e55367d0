"""The FastAPI app behind the "DIBS-Fortnox" entry of the Airflow UI.

Airflow's api-server mounts it (``plugins/tenants_page_plugin.py``, through ``mount``) and
the UI shows it in a frame. Every route asks Airflow's own auth manager who the caller
is, from the same JWT cookie (or bearer token) as the rest of the UI: no token, an
expired one or a forged one is sent to Airflow's login page, which comes back here after
login; a user who may not read DAGs gets 403.

Routes (relative to the mount point):
    ``/``                   every tenant: onboarding, last booked day, failed and held days,
                            receivable in Fortnox against the ledger
    ``/tenants/{tenant}``   one tenant with its chart and links to its runs

Example:
    >>> app = create_app()          # what the plugin mounts           # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from dibs_fortnox.errors import ConfigError, StateSchemaError, redact
from dibs_fortnox.ledger import Ledger
from dibs_fortnox.tenants import LoadedTenants, TenantConfig, load_tenants
from dibs_fortnox.ui import html
from dibs_fortnox.ui.balance import fortnox_reader
from dibs_fortnox.ui.status import BalanceReader, TenantOverview, daily_series, tenant_overview

log = logging.getLogger(__name__)
PARALLEL_TENANTS = 8  # within the state database's connection pool (5 + 10 overflow)
_bearer = HTTPBearer(auto_error=False)


class LoginRequired(Exception):
    """The caller has no valid Airflow session: send them to Airflow's login."""


async def airflow_user(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Any:
    """The Airflow user of the request, by Airflow's own rules (``get_user``).

    Airflow is imported here, not at module level: the plugin file is imported by every
    Airflow process (scheduler, dag-processor, task runners), and only the api-server needs
    its authentication.
    """
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.core_api.security import get_user

    try:
        user = await get_user(request, None, bearer)
    except HTTPException as exc:
        if exc.status_code in (401, 403):  # none, expired or not ours
            raise LoginRequired from exc
        raise
    if not get_auth_manager().is_authorized_dag(method="GET", user=user):
        raise HTTPException(status_code=403, detail="reading DAGs is required for this page")
    return user


UserDep = Annotated[Any, Depends(airflow_user)]


def _login_redirect(request: Request, exc: Exception) -> Response:
    from airflow.api_fastapi.app import get_auth_manager

    login = get_auth_manager().get_url_login(next_url=str(request.url))
    return RedirectResponse(login, status_code=303)


def gather(
    tenants: LoadedTenants, ledger: Ledger, read: BalanceReader
) -> tuple[list[TenantOverview], list[tuple[str, str]]]:
    """Every tenant's overview; a tenant whose status cannot be gathered becomes a message
    of its own, so one broken tenant never hides the others."""
    rows: list[TenantOverview] = []
    broken = [(p.tenant, str(p)) for p in tenants.problems]

    def one(tenant: TenantConfig) -> TenantOverview | str:
        try:
            return tenant_overview(ledger, tenant, read)
        except Exception as exc:  # noqa: BLE001 - shown on the page, logged with its trace
            log.exception("tenants page: tenant %s", tenant.id)
            return redact(f"{type(exc).__name__}: {exc}")

    # Each tenant waits on its own Fortnox (and its own rate window): ask them side by side,
    # or a page of 50 tenants takes 50 round trips to Fortnox in a row.
    with ThreadPoolExecutor(max_workers=PARALLEL_TENANTS) as pool:
        for tenant, found in zip(tenants.tenants, pool.map(one, tenants.tenants), strict=True):
            if isinstance(found, str):
                broken.append((tenant.id, found))
            else:
                rows.append(found)
    return rows, broken


def create_app(
    open_ledger: Callable[[], Ledger] = Ledger.from_env,
    read_tenants: Callable[[], LoadedTenants] = load_tenants,
    reader: Callable[[Ledger], BalanceReader] = fortnox_reader,
) -> FastAPI:
    """Build the app; the arguments are the seams a test may replace (defaults: the state
    database of ``DIBS_FORTNOX_DB_URL``, the tenants file of ``DIBS_FORTNOX_TENANTS``, the
    tenants' Fortnox connections)."""
    app = FastAPI(title="DIBS-Fortnox", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_exception_handler(LoginRequired, _login_redirect)

    @app.get("/", response_class=HTMLResponse)
    def tenants_page(request: Request, user: UserDep) -> HTMLResponse:
        base = request.scope.get("root_path", "")
        try:
            tenants = read_tenants()
        except ConfigError as exc:
            return HTMLResponse(html.overview_page([], [("tenants file", str(exc))], base))
        try:
            ledger = open_ledger()
        except StateSchemaError as exc:  # not migrated yet: the message names the command
            return HTMLResponse(html.overview_page([], [("state database", str(exc))], base))
        try:
            rows, broken = gather(tenants, ledger, reader(ledger))
        finally:
            ledger.close()
        return HTMLResponse(html.overview_page(rows, broken, base))

    @app.get("/tenants/{tenant_id}", response_class=HTMLResponse)
    def tenant_detail(request: Request, tenant_id: str, user: UserDep) -> HTMLResponse:
        base = request.scope.get("root_path", "")
        try:
            tenant: TenantConfig = read_tenants().by_id(tenant_id)
        except ConfigError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        try:
            ledger = open_ledger()
        except StateSchemaError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        try:
            row = tenant_overview(ledger, tenant, reader(ledger))
            points = daily_series(ledger, tenant)
        finally:
            ledger.close()
        return HTMLResponse(html.tenant_page(row, points, base))

    return app
