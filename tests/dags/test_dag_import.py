"""Every tenant DAG imports; a broken tenant shows its error and keeps the others' DAGs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.timetables.interval import CronDataIntervalTimetable
from tests.troubleshooting import assert_documented

from dibs_fortnox.schedule import TIMEZONE

REPO = Path(__file__).resolve().parents[2]

TENANT = """\
  - id: {id}
    name: {id} AB
    start_date: 2026-10-01
    email: ekonomi@{id}.example
    nets_conn_id: nets_{id}
    fortnox_conn_id: fortnox_{id}
    accounts: {{sales_se: 3001, sales_eu: {eu}, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""


def dagbag() -> DagBag:
    return DagBag(dag_folder=str(REPO / "dags"))


def test_sample_config_imports_without_errors() -> None:
    bag = dagbag()
    assert bag.import_errors == {}
    # the demo skips onboarding; the deadline DAG watches every tenant
    assert sorted(bag.dag_ids) == ["dibs_fortnox__demo", "dibs_fortnox_deadline"]


def test_tenant_dag_shape() -> None:
    dag = dagbag().dags["dibs_fortnox__demo"]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.catchup is True and dag.max_active_runs == 1
    assert dag.start_date == datetime(2026, 11, 3, tzinfo=TIMEZONE)
    assert {"dibs_fortnox", "tenant:demo"} <= set(dag.tags)
    assert [t.task_id for t in dag.topological_sort()] == [
        "extract",
        "transform",
        "load",
        "reconcile",
    ]
    assert dag.doc_md and "Demo Webbshop AB" in dag.doc_md
    assert all(t.retries == 3 for t in dag.tasks)
    # The trigger form (and `airflow dags trigger -c '{"dry_run": true}'`) takes a dry run.
    assert dag.params["dry_run"] is False
    assert dag.params.get_param("dry_run").schema["type"] == "boolean"
    # the tenant's max_parallel_days (default 2) on every task, for backfills too
    assert {t.max_active_tis_per_dag for t in dag.tasks} == {2}


def test_every_dag_serialises_as_the_scheduler_needs() -> None:
    from airflow.serialization.serialized_objects import DagSerialization

    for dag in dagbag().dags.values():
        assert (
            DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag)).dag_id
            == dag.dag_id
        )


def test_broken_tenant_keeps_the_other_dags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text(
        "tenants:\n"
        + TENANT.format(id="acme", eu=3106)
        + TENANT.format(id="broken", eu=30)
        + TENANT.format(id="zeta", eu=3106),
        encoding="utf-8",
    )
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(path))
    bag = dagbag()
    assert sorted(bag.dag_ids) == [
        "dibs_fortnox__acme",
        "dibs_fortnox__zeta",
        "dibs_fortnox_deadline",
        "dibs_fortnox_onboarding__acme",
        "dibs_fortnox_onboarding__zeta",
    ]
    [(file, error)] = bag.import_errors.items()
    assert file.endswith("tenants_config_check.py")
    assert f"{path}:16: tenant 'broken': accounts.sales_eu" in error


def test_impossible_date_keeps_the_other_dags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text(
        "tenants:\n"
        + TENANT.format(id="acme", eu=3106)
        + TENANT.format(id="broken", eu=3106).replace("2026-10-01", "2026-13-01")
        + TENANT.format(id="zeta", eu=3106),
        encoding="utf-8",
    )
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(path))
    bag = dagbag()
    assert sorted(bag.dag_ids) == [
        "dibs_fortnox__acme",
        "dibs_fortnox__zeta",
        "dibs_fortnox_deadline",
        "dibs_fortnox_onboarding__acme",
        "dibs_fortnox_onboarding__zeta",
    ]
    [(file, error)] = bag.import_errors.items()
    assert file.endswith("tenants_config_check.py")
    assert f"{path}:12: tenant 'broken': start_date:" in error and "2026-13-01" in error


