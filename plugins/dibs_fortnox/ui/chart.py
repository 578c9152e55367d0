"""An inline SVG line chart: no script, no external file, nothing fetched by the browser.

The page may only talk to 127.0.0.1 and Airflow's UI ships no charting library for
plugins, so the chart is drawn here: a few polylines over calendar days, a zero line, the
y range in kronor and a legend. Values are öre; the labels are kronor.

Example:
    >>> svg = line_chart([date(2026, 11, 1), date(2026, 11, 2)],
    ...                  [Series("sales", "#1f77b4", [100_00, 250_00])])   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from dibs_fortnox.money import Ore, format_amount

WIDTH, HEIGHT = 900, 320
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 20, 60


@dataclass(frozen=True)
class Series:
    """One line: its legend label, its colour and one value per day (öre)."""

    label: str
    colour: str
    values: Sequence[Ore]


def _scale(low: int, high: int, value: int) -> float:
    """Pixel y of ``value`` between ``low`` (bottom) and ``high`` (top)."""
    span = (high - low) or 1
    return TOP + (HEIGHT - TOP - BOTTOM) * (high - value) / span


def line_chart(days: Sequence[date], series: Sequence[Series], title: str = "") -> str:
    """Return an ``<svg>`` element drawing each series over ``days``.

    Raises:
        ValueError: a series does not have one value per day.
    """
    for line in series:
        if len(line.values) != len(days):
            raise ValueError(
                f"series {line.label!r} has {len(line.values)} values for {len(days)} days"
            )
    if not days:
        return '<p class="empty">No booked payouts yet: nothing to draw.</p>'
    values = [v for line in series for v in line.values]
    low, high = min(0, *values), max(0, *values)
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / max(1, len(days) - 1)

    def x(i: int) -> float:
        return LEFT + i * step

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{HEIGHT - TOP - BOTTOM}" '
        'fill="#fafafa" stroke="#ccc"/>',
    ]
    zero = _scale(low, high, 0)
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#999"/>'
    )
    for value in sorted({high, low, 0}):
        y = _scale(low, high, value)
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12">'
            f"{escape(format_amount(value))}</text>"
        )
    every = max(1, len(days) // 8)
    for i, day in enumerate(days):
        if i % every == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'font-size="11">{day:%m-%d}</text>'
            )
    for line in series:
        points = " ".join(
            f"{x(i):.1f},{_scale(low, high, v):.1f}" for i, v in enumerate(line.values)
        )
        parts.append(
            f'<polyline class="series" data-label="{escape(line.label)}" fill="none" '
            f'stroke="{escape(line.colour)}" stroke-width="2" points="{points}"/>'
        )
    for n, line in enumerate(series):
        lx = LEFT + n * 270
        ly = HEIGHT - 18
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="14" height="4" fill="{escape(line.colour)}"/>'
            f'<text x="{lx + 20}" y="{ly - 4}" font-size="12">{escape(line.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
