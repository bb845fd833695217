"""Metric endpoints: list, show, query, explain. Thin: parse, call the metric service, respond."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.api.errors import problem_responses
from salesmetrics.api.schemas import (
    ExplainOut,
    MetricDefinitionOut,
    MetricInfoOut,
    MetricList,
    MetricQueryIn,
    MetricQueryOut,
    MetricSummary,
)
from salesmetrics.domain.errors import NotFoundError, QueryError

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])


@router.get("", response_model=MetricList, responses=problem_responses(422))
def list_metrics(ws: WorkspaceDep, who: PrincipalDep, include_hidden: bool = False) -> MetricList:
    """Every metric of the workspace: built-in and its own."""
    catalog = ws.metrics.catalog
    data = [
        MetricSummary(
            name=m.name,
            label=m.label.model_dump(),
            description=m.description.model_dump(),
            type=m.type.value,
            unit=m.unit.value,
            direction=m.direction.value,
            variants={a: list(x.options) for a, x in m.variants.items()},
            builtin=catalog.entries[m.name].builtin,
        )
        for m in ws.metrics.list(include_hidden=include_hidden)
    ]
    return MetricList(data=data, count=len(data))


@router.get("/{name}", response_model=MetricDefinitionOut, responses=problem_responses(404, 422))
def show_metric(name: str, ws: WorkspaceDep, who: PrincipalDep) -> dict[str, Any]:
    """One metric's definition as data, with the file and line it comes from."""
    if name not in ws.metrics.catalog.entries:
        try:
            ws.metrics.catalog.get(name)  # its message suggests the nearest name
        except QueryError as exc:
            raise NotFoundError(exc.message) from None
    metric, where = ws.metrics.show(name)
    return {**metric.model_dump(mode="json", exclude_defaults=True), "defined_at": where}


def _options(body: MetricQueryIn, who: PrincipalDep) -> dict[str, Any]:
    try:
        as_of = date.fromisoformat(body.as_of) if body.as_of else None
    except ValueError:
        raise QueryError(f"as_of '{body.as_of}' is not a date: use YYYY-MM-DD") from None
    return {"period": body.period, "grain": body.grain, "by": body.by, "filters": body.filters,
            "compare": body.compare, "variants": body.variants, "as_of": as_of,
            "scope": who.scope}  # fmt: skip


@router.post("/query", response_model=MetricQueryOut, responses=problem_responses(422, 503))
def query(body: MetricQueryIn, ws: WorkspaceDep, who: PrincipalDep) -> MetricQueryOut:
    """Compute metrics by period and dimensions, with intervals and an optional comparison,
    over the records the caller sees (a rep's revenue is the revenue of their own orders)."""
    result = ws.metrics.query(body.metrics, **_options(body, who))
    r = result.request
    rows = [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
            for row in result.rows()]  # fmt: skip
    return MetricQueryOut(
        period=str(r.range), comparison_period=str(r.comparison) if r.comparison else None,
        grain=r.grain.value if r.grain else None, by=list(r.by),
        metrics=[MetricInfoOut(**m.__dict__) for m in result.metrics], rows=rows,
        warnings=result.warnings, seconds=round(result.seconds, 4),
    )  # fmt: skip


@router.post("/explain", response_model=ExplainOut, responses=problem_responses(422))
def explain(body: MetricQueryIn, ws: WorkspaceDep, who: PrincipalDep) -> dict[str, Any]:
    """How a query is computed: definitions, variants in force and the SQL, without running it."""
    return ws.metrics.explain(body.metrics, **_options(body, who)).as_dict()
