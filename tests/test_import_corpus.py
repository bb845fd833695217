"""Bad input (issue 3): every broken or messy file ends in a clear error or a correct load.

Never a traceback, never a partial write: each case runs on a fresh workspace that already
holds one valid import, and the business tables' checksum proves what was (not) written.
The corpus itself lives in tests/import_corpus.py.
"""

from __future__ import annotations

import contextlib
import shutil
import traceback
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from import_corpus import (
    CORPUS,
    CUSTOMERS,
    EXPECTS,
    ORDERS,
    SEED_DATA,
    SEED_FILE,
    SEED_KIND,
    Case,
    lines,
    utf8,
)
from salesmetrics.domain.errors import InputError
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.read import read_table
from salesmetrics.services.imports.model import ImportReport, ImportRequest
from salesmetrics.services.imports.run import run_import
from salesmetrics.services.workspace import Workspace, init_workspace, workspace
from salesmetrics.storage.repositories.imports import checksum

BY_NAME = {case.name: case for case in CORPUS}


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=case.name, marks=marks)


# Run on PostgreSQL as well: every expect, every format, the encodings and the rollbacks.
ON_EACH_ENGINE = (
    "cp1251-bytes-inside-utf8",
    "cut-mid-quote",
    "ragged-too-many-cells",
    "duplicate-headers",
    "bom-in-the-middle",
    "zip-renamed-xlsx",
    "xlsx-truncated",
    "jsonl-broken-line",
    "parquet-truncated",
    "amount-with-two-commas",
    "impossible-date-31-february",
    "negative-price",
    "required-cell-empty-deal-amount",
    "bad-email",
    "formula-in-an-amount",
    "bad-cell-in-xlsx-names-the-excel-row",
    "many-bad-rows",
    "ukrainian-cp1251-semicolons",
    "utf16-le-without-bom",
    "formula-cells-kept-as-text",
    "quoted-delimiters-and-newlines",
    "decimal-commas-with-thousands-spaces",
    "hryvnia-signs-with-decimal-commas",
    "dates-with-zones",
    "order-with-several-lines",
    "xlsx-with-title-rows-and-a-gap",
    "parquet-typed-columns",
    "one-megabyte-quoted-cell",
)


# --- running one case ---------------------------------------------------------------------


def seed(ws: Workspace, folder: Path) -> None:
    path = folder / SEED_FILE
    path.write_bytes(SEED_DATA)
    report = run_import(ws, ImportRequest(SEED_KIND, path))
    assert report.status == "applied", report.as_dict()


def imports_logged(ws: Workspace) -> int:
    return int(ws.store.fetchall("SELECT count(*) FROM imports")[0][0])


def attempt(ws: Workspace, request: ImportRequest) -> ImportReport | InputError:
    """The import's report, or the InputError it raised; anything else fails the test."""
    try:
        return run_import(ws, request)
    except InputError as exc:
        return exc
    except Exception:
        pytest.fail(f"{request.path.name}: not an InputError:\n{traceback.format_exc()}")


def check_case(ws: Workspace, case: Case, folder: Path) -> None:
    path = folder / case.filename
    path.write_bytes(case.data)
    before, logged = checksum(ws.store), imports_logged(ws)
    outcome = attempt(ws, ImportRequest(case.kind, path, **case.options))
    if isinstance(outcome, InputError):
        assert case.expect == "error", f"{case.expect} expected, but: {outcome}"
    else:
        assert case.expect != "error", f"an error expected, but: {outcome.as_dict()}"
    if case.expect != "loaded":  # nothing may be written, not even the import log
        assert checksum(ws.store) == before, "a refused file changed the data"
        assert imports_logged(ws) == logged, "a refused file was logged as an import"
    if isinstance(outcome, InputError):
        check_error(case, outcome)
    elif case.expect == "rejected":
        check_rejected(case, outcome)
    else:
        check_loaded(ws, case, outcome, before)


