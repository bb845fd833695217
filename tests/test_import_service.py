"""The import service on both engines: every kind and format, idempotence, revert, presets."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from import_samples import SAMPLES, write
from salesmetrics.services.imports.model import ImportRequest
from salesmetrics.services.imports.revert import revert_import
from salesmetrics.services.imports.run import STEPS, run_import, write_errors
from salesmetrics.services.workspace import Workspace, init_workspace, workspace
from salesmetrics.storage.repositories.imports import checksum
from salesmetrics.storage.repositories.integrity import orphan_references

CP1251_ORDERS = (
    "Звіт про продажі за березень\n\n"
    "Номер замовлення;Дата;Клієнт;Товар;Кількість;Ціна, грн;Менеджер;Статус\n"
    "1001;01.03.2024 14:30;ivan@example.com;Чайник;2;1 234,50;Олена Коваль;Оплачено\n"
    "1001;01.03.2024 14:30;ivan@example.com;Плед;1;99,90;Олена Коваль;Оплачено\n"
    "1002;15.07.2024 09:00;petro@example.com;Чайник;1;1 234,50;Петро Іваненко;Скасовано\n"
)


@pytest.fixture
def ws(store_url: str) -> Iterator[Workspace]:
    init_workspace(store_url, {})
    with workspace(store_url) as w:
        yield w


def _import(ws: Workspace, kind: str, path: Path, **kw: object) -> object:
    report = run_import(ws, ImportRequest(kind, path, **kw))  # type: ignore[arg-type]
    assert report.status in ("applied", "unchanged"), [str(i) for i in report.issues]
    return report


def test_cp1251_semicolon_file_imports_with_no_mapping(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "продажі.csv"
    path.write_bytes(CP1251_ORDERS.encode("cp1251"))
    report = run_import(ws, ImportRequest("orders", path))
    assert report.status == "applied" and report.inserted == 2, [str(i) for i in report.issues]
    assert report.sniff.encoding == "cp1251" and report.sniff.delimiter == ";"
    rows = ws.store.fetchall(
        "SELECT o.external_id, o.ordered_at, o.status, o.total_minor, c.email, r.name "
        "FROM orders o JOIN customers c ON c.id = o.customer_id JOIN reps r ON r.id = o.rep_id "
        "ORDER BY 1"
    )
    assert rows == [
        (
            "1001",
            datetime(2024, 3, 1, 12, 30, tzinfo=UTC),
            "paid",
            2 * 123450 + 9990,
            "ivan@example.com",
            "Олена Коваль",
        ),
        (
            "1002",
            datetime(2024, 7, 15, 6, 0, tzinfo=UTC),
            "cancelled",
            123450,
            "petro@example.com",
            "Петро Іваненко",
        ),
    ]  # Kyiv is UTC+2 in March and UTC+3 (summer time) in July
    assert orphan_references(ws.store) == {}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_every_kind_imports_from_each_format(fmt: str, tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    init_workspace(db, {})
    with workspace(db) as ws:
        _every_kind(ws, fmt, tmp_path)


def test_every_kind_imports_on_both_engines(ws: Workspace, tmp_path: Path) -> None:
    _every_kind(ws, "csv", tmp_path)


def _every_kind(ws: Workspace, fmt: str, folder: Path) -> None:
    for kind, (_, table, expected) in SAMPLES.items():
        report = _import(ws, kind, write(kind, fmt, folder))
        assert report.inserted == expected, kind  # type: ignore[attr-defined]
        (count,) = ws.store.fetchall(f'SELECT count(*) FROM "{table}"')[0]
        assert count == expected, kind
    assert ws.store.fetchall("SELECT sum(total_minor) FROM orders") == [
        (2 * 123450 + 9990 + 3 * 9990,)
    ]
    attrs = ws.store.fetchall("SELECT attributes FROM customers WHERE external_id = 'C-1'")
    assert json.loads(attrs[0][0]) == {"loyalty": "gold"}
    stages = dict(ws.store.fetchall("SELECT name, kind FROM stages"))
    assert stages["Програно"] == "lost" and stages["Пропозиція"] == "open"
    assert ws.store.fetchall("SELECT status FROM deals WHERE external_id = 'D-2'") == [("lost",)]
    assert orphan_references(ws.store) == {}


def test_reimport_is_a_no_op_and_revert_restores_updates(ws: Workspace, tmp_path: Path) -> None:
    first = write("customers", "csv", tmp_path)
    _import(ws, "customers", first)
    before = checksum(ws.store)
    again = run_import(ws, ImportRequest("customers", first))
    assert again.status == "unchanged" and (again.inserted, again.updated) == (0, 0)
    assert checksum(ws.store) == before
    changed = tmp_path / "customers2.csv"
    text = first.read_text(encoding="utf-8").replace("Іван Петренко", "Іван Петренко-Шевчук")
    changed.write_text(text + "C-3,Нова,new@example.com,,Одеса,SEO,\n", encoding="utf-8")
    report = run_import(ws, ImportRequest("customers", changed))
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    assert checksum(ws.store) != before
    assert report.import_id is not None
    assert revert_import(ws, report.import_id) == [report.import_id]
    assert checksum(ws.store) == before


def test_a_bad_row_changes_nothing_and_is_reported(ws: Workspace, tmp_path: Path) -> None:
    _import(ws, "customers", write("customers", "csv", tmp_path))
    before = checksum(ws.store)
    path = tmp_path / "products.csv"
    path.write_text('sku,name,price\nA,Кава,12.50\nB,Чай,"12,5,0"\nC,,3\n', encoding="utf-8")
    report = run_import(ws, ImportRequest("products", path, delimiter=","))
    assert report.status == "rejected" and checksum(ws.store) == before
    reasons = {(i.row, i.column): i.reason for i in report.issues}
    assert any(row == 3 for row, _ in reasons), reasons
    assert reasons[(4, "name")] == "required, but empty"
    skipped = run_import(ws, ImportRequest("products", path, delimiter=",", skip_invalid=True))
    assert skipped.status == "applied" and skipped.inserted == 1 and skipped.rows_rejected == 2


def test_dry_run_writes_nothing(ws: Workspace, tmp_path: Path) -> None:
    before = checksum(ws.store)
    report = run_import(
        ws, ImportRequest("customers", write("customers", "csv", tmp_path), dry_run=True)
    )
    assert report.status == "planned" and report.inserted == 2
    assert checksum(ws.store) == before
    assert ws.store.fetchall("SELECT count(*) FROM imports") == [(0,)]


def test_each_step_is_announced_in_order_and_the_last_completes(
    ws: Workspace, tmp_path: Path
) -> None:
    """The progress display hears the steps that ran, in order, with done counts that grow,
    and always a last ("", n, n): on a full import, a dry run and a rejected file alike."""

    def steps_of(req: ImportRequest) -> list[tuple[str, int, int]]:
        heard: list[tuple[str, int, int]] = []
        run_import(ws, req, lambda key, done, total: heard.append((key, done, total)))
        done = [d for _, d, _ in heard]
        assert done == sorted(done) and {t for _, _, t in heard} == {len(STEPS)}
        assert heard[-1] == ("", len(STEPS), len(STEPS))
        return heard

    path = tmp_path / "orders.csv"
    path.write_bytes(CP1251_ORDERS.encode("cp1251"))
    planned = steps_of(ImportRequest("orders", path, dry_run=True))
    assert [k for k, _, _ in planned] == ["read", "convert", "write", ""]
    applied = steps_of(ImportRequest("orders", path))
    assert [k for k, _, _ in applied] == ["read", "convert", "write", "rollups", "segments", ""]
    unchanged = steps_of(ImportRequest("orders", path))  # nothing moved: segments stay as they are
    assert [k for k, _, _ in unchanged] == ["read", "convert", "write", "rollups", ""]
    bad = tmp_path / "products.csv"
    bad.write_text("sku,name,price\nA,,1\n", encoding="utf-8")
    rejected = steps_of(ImportRequest("products", bad, delimiter=","))
    assert [k for k, _, _ in rejected] == ["read", "convert", ""]


PRESET_FILES = {
    "shopify_orders": (
        "orders",
        [
            "Name",
            "Email",
            "Financial Status",
            "Paid at",
            "Currency",
            "Subtotal",
            "Shipping",
            "Taxes",
            "Total",
            "Discount Amount",
            "Created at",
            "Lineitem quantity",
            "Lineitem name",
            "Lineitem price",
            "Lineitem sku",
            "Lineitem discount",
            "Billing Name",
            "Source",
        ],
        [
            [
                "#1001",
                "ann@example.com",
                "paid",
                "2024-03-01 10:00:00 +0200",
                "UAH",
                "300.00",
                "50.00",
                "0.00",
                "350.00",
                "0.00",
                "2024-03-01 09:58:11 +0200",
                "2",
                "Mug",
                "100.00",
                "MUG-1",
                "0.00",
                "Ann",
                "web",
            ],
            [
                "#1001",
                "ann@example.com",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "2024-03-01 09:58:11 +0200",
                "1",
                "Plate",
                "100.00",
                "PLT-1",
                "0.00",
                "",
                "",
            ],
        ],
        2 * 10000 + 10000 + 5000,
    ),
    "woocommerce_orders": (
        "orders",
        [
            "order_id",
            "order_number",
            "order_date",
            "status",
            "shipping_total",
            "order_total",
            "order_currency",
            "billing_email",
            "item_name",
            "item_sku",
            "item_quantity",
            "item_total",
        ],
        [
            [
                "55",
                "55",
                "2024-03-02 12:00:00",
                "completed",
                "0",
                "240",
                "UAH",
                "bob@example.com",
                "Lamp",
                "LMP-1",
                "2",
                "240",
            ]
        ],
        24000,
    ),
    "stripe_payments": (
        "orders",
        [
            "id",
            "Description",
            "Created (UTC)",
            "Amount",
            "Amount Refunded",
            "Currency",
            "Converted Amount",
            "Fee",
            "Status",
            "Customer ID",
            "Customer Email",
        ],
        [
            [
                "ch_3Ox",
                "Order 9",
                "2024-03-03 08:15",
                "19.99",
                "0.00",
                "usd",
                "19.99",
                "0.88",
                "Paid",
                "cus_1",
                "eve@example.com",
            ]
        ],
        1999,
    ),
    "hubspot_deals": (
        "deals",
        [
            "Record ID",
            "Deal Name",
            "Deal Stage",
            "Close Date",
            "Amount",
            "Create Date",
            "Deal owner",
            "Pipeline",
        ],
        [
            [
                "901",
                "Big order",
                "Closed Won",
                "2024-03-20",
                "5000",
                "2024-02-01 10:00",
                "Olena Koval",
                "Sales Pipeline",
            ]
        ],
        500000,
    ),
    "pipedrive_deals": (
        "deals",
        [
            "Deal - ID",
            "Deal - Title",
            "Deal - Value",
            "Deal - Currency",
            "Deal - Organization",
            "Deal - Owner",
            "Deal - Stage",
            "Deal - Status",
            "Deal - Deal created",
            "Deal - Won time",
            "Deal - Lost time",
            "Deal - Lost reason",
            "Deal - Expected close date",
        ],
        [
            [
                "17",
                "Office chairs",
                "12000",
                "UAH",
                "ТОВ Офіс",
                "Petro",
                "Proposal Made",
                "lost",
                "2024-01-10 09:00:00",
                "",
                "2024-02-01 16:00:00",
                "Price",
                "2024-02-15",
            ]
        ],
        1200000,
    ),
}


@pytest.mark.parametrize("preset", list(PRESET_FILES))
def test_presets_read_their_documented_exports(preset: str, tmp_path: Path) -> None:
    kind, headers, rows, total = PRESET_FILES[preset]
    path = tmp_path / f"{preset}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([headers, *rows])
    db = str(tmp_path / "w.duckdb")
    init_workspace(db, {})
    with workspace(db) as ws:
        report = run_import(ws, ImportRequest(kind, path))
        assert report.mapping.preset == preset
        assert report.status == "applied", [str(i) for i in report.issues]
        column = "total_minor" if kind == "orders" else "amount_minor"
        assert ws.store.fetchall(f"SELECT sum({column}) FROM {kind}") == [(total,)]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(
        st.text(alphabet="абвгґдеєжзAbc xyz'", min_size=1, max_size=12), min_size=1, max_size=6
    ),
    edits=st.lists(st.integers(min_value=0, max_value=5), max_size=3),
)
def test_properties_twice_equals_once_and_revert_restores(
    ws: Workspace, tmp_path_factory: pytest.TempPathFactory, names: list[str], edits: list[int]
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    rows = [
        {"id": f"P-{i}", "name": n.strip() or "x", "email": f"p{i}@example.com"}
        for i, n in enumerate(names)
    ]
    one = _csv(folder / "one.csv", rows)
    start = checksum(ws.store)
    first = run_import(ws, ImportRequest("customers", one, source="prop"))
    after_once = checksum(ws.store)
    run_import(ws, ImportRequest("customers", one, source="prop"))
    assert checksum(ws.store) == after_once
    for i in edits:
        if i < len(rows):
            rows[i]["name"] += " (змінено)"
    two = _csv(folder / "two.csv", [*rows, {"id": "P-new", "name": "Новий", "email": ""}])
    second = run_import(ws, ImportRequest("customers", two, source="prop"))
    assert second.import_id is not None
    revert_import(ws, second.import_id)
    assert checksum(ws.store) == after_once
    if first.import_id is not None:
        revert_import(ws, first.import_id)
    assert checksum(ws.store) == start


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "name", "email"])
        w.writeheader()
        w.writerows(rows)
    return path


def test_errors_file_keeps_formulas_inert(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text('sku,name,price\nX,"=HYPERLINK(""http://x"")",abc\nY,Ok,-5\n', encoding="utf-8")
    report = run_import(ws, ImportRequest("products", path))
    assert report.status == "rejected"
    target = write_errors(report, tmp_path / "errors.csv")
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][:4] == ["2", "price", "abc", rows[1][3]] and rows[1][5].startswith("'=")
    assert rows[2][2] == "-5" and "less than 0" in rows[2][3]  # a plain number stays as it is


def test_lines_of_one_order_must_agree(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text(
        "order,date,product,quantity,price\n"
        "7,2024-03-01 10:00,A,1,10\n7,,B,1,20\n7,2024-03-02 10:00,C,1,30\n",
        encoding="utf-8",
    )
    report = run_import(ws, ImportRequest("orders", path))
    assert report.status == "rejected"
    assert [(i.row, i.column) for i in report.issues] == [(4, "date")]  # the header, not the field
    fixed = tmp_path / "o2.csv"
    fixed.write_text(
        path.read_text(encoding="utf-8").replace("2024-03-02", "2024-03-01"), encoding="utf-8"
    )
    assert run_import(ws, ImportRequest("orders", fixed)).inserted == 1
    assert ws.store.fetchall("SELECT total_minor FROM orders") == [(6000,)]


MIXED_HEADER = "order,date,customer,product,quantity,price\n"
MIXED_FIRST = (
    "1,2024-03-01,a@x.com,A,1,10\n1,2024-03-01,a@x.com,B,2,5\n"
    "2,2024-03-02,b@x.com,A,1,10\n"
    "3,2024-03-03,c@x.com,C,1,7\n3,2024-03-03,c@x.com,A,1,10\n"
)
MIXED_SECOND = (  # file rows 2..15
    "4,2024-03-05,d@x.com,A,3,10\n"  # new
    "1,2024-03-01,a@x.com,A,1,10\n1,2024-03-01,a@x.com,B,2,5\n"  # unchanged
    "3,2024-03-03,c@x.com,C,zz,7\n3,2024-03-03,c@x.com,A,1,10\n"  # a bad line: 3 keeps one
    "2,2024-03-02,b@x.com,A,2,10\n"  # a line changed
    "5,2024-03-06,e@x.com,A,1,10\n5,2024-03-06,e@x.com,B,x,1\n"  # new, its 2nd line bad
    "6,,f@x.com,A,1,10\n6,2024-03-07,f@x.com,B,1,3\n"  # first line undated: dropped
    "7,2024-03-08,g@x.com,A,1,1\n"  # new
    "8,,h@x.com,A,1,1\n8,,h@x.com,B,1,2\n"  # undated: dropped, lines and all
    "9,2024-03-09,i@x.com,A,1,4\n"  # new
)


def test_skip_invalid_reimport_of_new_unchanged_changed_and_dropped_orders(
    ws: Workspace, tmp_path: Path
) -> None:
    """Every path of matching orders and their lines in one re-import: new, unchanged, lines
    changed, lines lost to bad rows, orders dropped whole (their good lines go with them)."""
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text(MIXED_HEADER + MIXED_FIRST, encoding="utf-8")
    second.write_text(MIXED_HEADER + MIXED_SECOND, encoding="utf-8")
    _import(ws, "orders", first, create_missing=True)
    before = checksum(ws.store)
    r = run_import(ws, ImportRequest("orders", second, skip_invalid=True, create_missing=True))
    assert (r.status, r.inserted, r.updated, r.unchanged) == ("applied", 4, 2, 1)
    assert sorted((i.row, i.column) for i in r.issues) == [
        (5, "quantity"), (9, "quantity"), (10, "date"), (11, "date"), (13, "date"),
    ]  # fmt: skip
    assert r.rows_rejected == 5
    totals = ws.store.fetchall("SELECT external_id, total_minor FROM orders ORDER BY id")
    assert [(str(e), int(t)) for e, t in totals] == [
        ("1", 2000), ("2", 2000), ("3", 1000), ("4", 3000), ("5", 1000), ("7", 100), ("9", 400),
    ]  # fmt: skip
    lines = ws.store.fetchall(
        "SELECT o.external_id, l.line_no, l.quantity FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id ORDER BY 1, 2"
    )
    assert [(str(e), int(n), int(q)) for e, n, q in lines] == [
        ("1", 1, 1), ("1", 2, 2), ("2", 1, 2), ("3", 1, 1), ("4", 1, 3), ("5", 1, 1),
        ("7", 1, 1), ("9", 1, 1),
    ]  # fmt: skip
    assert r.import_id is not None
    revert_import(ws, r.import_id)
    assert checksum(ws.store) == before
