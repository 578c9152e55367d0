"""Celery settings for the CeleryExecutor deployment (``docker-compose.yaml``): Airflow's
own defaults, plus the task code imported by each worker before it forks its pool.

A Celery worker imports the modules in ``imports`` once, in its main process, before it
starts its prefork pool; the pool's processes, and the task processes Airflow forks from
them, start with those modules loaded instead of importing pandas, SQLAlchemy and the
pipeline in every task (what the LocalExecutor's forkserver preload does,
``dibs_fortnox.preload``). Point Airflow at it with ``[celery] celery_config_options =
dibs_fortnox.celery_config.CELERY_CONFIG``.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

from dibs_fortnox.preload import CELERY_WORKER_MODULES

CELERY_CONFIG: dict[str, Any] = {**DEFAULT_CELERY_CONFIG, "imports": CELERY_WORKER_MODULES}
