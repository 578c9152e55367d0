"""Which DAG file builds which tenant: tenants spread over ``SHARDS`` files by a stable hash.

Airflow's dag-processor imports each DAG file in a process of its own and kills an import
that runs longer than ``[core] dagbag_import_timeout`` (30 s by default; the timeout is per
file, ``airflow/dag_processing/importers/python_importer.py``). Airflow needs about 4 to
7 ms to build one DAG of ours on a 2-core machine, so one file building the DAGs of 10,000
tenants (20,000 with their onboarding DAGs) could never finish in time. Spread over
``SHARDS`` files, each builds about 1/16 of them, and the processor parses the files in
parallel (``[dag_processor] parsing_processes``).

The shard is ``crc32(tenant id) % SHARDS``: stable across processes and releases (Python's
``hash`` of a string is salted per process), so a tenant's DAGs stay in the same file and
keep their DAG ids; adding a tenant moves no other. Changing ``SHARDS`` moves DAGs between
files (their ids and history stay), and needs the files ``dags/dibs_fortnox_NN.py`` for
``NN`` in ``00 … SHARDS-1`` (a test checks they match).

Example:
    >>> shard_of("acme")
    14
    >>> shard_number("/opt/airflow/dags/dibs_fortnox_07.py")
    7
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from dibs_fortnox.tenants import TenantConfig, load_tenants

SHARDS = 16
_SHARD_FILE = re.compile(r"dibs_fortnox_(\d{2})\.py")


def shard_of(tenant_id: str) -> int:
    """The shard (0 … SHARDS-1) whose DAG file builds this tenant's DAGs."""
    return zlib.crc32(tenant_id.encode("utf-8")) % SHARDS


def shard_number(dag_file: str) -> int:
    """The shard a DAG file stands for, from its name ``dibs_fortnox_NN.py``.

    Raises:
        ValueError: the name is not a shard file's, or its number is not below ``SHARDS``.
    """
    name = Path(dag_file).name
    found = _SHARD_FILE.fullmatch(name)
    if found is None or int(found.group(1)) >= SHARDS:
        raise ValueError(
            f"{name} is not a tenant DAG file: expected dibs_fortnox_NN.py with NN below "
            f"{SHARDS} (dibs_fortnox.dag_shards.SHARDS)"
        )
    return int(found.group(1))


def tenants_of_shard(dag_file: str) -> list[TenantConfig]:
    """The valid tenants whose DAGs ``dag_file`` builds, sorted by id."""
    shard = shard_number(dag_file)
    tenants = load_tenants().tenants
    return sorted((t for t in tenants if shard_of(t.id) == shard), key=lambda t: t.id)
