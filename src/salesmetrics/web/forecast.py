"""The Forecast page: revenue by month or week, the forecast with its 80 % interval, the
pipeline's part in the near months, and the backtest (MAPE of the model against seasonal naive
at each horizon) (services/strategy/forecast.py). The person's own view; customer segments do
not apply."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from salesmetrics.api.deps import PrincipalDep, WorkspaceDep
from salesmetrics.domain.errors import SalesmetricsError
from salesmetrics.services.strategy import forecast as fc
from salesmetrics.services.strategy.forecast import RevenueForecast
from salesmetrics.web import i18n
from salesmetrics.web.render import locale_of, render, script_json

router = APIRouter(include_in_schema=False)
SHOWN_HISTORY = {"month": 24, "week": 52}


def _chart(r: RevenueForecast, locale: str) -> dict[str, Any]:
    cur = r.currency

    def major(v: float | None) -> float | None:
        return None if v is None else i18n.major(v, cur)

    hist = r.history[-SHOWN_HISTORY[r.grain] :]
    _ = i18n.translator(locale).gettext
    return {
        "history": {"x": [p.isoformat() for p, _v in hist], "y": [major(v) for _p, v in hist]},
        "forecast": {"x": [p.period.isoformat() for p in r.points],
                     "y": [major(p.expected_minor) for p in r.points],
                     "low": [major(p.low_minor) for p in r.points],
                     "high": [major(p.high_minor) for p in r.points],
                     "to_date": [major(p.to_date_minor) for p in r.points],
                     "pipeline": [major(p.pipeline_minor) for p in r.points]},
        "names": {"history": _("Revenue"), "forecast": _("Forecast"),
                  "band": _("80 % interval"), "to_date": _("So far"),
                  "pipeline": _("Pipeline expected")},
    }  # fmt: skip


@router.get("/forecast", response_class=HTMLResponse)
def forecast_page(request: Request, ws: WorkspaceDep, who: PrincipalDep) -> HTMLResponse:
    """Where revenue is heading, and how well the forecast did on the past."""
    locale = locale_of(request, ws.settings.locale)
    grain = request.query_params.get("grain") or "month"
    grain = grain if grain in fc.GRAINS else "month"
    currency = ws.settings.base_currency
    base = {"grain": grain, "grains": fc.GRAINS,
            "grain_url": lambda g: "/forecast?" + urlencode({"grain": g,
                                                             "lang": locale})}  # fmt: skip
    try:
        r = fc.revenue_forecast(ws, who, grain=grain)
    except SalesmetricsError as exc:
        return render(request, "forecast.html", locale, base | {"error": exc.message},
                      status_code=exc.http_status)  # fmt: skip
    bt = r.backtest
    return render(request, "forecast.html", locale, base | {
        "r": r, "bt": bt,
        "money": lambda v: i18n.metric_value(v, "money", currency, locale),
        "mape": lambda v: "—" if v is None else i18n.metric_value(v / 100, "percent", currency,
                                                                 locale),
        "charts_json": script_json(_chart(r, locale)),
    })  # fmt: skip
