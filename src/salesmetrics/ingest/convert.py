"""Text cells to typed columns for one kind, with every bad cell reported by row and column."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.domain.money import ISO_4217, check_currency, exponent
from salesmetrics.ingest import parse
from salesmetrics.ingest.cells import unmarked
from salesmetrics.ingest.errors import IngestError
from salesmetrics.ingest.kinds import Field, FieldType, Kind
from salesmetrics.ingest.mapping import Mapping, kind_of, normalise_header
from salesmetrics.ingest.model import CellIssue, RawTable
from salesmetrics.ingest.vector import present, text_array

EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PARALLEL_ROWS = 50_000  # from this many rows, two columns are converted at once


@dataclass(frozen=True)
class Options:
    """What the workspace and the user decide about parsing."""

    time_zone: str = "Europe/Kyiv"
    base_currency: str = "UAH"
    decimal_hint: str | None = None
    date_format: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class RowIssue:
    row: int  # the row number the user sees in the file
    column: str | None  # the file's header
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class Converted:
    """Typed columns named by field (refs stay text), the file row of each row, and issues."""

    kind: Kind
    data: pa.Table
    rows: pa.Array  # int64 file row numbers
    issues: list[RowIssue]
    warnings: list[str]
    notes: list[str]

    def bad_rows(self) -> set[int]:
        return {i.row for i in self.issues}


def convert(raw: RawTable, mapping: Mapping, opts: Options) -> Converted:
    """Parse every mapped column; unmapped ones go to `attributes` where the kind keeps them."""
    kind = kind_of(mapping.kind)
    out = Converted(kind, pa.table({}), raw.row_numbers, [], [], list(raw.report.notes))
    columns: dict[str, pa.Array] = {}
    currency = _currency(raw, mapping, kind, opts, out)
    if currency is not None:
        columns["currency"] = currency
    mapped = [
        (f, headers)
        for f in kind.fields
        if f.type is not FieldType.CURRENCY
        and (headers := [h for h, name in mapping.columns.items() if name == f.name])
    ]

    def field_of(job: tuple[Field, list[str]]) -> tuple[pa.Array, Converted]:
        f, headers = job
        part = Converted(kind, out.data, out.rows, [], [], [])  # its own issues and notes
        text = _coalesce([raw.data[h] for h in headers])
        text = _translate(
            text, {**(f.choices or {}), **mapping.values.get(f.name, {})}, f, headers[0], raw, part
        )
        return _parse(f, text, headers[0], raw, mapping, opts, part, currency), part

    for (f, _), (column, part) in zip(mapped, _each(field_of, mapped, raw), strict=True):
        columns[f.name] = column  # merged in field order: the same report as one by one
        out.issues += part.issues
        out.warnings += part.warnings
        out.notes += part.notes
    _required(kind, columns, mapping, raw, out)
    if kind.attributes and mapping.unmapped:
        columns["attributes"] = _attributes(raw, mapping.unmapped)
    n = raw.data.num_rows
    out.data = pa.table(columns) if columns else pa.table({"_": pa.nulls(n)}).drop(["_"])
    return out


def _each(
    work: Callable[[tuple[Field, list[str]]], tuple[pa.Array, Converted]],
    jobs: list[tuple[Field, list[str]]],
    raw: RawTable,
) -> list[tuple[pa.Array, Converted]]:
    """Columns are parsed independently: on a large file, two at a time (Arrow's kernels and
    numpy release the GIL, so both cores work); on a small one, in turn."""
    if raw.data.num_rows < PARALLEL_ROWS or len(jobs) < 2:
        return [work(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="convert") as pool:
        return list(pool.map(work, jobs))


def _coalesce(arrays: list[pa.ChunkedArray]) -> pa.Array:
    texts = [text_array(a) for a in arrays]
    texts = [pc.if_else(pc.equal(t, ""), pa.scalar(None, pa.string()), t) for t in texts]
    return texts[0] if len(texts) == 1 else pc.coalesce(*texts)


def _translate(
    text: pa.Array, values: dict[str, str], f: Field, header: str, raw: RawTable, out: Converted
) -> pa.Array:
    """Choice cells through their synonyms ('Оплачено' -> 'paid'); unknown ones are issues."""
    if not values or (f.type is not FieldType.CHOICE and f.name != "status"):
        return text
    keys = pa.array(list(values))
    found = pc.index_in(pc.utf8_lower(text), value_set=keys)
    mapped = pc.take(pa.array(list(values.values())), found)
    bad = np.flatnonzero(
        present(text) & ~np.asarray(pc.is_valid(found).to_numpy(zero_copy_only=False))
    )
    allowed = ", ".join(sorted(set(values.values())))
    for i in bad:
        out.issues.append(
            RowIssue(
                _row(raw, i),
                header,
                text[i].as_py(),
                f"'{text[i].as_py()}' is not one of: {allowed}",
            )
        )
    return mapped


def _parse(
    f: Field,
    text: pa.Array,
    header: str,
    raw: RawTable,
    mapping: Mapping,
    opts: Options,
    out: Converted,
    currency: pa.Array | None,
) -> pa.Array:
    hint = mapping.decimal or opts.decimal_hint
    issues: list[CellIssue]
    match f.type:
        case FieldType.INT:
            arr, issues = parse.parse_int(text, decimal=mapping.decimal, decimal_hint=hint)
        case FieldType.NUMBER:
            arr, issues = parse.parse_number(
                text, decimal=mapping.decimal, decimal_hint=hint, notes=out.notes
            )
        case FieldType.MONEY:
            arr, issues = _money(text, currency, mapping, hint, out)
        case FieldType.DATE | FieldType.TIMESTAMP:
            arr, issues = _when(f, text, header, mapping, opts, out)
        case FieldType.BOOL:
            arr, issues = parse.parse_bool(text)
        case FieldType.EMAIL:
            arr = pc.utf8_lower(text)
            bad = present(arr) & ~np.asarray(
                pc.fill_null(pc.match_substring_regex(arr, EMAIL_RE), False).to_numpy(
                    zero_copy_only=False
                )
            )
            issues = [
                CellIssue(int(i), f"'{arr[i].as_py()}' is not an email address")
                for i in np.flatnonzero(bad)
            ]
        case FieldType.PHONE:
            arr, issues = normalise_phone(text), []
        case FieldType.TEXT:
            arr, issues = unmarked(text), []
        case _:
            arr, issues = text, []
    for issue in issues:
        out.issues.append(
            RowIssue(_row(raw, issue.index), header, text[issue.index].as_py(), issue.reason)
        )
    _range(f, arr, header, text, raw, out)
    return arr


def _money(
    text: pa.Array, currency: pa.Array | None, mapping: Mapping, hint: str | None, out: Converted
) -> tuple[pa.Array, list[CellIssue]]:
    exps = {
        exponent(c) for c in (currency.unique().to_pylist() if currency is not None else []) if c
    } or {2}
    if len(exps) == 1:
        return parse.parse_decimal_minor(
            text, exps.pop(), decimal=mapping.decimal, decimal_hint=hint, notes=out.notes
        )
    assert currency is not None
    result = pa.nulls(len(text), pa.int64())
    issues: list[CellIssue] = []
    for exp in sorted(exps):
        rows = pc.equal(pc.fill_null(pc.utf8_length(currency), 0), 3)
        here = pc.and_(
            rows, pc.equal(pa.array([exponent(c or "") for c in currency.to_pylist()]), exp)
        )
        arr, found = parse.parse_decimal_minor(
            text, exp, decimal=mapping.decimal, decimal_hint=hint
        )
        result = pc.if_else(here, arr, result)
        mask = here.to_numpy(zero_copy_only=False)
        issues += [i for i in found if mask[i.index]]
    return result, issues


def _when(
    f: Field, text: pa.Array, header: str, mapping: Mapping, opts: Options, out: Converted
) -> tuple[pa.Array, list[CellIssue]]:
    fmt = (
        parse.DateFormat.parse(mapping.date_format or opts.date_format or "")
        if (mapping.date_format or opts.date_format)
        else parse.resolve_date_format(text, header)
    )
    if f.type is FieldType.DATE:
        return parse.parse_date(text, fmt)
    arr, issues = parse.parse_timestamp(text, fmt, opts.time_zone)
    future = pc.sum(pc.greater(arr, pa.scalar(opts.now, pa.timestamp("us", tz="UTC")))).as_py()
    if future:
        out.warnings.append(f"column '{header}': {future} value(s) lie in the future")
    return arr, issues


def _range(
    f: Field, arr: pa.Array, header: str, text: pa.Array, raw: RawTable, out: Converted
) -> None:
    if f.minimum is None and f.maximum is None:
        return
    low = pc.less(arr, f.minimum) if f.minimum is not None else None
    high = pc.greater(arr, f.maximum) if f.maximum is not None else None
    for bound, test, word in ((f.minimum, low, "less than"), (f.maximum, high, "more than")):
        if test is None:
            continue
        for i in np.flatnonzero(pc.fill_null(test, False).to_numpy(zero_copy_only=False)):
            out.issues.append(
                RowIssue(
                    _row(raw, i),
                    header,
                    text[i].as_py(),
                    f"'{text[i].as_py()}' is {word} {bound:g}",
                )
            )


def _currency(
    raw: RawTable, mapping: Mapping, kind: Kind, opts: Options, out: Converted
) -> pa.Array | None:
    """The row's currency: its currency column, else a sign in a money cell, else the default."""
    if not any(f.type is FieldType.CURRENCY for f in kind.fields):
        return None
    default = check_currency(mapping.currency or opts.base_currency)
    header = next((h for h, name in mapping.columns.items() if name == "currency"), None)
    n = raw.data.num_rows
    found: pa.Array = pa.nulls(n, pa.string())
    if header is not None:
        found = _currency_column(raw, header, out)
    for h, name in mapping.columns.items():
        if kind.field(name).type is FieldType.MONEY:
            found = _money_currency(raw, h, header, found, out)
    return pc.fill_null(found, default)


