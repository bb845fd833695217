"""Self-describing formats: Parquet (typed columns) and JSON lines (one object per line)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from salesmetrics.ingest.cells import JsonNumber, column_text, json_text
from salesmetrics.ingest.encoding import decode_text
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.model import RawTable
from salesmetrics.ingest.table import Draft, finish_table


def read_parquet(path: Path) -> RawTable:
    """Read a Parquet file; every column becomes text. Row numbers count records from 1."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(
            f"the file is not a readable Parquet file ({exc})", file=path.name
        ) from None
    columns = [column_text(col) for col in table.columns]
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    draft = Draft(file=path.name, format="parquet", header_row=0)
    return finish_table(draft, table.column_names, columns, rows)


def read_jsonl(path: Path, *, encoding: str | None) -> RawTable:
    """Read JSON lines: one object per line, keys become columns; row numbers are line numbers."""
    decoded = decode_text(path.read_bytes(), encoding, path.name)
    objects: list[dict[str, object]] = []
    lines: list[int] = []
    for number, line in enumerate(decoded.data.decode("utf-8").split("\n"), start=1):
        if line.strip():
            objects.append(_object(line, number, path.name))
            lines.append(number)
    if not objects:
        raise IngestError("the file is empty: no JSON objects", file=path.name)
    keys = list(dict.fromkeys(key for obj in objects for key in obj))
    columns = [pa.array([json_text(obj.get(k)) for obj in objects], pa.string()) for k in keys]
    draft = Draft(
        file=path.name,
        format="jsonl",
        header_row=0,
        encoding=decoded.encoding,
        notes=list(decoded.notes),
    )
    return finish_table(draft, keys, columns, np.asarray(lines, dtype=np.int64))


def _object(line: str, number: int, file: str) -> dict[str, object]:
    try:
        value = json.loads(line, parse_float=JsonNumber, parse_int=JsonNumber)
    except json.JSONDecodeError as exc:
        raise IngestError(
            f"not JSON ({exc.msg} at column {exc.colno})", file=file, line=number
        ) from None
    except RecursionError:
        raise IngestError(
            "not JSON we can read (nested too deeply)", file=file, line=number
        ) from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else "a single value"
        raise IngestError(
            f'not a JSON object but {kind}: each line must be {{"column": value, …}}',
            file=file,
            line=number,
        )
    return value
