"""Building a report: resolve the period and scope inside the asker's view, then run each
registered section's builder. A section that cannot be built for this workspace or view (no
pipeline yet, a figure the view may not see) is left out and named in `Report.skipped`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from salesmetrics.domain.access import Principal
from salesmetrics.domain.errors import InputError, SalesmetricsError
from salesmetrics.domain.periods import Compare, comparison_range
from salesmetrics.services.reports import registry, strategy
from salesmetrics.services.reports.context import Context
from salesmetrics.services.reports.model import Report, Section
from salesmetrics.services.reports.scope import ReportScope, narrowed, parse_scope, period_range
from salesmetrics.services.reports.texts import say
from salesmetrics.services.workspace import Workspace

DEFAULT_PERIOD = "last_month"
Progress = Callable[[str, int, int], None]  # (section key, sections done, sections in all)
log = logging.getLogger(__name__)


def scope_label(s: ReportScope, lang: str, who: Principal) -> str:
    if s.kind == "company":
        return say(lang, "company" if who.scope.everything else "visible")
    return say(lang, s.kind, name=s.name)


def language(ws: Workspace, lang: str | None) -> str:
    return lang if lang in ("uk", "en") else ws.settings.locale


def context(ws: Workspace, who: Principal, period: str | None, scope: str | None,
            lang: str | None, as_of: date | None) -> Context:  # fmt: skip
    """The inputs every section shares, resolved and checked."""
    today = as_of or ws.metrics.today()
    rng = period_range(ws, period or DEFAULT_PERIOD, today)
    s = parse_scope(ws, scope, who)
    return Context(ws, narrowed(who, s), who, s, rng, today, language(ws, lang),
                   ws.settings.base_currency)  # fmt: skip


def build_report(
    ws: Workspace, who: Principal, *, period: str | None = None, scope: str | None = None,
    lang: str | None = None, as_of: date | None = None, sections: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Report:  # fmt: skip
    """The report of `period` over `scope`, as `who` sees it, in `lang`."""
    strategy.plug_in()
    c = context(ws, who, period, scope, lang, as_of)
    known = registry.keys()
    wanted = known if not sections else list(sections)
    unknown = [k for k in wanted if k not in known]
    if unknown:
        raise InputError(f"no report section {', '.join(unknown)}; there are: "
                         f"{', '.join(known)}")  # fmt: skip
    built: list[Section] = []
    skipped: list[str] = []
    entries = [e for e in registry.REGISTRY if e.key in wanted]
    for n, e in enumerate(entries):
        if progress is not None:
            progress(e.key, n, len(entries))
        try:
            found = e.build(c)
        except SalesmetricsError as exc:  # e.g. no pipeline yet, or not for this view
            skipped.append(f"{e.key}: {exc.message}")
            continue
        if found is not None:
            built.append(found)
    if progress is not None:
        progress("", len(entries), len(entries))
    fiscal = ws.settings.fiscal_year_start_month
    return Report(
        title=say(c.lang, "title"), workspace=ws.settings.name, period=c.period,
        comparison=comparison_range(c.period, Compare.PREVIOUS, fiscal), scope=c.scope.code,
        scope_label=scope_label(c.scope, c.lang, who), scope_slug=c.scope.slug,
        viewer=who.email if who.user_id else say(c.lang, "owner_view"), lang=c.lang,
        currency=c.currency, generated_at=datetime.now(UTC), sections=tuple(built),
        skipped=tuple(skipped),
    )  # fmt: skip
