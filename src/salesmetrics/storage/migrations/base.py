"""The operations a migration may hold."""

from __future__ import annotations

from dataclasses import dataclass

from salesmetrics.storage.schema import Column, Index, Table


@dataclass(frozen=True, slots=True)
class CreateTable:
    table: Table


@dataclass(frozen=True, slots=True)
class AddColumns:
    table: str
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class AddIndex:
    table: str
    index: Index


Operation = CreateTable | AddColumns | AddIndex


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    operations: tuple[Operation, ...]
