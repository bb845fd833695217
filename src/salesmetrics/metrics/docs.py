"""The reference part of docs/metrics.md, rendered from the built-in catalog and the sources."""

from __future__ import annotations

from salesmetrics.metrics.catalog import load_catalog
from salesmetrics.metrics.sources import DIMENSION_DOCS, SOURCES
from salesmetrics.metrics.spec import MetricDef, MetricType


def _formula(m: MetricDef) -> str:
    if m.type is MetricType.SIMPLE and m.measure is not None:
        what = m.measure.expr or "rows"
        per = f" per {m.measure.per}, then" if m.measure.per else ""
        text = f"{per} {m.measure.agg.value}({what}) over `{m.source}`"
        if m.filters:
            text += " where " + " and ".join(f"`{f}`" for f in m.filters)
        if m.at_period_end:
            text += f"; at each period's end: `{m.at_period_end}`"
        elif m.window:
            text += f"; rows: `{m.window}`"
        else:
            text += f", by `{m.time or SOURCES[m.source or ''].default_time}`"
        return text.strip()
    if m.type is MetricType.CONVERSION:
        return f"share of `{m.source}` rows where `{m.converted}`, by `{m.time}`"
    if m.type is MetricType.RATIO:
        return f"`{m.numerator}` / `{m.denominator}`" + (" (a rate)" if m.proportion else "")
    return f"`{m.expr}`"


def _variants(m: MetricDef) -> str:
    parts = []
    for axis, spec in m.variants.items():
        options = []
        for name, option in spec.options.items():
            label = f"**{name}**" if name == spec.default else name
            desc = f": {option.description.en}" if option.description else ""
            options.append(label + desc)
        parts.append(f"`{axis}`: " + "; ".join(options))
    return "<br>".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """Tables of the built-in metrics (public, then building blocks), sources and dimensions."""
    catalog = load_catalog(None)
    head = "| name | label (en / uk) | unit | better | formula | variants (default in bold) |\n"
    head += "|---|---|---|---|---|---|\n"
    public, blocks = head, head
    for name in catalog.names(include_hidden=True):
        m = catalog.get(name)
        row = (f"| `{m.name}` | {_cell(m.label.en)} / {_cell(m.label.uk)} | {m.unit.value} | "
               f"{m.direction.value} | {_cell(m.description.en)} {_cell(_formula(m))} | "
               f"{_cell(_variants(m))} |\n")  # fmt: skip
        if m.hidden:
            blocks += row
        else:
            public += row
    sources = "| source | time columns | dimensions | what it is |\n|---|---|---|---|\n"
    for s in SOURCES.values():
        sources += (f"| `{s.name}` | {', '.join(f'`{t}`' for t in s.time)} | "
                    f"{', '.join(s.dimension_names())} | {_cell(s.doc)} |\n")  # fmt: skip
    dims = "| dimension | meaning |\n|---|---|\n" + "".join(
        f"| `{d}` | {doc} |\n" for d, doc in DIMENSION_DOCS.items()
    )
    return (
        f"### KPIs\n\n{public}\n### Building blocks\n\nUsable like any metric; `metrics list "
        f"--all` shows them.\n\n{blocks}\n### Sources\n\n{sources}\n### Dimensions\n\n{dims}"
    )
