"""Booking stays pure: no network, database or Airflow imports in model.py or booking/."""

from __future__ import annotations

import ast
from pathlib import Path

import dibs_fortnox.model

PACKAGE = Path(dibs_fortnox.model.__file__).parent
FORBIDDEN = {"requests", "sqlalchemy", "airflow", "httpx", "urllib3", "socket", "http"}
FILES = sorted([PACKAGE / "model.py", *(PACKAGE / "booking").glob("*.py")])


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_checked_files_are_the_booking_package():
    names = {p.name for p in FILES}
    assert {"model.py", "transform.py", "invariants.py", "matching.py", "parse.py"} <= names


def test_booking_imports_no_io_libraries():
    offenders = {p.name: sorted(imported_roots(p) & FORBIDDEN) for p in FILES}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_booking_imports_no_other_package_module():
    allowed = {"dibs_fortnox.money", "dibs_fortnox.model", "dibs_fortnox.booking"}
    seen = set()
    for path in FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dibs_fortnox"):
                seen.add(node.module)
    assert {m for m in seen if not any(m.startswith(a) for a in allowed)} == set()


def test_the_import_check_itself_detects_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import requests.adapters\nfrom sqlalchemy import text\n", encoding="utf-8")
    assert imported_roots(bad) & FORBIDDEN == {"requests", "sqlalchemy"}
