"""Tenants are spread over the shard files by a stable hash, each DAG in its tenant's file."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from dibs_fortnox.dag_shards import SHARDS, shard_number, shard_of

REPO = Path(__file__).resolve().parents[2]

TENANT = """\
  - id: {id}
    name: {id} AB
    start_date: 2026-10-01
    email: ekonomi@{id}.example
    nets_conn_id: nets_{id}
    fortnox_conn_id: fortnox_{id}
    accounts: {{sales_se: 3001, sales_eu: 3106, sales_non_eu: 3105,
               receivable: 1516, bank: 1930, fees: 6040}}
"""


def test_there_is_one_dag_file_per_shard() -> None:
    files = sorted(p.name for p in (REPO / "dags").glob("dibs_fortnox_[0-9][0-9].py"))
    assert files == [f"dibs_fortnox_{n:02d}.py" for n in range(SHARDS)]


def test_the_shard_of_a_tenant_never_changes() -> None:
    # crc32, not Python's per-process salted hash: these values are fixed forever.
    assert [shard_of(t) for t in ("acme", "demo", "t00001")] == [14, 0, 10]


def test_a_file_that_is_not_a_shard_is_refused() -> None:
    with pytest.raises(ValueError, match="dibs_fortnox_NN.py with NN below 16"):
        shard_number("/dags/dibs_fortnox_16.py")


def test_each_tenants_dags_come_from_its_shard_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [f"shop{n:02d}" for n in range(40)]
    path = tmp_path / "tenants.yaml"
    path.write_text("tenants:\n" + "".join(TENANT.format(id=i) for i in ids), encoding="utf-8")
    monkeypatch.setenv("DIBS_FORTNOX_TENANTS", str(path))
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    assert len({shard_of(i) for i in ids}) > 10  # the tenants really are spread
    for tenant in ids:
        for dag_id in (f"dibs_fortnox__{tenant}", f"dibs_fortnox_onboarding__{tenant}"):
            assert Path(bag.dags[dag_id].fileloc).name == f"dibs_fortnox_{shard_of(tenant):02d}.py"
