"""The modified BG/NBD (Batislam, Denizel & Filiztekin 2007) against known answers: lifetimes'
ModifiedBetaGeoFitter as an oracle on CDNOW (the fit, and every customer's P(alive) and
conditional expectation at the same parameters), the model's own story integrated numerically,
the analytic gradient against finite differences, a seeded simulation that must recover its
planted parameters, the limit at huge a and b; then the choice between it and the BG/NBD, on
simulations and on the demo, with the holdout check of both (docs/segments.md)."""

from __future__ import annotations

import json
import warnings
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.special import beta as beta_fn
from scipy.special import hyp2f1
from typer.testing import CliRunner

import clv_samples
from clv_samples import CDNOW, simulate
from conftest import DEMO_AS_OF
from salesmetrics.analytics.clv.bgnbd import BgNbd, _fixed_dropout, _objective, _Rows
from salesmetrics.analytics.clv.errors import BadInput, FitFailed
from salesmetrics.analytics.clv.mbgnbd import MBgNbd
from salesmetrics.cli.main import app as cli
from salesmetrics.domain.access import LOCAL
from salesmetrics.domain.errors import InputError
from salesmetrics.services.segments import clv as value
from salesmetrics.services.workspace import workspace
from signed_in import owner_client

# measured on CDNOW (weeks): r 0.524843, alpha 6.183085, a 0.891359, b 1.614002, LL -9582.1357;
# lifetimes 0.524843, 6.183082, 0.891360, 1.614003 (relative differences below 6e-7)
CDNOW_MBG = {"r": 0.5248, "alpha": 6.1831, "a": 0.8914, "b": 1.6140}
DAY = DEMO_AS_OF - timedelta(days=1)  # the demo's last day of data


@pytest.fixture(scope="module")
def mbg() -> MBgNbd:
    s = clv_samples.cdnow().summary
    return MBgNbd.fit(s.frequency, s.recency, s.T)


@pytest.fixture(scope="module")
def oracle() -> dict[str, Any]:
    """lifetimes' MBG/NBD fit and predictions on our CDNOW summary (imported here: it warns)."""
    s = clv_samples.cdnow().summary
    f, r, t = (pd.Series(v) for v in (s.frequency, s.recency, s.T))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import ModifiedBetaGeoFitter

        m = ModifiedBetaGeoFitter().fit(f, r, t)
        params = m.params_[["r", "alpha", "a", "b"]].to_numpy()
        mean_nll = ModifiedBetaGeoFitter._negative_log_likelihood(
            np.log(params), f, r, t, np.ones(len(f)), 0.0
        )
        return {
            "params": params,
            "log_likelihood": -float(mean_nll) * len(f),
            "p_alive": np.asarray(m.conditional_probability_alive(f, r, t)),
            "expected": np.asarray(
                m.conditional_expected_number_of_purchases_up_to_time(39, f, r, t)
            ),
            "unconditional": np.asarray(
                m.expected_number_of_purchases_up_to_time(np.array([1.0, 39.0, 78.0]))
            ),
        }


# --- CDNOW, against lifetimes -----------------------------------------------------------------


def test_the_fit_matches_lifetimes(mbg: MBgNbd, oracle: dict[str, Any]) -> None:
    s = clv_samples.cdnow().summary
    assert {k: round(getattr(mbg, k), 4) for k in CDNOW_MBG} == CDNOW_MBG
    assert mbg.params == pytest.approx(oracle["params"], rel=1e-5)
    ll = mbg.log_likelihood(s.frequency, s.recency, s.T)
    assert ll == pytest.approx(oracle["log_likelihood"], abs=1e-4)
    # a hair above the BG/NBD's -9582.43 with the same four parameters
    assert round(ll, 2) == -9582.14
    assert mbg.time_unit == "week"


