"""A report as a file to hand over (CLI, API, page): built, written as XLSX or PDF, named, and
recorded in the audit log like every export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError
from salesmetrics.services.access.audit import record
from salesmetrics.services.reports.build import Progress, build_report
from salesmetrics.services.reports.model import Report
from salesmetrics.services.workspace import Workspace

FORMATS = ("xlsx", "pdf")
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportFile:
    data: bytes
    file_name: str
    media_type: str
    report: Report


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"a report is written as xlsx or pdf, not '{fmt}'")
    return fmt


def file_name(r: Report, fmt: str) -> str:
    """ASCII and stable: report-2026-10-01_2026-10-31-company-uk.pdf."""
    return f"report-{r.period.start}_{r.period.end}-{r.scope_slug}-{r.lang}.{fmt}"


def write(r: Report, fmt: str) -> bytes:
    """The report's bytes in `fmt`."""
    if check_format(fmt) == "pdf":
        from salesmetrics.services.reports.pdf import write_pdf

        return write_pdf(r)
    from salesmetrics.services.reports.xlsx import write_xlsx

    return write_xlsx(r)


def report_file(
    ws: Workspace, who: Principal, fmt: str, *, period: str | None = None,
    scope: str | None = None, lang: str | None = None, as_of: date | None = None,
    progress: Progress | None = None, address: str | None = None,
    actor: Principal | None = None, sections: Sequence[str] | None = None,
) -> ReportFile:  # fmt: skip
    """The report of `period` and `scope` as `who` sees it, written as `fmt`; the audit log
    names `actor` (who asked: `who` unless an operator builds it as someone)."""
    check_format(fmt)
    r = build_report(ws, who, period=period, scope=scope, lang=lang, as_of=as_of,
                     progress=progress, sections=sections)  # fmt: skip
    data = write(r, fmt)
    record(ws, actor or who, "export", object_type="report", address=address,
           details={"format": fmt, "period": str(r.period), "scope": r.scope, "lang": r.lang,
                    "as": None if actor is None else who.email,
                    "sections": [s.key for s in r.sections]})  # fmt: skip
    return ReportFile(data, file_name(r, fmt), MEDIA[fmt], r)
