"""Which format a file is: from its extension, checked against what its first bytes say."""

from __future__ import annotations

import zipfile
from pathlib import Path

from salesmetrics.ingest.errors import IngestError

FORMATS = ("csv", "xlsx", "parquet", "jsonl")

EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}

_FORMAT_NAMES = {
    "csv": "a CSV file",
    "xlsx": "an Excel workbook (.xlsx)",
    "parquet": "a Parquet file",
    "jsonl": "a JSON lines file",
}

# Signatures of files people upload by mistake; each names what the file really is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old Excel 97-2003 workbook (.xls) or another legacy Office file; "
        "save it as .xlsx or CSV",
    ),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program (ELF binary)"),
)


def detect_format(path: Path, declared: str | None) -> tuple[str, list[str]]:
    """The format to read `path` as, after checking the content agrees; raise if it does not."""
    notes: list[str] = []
    if declared is not None:
        fmt = _normalise(declared)
    elif path.suffix.lower() in EXTENSIONS:
        fmt = EXTENSIONS[path.suffix.lower()]
    else:
        fmt = ""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head:
        raise IngestError("the file is empty (0 bytes)", file=path.name)
    actual = content_kind(path, head)
    if not fmt:
        fmt = actual if actual in FORMATS else "csv"
        notes.append(f"format taken from the content: {fmt}")
    _check_agrees(path, fmt, actual)
    return fmt, notes


def _normalise(declared: str) -> str:
    fmt = declared.strip().lower().lstrip(".")
    fmt = {"tsv": "csv", "txt": "csv", "xlsm": "xlsx", "ndjson": "jsonl"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise IngestError(f"unknown format '{declared}': use one of {', '.join(FORMATS)}")
    return fmt


def content_kind(path: Path, head: bytes) -> str:
    """'xlsx', 'parquet', 'text', or a phrase naming what the bytes are ("a PDF document")."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    if head.startswith(b"PAR1"):
        return "parquet"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    return "text"


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return "a damaged or truncated ZIP archive (an .xlsx cut short?)"
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("word/") for n in names):
        return "a Word document (.docx)"
    if any(n.startswith("ppt/") for n in names):
        return "a PowerPoint presentation (.pptx)"
    if "content.xml" in names:
        return "an OpenDocument file (.ods/.odt); save it as .xlsx or CSV"
    shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
    return f"a ZIP archive (holding {shown or 'nothing'})"


def _check_agrees(path: Path, fmt: str, actual: str) -> None:
    if actual == fmt or (actual == "text" and fmt in ("csv", "jsonl")):
        return
    what = "plain text (perhaps CSV)" if actual == "text" else _FORMAT_NAMES.get(actual, actual)
    if actual in FORMATS:
        hint = f": rename it to .{actual}" if actual != "jsonl" else ""
        reason = f"the file looks like {what}, not {_FORMAT_NAMES[fmt]}{hint}"
    else:
        reason = f"the file is {what}, not {_FORMAT_NAMES[fmt]}"
    raise IngestError(reason, file=path.name)
