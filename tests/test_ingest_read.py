"""Readers: every file is generated here; each bad one ends in an IngestError naming the spot."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesmetrics.domain.errors import InputError
from salesmetrics.ingest import (
    DateFormat,
    IngestError,
    parse_date,
    parse_decimal_minor,
    read_table,
    resolve_date_format,
)


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def rows(path: Path, **options: str) -> list[dict[str, str | None]]:
    table: list[dict[str, str | None]] = read_table(path, **options).data.to_pylist()
    return table


def error(path: Path, **options: str) -> IngestError:
    with pytest.raises(IngestError) as caught:
        read_table(path, **options)
    return caught.value


ACCOUNTANT = (
    "Звіт про продажі за жовтень\n"
    "\n"
    "Дата;Клієнт;Сума, грн\n"
    "01.03.2024;ТОВ «Ромашка»;1 234,50\n"
    "02.03.2024;ФОП Іваненко І. І.;99,90\n"
    '03.03.2024;"Кафе ""Ліс""; Київ";-15,00\n'
)


# --- CSV: encodings ---------------------------------------------------------------------


def test_windows_1251_semicolon_file_with_title_row_and_decimal_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "sales.csv", ACCOUNTANT.replace("\n", "\r\n"), "cp1251")
    raw = read_table(path)
    report = raw.report
    assert (report.format, report.encoding, report.delimiter) == ("csv", "cp1251", ";")
    assert report.header_row == 3 and report.rows == 3
    assert report.columns == ["Дата", "Клієнт", "Сума, грн"]
    assert any("Windows-1251" in n for n in report.notes)
    assert any("1 title row" in n for n in report.notes)
    assert raw.row_numbers.to_pylist() == [4, 5, 6]
    assert raw.data.column("Клієнт").to_pylist()[2] == 'Кафе "Ліс"; Київ'
    amounts, issues = parse_decimal_minor(raw.data.column("Сума, грн"), 2)
    assert amounts.to_pylist() == [123450, 9990, -1500] and issues == []
    fmt = resolve_date_format(raw.data.column("Дата"), "Дата")
    assert fmt is DateFormat.DMY
    assert parse_date(raw.data.column("Дата"), fmt)[0].to_pylist()[0] == dt.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-32", "utf-32")],
)
def test_unicode_encodings_are_detected(tmp_path: Path, encoding: str, reported: str) -> None:
    path = write(tmp_path, "a.csv", ACCOUNTANT, encoding)
    raw = read_table(path)
    assert raw.report.encoding == reported
    assert raw.report.columns[0] == "Дата"  # no byte-order mark left in the first name
    assert raw.data.column("Сума, грн").to_pylist() == ["1 234,50", "99,90", "-15,00"]


def test_utf16_without_bom_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", "Клієнт\tСума\nТОВ\t1\n", "utf-16-le")
    raw = read_table(path)
    assert raw.report.encoding == "utf-16" and raw.report.delimiter == "\t"
    assert rows(path) == [{"Клієнт": "ТОВ", "Сума": "1"}]


def test_encoding_override_and_its_failure(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", ACCOUNTANT, "cp1251")
    assert read_table(path, encoding="cp1251").report.encoding == "cp1251"
    wrong = error(path, encoding="utf-8")
    assert "offset" in wrong.message and wrong.row == 1 and "utf-8" in wrong.message
    assert "unknown encoding 'klingon'" in error(path, encoding="klingon").message


def test_western_legacy_text_is_not_taken_for_cyrillic(tmp_path: Path) -> None:
    text = "Name;Stadt\n" + "Jürgen Müller;München\nFrançois Lefèvre;Genève\n" * 20
    path = write(tmp_path, "a.csv", text, "cp1252")
    raw = read_table(path)
    assert raw.report.encoding != "cp1251"
    assert raw.data.column("Stadt").to_pylist()[:2] == ["München", "Genève"]


def test_mixed_encodings_name_the_line(tmp_path: Path) -> None:
    good = "Клієнт,Сума\n" + "Ромашка,1\n" * 30
    path = write(tmp_path, "a.csv", good.encode() + "Ліс,2\n".encode("cp1251"))
    caught = error(path)
    assert caught.row == 32 and "mixes encodings" in caught.message


# --- CSV: dialect, header, shape -------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    lines = ["id", "amount", "note"], ["1", "12.5", "x"], ["2", "3", "y"]
    path = write(tmp_path, "a.txt", "\n".join(delimiter.join(line) for line in lines) + "\n")
    raw = read_table(path)
    assert raw.report.delimiter == delimiter and raw.report.columns == ["id", "amount", "note"]


def test_delimiter_override(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "a;b,c\n1;2,3\n")
    assert read_table(path, delimiter=",").report.columns == ["a;b", "c"]
    assert read_table(path, delimiter="semicolon").report.columns == ["a", "b,c"]


def test_quoted_cells_with_delimiters_and_newlines_keep_row_numbers(tmp_path: Path) -> None:
    text = (
        'id,comment,amount\n1,"a, b",10\n2,"line one\nline two\n\nline four",20\n'
        '\n3,"say ""hi""",30\n'
    )
    raw = read_table(write(tmp_path, "a.csv", text))
    assert raw.data.column("comment").to_pylist() == [
        "a, b",
        "line one\nline two\n\nline four",
        'say "hi"',
    ]
    assert raw.row_numbers.to_pylist() == [2, 3, 8]