def check_error(case: Case, exc: InputError) -> None:
    message = str(exc)
    assert message.startswith(case.filename), f"the message does not name the file: {message}"
    assert len(message) > len(case.filename) + 10, f"no reason given: {message}"
    assert case.reason.lower() in message.lower(), f"{case.reason!r} not in: {message}"
    if case.row is not None:
        assert f"row {case.row}" in message or f"line {case.row}" in message, message
        assert isinstance(exc, IngestError) and exc.row == case.row, message


def check_rejected(case: Case, report: ImportReport) -> None:
    assert report.status == "rejected", report.as_dict()
    assert report.issues and report.rows_rejected >= 1, report.as_dict()
    headers = report.sniff.columns
    for issue in report.issues:
        assert issue.row >= 1 and issue.reason.strip(), issue
        assert issue.column in headers, f"{issue}: column is not one of the file's {headers}"
    wanted = [
        i
        for i in report.issues
        if i.row == case.row and i.column == case.column and case.reason in i.reason
    ]
    assert wanted, f"no issue at row {case.row}, column {case.column!r}: {report.issues}"


def check_loaded(ws: Workspace, case: Case, report: ImportReport, before: str) -> None:
    assert report.status == "applied", report.as_dict()
    assert not report.issues and report.rows_rejected == 0, report.issues
    assert report.inserted >= 1 and report.rows_read >= 1, report.as_dict()
    assert checksum(ws.store) != before
    if case.check is not None:
        case.check(ws)


# --- the corpus on DuckDB, and a cross-section on PostgreSQL ------------------------------