def test_every_customer_matches_lifetimes_at_the_same_parameters(oracle: dict[str, Any]) -> None:
    # only the formulas differ (ours take Euler's transform of 2F1): measured 1e-15 and 9e-13
    model = MBgNbd(*oracle["params"])
    s = clv_samples.cdnow().summary
    x, t_x, big_t = s.frequency, s.recency, s.T
    assert np.max(np.abs(model.p_alive(x, t_x, big_t) - oracle["p_alive"])) < 1e-10
    assert np.max(np.abs(model.conditional_expected(39, x, t_x, big_t) - oracle["expected"])) < 1e-9
    assert model.expected([1.0, 39.0, 78.0]) == pytest.approx(oracle["unconditional"], rel=1e-9)


def test_holdout_on_cdnow(mbg: MBgNbd) -> None:
    s = clv_samples.cdnow().summary
    assert s.holdout_frequency is not None and s.holdout_duration is not None
    predicted = mbg.conditional_expected(s.holdout_duration, s.frequency, s.recency, s.T)
    # weeks 40-78: measured 1576.7 against 1882 (-16.2 %; the BG/NBD's 1653.4 is -12.1 %); the
    # one-time buyers, who may now have left, expect 0.185 each where the BG/NBD says 0.225
    # and 0.237 happened
    assert predicted.sum() / s.holdout_frequency.sum() - 1 == pytest.approx(-0.162, abs=0.01)
    once = s.frequency == 0
    assert predicted[once].mean() == pytest.approx(0.185, abs=0.005)


# --- the formulas, from first principles ------------------------------------------------------


def _by_quadrature(params: np.ndarray, x: float, t_x: float, big_t: float,
                   t: float) -> tuple[float, float, float]:  # fmt: skip
    """(likelihood, P(alive), E[Y(t)]) of one history from the model's story: given lambda and
    p, (1-p)^x lambda^x [(1-p) e^(-lambda T) + p e^(-lambda t_x)] (still active, or gone right
    after the last purchase), and (1 - e^(-lambda p t)) / p purchases to come if active. The
    Gamma integral over lambda is taken in closed form, the Beta one numerically."""
    r, alpha, a, b = params

    def gamma_part(at: float) -> float:  # E[lambda^x e^(-lambda at)], lambda ~ Gamma(r, alpha)
        return float(np.exp(r * np.log(alpha) - (r + x) * np.log(alpha + at)
                            + np.sum(np.log(r + np.arange(x)))))  # fmt: skip

    def beta_mean(f: Any) -> float:  # E[f(p)], p ~ Beta(a, b): the weight p^(a-1) (1-p)^(b-1)
        return float(quad(f, 0, 1, weight="alg", wvar=(a - 1, b - 1), epsabs=0, epsrel=1e-12,
                          limit=200)[0] / beta_fn(a, b))  # fmt: skip

    def to_come(p: float) -> float:  # (1 - E[e^(-lambda p t)]) / p, lambda ~ Gamma(r+x, alpha+T)
        if p == 0:
            return float((r + x) * t / (alpha + big_t))
        return float(-np.expm1(-(r + x) * np.log1p(p * t / (alpha + big_t))) / p)

    active = beta_mean(lambda p: (1 - p) ** (x + 1)) * gamma_part(big_t)
    gone = beta_mean(lambda p: p * (1 - p) ** x) * gamma_part(t_x)
    coming = beta_mean(lambda p: (1 - p) ** (x + 1) * to_come(p)) * gamma_part(big_t)
    return active + gone, active / (active + gone), coming / (active + gone)


@pytest.mark.parametrize("params", [(0.5248, 6.1831, 0.8914, 1.6140), (2.5, 10.7, 3.2, 7.5)])
def test_closed_forms_are_the_model_integrated(params: tuple[float, ...]) -> None:
    # measured agreement: 1.2e-14 relative at worst
    model = MBgNbd(*params)
    for x, t_x, big_t in ((0, 0.0, 38.0), (2, 30.43, 38.86), (7, 35.0, 38.0), (1, 2.0, 30.0)):
        lik, alive, coming = _by_quadrature(model.params, x, t_x, big_t, 39.0)
        ll = model.log_likelihood([x], [t_x], [big_t])
        assert ll == pytest.approx(np.log(lik), rel=1e-9)
        assert float(model.p_alive([x], [t_x], [big_t])[0]) == pytest.approx(alive, rel=1e-9)
        got = float(model.conditional_expected(39.0, [x], [t_x], [big_t])[0])
        assert got == pytest.approx(coming, rel=1e-8)
    # a new customer: P(alive) b / (a + b), and the paper's E[X(t)] with 2F1 taken directly
    r, alpha, a, b = model.params
    assert float(model.p_alive([0], [0], [0])[0]) == pytest.approx(b / (a + b), rel=1e-12)
    z = 39.0 / (alpha + 39.0)
    paper = b / (a - 1) * (1 - (alpha / (alpha + 39.0)) ** r * hyp2f1(r, b + 1, a + b, z))
    assert float(model.expected(39.0)) == pytest.approx(paper, rel=1e-10)