def test_blank_lines_and_crlf_keep_row_numbers(tmp_path: Path) -> None:
    raw = read_table(write(tmp_path, "a.csv", "a,b\r\n1,2\r\n\r\n3,4\r\n\r\n"))
    assert raw.row_numbers.to_pylist() == [2, 4]


def test_classic_mac_line_endings(tmp_path: Path) -> None:
    assert rows(write(tmp_path, "a.csv", "a,b\r1,2\r3,4\r")) == [
        {"a": "1", "b": "2"},
        {"a": "3", "b": "4"},
    ]


def test_cells_are_stripped_and_empty_cells_are_null(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "a,b,c\n  x ,\u00a0, \n")
    assert rows(path) == [{"a": "x", "b": None, "c": None}]


def test_excel_export_trailing_delimiters_and_empty_rows(tmp_path: Path) -> None:
    raw = read_table(write(tmp_path, "a.csv", "a;b;\n1;2;\n;;\n3;4;\n"))
    assert raw.report.columns == ["a", "b"]
    assert raw.row_numbers.to_pylist() == [2, 4]
    assert any("empty row" in n for n in raw.report.notes)


def test_unnamed_column_with_data_gets_a_name(tmp_path: Path) -> None:
    raw = read_table(write(tmp_path, "a.csv", "a,,c\n1,2,3\n"))
    assert raw.report.columns == ["a", "column 2", "c"]
    assert any("no header name" in n for n in raw.report.notes)


def test_header_only_gives_an_empty_table(tmp_path: Path) -> None:
    raw = read_table(write(tmp_path, "a.csv", "Дата,Сума\n"))
    assert raw.report.rows == 0 and raw.data.num_rows == 0
    assert raw.data.schema.names == ["Дата", "Сума"]
    assert any("no data rows" in n for n in raw.report.notes)


def test_formula_cells_are_kept_as_text_with_a_note(tmp_path: Path) -> None:
    raw = read_table(write(tmp_path, "a.csv", 'a,b\n=SUM(A1:A9),-12\n"=HYPERLINK(""x"")",+380\n'))
    assert raw.data.column("a").to_pylist() == ["=SUM(A1:A9)", '=HYPERLINK("x")']
    notes = [n for n in raw.report.notes if "formula" in n]
    assert len(notes) == 1 and "column 'a': 2 cell(s)" in notes[0] and "row 2" in notes[0]


def test_a_one_megabyte_cell_loads(tmp_path: Path) -> None:
    big = "ж" * 600_000
    raw = read_table(write(tmp_path, "a.csv", f'a,b\n1,"{big}\n{big}"\n2,x\n'))
    assert len(raw.data.column("b")[0].as_py()) == 1_200_001
    assert raw.row_numbers.to_pylist() == [2, 4]


def test_unknown_extension_is_read_by_content(tmp_path: Path) -> None:
    raw = read_table(write(tmp_path, "export.dat", "a;b\n1;2\n"))
    assert raw.report.format == "csv" and any("content" in n for n in raw.report.notes)


