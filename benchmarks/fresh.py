"""Run a benchmark's measured part in fresh processes, so no repeat inherits another's
caches, imports or peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def fresh_runs(
    module: str, args: list[str], repeats: int, env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """``python -m module *args`` ``repeats`` times, with ``env`` added to this process's
    environment; each prints its figures as JSON on its last line of output."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-m", module, *args],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs
