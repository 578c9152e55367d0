"""Airflow DAGs of the tenants in shard 07 of config/tenants.yaml: booking and onboarding.

Wiring only: the tenants are spread over the dags/dibs_fortnox_NN.py files so that each
file imports well within Airflow's import timeout (dibs_fortnox.dag_shards); the DAGs are
defined in dibs_fortnox.dag_builders.
"""

from dibs_fortnox.dag_builders import build_shard

build_shard(__file__)
