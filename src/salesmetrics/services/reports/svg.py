"""Charts as static SVG for the PDF (weasyprint draws inline SVG): line and bar charts with a
y axis of round ticks, x labels and a legend. Our own few lines instead of a plotting library:
a report needs two chart kinds, and matplotlib or kaleido would add hundreds of MB."""

from __future__ import annotations

import math
from collections.abc import Callable
from xml.sax.saxutils import escape

from babel.numbers import format_compact_decimal

from salesmetrics.services.reports.fmt import locale_of, major
from salesmetrics.services.reports.model import Chart, Kind

WIDTH, HEIGHT = 680, 250
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 46
COLORS = ("#2f6fb0", "#e0803a", "#3a9a5b", "#b8455a", "#7a5cb0")
AXIS, GRID, INK = "#555", "#e3e3e3", "#222"
XMap = Callable[[int], float]
YMap = Callable[[float], float]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low..high (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, v = [], first
    while v < high + step * 0.999:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _tick_label(v: float, unit: Kind, currency: str, lang: str) -> str:
    if unit is Kind.PERCENT:
        return f"{v * 100:.0f}%"
    shown = major(v, currency) if unit is Kind.MONEY else v
    return str(format_compact_decimal(shown, format_type="short", locale=locale_of(lang),
                                      fraction_digits=1))  # fmt: skip


def _text(x: float, y: float, s: str, *, anchor: str = "middle", size: int = 10,
          rotate: bool = False) -> str:  # fmt: skip
    turn = f' transform="rotate(-35 {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{INK}"{turn}>{escape(s)}</text>')  # fmt: skip


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def render(chart: Chart, currency: str, lang: str) -> str:
    """The chart as an <svg> element (no XML declaration: it goes inline into HTML)."""
    values = [v for s in chart.series for v in s.values if v is not None]
    low = min(0.0, *values) if values else 0.0
    high = max(0.0, *values) if values else 1.0
    ticks = nice_ticks(low, high)
    lo, hi = ticks[0], ticks[-1]
    n = max(len(chart.labels), 1)
    rotate = n > 8 or max((len(s) for s in chart.labels), default=0) > 10
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - (BOTTOM + 24 if rotate else BOTTOM)

    def y(v: float) -> float:
        return TOP + plot_h - (v - lo) / ((hi - lo) or 1) * plot_h

    def x(i: int) -> float:
        return LEFT + (i + 0.5) * plot_w / n

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" font-family="DejaVu Sans, sans-serif">',
           f"<title>{escape(chart.title)}</title>"]  # fmt: skip
    for t in ticks:
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')  # fmt: skip
        out.append(_text(LEFT - 6, y(t) + 3.5, _tick_label(t, chart.unit, currency, lang),
                         anchor="end", size=9))  # fmt: skip
    out.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}" stroke="{AXIS}"/>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
               f'stroke="{AXIS}"/>')  # fmt: skip
    out += _bars(chart, x, y, plot_w / n) if chart.kind == "bar" else _lines(chart, x, y)
    every = max(1, math.ceil(n / 24))
    for i, label in enumerate(chart.labels):
        if i % every == 0:
            out.append(_text(x(i), TOP + plot_h + 14, _short(label), size=9,
                             anchor="end" if rotate else "middle", rotate=rotate))  # fmt: skip
    if len(chart.series) > 1:
        for k, s in enumerate(chart.series):
            lx = LEFT + 8 + k * 150
            out.append(f'<rect x="{lx}" y="2" width="10" height="10" '
                       f'fill="{COLORS[k % len(COLORS)]}"/>')  # fmt: skip
            out.append(_text(lx + 14, 11, _short(s.name, 22), anchor="start", size=9))
    out.append("</svg>")
    return "\n".join(out)


def _bars(chart: Chart, fx: XMap, fy: YMap, slot: float) -> list[str]:
    k = len(chart.series)
    width = slot * 0.7 / max(k, 1)
    out = []
    for j, s in enumerate(chart.series):
        color = COLORS[j % len(COLORS)]
        for i, v in enumerate(s.values):
            if v is None:
                continue
            left = fx(i) - slot * 0.35 + j * width
            top, bottom = sorted((fy(v), fy(0)))
            out.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" '
                       f'height="{max(bottom - top, 0.5):.1f}" fill="{color}"/>')  # fmt: skip
    return out


def _lines(chart: Chart, fx: XMap, fy: YMap) -> list[str]:
    out = []
    for j, s in enumerate(chart.series):
        color = COLORS[j % len(COLORS)]
        points = [(fx(i), fy(v)) for i, v in enumerate(s.values) if v is not None]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        out += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{color}"/>'
                for px, py in points]  # fmt: skip
    return out
