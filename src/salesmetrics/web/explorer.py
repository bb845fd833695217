"""The KPI explorer: any metric by grain, breakdown, period and comparison; chart, table,
how it is computed, CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Scope
from salesmetrics.domain.cells import inert
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.domain.periods import NAMED_PERIODS
from salesmetrics.services.access.audit import record
from salesmetrics.services.metrics import MetricsService
from salesmetrics.services.segments.picker import picker
from salesmetrics.web import i18n
from salesmetrics.web.render import locale_of, render, script_json
from salesmetrics.web.segment import narrowed

router = APIRouter(include_in_schema=False)
GRAINS = ("", "day", "week", "month", "quarter", "year")
BREAKDOWNS = ("", "rep", "team", "channel", "product", "category", "region", "segment",
              "stage", "lead_source", "pipeline")  # fmt: skip
MAX_SERIES = 8


def _params(request: Request) -> dict[str, str]:
    q = request.query_params
    return {
        "metric": q.get("metric", "revenue"),
        "period": q.get("period", "trailing_12_months"),
        "grain": q.get("grain", "month"),
        "by": q.get("by", ""),
        "compare": q.get("compare", ""),
    }


def _run(metrics: MetricsService, p: dict[str, str], scope: Scope) -> tuple[Any, Any]:
    options: dict[str, Any] = {
        "period": p["period"], "grain": p["grain"] or None, "by": [p["by"]] if p["by"] else [],
        "compare": p["compare"] or None, "scope": scope,
    }  # fmt: skip
    result = metrics.query([p["metric"]], **options)
    return result, metrics.explain([p["metric"]], **options)


def _readable(metrics: MetricsService, scope: Scope) -> list[Any]:
    """The metrics the picker offers: those the person's view may be shown (one check)."""
    listed = metrics.list()
    shown = set(metrics.readable([m.name for m in listed], scope))
    return [m for m in listed if m.name in shown]


def _named(rows: list[dict[str, Any]], by: tuple[str, ...], names: dict[str, str]) -> None:
    """Segment codes as their names in the page's language (`champions` -> `Champions`)."""
    if "segment" in by:
        for row in rows:
            code = row["segment"]
            row["segment"] = names.get(code, code) if code is not None else None


def _chart(result: Any, rows: list[dict[str, Any]], metric: str, unit: str) -> dict[str, Any]:
    by = result.request.by
    scale = 0.01 if unit in ("money", "money_per_day") else 100 if unit == "percent" else 1
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        key = "" if not by else (row[by[0]] if row[by[0]] is not None else "—")
        groups.setdefault(key, []).append(row)
    ranked = sorted(groups, key=lambda k: -sum(abs(r[metric] or 0) for r in groups[k]))
    return {
        "series": [
            {"name": k or metric, "x": [r["period"].isoformat() for r in groups[k]],
             "y": [None if r[metric] is None else r[metric] * scale for r in groups[k]]}
            for k in ranked[:MAX_SERIES]
        ],
        "bar": not result.request.grain,
    }  # fmt: skip


@router.get("/explore", response_class=HTMLResponse)
def explore(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """Pick a metric, grain, breakdown, period and comparison; see a chart and a table."""
    settings = ws.settings
    locale = locale_of(request, settings.locale)
    who = narrowed(request, who)
    p = _params(request)
    context: dict[str, Any] = {
        "p": p, "name": settings.name,
        "metrics": _readable(ws.metrics, who.scope),
        "grains": GRAINS, "breakdowns": BREAKDOWNS,
        "periods": list(NAMED_PERIODS), "error": None, "result": None,
    }  # fmt: skip
    if who.scope.segment and p["metric"] not in {m.name for m in context["metrics"]}:
        tr = i18n.translator(locale)
        context["error"] = tr.gettext(
            "“{metric}” cannot be split by customer segment: choose “All customers” to see it."
        ).format(metric=p["metric"])
        return render(request, "explore.html", locale, context, status_code=422)
    try:
        result, explanation = _run(ws.metrics, p, who.scope)
    except SalesmetricsError as exc:
        context["error"] = exc.message
        status = exc.http_status if 400 <= exc.http_status < 500 else 422
        return render(request, "explore.html", locale, context, status_code=status)
    info = result.metrics[0]
    rows = result.rows()
    _named(rows, result.request.by, {o.code: o.label for o in picker(ws, locale).options})
    context.update(
        result=result, info=info, rows=rows, explain=explanation.as_dict(),
        chart_json=script_json(_chart(result, rows, info.name, info.unit)),
        value=lambda v: i18n.metric_value(v, info.unit, settings.base_currency, locale),
        change=lambda r: i18n.change(r.get(f"{info.name}__delta"),
                                     r.get(f"{info.name}__delta_pct"), info.unit, locale),
        csv_query=str(request.url.query),
    )  # fmt: skip
    return render(request, "explore.html", locale, context)


@router.get("/explore.csv")
def explore_csv(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> Response:
    """The explorer's table as CSV (raw values: money in minor units, rates as fractions),
    over the records the person sees; each export is in the audit log."""
    params = _params(request)
    who = narrowed(request, who)
    result, _ = _run(ws.metrics, params, who.scope)
    record(
        ws,
        who,
        "export",
        object_type="metric",
        object_id=params["metric"],
        details={"format": "csv", **params, "segment": who.scope.segment},
        address=_address(request),
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(result.table.column_names)
    for row in result.rows():
        writer.writerow([inert(v) for v in row.values()])  # a name like =HYPERLINK(…) stays text
    name = f"{result.metrics[0].name}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None