@pytest.mark.parametrize("model", [BgNbd, MBgNbd])
def test_the_gradient_is_the_slope_of_the_likelihood(model: type[BgNbd]) -> None:
    s = clv_samples.cdnow().summary
    w = np.arange(len(s)) % 3 + 1.0
    rows = _Rows.of(s.frequency, s.recency, s.T, w)
    for point in ((0.5, 3.0, 1.3, 2.7), (0.24, 4.4, 0.79, 2.4), (2.5, 10.0, 0.13, 0.15)):
        params = np.array(point)
        grad = _objective(params, rows, model.FIRST)[1]
        # central differences, step 1e-6 of each parameter: measured within 3e-9
        steps = np.diag(params * 1e-6)
        slope = [(_objective(params + h, rows, model.FIRST)[0]
                  - _objective(params - h, rows, model.FIRST)[0]) / (2 * h[i])
                 for i, h in enumerate(steps)]  # fmt: skip
        assert grad == pytest.approx(slope, rel=1e-5, abs=1e-8)


# --- what the MBG/NBD changes -----------------------------------------------------------------


def test_one_time_buyers_may_have_left(mbg: MBgNbd) -> None:
    zero = np.zeros(3)
    t = np.array([1.0, 20.0, 38.0])
    alive = mbg.p_alive(zero, zero, t)
    # measured 0.626, 0.459, 0.392: below 1 (the BG/NBD's 1), and lower the longer the silence
    assert np.all(alive < 1) and np.all(np.diff(alive) < 0)
    assert alive == pytest.approx([0.626, 0.459, 0.392], abs=1e-3)
    assert BgNbd(*CDNOW.values()).p_alive(zero, zero, t).tolist() == [1.0, 1.0, 1.0]
    assert float(mbg.expected(0.0)) == 0.0


def test_a_simulation_recovers_its_parameters() -> None:
    # 100,000 customers at CDNOW's MBG/NBD parameters; over 8 seeds the estimates were within
    # r 6 %, alpha 3.5 %, a 5 %, b 12 % of the planted ones and E[X(39)], E[X(78)] within 1 %;
    # this seed: r -1.5 %, alpha -1.1 %, a +0.2 %, b +2.7 %, E +0.6 % and +0.7 %. A BG/NBD fit
    # on the same customers puts r at 0.24
    x, t_x, big_t = simulate(100_000, CDNOW_MBG, seed=2024, first=MBgNbd.FIRST)
    fit = MBgNbd.fit(x, t_x, big_t)
    truth = MBgNbd(*CDNOW_MBG.values())
    assert fit.params == pytest.approx(truth.params, rel=0.06)
    assert fit.b == pytest.approx(truth.b, rel=0.15)
    assert fit.expected([39.0, 78.0]) == pytest.approx(truth.expected([39.0, 78.0]), rel=0.02)


def test_each_model_is_the_likelier_on_its_own_story() -> None:
    # measured on 100,000 customers: MBG/NBD data, log-likelihood -413,717 against the
    # BG/NBD's -413,839; BG/NBD data, -413,807 against the MBG/NBD's -413,968
    for planted, better, worse in ((CDNOW_MBG, MBgNbd, BgNbd), (CDNOW, BgNbd, MBgNbd)):
        x, t_x, big_t = simulate(100_000, planted, seed=2024, first=better.FIRST)
        gap = (better.fit(x, t_x, big_t).log_likelihood(x, t_x, big_t)
               - worse.fit(x, t_x, big_t).log_likelihood(x, t_x, big_t))  # fmt: skip
        assert gap > 50, (better.__name__, gap)


