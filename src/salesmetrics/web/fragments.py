"""The Overview's live parts: HTML fragments (cards, reps, channels) and the chart data, each
rendered from the same partial template the full page includes.

After a data change every open page asks for these at once; the answer for a given data version
and language is rendered once and kept (see services/overview.py for the computing side)."""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.access import Principal
from salesmetrics.services import overview as svc
from salesmetrics.services.workspace import Workspace
from salesmetrics.web import i18n
from salesmetrics.web.render import locale_of, render
from salesmetrics.web.segment import narrowed
from salesmetrics.web.targets import goals

router = APIRouter(include_in_schema=False)
SPARK_W, SPARK_H, SPARK_PAD = 120.0, 32.0, 3.0
KEEP = 64  # rendered fragments kept (a few versions x languages x parts)


@dataclass(frozen=True)
class Spark:
    """A sparkline as SVG geometry: whole months solid, this month (to date) dashed and dotted."""

    solid: list[str]
    dashed: str | None
    dot: tuple[float, float] | None


def spark(values: tuple[float | None, ...]) -> Spark:
    """Scale the values into a SPARK_W x SPARK_H box; gaps (no data) break the line."""
    known = [v for v in values if v is not None]
    if not known or len(values) < 2:
        return Spark([], None, None)
    low, high = min(known), max(known)
    step = (SPARK_W - 2 * SPARK_PAD) / (len(values) - 1)
    span = (high - low) or 1.0

    def point(i: int, v: float) -> tuple[float, float]:
        y = (
            SPARK_H / 2
            if high == low
            else SPARK_H - SPARK_PAD - (v - low) / span * (SPARK_H - 2 * SPARK_PAD)
        )
        return round(SPARK_PAD + i * step, 1), round(y, 1)

    pts = [None if v is None else point(i, v) for i, v in enumerate(values)]
    runs: list[list[tuple[float, float]]] = [[]]
    for p in pts[:-1]:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    solid = [" ".join(f"{x},{y}" for x, y in run) for run in runs if len(run) > 1]
    last, before = pts[-1], pts[-2]
    dashed = f"{before[0]},{before[1]} {last[0]},{last[1]}" if last and before else None
    lone = [f"{x},{y} {x},{y}" for run in runs if len(run) == 1 for x, y in run]
    return Spark(solid + lone, dashed, last)


class _Rendered:
    """Rendered fragments by key, the newest KEEP of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, tuple[bytes, str]] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Response]) -> Response:
        with self._lock:
            found = self._items.get(key)
        if found is None:
            made = make()
            found = (bytes(made.body), made.media_type or "text/html")
            with self._lock:
                self._items[key] = found
                while len(self._items) > KEEP:
                    self._items.popitem(last=False)
        body, media = found
        return Response(body, media_type=media, headers={"Cache-Control": "no-store"})


_RENDERED: weakref.WeakKeyDictionary[Workspace, _Rendered] = weakref.WeakKeyDictionary()
_RENDERED_LOCK = threading.Lock()


def _cache(ws: Workspace) -> _Rendered:
    with _RENDERED_LOCK:
        found = _RENDERED.get(ws)
        if found is None:
            found = _RENDERED[ws] = _Rendered()
        return found


def formatters(currency: str, locale: str) -> dict[str, Any]:
    """What the Overview templates use to show numbers."""
    return {
        "value": lambda v, unit: i18n.metric_value(v, unit, currency, locale),
        "change": lambda c: i18n.change(c.delta, c.delta_pct, c.unit, locale),
        "spark": spark,
    }


def charts(ws: Workspace, k: svc.Keys, locale: str) -> dict[str, Any]:
    """The two charts' data: revenue by month, and revenue by channel this month."""
    tr = i18n.translator(locale)
    months = svc.trend(ws, k)
    mix = svc.channels(ws, k)
    currency = ws.settings.base_currency
    return {
        "trend": {
            "x": [p.isoformat() for p, _ in months],
            "y": [None if v is None else i18n.major(v, currency) for _, v in months],
            "name": tr.gettext("Revenue"),
        },
        "channels": {
            "x": [None if c.revenue is None else i18n.major(c.revenue, currency) for c in mix],
            "y": [c.channel if c.channel is not None else tr.gettext("(no channel)") for c in mix],
            "name": tr.gettext("Revenue"),
        },
        "version": k.version,
    }


def _fragment(request: Request, ws: Workspace, who: Principal, part: str) -> Response:
    settings = ws.settings
    locale = locale_of(request, settings.locale)
    who = narrowed(request, who)
    k = svc.keys(ws, who.scope)

    def make() -> Response:
        context: dict[str, Any] = formatters(settings.base_currency, locale)
        if part == "cards":
            context["cards"] = svc.cards(ws, k)
            context["goals"] = goals(ws, who, k.day, k.version, locale)
        elif part == "reps":
            context["by_rep"] = svc.reps(ws, k)
        else:
            context["channels"] = svc.channels(ws, k)
        return render(request, f"_overview_{part}.html", locale, context)

    return _cache(ws).get(_key(ws, k, part, locale, who.rep_id), make)


def _key(ws: Workspace, k: svc.Keys, part: str, locale: str, who_key: int | None) -> Hashable:
    """What a rendered part depends on: the data, the day, the language and, for parts that
    show earlier months, the version of those months actually in hand; and the person's rep
    (the cards show their own target)."""
    past = svc.history(ws, k).version if part in ("cards", "charts") else None
    return (part, locale, k.version, k.day, past, k.scope.key(), who_key)


@router.get("/fragments/overview/cards", response_class=HTMLResponse)
def cards_fragment(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> Response:
    """The KPI cards (inner HTML of the page's cards section)."""
    return _fragment(request, ws, who, "cards")


@router.get("/fragments/overview/reps", response_class=HTMLResponse)
def reps_fragment(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> Response:
    """Revenue by rep this month."""
    return _fragment(request, ws, who, "reps")


@router.get("/fragments/overview/channels", response_class=HTMLResponse)
def channels_fragment(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> Response:
    """The channel mix table."""
    return _fragment(request, ws, who, "channels")


@router.get("/fragments/overview/charts")
def charts_fragment(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> Response:
    """The chart data of the Overview, for Plotly.react after a change."""
    locale = locale_of(request, ws.settings.locale)
    k = svc.keys(ws, narrowed(request, who).scope)

    def make() -> Response:
        return Response(json.dumps(charts(ws, k, locale)), media_type="application/json")

    return _cache(ws).get(_key(ws, k, "charts", locale, None), make)
