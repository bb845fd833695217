"""The demo generator on its own: deterministic, consistent, and every planted truth visible."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from salesmetrics.demo import DemoData, generate
from salesmetrics.domain.enums import DemoSize
from salesmetrics.domain.settings import WorkspaceSettings
from salesmetrics.storage import catalog

AS_OF = date(2026, 11, 26)
CUT = datetime(2026, 11, 26, tzinfo=ZoneInfo("Europe/Kyiv"))  # the first moment without data
CUT_US = int(CUT.timestamp() * 1_000_000)
SHARES = {"loyal": 0.15, "one_off": 0.55, "churned": 0.2, "new": 0.1}


class Demo:
    """One generated demo, its tables concatenated and registered in an in-memory DuckDB."""

    def __init__(self, data: DemoData) -> None:
        parts: dict[str, list[pa.Table]] = defaultdict(list)
        self.batches: list[tuple[str, pa.Table]] = []
        for name, batch in data.batches():
            parts[name].append(batch)
            self.batches.append((name, batch))
        self.truth: dict[str, Any] = dict(data.truth)
        self.expected_rows = data.expected_rows
        self.tables = {name: pa.concat_tables(chunks) for name, chunks in parts.items()}
        self.db = duckdb.connect()
        for name, table in self.tables.items():
            self.db.register(name, table)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.db.execute(sql).fetchall()

    def one(self, sql: str) -> Any:
        return self.rows(sql)[0][0]

    def none(self, sql: str) -> bool:
        """True when a count(*) query counts nothing."""
        return bool(self.one(sql) == 0)


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    d = Demo(generate(DemoSize.SMALL, seed=42, as_of=AS_OF))
    yield d
    d.db.close()


def digest(data: DemoData) -> str:
    h = hashlib.sha256()
    for name, batch in data.batches():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_table(batch)
        h.update(name.encode())
        h.update(sink.getvalue().to_pybytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = digest(generate(DemoSize.SMALL, 42, AS_OF))
    assert digest(generate(DemoSize.SMALL, 42, AS_OF)) == first
    assert digest(generate(DemoSize.SMALL, 7, AS_OF)) != first
    assert digest(generate(DemoSize.SMALL, 42, AS_OF + timedelta(days=1))) != first


def test_batches_fit_the_schema(demo: Demo) -> None:
    for name, batch in demo.batches:
        table = catalog.table(name)
        schema = table.arrow_schema()
        for column in batch.column_names:
            target = schema.field(column)
            cast = batch[column].cast(target.type)  # what the loader does
            if not target.nullable:
                assert cast.null_count == 0, f"{name}.{column} has NULLs"
        if "external_id" in batch.column_names:
            assert pc.all(pc.equal(batch["source"], "demo")).as_py(), name
    for name, table in demo.tables.items():
        if "id" in table.column_names:
            ids = table["id"].to_numpy()
            assert sorted(ids.tolist()) == list(range(1, len(ids) + 1)), name
        if "external_id" in table.column_names:
            assert pc.count_distinct(table["external_id"]).as_py() == table.num_rows, name
            assert table["external_id"].null_count == 0, name


def test_sizes_and_row_estimate(demo: Demo) -> None:
    counts = {name: t.num_rows for name, t in demo.tables.items()}
    assert 40_000 <= counts["order_lines"] <= 65_000
    assert 6 <= counts["reps"] <= 10 and 2 <= counts["teams"] <= 3
    assert 5 <= counts["channels"] <= 6 and 40 <= counts["products"] <= 120
    assert 5 <= demo.one("SELECT count(DISTINCT category) FROM products") <= 8
    total = sum(counts.values())
    assert abs(demo.expected_rows - total) < 0.05 * total
    settings = dict(zip(*demo.tables["settings"].to_pydict().values(), strict=True))
    ws = WorkspaceSettings.from_mapping(settings)
    assert (ws.base_currency, ws.time_zone, ws.locale) == ("UAH", "Europe/Kyiv", "uk")


def test_nothing_happens_on_or_after_as_of(demo: Demo) -> None:
    """Only plans reach past the cut: the due dates of tasks not done yet."""
    for name, table in demo.tables.items():
        for field in table.schema:
            if pa.types.is_timestamp(field.type) and table[field.name].null_count < table.num_rows:
                column = table[field.name]
                if (name, field.name) == ("activities", "due_at"):
                    column = pc.filter(column, table["done"])
                    planned = pc.filter(table[field.name], pc.invert(table["done"]))
                    assert pc.max(planned.cast(pa.int64())).as_py() < CUT_US + 14 * 86_400e6
                    if column.null_count == len(column):
                        continue
                latest = pc.max(column.cast(pa.int64())).as_py()
                assert latest < CUT_US, f"{name}.{field.name} reaches as_of"
    first = pc.min(demo.tables["orders"]["ordered_at"].cast(pa.int64())).as_py()
    assert (CUT_US - first) / 86_400e6 >= 700
    assert demo.one("SELECT max(period_end_on) FROM marketing_spend") < AS_OF
    assert demo.one("SELECT max(rate_on) FROM fx_rates") <= AS_OF


def test_every_reference_points_at_a_row(demo: Demo) -> None:
    for name, table in demo.tables.items():
        for column in catalog.table(name).columns:
            if column.references and column.name in table.column_names:
                target = column.references
                assert target in demo.tables, f"{name}.{column.name} -> empty {target}"
                orphans = demo.one(
                    f"SELECT count(*) FROM {name} a WHERE a.{column.name} IS NOT NULL "
                    f"AND a.{column.name} NOT IN (SELECT id FROM {target})"
                )
                assert orphans == 0, f"{name}.{column.name} -> {target}"


def test_money_adds_up(demo: Demo) -> None:
    assert demo.none(
        "SELECT count(*) FROM order_lines "
        "WHERE line_total_minor <> quantity * unit_price_minor - discount_minor "
        "OR quantity < 1 OR discount_minor < 0 OR line_total_minor <= 0"
    )
    assert demo.none(
        "SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(line_total_minor) s, "
        "sum(discount_minor) d FROM order_lines GROUP BY 1) l ON l.order_id = o.id "
        "WHERE o.total_minor <> l.s + o.shipping_minor OR o.discount_minor <> l.d "
        "OR o.tax_minor <> 0 OR o.currency <> 'UAH'"
    )
    assert demo.none(
        "SELECT count(*) FROM orders WHERE id NOT IN (SELECT order_id FROM order_lines)"
    )
    assert demo.none("SELECT count(*) FROM products WHERE unit_cost_minor >= unit_price_minor")
    # A won deal is worth exactly the first order its customer placed.
    assert demo.one(
        "SELECT count(*) FROM deals d JOIN orders o ON o.customer_id = d.customer_id "
        "AND o.ordered_at = d.closed_at WHERE d.status = 'won' AND o.total_minor = d.amount_minor"
    ) == demo.one("SELECT count(*) FROM deals WHERE status = 'won'")
    statuses = dict(demo.rows("SELECT status, count(*) FROM orders GROUP BY 1"))
    assert set(statuses) == {"paid", "cancelled", "refunded", "pending"}
    assert statuses["paid"] > 0.85 * sum(statuses.values())
    assert demo.none(
        "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE (o.rep_id IS NULL) <> (c.company IS NULL) OR o.channel_id IS NULL"
    )


def groups(demo: Demo) -> dict[str, list[str]]:
    out: dict[str, list[str]] = demo.truth["customer_groups"]
    return out


def test_group_shares_and_no_leak(demo: Demo) -> None:
    assert demo.truth["behaviour_groups"] == SHARES
    total = demo.tables["customers"].num_rows
    labelled = [c for ids in groups(demo).values() for c in ids]
    assert len(labelled) == len(set(labelled)) == total
    for group, share in SHARES.items():
        assert abs(len(groups(demo)[group]) / total - share) <= 0.02, group
    attributes = [json.loads(a) for a in set(demo.tables["customers"]["attributes"].to_pylist())]
    assert {k for a in attributes for k in a} == {"type", "newsletter"}
    assert not {str(v) for a in attributes for v in a.values()} & set(SHARES)


def customer_orders(demo: Demo, group: str) -> list[tuple[Any, ...]]:
    """(orders, first order, last order as epoch seconds, acquired) per customer of a group."""
    demo.db.execute("CREATE OR REPLACE TEMP TABLE grp (external_id VARCHAR)")
    demo.db.executemany("INSERT INTO grp VALUES (?)", [(c,) for c in groups(demo)[group]])
    return demo.rows(
        "SELECT count(o.id), epoch(min(o.ordered_at)), epoch(max(o.ordered_at)), "
        "epoch(any_value(c.acquired_at)) FROM customers c JOIN grp USING (external_id) "
        "JOIN orders o ON o.customer_id = c.id GROUP BY c.id"
    )


def test_behaviour_groups_behave(demo: Demo) -> None:
    cut = CUT.timestamp()
    day = 86_400
    churned = customer_orders(demo, "churned")
    assert all(last < cut - 183 * day and n >= 3 for n, _, last, _ in churned)
    assert all(n == 1 for n, *_ in customer_orders(demo, "one_off"))
    assert all(acq >= cut - 92 * day for *_, acq in customer_orders(demo, "new"))
    loyal = customer_orders(demo, "loyal")
    assert sorted(n for n, *_ in loyal)[len(loyal) // 2] >= 8
    assert all(n >= 4 for n, *_ in loyal)
    assert all(first == acq for _, first, _, acq in loyal + churned)


def conversion(demo: Demo, condition: str) -> tuple[float, float]:
    """Conversion rate of decided leads with and without a condition."""
    row = demo.rows(
        f"SELECT avg(CASE WHEN {condition} THEN c END), "
        f"avg(CASE WHEN NOT ({condition}) THEN c END) "
        "FROM (SELECT *, (status = 'converted')::INT c FROM leads WHERE status <> 'open')"
    )[0]
    return float(row[0]), float(row[1])


def test_planted_conversion_drivers_are_visible(demo: Demo) -> None:
    margins = {
        ("source", "referral"): 0.12,
        ("company_size", "51-200"): 0.08,
        ("industry", "Освіта"): -0.05,
        ("budget_known", "true"): 0.04,
    }
    drivers = {d["attribute"]: d for d in demo.truth["conversion_drivers"]}
    for (attribute, value), margin in margins.items():
        assert drivers[attribute]["effect"] == ("+" if margin > 0 else "-")
        yes, no = conversion(demo, f"attributes->>'{attribute}' = '{value}'")
        assert (yes - no >= margin) if margin > 0 else (yes - no <= margin), attribute
    fast, _ = conversion(demo, "epoch(first_response_at - created_at) < 3600")
    slow, _ = conversion(demo, "epoch(first_response_at - created_at) > 86400")
    assert drivers["first_response_hours"]["effect"] == "-" and fast - slow >= 0.12


def test_noise_attributes_do_not_move_conversion(demo: Demo) -> None:
    noise = demo.truth["noise_attributes"]
    assert set(noise) == {"region", "contact_role", "newsletter_opt_in", "preferred_contact"}
    for attribute in noise:
        rates = [
            r
            for (r,) in demo.rows(
                f"SELECT avg((status = 'converted')::INT) FROM leads WHERE status <> 'open' "
                f"GROUP BY attributes->>'{attribute}' HAVING count(*) >= 150"
            )
        ]
        assert len(rates) >= 2 and max(rates) - min(rates) < 0.12, attribute


def test_leads_tell_a_consistent_story(demo: Demo) -> None:
    keys = demo.rows("SELECT DISTINCT json_keys(attributes)::VARCHAR FROM leads")
    assert len(keys) == 1 and "status" not in keys[0][0] and "converted" not in keys[0][0]
    assert demo.none(
        "SELECT count(*) FROM leads WHERE (status = 'open') <> (decided_at IS NULL) "
        "OR decided_at <= created_at OR first_response_at < created_at "
        "OR (status = 'converted') <> (converted_customer_id IS NOT NULL)"
    )
    assert demo.none(
        "SELECT count(*) FROM leads l JOIN deals d ON d.id = l.converted_deal_id "
        "WHERE d.status <> 'won' OR d.lead_id <> l.id OR d.closed_at <> l.decided_at"
    )
    share = demo.one(
        "SELECT avg((converted_deal_id IS NOT NULL)::INT) FROM leads WHERE status = 'converted'"
    )
    assert share > 0.8


def time_in_stage(demo: Demo) -> dict[str, float]:
    return dict(
        demo.rows(
            "SELECT name, median(epoch(nxt - changed_at) / 86400) FROM (SELECT s.name, s.kind, "
            "c.changed_at, lead(c.changed_at) OVER (PARTITION BY c.deal_id ORDER BY c.id) nxt "
            "FROM deal_stage_changes c JOIN stages s ON s.id = c.to_stage_id) "
            "WHERE kind = 'open' AND nxt IS NOT NULL GROUP BY name HAVING count(*) >= 30"
        )
    )


def test_bottleneck_stage_is_the_slowest_by_far(demo: Demo) -> None:
    medians = time_in_stage(demo)
    ranked = sorted(medians, key=medians.__getitem__, reverse=True)
    assert ranked[0] == demo.truth["bottleneck_stage"]
    assert medians[ranked[0]] > 2.0 * medians[ranked[1]]


def test_stage_history_is_complete(demo: Demo) -> None:
    bad = demo.one(
        "WITH c AS (SELECT *, lag(to_stage_id) OVER w prev, row_number() OVER w k, "
        "count(*) OVER (PARTITION BY deal_id) n FROM deal_stage_changes "
        "WINDOW w AS (PARTITION BY deal_id ORDER BY id)) "
        "SELECT count(*) FROM c JOIN deals d ON d.id = c.deal_id WHERE "
        "(k = 1 AND (from_stage_id IS NOT NULL OR to_stage_id <> 1 OR changed_at <> d.created_at)) "
        "OR (k > 1 AND (from_stage_id <> prev OR to_stage_id <= prev)) "
        "OR (k = n AND to_stage_id <> d.stage_id) "
        "OR (k = n AND d.status <> 'open' AND changed_at <> d.closed_at)"
    )
    assert bad == 0
    assert (
        demo.one("SELECT count(DISTINCT deal_id) FROM deal_stage_changes")
        == demo.tables["deals"].num_rows
    )
    skipped = demo.one(
        "SELECT count(*) FROM deal_stage_changes WHERE to_stage_id - from_stage_id > 1 "
        "AND to_stage_id <= 5"
    )
    assert skipped > 0
    assert demo.none(
        "SELECT count(*) FROM deals WHERE (status = 'lost') <> (lost_reason IS NOT NULL) "
        "OR (status = 'open') <> (closed_at IS NULL)"
    )


def test_best_cac_channel_is_clearly_the_cheapest(demo: Demo) -> None:
    cac = dict(
        demo.rows(
            "SELECT c.name, s.spend / n.k FROM channels c "
            "JOIN (SELECT channel_id, sum(amount_minor) spend FROM marketing_spend GROUP BY 1) s "
            "ON s.channel_id = c.id "
            "JOIN (SELECT channel_id, count(*) k FROM customers GROUP BY 1) n "
            "ON n.channel_id = c.id WHERE s.spend > 0"
        )
    )
    assert len(cac) == demo.tables["channels"].num_rows
    ranked = sorted(cac, key=cac.__getitem__)
    assert ranked[0] == demo.truth["best_cac_channel"]
    assert cac[ranked[0]] < 0.7 * cac[ranked[1]]


def test_problem_product_has_the_worst_nps_and_one_theme(demo: Demo) -> None:
    problem = demo.truth["product_problem"]
    nps = dict(
        demo.rows(
            "SELECT p.name, 100 * (avg((score >= 9)::INT) - avg((score <= 6)::INT)) "
            "FROM feedback f JOIN products p ON p.id = f.product_id "
            "WHERE kind = 'nps' GROUP BY 1 HAVING count(*) >= 20"
        )
    )
    ranked = sorted(nps, key=nps.__getitem__)
    assert ranked[0] == problem["product"] and len(ranked) >= 5
    assert nps[ranked[0]] <= -30 and nps[ranked[1]] - nps[ranked[0]] >= 20
    comments = [
        c.lower()
        for (c,) in demo.rows(
            "SELECT comment FROM feedback f JOIN products p ON p.id = f.product_id "
            f"WHERE p.name = '{problem['product']}' AND kind = 'nps' AND score <= 6 "
            "AND comment IS NOT NULL"
        )
    ]
    words = problem["keywords"]
    themed = sum(any(w in c for w in words) for c in comments)
    assert len(comments) >= 20 and themed >= 0.7 * len(comments)


def test_feedback_scales_and_languages(demo: Demo) -> None:
    rows = demo.rows("SELECT kind, scale_max, min(score), max(score) FROM feedback GROUP BY 1, 2")
    assert sorted(rows) == [("csat", 5, 1.0, 5.0), ("nps", 10, 0.0, 10.0)]
    assert {r for (r,) in demo.rows("SELECT DISTINCT language FROM feedback")} == {"uk", "en"}
    assert demo.one("SELECT count(*) FROM feedback WHERE deal_id IS NOT NULL") > 0


def test_targets_are_within_reach(demo: Demo) -> None:
    attainment = demo.rows(
        "WITH r AS (SELECT rep_id, date_trunc('month', ordered_at AT TIME ZONE 'Europe/Kyiv') m, "
        "sum(total_minor) v FROM orders WHERE status = 'paid' AND rep_id IS NOT NULL GROUP BY ALL) "
        "SELECT quantile_cont(v / value, [0.1, 0.5, 0.9]) FROM targets t JOIN r "
        "ON r.rep_id = t.scope_id AND r.m = t.period_start_on "
        f"WHERE scope = 'rep' AND period_end_on < DATE '{AS_OF}'"
    )[0][0]
    assert attainment[0] > 0.7 and 0.9 < attainment[1] < 1.1 and attainment[2] < 1.35
    assert (
        demo.one(
            "SELECT count(DISTINCT period_start_on) FROM targets WHERE scope = 'company' "
            f"AND period_start_on < DATE '{AS_OF}'"
        )
        == 24
    )
    # planned ahead to the end of the next quarter: December, then January to March
    planned = demo.rows(
        "SELECT period_start_on, count(*) FILTER (WHERE scope = 'company') FROM targets "
        f"WHERE period_start_on > DATE '{AS_OF}' GROUP BY 1 ORDER BY 1"
    )
    assert [(str(d), n) for d, n in planned] == [
        ("2026-12-01", 1), ("2027-01-01", 1), ("2027-02-01", 1), ("2027-03-01", 1)
    ]  # fmt: skip
    assert demo.none("SELECT count(*) FROM targets WHERE metric <> 'revenue' OR split <> 'even'")


def test_activities_in_office_hours_and_mildly_engaging(demo: Demo) -> None:
    off = demo.one(
        "SELECT avg((hour(occurred_at AT TIME ZONE 'Europe/Kyiv') NOT BETWEEN 9 AND 17 "
        "OR isodow(occurred_at AT TIME ZONE 'Europe/Kyiv') > 5)::INT) FROM activities "
        "WHERE occurred_at IS NOT NULL"
    )
    assert off < 0.01
    per_lead = dict(
        demo.rows(
            "SELECT l.status, avg(coalesce(a.k, 0)) FROM leads l LEFT JOIN (SELECT a.lead_id, "
            "count(*) k FROM activities a JOIN leads l2 ON l2.id = a.lead_id "
            "WHERE a.occurred_at < l2.decided_at GROUP BY 1) a ON a.lead_id = l.id "
            "WHERE l.status <> 'open' GROUP BY 1"
        )
    )
    assert 1.05 < per_lead["converted"] / per_lead["lost"] < 2.0
    evening = demo.one(
        "SELECT avg((hour(ordered_at AT TIME ZONE 'Europe/Kyiv') BETWEEN 18 AND 22)::INT) "
        "FROM orders WHERE rep_id IS NULL"
    )
    assert evening > 0.3


def test_fx_rates_are_plausible(demo: Demo) -> None:
    rates = {
        c: (lo, hi)
        for c, lo, hi in demo.rows(
            "SELECT currency, min(rate_to_base), max(rate_to_base) FROM fx_rates GROUP BY 1"
        )
    }
    assert rates["USD"][0] >= 41 and rates["USD"][1] <= 44
    assert rates["EUR"][0] >= 44 and rates["EUR"][1] <= 48


def test_truth_names_things_that_exist(demo: Demo) -> None:
    truth = demo.truth
    assert truth["seed"] == 42 and truth["size"] == "small" and truth["as_of"] == "2026-11-26"
    stage = truth["bottleneck_stage"]
    channel = truth["best_cac_channel"]
    assert demo.one(f"SELECT count(*) FROM stages WHERE name = '{stage}'") == 1
    assert demo.one(f"SELECT count(*) FROM channels WHERE name = '{channel}'") == 1


@pytest.mark.slow
def test_medium_size_streams_a_million_lines() -> None:
    data = generate(DemoSize.MEDIUM, seed=42, as_of=AS_OF)
    lines = orders = 0
    for name, batch in data.batches():
        lines += batch.num_rows if name == "order_lines" else 0
        orders += batch.num_rows if name == "orders" else 0
        assert batch.num_rows < 400_000, name
    assert 800_000 <= lines <= 1_300_000 and orders > 300_000
