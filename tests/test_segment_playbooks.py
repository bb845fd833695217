"""Segment playbooks and campaign exports on the demo, on DuckDB and PostgreSQL: the built-in
playbooks cover every segment in both languages with real KPIs; a workspace's own table is
checked whole before it is stored (owners only) and can be reset; a segment's or cluster's
export holds exactly the customers the RFM report or the clusters put there for that day, in
the asker's view, as CSV or XLSX that open safely; the API and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from conftest import DEMO_AS_OF
from salesmetrics.cli.main import app as cli
from salesmetrics.domain.access import LOCAL, ForbiddenError, Principal, Role, Scope
from salesmetrics.domain.cells import restore
from salesmetrics.domain.errors import InputError
from salesmetrics.metrics.catalog import load_catalog
from salesmetrics.services.segments import clusters as cl
from salesmetrics.services.segments import playbooks as pb
from salesmetrics.services.segments.behaviour import read
from salesmetrics.services.segments.export import HEADER, export_segment
from salesmetrics.services.segments.rfm import builtin_table, rfm, scored
from salesmetrics.services.workspace import Workspace, workspace
from salesmetrics.web.app import create_app
from signed_in import client

DAY = DEMO_AS_OF - timedelta(days=1)  # the demo's last day of data
CODES = builtin_table().names
FORMULA = '=HYPERLINK("http://x.example","click")'
CYRILLIC = re.compile("[а-яіїєґ]", re.I)


def _rep(ws: Workspace) -> Principal:
    rep = int(ws.store.fetchall("SELECT min(owner_rep_id) FROM customers")[0][0])
    return Principal(99, "rep@x.ua", None, Role.REP, rep, Scope(frozenset({rep}), False), "t")


def _members(ws: Workspace, who: Principal, code: str) -> set[int]:
    """The customers the RFM report puts in segment `code` for DAY, in `who`'s view."""
    b = read(ws, who, DAY, categories=False)
    return {int(i) for i in b.ids[scored(b).segment == code]}


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs for Cyrillic
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _xlsx(data: bytes) -> list[dict[str, Any]]:
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@contextmanager
def _renamed(url: str, code: str, name: str) -> Iterator[int]:
    """One customer of segment `code` renamed for a while; their id."""
    with workspace(url) as ws:
        cid = min(_members(ws, LOCAL, code))
        old = ws.store.fetchall("SELECT name FROM customers WHERE id = ?", [cid])[0][0]
        ws.store.write(lambda tx: tx.execute("UPDATE customers SET name = ? WHERE id = ?",
                                             [name, cid]))  # fmt: skip
    try:
        yield cid
    finally:
        with workspace(url) as ws:
            ws.store.write(lambda tx: tx.execute("UPDATE customers SET name = ? WHERE id = ?",
                                                 [old, cid]))  # fmt: skip


# ---------------------------------------------------------------- playbooks


def test_the_built_in_playbooks_cover_every_segment_in_both_languages() -> None:
    catalog = load_catalog()
    table = pb.table_of(pb.builtin_text(), catalog.names())
    assert tuple(table) == CODES
    for code, entry in table.items():
        assert 2 <= len(entry.tactics) <= 4, code
        assert 2 <= len(entry.kpis) <= 4, code
        for text in (entry.goal, *entry.tactics):
            assert set(text) == {"en", "uk"} and text["en"] != text["uk"], (code, text)
            assert CYRILLIC.search(text["uk"]) and not CYRILLIC.search(text["en"]), text
        assert all(not catalog.get(k).hidden for k in entry.kpis)


def test_a_bad_table_is_rejected_naming_every_fault_and_nothing_is_stored(demo_url: str) -> None:
    good = pb.builtin_text()
    bad = (good.replace("  lost:", "  vip:")  # an unknown segment, and so lost is missing
           .replace("kpis: [revenue, aov, purchase_frequency, nps]", "kpis: [revenue, revnue]")
           .replace('en: "Turn recent customers into regulars."', "fr: Bonjour"))  # fmt: skip
    with workspace(demo_url) as ws:
        with pytest.raises(InputError) as caught:
            pb.set_playbooks(ws, LOCAL, bad)
        assert ws.settings.segment_playbooks == ""
        with pytest.raises(InputError, match="not valid YAML"):
            pb.set_playbooks(ws, LOCAL, "segments: [")
        with pytest.raises(InputError, match="one key, 'segments'"):
            pb.set_playbooks(ws, LOCAL, "- a list")
        assert pb.is_builtin(ws) and pb.playbooks_text(ws) == good
    said = caught.value.message
    assert "5 problems" in said, said
    assert "segments.vip: not a segment" in said
    assert "segments.champions.kpis: no metric 'revnue'; did you mean revenue" in said
    assert "segments.potential_loyalists.goal.fr: not a language" in said
    assert "segments.potential_loyalists.goal.en: missing" in said
    assert "no playbook for lost" in said


