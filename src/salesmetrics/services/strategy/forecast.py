"""The revenue forecast by month or week, blended with the weighted pipeline for the near
months, with its rolling-origin backtest against seasonal naive (docs/plan.md).

Revenue is the `revenue` metric (order lines of paid orders, KPIS.md) in the asker's view. The
model is trained on the complete periods before today (analytics/strategy/forecast.py); h = 1
is the period that holds today. For monthly forecasts the deals part of the near months comes
from the pipeline (services/pipeline/forecast.py): in the current month, what is not known yet
of the revenue outside deals comes from the model, the deals part is the pipeline's expected
(won so far + open deals due x probability); in the next month the deals part is half the
model's and half the pipeline's. Intervals (80 %) come from the backtest's errors at the same
horizon, beyond its last horizon from that one's, growing with sqrt(h) (`_spreads`). The backtest
scores the model alone, not the blend with the pipeline. Answers are cached per data version,
view, grain, horizon and day (`revenue_forecast`).
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from salesmetrics.analytics.strategy import forecast as model
from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError, SalesmetricsError
from salesmetrics.domain.periods import Grain, add_months, bucket_start, next_bucket
from salesmetrics.services.live import data_version
from salesmetrics.services.pipeline import common
from salesmetrics.services.pipeline import forecast as pipeline_forecast
from salesmetrics.services.team import VersionedCache
from salesmetrics.services.workspace import Workspace

HISTORY_YEARS = 5
GRAINS = ("month", "week")
MIN_INTERVAL_TRIALS = 3  # below this many backtest errors at a horizon, the model's own sigma


@dataclass(frozen=True, slots=True)
class Setup:
    """How one grain is forecast and backtested."""

    grain: Grain
    per_year: int
    min_train: int  # periods before the first backtest origin: a year and a quarter
    horizon: int  # backtest horizon
    step: int  # periods between backtest origins
    buckets: tuple[tuple[str, int, int], ...]
    default_horizon: int
    max_horizon: int


SETUPS = {
    "month": Setup(Grain.MONTH, 12, 15, 3, 1, (("1", 1, 1), ("2", 2, 2), ("3", 3, 3)), 3, 12),
    "week": Setup(Grain.WEEK, 52, 65, 13, 4, (("1-4", 1, 4), ("5-8", 5, 8), ("9-13", 9, 13)),
                  13, 26),
}  # fmt: skip
NEAR_WEIGHT = (1.0, 0.5)  # the pipeline's share of the deals part in the current, next month


@dataclass(frozen=True, slots=True)
class Score:
    """MAPE (percent) of the model and of seasonal naive over the trials at some horizons."""

    horizons: str
    trials: int
    model_mape: float | None
    naive_mape: float | None
    rmse_log: float | None


@dataclass(frozen=True, slots=True)
class Trial:
    origin: date  # the first period forecast (the model knew the periods before it)
    period: date
    h: int
    actual_minor: int
    model_minor: int
    naive_minor: int


@dataclass(frozen=True)
class Backtest:
    """A rolling-origin backtest: every origin, each forecast against its actual."""

    grain: str
    per_year: int
    min_train: int
    horizon: int
    step: int
    origins: list[date]
    scores: list[Score]
    trials: list[Trial]
    currency: str

    @property
    def overall(self) -> Score:
        return self.scores[-1]

    @property
    def beats_naive(self) -> bool | None:
        s = self.overall
        if s.model_mape is None or s.naive_mape is None:
            return None
        return s.model_mape < s.naive_mape

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "beats_naive": self.beats_naive}


@dataclass(frozen=True, slots=True)
class Point:
    """One period of the forecast. Minor units; `expected` is what the page shows."""

    period: date
    h: int
    model_minor: int
    low_minor: int
    high_minor: int
    expected_minor: int
    to_date_minor: int | None = None  # revenue so far in the current period
    pipeline_minor: int | None = None  # the pipeline's expected (won so far + weighted due)
    pipeline_weight: float = 0.0


@dataclass(frozen=True)
class RevenueForecast:
    grain: str
    as_of: date
    currency: str
    history: list[tuple[date, int]]  # complete periods
    points: list[Point]
    method: dict[str, Any]
    deal_share: float | None  # won deal amounts / revenue over the last 12 months
    backtest: Backtest | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["history"] = [{"period": p, "revenue_minor": v} for p, v in self.history]
        out["backtest"] = self.backtest.as_dict() if self.backtest else None
        return out


# Answers by (workspace, data version, view, grain[, horizon], day): see revenue_forecast
_FORECASTS: VersionedCache[tuple[Any, ...], RevenueForecast] = VersionedCache(size=32)
_BACKTESTS: VersionedCache[tuple[Any, ...], Backtest] = VersionedCache(size=16)


# ------------------------------------------------------------------ history


def setup_of(grain: str) -> Setup:
    if grain not in SETUPS:
        raise InputError(f"grain '{grain}': use month or week")
    return SETUPS[grain]


def _last_complete(day: date, grain: Grain) -> date:
    """The start of the period that holds `day` (history ends just before it)."""
    return bucket_start(day, grain)


def history(ws: Workspace, who: Principal, s: Setup, today: date,
            metric: str = "revenue") -> list[tuple[date, int]]:  # fmt: skip
    """The metric over the complete periods before today's, from the first with any."""
    current = _last_complete(today, s.grain)
    first = bucket_start(add_months(current, -12 * HISTORY_YEARS), s.grain)
    if current <= first:
        return []
    res = ws.metrics.query([metric], period=f"{first}..{current - timedelta(days=1)}",
                           grain=s.grain.value, as_of=today, scope=who.scope)  # fmt: skip
    got = {r["period"]: int(r[metric] or 0) for r in res.rows()}
    out: list[tuple[date, int]] = []
    p = first
    while p < current:
        v = got.get(p, 0)
        if out or v > 0:
            out.append((p, v))
        p = next_bucket(p, s.grain)
    return out


