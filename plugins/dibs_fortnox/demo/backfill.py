"""Run one tenant DAG for a range of days through real Airflow DagRuns, one after another.

Used by the demo and the end-to-end test (``python -m dibs_fortnox.demo.backfill``) in a
process whose environment points Airflow at our DAGs folder. Each day is a complete
Airflow DagRun (``DAG.test``, the same machinery as ``airflow dags test``), recorded in the
metadata database, with the day as its logical date. Airflow is imported once for all
days, which saves ~10 s of start-up per day over one ``airflow dags test`` per day.

Prints one JSON line per day: ``{"day": ..., "state": ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta

from dibs_fortnox.schedule import TIMEZONE


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dag-id", required=True)
    parser.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    args = parser.parse_args(argv)

    from airflow.dag_processing.dagbag import DagBag  # Airflow only in the child process

    bag = DagBag()
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            print(json.dumps({"import_error": path, "error": error}), flush=True)
    dag = bag.dags.get(args.dag_id)
    if dag is None:
        print(json.dumps({"error": f"no DAG {args.dag_id}; is the tenant valid?"}), flush=True)
        return 2
    failed = 0
    for day in days_between(args.first, args.last):
        logical = datetime.combine(day, datetime.min.time(), tzinfo=TIMEZONE).replace(hour=6)
        run = dag.test(logical_date=logical)
        state = str(getattr(run, "state", "unknown"))
        failed += state != "success"
        print(
            json.dumps({"day": day.isoformat(), "state": state, "run_id": run.run_id}), flush=True
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
