"""Run in a process of its own by tests/test_spark.py (Spark's JVM ends with the process):
`python spark_child.py SPEC.json` computes each shape's metrics on the workspace the spec
names and prints the rows as JSON, one list per shape."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any


def main(spec_path: str) -> None:
    from salesmetrics.services.workspace import workspace

    spec: dict[str, Any] = json.loads(Path(spec_path).read_text())
    as_of = date.fromisoformat(spec["as_of"])
    out = []
    with workspace(spec["db"]) as ws:
        for shape in spec["shapes"]:
            table = ws.metrics.query(shape["metrics"], as_of=as_of, **shape["options"]).table
            out.append(table.to_pylist())
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main(sys.argv[1])
