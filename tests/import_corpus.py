"""A corpus of broken and messy import files, generated in code (issue 3, "Bad input").

Every case is a file (name and bytes) for one kind, with what importing it must end in:

- "error": a file-level InputError whose message names the file, the reason and, where the
  case has one, the row;
- "rejected": status 'rejected' with row-level issues (row, column, reason), nothing written;
- "loaded": status 'applied', and the values the optional `check` reads back are right.

`bug` marks a case the product gets wrong today (the test turns it into a strict xfail).
"""

from __future__ import annotations

import codecs
import io
import json
import random
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from salesmetrics.services.workspace import Workspace

Check = Callable[[Workspace], None]
KYIV = ZoneInfo("Europe/Kyiv")
MB = 1 << 20
EXPECTS = ("error", "rejected", "loaded")


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    filename: str
    data: bytes
    expect: str  # "error" | "rejected" | "loaded"
    check: Check | None = None  # loaded: reads the values back from the workspace
    row: int | None = None  # error: the row the message names; rejected: a row an issue names
    column: str | None = None  # rejected: the file header that issue names
    reason: str = ""  # error: part of the message; rejected: part of that reason
    options: dict[str, Any] = field(default_factory=dict)  # more ImportRequest fields
    bug: str | None = None  # a known product bug: the case is expected to fail

    def __post_init__(self) -> None:
        assert self.expect in EXPECTS, self.expect
        assert self.expect != "rejected" or (self.row and self.column), self.name


def error(
    name: str, kind: str, filename: str, data: bytes, reason: str, row: int | None = None, **kw: Any
) -> Case:
    return Case(name, kind, filename, data, "error", row=row, reason=reason, **kw)


def rejected(
    name: str,
    kind: str,
    filename: str,
    data: bytes,
    row: int,
    column: str,
    reason: str = "",
    **kw: Any,
) -> Case:
    return Case(name, kind, filename, data, "rejected", row=row, column=column, reason=reason, **kw)


def loaded(
    name: str, kind: str, filename: str, data: bytes, check: Check | None = None, **kw: Any
) -> Case:
    return Case(name, kind, filename, data, "loaded", check=check, **kw)


# --- text building blocks -----------------------------------------------------------------


def lines(*rows: str, eol: str = "\n", final: bool = True) -> str:
    return eol.join(rows) + (eol if final else "")


def utf8(*rows: str, eol: str = "\n") -> bytes:
    return lines(*rows, eol=eol).encode("utf-8")


def at(day: str, clock: str = "00:00") -> datetime:
    """A wall-clock time in Kyiv (the workspace zone) as an aware datetime."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=KYIV)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


ORDERS_HEADER = "order_id,date,customer,amount,currency,status"
ORDERS = (ORDERS_HEADER, "A1,2024-03-01,Ann,12.50,UAH,paid", "A2,2024-03-02,Bob,7.00,UAH,paid")
SEMI_ORDERS_HEADER = "order_id;date;customer;amount;currency;status"
CUSTOMERS_HEADER = "id,name,email,phone"
CUSTOMERS = (
    CUSTOMERS_HEADER,
    "K1,Олена Коваль,olena@example.com,0501234567",
    "K2,Ivan Petrenko,ivan@example.com,+380671112233",
)
PRODUCTS_HEADER = "id,sku,name,price,currency"
PRODUCTS = (PRODUCTS_HEADER, "P1,SKU-1,Кава зернова,250.00,UAH", "P2,SKU-2,Чай,99.90,UAH")
DEALS_HEADER = "id,title,amount,currency,created,status"
DEALS = (
    DEALS_HEADER,
    "D1,Big deal,1500.00,USD,2024-02-01,open",
    "D2,Small deal,300.00,USD,2024-02-03,won",
)

# The valid import every test makes first, so that "nothing written" means something.
SEED_KIND = "orders"
SEED_FILE = "seed.csv"
SEED_DATA = utf8(
    ORDERS_HEADER,
    "SEED-1,2024-01-10,Seed Customer,100.00,UAH,paid",
    "SEED-2,2024-01-11,Seed Customer,50.25,UAH,paid",
)


# --- checks: what a loaded file must have put in the workspace ----------------------------


def _by_id(ws: Workspace, sql: str, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    marks = ", ".join("?" for _ in ids)
    found = ws.store.fetchall(sql.format(marks=marks), list(ids))
    return {str(r[0]): tuple(r[1:]) for r in found}


def _expect_rows(what: str, sql: str, expected: dict[str, tuple[Any, ...]]) -> Check:
    def check(ws: Workspace) -> None:
        got = _by_id(ws, sql, list(expected))
        assert got == expected, f"{what}: got {got!r}, expected {expected!r}"

    return check


def orders_are(expected: dict[str, tuple[int, str, datetime]]) -> Check:
    """Orders by external id: (total in minor units, currency, ordered_at)."""
    return _expect_rows(
        "orders",
        "SELECT external_id, total_minor, currency, ordered_at FROM orders "
        "WHERE external_id IN ({marks})",
        dict(expected),
    )


def customers_are(expected: dict[str, tuple[str | None, str | None, str | None]]) -> Check:
    """Customers by external id: (name, email, phone)."""
    return _expect_rows(
        "customers",
        "SELECT external_id, name, email, phone FROM customers WHERE external_id IN ({marks})",
        dict(expected),
    )


def products_are(expected: dict[str, tuple[str, int | None, str]]) -> Check:
    """Products by external id: (name, unit price in minor units, currency)."""
    return _expect_rows(
        "products",
        "SELECT external_id, name, unit_price_minor, currency FROM products "
        "WHERE external_id IN ({marks})",
        dict(expected),
    )


def deals_are(expected: dict[str, tuple[int, str, datetime]]) -> Check:
    """Deals by external id: (amount in minor units, currency, created_at)."""
    return _expect_rows(
        "deals",
        "SELECT external_id, amount_minor, currency, created_at FROM deals "
        "WHERE external_id IN ({marks})",
        dict(expected),
    )


def customer_names_are(expected: list[str]) -> Check:
    """Exactly these customer names besides the seed's, stored verbatim."""

    def check(ws: Workspace) -> None:
        rows = ws.store.fetchall(
            "SELECT name FROM customers WHERE name IS NOT NULL AND name <> ?", ["Seed Customer"]
        )
        got = sorted(str(r[0]) for r in rows)
        assert got == sorted(expected), f"customer names: {got!r}"

    return check


def column_is(table: str, column: str, ext: str, expected: object) -> Check:
    def check(ws: Workspace) -> None:
        rows = ws.store.fetchall(f"SELECT {column} FROM {table} WHERE external_id = ?", [ext])
        assert rows == [(expected,)], f"{table}.{column} of {ext}: {rows!r}"

    return check


def name_length(table: str, ext: str, n: int) -> Check:
    return column_is(table, "length(name)", ext, n)