def season_of(period: date, grain: Grain) -> int:
    """The calendar month (0..11) a period belongs to: a week by its Thursday (ISO)."""
    day = period + timedelta(days=3) if grain is Grain.WEEK else period
    return day.month - 1


def _usable(hist: list[tuple[date, int]], s: Setup) -> None:
    if len(hist) < s.per_year + 1:
        unit = "months" if s.grain is Grain.MONTH else "weeks"
        raise InputError(
            f"a forecast needs more than a year of revenue ({s.per_year + 1} complete {unit}); "
            f"this view has {len(hist)}"
        )
    if any(v <= 0 for _, v in hist):
        gaps = [p.isoformat() for p, v in hist if v <= 0][:3]
        raise InputError(f"periods without revenue ({', '.join(gaps)}): too sparse to forecast; "
                         "try a monthly grain or a wider view")  # fmt: skip


# ------------------------------------------------------------------ backtest


def backtest(ws: Workspace, who: Principal, *, grain: str = "month",
             as_of: date | None = None) -> Backtest:  # fmt: skip
    """Rolling-origin backtest of the model against seasonal naive on the complete periods
    before `as_of` (today): every origin from `min_train` periods on, each model trained only
    on the periods before its origin."""
    s = setup_of(grain)
    today = as_of or ws.metrics.today()
    key = (ws.store.url, data_version(ws), who.scope.key(), who.rep_id, s.grain, today)
    return _BACKTESTS.get(key, lambda: _backtest_of(ws, who, s, today))


def _backtest_of(ws: Workspace, who: Principal, s: Setup, today: date) -> Backtest:
    hist = history(ws, who, s, today)
    _usable(hist, s)
    return _backtest(hist, s, ws.settings.base_currency)


