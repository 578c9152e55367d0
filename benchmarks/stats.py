"""Figures with their spread, and the machine they were measured on.

A single timing on a shared 2-core machine says little; every figure is kept as the median
of its repeats with min and max, so the next change can tell a real difference from noise.
"""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured quantity: median over ``repeats`` runs, with the smallest and largest."""

    median: float
    min: float
    max: float
    repeats: int
    unit: str

    @classmethod
    def of(cls, samples: list[float], unit: str, digits: int = 3) -> Figure:
        """Summarise repeated samples (a single sample gives min == median == max)."""
        if not samples:
            raise ValueError("a figure needs at least one sample")
        return cls(
            median=round(statistics.median(samples), digits),
            min=round(min(samples), digits),
            max=round(max(samples), digits),
            repeats=len(samples),
            unit=unit,
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.repeats == 1:
            return f"{self.median:g} {self.unit}"
        return f"{self.median:g} {self.unit} ({self.min:g}–{self.max:g}, n={self.repeats})"


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else whatever ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """What a reader needs to judge whether two results files are comparable."""
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        # Other processes share the cores: a high load here explains a wide spread.
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
    }
