"""Progress lines of a long load: the arithmetic, the wording, when a line is due, and the
real load writing them."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from dibs_fortnox.pipeline.progress import (
    Progress,
    estimate,
    format_duration,
    format_progress,
)
from tests.pipeline.world import make_world


def test_estimate_extrapolates_the_rate_so_far() -> None:
    assert estimate(150, 800, 125.0) == (1.2, pytest.approx(541.67, abs=0.01))


def test_estimate_knows_no_time_left_before_the_first_document() -> None:
    assert estimate(0, 800, 10.0) == (0.0, None)
    assert estimate(5, 800, 0.0) == (0.0, None)


def test_estimate_is_zero_left_when_done() -> None:
    assert estimate(800, 800, 400.0) == (2.0, 0.0)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0 s"), (45, "45 s"), (60, "1 min"), (250, "4 min 10 s"), (3780, "1 h 3 min"),
     (7200, "2 h")],
)  # fmt: skip
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_progress_names_count_share_rate_and_time_left() -> None:
    line = format_progress("tenant acme, day 2026-11-03", 150, 800, 125.0)
    assert line == (
        "tenant acme, day 2026-11-03: 150 of 800 documents (19 %), 1.2/s, about 9 min 2 s left"
    )


def test_format_progress_at_the_end_says_how_long_it_took() -> None:
    assert (
        format_progress("t", 800, 800, 400.0)
        == "t: 800 of 800 documents (100 %), 2.0/s, done in 6 min 40 s"
    )


def test_a_line_every_n_documents_every_m_seconds_and_at_the_end() -> None:
    now = [0.0]
    lines: list[str] = []
    progress = Progress(
        total=10, where="t", every_docs=4, every_s=30.0, clock=lambda: now[0], emit=lines.append
    )
    for _ in range(3):  # 3 documents in 3 s: no line yet
        now[0] += 1.0
        progress.advance()
    assert lines == []
    now[0] += 1.0
    progress.advance()  # the 4th document
    now[0] += 40.0
    progress.advance()  # the 5th, but 40 s later
    now[0] += 1.0
    progress.advance(5)  # the rest
    assert [line.split(": ")[1].split(" (")[0] for line in lines] == [
        "4 of 10 documents",
        "5 of 10 documents",
        "10 of 10 documents",
    ]
    assert lines[0].endswith("1.0/s, about 6 s left")
    assert lines[-1].endswith("done in 45 s")


def test_the_load_logs_its_progress_up_to_every_document(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(tmp_path, days=1, payments_per_day=12, deposit_every_days=0)
    try:
        day = world.payout_days()[0]
        caplog.set_level(logging.INFO, logger="dibs_fortnox.pipeline.progress")
        world.run_day(day)
        posted = world.ledger.documents(world.tenant.id, day=day)
    finally:
        world.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "dibs_fortnox.pipeline.progress"]
    assert lines, "the load logged no progress"
    found = re.search(r"(\d+) of (\d+) documents \(100 %\), [\d.]+/s, done in", lines[-1])
    assert found is not None, lines[-1]
    assert int(found[1]) == int(found[2]) == len(posted) > 12
