"""`salesmetrics feedback summary|themes|read|lexicon|followups|done|timing|unmatched`: what
customers say, tied to reps and products, what their comments are about, the follow-up of every
unhappy customer, and the responses linked to no customer (docs/feedback.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from salesmetrics.cli.metrics_cmds import parse_as_of
from salesmetrics.cli.options import DbOption, FormatOption, OutputFormat
from salesmetrics.cli.people import AsUser, Lang, acting_as, language
from salesmetrics.cli.render import emit_json
from salesmetrics.domain.access import LOCAL
from salesmetrics.services import feedback_links
from salesmetrics.services import workspace as ws_service
from salesmetrics.services.feedback import followups, lexicon
from salesmetrics.services.feedback.outcomes import outcomes
from salesmetrics.services.feedback.summary import summary
from salesmetrics.services.feedback.themes import DEFAULT_PERIOD, ThemesReport, themes

app = typer.Typer(help="Customer feedback: NPS and CSAT by rep and product, comment themes and "
                  "sentiment.", no_args_is_help=True)  # fmt: skip
console = Console()

Period = Annotated[
    str,
    typer.Option(
        "--period", help="last_90_days (default), this_month, 2026-Q3, 2026-01-01..2026-06-30 …"
    ),
]
AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="Periods seen from this day, YYYY-MM-DD (default: today).")]  # fmt: skip


def _score(v: float | None, digits: int = 0) -> str:
    return "—" if v is None else f"{v:.{digits}f}"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


@app.command("summary")
def summary_cmd(db: DbOption = None, period: Period = DEFAULT_PERIOD, as_of: AsOf = None,
                as_user: AsUser = None, lang: Lang = None,
                fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """NPS and CSAT with their 95 % intervals against the period before, by rep and by product
    (lowest NPS first), how the comments feel, and the themes with the most detractors."""
    with ws_service.workspace(db) as ws:
        s = summary(ws, acting_as(ws, as_user), period, lang=language(ws, lang),
                    as_of=parse_as_of(as_of))  # fmt: skip
        if fmt is OutputFormat.JSON:
            emit_json(s.as_dict())
            return
        console.print(f"Feedback {s.period} (before: {s.comparison or '—'})")
        for f in s.headline:
            pct = f.metric == "csat"
            show = _pct if pct else _score
            band = "" if f.low is None else f"  (95 %: {show(f.low)} to {show(f.high)})"
            console.print(f"  {f.metric}: {show(f.value)}, before {show(f.previous)}{band}")
        for dim, lines in s.by.items():
            t = Table(title=f"By {dim}, lowest NPS first")
            for c in (dim, "NPS", "95 % interval", "NPS answers", "CSAT"):
                t.add_column(c, justify="left" if c == dim else "right")
            for x in lines[:10]:
                t.add_row(escape(x.name or "—"), _score(x.nps),
                          "—" if x.low is None else f"{x.low:.0f} to {x.high:.0f}",
                          str(x.responses), _pct(x.csat))  # fmt: skip
            console.print(t)
        r = s.themes
        console.print(f"{r.comments} of {r.responses} responses have a comment: "
                      f"{r.tones['negative']} negative, {r.tones['neutral']} neutral, "
                      f"{r.tones['positive']} positive.")  # fmt: skip
        _themes_table(r, 3)


@app.command("themes")
def themes_cmd(db: DbOption = None, period: Period = DEFAULT_PERIOD, as_of: AsOf = None,
               as_user: AsUser = None, lang: Lang = None,
               suggest: Annotated[bool, typer.Option(
                   "--suggest", help="Group the comments no theme caught into suggestions "
                   "for new themes.")] = False,
               fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Comment themes ranked by how many detractor responses carry them, with the products
    those detractors bought and their words."""
    with ws_service.workspace(db) as ws:
        r = themes(ws, acting_as(ws, as_user), period, lang=language(ws, lang),
                   suggestions=suggest, as_of=parse_as_of(as_of))  # fmt: skip
        if fmt is OutputFormat.JSON:
            emit_json(r.as_dict())
            return
        console.print(f"{r.comments} comments in {r.period}, {r.detractor_comments} from "
                      f"detractors; {r.untagged} carry no theme.")  # fmt: skip
        _themes_table(r, len(r.themes))
        for s in r.suggestions:
            console.print(f"Suggested theme ({s.comments} comments): {', '.join(s.words)}")
            for e in s.examples:
                console.print(f"   “{escape(e)}”")


