"""The task code a deployment can load once, ahead of its tasks.

Every task imports the pipeline when it runs (pandas, SQLAlchemy, requests, the clients),
about 0.8 s of CPU on the project's 2-core machine. Ten tenants starting their days
at once pay that forty times. Airflow's LocalExecutor can start its workers from a
forkserver that imported these modules first (``[scheduler] mp_start_method = forkserver``
and ``mp_forkserver_preload``); each task process is forked from a worker, so it starts
with them loaded. ``demo.stack`` sets this up; docs/backfill.md shows the settings. A
Celery worker does the same with ``dibs_fortnox.celery_config`` (compose sets it), and
every task logs which way its code came (``how_loaded``).

The DAG files never import these modules (parsing stays light); the tasks in
``dag_builders`` import them by name, and ``tests/dags/test_dag_file_imports.py`` keeps
this list and those imports in step.
"""

from __future__ import annotations

import os

TASK_MODULES = ("dibs_fortnox.pipeline.runner", "dibs_fortnox.onboarding.tasks")
# What Airflow itself imports to run a task, beyond what the scheduler had: the
# LocalExecutor's worker loop, the supervisor that forks the task, the DagBag that parses
# the task's DAG file (about 0.5 s of CPU per task here), and our DAG files' own builders.
TASK_START_MODULES = (
    "airflow.executors.local_executor",
    "airflow.sdk.execution_time.supervisor",
    "airflow.dag_processing.dagbag",
    "airflow.providers.standard.operators.python",
    "dibs_fortnox.dag_builders",
)
# What a Celery worker imports before forking its pool (``dibs_fortnox.celery_config``):
# the same, but for the LocalExecutor's worker loop.
CELERY_WORKER_MODULES = TASK_MODULES + tuple(
    name for name in TASK_START_MODULES if name != "airflow.executors.local_executor"
)


def scheduler_settings() -> dict[str, str]:
    """Airflow settings (as environment variables) that preload the task code."""
    return {
        "AIRFLOW__SCHEDULER__MP_START_METHOD": "forkserver",
        "AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD": ",".join(TASK_MODULES + TASK_START_MODULES),
    }


PRELOADED = "task code preloaded by the worker"
NOT_PRELOADED = (
    "task code imported by this task, not preloaded: every task start pays for it "
    "(docs/backfill.md, 'Many days starting at once')"
)


def how_loaded(imported_in_pid: int) -> str:
    """For the task log: whether the task code came with the process (imported by the
    process it was forked from) or was imported by this task itself.

    Args:
        imported_in_pid: the process id that imported the task code (recorded at import).
    """
    return PRELOADED if imported_in_pid != os.getpid() else NOT_PRELOADED
