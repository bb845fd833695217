"""Lead scoring speed at 100k leads (DuckDB, warm).

Budget (issue "lead prioritisation"): training on 100,000 decided leads < 30 s, and scoring
100,000 open leads < 5 s. A workspace is generated with 100k decided and 100k open B2B leads,
each with eight free attributes and a few calls, then:
  train   `leads train`: read, screen for leakage, evaluate on the time split (model, naive
          Bayes, points table), fit the model, store it;
  score   the whole work queue: every open lead scored, with its reasons and next step.
Baselines, in the same process, to read the figures against: reading the same lead rows from
the database (what any scoring must pay), and fitting and applying naive Bayes (Odoo's method)
on the same decided leads.

`python bench/leads_bench.py` writes bench/results/leads.json and prints a table;
`bench_leads(workdir)` returns the figures (bench/run.py uses it).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from salesmetrics.analytics.leads.baseline import NaiveBayes
from salesmetrics.domain.access import LOCAL
from salesmetrics.services.leads import scoring, training
from salesmetrics.services.leads.frame import RULES_ONLY, frame
from salesmetrics.services.workspace import Workspace, open_workspace
from salesmetrics.storage.repositories import lead_features as repo

RESULTS = Path(__file__).parent / "results"
BUDGET_TRAIN_S = 30.0
BUDGET_SCORE_S = 5.0
AT = datetime(2026, 10, 1, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")


def _leads(n_decided: int, n_open: int, seed: int = 11) -> dict[str, pa.Table]:
    g = np.random.default_rng(seed)
    n = n_decided + n_open
    is_open = np.arange(n) >= n_decided
    created = np.where(is_open, g.uniform(-60, -1, n), g.uniform(-700, -70, n))
    sector = g.integers(0, 6, n)
    size = g.integers(0, 4, n)
    region = g.integers(0, 24, n)
    vip = g.random(n) < 0.3
    employees = np.round(np.exp(g.normal(3, 1.2, n))).astype(int) + 1
    z = -1.2 + 1.2 * (sector == 4) - 1.0 * (sector == 2) + 0.8 * vip + 0.6 * (size == 2)
    converted = (g.random(n) < 1 / (1 + np.exp(-z))) & ~is_open
    attrs = [
        f'{{"sector": "s{sector[i]}", "size": "b{size[i]}", "region": "r{region[i]}", '
        f'"vip": {"true" if vip[i] else "false"}, "employees": {employees[i]}, '
        f'"role": "x{i % 4}", "newsletter": {"true" if i % 3 else "false"}, '
        f'"budget": {"null" if i % 5 == 0 else int(employees[i] * 1000)}}}'
        for i in range(n)
    ]

    def ts(days: np.ndarray[Any, Any]) -> pa.Array:
        base = np.datetime64(AT.replace(tzinfo=None), "us")
        return pa.array(base + (days * 86_400e6).astype("timedelta64[us]"), TS)

    decided = created + g.uniform(5, 60, n)
    status = np.where(is_open, "open", np.where(converted, "converted", "lost"))
    leads = pa.table({
        "id": pa.array(np.arange(1, n + 1), pa.int64()),
        "external_id": [f"L{i + 1}" for i in range(n)],
        "created_at": ts(created),
        "channel_id": pa.array(g.integers(1, 4, n), pa.int64()),
        "owner_rep_id": pa.array(g.integers(1, 6, n), pa.int64()),
        "status": status.tolist(),
        "decided_at": pa.array(np.where(is_open, None, ts(decided).to_pylist()).tolist(), TS),
        "first_response_at": ts(created + g.exponential(0.2, n)),
        "attributes": attrs,
    })  # fmt: skip
    k = 2 * n
    lead = np.repeat(np.arange(n), 2)
    acts = pa.table({
        "id": pa.array(np.arange(1, k + 1), pa.int64()),
        "rep_id": pa.array(np.ones(k, np.int64)),
        "kind": ["call"] * k,
        "occurred_at": ts(created[lead] + np.tile([0.3, 3.0], n)),
        "done": [True] * k,
        "lead_id": pa.array(lead + 1, pa.int64()),
    })  # fmt: skip
    reps = pa.table({"id": [1, 2, 3, 4, 5], "name": [f"Rep {c}" for c in "ABCDE"]})
    channels = pa.table({"id": [1, 2, 3], "name": ["Fairs", "Partners", "Ads"],
                         "kind": ["direct", "referral", "paid"]})  # fmt: skip
    return {"reps": reps, "channels": channels, "leads": leads, "activities": acts}


def _fill(ws: Workspace, tables: dict[str, pa.Table]) -> None:
    def load(tx: Any) -> None:
        for name in ("reps", "channels", "leads", "activities"):
            tx.load_arrow(name, tables[name])

    ws.store.write(load)


def bench_leads(workdir: Path, decided: int = 100_000, open_: int = 100_000) -> dict[str, Any]:
    ws = open_workspace(str(workdir / "leads.duckdb"), create=True)
    try:
        _fill(ws, _leads(decided, open_))
        training.train_model(ws, LOCAL, at=AT, newest=decided)  # warm: caches, imports
        t0 = time.perf_counter()
        report = training.train_model(ws, LOCAL, at=AT, newest=decided)
        train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        q = scoring.queue(ws, LOCAL, at=AT, limit=None)
        score_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = repo.lead_rows(ws.store, repo.LeadFilter(repo.OPEN), AT)
        read_s = time.perf_counter() - t0
        fr = frame(repo.lead_rows(ws.store, repo.LeadFilter(repo.DECIDED), AT))
        raw = {k: v for k, v in fr.raw.items() if k not in RULES_ONLY}
        t0 = time.perf_counter()
        NaiveBayes().fit(raw, fr.converted).predict_proba(raw)
        nb_s = time.perf_counter() - t0
    finally:
        ws.close()
    return {
        "decided_leads": report.decided, "open_leads": q.total, "rows_read": rows.num_rows,
        "train_seconds": round(train_s, 2), "score_seconds": round(score_s, 2),
        "baseline_read_open_seconds": round(read_s, 2),
        "baseline_naive_bayes_seconds": round(nb_s, 2),
        "train_over_naive_bayes": round(train_s / nb_s, 2),
        "score_over_read": round(score_s / read_s, 2),
        "auc": report.evaluation["scores"]["served"]["auc"],
        "auc_naive_bayes": report.evaluation["scores"]["naive_bayes"]["auc"],
        "budget": {"train_seconds": BUDGET_TRAIN_S, "score_seconds": BUDGET_SCORE_S},
        "within_budget": train_s < BUDGET_TRAIN_S and score_s < BUDGET_SCORE_S,
    }  # fmt: skip


def print_leads(r: dict[str, Any]) -> None:
    print(f"lead scoring: {r['decided_leads']:,} decided, {r['open_leads']:,} open leads")
    print(f"  train {r['train_seconds']:.1f} s (budget {BUDGET_TRAIN_S:.0f} s; "
          f"{r['train_over_naive_bayes']:.1f}x naive Bayes' {r['baseline_naive_bayes_seconds']}"
          f" s)")  # fmt: skip
    print(
        f"  score {r['score_seconds']:.1f} s (budget {BUDGET_SCORE_S:.0f} s; "
        f"{r['score_over_read']:.1f}x reading the rows, {r['baseline_read_open_seconds']} s)"
    )
    print(
        f"  held-out AUC {r['auc']} (naive Bayes {r['auc_naive_bayes']}); "
        f"{'within' if r['within_budget'] else 'OVER'} budget"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="decided and open, each")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = bench_leads(Path(tmp), args.leads, args.leads)
    stamp = {"at": datetime.now(UTC).isoformat(timespec="seconds")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "leads.json").write_text(json.dumps({**stamp, **r}, indent=2), encoding="utf-8")
    print_leads(r)


if __name__ == "__main__":
    main()