def _themes_table(r: ThemesReport, limit: int) -> None:
    t = Table(title="Themes, most detractors first")
    for c in ("theme", "comments", "detractors", "share of detractors", "negative",
              "their products", "for example"):  # fmt: skip
        t.add_column(c, justify="right" if c in ("comments", "detractors", "negative",
                                                 "share of detractors") else "left")  # fmt: skip
    for x in r.themes[:limit]:
        t.add_row(x.label, str(x.responses), str(x.detractors), _pct(x.detractor_share),
                  str(x.negative), escape(", ".join(f"{p} ({n})" for p, n in x.products)),
                  escape(x.examples[0] if x.examples else ""))  # fmt: skip
    console.print(t)


@app.command("read")
def read_cmd(text: Annotated[str, typer.Argument(help="A comment to read.")],
             db: DbOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """How the lexicons in force read one comment: its themes, tone and the words that said so
    (to try an edited lexicon before relying on it)."""
    with ws_service.workspace(db) as ws:
        r = lexicon.reader(ws).read(text)
        if fmt is OutputFormat.JSON:
            emit_json(
                {
                    "themes": list(r.themes),
                    "hits": {k: list(v) for k, v in r.hits.items()},
                    "sentiment": r.sentiment,
                    "tone": r.tone,
                    "cues": list(r.cues),
                }
            )
            return
        said = "; ".join(f"{k} ({', '.join(v)})" for k, v in r.hits.items()) or "none"
        console.print(f"Themes: {escape(said)}")
        console.print(f"Tone: {r.tone} ({r.sentiment:+.2f}); words: "
                      f"{escape(', '.join(r.cues) or 'none')}")  # fmt: skip


@app.command("lexicon")
def lexicon_cmd(db: DbOption = None,
                sentiment: Annotated[bool, typer.Option(
                    "--sentiment", help="The sentiment lexicon (default: the themes).")] = False,
                set_file: Annotated[Path | None, typer.Option(
                    "--set", help="Use this YAML lexicon (owners; checked first).")] = None,
                reset: Annotated[bool, typer.Option(
                    "--reset", help="Go back to the built-in lexicon.")] = False,
                ) -> None:  # fmt: skip
    """Print the theme (or sentiment) lexicon in force, to edit it; or store one."""
    which = "sentiment" if sentiment else "themes"
    with ws_service.workspace(db) as ws:
        if set_file is not None or reset:
            text = None if reset else set_file.read_text(encoding="utf-8") if set_file else None
            print(lexicon.set_lexicon(ws, LOCAL, which, text), end="")
            return
        print(lexicon.text_of(ws, which), end="")


@app.command("followups")
def followups_cmd(db: DbOption = None,
                  state: Annotated[str, typer.Option(
                      "--state", help="open (default), done or all.")] = "open",
                  open_new: Annotated[bool, typer.Option(
                      "--open-new", help="First open the follow-ups of recent detractor "
                      "responses that have none (the server does this on its own).")] = False,
                  as_user: AsUser = None, limit: Annotated[int, typer.Option(
                      "--limit", min=1, max=1000, help="Follow-ups to list.")] = 50,
                  fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The detractor follow-ups in view: open ones oldest due first, with the response."""
    with ws_service.workspace(db) as ws:
        if open_new:
            opened = followups.open_new(ws)
            console.print(f"Opened {len(opened)} follow-ups.")
        now = datetime.now(UTC)
        rows = followups.queue(ws, acting_as(ws, as_user), state, limit)
        if fmt is OutputFormat.JSON:
            emit_json([{**asdict(f), "overdue": followups.is_overdue(f, now)} for f in rows])
            return
        t = Table(title=f"Follow-ups ({state})")
        for c in ("id", "due", "rep", "customer", "score", "comment", "done"):
            t.add_column(c)
        for f in rows:
            late = " (late)" if followups.is_overdue(f, now) else ""
            t.add_row(
                str(f.id),
                f"{f.due_at:%Y-%m-%d %H:%M}{late}",
                escape(f.rep or "—"),
                escape(f.customer or "—"),
                f"{f.kind} {_score(f.score)}",
                escape((f.comment or "")[:80]),
                "" if f.done_at is None else f"{f.done_at:%Y-%m-%d} {escape(f.done_by or '')}",
            )
        console.print(t)


@app.command("done")
def done_cmd(followup_id: Annotated[int, typer.Argument(help="The follow-up's id.")],
             db: DbOption = None, note: Annotated[str | None, typer.Option(
                 "--note", help="What was done (a call, a refund …).")] = None,
             as_user: AsUser = None) -> None:  # fmt: skip
    """Close a follow-up with what was done (its rep, their manager or the owner)."""
    with ws_service.workspace(db) as ws:
        f = followups.close(ws, acting_as(ws, as_user), followup_id, note)
        hours = ((f.done_at or f.received_at) - f.received_at).total_seconds() / 3600
        console.print(f"Follow-up {f.id} done, {hours:.0f} hours after the response.")


@app.command("timing")
def timing_cmd(db: DbOption = None, period: Period = DEFAULT_PERIOD, as_user: AsUser = None,
               fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Per rep, how fast detractors were followed up: opened, done, on time, open past due,
    median hours from the response to done (slowest first)."""
    with ws_service.workspace(db) as ws:
        rows = followups.timing(ws, acting_as(ws, as_user), period)
        if fmt is OutputFormat.JSON:
            emit_json([r.as_dict() for r in rows])
            return
        t = Table(title=f"Follow-up timing, {period} (due {followups.DUE_HOURS} h after the "
                  "response)")  # fmt: skip
        for c in ("rep", "opened", "done", "on time", "open, late", "median hours"):
            t.add_column(c, justify="left" if c == "rep" else "right")
        for r in rows:
            t.add_row(escape(r.rep or "(no rep)"), str(r.opened), str(r.done), str(r.on_time),
                      str(r.open_overdue), _score(r.median_hours))  # fmt: skip
        console.print(t)


@app.command("unmatched")
def unmatched_cmd(db: DbOption = None, as_user: AsUser = None,
                  limit: Annotated[int, typer.Option(
                      "--limit", min=1, max=feedback_links.MAX_LIMIT,
                      help="Responses to list.")] = feedback_links.DEFAULT_LIMIT,
                  fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """The responses linked to no customer in view, newest first, with the links they gave
    that matched nothing (a re-import links them once the customer is known)."""
    with ws_service.workspace(db) as ws:
        found = feedback_links.unmatched(ws, acting_as(ws, as_user), limit)
        if fmt is OutputFormat.JSON:
            emit_json(found.as_dict())
            return
        t = Table(title=f"Responses linked to no customer ({len(found.data)} of {found.count})")
        for c in ("id", "received", "external id", "score", "comment", "named"):
            t.add_column(c)
        for r in found.data:
            named = "; ".join(f"{k.removesuffix('_id')}: {v}" for k, v in r.named.items())
            t.add_row(str(r.id), f"{r.received_at:%Y-%m-%d %H:%M}",
                      escape(r.external_id or "—"), f"{r.kind} {_score(r.score)}",
                      escape((r.comment or "")[:80]), escape(named or "—"))  # fmt: skip
        console.print(t)


@app.command("outcomes")
def outcomes_cmd(db: DbOption = None, period: Annotated[str, typer.Option(
                     "--period", help="When the answers came [trailing_12_months]; only those "
                     "at least 90 days old count.")] = "trailing_12_months",
                 as_of: AsOf = None, as_user: AsUser = None,
                 fmt: FormatOption = OutputFormat.TABLE) -> None:  # fmt: skip
    """Do unhappy customers stop buying? What promoters, passives and detractors bought in the
    90 days after their latest answer, and NPS beside repeat purchase, churn and revenue per
    customer segment, with the caveat that this is a comparison, not a cause."""
    with ws_service.workspace(db) as ws:
        o = outcomes(ws, acting_as(ws, as_user), period, parse_as_of(as_of))
        if fmt is OutputFormat.JSON:
            emit_json(o.as_dict())
            return
        t = Table(title=f"After their latest answer ({o.answered}), {o.window_days} days")
        for c in ("answer", "customers", "bought again", "95 % interval", "orders each",
                  f"revenue each, {o.currency}"):  # fmt: skip
            t.add_column(c, justify="left" if c == "answer" else "right")
        for k in o.classes:
            t.add_row(k.answer, str(k.customers), _pct(k.bought_again / k.customers
                                                      if k.customers else None),
                      "—" if k.low is None or k.high is None else f"{k.low:.0%} to {k.high:.0%}",
                      _score(k.orders_each, 1),
                      _score(None if k.revenue_each_minor is None
                             else k.revenue_each_minor / 100))  # fmt: skip
        console.print(t)
        s = Table(title="By customer segment, highest NPS first")
        for c in ("segment", "NPS", "answers", "repeat purchase", "mean P(alive)",
                  f"revenue per buyer, {o.currency}"):  # fmt: skip
            s.add_column(c, justify="left" if c == "segment" else "right")
        for x in o.segments:
            s.add_row(x["segment"], _score(x["nps"]), str(x["nps_responses"]),
                      _pct(x["repeat_purchase_rate"]), _pct(x["mean_p_alive"]),
                      _score(None if x["revenue_per_buyer_minor"] is None
                             else x["revenue_per_buyer_minor"] / 100))  # fmt: skip
        console.print(s)
        console.print(f"[yellow]{o.caveat}[/yellow]")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="feedback")