def test_an_own_table_takes_effect_and_reset_restores_the_built_in_one(demo_url: str) -> None:
    mine = (pb.builtin_text()
            .replace("Give them early access", "Invite them to a private preview evening; give "
                     "them early access")
            .replace("kpis: [buying_customers, revenue]", "kpis: [buying_customers]"))  # fmt: skip
    with workspace(demo_url) as ws:
        try:
            assert pb.set_playbooks(ws, LOCAL, mine) == mine
            assert not pb.is_builtin(ws)
            champions = pb.playbook(ws, "champions", "en")
            assert champions.tactics[0].startswith("Invite them to a private preview evening")
            assert [k.metric for k in pb.playbook(ws, "lost").kpis] == ["buying_customers"]
            audit = ws.store.fetchall("SELECT action, object_id FROM audit_log ORDER BY id DESC "
                                      "LIMIT 1")  # fmt: skip
            assert [tuple(a) for a in audit] == [("settings_changed", "segment_playbooks")]
        finally:
            pb.set_playbooks(ws, LOCAL, None)
        assert pb.is_builtin(ws) and pb.playbooks_text(ws) == pb.builtin_text()
        uk = pb.playbook(ws, "champions", "uk")
        assert uk.label == "Чемпіони" and uk.tactics[0].startswith("Відкривайте")
        assert [k.label for k in uk.kpis][:2] == ["Виручка", "Середній чек"]
        assert [p.segment for p in pb.playbooks(ws, "en")] == list(CODES)