def test_onboarding_dag_runs_by_itself_and_waits_for_a_person(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text("tenants:\n" + TENANT.format(id="acme", eu=3106))
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(tenants))
    bag = dagbag()
    dag = bag.dags["dibs_fortnox_onboarding__acme"]
    assert type(dag.timetable).__name__ == "OnceTimetable"
    assert dag.is_paused_upon_creation is False
    assert [t.task_id for t in dag.topological_sort()] == [
        "check_and_create",
        "approval",
        "decide",
    ]
    assert type(dag.get_task("approval")).__name__ == "HITLOperator"
    callbacks = bag.dags["dibs_fortnox__acme"].get_task("load").on_failure_callback
    assert isinstance(callbacks, list) and len(callbacks) == 2  # close the run, then notify


# The tenants-file catalogue (docs/troubleshooting.md): each mistake in one tenant's entry,
# next to a good tenant. The good DAG must stay; the import error names file, line, tenant
# and what to fix.
BROKEN_ENTRIES = {
    "yaml syntax error": (
        lambda t: t.replace("name: broken AB", "name: 'broken AB"),
        ":13: tenant 'broken': (entry): YAML syntax error",
        "(entry): YAML syntax error",
    ),
    "unknown key": (
        lambda t: t.replace("    name: broken AB\n", "    name: broken AB\n    nmae: x\n"),
        ":14: tenant 'broken': nmae: is not a known setting",
        "is not a known setting",
    ),
    "duplicate id": (
        lambda t: t.replace("id: broken", "id: acme"),
        ":12: tenant 'acme': id: duplicate tenant id",
        "duplicate tenant id; ids must be unique",
    ),
    "three-digit account": (
        lambda t: t.replace("sales_eu: 3106", "sales_eu: 310"),
        ":18: tenant 'broken': accounts.sales_eu: Input should be greater than or equal to 1000",
        "accounts.sales_eu: Input should be greater than or equal to 1000",
    ),
    "impossible date": (
        lambda t: t.replace("2026-10-01", "2026-13-01"),
        ":14: tenant 'broken': start_date:",
        "write a real calendar date as YYYY-MM-DD",
    ),
    "future date": (
        lambda t: t.replace("2026-10-01", "2062-10-01"),
        ":14: tenant 'broken': start_date: Value error, start_date 2062-10-01 is in the future",
        "is in the future",
    ),
    "missing connection": (
        lambda t: t.replace("    nets_conn_id: nets_broken\n", ""),
        ":12: tenant 'broken': nets_conn_id: is required: the id of the Airflow connection",
        "nets_conn_id: is required: the id of the Airflow connection",
    ),
    "pasted secret": (
        lambda t: t.replace(
            "nets_conn_id: nets_broken", "nets_conn_id: live-secret-key-" + "ab" * 16
        ),
        ":16: tenant 'broken': nets_conn_id: looks like a secret",
        "looks like a secret; secrets never go in this file",
    ),
}


@pytest.mark.parametrize("mistake", sorted(BROKEN_ENTRIES))
def test_each_broken_entry_keeps_the_good_tenants_dag(
    mistake: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_it, expected, documented = BROKEN_ENTRIES[mistake]
    path = tmp_path / "tenants.yaml"
    good, broken = TENANT.format(id="acme", eu=3106), TENANT.format(id="broken", eu=3106)
    path.write_text("defaults:\n  voucher_series: A\ntenants:\n" + good + break_it(broken))
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(path))
    bag = dagbag()
    assert {"dibs_fortnox__acme", "dibs_fortnox_onboarding__acme"} <= set(bag.dag_ids)
    assert not any("broken" in dag_id for dag_id in bag.dag_ids)
    [(file, error)] = bag.import_errors.items()
    assert file.endswith("tenants_config_check.py")
    assert f"{path}{expected}" in error
    assert "live-secret-key-abab" not in error
    assert documented in error
    assert_documented(documented)