def test_huge_a_and_b_fall_back_to_their_limit_and_stay_finite() -> None:
    # at a = 2000 the general formula holds and the limit at p = (a-1)/(a+b+x) agrees to 5e-5
    # (measured 4.2e-5); from a = 20,000 2F1 overflows and the limit is used
    x, t_x, big_t = (
        np.array([22.0, 7.0, 0.0, 3.0]),
        np.array([73.7, 49.9, 0.0, 20.0]),
        np.full(4, 74.43),
    )
    moderate = MBgNbd(0.326, 2.73, 2000.0, 80000.0)
    general = moderate.conditional_expected(26.14, x, t_x, big_t)
    limit = _fixed_dropout(moderate.params, np.array(26.14), x, big_t, MBgNbd.FIRST)
    limit = limit * moderate.p_alive(x, t_x, big_t)
    assert np.all(np.isfinite(general)) and np.allclose(general, limit, rtol=1e-4)
    huge = MBgNbd(0.326, 2.73, 189259.0, 7573852.0)
    got = huge.conditional_expected(26.14, x, t_x, big_t)
    assert np.all(np.isfinite(got)) and np.allclose(got, general, rtol=1e-3)
    fallback = _fixed_dropout(huge.params, np.array(26.14), x, big_t, MBgNbd.FIRST)
    assert got == pytest.approx(fallback * huge.p_alive(x, t_x, big_t), rel=1e-12)


def test_parameters_round_trip_through_json(mbg: MBgNbd) -> None:
    d = json.loads(json.dumps(mbg.to_json()))
    assert d["model"] == "mbgnbd" and MBgNbd.from_json(d) == mbg
    same = BgNbd(mbg.r, mbg.alpha, mbg.a, mbg.b)
    assert same != mbg  # the same numbers, another model
    with pytest.raises(BadInput, match="not MBG/NBD parameters"):
        MBgNbd.from_json(same.to_json())
    with pytest.raises(BadInput, match="not BG/NBD parameters"):
        BgNbd.from_json(d)
    with pytest.raises(BadInput, match="MBG/NBD parameters must be positive numbers"):
        MBgNbd.from_json({**d, "b": 0})


# --- the choice, on the demo ------------------------------------------------------------------


def test_auto_keeps_the_likelier_model_and_the_holdout_checks_both(demo_url: str) -> None:
    calibration = DAY - timedelta(days=182)
    with workspace(demo_url) as ws:
        reports = {m: value.clv(ws, LOCAL, value.Settings(DAY, calibration, model=m))
                   for m in ("auto", "bgnbd", "mbgnbd")}  # fmt: skip
    p = reports["auto"].parameters()
    ll = {name: c["log_likelihood"] for name, c in p["candidates"].items()}
    # measured (seed 7): BG/NBD -32,941.6 (a 2.6e5, b 9.6e6), MBG/NBD -32,816.2 (a 0.13, b 0.15)
    assert p["model"] == max(ll, key=lambda k: ll[k]) == "mbgnbd"
    assert ll["mbgnbd"] - ll["bgnbd"] == pytest.approx(125.4, abs=15)
    assert p["bgnbd"] == p["candidates"]["mbgnbd"]  # the key the callers read: the model in force
    for name in ("bgnbd", "mbgnbd"):
        alone = reports[name].parameters()
        assert alone["model"] == name and set(alone["candidates"]) == {name}
        assert alone["bgnbd"] == pytest.approx(p["candidates"][name], rel=1e-9)
    holdout = {m: reports[m].holdout() for m in ("bgnbd", "mbgnbd")}
    assert reports["auto"].holdout() == holdout["mbgnbd"]
    actual = {m: h["actual"] for m, h in holdout.items() if h is not None}
    assert actual["bgnbd"] == actual["mbgnbd"] == 4532
    error = {m: h["predicted"] / h["actual"] - 1 for m, h in holdout.items() if h is not None}
    # measured over the six months: BG/NBD 5,529.0 (+22.0 %), MBG/NBD 6,189.0 (+36.6 %). The
    # MBG/NBD lets the one-time buyers go (588.6 predicted against the BG/NBD's 751.4; 125
    # happened) but, with a and b near 0.1, takes a repeat buyer to stay almost for good: the
    # likelier model on the calibration forecasts the total worse (docs/segments.md). A
    # tolerance of 3 points: the demo is fixed by its seed, so only numerical drift moves them
    assert error["bgnbd"] == pytest.approx(0.220, abs=0.03)
    assert error["mbgnbd"] == pytest.approx(0.366, abs=0.03)
    once = {m: h["by_frequency"][0] for m, h in holdout.items() if h is not None}
    assert once["bgnbd"]["frequency"] == once["mbgnbd"]["frequency"] == "0"
    assert once["mbgnbd"]["predicted"] == pytest.approx(588.6, rel=0.05)
    assert once["bgnbd"]["predicted"] == pytest.approx(751.4, rel=0.05)
    assert once["bgnbd"]["actual"] == 125
    f = reports["auto"].fitted
    x0 = f.summary.frequency == 0
    assert np.all(f.p_alive[x0] < 1) and np.all(reports["bgnbd"].fitted.p_alive[x0] == 1)