def _backtest(hist: list[tuple[date, int]], s: Setup, currency: str) -> Backtest:
    periods = [p for p, _ in hist]
    y = np.array([v for _, v in hist], np.float64)
    months = np.array([season_of(p, s.grain) for p in periods], np.int64)
    try:
        trials = model.rolling_origin(y, months, per_year=s.per_year, min_train=s.min_train,
                                      horizon=s.horizon, step=s.step)  # fmt: skip
    except model.ForecastInputError as exc:
        raise InputError(str(exc)) from None
    scores = [Score(x.label, x.trials, x.model_mape, x.naive_mape, x.rmse_log)
              for x in model.scores(trials, s.buckets)]  # fmt: skip
    return Backtest(
        grain=s.grain.value, per_year=s.per_year, min_train=s.min_train, horizon=s.horizon,
        step=s.step, origins=sorted({periods[t.train] for t in trials}), scores=scores,
        trials=[Trial(periods[t.train], periods[t.train + t.h - 1], t.h, round(t.actual),
                      round(t.model), round(t.naive)) for t in trials],
        currency=currency,
    )  # fmt: skip


def _spreads(trials: list[model.Trial], sigma: float, horizon: int) -> list[float]:
    """Per horizon 1..horizon, the spread (rmse of log errors) of the 80 % interval:

    - at a horizon the backtest has enough trials at, the rmse of its log errors there;
    - beyond the last such horizon H, rmse[H] x sqrt(h / H): the random-walk growth of the
      error (FPP3 §5.5), scaled from the farthest error measured rather than the in-sample
      sigma, which is smaller than what the backtest saw;
    - with no backtested horizon at or below h, the model's one-step sigma x sqrt(h).

    The spread never shrinks from one horizon to the next (a forecast further out is not known
    better), so each is at least the one before it."""
    rmse: dict[int, float] = {}
    for h in range(1, horizon + 1):
        at = [t for t in trials if t.h == h and t.actual > 0 and t.model > 0]
        if len(at) >= MIN_INTERVAL_TRIALS:
            rmse[h] = float(np.sqrt(np.mean([np.log(t.actual / t.model) ** 2 for t in at])))
    out: list[float] = []
    for h in range(1, horizon + 1):
        below = [k for k in rmse if k <= h]
        if below:
            last = max(below)
            spread = rmse[last] * float(np.sqrt(h / last))
        else:
            spread = sigma * float(np.sqrt(h))
        out.append(max(spread, out[-1]) if out else spread)
    return out


# ------------------------------------------------------------------ forecast


def revenue_forecast(
    ws: Workspace, who: Principal, *, grain: str = "month", horizon: int | None = None,
    as_of: date | None = None, with_backtest: bool = True,
) -> RevenueForecast:  # fmt: skip
    """Revenue of the next `horizon` periods (the current one first) with 80 % intervals,
    the pipeline blended into the near months (monthly only), and the backtest.

    Computed once per (workspace, data version, view, grain, horizon, day): the answer is
    shared, never to be changed by a caller. The backtest (the costly part: a model fitted
    per origin) is shared by every horizon of the same grain and day."""
    s = setup_of(grain)
    h = horizon or s.default_horizon
    if not 1 <= h <= s.max_horizon:
        raise InputError(f"horizon {h}: use 1 to {s.max_horizon} {s.grain.value}s")
    today = as_of or ws.metrics.today()
    key = (ws.store.url, data_version(ws), who.scope.key(), who.rep_id, s.grain, h, today,
           with_backtest)  # fmt: skip
    return _FORECASTS.get(key, lambda: _forecast(ws, who, s, h, today, with_backtest))


