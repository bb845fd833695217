"""Cell parsers: tables of known answers, the ambiguity rules, and round-trip properties."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesmetrics.domain.money import Money
from salesmetrics.ingest import (
    CellIssue,
    DateFormat,
    IngestError,
    currency_in_text,
    decimal_separator,
    detect_currency,
    parse_bool,
    parse_date,
    parse_decimal_minor,
    parse_int,
    parse_number,
    parse_timestamp,
    resolve_date_format,
)

UTC = dt.UTC
NBSP, NNBSP = "\u00a0", "\u202f"


def one(values: list[str | None]) -> pa.Array:
    return pa.array(values, pa.string())


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1 234,50", 1234.5),
        (f"1{NBSP}234,5", 1234.5),
        (f"1{NNBSP}234,5", 1234.5),
        ("1'234,5", 1234.5),
        ("1.234.567,89", 1234567.89),
        ("12,5", 12.5),
        ("-12,5", -12.5),
        ("−12,5", -12.5),
        ("(12,5)", -12.5),
        ("12,5-", -12.5),
        ("₴1 234,50", 1234.5),
        ("₴ 1 234,50", 1234.5),
        ("1 234,50 ₴", 1234.5),
        ("1 234,50грн", 1234.5),
        ("1 234,50 грн.", 1234.5),
        ("UAH 1 234,50", 1234.5),
        ("1 234,50 zł", 1234.5),
        ("-₴12,5", -12.5),
        ("(12,5 грн)", -12.5),
        ("+12,5", 12.5),
        (",5", 0.5),
        ("0,125", 0.125),
        ("1234", 1234.0),
    ],
)
def test_decimal_comma_cells(cell: str, expected: float) -> None:
    column = one([cell, "0,25"])  # the second cell settles the decimal comma
    values, issues = parse_number(column)
    assert values[0].as_py() == pytest.approx(expected) and issues == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("$1,234.56", 1234.56),
        ("1,234,567.8", 1234567.8),
        ("USD 1,234.56", 1234.56),
        ("1,234.56 USD", 1234.56),
        ("€3.5", 3.5),
        ("3.5 EUR", 3.5),
        ("(1,000.00)", -1000.0),
        ("-$5.25", -5.25),
        ("1 234.5", 1234.5),
        ("12", 12.0),
    ],
)
def test_decimal_point_cells(cell: str, expected: float) -> None:
    values, issues = parse_number(one([cell, "0.25"]))
    assert values[0].as_py() == pytest.approx(expected) and issues == []


def test_ambiguous_cells_are_resolved_from_the_rest_of_the_column() -> None:
    assert parse_number(one(["1,234", "5,5"]))[0].to_pylist() == [1.234, 5.5]
    assert parse_number(one(["1,234", "5.5"]))[0].to_pylist() == [1234.0, 5.5]
    assert parse_number(one(["1.234", "1.234,5"]))[0].to_pylist() == [1234.0, 1234.5]
    assert parse_number(one(["1.234", "0.5"]))[0].to_pylist() == [1.234, 0.5]


def test_undecidable_column_uses_the_hint_and_says_so() -> None:
    notes: list[str] = []
    values, _ = parse_number(one(["1,234", "2,500"]), decimal_hint=",", notes=notes)
    assert values.to_pylist() == [1.234, 2.5]
    assert len(notes) == 1 and "'1,234'" in notes[0] and "workspace setting" in notes[0]
    notes.clear()
    values, _ = parse_number(one(["1,234", "2,500"]), notes=notes)
    assert values.to_pylist() == [1234.0, 2500.0] and "the default" in notes[0]
    separator, note = decimal_separator(one(["1.234", "7"]), ",")
    assert separator == "," and note is not None and "workspace setting" in note
    assert decimal_separator(one(["1,5", "$2"])) == (",", None)


def test_forced_separator_and_a_bad_one() -> None:
    assert parse_number(one(["1.234"]), decimal=",")[0].to_pylist() == [1234.0]
    with pytest.raises(IngestError, match="decimal separator"):
        parse_number(one(["1"]), decimal=";")


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("12,5,0", "'12,5,0' is not a number"),
        ("abc", "'abc' is not a number"),
        ("1 2 3", "'1 2 3' is not a number"),
        ("12.345,6", "'12.345,6' does not match the column's number format (decimal point"),
        ("1e5", "'1e5' is not a number"),
    ],
)
def test_unreadable_numbers_become_issues(cell: str, reason: str) -> None:
    values, issues = parse_number(one(["1.5", None, "", cell, "2.25"]))
    assert values.to_pylist()[:3] == [1.5, None, None] and values[3].as_py() is None
    assert [i.index for i in issues] == [3] and issues[0].reason.startswith(reason)


@pytest.mark.parametrize(
    ("cells", "exponent", "expected"),
    [
        (["1 234,50", "0,01"], 2, [123450, 1]),
        (["0,125", "0,135", "-0,125", "0,1251"], 2, [12, 14, -12, 13]),  # half to even
        (["12.5", "13.5", "1234"], 0, [12, 14, 1234]),
        (["1,2345", "7"], 3, [1234, 7000]),  # KWD-style three digits, rounded half to even
        (["-12.50", "99999999999999.99"], 2, [-1250, 9999999999999999]),
        (["0.0000000000000000001", "12345678901234567.891"], 2, [0, 1234567890123456789]),
    ],
)
def test_minor_units_are_exact(cells: list[str], exponent: int, expected: list[int]) -> None:
    values, issues = parse_decimal_minor(one(cells), exponent)
    assert values.to_pylist() == expected and issues == []


def test_minor_units_agree_with_money_of() -> None:
    cells = ["0.005", "0.015", "2.675", "-2.675", "1234.5678"]
    values, _ = parse_decimal_minor(one(cells), 2)
    assert values.to_pylist() == [Money.of(c, "UAH").minor for c in cells]


def test_minor_units_too_large_and_invalid() -> None:
    values, issues = parse_decimal_minor(one(["99999999999999999999", "x", None, "5"]), 2)
    assert values.to_pylist() == [None, None, None, 500]
    assert issues == [
        CellIssue(0, "'99999999999999999999' is too large"),
        CellIssue(1, "'x' is not a number"),
    ]
    with pytest.raises(IngestError, match="exponent"):
        parse_decimal_minor(one(["1"]), 9)


def test_whole_numbers() -> None:
    values, issues = parse_int(one(["1 234", "12,00", "12,5", "x", "-7", None, "(3)"]))
    assert values.to_pylist() == [1234, 12, None, None, -7, None, -3]
    assert [(i.index, i.reason) for i in issues] == [
        (2, "'12,5' is not a whole number"),
        (3, "'x' is not a number"),
    ]
    assert parse_int(one(["1", "2", None, ""]))[0].to_pylist() == [1, 2, None, None]


def test_chunked_columns_keep_positions() -> None:
    column = pa.chunked_array([["1", "x"], ["3,5", "y"]])
    values, issues = parse_number(column)
    assert values.to_pylist() == [1.0, None, 3.5, None]
    assert [i.index for i in issues] == [1, 3]


# --- currencies and booleans -----------------------------------------------------------


def test_currency_signs_and_codes_in_cells() -> None:
    cells = ["1 234,50 грн", "₴5", "$12", "12 USD", "€5", "5 zł", "£3", "UAH", "12", None]
    cells += ["$100 грн", "100 CHF", "Грн.", "12 eur", "1 000 PLN"]
    codes, issues = detect_currency(one(cells))
    assert codes.to_pylist() == [
        "UAH", "UAH", "USD", "USD", "EUR", "PLN", "GBP", "UAH", None, None,
        None, "CHF", "UAH", "EUR", "PLN",
    ]  # fmt: skip
    assert issues == [CellIssue(10, "'$100 грн' names two different currencies")]


@pytest.mark.parametrize(
    ("header", "code"),
    [("Сума, грн", "UAH"), ("Amount (USD)", "USD"), ("Ціна, €", "EUR"), ("Amount", None)],
)
def test_currency_named_in_a_header(header: str, code: str | None) -> None:
    assert currency_in_text(header) == code


def test_booleans() -> None:
    cells = ["Так", "ні", "yes", "N", "1", "0", "+", "-", "true", "F", "maybe", None, ""]
    values, issues = parse_bool(one(cells))
    assert values.to_pylist()[:10] == [True, False] * 5
    assert values.to_pylist()[10:] == [None, None, None]
    assert [i.index for i in issues] == [10] and "yes/no" in issues[0].reason


# --- dates and times ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["01.03.2024", "12.03.2024"], DateFormat.DMY),  # dots are day-first
        (["13/01/2024", "01/02/2024"], DateFormat.DMY),
        (["01/13/2024", "01/02/2024", None], DateFormat.MDY),
        (["2024-03-01", "2024-03-01 14:30"], DateFormat.YMD),
        (["2024-03-01T14:30:00+02:00"], DateFormat.YMD),
        (["45352", "45353.5"], DateFormat.EXCEL),
        (["31-12-2023", "1-1-24"], DateFormat.DMY),
        ([None, ""], DateFormat.YMD),
        (["13/01/2024", "14/01/2024", "01/13/2024"], DateFormat.DMY),  # the majority decides
    ],
)
def test_date_format_from_the_whole_column(cells: list[str | None], expected: DateFormat) -> None:
    assert resolve_date_format(one(cells), "Дата") is expected


def test_undecidable_date_columns() -> None:
    with pytest.raises(IngestError) as caught:
        resolve_date_format(one(["01/03/2024", "02/03/2024"]), "Дата")
    assert caught.value.message == (
        "column 'Дата' is ambiguous: all values fit both DD.MM.YYYY and MM/DD/YYYY; "
        "pass --date-format"
    )
    assert caught.value.column == "Дата"
    with pytest.raises(IngestError, match="mixes day-first and month-first"):
        resolve_date_format(one(["13/01/2024", "01/13/2024"]), "Дата")
    with pytest.raises(IngestError, match="no value looks like a date"):
        resolve_date_format(one(["soon", "later"]), "Дата")


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("DD.MM.YYYY", DateFormat.DMY),
        ("dd/mm/yyyy", DateFormat.DMY),
        ("DD-MM-YY", DateFormat.DMY),
        ("iso", DateFormat.YMD),
        ("MM/DD/YYYY", DateFormat.MDY),
        ("excel", DateFormat.EXCEL),
    ],
)
def test_date_format_names(text: str, fmt: DateFormat) -> None:
    assert DateFormat.parse(text) is fmt
    with pytest.raises(IngestError, match="unknown date format"):
        DateFormat.parse("julian")


DATES = [
    ("DD.MM.YYYY", {"01.03.2024": "2024-03-01", "31.12.2023": "2023-12-31", "": None}),
    ("DD.MM.YYYY", {"1.3.24": "2024-03-01", "29.02.2024 14:30": "2024-02-29"}),
    ("DD.MM.YYYY", {"05/06/1999": "1999-06-05", "7-8-2001": "2001-08-07"}),
    ("MM/DD/YYYY", {"03/01/2024": "2024-03-01", "12/31/70": "1970-12-31"}),
    ("YYYY-MM-DD", {"2024-03-01": "2024-03-01", "2024/3/9": "2024-03-09"}),
    ("YYYY-MM-DD", {"2024-03-01T23:59:59Z": "2024-03-01"}),
    ("excel", {"45352": "2024-03-01", "1": "1900-01-01", "59": "1900-02-28"}),
    ("excel", {"61": "1900-03-01", "45352.75": "2024-03-01"}),
]


@pytest.mark.parametrize(("fmt", "answers"), DATES)
def test_dates(fmt: str, answers: dict[str, str | None]) -> None:
    cells, expected = list(answers), list(answers.values())
    values, issues = parse_date(one(cells), fmt)
    assert [None if d is None else d.isoformat() for d in values.to_pylist()] == expected
    assert issues == [] and values.type == pa.date32()


@pytest.mark.parametrize(
    ("cell", "fmt", "reason"),
    [
        ("31.02.2024", DateFormat.DMY, "'31.02.2024' is not a real date"),
        ("29.02.2023", DateFormat.DMY, "is not a real date"),
        ("13/13/2024", DateFormat.MDY, "is not a real date"),
        ("2024-03-01", DateFormat.DMY, "is not a date in DD.MM.YYYY format"),
        ("01.03.2024 25:00", DateFormat.DMY, "impossible time"),
        ("60", DateFormat.EXCEL, "is not a real date"),  # Excel's 1900-02-29
        ("завтра", DateFormat.YMD, "is not a date in YYYY-MM-DD format"),
    ],
)
def test_bad_dates_become_issues(cell: str, fmt: DateFormat, reason: str) -> None:
    values, issues = parse_date(one(["01.01.2024" if fmt is DateFormat.DMY else None, cell]), fmt)
    assert values[1].as_py() is None
    assert [i.index for i in issues] == [1] and reason in issues[0].reason


@pytest.mark.parametrize(
    ("cell", "fmt", "utc"),
    [
        ("2024-03-01 14:30", "iso", dt.datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),  # EET, +2
        ("2024-07-01 14:30", "iso", dt.datetime(2024, 7, 1, 11, 30, tzinfo=UTC)),  # EEST, +3
        ("2024-03-01T14:30:00+02:00", "iso", dt.datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),
        ("2024-03-01T14:30:00Z", "iso", dt.datetime(2024, 3, 1, 14, 30, tzinfo=UTC)),
        ("2024-03-01 14:30:00 -0500", "iso", dt.datetime(2024, 3, 1, 19, 30, tzinfo=UTC)),
        ("01.03.2024 14:30:15", "DD.MM.YYYY", dt.datetime(2024, 3, 1, 12, 30, 15, tzinfo=UTC)),
        ("3/1/2024 2:30 PM", "MM/DD/YYYY", dt.datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),
        ("3/1/2024 12:05 am", "MM/DD/YYYY", dt.datetime(2024, 2, 29, 22, 5, tzinfo=UTC)),
        ("2024-03-01 14:30:00.25", "iso", dt.datetime(2024, 3, 1, 12, 30, 0, 250000, tzinfo=UTC)),
        ("2024-10-27 03:30", "iso", dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),  # earlier
        ("45352.604166666664", "excel", dt.datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),
        ("2024-03-01", "iso", dt.datetime(2024, 2, 29, 22, 0, tzinfo=UTC)),
    ],
)
def test_timestamps_in_kyiv_become_utc(cell: str, fmt: str, utc: dt.datetime) -> None:
    for column in (one([cell]), one([cell, "junk"])):  # the clean and the careful path
        values, _ = parse_timestamp(column, fmt, "Europe/Kyiv")
        assert values.type == pa.timestamp("us", tz="UTC")
        assert values[0].as_py() == utc


def test_timestamps_that_do_not_exist_or_make_no_sense() -> None:
    cells = ["2024-03-31 03:30", "2024-03-01 24:00", "2024-03-01T10:00+15:00", "2024-03-01 9:00"]
    values, issues = parse_timestamp(one(cells), "iso", "Europe/Kyiv")
    assert values.to_pylist()[:3] == [None, None, None]
    assert values[3].as_py() == dt.datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
    assert [i.index for i in issues] == [0, 1, 2]
    assert "does not exist in Europe/Kyiv" in issues[0].reason
    with pytest.raises(IngestError, match="unknown time zone"):
        parse_timestamp(one(["2024-03-01"]), "iso", "Mars/Olympus")


def test_fast_and_careful_paths_agree_on_clean_columns() -> None:
    moments = [(d, m, h) for d in (1, 15, 28) for m in (1, 6, 12) for h in (0, 13)]
    cells = [f"{d:02d}.{m:02d}.2024 {h:02d}:15" for d, m, h in moments]
    fast, _ = parse_timestamp(one(cells), "DD.MM.YYYY", "Europe/Kyiv")
    careful, issues = parse_timestamp(one([*cells, "x"]), "DD.MM.YYYY", "Europe/Kyiv")
    assert careful.to_pylist()[:-1] == fast.to_pylist() and [i.index for i in issues] == [18]
    dates_fast, _ = parse_date(one([c[:10] for c in cells]), DateFormat.DMY)
    dates_careful, _ = parse_date(one([c[:10] for c in cells] + ["x"]), DateFormat.DMY)
    assert dates_careful.to_pylist()[:-1] == dates_fast.to_pylist()


# --- properties ----------------------------------------------------------------------------

STYLES = [
    (",", " "), (",", NBSP), (",", NNBSP), (",", "."), (",", "'"), (",", ""),
    (".", ","), (".", " "), (".", "'"), (".", ""),
]  # fmt: skip
DECORATIONS = ["{}", "₴{}", "₴ {}", "{} ₴", "{}грн", "{} грн.", "UAH {}", "{} UAH", "${}", "{} zł"]
NEGATIVES = ["-{}", "−{}", "({})", "{}-"]


def spell(amount: Decimal, decimal: str, group: str, decoration: str, negative: str) -> str:
    """An amount written the way an export might write it."""
    whole, _, frac = f"{abs(amount):.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", group) if group else whole
    text = decoration.format(f"{grouped}{decimal}{frac}")
    return negative.format(text) if amount < 0 else text


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(
        st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
        min_size=1,
        max_size=20,
    ),
    style=st.sampled_from(STYLES),
    decoration=st.sampled_from(DECORATIONS),
    negative=st.sampled_from(NEGATIVES),
)
def test_formatted_money_parses_back_to_the_same_minor_units(
    amounts: list[Decimal], style: tuple[str, str], decoration: str, negative: str
) -> None:
    decimal, group = style
    cells = [spell(a, decimal, group, decoration, negative) for a in amounts]
    values, issues = parse_decimal_minor(one(cells), 2, decimal_hint=decimal)
    assert issues == []
    expected = [int((a * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)) for a in amounts]
    assert values.to_pylist() == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), max_size=15))
def test_parsers_never_raise_on_any_text(cells: list[str | None]) -> None:
    column = one(cells)
    for values, issues in (
        parse_number(column),
        parse_decimal_minor(column, 2),
        parse_int(column),
        parse_bool(column),
        detect_currency(column),
        parse_date(column, DateFormat.DMY),
        parse_timestamp(column, DateFormat.YMD, "Europe/Kyiv"),
        parse_date(column, DateFormat.EXCEL),
    ):
        assert len(values) == len(cells)
        assert all(0 <= issue.index < len(cells) for issue in issues)
        for issue in issues:  # a cell with an issue is always null, and was not empty
            assert values[issue.index].as_py() is None and (cells[issue.index] or "").strip()