def test_auto_uses_the_other_model_when_one_cannot_be_fitted(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(cls: type[MBgNbd], *args: Any, **kwargs: Any) -> MBgNbd:
        raise FitFailed("the purchase (MBG/NBD) fit did not converge")

    monkeypatch.setattr(MBgNbd, "fit", classmethod(fails))
    with workspace(demo_url) as ws:
        p = value.clv(ws, LOCAL, value.Settings(DAY, DAY, model="auto")).parameters()
        assert p["model"] == "bgnbd" and p["candidates"]["mbgnbd"] is None
        assert p["bgnbd"] == p["candidates"]["bgnbd"]
        with pytest.raises(FitFailed, match="MBG/NBD"):
            value.clv(ws, LOCAL, value.Settings(DAY, DAY, model="mbgnbd"))


def test_the_model_can_be_chosen_from_the_cli_and_the_api(demo_url: str) -> None:
    out = CliRunner().invoke(cli, ["segments", "clv", "--db", demo_url, "--as-of", str(DAY),
                                   "--model", "bgnbd", "--format", "json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    p = json.loads(out.output)["parameters"]
    assert p["model"] == "bgnbd" and set(p["candidates"]) == {"bgnbd"}
    assert set(p["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    table = CliRunner().invoke(cli, ["segments", "clv", "--db", demo_url, "--as-of", str(DAY),
                                     "--model", "auto"])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert (
        "MBG/NBD (weeks)" in table.output and "Chosen over BG/NBD (log-likelihood" in table.output
    )
    plain = CliRunner().invoke(cli, ["segments", "clv", "--db", demo_url, "--as-of", str(DAY),
                                     "--format", "json"])  # fmt: skip
    assert json.loads(plain.output)["parameters"]["model"] == "bgnbd"  # the default
    bad = CliRunner().invoke(cli, ["segments", "clv", "--db", demo_url, "--model", "pareto"])
    assert bad.exit_code != 0 and "purchase model 'pareto'" in str(bad.exception)
    with owner_client(demo_url) as c:
        got = c.get("/api/v1/segments/clv", params={"as_of": str(DAY), "model": "mbgnbd",
                                                    "customers": False})  # fmt: skip
        assert got.status_code == 200, got.text
        assert got.json()["parameters"]["model"] == "mbgnbd"
        assert c.get("/api/v1/segments/clv", params={"model": "pareto"}).status_code == 422
    with workspace(demo_url) as ws, pytest.raises(InputError, match="use auto, bgnbd or mbgnbd"):
        value.clv(ws, LOCAL, value.Settings(DAY, DAY, model="pareto"))