# --- CSV: errors that name the row and column ------------------------------------------


def test_empty_files(tmp_path: Path) -> None:
    assert "empty" in error(write(tmp_path, "a.csv", b"")).message
    assert "empty" in error(write(tmp_path, "b.csv", codecs.BOM_UTF8 + b"\r\n  \n")).message


def test_too_many_and_too_few_cells(tmp_path: Path) -> None:
    caught = error(write(tmp_path, "a.csv", "a,b,c\n1,2,3\n4,5,6,7\n8,9\n1,2,3,4\n"))
    assert caught.row == 3 and caught.file == "a.csv"
    assert "4 cells, but the header has 3" in caught.message
    assert "also rows 4, 5" in caught.message
    assert str(caught).startswith("a.csv, row 3: ")


def test_unclosed_quote_at_the_end(tmp_path: Path) -> None:
    caught = error(write(tmp_path, "a.csv", 'a,b,c\n1,2,3\n4,5,"6\n7,8,9\n'))
    assert (caught.row, caught.column) == (3, "c")
    assert "never closed" in caught.message


def test_quote_left_open_in_the_middle(tmp_path: Path) -> None:
    caught = error(write(tmp_path, "a.csv", 'a,b,c\n1,"2,3\n4,5,6\n7,"8",9\n'))
    assert (caught.row, caught.column, caught.file) == (2, "b", "a.csv")
    assert "is a quote left open" in caught.message


@pytest.mark.parametrize(("char", "what"), [(b"\x00", "NUL byte"), (codecs.BOM_UTF8, "byte-order")])
def test_nul_byte_or_bom_in_the_middle(tmp_path: Path, char: bytes, what: str) -> None:
    caught = error(write(tmp_path, "a.csv", b"a,b\n1,2\n3," + char + b"4\n"))
    assert caught.row == 3 and what in caught.message


def test_duplicate_headers_are_listed(tmp_path: Path) -> None:
    caught = error(write(tmp_path, "a.csv", "Title\n\nСума,Дата,Сума , Дата,x\n1,2,3,4,5\n"))
    assert caught.row == 3
    assert "'Сума' (columns 1, 3)" in caught.message and "'Дата' (columns 2, 4)" in caught.message


def test_file_without_a_header_row(tmp_path: Path) -> None:
    caught = error(write(tmp_path, "a.csv", "1,2,3\n4,5,6\n"))
    assert caught.row == 1 and "header" in caught.message


