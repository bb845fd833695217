"""Files -> typed, validated batches and a row-level issue report. Never writes to a database."""

from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.model import CellIssue, RawTable, SniffReport
from salesmetrics.ingest.parse import (
    DateFormat,
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
from salesmetrics.ingest.read import read_table

__all__ = [
    "CellIssue",
    "DateFormat",
    "IngestError",
    "RawTable",
    "SniffReport",
    "currency_in_text",
    "decimal_separator",
    "detect_currency",
    "parse_bool",
    "parse_date",
    "parse_decimal_minor",
    "parse_int",
    "parse_number",
    "parse_timestamp",
    "read_table",
    "resolve_date_format",
]
