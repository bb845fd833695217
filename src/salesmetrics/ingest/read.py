"""Any supported file in, a table of text cells out: the one entry point of the readers."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pyarrow as pa

from salesmetrics.ingest.columnar import read_jsonl, read_parquet
from salesmetrics.ingest.csv_reader import read_csv
from salesmetrics.ingest.dialect import normalise_delimiter
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.formats import detect_format
from salesmetrics.ingest.model import RawTable, SniffReport
from salesmetrics.ingest.xlsx_reader import read_xlsx

__all__ = ["IngestError", "RawTable", "SniffReport", "read_table"]

_APPLIES = {"sheet": ("xlsx",), "delimiter": ("csv",), "encoding": ("csv", "jsonl")}


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    format: str | None = None,
) -> RawTable:
    """Read a CSV/TSV, XLSX, Parquet or JSON lines file into text columns and a sniff report."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise IngestError(f"the file {what}", file=str(path))
    try:
        fmt, notes = detect_format(path, format)
        table = _read(path, fmt, encoding=encoding, sheet=sheet, delimiter=delimiter)
    except IngestError:
        raise
    except OSError as exc:
        raise IngestError(f"cannot read the file ({exc.strerror or exc})", file=path.name) from None
    except MemoryError:
        raise IngestError("the file is too large to read into memory", file=path.name) from None
    except (
        pa.ArrowException,
        UnicodeError,
        ValueError,
        csv.Error,
        zipfile.BadZipFile,
        EOFError,
        OverflowError,
        RecursionError,
    ) as exc:
        # A safety net: the readers turn every failure they know about into a located message.
        raise IngestError(f"cannot read the file ({exc})", file=path.name) from None
    table.report.notes[:0] = notes
    return table


def _read(
    path: Path, fmt: str, *, encoding: str | None, sheet: str | None, delimiter: str | None
) -> RawTable:
    given = {"sheet": sheet, "delimiter": delimiter, "encoding": encoding}
    wrong = [key for key, value in given.items() if value is not None and fmt not in _APPLIES[key]]
    if wrong:
        raise IngestError(f"{' and '.join(wrong)} cannot be set for {fmt} files", file=path.name)
    if fmt == "csv":
        sep = None if delimiter is None else normalise_delimiter(delimiter)
        return read_csv(path, encoding=encoding, delimiter=sep)
    if fmt == "xlsx":
        return read_xlsx(path, sheet=sheet)
    if fmt == "parquet":
        return read_parquet(path)
    return read_jsonl(path, encoding=encoding)
