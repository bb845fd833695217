"""What an import is asked to do and what it reports back: free of CLI and HTTP concerns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesmetrics.domain.access import LOCAL, Principal
from salesmetrics.ingest.convert import RowIssue
from salesmetrics.ingest.mapping import Mapping
from salesmetrics.ingest.model import SniffReport


@dataclass(frozen=True)
class ImportRequest:
    kind: str
    path: Path
    mapping_file: Path | None = None
    preset: str | None = None
    source: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    date_format: str | None = None
    decimal: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    create_missing: bool = True  # unknown linked records (rep, customer …) are created
    user_id: int | None = None
    currency: str | None = None  # money without a currency column or sign is in this one
    actor: Principal = LOCAL  # who imports (the import log and the audit log say)


@dataclass
class ImportReport:
    kind: str
    file: str
    sniff: SniffReport
    mapping: Mapping
    rows_read: int
    rows_rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    created_links: dict[str, int] = field(default_factory=dict)
    unmatched: dict[str, int] = field(default_factory=dict)  # field -> kept rows left unlinked
    issues: list[RowIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    import_id: int | None = None
    originals: dict[int, list[str | None]] = field(default_factory=dict)  # bad rows, as read
    headers: list[str] = field(default_factory=list)
    keeps_attributes: bool = False  # unmapped columns go to `attributes` (else ignored)
    status: str = "planned"  # planned (dry run), applied, rejected, unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "status": self.status,
            "kind": self.kind,
            "file": self.file,
            "rows_read": self.rows_read,
            "rows_rejected": self.rows_rejected,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "created_links": self.created_links,
            "unmatched": self.unmatched,
            "warnings": self.warnings,
            "notes": self.sniff.notes,
            "mapping": self.mapping.as_dict(),
            "detected": {
                "format": self.sniff.format,
                "encoding": self.sniff.encoding,
                "delimiter": self.sniff.delimiter,
                "header_row": self.sniff.header_row,
                "sheet": self.sniff.sheet,
            },
            "issues": [
                {"row": i.row, "column": i.column, "value": i.value, "reason": i.reason}
                for i in self.issues[:1000]
            ],
        }
