"""Connection settings for Airflow's SQLite metadata database in the demo and the tests.

Airflow's components and its CLI all write the same SQLite file. The driver's default is
to give up after 5 s of waiting for another writer ("database is locked"), which a
backfill create racing the scheduler on a 2-core machine meets. Airflow imports this
dict through ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS`` (production uses Postgres).
"""

from __future__ import annotations

from typing import Any

CONNECT_ARGS: dict[str, Any] = {"timeout": 60}
