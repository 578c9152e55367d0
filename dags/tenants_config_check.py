"""Show broken entries of config/tenants.yaml as an Airflow import error.

The tenant DAGs are built by ``dibs_fortnox.py`` from the valid entries only, so one broken
tenant never removes the others; this file fails to import (listing every problem with
file, line, tenant and field) so the broken ones are visible in the UI's import errors.
"""

from __future__ import annotations

from dibs_fortnox.tenants import load_tenants

_loaded = load_tenants()
if _loaded.problems:
    raise ValueError(
        "config problems in the tenants file; these tenants have no DAG until fixed:\n"
        + "\n".join(f"- {problem}" for problem in _loaded.problems)
    )
