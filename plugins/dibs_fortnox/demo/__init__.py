"""``make demo``: the sandbox, real Airflow, a 14-day backfill of the demo tenant, a summary."""
