"""Page labels in Ukrainian and English, and number formatting per locale."""

from __future__ import annotations

from babel.numbers import format_decimal

LABELS: dict[str, dict[str, str]] = {
    "uk": {
        "summary": "Огляд робочого простору",
        "engine": "Сховище",
        "currency": "Базова валюта",
        "time_zone": "Часовий пояс",
        "table": "Таблиця",
        "rows": "Рядків",
        "first": "Перший запис",
        "last": "Останній запис",
        "total": "Усього рядків",
        "empty": "Робочий простір порожній. Завантажте дані або створіть демо: salesmetrics demo",
        "api": "API (OpenAPI)",
    },
    "en": {
        "summary": "Workspace summary",
        "engine": "Storage",
        "currency": "Base currency",
        "time_zone": "Time zone",
        "table": "Table",
        "rows": "Rows",
        "first": "First record",
        "last": "Last record",
        "total": "Total rows",
        "empty": "The workspace is empty. Import data or create the demo: salesmetrics demo",
        "api": "API (OpenAPI)",
    },
}

_BABEL = {"uk": "uk_UA", "en": "en_US"}


def labels(locale: str) -> dict[str, str]:
    return LABELS.get(locale, LABELS["en"])


def number(value: int | float, locale: str) -> str:
    """1234567 -> '1 234 567' in uk, '1,234,567' in en."""
    return format_decimal(value, locale=_BABEL.get(locale, "en_US"))