def test_binary_garbage(tmp_path: Path) -> None:
    assert "binary" in error(write(tmp_path, "a.csv", bytes(range(256)) * 20)).message


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.csv", b"%PDF-1.7\n...", "PDF document"),
        ("a.csv", b"\x1f\x8b\x08\x00", "gzip"),
        ("a.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        ("a.xlsx", b"Date,Amount\n1,2\n", "plain text"),
        ("a.parquet", b"Date,Amount\n1,2\n", "not a Parquet"),
    ],
)
def test_files_that_are_something_else(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    assert expected in error(write(tmp_path, name, content)).message


def test_workbook_renamed_csv_and_zip_renamed_xlsx(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "book.xlsx")
    renamed = write(tmp_path, "book.csv", book.read_bytes())
    assert "looks like an Excel workbook" in error(renamed).message
    archive = tmp_path / "notes.xlsx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("notes.txt", "hello")
    assert "ZIP archive (holding notes.txt)" in error(archive).message
    truncated = write(tmp_path, "cut.xlsx", book.read_bytes()[:2000])
    assert "truncated" in error(truncated).message


def test_options_that_do_not_apply_and_missing_files(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "a\n1\n")
    assert "sheet" in error(path, sheet="Sheet1").message
    assert "does not exist" in error(tmp_path / "nope.csv").message
    assert "unknown format" in error(path, format="docx").message
    assert "cannot be a delimiter" in error(path, delimiter="ab").message


def test_ingest_error_is_an_input_error() -> None:
    err = IngestError("bad", file="f.csv", row=3, column="Сума")
    assert isinstance(err, InputError) and err.exit_code == 2 and err.http_status == 422
    assert str(err) == "f.csv, row 3, column 'Сума': bad"


# --- XLSX ----------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Продажі")
    book.add_worksheet("Порожній")
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write(0, 0, "Звіт про продажі за березень 2024")
    sheet.write_row(2, 0, ["Дата", "Час", "Сума", "Кількість", "Оплачено", "Клієнт"])
    sheet.write_datetime(3, 0, dt.datetime(2024, 3, 1), day)
    sheet.write_datetime(3, 1, dt.datetime(2024, 3, 1, 14, 30), stamp)
    sheet.write_number(3, 2, 1234.5)
    sheet.write_number(3, 3, 12.0)
    sheet.write_boolean(3, 4, True)
    sheet.write_string(3, 5, "ТОВ «Ромашка»")
    sheet.write_datetime(5, 0, dt.datetime(2024, 3, 2), day)
    sheet.write_number(5, 2, 0.1 + 0.2)
    sheet.write_number(5, 3, 1e20)
    sheet.write_boolean(5, 4, False)
    sheet.write_string(5, 5, "=1+1")
    book.close()
    return path


def test_xlsx_title_rows_dates_numbers_and_booleans(tmp_path: Path) -> None:
    raw = read_table(_workbook(tmp_path / "book.xlsx"))
    report = raw.report
    assert (report.format, report.sheet, report.header_row, report.rows) == (
        "xlsx",
        "Продажі",
        3,
        2,
    )
    assert report.encoding is None and report.delimiter is None
    assert raw.row_numbers.to_pylist() == [4, 6]  # Excel's own row numbers; row 5 is empty
    assert raw.data.to_pylist() == [
        {
            "Дата": "2024-03-01",
            "Час": "2024-03-01T14:30:00",
            "Сума": "1234.5",
            "Кількість": "12",
            "Оплачено": "true",
            "Клієнт": "ТОВ «Ромашка»",
        },
        {
            "Дата": "2024-03-02",
            "Час": None,
            "Сума": "0.3",
            "Кількість": "100000000000000000000",
            "Оплачено": "false",
            "Клієнт": "=1+1",
        },
    ]
    assert any("formula" in n for n in report.notes)


def test_xlsx_named_and_unknown_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "book.xlsx")
    assert "sheet 'Порожній' is empty" in error(path, sheet="Порожній").message
    caught = error(path, sheet="Sales")
    assert "no sheet 'Sales'" in caught.message and "'Продажі', 'Порожній'" in caught.message


# --- Parquet and JSON lines -------------------------------------------------------------


