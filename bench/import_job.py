"""One orders import in a fresh process, so its peak memory is its own. Prints a JSON line.

    python bench/import_job.py FILE DB [--profile OUT]

DB is a DuckDB file (replaced) or a postgresql:// URL (an empty database). The workspace is
created first and not timed; `seconds` runs from opening it to closing it after the import
(the close checkpoints DuckDB, which is part of making the data durable). The time inside
`store.write` (the one transaction, commit included) is `database_seconds`; the rest of
run_import (read, sniff, map, convert, validate) is `read_convert_seconds`.

With --profile, cProfile runs on both sides: OUT.prepare.pstats (the caller's thread: reading
and converting) and OUT.write.pstats (the transaction, on DuckDB's writer thread; on PostgreSQL
it runs on the caller's thread and is in the first file); the top functions go to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from salesmetrics.services.imports.model import ImportRequest
from salesmetrics.services.imports.run import run_import
from salesmetrics.services.workspace import init_workspace, workspace


class _TimedWrites:
    """Wraps a store's write(): adds up the time spent in transactions, optionally profiled."""

    def __init__(self, store: Any, profile: cProfile.Profile | None) -> None:
        self.seconds = 0.0
        self._write = store.write
        self._profile = profile
        store.write = self

    def __call__(self, work: Callable[[Any], Any], **options: Any) -> Any:
        body = work
        if self._profile is not None:
            profile = self._profile

            def body(tx: Any) -> Any:
                if threading.current_thread() is threading.main_thread():
                    return work(tx)  # PostgreSQL: the caller's profile already covers it
                return profile.runcall(work, tx)

        start = time.perf_counter()
        try:
            return self._write(body, **options)
        finally:
            self.seconds += time.perf_counter() - start


def _fresh(db: str) -> None:
    if not db.startswith(("postgres://", "postgresql://")):
        for suffix in ("", ".wal"):
            Path(db + suffix).unlink(missing_ok=True)
    init_workspace(db, {})


def _top(profile: cProfile.Profile, title: str, path: Path) -> None:
    if not profile.getstats():
        return  # nothing ran there (PostgreSQL's transaction runs on the caller's thread)
    profile.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(25)
    print(f"== {title} ({path}) ==\n{out.getvalue()}", file=sys.stderr)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("db")
    parser.add_argument("--profile", type=Path, help="write cProfile stats to OUT.*.pstats")
    args = parser.parse_args(argv)
    _fresh(args.db)
    main_profile = cProfile.Profile() if args.profile else None
    write_profile = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    with workspace(args.db) as ws:
        writes = _TimedWrites(ws.store, write_profile)
        req = ImportRequest(kind="orders", path=args.file)
        begin = time.perf_counter()
        if main_profile is not None:
            report = main_profile.runcall(run_import, ws, req)
        else:
            report = run_import(ws, req)
        in_import = time.perf_counter() - begin
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {
        "seconds": round(elapsed, 3),
        "status": report.status,
        "rows": report.rows_read,
        "orders_inserted": report.inserted,
        "orders_updated": report.updated,
        "rows_rejected": report.rows_rejected,
        "read_convert_seconds": round(in_import - writes.seconds, 3),
        "database_seconds": round(writes.seconds, 3),
        "open_close_seconds": round(elapsed - in_import, 3),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }
    if args.profile is not None and main_profile and write_profile:
        _top(main_profile, "run_import, caller's thread", Path(f"{args.profile}.prepare.pstats"))
        _top(write_profile, "the transaction", Path(f"{args.profile}.write.pstats"))
    print(json.dumps(figures), flush=True)
    return figures


if __name__ == "__main__":
    main()
