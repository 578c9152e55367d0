"""The sentence a person reads when a step of a day fails: who, which day, what, and the fix.

Errors raised deep in a client know the tenant and the API call but not the day, nor which
Airflow connection holds the refused credentials; the step knows both. The same text goes
to the task log (Airflow's failure), the runs table and the failure e-mail.

Example:
    >>> failure_text(ctx, "extract", AuthFailed("nets", "list_payouts", 401))  # doctest: +SKIP
    "tenant acme, day 2026-11-02, extract: Nets (tenant 'acme') list_payouts was refused
    (HTTP 401). Check the credentials in the Airflow connection 'nets_acme' (...)"
"""

from __future__ import annotations

from dibs_fortnox.errors import AuthFailed, DibsFortnoxError
from dibs_fortnox.pipeline.context import StepContext


def connection_hint(ctx: StepContext, error: DibsFortnoxError) -> str:
    """Which connection to fix for refused credentials; "" for every other error."""
    if not isinstance(error, AuthFailed) or error.detail:
        return ""  # a known refusal (licence, scope, consent) already says what to do
    if error.service == "nets":
        return (
            f" '{ctx.tenant.nets_conn_id}': its password must be the merchant's live secret "
            "key (Nets Easy portal > Company > Integration, live-secret-key-…); a key that "
            "was regenerated in the portal stops working at once"
        )
    return (
        f" '{ctx.tenant.fortnox_conn_id}': the client id in login, the client secret in password, "
        "extra.tenant_id = the company's TenantId"
    )


def failure_text(ctx: StepContext, step: str, error: DibsFortnoxError) -> str:
    """``tenant x, day d, step: <error><connection to fix>``, without repeating the prefix."""
    text = str(error) + connection_hint(ctx, error)
    where = ctx.where()
    return text if text.startswith(where) else f"{where}, {step}: {text}"
