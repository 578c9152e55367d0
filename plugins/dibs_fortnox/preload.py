"""The task code a deployment can load once, ahead of its tasks.

Every task imports the pipeline when it runs (pandas, SQLAlchemy, requests, the clients),
about 0.8 s of CPU on the project's 2-core machine. Ten tenants starting their days
at once pay that forty times. Airflow's LocalExecutor can start its workers from a
forkserver that imported these modules first (``[scheduler] mp_start_method = forkserver``
and ``mp_forkserver_preload``); each task process is forked from a worker, so it starts
with them loaded. ``demo.stack`` sets this up; docs/backfill.md shows the settings.

The DAG files never import these modules (parsing stays light); the tasks in
``dag_builders`` import them by name, and ``tests/dags/test_dag_file_imports.py`` keeps
this list and those imports in step.
"""

from __future__ import annotations

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


def scheduler_settings() -> dict[str, str]:
    """Airflow settings (as environment variables) that preload the task code."""
    return {
        "AIRFLOW__SCHEDULER__MP_START_METHOD": "forkserver",
        "AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD": ",".join(TASK_MODULES + TASK_START_MODULES),
    }