def _currency_column(raw: RawTable, header: str, out: Converted) -> pa.Array:
    """ISO codes from the currency column ('uah', 'грн', '₴' all mean UAH)."""
    text = pc.utf8_upper(text_array(raw.data[header]))
    is_code = pc.is_in(text, value_set=pa.array(sorted(ISO_4217)))
    found = pc.if_else(is_code, text, None)
    if not pc.all(pc.or_(is_code, pc.invert(pa.array(present(text))))).as_py():
        found = pc.coalesce(found, parse.detect_currency(text)[0])
    bad = present(text) & ~np.asarray(pc.is_valid(found).to_numpy(zero_copy_only=False))
    for i in np.flatnonzero(bad):
        value = text[i].as_py()
        out.issues.append(
            RowIssue(_row(raw, i), header, value, f"'{value}' is not a currency code")
        )
    return found


def _money_currency(
    raw: RawTable, header: str, column: str | None, found: pa.Array, out: Converted
) -> pa.Array:
    """A sign or code in a money cell, else one in its header ('Сума, грн'); must agree."""
    named: pa.Array = pa.nulls(raw.data.num_rows, pa.string())
    if _decorated(raw.data[header]):
        named, clashes = parse.detect_currency(raw.data[header])
        for issue in clashes:
            out.issues.append(
                RowIssue(
                    _row(raw, issue.index),
                    header,
                    raw.data[header][issue.index].as_py(),
                    issue.reason,
                )
            )
    in_header = parse.currency_in_text(header)
    if in_header:
        named = pc.fill_null(named, in_header)
    if column is not None:
        clash = pc.and_(pc.is_valid(found), pc.not_equal(found, named))
        for i in np.flatnonzero(pc.fill_null(clash, False).to_numpy(zero_copy_only=False)):
            out.issues.append(
                RowIssue(
                    _row(raw, i),
                    header,
                    raw.data[header][int(i)].as_py(),
                    f"the amount is in {named[int(i)].as_py()}, but '{column}' says "
                    f"{found[int(i)].as_py()}",
                )
            )
    return pc.coalesce(found, named)