def test_parquet_columns_become_faithful_text(tmp_path: Path) -> None:
    kyiv = pa.timestamp("us", tz="Europe/Kyiv")
    table = pa.table(
        {
            "id": [1, None],
            "price": [12.0, 1e20],
            "amount": pa.array([Decimal("1234.50"), None], pa.decimal128(10, 2)),
            "day": [dt.date(2024, 3, 1), None],
            "at": pa.array([dt.datetime(2024, 3, 1, 12, 30), None], kyiv),
            "local": pa.array([dt.datetime(2024, 3, 1, 14, 30, 15), None], pa.timestamp("ms")),
            "ok": [True, False],
            "tags": [["a", "b"], None],
            "meta": [{"k": 1}, {"k": None}],
            "channel": pa.array(["web", "pos"]).dictionary_encode(),
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    raw = read_table(path)
    assert raw.report.format == "parquet" and raw.report.header_row == 0
    assert raw.row_numbers.to_pylist() == [1, 2]
    assert raw.data.to_pylist()[0] == {
        "id": "1",
        "price": "12",
        "amount": "1234.50",
        "day": "2024-03-01",
        "at": "2024-03-01T14:30:00+02:00",
        "local": "2024-03-01T14:30:15",
        "ok": "true",
        "tags": '["a", "b"]',
        "meta": '{"k": 1}',
        "channel": "web",
    }
    assert raw.data.column("price")[1].as_py() == "100000000000000000000"
    assert all(field.type == pa.string() for field in raw.data.schema)


def test_jsonl_keeps_number_text_and_nested_json(tmp_path: Path) -> None:
    lines = [
        {"id": 1, "amount": 12.50, "tags": ["a", 1.5], "ok": True},
        {"id": 2, "name": "Київ", "amount": 1e3, "extra": None},
    ]
    text = json.dumps(lines[0]).replace("12.5", "12.50") + "\n\n" + json.dumps(lines[1]) + "\n"
    raw = read_table(write(tmp_path, "a.jsonl", text))
    assert raw.report.columns == ["id", "amount", "tags", "ok", "name", "extra"]
    assert raw.row_numbers.to_pylist() == [1, 3]
    first, second = raw.data.to_pylist()
    assert first["amount"] == "12.50" and first["tags"] == '["a", 1.5]' and first["ok"] == "true"
    assert second["amount"] == "1000.0" and second["name"] == "Київ" and second["extra"] is None


@pytest.mark.parametrize(
    ("text", "row", "reason"),
    [
        ('{"a": 1}\n{"a": 2,}\n', 2, "not JSON"),
        ('{"a": 1}\n\n[1, 2]\n', 3, "not a JSON object but an array"),
        ('{"a": 1}\n"x"\n', 2, "not a JSON object"),
    ],
)
def test_jsonl_errors_name_the_line(tmp_path: Path, text: str, row: int, reason: str) -> None:
    caught = error(write(tmp_path, "a.jsonl", text))
    assert caught.row == row and reason in caught.message
    assert f"a.jsonl, line {row}: " in str(caught)


# --- fuzzing: nothing but IngestError ever escapes ----------------------------------------

# Each example writes its own file afresh, so sharing tmp_path between examples is safe.
TMP_PATH_IS_FINE = HealthCheck.function_scoped_fixture
CLEAN = 'Дата;Клієнт;Сума\n01.03.2024;ТОВ «Ромашка»;1 234,50\n02.03.2024;"a;b";7\n'


@settings(max_examples=120, deadline=None, suppress_health_check=[TMP_PATH_IS_FINE])
@given(
    data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".jsonl", ".xlsx", ".parquet"])
)
def test_random_bytes_raise_nothing_but_ingest_error(
    tmp_path: Path, data: bytes, suffix: str
) -> None:
    path = write(tmp_path, f"fuzz{suffix}", data)
    with contextlib.suppress(IngestError):
        read_table(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[TMP_PATH_IS_FINE])
@given(
    cut=st.integers(0, len(CLEAN.encode("cp1251"))),
    insert=st.sampled_from(['"', ";", "\n", "\x00", "\ufeff", "\r", "ї", "\t", ""]),
    at=st.integers(0, len(CLEAN)),
    encoding=st.sampled_from(["cp1251", "utf-8", "utf-16"]),
)
def test_damaged_csv_raises_nothing_but_ingest_error(
    tmp_path: Path, cut: int, insert: str, at: int, encoding: str
) -> None:
    text = CLEAN[:at] + insert + CLEAN[at:]
    try:
        data = text.encode(encoding)[: cut * 2 if encoding == "utf-16" else cut]
    except UnicodeEncodeError:
        data = text.encode("utf-8")[:cut]
    path = write(tmp_path, "damaged.csv", data)
    try:
        raw = read_table(path)
    except IngestError:
        return
    assert raw.data.num_rows == len(raw.row_numbers)


CELL = st.text(alphabet=list('ab ї1,;"\n=-'), max_size=8)


@settings(max_examples=100, deadline=None, suppress_health_check=[TMP_PATH_IS_FINE])
@given(table=st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(CELL, min_size=n, max_size=n))))
def test_any_quoted_table_reads_back_cell_for_cell(tmp_path: Path, table: list[list[str]]) -> None:
    width = len(table[0]) if table else 1
    header = [f"col{i}" for i in range(width)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *table])
    raw = read_table(write(tmp_path, "t.csv", buffer.getvalue()), delimiter=",")
    expected, numbers, line = [], [], 2
    for cells in table:
        cleaned = [c.strip() or None for c in cells]
        if any(cleaned):
            expected.append(dict(zip(header, cleaned, strict=True)))
            numbers.append(line)
        line += 1 + sum(c.count("\n") for c in cells)
    assert raw.data.to_pylist() == expected
    assert raw.row_numbers.to_pylist() == numbers
