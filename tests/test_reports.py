"""Reports on the small demo, on DuckDB and PostgreSQL: the XLSX reads back with a sheet per
section and the service's figures as real numbers; the PDF renders to text (period, section
titles, key figures) in uk and en and to a page image that is not blank; a rep's report holds
only their records; the API and the CLI hand the file over; the weekly digest reaches the SMTP
sink once a week, each person with their own figures."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from conftest import DEMO_AS_OF
from salesmetrics.cli.main import app as cli
from salesmetrics.domain.access import LOCAL, Role
from salesmetrics.domain.errors import NotFoundError
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.alerts.channels import Channels
from salesmetrics.services.reports import digest, strategy
from salesmetrics.services.reports.build import build_report
from salesmetrics.services.reports.files import report_file
from salesmetrics.services.reports.fmt import cell
from salesmetrics.services.reports.model import Kind
from salesmetrics.services.reports.registry import keys
from salesmetrics.services.reports.xlsx import sheet_name
from salesmetrics.services.workspace import workspace
from sinks import sinks

OCTOBER = "2026-10-01..2026-10-31"  # last_month, seen from DEMO_AS_OF
MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 09:30 in Kyiv
PLAIN = ("headline", "trend", "targets", "team", "pipeline", "segments", "feedback")


def _revenue(url: str, scope: object = None) -> int:
    with workspace(url) as ws:
        options = {} if scope is None else {"scope": scope}
        row = ws.metrics.query(["revenue"], period=OCTOBER, **options).rows()[0]
        return int(row["revenue"])


def _sheets(data: bytes) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}


def test_the_xlsx_reads_back_with_every_section_and_real_numbers(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        made = report_file(ws, LOCAL, "xlsx", period="last_month", lang="en", as_of=DEMO_AS_OF)
    r = made.report
    assert str(r.period) == OCTOBER and not r.skipped
    assert made.file_name == "report-2026-10-01_2026-10-31-company-en.xlsx"
    sheets = _sheets(made.data)
    taken = {"cover"}
    assert list(sheets) == ["Cover", *(sheet_name(s.title, taken) for s in r.sections)]
    assert "Targets attainment and pacing" in sheets  # no ':' in a sheet's name
    assert [s.key for s in r.sections] == keys() and set(PLAIN) <= set(keys())
    cover = {row[0]: row[1] for row in sheets["Cover"] if row and row[0]}
    assert cover["Period"] == OCTOBER and cover["Scope"] == "the whole company"
    assert cover["Language"] == "English" and "Generated at" in cover
    head = sheets["Headline KPIs"]
    header = head[3]
    assert header[:4] == ["id", "KPI", "This period", "Previous period"]
    revenue = next(row for row in head if row[0] == "revenue")
    assert isinstance(revenue[2], float) and revenue[2] == pytest.approx(_revenue(demo_url) / 100)
    assert isinstance(revenue[4], float)  # the change: a number formatted as a percentage
    trend = sheets["Revenue by month"]
    months = [row for row in trend[4:] if isinstance(row[0], date)]
    assert len(months) == 12 and months[-1][0] == date(2026, 10, 1)
    assert months[-1][1] == pytest.approx(revenue[2])  # the same figure, another service
    team = sheets["Team leaderboard"]
    tops = [row for row in team[4:] if row and isinstance(row[2], float)]
    assert tops and all(isinstance(row[3], float) for row in tops if row[3] != "")
    with zipfile.ZipFile(io.BytesIO(made.data)) as z:
        styles = z.read("xl/styles.xml").decode()
    assert '#,##0.00 "₴"' in styles.replace("&quot;", '"') and "0.0%" in styles


def test_the_strategy_sections_plug_in_when_their_services_are_there(demo_url: str) -> None:
    strategy.plug_in()
    there = [k for k in ("channels", "forecast", "insights") if strategy._service(k)]
    assert set(there) <= set(keys())
    if not there:
        pytest.skip("no strategy service yet")
    with workspace(demo_url) as ws:
        r = build_report(ws, LOCAL, period="last_month", lang="en", as_of=DEMO_AS_OF,
                         sections=there)  # fmt: skip
        assert [s.key for s in r.sections] == [k for k in keys() if k in there]
        assert not r.skipped
        if "channels" in there:
            from salesmetrics.services.strategy.channels import channel_economics

            e = channel_economics(ws, LOCAL, OCTOBER, as_of=DEMO_AS_OF)
            t = r.section("channels").tables[0]
            cac = dict(zip(t.column("channel"), t.column("cac_minor"), strict=True))
            assert all(cac[x.channel] == x.cac_minor for x in e.channels if x.channel)
        if "insights" in there:
            assert r.section("insights").tables[0].rows  # the demo's planted facts
        if "forecast" in there:
            assert len(r.section("forecast").tables[0].rows) >= 1


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True)  # fmt: skip
    return done.stdout.decode().replace("\xa0", " ")


def _ink(data: bytes, tmp: Path, page: int) -> float:
    """The share of non-white pixels of one page drawn at 50 dpi."""
    (tmp / "r.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", str(page), "-l", str(page),
                    str(tmp / "r.pdf"), str(tmp / "p")], check=True)  # fmt: skip
    [png] = list(tmp.glob("p*.png"))
    counts = Image.open(png).convert("L").histogram()  # pixels per grey level, 0 = black
    return sum(counts[:235]) / sum(counts)


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_the_pdf_renders_to_text_and_an_image(demo_url: str, lang: str, tmp_path: Path) -> None:
    with workspace(demo_url) as ws:
        made = report_file(
            ws, LOCAL, "pdf", period="last_month", lang=lang, as_of=DEMO_AS_OF, sections=PLAIN
        )  # the strategy sections have their own test
    assert made.data.startswith(b"%PDF") and made.media_type == "application/pdf"
    text = _pdf_text(made.data)
    r = made.report
    assert OCTOBER in text
    for s in r.sections:
        assert s.title in text, s.title
    revenue = cell(_revenue(demo_url), Kind.MONEY, "UAH", lang).replace("\xa0", " ")
    assert revenue in text  # the headline figure, formatted in the language
    words = {"uk": ("Головні показники", "Сторінка 1 з"), "en": ("Headline KPIs", "Page 1 of")}
    assert all(w in text for w in words[lang])
    assert _ink(made.data, tmp_path, 3) > 0.02  # the revenue chart's page is not blank


def test_a_rep_s_report_holds_only_their_records(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        rep = as_person(ws, "rep@demo.example")
        mine = build_report(ws, rep, period="last_month", lang="en", as_of=DEMO_AS_OF,
                            sections=["headline", "team", "targets"])  # fmt: skip
        rep_name = ws.store.fetchall("SELECT name FROM reps WHERE id = ?", [rep.rep_id])[0][0]
        owner = build_report(ws, LOCAL, period="last_month", scope=f"rep:{rep.rep_id}",
                             lang="en", as_of=DEMO_AS_OF, sections=["headline"])  # fmt: skip
        with pytest.raises(NotFoundError):  # not even named: "no rep '<id>'"
            other = ws.store.fetchall("SELECT id FROM reps WHERE id <> ? ORDER BY id LIMIT 1",
                                      [rep.rep_id])[0][0]  # fmt: skip
            build_report(ws, rep, scope=f"rep:{other}", as_of=DEMO_AS_OF, sections=["headline"])
    assert mine.section("team").tables[0].column("rep") == [rep_name]
    assert {row[0] for row in mine.section("targets").tables[0].rows} <= {rep_name}
    revenue = mine.section("headline").tables[0].rows[0]
    assert revenue[0] == "revenue"
    assert revenue[2] == _revenue(demo_url, rep.scope) < _revenue(demo_url)
    assert owner.section("headline").tables[0].rows[0][2] == revenue[2]
    assert "cac" not in mine.section("headline").tables[0].column("metric")  # company-wide


def test_the_api_and_the_cli_hand_the_file_over(demo_url: str, tmp_path: Path) -> None:
    from salesmetrics.web.app import create_app
    from signed_in import bearer, client, token_for  # the whole web app: only this test

    app = create_app(demo_url)
    rep = bearer(token_for(app.state.workspace, Role.REP, 1))
    with client(app, Role.OWNER) as c:
        got = c.get("/api/v1/reports", params={"format": "xlsx", "period": "2026-Q3",
                                               "scope": "team:HoReCa", "lang": "uk",
                                               "sections": "headline,team",
                                               "as_of": DEMO_AS_OF.isoformat()})  # fmt: skip
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert 'filename="report-2026-07-01_2026-09-30-team-' in got.headers["content-disposition"]
        sheets = _sheets(got.content)
        assert next(iter(sheets)) == "Обкладинка" and "Рейтинг команди" in sheets
        assert c.get("/api/v1/reports", params={"scope": "team:nobody"}).status_code == 404
        assert c.get("/api/v1/reports", params={"format": "doc"}).status_code == 422
        page = c.get("/reports?lang=en")
        assert page.status_code == 200 and 'action="/api/v1/reports"' in page.text
        refused = c.get("/api/v1/reports", params={"scope": "rep:2"}, headers=rep)
        other = app.state.workspace.store.fetchall("SELECT name FROM reps WHERE id = 2")[0][0]
        assert refused.status_code == 404 and other not in refused.text  # not even named
    out = tmp_path / "q3.xlsx"
    done = CliRunner().invoke(cli, ["report", "--db", demo_url, "-o", str(out), "--period",
                                    "2026-Q3", "--lang", "en", "--as", "manager@demo.example",
                                    "--sections", "headline,targets",
                                    "--as-of", DEMO_AS_OF.isoformat()])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "2026-07-01..2026-09-30" in done.output and out.exists()
    cover = {row[0]: row[1] for row in _sheets(out.read_bytes())["Cover"] if row and row[0]}
    assert cover["Whose view"] == "manager@demo.example"
    assert cover["Scope"] == "the records you see"
    bad = CliRunner().invoke(cli, ["report", "--db", demo_url, "-o", str(tmp_path / "x.doc")])
    assert bad.exit_code != 0


def _part(mail: Message, kind: str) -> str:
    part = next(p for p in mail.walk() if p.get_content_type() == kind)
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data.decode(part.get_content_charset() or "utf-8")


def test_the_weekly_digest_reaches_the_smtp_sink_once(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = digest.Schedule(weekday=0, at=time(8), link="https://sales.example/")
    with workspace(demo_url) as ws, sinks() as (sink, smtp_port, _):
        c = Channels(smtp_host="127.0.0.1", smtp_port=smtp_port)
        clock = digest.Clock(plan)
        assert clock.tick(ws, MONDAY.replace(hour=5), c) == 0  # 07:00 in Kyiv: not yet
        owners = {e for e, _ in digest.recipients(ws)}  # other tests may add some
        assert {"owner@demo.example", "manager@demo.example"} <= owners
        sent = clock.tick(ws, MONDAY, c)
        assert sent == len(owners) and clock.tick(ws, MONDAY, c) == 0
        assert digest.Clock(plan).tick(ws, MONDAY, c) == 0  # a restarted server: audited
        by_to = {m.recipients[0]: m.message for m in sink.mails}
        assert set(by_to) == owners and "rep@demo.example" not in by_to
        owner = by_to["owner@demo.example"]
        subject = str(make_header(decode_header(owner["Subject"])))
        assert subject == "[salesmetrics] Тижневий звіт: 2026-11-16..2026-11-22"
        text, html = _part(owner, "text/plain"), _part(owner, "text/html")
        week = ws.metrics.query(["revenue"], period="2026-11-16..2026-11-22").rows()[0]
        figure = cell(week["revenue"], Kind.MONEY, "UAH", "uk")
        assert figure in text and figure in html and "https://sales.example/" in html
        manager = _part(by_to["manager@demo.example"], "text/plain")
        mine = as_person(ws, "manager@demo.example").scope
        theirs = ws.metrics.query(["revenue"], period="2026-11-16..2026-11-22",
                                  scope=mine).rows()[0]["revenue"]  # fmt: skip
        assert cell(theirs, Kind.MONEY, "UAH", "uk") in manager and theirs < week["revenue"]

        # The next week, a server started on Wednesday: still due. One person's failure does
        # not stop the others, and only that person is tried again.
        wednesday = MONDAY + timedelta(days=9)
        real = digest.compose

        def flaky(ws: Any, who: Any, email: str, **kw: Any) -> Any:
            if email == "owner@demo.example":
                raise OSError("mailbox full")
            return real(ws, who, email, **kw)

        monkeypatch.setattr(digest, "compose", flaky)
        late = digest.Clock(plan)
        assert late.tick(ws, wednesday, c) == 0
        assert digest.sent_this_week(ws, wednesday.date()) == owners - {"owner@demo.example"}
        monkeypatch.setattr(digest, "compose", real)
        assert late.tick(ws, wednesday + digest.RETRY, c) == 1