def _decorated(values: pa.ChunkedArray) -> bool:
    """Whether any cell holds more than a plain number (a sign or code to detect)."""
    other = pc.match_substring_regex(values, "[^0-9\\s.,'\\-−()+]")
    return bool(pc.any(other).as_py())


def _required(
    kind: Kind, columns: dict[str, pa.Array], mapping: Mapping, raw: RawTable, out: Converted
) -> None:
    mapped = set(mapping.columns.values())
    missing = [f.name for f in kind.fields if f.required and f.name not in mapped]
    if missing:
        raise IngestError(
            f"no column for the required field(s) {', '.join(missing)} of {kind.name}; "
            f"columns found: {', '.join(raw.data.column_names)}. Name them in a mapping file "
            "(--mapping) or rename the headers"
        )
    already = out.bad_rows()
    header_of = {name: h for h, name in mapping.columns.items()}
    for f in kind.fields:
        if not f.required or f.name not in columns:
            continue
        if kind.line_table and f.name != "external_id":
            continue  # an order's later lines may leave order-level cells empty (shape checks)
        for i in np.flatnonzero(
            ~np.asarray(pc.is_valid(columns[f.name]).to_numpy(zero_copy_only=False))
        ):
            row = _row(raw, i)
            if row not in already:
                out.issues.append(RowIssue(row, header_of[f.name], None, "required, but empty"))


def _attributes(raw: RawTable, headers: list[str]) -> pa.Array:
    """Unmapped columns as one JSON object per row, keys normalised, empty cells left out."""
    keys = [normalise_header(h).replace(" ", "_") or f"column_{i}" for i, h in enumerate(headers)]
    cols = [raw.data[h].to_pylist() for h in headers]
    rows = []
    for values in zip(*cols, strict=True):
        obj = {k: v for k, v in zip(keys, values, strict=True) if v not in (None, "")}
        rows.append(json.dumps(obj, ensure_ascii=False) if obj else None)
    return pa.array(rows, pa.string())


def normalise_phone(text: pa.Array) -> pa.Array:
    """Digits with a leading +; Ukrainian 0XXXXXXXXX becomes +380XXXXXXXXX."""
    digits = pc.replace_substring_regex(text, r"[^\d+]", "")
    local = pc.replace_substring_regex(digits, r"^0(\d{9})$", r"+380\1")
    return pc.replace_substring_regex(local, r"^(380\d{9})$", r"+\1")


def _row(raw: RawTable, index: int | np.integer) -> int:
    return int(raw.row_numbers[int(index)].as_py())
