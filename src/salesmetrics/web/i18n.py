"""Page labels in Ukrainian and English, and number formatting per locale."""

from __future__ import annotations

from babel.numbers import format_currency, format_decimal, format_percent

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
        "overview": "Огляд",
        "workspace": "Дані",
        "this_month": "Цей місяць до сьогодні",
        "vs": "порівняно з",
        "revenue_trend": "Виручка за місяцями",
        "top_reps": "Виручка менеджерів цього місяця",
        "rep": "Менеджер",
        "no_rep": "(без менеджера)",
        "revenue": "Виручка",
        "previous": "було",
        "within_noise": "у межах шуму",
        "beyond_noise": "поза межами шуму",
        "how": "Як це пораховано",
        "no_data": "Немає даних за цей період.",
        "explore": "Дослідник KPI",
        "metric": "Показник",
        "period": "Період",
        "grain": "Крок",
        "by": "Розбивка",
        "compare": "Порівняння",
        "none": "немає",
        "show": "Показати",
        "csv": "Завантажити CSV",
        "value": "Значення",
        "interval": "95 % інтервал",
        "change": "Зміна",
        "sql": "SQL",
        "definition": "Визначення",
        "previous_period": "попередній період",
        "year_ago": "рік тому",
        "grain_none": "увесь період",
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
        "overview": "Overview",
        "workspace": "Data",
        "this_month": "This month to date",
        "vs": "compared with",
        "revenue_trend": "Revenue by month",
        "top_reps": "Revenue by rep this month",
        "rep": "Rep",
        "no_rep": "(no rep)",
        "revenue": "Revenue",
        "previous": "was",
        "within_noise": "within noise",
        "beyond_noise": "beyond noise",
        "how": "How this is computed",
        "no_data": "No data for this period.",
        "explore": "KPI explorer",
        "metric": "Metric",
        "period": "Period",
        "grain": "Grain",
        "by": "Breakdown",
        "compare": "Compare",
        "none": "none",
        "show": "Show",
        "csv": "Download CSV",
        "value": "Value",
        "interval": "95 % interval",
        "change": "Change",
        "sql": "SQL",
        "definition": "Definition",
        "previous_period": "previous period",
        "year_ago": "a year ago",
        "grain_none": "whole period",
    },
}

_BABEL = {"uk": "uk_UA", "en": "en_US"}

WORDS: dict[str, dict[str, str]] = {
    "uk": {
        "day": "день", "week": "тиждень", "month": "місяць", "quarter": "квартал", "year": "рік",
        "rep": "менеджер", "team": "команда", "channel": "канал", "product": "товар",
        "category": "категорія", "region": "регіон", "stage": "етап",
        "lead_source": "джерело ліда", "pipeline": "воронка",
    },
    "en": {"lead_source": "lead source"},
}  # fmt: skip


def word(key: str, locale: str) -> str:
    """A grain or dimension name in the page's language."""
    return WORDS.get(locale, {}).get(key, key)


def labels(locale: str) -> dict[str, str]:
    return LABELS.get(locale, LABELS["en"])


def number(value: int | float, locale: str) -> str:
    """1234567 -> '1 234 567' in uk, '1,234,567' in en."""
    return format_decimal(value, locale=_BABEL.get(locale, "en_US"))


def metric_value(value: float | None, unit: str, currency: str, locale: str) -> str:
    """A KPI value for people: money from minor units with the currency, rates in percent."""
    where = _BABEL.get(locale, "en_US")
    if value is None:
        return "—"
    if unit in ("money", "money_per_day"):
        pattern = None if locale == "uk" else "#,##0.00\u00a0¤"  # en: 7,091,345.00 UAH
        text = format_currency(value / 100, currency, format=pattern, locale=where)
        return text + ("/day" if unit == "money_per_day" and locale == "en" else
                       "/день" if unit == "money_per_day" else "")  # fmt: skip
    if unit == "percent":
        return format_percent(value, format="#,##0.0%", locale=where)
    if unit == "days":
        return format_decimal(value, format="#,##0.0", locale=where) + (
            " д" if locale == "uk" else " d"
        )
    if unit == "count":
        return format_decimal(value, locale=where)
    return format_decimal(value, format="#,##0.0", locale=where)


def change(delta: float | None, delta_pct: float | None, unit: str, locale: str) -> str:
    """The change against the previous period: points for rates and scores, else percent."""
    where = _BABEL.get(locale, "en_US")
    if unit == "percent":
        if delta is None:
            return "—"
        return format_decimal(delta * 100, format="+#,##0.0;-#,##0.0", locale=where) + (
            " в.п." if locale == "uk" else " pp"
        )
    if unit == "score":
        if delta is None:
            return "—"
        return format_decimal(delta, format="+#,##0.0;-#,##0.0", locale=where)
    if delta_pct is None:
        return "—"
    return format_percent(delta_pct, format="+#,##0.0%;-#,##0.0%", locale=where)
