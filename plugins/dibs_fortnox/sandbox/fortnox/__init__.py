"""The Fortnox API emulator: a real HTTP server over in-memory, double-entry books.

Example:
    >>> app = FortnoxApp(seed=0, rate_limit=True, token_lifetime_s=3600)
    >>> app.add_company(demo_company(tenant_id="demo")).name
    'Demo Webbshop AB'
    >>> app.add_client("client-id", "client-secret", tenant_ids=["demo"])
    >>> app.trial_balance("demo")
    {}
"""

from __future__ import annotations

from dibs_fortnox.sandbox.fortnox.app import FortnoxApp, JournalEntry, all_apps, recorded_journals
from dibs_fortnox.sandbox.fortnox.company import Company, FinancialYear, demo_company
from dibs_fortnox.sandbox.fortnox.rules import FortnoxError

__all__ = [
    "Company",
    "FinancialYear",
    "FortnoxApp",
    "FortnoxError",
    "JournalEntry",
    "all_apps",
    "demo_company",
    "recorded_journals",
]