@pytest.fixture(scope="module")
def seeded_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded DuckDB workspace file, copied afresh for every case."""
    folder = tmp_path_factory.mktemp("seeded")
    path = folder / "seeded.duckdb"
    with workspace(str(path), create=True) as ws:
        seed(ws, folder)
    return path


def test_the_corpus_is_large_and_covers_every_outcome() -> None:
    counts = Counter(case.expect for case in CORPUS)
    assert len(CORPUS) >= 100, counts
    assert all(counts[expect] >= 15 for expect in EXPECTS), counts
    assert {case.kind for case in CORPUS} >= {"orders", "customers", "products", "deals"}
    assert {Path(c.filename).suffix for c in CORPUS} >= {".csv", ".xlsx", ".parquet", ".jsonl"}
    subset = [BY_NAME[name] for name in ON_EACH_ENGINE]
    assert len(subset) >= 20 and {c.expect for c in subset} == set(EXPECTS)
    assert not any(c.bug for c in subset)


@pytest.mark.parametrize("case", [_param(c) for c in CORPUS])
def test_corpus_on_duckdb(case: Case, seeded_duckdb: Path, tmp_path: Path) -> None:
    url = tmp_path / "ws.duckdb"
    shutil.copyfile(seeded_duckdb, url)
    with workspace(str(url)) as ws:
        assert ws.store.fetchall("SELECT count(*) FROM orders") == [(2,)]
        check_case(ws, case, tmp_path)


@pytest.mark.parametrize("case", [_param(BY_NAME[name]) for name in ON_EACH_ENGINE])
def test_corpus_on_each_engine(case: Case, store_url: str, tmp_path: Path) -> None:
    init_workspace(store_url, {})
    with workspace(store_url) as ws:
        seed(ws, tmp_path)
        check_case(ws, case, tmp_path)


def test_rejected_links_leave_no_created_records(store_url: str, tmp_path: Path) -> None:
    """Customers created for a deals file are rolled back when a lead cannot be found."""
    init_workspace(store_url, {})
    case = BY_NAME["unknown-lead-rolls-back-created-customers"]
    with workspace(store_url) as ws:
        seed(ws, tmp_path)
        before = checksum(ws.store)
        path = tmp_path / case.filename
        path.write_bytes(case.data)
        report = attempt(ws, ImportRequest(case.kind, path))
        assert isinstance(report, ImportReport) and report.status == "rejected"
        assert [(i.row, i.reason) for i in report.issues] == [(2, "unknown lead 'L-404'")]
        assert checksum(ws.store) == before
        found = ws.store.fetchall("SELECT count(*) FROM customers WHERE name = ?", ["Нова Фірма"])
        assert found == [(0,)]


# --- fuzzing: random bytes and damaged copies of a valid file -----------------------------

FUZZ_BASES = (
    utf8(*ORDERS, 'A3,2024-03-03,"Cid, Ltd",\u20b41 234.50,UAH,paid'),
    lines(
        "Звіт;;;",
        "Номер замовлення;Дата;Клієнт;Сума, грн",
        'A1;01.03.2024;"ТОВ ""Ліс""; Київ";1 234,50',
        "A2;02.03.2024;ФОП Іваненко;-15,00",
        eol="\r\n",
    ).encode("cp1251"),
    utf8(*CUSTOMERS, 'K3,"Multi\nline",k3@example.com,+380 (50) 000-00-00'),
)
TOKENS = [b'"', b",", b";", b"\t", b"\x00", b"\n", b"\r", b"\xef\xbb\xbf", "ї".encode(), b"\xcf"]
Edit = tuple[str, int, int]
EDITS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "cut", "insert", "delete"]),
        st.integers(0, max(len(b) for b in FUZZ_BASES)),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=4,
)
FUZZ_KINDS = st.sampled_from(["orders", "customers", "products", "deals"])
FUZZ_NAMES = st.sampled_from(["f.csv", "f.tsv", "f.txt", "f.jsonl", "f.xlsx", "f.parquet", "f"])


def damage(data: bytes, edits: list[Edit]) -> bytes:
    out = bytearray(data)
    for op, where, value in edits:
        at = min(where, len(out))
        if op == "flip" and at < len(out):
            out[at] ^= 1 << (value % 8)
        elif op == "cut":
            del out[at:]
        elif op == "insert":
            out[at:at] = TOKENS[value % len(TOKENS)]
        elif op == "delete":
            del out[at : at + 1 + value % 4]
    return bytes(out)


@pytest.fixture(scope="module")
def fuzz_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Path]]:
    folder = tmp_path_factory.mktemp("fuzz")
    with workspace(str(folder / "fuzz.duckdb"), create=True) as ws:
        seed(ws, folder)
        yield ws, folder


def fuzz_once(ws: Workspace, path: Path, kind: str) -> None:
    with contextlib.suppress(InputError):
        read_table(path)  # the reader alone: only InputError may escape it either
    before = checksum(ws.store)
    try:
        outcome: ImportReport | InputError = run_import(ws, ImportRequest(kind, path))
    except InputError as exc:
        outcome = exc
    except Exception:
        pytest.fail(f"not an InputError:\n{traceback.format_exc()}")
    if not (isinstance(outcome, ImportReport) and outcome.status == "applied"):
        assert checksum(ws.store) == before, f"partial write: {outcome}"


FUZZ_SETTINGS = settings(max_examples=100, deadline=None)


@FUZZ_SETTINGS
@given(base=st.sampled_from(FUZZ_BASES), edits=EDITS, kind=FUZZ_KINDS, name=FUZZ_NAMES)
def test_fuzz_damaged_csv(
    fuzz_workspace: tuple[Workspace, Path], base: bytes, edits: list[Edit], kind: str, name: str
) -> None:
    ws, folder = fuzz_workspace
    path = folder / name
    path.write_bytes(damage(base, edits))
    fuzz_once(ws, path, kind)


@FUZZ_SETTINGS
@given(data=st.binary(max_size=600), kind=FUZZ_KINDS, name=FUZZ_NAMES)
def test_fuzz_random_bytes(
    fuzz_workspace: tuple[Workspace, Path], data: bytes, kind: str, name: str
) -> None:
    ws, folder = fuzz_workspace
    path = folder / name
    path.write_bytes(data)
    fuzz_once(ws, path, kind)
