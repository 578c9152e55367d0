"""Time one ``DagBag`` parse of a folder in this (fresh) process; print the result as JSON.

Run by ``benchmarks.dag_parse`` as ``python -m benchmarks.dagbag_child FOLDER``, once per
repeat, so no parse profits from modules or caches another parse left in memory. Airflow
itself is imported before the clock starts: the dag-processor has it loaded already, and
the cost is the same for every folder.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    from airflow.dag_processing.dagbag import DagBag

    folder = argv[0]
    started = time.perf_counter()
    bag = DagBag(dag_folder=folder)
    seconds = time.perf_counter() - started
    per_file = {
        stat.file.rsplit("/", 1)[-1]: stat.duration.total_seconds() for stat in bag.dagbag_stats
    }
    print(
        json.dumps(
            {
                "seconds": seconds,
                "dags": len(bag.dag_ids),
                "import_errors": {k: v[:500] for k, v in bag.import_errors.items()},
                "per_file_s": per_file,
                "heavy_modules": sorted(
                    m for m in ("pandas", "requests", "numpy") if m in sys.modules
                ),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
