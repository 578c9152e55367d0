"""Airflow plugin: the "DIBS-Fortnox" page (tenants, held days, balances) in the Airflow UI.

Wiring only; the page is ``dibs_fortnox.ui``. Airflow's plugin manager imports this file as
the top-level module ``tenants_page_plugin`` (a name that shadows nothing, and that does not
match the ``dibs_fortnox`` line of ``.airflowignore`` in either ignore syntax).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from dibs_fortnox.ui.mount import NAV_ROUTE, URL_PREFIX, tenants_page


class TenantsPagePlugin(AirflowPlugin):
    """Mounts the page on the api-server and adds it to the UI's navigation."""

    name = "dibs_fortnox_tenants_page"
    fastapi_apps = [  # noqa: RUF012 - Airflow reads these class attributes
        {"app": tenants_page, "url_prefix": URL_PREFIX, "name": "DIBS-Fortnox"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": "DIBS-Fortnox",
            "href": f"{URL_PREFIX}/",
            "url_route": NAV_ROUTE,
            "destination": "nav",
        }
    ]