def _forecast(ws: Workspace, who: Principal, s: Setup, h: int, today: date,
              with_backtest: bool) -> RevenueForecast:  # fmt: skip
    hist = history(ws, who, s, today)
    _usable(hist, s)
    periods = [p for p, _ in hist]
    y = np.array([v for _, v in hist], np.float64)
    months = np.array([season_of(p, s.grain) for p in periods], np.int64)
    fit = model.SeasonalEts(s.per_year).fit(y, months)
    ahead = [_last_complete(today, s.grain)]
    while len(ahead) < h:
        ahead.append(next_bucket(ahead[-1], s.grain))
    point = fit.predict(np.array([season_of(p, s.grain) for p in ahead], np.int64))
    bt = backtest(ws, who, grain=s.grain.value, as_of=today)
    raw = [model.Trial(0, t.h, t.actual_minor, t.model_minor, t.naive_minor) for t in bt.trials]
    low, high = model.interval(point, _spreads(raw, fit.sigma_, h))
    points = [Point(p, k + 1, round(point[k]), round(low[k]), round(high[k]), round(point[k]))
              for k, p in enumerate(ahead)]  # fmt: skip
    share = _deal_share(ws, who, today)
    notes: list[str] = []
    points[0] = _to_date(ws, who, s, today, points[0])
    if s.grain is Grain.MONTH and share is not None:
        points = _blend(ws, who, today, points, share, notes)
    method = {"model": "seasonal indices + exponential smoothing (" + fit.kind_ + ")",
              "smoothing": fit.kind_, "params": fit.params_, "sigma_log": fit.sigma_,
              "seasonal_indices": [float(x) for x in fit.indices_],
              "trained_on": {"first": periods[0], "last": periods[-1], "periods": len(periods)},
              "interval": "80 %, from the backtest's log errors at the same horizon; "
                          "beyond its last H, x sqrt(h / H); never narrower further"}  # fmt: skip
    return RevenueForecast(grain=s.grain.value, as_of=today, currency=ws.settings.base_currency,
                           history=hist, points=points, method=method, deal_share=share,
                           backtest=bt if with_backtest else None, notes=notes)  # fmt: skip


def _to_date(ws: Workspace, who: Principal, s: Setup, today: date, p: Point) -> Point:
    """The current period with its revenue so far (through yesterday's data, today's too)."""
    if today <= p.period:
        return p
    got = ws.metrics.query(["revenue"], period=f"{p.period}..{today}", as_of=today,
                           scope=who.scope).rows()  # fmt: skip
    so_far = int((got[0]["revenue"] if got else 0) or 0)
    return Point(p.period, p.h, p.model_minor, p.low_minor, p.high_minor, p.expected_minor,
                 to_date_minor=so_far)  # fmt: skip


def _deal_share(ws: Workspace, who: Principal, today: date) -> float | None:
    """Won deal amounts / revenue over the 12 complete months before today's."""
    end = today.replace(day=1) - timedelta(days=1)
    start = add_months(today.replace(day=1), -12)
    names = ws.metrics.readable(["revenue", "won_amount"], who.scope)
    if len(names) < 2:
        return None
    row = ws.metrics.query(names, period=f"{start}..{end}", as_of=today, scope=who.scope).rows()
    if not row or not row[0]["revenue"]:
        return None
    return min(1.0, float(row[0]["won_amount"] or 0) / float(row[0]["revenue"]))


def _pipeline(ws: Workspace, who: Principal, today: date, month: date) -> dict[str, Any] | None:
    """The pipeline's forecast of one month in the asker's view (None without a pipeline)."""
    try:
        a = common.ask(ws, who, as_of=today)
        return pipeline_forecast.forecast(a, pipeline_forecast.month_of(month))
    except SalesmetricsError:
        return None


def _blend(ws: Workspace, who: Principal, today: date, points: list[Point], share: float,
           notes: list[str]) -> list[Point]:  # fmt: skip
    out = list(points)
    for k, weight in enumerate(NEAR_WEIGHT[: len(points)]):
        p = points[k]
        pipe = _pipeline(ws, who, today, p.period)
        if pipe is None:
            notes.append("no pipeline in this view: the forecast is the model's alone")
            break
        expected = float(pipe["expected_minor"])
        unknown = 1.0
        if k == 0:
            days = calendar.monthrange(p.period.year, p.period.month)[1]
            unknown = max(0.0, (days - (today - p.period).days) / days)
            won_so_far = float(pipe["won_minor"])
            rest_to_date = max(0.0, float(p.to_date_minor or 0) - won_so_far)
            value = rest_to_date + p.model_minor * (1 - share) * unknown + expected
        else:
            value = p.model_minor * (1 - share * weight) + weight * expected
        lo = value - (p.model_minor - p.low_minor) * unknown
        hi = value + (p.high_minor - p.model_minor) * unknown
        out[k] = Point(p.period, p.h, p.model_minor, round(max(lo, 0.0)), round(hi), round(value),
                       p.to_date_minor, round(expected), weight)  # fmt: skip
    return out
