"""Customers with known answers, shared by the CLV model tests: the CDNOW sample (2,357
customers of the first quarter of 1997, Fader, Hardie & Lee 2005), read from the files the
lifetimes package ships and summarised by our own summary builder; and customers simulated from
the purchase models' own stories.

lifetimes is a test-only dependency: its data files are located without importing it (its
import warns under pandas 3)."""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesmetrics.analytics.clv.summary import Summary, summarise

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee 2005


def datasets() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise AssertionError("lifetimes (a dev dependency) holds the CDNOW files; install it")
    return Path(spec.submodule_search_locations[0]) / "datasets"


@dataclass(frozen=True)
class Cdnow:
    summary: Summary
    by_text_id: Summary  # the same lines with ids as text ("c0001"): the Arrow path
    published: pd.DataFrame  # cdnow_customers_summary.csv: ID, frequency, recency, T
    with_spend: pd.DataFrame  # ..._with_transactions.csv: ID, x, t_x, T, zbar


@functools.cache
def cdnow() -> Cdnow:
    """The sample, calibration to 1997-09-30 and holdout to 1998-06-30, in weeks (read once)."""
    # columns: master-file customer id, the sample's own id (1..2357, the id the summary files
    # use; one to one with the first), date YYYYMMDD, quantity, amount
    raw = pd.read_csv(
        datasets() / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master", "id", "date", "qty", "amount"],
        dtype={"date": str},
    )
    ids = raw["id"].to_numpy()
    when = pd.to_datetime(raw["date"], format="%Y%m%d").to_numpy().astype("datetime64[D]")
    amount = raw["amount"].to_numpy(np.float64)
    summary = summarise(
        ids,
        when,
        amount,
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
        time_unit="week",
    )
    text = np.char.add("c", np.char.zfill(ids.astype(str), 4))
    by_text = summarise(text, when, amount, calibration_end=CALIBRATION_END)
    return Cdnow(
        summary,
        by_text,
        pd.read_csv(datasets() / "cdnow_customers_summary.csv"),
        pd.read_csv(datasets() / "cdnow_customers_summary_with_transactions.csv"),
    )


def simulate(n: int, planted: dict[str, float], seed: int, *,
             first: int = 0) -> tuple[np.ndarray[Any, Any], ...]:  # fmt: skip
    """(x, t_x, T) of customers living the BG/NBD's story: rate ~ Gamma(r, alpha), dropout ~
    Beta(a, b); repeat purchases are Poisson until the customer drops out, right after one of
    them; with `first` = 1, the MBG/NBD's, where the first purchase is a chance to drop out
    too. First purchases are spread over 12 weeks of a 39-week calibration, as in CDNOW."""
    g = np.random.default_rng(seed)
    big_t = g.uniform(27.0, 39.0, n)
    rate = g.gamma(planted["r"], 1 / planted["alpha"], n)
    # repeat purchases before dropping out: Geometric(p) counts the chances until the drop
    lasts = g.geometric(g.beta(planted["a"], planted["b"], n)) - first
    arrivals = g.poisson(rate * big_t)
    x = np.minimum(arrivals, lasts)
    # the x-th of `arrivals` uniform points on (0, T)
    t_x = np.where(x > 0, big_t * g.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1)), 0)
    return x, t_x, big_t
