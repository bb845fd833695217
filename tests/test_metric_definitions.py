"""The catalog as data: every built-in KPI declared, labelled, valid; bad YAML reported whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from salesmetrics.domain.errors import DefinitionError
from salesmetrics.metrics.catalog import catalog_from_texts, load_catalog
from salesmetrics.metrics.loader import builtin_files
from salesmetrics.metrics.spec import json_schema
from salesmetrics.services.metrics import validate_files

REQUIRED = [
    "revenue",
    "orders",
    "aov",
    "new_customers",
    "avg_deal_size",
    "win_rate",
    "lead_conversion_rate",
    "stage_conversion",
    "sales_cycle_days",
    "time_in_stage_days",
    "pipeline_value",
    "weighted_pipeline",
    "pipeline_velocity",
    "pipeline_coverage",
    "target_attainment",
    "cac",
    "clv",
    "ltv_cac",
    "repeat_purchase_rate",
    "churn_rate",
    "nps",
    "csat",
    "activities",
]


def test_every_required_kpi_is_built_in_with_both_languages() -> None:
    catalog = load_catalog()
    public = catalog.names()
    missing = [n for n in REQUIRED if n not in public]
    assert missing == []
    for name in REQUIRED:
        m = catalog.get(name)
        assert (m.label.en and m.label.uk and m.label.en != m.label.uk) or name == "ltv_cac"
        assert m.description.en and m.description.uk
        for axis in m.variants.values():
            assert axis.default in axis.options


def test_kpis_md_variants_are_offered() -> None:
    catalog = load_catalog()
    expected = {
        "revenue": {"returns": {"net", "gross"}, "tax": {"excluded", "included"}},
        "avg_deal_size": {"basis": {"won", "closed", "value_weighted"}},
        "win_rate": {"basis": {"count", "value", "created"}},
        "lead_conversion_rate": {"date": {"created", "converted"}},
        "stage_conversion": {"funnel": {"all_stages", "any_stage"}},
        "sales_cycle_days": {"start": {"deal", "lead"}, "outcome": {"won", "closed"}},
        "weighted_pipeline": {"probability": {"configured", "observed"}},
        "pipeline_coverage": {"weighting": {"unweighted", "weighted"}},
        "cac": {"scope": {"all", "paid_media"}},
        "clv": {"value": {"revenue", "margin"}},
        "csat": {"statistic": {"top_box", "mean"}},
    }
    for name, axes in expected.items():
        got = {a: set(x.options) for a, x in catalog.get(name).variants.items()}
        for axis, options in axes.items():
            assert options <= got[axis], (name, axis)


def test_json_schema_is_generated_from_the_spec() -> None:
    schema = json.loads(json_schema())
    metric = schema["$defs"]["MetricDef"]
    assert {"name", "label", "type", "unit", "direction", "variants"} <= set(metric["properties"])
    assert set(metric["required"]) >= {"name", "label", "description", "type", "unit"}


BROKEN = """\
metrics:
  - name: kyiv_new_revenue
    label: {en: Kyiv revenue, uk: Виручка Києва}
    description: {en: x, uk: x}
    type: simpel
    unit: money
  - name: second
    label: {en: Second, uk: Друга}
    description: {en: x, uk: x}
    type: simple
    source: order_lines
    measure: {expr: line_totl_minor, agg: sum}
    filters: ["order_status = 'paid'"]
    unit: money
    colour: red
  - name: third
    label: {en: Third, uk: Третя}
    description: {en: x, uk: x}
    type: ratio
    numerator: revenue
    denominator: revenu
    unit: ratio
"""


def test_a_broken_file_gets_every_problem_with_its_line() -> None:
    files = [(n, t, True) for n, t in builtin_files()] + [("user.yaml", BROKEN, False)]
    with pytest.raises(DefinitionError) as err:
        catalog_from_texts(files)
    problems = err.value.problems
    text = "\n".join(problems)
    assert len(problems) == 5, text  # every problem of the file at once, in line order
    assert [p.split(":")[1] for p in problems] == ["5", "12", "13", "15", "21"]
    assert "user.yaml:5: metric 'kyiv_new_revenue', type: 'simpel' is not one of" in text
    assert "user.yaml:12: metric 'second': unknown column 'line_totl_minor'" in text
    assert "did you mean line_total_minor" in text
    assert "user.yaml:13: metric 'second': 'order_status = 'paid'' is not a valid" in text
    assert "user.yaml:15: metric 'second', colour: unknown field" in text
    assert "user.yaml:21: metric 'third': unknown metric 'revenu'; did you mean revenue" in text


def test_yaml_syntax_errors_and_duplicates_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("metrics:\n  - name: x\n    label: {en: a, uk: b\n", encoding="utf-8")
    (problem,) = validate_files([bad])
    assert problem.startswith(f"{bad}:4: not valid YAML")
    dup = tmp_path / "dup.yaml"
    dup.write_text(BROKEN.split("  - name: second")[0].replace("kyiv_new_revenue", "revenue")
                   .replace("simpel", "simple") + "    source: orders\n    measure: {agg: count}\n",
                   encoding="utf-8")  # fmt: skip
    (problem,) = validate_files([dup])
    assert "dup.yaml:2: metric 'revenue' is already defined at builtin:sales.yaml:" in problem


def test_cycles_are_reported() -> None:
    text = """\
metrics:
  - {name: a1, label: {en: A, uk: А}, description: {en: a, uk: а}, type: derived, expr: "b1 * 2", unit: count}
  - {name: b1, label: {en: B, uk: Б}, description: {en: b, uk: б}, type: derived, expr: "a1 + 1", unit: count}
"""  # noqa: E501
    files = [(n, t, True) for n, t in builtin_files()] + [("c.yaml", text, False)]
    with pytest.raises(DefinitionError) as err:
        catalog_from_texts(files)
    assert any("refers to itself: a1 -> b1 -> a1" in p for p in err.value.problems)


def test_expressions_that_would_fail_later_are_refused_now() -> None:
    text = """\
metrics:
  - {name: m1, label: {en: A, uk: А}, description: {en: a, uk: а}, type: derived, expr: "max(revenue, orders)", unit: count}
  - {name: m2, label: {en: B, uk: Б}, description: {en: b, uk: б}, type: simple, source: orders, measure: {agg: count}, filters: ["ordered_at < period_end"], unit: count}
  - {name: m3, label: {en: C, uk: В}, description: {en: c, uk: в}, type: simple, source: orders, measure: {expr: "count()", agg: sum}, unit: count}
  - {name: m4, label: {en: D, uk: Г}, description: {en: d, uk: г}, type: simple, source: orders, measure: {expr: totl_minor, agg: sum}, unit: money}
"""  # noqa: E501
    files = [(n, t, True) for n, t in builtin_files()] + [("x.yaml", text, False)]
    with pytest.raises(DefinitionError) as err:
        catalog_from_texts(files)
    problems = err.value.problems
    assert [p.split(":")[1] for p in problems] == ["2", "3", "4", "5"]  # sorted by line
    assert "between metrics use + - * /" in problems[0]
    assert "period_start and period_end exist only" in problems[1]
    assert "aggregates (any, count, sum …) belong only" in problems[2]
    assert (
        "unknown column 'totl_minor'" in problems[3] and "did you mean total_minor" in problems[3]
    )