def attribute_holds(ext: str, value: str) -> Check:
    def check(ws: Workspace) -> None:
        rows = ws.store.fetchall("SELECT attributes FROM customers WHERE external_id = ?", [ext])
        assert len(rows) == 1 and value in str(rows[0][0]), f"attributes of {ext}: {rows!r}"

    return check


def both(*checks: Check) -> Check:
    def check(ws: Workspace) -> None:
        for one in checks:
            one(ws)

    return check


ORDERS_OK = orders_are(
    {"A1": (1250, "UAH", at("2024-03-01")), "A2": (700, "UAH", at("2024-03-02"))}
)
CUSTOMERS_OK = customers_are(
    {
        "K1": ("Олена Коваль", "olena@example.com", "+380501234567"),
        "K2": ("Ivan Petrenko", "ivan@example.com", "+380671112233"),
    }
)


# --- binary formats, made in memory -------------------------------------------------------


def xlsx(
    rows: Sequence[Sequence[Any]], *, title: str | None = None, strings: bool = False
) -> bytes:
    """A one-sheet workbook; `strings` writes every cell as text (so '=SUM(A1)' stays text)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("Sales")
    dates = book.add_format({"num_format": "dd.mm.yyyy"})
    top = 0
    if title is not None:
        sheet.write_string(0, 0, title)
        top = 2
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if strings or isinstance(value, str):
                sheet.write_string(top + r, c, str(value))
            elif isinstance(value, datetime | date):
                sheet.write_datetime(top + r, c, value, dates)
            else:
                sheet.write(top + r, c, value)
    book.close()
    return buf.getvalue()


def parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def jsonl(*objects: object) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode()


def damaged_sheet(book: bytes) -> bytes:
    """The workbook with its sheet XML cut short (the archive itself is fine)."""
    src = zipfile.ZipFile(io.BytesIO(book))
    files = {n: src.read(n) for n in src.namelist()}
    files["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c r='A1' t='s'><v>9"
    return zip_of(files)


UK_HEADER = ["Номер замовлення", "Дата", "Клієнт", "Сума", "Валюта", "Статус"]
ORDERS_XLSX = xlsx(
    [
        UK_HEADER,
        ["A1", datetime(2024, 3, 1), "Ann", 12.5, "UAH", "оплачено"],
        ["A2", datetime(2024, 3, 2), "Bob", 7, "UAH", "оплачено"],
    ]
)
ORDERS_PARQUET = parquet(
    pa.table(
        {
            "order_id": ["A1", "A2"],
            "date": pa.array([date(2024, 3, 1), date(2024, 3, 2)], pa.date32()),
            "customer": ["Ann", "Bob"],
            "amount": [12.5, 7.0],
            "currency": ["UAH", "UAH"],
            "status": ["paid", "paid"],
        }
    )
)
_ORDER_OBJECTS = [
    dict(zip(ORDERS_HEADER.split(","), row.split(","), strict=True)) for row in ORDERS[1:]
]
ORDERS_JSONL = jsonl(*[{**o, "amount": float(o["amount"])} for o in _ORDER_OBJECTS])
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(7).randbytes(200)


# --- the cases ----------------------------------------------------------------------------


def encoding_cases() -> list[Case]:
    uk = lines(
        "Номер замовлення;Дата;Клієнт;Сума, грн;Статус",
        "A1;01.03.2024;ТОВ «Ромашка»;1 234,50;оплачено",
        "A2;02.03.2024;ФОП Іваненко;99,90;оплачено",
        eol="\r\n",
    )
    uk_ok = orders_are(
        {"A1": (123450, "UAH", at("2024-03-01")), "A2": (9990, "UAH", at("2024-03-02"))}
    )
    many = lines(ORDERS_HEADER, *[f"B{i},2024-03-01,Клієнт {i},1.00,UAH,paid" for i in range(30)])
    western = lines(
        CUSTOMERS_HEADER, *[f"W{i},François Lefèvre {i},f{i}@example.com," for i in range(10)]
    )
    latin = lines(CUSTOMERS_HEADER, "K1,Jürgen Müller,j@example.com,", "K2,Zoë,z@example.com,")
    return [
        error(
            "cp1251-bytes-inside-utf8",
            "orders",
            "mixed.csv",
            many.encode() + "Z1,2024-03-02,Ліс Ґанок,2.00,UAH,paid\n".encode("cp1251"),
            "mixes encodings",
            row=32,
        ),
        error(
            "cp1251-line-in-the-middle-of-utf8",
            "customers",
            "mixed_middle.csv",
            lines(*CUSTOMERS).encode()
            + "K3,Ґанна Їжак,hanna@example.com,050\n".encode("cp1251")
            + lines(*[f"K{i},Клієнт Ї{i},k{i}@example.com,050" for i in range(4, 30)]).encode(),
            "mixes encodings",
            row=4,
        ),
        loaded(
            "utf16-le-without-bom",
            "customers",
            "utf16le.csv",
            lines(*CUSTOMERS).encode("utf-16-le"),
            CUSTOMERS_OK,
        ),
        loaded(
            "utf16-be-without-bom",
            "orders",
            "utf16be.csv",
            lines(*ORDERS).encode("utf-16-be"),
            ORDERS_OK,
        ),
        loaded("utf16-with-bom", "orders", "utf16.csv", lines(*ORDERS).encode("utf-16"), ORDERS_OK),
        loaded("utf32-with-bom", "orders", "utf32.csv", lines(*ORDERS).encode("utf-32"), ORDERS_OK),
        error(
            "utf16-cut-to-an-odd-length",
            "orders",
            "utf16_cut.csv",
            lines(*ORDERS).encode("utf-16")[:-1],
            "cannot be read as utf-16",
        ),
        error(
            "latin1-claiming-utf8",
            "customers",
            "latin1.csv",
            latin.encode("latin-1"),
            "cannot be read as utf-8",
            row=2,
            options={"encoding": "utf-8"},
        ),
        error(
            "utf8-bom-then-cp1251",
            "orders",
            "bom_cp1251.csv",
            codecs.BOM_UTF8 + uk.encode("cp1251"),
            "cannot be read as utf-8",
            row=1,
        ),
        error(
            "cp1251-forced-as-utf8",
            "orders",
            "forced.csv",
            uk.encode("cp1251"),
            "cannot be read as utf-8",
            row=1,
            options={"encoding": "utf-8"},
        ),
        error(
            "unknown-encoding-given",
            "orders",
            "klingon.csv",
            utf8(*ORDERS),
            "unknown encoding 'klingon'",
            options={"encoding": "klingon"},
        ),
        loaded(
            "ukrainian-cp1251-semicolons", "orders", "обл_продажі.csv", uk.encode("cp1251"), uk_ok
        ),
        loaded(
            "ukrainian-cp1251-with-title-rows",
            "orders",
            "report_1251.csv",
            ("Звіт про продажі за березень\r\n\r\n" + uk).encode("cp1251"),
            uk_ok,
        ),
        loaded(
            "ukrainian-utf8-bom-semicolons",
            "orders",
            "excel_utf8.csv",
            codecs.BOM_UTF8 + uk.encode(),
            uk_ok,
        ),
        loaded(
            "cp1251-given-explicitly",
            "orders",
            "given.csv",
            uk.encode("cp1251"),
            uk_ok,
            options={"encoding": "cp1251"},
        ),
        loaded(
            "western-cp1252-guessed",
            "customers",
            "western.csv",
            western.encode("cp1252"),
            customers_are({"W0": ("François Lefèvre 0", "f0@example.com", None)}),
        ),
    ]


def truncation_cases() -> list[Case]:
    orders = lines(*ORDERS)
    quoted = lines(ORDERS_HEADER, 'A1,2024-03-01,"Ann, the first",12.50,UAH,paid')
    many = lines(ORDERS_HEADER, *[f"B{i},2024-03-01,C{i},{i}.00,UAH,paid" for i in range(200)])
    char_cut = lines(
        "id,email,name",
        "K1,a@example.com,Олена Коваль",
        "K2,b@example.com,Їжак Ґава Ющенко Євген Ярослав Щука",
    )
    return [
        error(
            "cut-mid-row",
            "orders",
            "cut_row.csv",
            orders.encode()[: orders.index("A2,2024-03-02") + 9],
            "header has 6",
            row=3,
        ),
        error(
            "cut-mid-row-after-many-rows",
            "orders",
            "cut_many.csv",
            many.encode()[:-17],
            "header has 6",
            row=201,
        ),
        error(
            "cut-mid-quote",
            "orders",
            "cut_quote.csv",
            quoted.encode()[: quoted.index("the first")],
            "never closed",
            row=2,
        ),
        error(
            "cut-mid-multibyte-char",
            "customers",
            "cut_char.csv",
            char_cut.encode()[:-2],
            "mixes encodings",
            row=3,
        ),
        loaded(
            "cut-before-the-final-newline",
            "orders",
            "no_final_newline.csv",
            lines(*ORDERS, final=False).encode(),
            ORDERS_OK,
        ),
        error(
            "cut-inside-the-header",
            "orders",
            "cut_header.csv",
            b"order_id,da",
            "header but no data rows",
        ),
    ]


def structure_cases() -> list[Case]:
    return [
        error("empty-file", "orders", "empty.csv", b"", "empty"),
        error("whitespace-only", "orders", "blank.csv", b"  \n\t\n   \r\n\n", "empty"),
        error("bom-only", "customers", "bom.csv", codecs.BOM_UTF8, "empty"),
        error(
            "header-only",
            "orders",
            "header_only.csv",
            utf8(ORDERS_HEADER),
            "no data rows",
        ),
        error(
            "header-and-empty-rows",
            "customers",
            "header_blank.csv",
            utf8(CUSTOMERS_HEADER, "", ",,,", ""),
            "no data rows",
        ),
        error(
            "header-only-with-an-extra-column",
            "customers",
            "header_extra.csv",
            utf8(CUSTOMERS_HEADER + ",colour"),
            "no data rows",
        ),
        error(
            "header-only-deals-with-a-status-column",
            "deals",
            "deals_header.csv",
            utf8(DEALS_HEADER),
            "no data rows",
        ),
        error(
            "header-only-deals",
            "deals",
            "deals_header_short.csv",
            utf8("id,title,amount,created"),
            "no data rows",
        ),
        error(
            "mixed-delimiters-comma-and-semicolon",
            "orders",
            "mixed_delims.csv",
            utf8(*ORDERS, "A3;2024-03-03;Cid;5.00;UAH;paid"),
            "has 1 cell",
            row=4,
        ),
        error(
            "mixed-delimiters-tab-rows",
            "customers",
            "mixed_tabs.csv",
            utf8(*CUSTOMERS, "K3\tTab Person\ttab@example.com\t050", "K4,Ok,ok@example.com,050"),
            "header has 4",
            row=4,
        ),
        error(
            "ragged-too-many-cells",
            "orders",
            "too_many.csv",
            utf8(*ORDERS, "A3,2024-03-03,Cid,5.00,UAH,paid,extra,more"),
            "has 8 cells",
            row=4,
        ),
        error(
            "ragged-too-few-cells",
            "products",
            "too_few.csv",
            utf8(PRODUCTS_HEADER, "P1,SKU-1,Кава", *PRODUCTS[1:]),
            "has 3 cells",
            row=2,
        ),
        error(
            "ragged-rows-are-listed",
            "deals",
            "ragged_many.csv",
            utf8(*DEALS, "D3,x", "D4,y", "D5,z"),
            "also rows 5, 6",
            row=4,
        ),
        error(
            "quote-left-open-at-the-end",
            "orders",
            "open_quote_end.csv",
            utf8(*ORDERS, 'A3,2024-03-03,"Cid,5.00,UAH,paid'),
            "never closed",
            row=4,
        ),
        error(
            "quote-left-open-in-the-middle",
            "customers",
            "open_quote_mid.csv",
            utf8(
                CUSTOMERS_HEADER,
                'K1,"Олена Коваль,olena@example.com,050',
                *[f"K{i},Name {i},n{i}@example.com,050" for i in range(2, 8)],
                'K9,"Closing",c@example.com,050',
            ),
            "quote",
            row=2,
        ),
        loaded(
            "quote-closed-then-more-text",
            "customers",
            "quote_text.csv",
            utf8(CUSTOMERS_HEADER, 'K1,"Олена" Коваль,o@example.com,050'),
            customers_are({"K1": ("Олена Коваль", "o@example.com", "050")}),
        ),
        error(
            "duplicate-headers",
            "orders",
            "dup_headers.csv",
            utf8("order_id,date,amount,amount,currency,status", "A1,2024-03-01,1,2,UAH,paid"),
            "repeats column names",
            row=1,
        ),
        error(
            "duplicate-headers-below-a-title",
            "customers",
            "dup_title.csv",
            utf8("Customers export", "", "id,name,name,email", "K1,a,b,a@example.com"),
            "'name' (columns 2, 3)",
            row=3,
        ),
        error(
            "duplicate-headers-differing-in-spaces",
            "products",
            "dup_spaces.csv",
            utf8("id, name ,name,price", "P1,a,b,1"),
            "repeats column names",
            row=1,
        ),
        loaded(
            "empty-header-over-data",
            "orders",
            "unnamed_column.csv",
            utf8(
                "order_id,date,,amount,currency,status",
                "A1,2024-03-01,note,12.50,UAH,paid",
                "A2,2024-03-02,,7,UAH,paid",
            ),
            ORDERS_OK,
        ),
        error(
            "empty-header-row",
            "orders",
            "no_names.csv",
            utf8(",,,", "A1,2024-03-01,1,UAH", "A2,2024-03-02,2,UAH"),
            "no column for the required field",
        ),
        error(
            "numbers-where-the-header-should-be",
            "deals",
            "no_header.csv",
            utf8("1,2024-01-01,100", "2,2024-01-02,200"),
            "no header row",
            row=1,
        ),
        error(
            "bom-in-the-middle",
            "orders",
            "bom_middle.csv",
            utf8(*ORDERS[:2]) + codecs.BOM_UTF8 + utf8(*ORDERS[2:]),
            "byte-order mark",
            row=3,
        ),
        error(
            "bom-in-the-middle-of-utf16",
            "orders",
            "bom_middle16.csv",
            lines(*ORDERS[:2]).encode("utf-16") + lines(*ORDERS[2:]).encode("utf-16"),
            "byte-order mark",
            row=3,
        ),
        error(
            "two-files-joined",
            "customers",
            "joined.csv",
            codecs.BOM_UTF8 + utf8(*CUSTOMERS) + codecs.BOM_UTF8 + utf8(CUSTOMERS_HEADER, "K9,x,,"),
            "byte-order mark",
            row=4,
        ),
        error(
            "nul-byte-in-a-cell",
            "orders",
            "nul.csv",
            utf8(*ORDERS).replace(b"Bob", b"B\x00b"),
            "NUL byte",
            row=3,
        ),
        error("nul-bytes-everywhere", "customers", "nuls.csv", b"\x00" * 2000, "binary"),
        loaded(
            "trailing-delimiters-on-every-row",
            "orders",
            "trailing_delims.csv",
            utf8(ORDERS_HEADER + ",,", *[r + ",," for r in ORDERS[1:]]),
            ORDERS_OK,
        ),
        loaded(
            "quoted-headers",
            "customers",
            "quoted_headers.csv",
            utf8('"id","name","email","phone"', *CUSTOMERS[1:]),
            CUSTOMERS_OK,
        ),
    ]


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value


def formula_cases() -> list[Case]:
    formulas = ["=SUM(A1)", "+cmd|' /C calc'!A0", "@x", "-2+3", '=HYPERLINK("http://x")', "=1+1"]
    rows = [f"F{i},{_quote(v)},f{i}@example.com," for i, v in enumerate(formulas)]
    sheet = [["id", "name", "email"], *[[f"F{i}", v, None] for i, v in enumerate(formulas)]]
    return [
        loaded(
            "formula-cells-kept-as-text",
            "customers",
            "formulas.csv",
            utf8(CUSTOMERS_HEADER, *rows),
            customer_names_are(formulas),
        ),
        loaded(
            "formula-text-cells-in-xlsx",
            "customers",
            "formulas.xlsx",
            xlsx(sheet, strings=True),
            customer_names_are(formulas),
        ),
        rejected(
            "formula-in-an-amount",
            "orders",
            "formula_amount.csv",
            utf8(*ORDERS, "A3,2024-03-03,Cid,=SUM(D2:D3),UAH,paid"),
            4,
            "amount",
            "not a number",
        ),
        rejected(
            "formula-in-a-date",
            "deals",
            "formula_date.csv",
            utf8(*DEALS, "D3,x,5.00,USD,=TODAY(),open"),
            4,
            "created",
            "not a date",
        ),
        rejected(
            "dde-formula-in-a-price",
            "products",
            "dde.csv",
            utf8(*PRODUCTS, "P3,SKU-3,Evil,\"=cmd|' /C calc'!A0\",UAH"),
            4,
            "price",
            "not a number",
        ),
    ]


def big_cases() -> list[Case]:
    cyrillic = "Я" * (MB // 2)  # 1 MB of UTF-8
    plain = "x" * MB
    multiline = ("line, with comma" + "\n") * 60_000
    return [
        loaded(
            "one-megabyte-quoted-cell",
            "customers",
            "big_name.csv",
            utf8(CUSTOMERS_HEADER, f'K1,"{cyrillic}",big@example.com,050', "K2,Small,s@x.com,"),
            name_length("customers", "K1", len(cyrillic)),
        ),
        loaded(
            "one-megabyte-unquoted-cell",
            "products",
            "big_unquoted.csv",
            utf8(PRODUCTS_HEADER, f"P1,SKU-1,{plain},1.00,UAH", "P2,SKU-2,Tea,2.00,UAH"),
            both(products_are({"P2": ("Tea", 200, "UAH")}), name_length("products", "P1", MB)),
        ),
        loaded(
            "one-megabyte-cell-of-lines",
            "customers",
            "big_lines.csv",
            utf8(CUSTOMERS_HEADER, f'K1,"{multiline}",l@example.com,050', "K2,b,b@x.com,"),
            both(
                name_length("customers", "K1", len(multiline.strip())),
                customers_are({"K2": ("b", "b@x.com", None)}),
            ),
        ),
        rejected(
            "one-megabyte-amount",
            "orders",
            "big_amount.csv",
            utf8(*ORDERS, f"A3,2024-03-03,Cid,{'9' * MB},UAH,paid"),
            4,
            "amount",
        ),
        error(
            "one-megabyte-cell-with-a-quote-left-open",
            "customers",
            "big_open.csv",
            utf8(*CUSTOMERS, f'K3,"{plain},x@example.com,050'),
            "never closed",
            row=4,
        ),
        loaded(
            "one-megabyte-header-name",
            "customers",
            "big_header.csv",
            utf8(f"id,name,{plain}", "K1,a,b"),
            customers_are({"K1": ("a", None, None)}),
        ),
    ]


def binary_cases() -> list[Case]:
    rng = random.Random(20240301)
    book = ORDERS_XLSX
    return [
        error("random-bytes", "orders", "random.csv", rng.randbytes(4096), ""),
        error("random-bytes-no-extension", "customers", "random", rng.randbytes(1000), ""),
        error(
            "random-high-bytes",
            "products",
            "high.csv",
            bytes(rng.randrange(0x80, 0x100) for _ in range(3000)),
            "",
        ),
        error("png-named-csv", "orders", "photo.csv", PNG, "PNG image"),
        error("png-named-xlsx", "orders", "photo.xlsx", PNG, "PNG image"),
        error(
            "pdf-named-csv",
            "deals",
            "deals.csv",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
            "PDF document",
        ),
        error(
            "gzip-named-csv",
            "orders",
            "orders.csv",
            b"\x1f\x8b\x08\x00" + rng.randbytes(99),
            "gzip",
        ),
        error("elf-named-csv", "orders", "prog.csv", b"\x7fELF\x02\x01\x01" + bytes(100), "ELF"),
        error(
            "old-xls-named-xlsx",
            "orders",
            "old.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
            "97-2003",
        ),
        error(
            "zip-renamed-xlsx",
            "orders",
            "archive.xlsx",
            zip_of({"orders.csv": utf8(*ORDERS)}),
            "ZIP archive",
        ),
        error("empty-zip-renamed-xlsx", "orders", "empty_zip.xlsx", zip_of({}), "ZIP archive"),
        error(
            "docx-renamed-xlsx",
            "customers",
            "letter.xlsx",
            zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
            "Word document",
        ),
        error("xlsx-renamed-csv", "orders", "orders_xlsx.csv", book, "rename it to .xlsx"),
        error(
            "xlsx-truncated",
            "orders",
            "cut.xlsx",
            book[: len(book) // 2],
            "damaged or truncated",
        ),
        error("xlsx-cut-to-30-bytes", "orders", "cut_head.xlsx", book[:30], "truncated"),
        error("xlsx-with-a-damaged-sheet", "orders", "bad_sheet.xlsx", damaged_sheet(book), ""),
        error(
            "parquet-truncated",
            "orders",
            "cut.parquet",
            ORDERS_PARQUET[: len(ORDERS_PARQUET) // 2],
            "not a readable Parquet file",
        ),
        error("parquet-magic-only", "orders", "magic.parquet", b"PAR1", "not a readable Parquet"),
        error(
            "parquet-footer-cut",
            "products",
            "footer.parquet",
            ORDERS_PARQUET[:-6],
            "not a readable Parquet file",
        ),
        error(
            "parquet-renamed-csv",
            "orders",
            "orders_pq.csv",
            ORDERS_PARQUET,
            "rename it to .parquet",
        ),
        error("csv-renamed-parquet", "orders", "orders.parquet", utf8(*ORDERS), "plain text"),
        error("csv-renamed-xlsx", "orders", "orders_text.xlsx", utf8(*ORDERS), "plain text"),
        error(
            "jsonl-broken-line",
            "orders",
            "broken.jsonl",
            ORDERS_JSONL + b'{"order_id": "A3", "date": "2024-03-03", "amount": \n',
            "not JSON",
            row=3,
        ),
        error(
            "jsonl-array-line",
            "customers",
            "array.jsonl",
            jsonl({"id": "K1", "name": "a"}, ["K2", "b"]),
            "an array",
            row=2,
        ),
        error(
            "jsonl-truncated-mid-object",
            "orders",
            "cut.jsonl",
            ORDERS_JSONL[:-20],
            "not JSON",
            row=2,
        ),
        error(
            "jsonl-nested-too-deeply",
            "customers",
            "deep.jsonl",
            b'{"id": "K1", "name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
            "nested too deeply",
            row=1,
        ),
        error("jsonl-blank-lines-only", "orders", "blank.jsonl", b"\n\n  \n", "empty"),
    ]


def value_cases() -> list[Case]:
    return [
        rejected(
            "amount-with-two-commas",
            "orders",
            "two_commas.csv",
            utf8(
                SEMI_ORDERS_HEADER,
                "A1;01.03.2024;Ann;12,50;UAH;paid",
                "A2;02.03.2024;Bob;12,5,0;UAH;paid",
            ),
            3,
            "amount",
            "'12,5,0' is not a number",
        ),
        rejected(
            "amount-is-a-word",
            "orders",
            "word_amount.csv",
            utf8(*ORDERS, "A3,2024-03-03,Cid,twelve,UAH,paid"),
            4,
            "amount",
            "not a number",
        ),
        rejected(
            "amount-in-exponent-notation",
            "orders",
            "exponent.csv",
            utf8(*ORDERS, "A3,2024-03-03,Cid,1e3,UAH,paid"),
            4,
            "amount",
            "not a number",
        ),
        rejected(
            "amount-too-large",
            "deals",
            "huge_amount.csv",
            utf8(*DEALS, "D3,x,99999999999999999999.00,USD,2024-02-05,open"),
            4,
            "amount",
            "too large",
        ),
        rejected(
            "amount-with-thirty-digits",
            "orders",
            "thirty_digits.csv",
            utf8(*ORDERS, "A3,2024-03-03,Cid,123456789012345678901234567890.12,UAH,paid"),
            4,
            "amount",
            "too large",
        ),
        rejected(
            "price-in-the-other-decimal-style",
            "products",
            "styles.csv",
            utf8(
                "id;sku;name;price;currency",
                "P1;S1;a;1 234,50;UAH",
                "P2;S2;b;12,5;UAH",
                "P3;S3;c;1,234.50;UAH",
            ),
            4,
            "price",
            "number format",
        ),
        rejected(
            "impossible-date-31-february",
            "orders",
            "feb31.csv",
            utf8(
                SEMI_ORDERS_HEADER,
                "A1;28.02.2024;Ann;1;UAH;paid",
                "A2;31.02.2024;Bob;2;UAH;paid",
            ),
            3,
            "date",
            "not a real date",
        ),
        rejected(
            "impossible-iso-date",
            "deals",
            "iso_bad.csv",
            utf8(*DEALS, "D3,x,5.00,USD,2023-02-29,open"),
            4,
            "created",
            "not a real date",
        ),
        rejected(
            "impossible-month",
            "orders",
            "month13.csv",
            utf8(ORDERS_HEADER, "A1,2024-13-01,Ann,1,UAH,paid", *ORDERS[1:]),
            2,
            "date",
            "not a real date",
        ),
        rejected(
            "impossible-time",
            "orders",
            "time25.csv",
            utf8(*ORDERS, "A3,2024-03-03 25:61,Cid,5,UAH,paid"),
            4,
            "date",
            "impossible time",
        ),
        rejected(
            "time-skipped-by-the-clock-change",
            "orders",
            "dst.csv",
            utf8(*ORDERS, "A3,2024-03-31 03:30,Cid,5,UAH,paid"),
            4,
            "date",
            "does not exist",
        ),
        rejected(
            "a-word-in-a-date-column",
            "orders",
            "yesterday.csv",
            utf8(*ORDERS, "A3,yesterday,Cid,5,UAH,paid"),
            4,
            "date",
            "not a date",
        ),
        rejected(
            "mixed-date-formats",
            "deals",
            "mixed_dates.csv",
            utf8(*DEALS, "D3,x,5.00,USD,05.02.2024,open"),
            4,
            "created",
            "YYYY-MM-DD",
        ),
        error(
            "ambiguous-date-column",
            "orders",
            "ambiguous.csv",
            utf8(
                ORDERS_HEADER,
                "A1,01/02/2024,Ann,1,UAH,paid",
                "A2,03/04/2024,Bob,2,UAH,paid",
                "A3,05/06/2024,Cid,3,UAH,paid",
            ),
            "ambiguous",
        ),
        error(
            "ambiguous-ukrainian-date-column",
            "orders",
            "ambiguous_uk.csv",
            utf8("order_id,Дата,amount", "A1,01/02/2024,1", "A2,03-04-2024,2"),
            "column 'Дата' is ambiguous",
        ),
        error(
            "day-first-and-month-first-mixed",
            "deals",
            "dmy_mdy.csv",
            utf8(DEALS_HEADER, "D1,a,1,USD,13/01/2024,open", "D2,b,2,USD,01/13/2024,open"),
            "mixes day-first and month-first",
        ),
        error(
            "no-value-looks-like-a-date",
            "orders",
            "no_dates.csv",
            utf8(ORDERS_HEADER, "A1,soon,Ann,1,UAH,paid", "A2,later,Bob,2,UAH,paid"),
            "no value looks like a date",
        ),
        rejected(
            "negative-price",
            "products",
            "negative_price.csv",
            utf8(*PRODUCTS, "P3,SKU-3,Борг,-5.00,UAH"),
            4,
            "price",
            "less than 0",
        ),
        rejected(
            "negative-price-in-brackets",
            "products",
            "bracket_price.csv",
            utf8(*PRODUCTS, "P3,SKU-3,Борг,(5.00),UAH"),
            4,
            "price",
            "less than 0",
        ),
        rejected(
            "negative-price-with-a-spaced-minus",
            "products",
            "spaced_minus.csv",
            utf8(*PRODUCTS, "P3,SKU-3,Борг,- 5,UAH"),
            4,
            "price",
            "less than 0",
        ),
        rejected(
            "negative-deal-amount",
            "deals",
            "negative_deal.csv",
            utf8(*DEALS, "D3,x,-10.00,USD,2024-02-05,open"),
            4,
            "amount",
            "less than 0",
        ),
        rejected(
            "negative-discount",
            "orders",
            "negative_discount.csv",
            utf8(
                "order_id,date,customer,amount,discount,currency,status",
                "A1,2024-03-01,Ann,10.00,-1.00,UAH,paid",
            ),
            2,
            "discount",
            "less than 0",
        ),
        rejected(
            "currency-is-a-word",
            "products",
            "bad_currency.csv",
            utf8(*PRODUCTS, "P3,SKU-3,Кекс,5.00,Dollars"),
            4,
            "currency",
            "not a currency code",
        ),
        rejected(
            "currency-too-short",
            "deals",
            "short_currency.csv",
            utf8(*DEALS, "D3,x,5.00,US,2024-02-05,open"),
            4,
            "currency",
            "not a currency code",
        ),
        rejected(
            "unknown-currency-code",
            "orders",
            "xyz.csv",
            utf8(*ORDERS, "A3,2024-03-03,Cid,5.00,XYZ,paid"),
            4,
            "currency",
            "currency",
        ),
        rejected(
            "unknown-currency-code-in-a-cell",
            "products",
            "qqq.csv",
            utf8("id,name,price", "P1,a,5.00 QQQ"),
            2,
            "price",
            "not a number",
        ),
        rejected(
            "two-currencies-in-one-cell",
            "products",
            "two_currencies.csv",
            utf8("id,name,price", "P1,a,$5.00 грн", "P2,b,5.00"),
            2,
            "price",
            "two different currencies",
        ),
        rejected(
            "currency-sign-contradicts-the-currency-column",
            "orders",
            "clash.csv",
            utf8(ORDERS_HEADER, "A1,2024-03-01,Ann,$12.50,UAH,paid"),
            2,
            "amount",
            "currenc",
        ),
        rejected(
            "duplicate-ids-customers",
            "customers",
            "dup_customers.csv",
            utf8(*CUSTOMERS, "K1,Олена Друга,olena2@example.com,"),
            4,
            "id",
            "appears again",
        ),
        rejected(
            "duplicate-ids-products",
            "products",
            "dup_products.csv",
            utf8(*PRODUCTS, "P2,SKU-9,Чай ще раз,1.00,UAH"),
            4,
            "id",
            "first at row 3",
        ),
        rejected(
            "duplicate-ids-deals-with-spaces",
            "deals",
            "dup_deals.csv",
            utf8(*DEALS, " D1 ,Again,1.00,USD,2024-02-05,open"),
            4,
            "id",
            "appears again",
        ),
        rejected(
            "duplicate-order-id-with-another-date",
            "orders",
            "dup_orders.csv",
            utf8(*ORDERS, "A1,2024-04-01,Ann,1.00,UAH,paid"),
            4,
            "date",
            "disagree",
        ),
        rejected(
            "duplicate-customers-by-email",
            "customers",
            "dup_email.csv",
            utf8(*CUSTOMERS, "K3,Олена К.,OLENA@example.com,"),
            4,
            "email",
        ),
        rejected(
            "duplicate-customers-by-phone",
            "customers",
            "dup_phone.csv",
            utf8(*CUSTOMERS, "K3,Олена К.,,+380 50 123 45 67"),
            4,
            "phone",
        ),
        error(
            "missing-required-column-order-date",
            "orders",
            "no_date.csv",
            utf8("order_id,customer,amount,currency,status", "A1,Ann,1,UAH,paid"),
            "no column for the required field(s) ordered_at",
        ),
        error(
            "missing-required-column-product-name",
            "products",
            "no_name.csv",
            utf8("id,sku,price", "P1,S1,1.00"),
            "required field(s) name",
        ),
        error(
            "missing-required-column-deal-amount",
            "deals",
            "no_amount.csv",
            utf8("id,title,created", "D1,a,2024-01-01"),
            "amount_minor",
        ),
        rejected(
            "required-cell-empty-order-date",
            "orders",
            "empty_date.csv",
            utf8(*ORDERS, "A3,,Cid,5.00,UAH,paid"),
            4,
            "date",
            "required",
        ),
        rejected(
            "required-cell-empty-order-id",
            "orders",
            "empty_id.csv",
            utf8(*ORDERS, ",2024-03-03,Cid,5.00,UAH,paid"),
            4,
            "order_id",
            "required",
        ),
        rejected(
            "required-cell-blank-product-name",
            "products",
            "empty_name.csv",
            utf8(*PRODUCTS, "P3,SKU-3,   ,1.00,UAH"),
            4,
            "name",
            "required",
        ),
        rejected(
            "required-cell-empty-deal-amount",
            "deals",
            "empty_amount.csv",
            utf8(*DEALS, "D3,x,,USD,2024-02-05,open"),
            4,
            "amount",
            "required",
        ),
        rejected(
            "bad-email",
            "customers",
            "bad_email.csv",
            utf8(*CUSTOMERS, "K3,Nobody,not-an-email,050"),
            4,
            "email",
            "not an email",
        ),
        rejected(
            "unknown-order-status",
            "orders",
            "bad_status.csv",
            utf8(*ORDERS, "A3,2024-03-03,Cid,5.00,UAH,shipped?"),
            4,
            "status",
            "not one of",
        ),
        rejected(
            "fractional-quantity",
            "orders",
            "half_qty.csv",
            utf8(
                "order_id,date,customer,quantity,price,currency,status",
                "A1,2024-03-01,Ann,2.5,10.00,UAH,paid",
            ),
            2,
            "quantity",
            "whole number",
        ),
        rejected(
            "unknown-lead-rolls-back-created-customers",
            "deals",
            "unknown_lead.csv",
            utf8(
                "id,title,customer,stage,lead,amount,currency,created",
                "D1,a,Нова Фірма,Переговори,L-404,10.00,USD,2024-02-01",
            ),
            2,
            "lead",
            "unknown lead",
        ),
        rejected(
            "unknown-customer-when-links-are-not-created",
            "orders",
            "strict_links.csv",
            utf8(*ORDERS),
            2,
            "customer",
            "unknown customer",
            options={"create_missing": False},
        ),
        rejected(
            "bad-cell-in-xlsx-names-the-excel-row",
            "orders",
            "bad.xlsx",
            xlsx(
                [
                    ["Номер замовлення", "Дата", "Сума", "Валюта", "Статус"],
                    ["A1", datetime(2024, 3, 1), 12.5, "UAH", "paid"],
                    ["A2", datetime(2024, 3, 2), "дванадцять", "UAH", "paid"],
                ],
                title="Звіт",
            ),
            5,
            "Сума",
            "not a number",
        ),
        rejected(
            "bad-cell-in-jsonl-names-the-line",
            "products",
            "bad.jsonl",
            b"\n"
            + jsonl(
                {"id": "P1", "name": "a", "price": 1.5}, {"id": "P2", "name": "b", "price": -2}
            ),
            3,
            "price",
            "less than 0",
        ),
        rejected(
            "bad-cell-in-parquet-names-the-record",
            "deals",
            "bad.parquet",
            parquet(
                pa.table(
                    {
                        "id": ["D1", "D2"],
                        "amount": [10.0, -3.0],
                        "created": ["2024-02-01", "2024-02-02"],
                    }
                )
            ),
            2,
            "amount",
            "less than 0",
        ),
        rejected(
            "bad-row-after-a-multiline-cell",
            "customers",
            "multiline_bad.csv",
            utf8(CUSTOMERS_HEADER, 'K1,"Олена\nКоваль",o@example.com,050', "K2,Bad,bad-email,050"),
            4,
            "email",
            "not an email",
        ),
        rejected(
            "many-bad-rows",
            "orders",
            "many_bad.csv",
            utf8(ORDERS_HEADER, *[f"B{i},2024-03-01,C,x{i},UAH,paid" for i in range(50)]),
            51,
            "amount",
            "'x49' is not a number",
        ),
    ]


def messy_valid_cases() -> list[Case]:
    decimal_commas = utf8(
        SEMI_ORDERS_HEADER,
        "A1;01.03.2024;Ann;1 234,50;UAH;paid",
        "A2;02.03.2024;Bob;12\u00a0345,00;UAH;paid",
        "A3;03.03.2024;Cid;0,99;UAH;paid",
    )
    dollars = utf8(
        "order_id,date,customer,amount,status",
        'A1,2024-03-01,Ann,"$1,234.50",paid',
        "A2,2024-03-02,Bob,$12.50,paid",
        "A3,2024-03-03,Cid,USD 3.10,paid",
        "A4,2024-03-04,Dan,€ 5,paid",
        "A5,2024-03-05,Eve,7.25 EUR,paid",
    )
    hryvnias = utf8(
        "order_id;date;customer;amount;status",
        "A1;01.03.2024;Ann;₴1 234,50;paid",
        "A2;02.03.2024;Bob;12,50 грн;paid",
        "A3;03.03.2024;Cid;UAH 7,00;paid",
        "A4;04.03.2024;Dan;9,99 ₴;paid",
    )
    return [
        loaded("utf8-bom", "orders", "bom.csv", codecs.BOM_UTF8 + utf8(*ORDERS), ORDERS_OK),
        loaded("crlf", "orders", "crlf.csv", utf8(*ORDERS, eol="\r\n"), ORDERS_OK),
        loaded(
            "classic-mac-line-endings",
            "orders",
            "mac.csv",
            lines(*ORDERS, eol="\r").encode(),
            ORDERS_OK,
        ),
        loaded(
            "trailing-blank-lines",
            "orders",
            "trailing.csv",
            utf8(*ORDERS) + b"\n\n\r\n,,,,,\n\n",
            ORDERS_OK,
        ),
        loaded(
            "trailing-line-of-spaces",
            "orders",
            "trailing_spaces.csv",
            utf8(*ORDERS) + b"   \n",
            ORDERS_OK,
        ),
        loaded(
            "blank-lines-between-rows",
            "customers",
            "gaps.csv",
            utf8(CUSTOMERS[0], "", CUSTOMERS[1], "", "", CUSTOMERS[2]),
            CUSTOMERS_OK,
        ),
        loaded(
            "title-rows-above-the-header",
            "orders",
            "titled.csv",
            utf8("Orders export", "Period: March 2024", "", *ORDERS),
            ORDERS_OK,
        ),
        loaded(
            "quoted-delimiters-and-newlines",
            "customers",
            "quoted.csv",
            utf8(
                "id,name,email,company",
                'K1,"Коваль, Олена",o@example.com,"ТОВ ""Ромашка""\nКиїв"',
                'K2,"Petrenko; Ivan",i@example.com,"a,b,c"',
            ),
            both(
                customers_are(
                    {
                        "K1": ("Коваль, Олена", "o@example.com", None),
                        "K2": ("Petrenko; Ivan", "i@example.com", None),
                    }
                ),
                column_is("customers", "company", "K1", 'ТОВ "Ромашка"\nКиїв'),
            ),
        ),
        loaded(
            "decimal-commas-with-thousands-spaces",
            "orders",
            "decimal_comma.csv",
            decimal_commas,
            orders_are(
                {
                    "A1": (123450, "UAH", at("2024-03-01")),
                    "A2": (1234500, "UAH", at("2024-03-02")),
                    "A3": (99, "UAH", at("2024-03-03")),
                }
            ),
        ),
        loaded(
            "apostrophe-thousands",
            "products",
            "swiss.csv",
            utf8("id,name,price,currency", "P1,a,1'234.50,CHF", "P2,b,99.00,CHF"),
            products_are({"P1": ("a", 123450, "CHF"), "P2": ("b", 9900, "CHF")}),
        ),
        loaded(
            "dollar-and-euro-signs-in-cells",
            "orders",
            "signs.csv",
            dollars,
            orders_are(
                {
                    "A1": (123450, "USD", at("2024-03-01")),
                    "A2": (1250, "USD", at("2024-03-02")),
                    "A3": (310, "USD", at("2024-03-03")),
                    "A4": (500, "EUR", at("2024-03-04")),
                    "A5": (725, "EUR", at("2024-03-05")),
                }
            ),
        ),
        loaded(
            "hryvnia-signs-with-decimal-commas",
            "orders",
            "hryvnia.csv",
            hryvnias,
            orders_are(
                {
                    "A1": (123450, "UAH", at("2024-03-01")),
                    "A2": (1250, "UAH", at("2024-03-02")),
                    "A3": (700, "UAH", at("2024-03-03")),
                    "A4": (999, "UAH", at("2024-03-04")),
                }
            ),
        ),
        loaded(
            "currency-named-in-the-header",
            "deals",
            "deals_usd.csv",
            utf8("id,title,Amount (USD),created", "D1,a,1 500.00,2024-02-01"),
            deals_are({"D1": (150000, "USD", at("2024-02-01"))}),
        ),
        loaded(
            "refund-in-brackets",
            "orders",
            "refund.csv",
            utf8(ORDERS_HEADER, "R1,2024-03-01,Ann,(12.50),UAH,refunded"),
            orders_are({"R1": (-1250, "UAH", at("2024-03-01"))}),
        ),
        loaded(
            "order-with-several-lines",
            "orders",
            "lines.csv",
            utf8(
                "order_id,date,customer,product,qty,price,currency,status",
                "A1,2024-03-01,Ann,Кава,2,10.00,UAH,paid",
                "A1,2024-03-01,Ann,Чай,1,5.50,UAH,paid",
                "A2,2024-03-02,Bob,Кава,3,10.00,UAH,paid",
            ),
            orders_are(
                {"A1": (2550, "UAH", at("2024-03-01")), "A2": (3000, "UAH", at("2024-03-02"))}
            ),
        ),
        loaded(
            "tab-separated",
            "deals",
            "deals.tsv",
            lines(*DEALS).replace(",", "\t").encode(),
            deals_are(
                {"D1": (150000, "USD", at("2024-02-01")), "D2": (30000, "USD", at("2024-02-03"))}
            ),
        ),
        loaded(
            "pipe-separated-txt",
            "products",
            "pipes.txt",
            lines(*PRODUCTS).replace(",", "|").encode(),
            products_are({"P1": ("Кава зернова", 25000, "UAH"), "P2": ("Чай", 9990, "UAH")}),
        ),
        loaded(
            "spaces-around-cells",
            "products",
            "spaces.csv",
            utf8(
                "  id , sku ,  name , price , currency ",
                "  P1 ,SKU-1 ,  Кава зернова  ,  250.00 , UAH ",
            ),
            products_are({"P1": ("Кава зернова", 25000, "UAH")}),
        ),
        loaded(
            "day-first-dates-with-times",
            "orders",
            "dmy_times.csv",
            utf8(
                SEMI_ORDERS_HEADER,
                "A1;01.03.2024 14:30;Ann;1;UAH;paid",
                "A2;13.03.2024 09:05;Bob;2;UAH;paid",
            ),
            orders_are(
                {
                    "A1": (100, "UAH", at("2024-03-01", "14:30")),
                    "A2": (200, "UAH", at("2024-03-13", "09:05")),
                }
            ),
        ),
        loaded(
            "month-first-dates-decided-by-one-value",
            "deals",
            "mdy.csv",
            utf8(DEALS_HEADER, "D1,a,1.00,USD,03/15/2024,open", "D2,b,2.00,USD,04/01/2024,open"),
            deals_are({"D1": (100, "USD", at("2024-03-15")), "D2": (200, "USD", at("2024-04-01"))}),
        ),
        loaded(
            "dates-with-zones",
            "orders",
            "zoned.csv",
            utf8(
                ORDERS_HEADER,
                "A1,2024-03-01T10:00:00Z,Ann,1,UAH,paid",
                "A2,2024-03-02T10:00:00+05:00,Bob,2,UAH,paid",
            ),
            orders_are(
                {
                    "A1": (100, "UAH", utc("2024-03-01T10:00:00+00:00")),
                    "A2": (200, "UAH", utc("2024-03-02T05:00:00+00:00")),
                }
            ),
        ),
        loaded(
            "excel-serial-dates-in-csv",
            "orders",
            "serial.csv",
            utf8(ORDERS_HEADER, "A1,45352,Ann,1,UAH,paid", "A2,45353.5,Bob,2,UAH,paid"),
            orders_are(
                {
                    "A1": (100, "UAH", at("2024-03-01")),
                    "A2": (200, "UAH", at("2024-03-02", "12:00")),
                }
            ),
        ),
        loaded(
            "unknown-columns-kept-as-attributes",
            "customers",
            "extra.csv",
            utf8("id,name,email,Улюблений колір", "K1,a,a@example.com,синій"),
            attribute_holds("K1", "синій"),
        ),
        loaded(
            "orders-without-status-or-currency",
            "orders",
            "bare.csv",
            utf8("Номер замовлення,Дата,Сума", "A1,2024-03-01,12.50", "A2,2024-03-02,7"),
            ORDERS_OK,
        ),
        loaded(
            "existing-order-is-updated",
            "orders",
            "update.csv",
            utf8(ORDERS_HEADER, "SEED-1,2024-01-10,Seed Customer,110.00,UAH,paid", *ORDERS[1:]),
            both(ORDERS_OK, orders_are({"SEED-1": (11000, "UAH", at("2024-01-10"))})),
        ),
        loaded(
            "xlsx-with-title-rows-and-a-gap",
            "orders",
            "orders.xlsx",
            xlsx(
                [
                    UK_HEADER,
                    ["A1", datetime(2024, 3, 1), "Ann", 12.5, "UAH", "оплачено"],
                    [None] * 6,
                    ["A2", datetime(2024, 3, 2), "Bob", 7, "UAH", "оплачено"],
                ],
                title="Звіт про продажі",
            ),
            ORDERS_OK,
        ),
        loaded("xlsx-plain", "orders", "plain.xlsx", ORDERS_XLSX, ORDERS_OK),
        loaded("parquet-typed-columns", "orders", "orders.parquet", ORDERS_PARQUET, ORDERS_OK),
        loaded("jsonl", "orders", "orders.jsonl", ORDERS_JSONL, ORDERS_OK),
        loaded(
            "jsonl-with-blank-lines-and-crlf",
            "orders",
            "crlf.jsonl",
            b"\r\n" + ORDERS_JSONL.replace(b"\n", b"\r\n\r\n"),
            ORDERS_OK,
        ),
        loaded(
            "future-dates-load-with-a-warning",
            "deals",
            "future.csv",
            utf8(DEALS_HEADER, "D1,a,1.00,USD,2999-01-01,open"),
            deals_are({"D1": (100, "USD", at("2999-01-01"))}),
        ),
    ]


def build_corpus() -> list[Case]:
    cases = [
        *encoding_cases(),
        *truncation_cases(),
        *structure_cases(),
        *formula_cases(),
        *big_cases(),
        *binary_cases(),
        *value_cases(),
        *messy_valid_cases(),
    ]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


CORPUS = build_corpus()
