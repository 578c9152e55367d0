"""Parsing the DAG folder stays cheap: no pandas, SQLAlchemy or requests for building DAGs.

Airflow re-parses every DAG file every 30 s and kills a parse after 30 s; the task bodies
need the heavy libraries, the DAG definitions do not. Run in a fresh interpreter, because
this test session has long since imported all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("pandas", "sqlalchemy", "requests")

PROBE = """
import json, runpy, sys
import airflow.sdk, airflow.timetables.interval  # loaded by the dag-processor anyway
before = set(sys.modules)
runpy.run_path(sys.argv[1], run_name="dag_file")
added = sorted(set(sys.modules) - before)
print(json.dumps({"added": added, "loaded": sorted(sys.modules)}))
"""


def modules_imported_by(dag_file: Path) -> tuple[list[str], list[str]]:
    """(modules the DAG file added, all modules loaded) in a fresh interpreter."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(dag_file)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["added"], report["loaded"]


def heavy(names: list[str]) -> list[str]:
    return [n for n in names if n.split(".")[0] in HEAVY]


def dag_files() -> list[str]:
    """Every DAG file, and of the identical shard files (dibs_fortnox_NN.py) only the first."""
    names = sorted(p.name for p in (REPO / "dags").glob("*.py"))
    shards = [n for n in names if n.startswith("dibs_fortnox_") and n[13:15].isdigit()]
    return [n for n in names if n not in shards[1:]]


@pytest.mark.parametrize("dag_file", dag_files())
def test_dag_file_imports_no_heavy_library(dag_file: str) -> None:
    added, loaded = modules_imported_by(REPO / "dags" / dag_file)
    assert heavy(added) == []
    # Airflow itself loads SQLAlchemy; pandas and requests must not be loaded by anyone.
    assert [n for n in loaded if n.split(".")[0] in ("pandas", "requests")] == []
    assert "dibs_fortnox.pipeline.runner" not in loaded


def test_preloaded_modules_are_the_ones_the_tasks_import() -> None:
    """``preload.TASK_MODULES`` names exactly what the task bodies import at run time, so a
    deployment that preloads them spares every task that import, and nothing more."""
    import ast
    import importlib.util

    from dibs_fortnox.preload import TASK_MODULES

    def is_module(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # the parent is a module, not a package
            return False

    def loaded_by(node: ast.ImportFrom) -> set[str]:
        """``from a.b import c`` loads a.b.c when c is a module, else a.b."""
        assert node.module
        full = [f"{node.module}.{alias.name}" for alias in node.names]
        return {m if is_module(m) else node.module for m in full}

    tree = ast.parse((REPO / "plugins" / "dibs_fortnox" / "dag_builders.py").read_text())
    in_tasks = set().union(
        *(
            loaded_by(node)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef)
            for node in ast.walk(fn)
            if isinstance(node, ast.ImportFrom)
        )
    )
    assert in_tasks == set(TASK_MODULES)


START_PROBE = """
import importlib, json, runpy, sys
from dibs_fortnox.preload import scheduler_settings
preload = scheduler_settings()["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"].split(",")
for name in preload:
    importlib.import_module(name)
before = set(sys.modules)
# What a task process loads before its body runs: the task runner, the DagBag and the
# plugins it parses the task's DAG file with, and the DAG file itself.
for name in ("airflow.sdk.execution_time.task_runner", "airflow.dag_processing.dagbag",
             "airflow.sdk.plugins_manager"):
    importlib.import_module(name)
runpy.run_path(sys.argv[1], run_name="dag_file")
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_preload_covers_what_airflow_imports_to_start_a_task() -> None:
    """Among ten tenants the task starts took 1.3 to 2.5 s each while their imports ran
    side by side; with Airflow's own task-start modules preloaded, 0.2 to 0.4 s."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    done = subprocess.run(
        [sys.executable, "-c", START_PROBE, str(REPO / "dags" / "dibs_fortnox_00.py")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_operators_docs_show_the_preload_airflow_is_given() -> None:
    """docs/backfill.md tells operators what to set; it must be what the stack sets."""
    from dibs_fortnox.preload import scheduler_settings

    settings = scheduler_settings()
    docs = (REPO / "docs" / "backfill.md").read_text(encoding="utf-8")
    assert f"mp_start_method = {settings['AIRFLOW__SCHEDULER__MP_START_METHOD']}\n" in docs
    assert (
        f"mp_forkserver_preload = {settings['AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD']}\n" in docs
    )


def test_a_task_says_whether_its_code_was_preloaded() -> None:
    """Imported by the process itself: not preloaded; by the process it was forked from:
    preloaded (what the task log shows operators)."""
    from dibs_fortnox.preload import NOT_PRELOADED, PRELOADED, how_loaded

    assert how_loaded(os.getpid()) == NOT_PRELOADED
    assert how_loaded(os.getppid()) == PRELOADED
