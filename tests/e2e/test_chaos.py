"""The chaos suite at CI size: real Airflow, faults, SIGKILLed workers, a racing manual run.

``benchmarks/chaos.py`` does the work (``make chaos`` runs it at full size); here it runs
with two tenants and two days, every fault kind at least once, a kill at each planned
point and one from outside, and a manual run of a day racing its backfill run. Every
tenant's Fortnox must end equal to the fault-free booking of the same scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.chaos import CI, Report, run_chaos

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    found = run_chaos(CI, Path(tmp_path_factory.mktemp("chaos")))
    print("\n".join(f"{name}: {value}" for name, value in found.figures.items()))
    return found


def test_fortnox_ends_as_in_the_fault_free_run(report: Report) -> None:
    assert report.broken == []
    assert report.figures["duplicates"] == 0
    assert report.figures["missing"] == 0
    assert report.figures["extra"] == 0


def test_each_planned_kill_point_was_met_and_retried_by_airflow(report: Report) -> None:
    figures = report.figures
    assert [figures[f"kills_{p}"] for p in ("before_send", "after_write", "after_bookkeep")] == [
        1,
        1,
        1,
    ]
    assert figures["task_retries"] >= 3  # each kill cost one Airflow retry of its task


def test_lost_answers_were_resolved_in_the_task(report: Report) -> None:
    figures = report.figures
    assert figures["faults_fortnox_lost_answer"] >= 1
    assert figures["faults_fortnox_dropped_connection"] >= 1
    assert figures["lost_answers_resolved_in_task"] >= 2
    assert figures["lost_to_confirmed_max_s"] > 0


def test_a_manual_run_raced_the_backfill_of_the_same_day(report: Report) -> None:
    assert report.figures["manual_race_runs"] == 1  # its state is checked in report.broken
