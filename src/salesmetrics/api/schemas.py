"""Response models: the OpenAPI contract."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    engine: str = Field(examples=["duckdb"])
    schema_version: int = Field(examples=[1])


class DateRange(BaseModel):
    first: str
    last: str


class WorkspacePublic(BaseModel):
    url: str = Field(examples=["salesmetrics.duckdb"])
    engine: str = Field(examples=["duckdb"])
    schema_version: int
    settings: dict[str, str]
    tables: dict[str, int] = Field(description="Rows per data table.")
    total_rows: int
    date_ranges: dict[str, DateRange] = Field(description="First and last record per dated table.")
