"""Small, realistic files of every import kind, written as CSV, XLSX or Parquet."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

D = date.fromisoformat

# kind -> (rows, table it fills, rows expected there); dependency order.
SAMPLES: dict[str, tuple[list[dict[str, Any]], str, int]] = {
    "reps": (
        [
            {
                "name": "Олена Коваль",
                "email": "olena@shop.ua",
                "team": "Київ",
                "hired": D("2023-01-15"),
            },
            {
                "name": "Петро Іваненко",
                "email": "petro@shop.ua",
                "team": "Львів",
                "hired": D("2024-03-01"),
            },
        ],
        "reps",
        2,
    ),
    "customers": (
        [
            {
                "id": "C-1",
                "name": "ТОВ «Ромашка»",
                "email": "buy@romashka.ua",
                "phone": "067 123 45 67",
                "region": "Київ",
                "channel": "Google Ads",
                "loyalty": "gold",
            },
            {
                "id": "C-2",
                "name": "Іван Петренко",
                "email": "ivan@example.com",
                "phone": "",
                "region": "Львів",
                "channel": "Instagram",
                "loyalty": "",
            },
        ],
        "customers",
        2,
    ),
    "products": (
        [
            {
                "sku": "SKU-1",
                "name": "Чайник",
                "category": "Кухня",
                "price": 1234.5,
                "cost": 800,
                "currency": "UAH",
            },
            {
                "sku": "SKU-2",
                "name": "Плед",
                "category": "Текстиль",
                "price": 99.9,
                "cost": 40,
                "currency": "UAH",
            },
        ],
        "products",
        2,
    ),
    "orders": (
        [
            {
                "order": "1001",
                "date": datetime(2024, 3, 1, 14, 30),
                "customer": "buy@romashka.ua",
                "product": "SKU-1",
                "quantity": 2,
                "price": 1234.5,
                "status": "paid",
            },
            {
                "order": "1001",
                "date": datetime(2024, 3, 1, 14, 30),
                "customer": "buy@romashka.ua",
                "product": "SKU-2",
                "quantity": 1,
                "price": 99.9,
                "status": "paid",
            },
            {
                "order": "1002",
                "date": datetime(2024, 3, 2, 10, 0),
                "customer": "ivan@example.com",
                "product": "SKU-2",
                "quantity": 3,
                "price": 99.9,
                "status": "cancelled",
            },
        ],
        "orders",
        2,
    ),
    "leads": (
        [
            {
                "id": "L-1",
                "created": datetime(2024, 2, 1, 9, 0),
                "name": "Марія",
                "company": "Ліс",
                "email": "maria@lis.ua",
                "channel": "Referral",
                "owner": "Олена Коваль",
                "status": "open",
                "industry": "Освіта",
                "company size": "11-50",
            },
            {
                "id": "L-2",
                "created": datetime(2024, 2, 3, 11, 0),
                "name": "Андрій",
                "company": "Дім",
                "email": "a@dim.ua",
                "channel": "SEO",
                "owner": "Петро Іваненко",
                "status": "lost",
                "industry": "Ритейл",
                "company size": "1-10",
            },
        ],
        "leads",
        2,
    ),
    "deals": (
        [
            {
                "id": "D-1",
                "title": "Ліс: меблі",
                "customer": "C-1",
                "owner": "Олена Коваль",
                "stage": "Пропозиція",
                "amount": 45000,
                "currency": "UAH",
                "created": datetime(2024, 2, 5, 10, 0),
            },
            {
                "id": "D-2",
                "title": "Дім: текстиль",
                "customer": "C-2",
                "owner": "Петро Іваненко",
                "stage": "Програно",
                "amount": 12000.5,
                "currency": "UAH",
                "created": datetime(2024, 2, 6, 10, 0),
                "closed": datetime(2024, 3, 1, 12, 0),
            },
        ],
        "deals",
        2,
    ),
    "deal_stage_changes": (
        [
            {"deal": "D-1", "from": "", "to": "Пропозиція", "changed": datetime(2024, 2, 5, 10, 0)},
            {"deal": "D-2", "from": "", "to": "Програно", "changed": datetime(2024, 3, 1, 12, 0)},
        ],
        "deal_stage_changes",
        2,
    ),
    "activities": (
        [
            {
                "id": "A-1",
                "type": "call",
                "rep": "Олена Коваль",
                "date": datetime(2024, 2, 6, 11, 0),
                "deal": "D-1",
                "outcome": "interested",
            },
            {
                "id": "A-2",
                "type": "зустріч",
                "rep": "Петро Іваненко",
                "date": datetime(2024, 2, 7, 15, 0),
                "deal": "D-2",
                "outcome": "",
            },
        ],
        "activities",
        2,
    ),
    "marketing_spend": (
        [
            {
                "channel": "Google Ads",
                "start": D("2024-03-01"),
                "end": D("2024-03-31"),
                "amount": 15000,
            },
            {
                "channel": "Instagram",
                "start": D("2024-03-01"),
                "end": D("2024-03-31"),
                "amount": 9000,
            },
        ],
        "marketing_spend",
        2,
    ),
    "targets": (
        [
            {
                "metric": "revenue",
                "rep": "Олена Коваль",
                "month": D("2024-03-01"),
                "value": 50000,
            },
            {
                "metric": "revenue",
                "rep": "Петро Іваненко",
                "month": D("2024-03-01"),
                "value": 40000,
            },
        ],
        "targets",
        2,
    ),
    "feedback": (
        [
            {
                "id": "F-1",
                "date": datetime(2024, 3, 5, 12, 0),
                "score": 9,
                "comment": "Дякую!",
                "customer": "buy@romashka.ua",
                "product": "SKU-1",
            },
            {
                "id": "F-2",
                "date": datetime(2024, 3, 6, 12, 0),
                "score": 3,
                "comment": "Broke after a week",
                "customer": "ivan@example.com",
                "product": "SKU-2",
            },
        ],
        "feedback",
        2,
    ),
    "fx_rates": (
        [
            {"date": D("2024-03-01"), "currency": "USD", "rate": 38.2},
            {"date": D("2024-03-01"), "currency": "EUR", "rate": 41.5},
        ],
        "fx_rates",
        2,
    ),
}


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def write(kind: str, fmt: str, folder: Path) -> Path:
    """The sample of `kind` as a file of format csv, xlsx or parquet."""
    rows = SAMPLES[kind][0]
    headers = list(dict.fromkeys(k for r in rows for k in r))
    path = folder / f"{kind}.{fmt}"
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            w.writerows([[_text(r.get(h)) for h in headers] for r in rows])
    elif fmt == "xlsx":
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("Дані")
        stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        day = book.add_format({"num_format": "dd.mm.yyyy"})
        sheet.write(0, 0, f"Експорт: {kind}")  # a title row above the header
        for c, h in enumerate(headers):
            sheet.write(2, c, h)
        for r, row in enumerate(rows, start=3):
            for c, h in enumerate(headers):
                v = row.get(h)
                if isinstance(v, datetime):
                    sheet.write_datetime(r, c, v, stamp)
                elif isinstance(v, date):
                    sheet.write_datetime(r, c, datetime(v.year, v.month, v.day), day)
                elif v not in (None, ""):
                    sheet.write(r, c, v)
        book.close()
    else:
        cols = {h: pa.array([r.get(h) if r.get(h) != "" else None for r in rows]) for h in headers}
        pq.write_table(pa.table(cols), path)
    return path
