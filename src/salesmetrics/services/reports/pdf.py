"""A report as PDF: HTML from a Jinja2 template with our own CSS (A4, a running header, page
numbers), charts as inline SVG (svg.py), laid out by weasyprint with the DejaVu fonts (Cyrillic)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from salesmetrics.domain.errors import ConfigError
from salesmetrics.services.reports import svg
from salesmetrics.services.reports.fmt import cell
from salesmetrics.services.reports.model import Cell, Chart, Kind, Report
from salesmetrics.services.reports.texts import say

TEMPLATES = Path(__file__).parent / "templates"


def _css_string(text: str) -> str:
    """Text safe inside a CSS string in double quotes."""
    return "".join(c if c.isalnum() or c in " .,:;-_()/+№" else f"\\{ord(c):x} " for c in text)


@cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.filters["cssstring"] = _css_string
    return env


def facts(r: Report) -> list[tuple[str, str]]:
    """The cover's lines: period, comparison, scope, whose view, when, language, currency."""

    def t(key: str) -> str:
        return say(r.lang, key)

    return [
        (t("period"), str(r.period)),
        (t("compared"), str(r.comparison) if r.comparison else "—"),
        (t("scope"), r.scope_label), (t("viewer"), r.viewer),
        (t("generated"), f"{r.generated_at:%Y-%m-%d %H:%M} UTC"),
        (t("language"), t("lang_name")), (t("currency"), r.currency),
    ]  # fmt: skip


def html(r: Report) -> str:
    """The report as one HTML document (what the PDF is drawn from)."""

    def show(value: Cell, kind: Kind) -> str:
        return cell(value, kind, r.currency, r.lang)

    def chart(c: Chart) -> Markup:
        return Markup(svg.render(c, r.currency, r.lang))  # our own markup; labels escaped

    context: dict[str, Any] = {
        "report": r, "facts": facts(r), "css": Markup((TEMPLATES / "report.css").read_text()),
        "t": lambda key: say(r.lang, key), "cell": show, "svg": chart,
        "header": f"{r.workspace} · {r.title} · {r.period} · {r.scope_label}",
        "page_word": say(r.lang, "page"), "of_word": say(r.lang, "of"),
    }  # fmt: skip
    return _env().get_template("report.html").render(context)


def write_pdf(r: Report) -> bytes:
    """The report as PDF bytes."""
    try:  # heavy (pango, fonts): loaded when a PDF is first asked for
        from weasyprint import HTML
    except OSError as exc:  # the pango library is missing: say what to install
        raise ConfigError(
            "PDF reports need the pango library (Debian: apt-get install libpango-1.0-0 "
            f"libpangoft2-1.0-0; `make test` installs it); XLSX reports work without it: {exc}"
        ) from exc

    data: bytes = HTML(string=html(r), base_url=str(TEMPLATES)).write_pdf()
    return data
