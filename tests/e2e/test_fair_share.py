"""A big backfill of one tenant does not starve another tenant's runs (real Airflow).

Tenant A (``max_parallel_days: 1``) is backfilled over six days with Airflow's defaults
(ten runs at once) on an executor with five worker slots; tenant B's scheduled day is
unpaused at the same moment. A must never hold more than one task per step (four slots at
most, whatever the backfill allows), and B's day must be booked while A's backfill still
has days to go.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dibs_fortnox.demo.fleet import last_closed_day, start_fleet, write_tenants
from dibs_fortnox.demo.stack import AirflowStack, stack_env
from dibs_fortnox.preload import NOT_PRELOADED, PRELOADED
from dibs_fortnox.tenants import load_tenants

pytestmark = pytest.mark.airflow

BIG, SMALL = "dibs_fortnox__big", "dibs_fortnox__small"
BIG_DAYS = 6
SLOTS = 5


def _moment(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    """The largest number of the intervals that overlap at one moment."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, step in edges:  # at equal times -1 sorts first: touching intervals do not overlap
        running += step
        peak = max(peak, running)
    return peak


def test_a_big_backfill_leaves_the_other_tenant_its_share(tmp_path: Path) -> None:
    small_day = last_closed_day()
    big_first = small_day - timedelta(days=BIG_DAYS)
    tenants_file = tmp_path / "tenants.yaml"
    starts = {"big": big_first, "small": small_day}
    write_tenants(tenants_file, starts, extra={"big": "max_parallel_days: 1"})
    tenants = load_tenants(tenants_file).tenants
    assert [(t.id, t.max_parallel_days) for t in tenants] == [("big", 1), ("small", 2)]
    with start_fleet(tenants, days=BIG_DAYS, payments_per_day=2) as fleet:
        env = fleet.env(tmp_path / "airflow", tmp_path / "state.db", tenants_file)
        env |= {"AIRFLOW__CORE__PARALLELISM": str(SLOTS), "DIBS_FORTNOX_RETRY_DELAY_SECONDS": "1"}
        stack = AirflowStack(stack_env(env), tmp_path / "logs")
        stack.migrate()
        with stack:
            stack.wait_for_dag(BIG)
            stack.wait_for_dag(SMALL)
            stack.backfill(BIG, big_first, small_day - timedelta(days=1))
            stack.airflow("dags", "unpause", BIG)
            stack.airflow("dags", "unpause", SMALL)
            small = stack.wait_for_days(SMALL, [small_day], timeout_s=600)
            big = stack.wait_for_days(BIG, [big_first + timedelta(days=n) for n in range(BIG_DAYS)])
            tasks = stack._query(
                "SELECT task_id, start_date, end_date FROM task_instance WHERE dag_id = :d",
                d=BIG,
            )
            ends = stack._query(
                "SELECT dag_id, end_date FROM dag_run WHERE dag_id IN (:a, :b)", a=BIG, b=SMALL
            )
    assert stack.survivors() == [], "a worker outlived the stack it belonged to"
    logs = [p.read_text(errors="replace") for p in (tmp_path / "airflow" / "logs").rglob("*.log")]
    assert sum(PRELOADED in text for text in logs) >= 4 * (BIG_DAYS + 1)
    assert not any(NOT_PRELOADED in text for text in logs)
    assert small[small_day].state == "success"
    assert {run.state for run in big.values()} == {"success"}
    spans = [(r.task_id, _moment(r.start_date), _moment(r.end_date)) for r in tasks]
    per_step = {
        step: most_at_once([(s, e) for t, s, e in spans if t == step])
        for step in Counter(t for t, _, _ in spans)
    }
    assert per_step == {"extract": 1, "transform": 1, "load": 1, "reconcile": 1}
    assert most_at_once([(s, e) for _, s, e in spans]) <= 4 < SLOTS
    small_done = max(_moment(r.end_date) for r in ends if r.dag_id == SMALL)
    big_after = [  # runs of the big tenant that ended later, or have not ended yet
        r
        for r in ends
        if r.dag_id == BIG and (r.end_date is None or _moment(r.end_date) > small_done)
    ]
    assert len(big_after) >= 2, "the small tenant's day waited for the big backfill"
