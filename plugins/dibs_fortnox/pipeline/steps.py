"""Run one pipeline step and record the day's run in the state database.

The runs table answers "what happened to acme's 2 November?" without Airflow's metadata
database (which task code may not touch in Airflow 3): one row per DAG run, finished by the
reconcile step with the day's summary, or by the step that failed with its reason.
Transient failures leave the run open: Airflow retries them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dibs_fortnox.errors import DibsFortnoxError, OutcomeUnknown, Transient
from dibs_fortnox.pipeline.context import StepContext
from dibs_fortnox.pipeline.dry_run import dry_load, dry_report
from dibs_fortnox.pipeline.extract import extract
from dibs_fortnox.pipeline.failures import failure_text
from dibs_fortnox.pipeline.load import load
from dibs_fortnox.pipeline.plan import transform_step
from dibs_fortnox.pipeline.reconcile import ReconcileFailed, reconcile

Step = Callable[[StepContext], dict[str, Any]]

STEPS: dict[str, Step] = {
    "extract": extract,
    "transform": transform_step,
    "load": load,
    "reconcile": reconcile,
}
# A dry run extracts and transforms like any run; these two write nothing to Fortnox.
DRY_RUN_STEPS: dict[str, Step] = {**STEPS, "load": dry_load, "reconcile": dry_report}


def run_key(ctx: StepContext) -> int:
    """The state database's row of this DAG run, created by its first step."""
    for run in ctx.ledger.runs(ctx.tenant.id, ctx.day):
        if run.run_id == ctx.run_id:
            return run.pk
    return ctx.ledger.start_run(ctx.tenant.id, ctx.day, ctx.run_id)


def execute(ctx: StepContext, name: str) -> dict[str, Any]:
    """Run the step ``name`` for the context's tenant and day; return its summary."""
    key = run_key(ctx)
    try:
        summary = (DRY_RUN_STEPS if ctx.dry_run else STEPS)[name](ctx)
    except ReconcileFailed as exc:
        status = "held" if exc.held_only else "failed"
        ctx.ledger.finish_run(key, status, {**exc.summary, "error": str(exc)})
        raise
    except (Transient, OutcomeUnknown):
        raise  # Airflow retries; the run stays open
    except DibsFortnoxError as exc:
        ctx.ledger.finish_run(key, "failed", {"step": name, "error": failure_text(ctx, name, exc)})
        raise
    finally:
        ctx.finish()
    if name == "reconcile":
        ctx.ledger.finish_run(key, "success", summary)
    else:
        ctx.ledger.mark_step_done(key, name)
    return summary
