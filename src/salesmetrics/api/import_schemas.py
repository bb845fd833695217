"""Import API models: an upload's preview, an import, a page of imports."""

from __future__ import annotations

from pydantic import BaseModel, Field

KIND_HELP = (
    "What the file holds: reps, customers, products, orders, leads, deals, deal_stage_changes, "
    "activities, marketing_spend, targets, feedback, fx_rates."
)


class NumberFormatOut(BaseModel):
    decimal: str = Field(examples=[","])
    thousands: str | None = Field(examples=[" "], description="null: no cell groups its digits")


class SniffOut(BaseModel):
    """What was detected about the file, to check before anything is written."""

    format: str = Field(examples=["csv"])
    encoding: str | None = Field(examples=["cp1251"])
    delimiter: str | None = Field(examples=[";"])
    header_row: int = Field(examples=[3], description="1-based row of the header")
    sheet: str | None = Field(default=None, examples=[None])
    rows: int = Field(examples=[3], description="data rows read")
    notes: list[str] = Field(examples=[["1 title row(s) above the header skipped"]])
    date_formats: dict[str, str] = Field(
        examples=[{"Дата": "DD.MM.YYYY"}], description="date column -> the format it is read in"
    )
    numbers: dict[str, NumberFormatOut] = Field(
        examples=[{"Ціна, грн": {"decimal": ",", "thousands": " "}}],
        description="number column -> its decimal and thousands separators",
    )
    currencies: dict[str, int] = Field(examples=[{"UAH": 3}], description="currency -> rows")


class MappingOut(BaseModel):
    columns: dict[str, str] = Field(
        examples=[{"Дата": "ordered_at", "Ціна, грн": "unit_price_minor"}],
        description="file header -> field",
    )
    unmapped: list[str] = Field(examples=[["Примітка"]])
    unmapped_kept: bool = Field(description="true: unmapped columns are kept in `attributes`")
    preset: str | None = Field(examples=[None])
    source: str = Field(examples=["import"])


class CountsOut(BaseModel):
    read: int = Field(examples=[3])
    insert: int = Field(examples=[2], description="rows that would be (or were) inserted")
    update: int = Field(examples=[0])
    unchanged: int = Field(examples=[0])
    rejected: int = Field(examples=[0], description="rows with problems")


class RowErrorOut(BaseModel):
    row: int = Field(examples=[3], description="the row number in the file")
    column: str | None = Field(examples=["Ціна, грн"], description="the file's header")
    value: str | None = Field(examples=["дешево"])
    reason: str = Field(examples=["'дешево' is not a number"])


class PreviewOut(BaseModel):
    """An upload read, mapped and dry-run: what confirming it would do."""

    preview_id: str = Field(examples=["pv3f1c0a9b8d7e6f5a4b3c"])
    status: str = Field(
        examples=["planned"],
        description="planned: confirm would import; unchanged: nothing new; rejected: rows "
        "have problems, confirm writes nothing unless skip_invalid; applied: imported "
        "(dry_run=false)",
    )
    import_id: int | None = Field(examples=[None], description="set when dry_run=false imported")
    kind: str = Field(examples=["orders"])
    file: str = Field(examples=["продажі.csv"])
    size_bytes: int = Field(examples=[312])
    created_at: str = Field(examples=["2026-11-26T10:00:00+00:00"])
    expires_at: str = Field(examples=["2026-11-27T10:00:00+00:00"])
    options: dict[str, object] = Field(examples=[{"kind": "orders", "skip_invalid": False}])
    sniff: SniffOut
    mapping: MappingOut
    counts: CountsOut
    created_links: dict[str, int] = Field(
        examples=[{"reps": 2}], description="linked records that would be created, per table"
    )
    warnings: list[str]
    errors_total: int = Field(examples=[0])
    errors: list[RowErrorOut] = Field(description="the first errors (max_errors), by row")
    errors_csv: str | None = Field(
        examples=[None], description="URL of the errors file (every error with its row)"
    )


class ConfirmIn(BaseModel):
    skip_invalid: bool | None = Field(
        default=None, description="override: import the good rows and skip the bad ones"
    )


class ImportOut(BaseModel):
    """One import from the log."""

    id: int = Field(examples=[12])
    kind: str = Field(examples=["orders"])
    file_name: str | None = Field(examples=["продажі.csv"])
    started_at: str | None = Field(examples=["2026-11-26T10:01:00+00:00"])
    finished_at: str | None = Field(examples=["2026-11-26T10:01:01+00:00"])
    status: str = Field(examples=["applied"], description="applied, unchanged or reverted")
    rows_read: int | None = Field(examples=[3])
    rows_loaded: int | None = Field(examples=[2])
    rows_rejected: int | None = Field(examples=[0])
    inserted: int = Field(examples=[2], description="rows inserted into the kind's table")
    updated: int = Field(examples=[0], description="rows updated in the kind's table")
    reverted: bool = Field(examples=[False])
    changes: dict[str, dict[str, int]] = Field(
        examples=[{"orders": {"insert": 2}, "customers": {"insert": 2}}],
        description="table -> action -> rows",
    )
    errors_csv: str | None = Field(
        examples=[None], description="URL of the skipped rows' errors file (skip_invalid)"
    )
    warnings: list[str] = Field(default=[], description="only in a confirm's reply")


class ImportList(BaseModel):
    data: list[ImportOut]
    count: int = Field(examples=[1], description="imports in all")
    limit: int = Field(examples=[50])
    offset: int = Field(examples=[0])


class RevertOut(BaseModel):
    reverted: list[int] = Field(examples=[[12]], description="imports undone, in order")
