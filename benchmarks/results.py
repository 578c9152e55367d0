"""``bench/results.json``: every benchmark's latest figures, for the next change to compare.

One entry per benchmark, replaced when that benchmark runs again and kept otherwise, so
``python -m benchmarks NAME`` updates its own figures without erasing the others. Each
entry says when, on what machine and how it was measured, and every figure carries its
median, min, max and number of repeats (1 for the older single-shot benchmarks).

``python -m benchmarks.results`` prints the file as the Markdown table of BENCHMARKS.md
("load" is the machine's 1-minute load average when the benchmark started, out of
``nproc`` cores: other processes' share of the CPU, which widens the spread).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.stats import Figure, machine

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.json"
FORMAT = 1

# Unit of a single-shot figure, from the end of its name (first match wins).
_UNITS = (
    ("_per_s", "1/s"),
    ("_mb", "MB"),
    ("_min_at_fortnox_limit", "min"),
    ("_per_invoice", "requests"),
    ("_s_unthrottled", "s"),
    ("_s", "s"),
)


def single_shot(values: dict[str, Any]) -> dict[str, Figure]:
    """Wrap the plain numbers of a single-run benchmark as figures with ``repeats == 1``."""
    figures: dict[str, Figure] = {}
    for name, value in values.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            unit = next((u for suffix, u in _UNITS if name.endswith(suffix)), "count")
            figures[name] = Figure.of([float(value)], unit, digits=3)
    return figures


def entry(
    method: str, figures: dict[str, Figure], on: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One benchmark's record: date, machine (``on``, taken before the run), method, figures."""
    return {
        "date": date.today().isoformat(),
        "machine": on or machine(),
        "method": method,
        "figures": {name: figure.as_json() for name, figure in figures.items()},
    }


def load(path: Path = RESULTS) -> dict[str, Any]:
    """The results file, or an empty one of the current format."""
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == FORMAT:
            return data
    return {"format": FORMAT, "benchmarks": {}}


def save(entries: dict[str, dict[str, Any]], path: Path = RESULTS) -> None:
    """Merge ``entries`` (benchmark name → entry) into the results file."""
    data = load(path)
    data["benchmarks"].update(entries)
    data["benchmarks"] = dict(sorted(data["benchmarks"].items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def markdown(data: dict[str, Any]) -> str:
    """The results as a Markdown table: benchmark, figure, median, min–max, n, date, load."""
    rows = [
        "| benchmark | figure | median | min – max | n | date | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for bench, record in data["benchmarks"].items():
        load = record["machine"].get("load_average_1_5_15_min", ["?"])[0]
        for name, f in record["figures"].items():
            spread = "" if f["repeats"] == 1 else f"{f['min']:g} – {f['max']:g}"
            rows.append(
                f"| `{bench}` | `{name}` | {f['median']:g} {f['unit']} | {spread} "
                f"| {f['repeats']} | {record['date']} | {load} |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown(load(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS)))