def test_only_an_owner_sets_the_playbooks(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        rep = _rep(ws)
        with pytest.raises(ForbiddenError):
            pb.set_playbooks(ws, rep, pb.builtin_text())
        assert pb.is_builtin(ws)
        assert pb.playbook(ws, "at_risk", "en").tactics  # but reads them


# ---------------------------------------------------------------- exports


def test_a_csv_export_holds_exactly_the_segment_s_customers(demo_url: str) -> None:
    with _renamed(demo_url, "champions", FORMULA) as renamed, workspace(demo_url) as ws:
        done = export_segment(ws, LOCAL, "csv", DAY, segment="champions", lang="uk")
        members = _members(ws, LOCAL, "champions")
        report = next(s for s in rfm(ws, LOCAL, DAY).segments if s.code == "champions")
        logged = ws.store.fetchall("SELECT action, object_type, object_id, details FROM "
                                   "audit_log ORDER BY id DESC LIMIT 1")[0]  # fmt: skip
    assert done.file_name == f"segment-champions-{DAY}.csv"
    assert done.media_type.startswith("text/csv")
    rows = _csv(done.data)
    assert list(rows[0]) == HEADER
    assert {int(r["customer_id"]) for r in rows} == members and len(rows) == len(members)
    assert len(rows) == report.customers == done.rows
    assert sum(float(r["total_spend"]) for r in rows) == pytest.approx(
        report.revenue_minor / 100, abs=len(rows) / 100
    )
    assert {r["segment"] for r in rows} == {"champions"}
    assert {r["segment_label"] for r in rows} == {"Чемпіони"}
    assert all(r["r"] in "45" and r["currency"] == "UAH" for r in rows)
    assert all(0 <= float(r["p_alive"]) <= 1 and float(r["value_12m"]) >= 0 for r in rows)
    by_id = {int(r["customer_id"]): r for r in rows}
    assert by_id[renamed]["name"] == "'" + FORMULA  # marked: a spreadsheet shows it as text
    assert restore(by_id[renamed]["name"]) == FORMULA
    assert any(r["email"] and r["phone"] for r in rows)
    assert tuple(logged[:3]) == ("export", "customers", "segment-champions")
    details = logged[3] if isinstance(logged[3], dict) else json.loads(logged[3])
    assert details["rows"] == len(rows) and details["format"] == "csv"


def test_an_xlsx_export_holds_the_same_rows(demo_url: str) -> None:
    with _renamed(demo_url, "at_risk", FORMULA) as renamed, workspace(demo_url) as ws:
        sheet = export_segment(ws, LOCAL, "xlsx", DAY, segment="at_risk")
        text = export_segment(ws, LOCAL, "csv", DAY, segment="at_risk")
    assert sheet.file_name == f"segment-at_risk-{DAY}.xlsx" and sheet.media_type.endswith("sheet")
    rows, expected = _xlsx(sheet.data), _csv(text.data)
    assert list(rows[0]) == HEADER and len(rows) == len(expected) == sheet.rows > 0
    for got, want in zip(rows, expected, strict=True):
        assert int(got["customer_id"]) == int(want["customer_id"])
        assert got["total_spend"] == pytest.approx(float(want["total_spend"]))
        assert got["last_purchase"] == want["last_purchase"] and got["segment"] == "at_risk"
    named = next(r for r in rows if int(r["customer_id"]) == renamed)
    assert named["name"] == FORMULA  # a text cell (with Excel's quote prefix), never a formula


def test_a_rep_s_export_holds_only_their_customers(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        rep = _rep(ws)
        code = next(s.code for s in rfm(ws, rep, DAY).segments if s.customers > 0)
        rows = _csv(export_segment(ws, rep, "csv", DAY, segment=code).data)
        owned = {int(r[0]) for r in ws.store.fetchall(
            "SELECT id FROM customers WHERE owner_rep_id = ?", [rep.rep_id])}  # fmt: skip
        mine = _members(ws, rep, code)
        everyone = _members(ws, LOCAL, code)
    ids = {int(r["customer_id"]) for r in rows}
    assert ids == mine and ids <= owned and len(ids) < len(everyone)


def test_a_cluster_export_matches_the_clusters(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        report = cl.clusters(ws, LOCAL, DAY)
        done = export_segment(ws, LOCAL, "csv", DAY, cluster=2)
        with pytest.raises(InputError, match=f"numbered 1 to {report.k}"):
            export_segment(ws, LOCAL, "csv", DAY, cluster=report.k + 1)
    labels = np.asarray(report.labels)
    rows = _csv(done.data)
    assert done.file_name == f"cluster-2-{DAY}.csv" and "cluster" in rows[0]
    assert {int(r["customer_id"]) for r in rows} == set(np.asarray(report.ids)[labels == 1])
    assert {r["cluster"] for r in rows} == {"2"}


def test_an_unknown_segment_or_format_is_told_the_choices(demo_url: str) -> None:
    with workspace(demo_url) as ws:
        with pytest.raises(InputError) as caught:
            export_segment(ws, LOCAL, "csv", DAY, segment="champs")
        assert "did you mean champions" in caught.value.message
        assert all(code in caught.value.message for code in CODES)
        with pytest.raises(InputError, match="not both"):
            export_segment(ws, LOCAL, "csv", DAY, segment="lost", cluster=1)
        with pytest.raises(InputError, match="csv or xlsx"):
            export_segment(ws, LOCAL, "pdf", DAY, segment="lost")


# ---------------------------------------------------------------- API and CLI


def test_the_api_answers_playbooks_and_exports(demo_url: str) -> None:
    app = create_app(demo_url)
    with TestClient(app):
        c = client(app)
        every = c.get("/api/v1/segments/playbooks", params={"lang": "uk", "text": True})
        assert every.status_code == 200, every.text
        d = every.json()
        assert d["builtin"] and [p["segment"] for p in d["playbooks"]] == list(CODES)
        assert d["playbooks"][0]["label"] == "Чемпіони" and d["text"] == pb.builtin_text()
        one = c.get("/api/v1/segments/playbooks/cant_lose").json()
        assert one["segment"] == "cant_lose" and one["tactics"] and one["kpis"]
        assert c.get("/api/v1/segments/playbooks/vip").status_code == 404
        bad = c.put("/api/v1/segments/playbooks", json={"text": "segments: {vip: {}}"})
        assert bad.status_code == 422 and "segments.vip: not a segment" in bad.json()["detail"]
        mine = pb.builtin_text().replace("Send one last low-cost e-mail", "Send one last letter")
        put = c.put("/api/v1/segments/playbooks", json={"text": mine})
        assert put.status_code == 200 and put.json() == {"builtin": False, "text": mine}
        lost = c.get("/api/v1/segments/playbooks/lost").json()
        assert "Send one last letter with your best offer, then stop." in lost["tactics"]
        back = c.put("/api/v1/segments/playbooks", json={"text": None})
        assert back.json()["builtin"] is True
        day = str(DAY)
        f = c.get("/api/v1/segments/export", params={"segment": "loyal", "as_of": day})
        assert f.status_code == 200 and f.headers["content-type"].startswith("text/csv")
        assert f.headers["content-disposition"] == f'attachment; filename="segment-loyal-{day}.csv"'
        assert len(_csv(f.content)) == int(f.headers["x-total-count"]) > 0
        x = c.get("/api/v1/segments/export", params={"cluster": 1, "format": "xlsx", "as_of": day})
        assert x.status_code == 200 and x.headers["content-type"].endswith("spreadsheetml.sheet")
        assert len(_xlsx(x.content)) == int(x.headers["x-total-count"])
        for params in ({"segment": "vip"}, {"segment": "lost", "cluster": 1}, {}):
            assert c.get("/api/v1/segments/export", params=params).status_code == 422
        rep = client(app, Role.REP, rep_id=_rep(app.state.workspace).rep_id)
        assert rep.get("/api/v1/segments/playbooks").status_code == 200
        assert rep.put("/api/v1/segments/playbooks", json={"text": mine}).status_code == 403
        assert pb.is_builtin(app.state.workspace)


def test_the_cli_prints_sets_and_resets_playbooks_and_exports(demo_url: str,
                                                              tmp_path: Path) -> None:  # fmt: skip
    run = CliRunner().invoke
    out = run(cli, ["segments", "playbook", "at_risk", "--db", demo_url, "--lang", "uk"])
    assert out.exit_code == 0, out.output
    assert "Під загрозою" in out.output and "--filter segment=at_risk" in out.output
    js = run(cli, ["segments", "playbook", "--db", demo_url, "--format", "json"])
    assert [p["segment"] for p in json.loads(js.output)["playbooks"]] == list(CODES)
    table = run(cli, ["segments", "playbook", "--db", demo_url, "--format", "yaml"])
    assert table.output == pb.builtin_text()
    edited = tmp_path / "playbooks.yaml"
    edited.write_text(table.output.replace("kpis: [buying_customers, revenue]", "kpis: [nope]"),
                      encoding="utf-8")  # fmt: skip
    bad = run(cli, ["segments", "playbook", "--db", demo_url, "--set", str(edited)])
    assert bad.exit_code != 0 and "no metric 'nope'" in str(bad.exception)
    edited.write_text(table.output.replace("kpis: [buying_customers, revenue]", "kpis: [orders]"),
                      encoding="utf-8")  # fmt: skip
    assert run(cli, ["segments", "playbook", "--db", demo_url, "--set", str(edited)]).exit_code == 0
    lost = run(cli, ["segments", "playbook", "lost", "--db", demo_url, "-f", "json"])
    assert [k["metric"] for k in json.loads(lost.output)["kpis"]] == ["orders"]
    assert run(cli, ["segments", "playbook", "--db", demo_url, "--reset"]).exit_code == 0
    again = run(cli, ["segments", "playbook", "--db", demo_url, "--format", "yaml"])
    assert again.output == pb.builtin_text()
    target = tmp_path / "champions.xlsx"
    got = run(cli, ["segments", "export", "champions", "--db", demo_url, "--as-of", str(DAY),
                    "--format", "xlsx", "-o", str(target), "--lang", "uk"])  # fmt: skip
    assert got.exit_code == 0, got.output
    rows = _xlsx(target.read_bytes())
    assert f"{len(rows):,} customers written" in got.output
    assert {r["segment_label"] for r in rows} == {"Чемпіони"}
    unknown = run(cli, ["segments", "export", "vip", "--db", demo_url])
    assert unknown.exit_code != 0 and "champions" in str(unknown.exception)


def test_the_playbook_app_route_takes_the_person(demo_url: str) -> None:
    """Without credentials the new routes answer 401, like every other API route."""
    with TestClient(create_app(demo_url)) as anonymous:
        for path in ("/api/v1/segments/playbooks", "/api/v1/segments/playbooks/lost",
                     "/api/v1/segments/export?segment=lost"):  # fmt: skip
            assert anonymous.get(path).status_code == 401
        assert anonymous.put("/api/v1/segments/playbooks", json={"text": None}).status_code == 401
