"""Keep docs/troubleshooting.md in step with the messages the catalogue's tests produce.

A catalogue test that checks a message also calls ``assert_documented`` with the same
phrase, so a message cannot change without its row in the operators' table.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "troubleshooting.md"


@cache
def table_rows() -> str:
    """Every table row of docs/troubleshooting.md, one per line."""
    return "\n".join(
        line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("|")
    )


def assert_documented(phrase: str) -> None:
    """Fail unless ``phrase`` appears in a table row of docs/troubleshooting.md."""
    assert phrase in table_rows(), f"docs/troubleshooting.md has no row with {phrase!r}"
