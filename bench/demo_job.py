"""One demo build in a fresh process, so its peak memory is its own. Prints a JSON line."""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

from salesmetrics.domain.enums import DemoSize
from salesmetrics.services.demo import create_demo_workspace


def main(size: str, path: str) -> None:
    Path(path).unlink(missing_ok=True)
    start = time.perf_counter()
    result = create_demo_workspace(path, DemoSize(size), seed=42, as_of=date(2026, 11, 26))
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "size": size,
                "seconds": round(elapsed, 3),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                "rows": result.rows,
                "order_lines": result.rows_by_table.get("order_lines", 0),
                "deals": result.rows_by_table.get("deals", 0),
                "file_mib": round(Path(path).stat().st_size / 2**20, 1),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
