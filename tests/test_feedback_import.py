"""Feedback from survey-tool exports and from events, linked to sales records (issue 11).

Each survey file has exactly the shape its tool documents: Google Forms (responses as CSV,
a question per column), Typeform (results as XLSX), SurveyMonkey (all responses as CSV and
XLSX, with its two header rows). They land in a workspace with a few reps, customers, an
order and a deal; responses link by email or external id, inherit their rep, and the ones
that match nobody are kept and listed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from fastapi.testclient import TestClient

from salesmetrics.domain.access import Principal, Role, scope_for
from salesmetrics.domain.errors import InputError
from salesmetrics.services.feedback_links import unmatched
from salesmetrics.services.imports.model import ImportReport, ImportRequest
from salesmetrics.services.imports.run import run_import
from salesmetrics.services.workspace import Workspace, init_workspace, workspace
from signed_in import owner_client
from test_events import settle

SEED = {
    "reps": [["id", "name", "email"], ["R-1", "Olena Koval", "olena@shop.ua"],
             ["R-2", "Petro Ivanenko", "petro@shop.ua"]],
    "customers": [["id", "name", "email", "owner"],
                  ["C-1", "Іван Петренко", "ivan@example.com", "R-1"],
                  ["C-2", "Марія Коваль", "maria@example.com", "R-2"]],
    "orders": [["order", "date", "customer", "rep", "amount"],
               ["1001", "2024-03-01 10:00", "C-2", "R-1", "1500"]],
    "deals": [["id", "title", "customer", "owner", "amount", "created"],
              ["D-7", "Офіс", "C-1", "R-2", "9000", "2024-02-01 09:00"]],
}  # fmt: skip


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Responses")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value.isdigit():
                sheet.write_number(r, c, int(value))
            elif value:
                sheet.write(r, c, value)
    book.close()
    return path


@pytest.fixture
def ws(store_url: str, tmp_path: Path) -> Iterator[Workspace]:
    init_workspace(store_url, {"time_zone": "Europe/Kyiv"})
    with workspace(store_url) as w:
        for kind, rows in SEED.items():
            _import(w, kind, _csv(tmp_path / f"{kind}.csv", rows))
        yield w


def _import(ws: Workspace, kind: str, path: Path, **kw: Any) -> ImportReport:
    report = run_import(ws, ImportRequest(kind, path, **kw))
    assert report.status in ("applied", "unchanged"), [str(i) for i in report.issues]
    return report


def _responses(ws: Workspace) -> dict[str, dict[str, Any]]:
    cols = ("external_id", "received_at", "kind", "score", "scale_max", "comment", "customer",
            "order_no", "deal", "rep", "attributes")  # fmt: skip
    rows = ws.store.fetchall(
        "SELECT f.external_id, f.received_at, f.kind, f.score, f.scale_max, f.comment, "
        "c.external_id, o.external_id, d.external_id, r.external_id, f.attributes "
        "FROM feedback f LEFT JOIN customers c ON c.id = f.customer_id "
        "LEFT JOIN orders o ON o.id = f.order_id LEFT JOIN deals d ON d.id = f.deal_id "
        "LEFT JOIN reps r ON r.id = f.rep_id ORDER BY f.received_at"
    )
    out = {}
    for row in rows:
        item = dict(zip(cols, row, strict=True))
        item["attributes"] = json.loads(item["attributes"] or "{}")
        out[item["comment"] or item["external_id"]] = item
    return out


def _owner() -> Principal:
    return Principal(0, "owner@test", None, Role.OWNER, None, scope_for(Role.OWNER, None,
                     frozenset()), "local")  # fmt: skip


def _person(ws: Workspace, role: Role, rep: str) -> Principal:
    ((rep_id,),) = ws.store.fetchall("SELECT id FROM reps WHERE external_id = ?", [rep])
    return Principal(1, "p@test", None, role, rep_id, scope_for(role, rep_id, frozenset()), "local")


# ---------------------------------------------------------------- Google Forms

GOOGLE_UK = [
    ["Позначка часу", "Адреса електронної пошти",
     "Наскільки ймовірно, що ви порекомендуєте нас друзям?",
     "Наскільки ви задоволені доставкою?", "Що нам варто покращити?"],
    ["2024/03/14 10:32:15 AM GMT+2", " Ivan@Example.COM ", "9", "5", "Все чудово"],
    ["2024/03/15 11:00:00 AM GMT+2", "stranger@example.com", "3", "2", "Доставка повільна"],
    ["2024/03/16 09:15:00 AM GMT+2", "", "10", "4", "Анонімно"],
]  # fmt: skip


def test_google_forms_in_ukrainian_detected_linked_and_unmatched_kept(
    ws: Workspace, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "Відгуки (Відповіді).csv", GOOGLE_UK)
    customers = ws.store.fetchall("SELECT count(*) FROM customers")
    report = _import(ws, "feedback", path)
    assert report.mapping.preset == "google_forms_responses"
    assert report.inserted == 3 and report.unmatched == {"customer_id": 1}
    assert any("unknown customer" in w for w in report.warnings)
    assert ws.store.fetchall("SELECT count(*) FROM customers") == customers  # none created
    got = _responses(ws)
    ivan = got["Все чудово"]
    assert (ivan["kind"], ivan["score"], ivan["scale_max"]) == ("nps", 9, 10)
    assert (ivan["customer"], ivan["rep"]) == ("C-1", "R-1")  # by email; the owner's rep
    assert ivan["received_at"] == datetime(2024, 3, 14, 8, 32, 15, tzinfo=UTC)
    assert ivan["attributes"] == {"наскільки_ви_задоволені_доставкою?": "5"}
    stranger = got["Доставка повільна"]
    assert (stranger["kind"], stranger["score"]) == ("nps", 3)  # a detractor, not a CSAT of 3
    assert stranger["customer"] is None and stranger["rep"] is None
    listed = unmatched(ws, _owner())
    assert listed.count == 2
    assert [(r.comment, r.named) for r in listed.data] == [
        ("Анонімно", {}),
        ("Доставка повільна", {"customer_id": "stranger@example.com"}),
    ]
    assert unmatched(ws, _owner(), limit=1).data[0].comment == "Анонімно"


def test_reimport_is_a_no_op_and_links_what_became_known(ws: Workspace, tmp_path: Path) -> None:
    path = _csv(tmp_path / "form.csv", GOOGLE_UK)
    _import(ws, "feedback", path)
    again = _import(ws, "feedback", path)
    assert again.status == "unchanged" and (again.inserted, again.updated) == (0, 0)
    newcomer = [["id", "email", "owner"], ["C-9", "stranger@example.com", "R-2"]]
    _import(ws, "customers", _csv(tmp_path / "more.csv", newcomer))
    linked = _import(ws, "feedback", path)
    assert (linked.inserted, linked.updated, linked.unmatched) == (0, 1, {})
    stranger = _responses(ws)["Доставка повільна"]
    assert (stranger["customer"], stranger["rep"], stranger["attributes"]) == (
        "C-9", "R-2", {"наскільки_ви_задоволені_доставкою?": "2"})  # fmt: skip
    assert unmatched(ws, _owner()).count == 1


def test_google_forms_chosen_by_preset_links_an_order_and_its_rep(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = [
        ["Timestamp", "How likely are you to recommend us to a friend?", "Your order number",
         "Any other comments?", "Score"],
        ["3/4/2024 10:32:15", "6", "1001", "Slow reply", "7 / 10"],
        ["3/5/2024 18:00:00", "8", "9999", "Fine", ""],
    ]  # fmt: skip
    report = _import(ws, "feedback", _csv(tmp_path / "form.csv", rows),
                     preset="google_forms_responses")  # fmt: skip
    assert report.mapping.columns["Your order number"] == "order_id"
    assert report.unmatched == {"order_id": 1}
    got = _responses(ws)
    slow = got["Slow reply"]
    # the order's customer, and the order's rep before the customer's owner
    assert (slow["order_no"], slow["customer"], slow["rep"]) == ("1001", "C-2", "R-1")
    assert slow["received_at"] == datetime(2024, 3, 4, 8, 32, 15, tzinfo=UTC)  # US dates
    assert slow["attributes"] == {"score": "7 / 10"}  # a quiz's total is not the NPS
    assert got["Fine"]["attributes"] == {"_unmatched": {"order_id": "9999"}}


# ---------------------------------------------------------------- Typeform

TYPEFORM = [
    ["#", "How satisfied are you with your purchase?", "What could we do better?",
     "customer_id", "email", "Start Date (UTC)", "Submit Date (UTC)", "Network ID", "Tags"],
    ["k2x9a1", "4", "Faster delivery", "C-2", "", "2024-03-14 10:30:00",
     "2024-03-14 10:32:15", "7c1f0a9e2b", "vip"],
    ["p0q8z3", "Very satisfied", "Nothing", "", "IVAN@example.com", "2024-03-15 08:00:00",
     "2024-03-15 08:01:00", "0b9e6d2c4f", ""],
]  # fmt: skip


def test_typeform_xlsx_detected_with_hidden_fields(ws: Workspace, tmp_path: Path) -> None:
    report = _import(ws, "feedback", _xlsx(tmp_path / "responses.xlsx", TYPEFORM))
    assert report.mapping.preset == "typeform_responses"
    assert report.unmatched == {} and report.inserted == 2
    got = _responses(ws)
    c2, ivan = got["Faster delivery"], got["Nothing"]
    assert (c2["external_id"], c2["kind"], c2["score"], c2["scale_max"]) == ("k2x9a1", "csat",
                                                                             4, 5)  # fmt: skip
    assert (c2["customer"], c2["rep"]) == ("C-2", "R-2")  # by external id
    assert c2["received_at"] == datetime(2024, 3, 14, 10, 32, 15, tzinfo=UTC)  # "(UTC)"
    assert c2["attributes"] == {"start_date_utc": "2024-03-14 10:30:00", "tags": "vip"}
    assert (ivan["customer"], ivan["score"]) == ("C-1", 5)  # email; a label as its number
    assert "7c1f0a9e2b" not in json.dumps(c2["attributes"])  # the network id is not kept


# ---------------------------------------------------------------- SurveyMonkey

SURVEYMONKEY = [
    ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
     "First Name", "Last Name", "Custom Data 1",
     "How likely is it that you would recommend us to a friend or colleague?",
     "Which products did you buy?", "", "What is the main reason for your score?"],
    ["", "", "", "", "", "", "", "", "", "Response", "Kettle", "Plaid", "Open-Ended Response"],
    ["114000000001", "420000001", "03/04/2024 10:00:00 AM", "03/04/2024 10:05:00 AM",
     "203.0.113.7", "maria@example.com", "Марія", "Коваль", "", "10", "Kettle", "",
     "Great kettle"],
    ["114000000002", "420000001", "03/05/2024 09:00:00 PM", "03/05/2024 09:03:00 PM",
     "203.0.113.8", "", "", "", "C-1", "0 - Not at all likely", "", "Plaid",
     "Plaid tore"],
    ["114000000003", "420000002", "03/06/2024 08:00:00 AM", "03/06/2024 08:02:00 AM",
     "203.0.113.9", "nobody@example.com", "", "", "", "7", "", "", "Ok"],
]  # fmt: skip


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_surveymonkey_two_row_header(ws: Workspace, tmp_path: Path, fmt: str) -> None:
    write = _csv if fmt == "csv" else _xlsx
    path = write(tmp_path / f"Sheet_1.{fmt}", SURVEYMONKEY)
    report = _import(ws, "feedback", path)
    assert report.mapping.preset == "surveymonkey_responses"
    assert any("second header row" in n for n in report.sniff.notes)
    assert (report.rows_read, report.unmatched) == (3, {"customer_id": 1})
    got = _responses(ws)
    maria, plaid, nobody = got["Great kettle"], got["Plaid tore"], got["Ok"]
    assert (maria["external_id"], maria["kind"], maria["score"]) == ("114000000001", "nps", 10)
    assert (maria["customer"], maria["rep"]) == ("C-2", "R-2")
    assert maria["received_at"] == datetime(2024, 3, 4, 8, 5, tzinfo=UTC)  # End Date, US order
    assert maria["attributes"]["which_products_did_you_buy?_kettle"] == "Kettle"
    assert not any("203.0.113" in json.dumps(r["attributes"]) for r in got.values())
    assert (plaid["customer"], plaid["score"]) == ("C-1", 0)  # Custom Data 1: an external id
    assert plaid["attributes"]["which_products_did_you_buy?_plaid"] == "Plaid"
    assert nobody["customer"] is None and nobody["kind"] == "nps"
    assert _import(ws, "feedback", path).status == "unchanged"


def test_surveymonkey_header_with_more_choices_than_names(tmp_path: Path) -> None:
    """Row 2 may name more columns than row 1 (a question with many choices): row 1 is still
    the header."""
    choices = [f"Option {i}" for i in range(1, 25)]
    head = [*SURVEYMONKEY[0][:10], "Which options?", *[""] * (len(choices) - 1)]
    second = [*SURVEYMONKEY[1][:10], *choices]
    data = [*SURVEYMONKEY[2][:10], "Option 1", *[""] * (len(choices) - 1)]
    path = _csv(tmp_path / "many.csv", [head, second, data])
    db = str(tmp_path / "w.duckdb")
    init_workspace(db, {})
    with workspace(db) as w:
        report = run_import(w, ImportRequest("feedback", path, dry_run=True))
    assert report.mapping.preset == "surveymonkey_responses", report.sniff.columns
    assert report.sniff.columns[10:12] == ["Which options? - Option 1", "Which options? - Option 2"]
    assert report.status == "planned" and report.inserted == 1


def test_a_mapping_file_names_a_question_the_patterns_miss(ws: Workspace, tmp_path: Path) -> None:
    rows = [["Позначка часу", "Ваш e-mail", "Оцініть нас від 0 до 10"],
            ["14.03.2024 10:00:00", "maria@example.com", "8"]]  # fmt: skip
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        'columns:\n  "Позначка часу": received_at\n  "Ваш e-mail": customer_id\n'
        '  "Оцініть нас від 0 до 10": score\n',
        encoding="utf-8",
    )
    report = _import(ws, "feedback", _csv(tmp_path / "form.csv", rows), mapping_file=mapping)
    assert report.mapping.preset is None
    got = next(iter(_responses(ws).values()))
    assert (got["customer"], got["score"], got["kind"]) == ("C-2", 8, "nps")


# ---------------------------------------------------------------- who sees unmatched ones


def test_unmatched_follow_the_callers_view(ws: Workspace, tmp_path: Path) -> None:
    rows = [["date", "score", "comment", "customer", "rep"],
            ["2024-03-01 10:00", "9", "no one's", "ghost@example.com", ""],
            ["2024-03-02 10:00", "2", "Olena's", "C-404", "R-1"]]  # fmt: skip
    report = _import(ws, "feedback", _csv(tmp_path / "f.csv", rows), create_missing=False)
    assert report.unmatched == {"customer_id": 2}
    assert [r.comment for r in unmatched(ws, _owner()).data] == ["Olena's", "no one's"]
    assert [r.comment for r in unmatched(ws, _person(ws, Role.REP, "R-1")).data] == ["Olena's"]
    assert unmatched(ws, _person(ws, Role.REP, "R-2")).count == 0
    assert unmatched(ws, _person(ws, Role.MANAGER, "R-2")).count == 1  # the unassigned one
    with pytest.raises(InputError, match="limit"):
        unmatched(ws, _owner(), limit=0)


# ---------------------------------------------------------------- events


@pytest.fixture
def client(ws: Workspace, store_url: str) -> Iterator[TestClient]:
    with owner_client(store_url) as c:
        yield c


def test_a_feedback_event_links_to_its_customer(client: TestClient, ws: Workspace) -> None:
    event = {"id": "fb-1", "type": "feedback.received", "occurred_at": "2026-11-02T09:00:00Z",
             "data": {"score": 4, "kind": "csat", "comment": "Дякую за доставку",
                      "customer_id": "maria@example.com", "deal_id": "D-7"}}  # fmt: skip
    assert client.post("/api/v1/events", json=event).status_code == 202
    assert settle(client)["applied"] == 1
    got = _responses(ws)["Дякую за доставку"]
    assert (got["customer"], got["deal"], got["kind"], got["score"]) == ("C-2", "D-7", "csat", 4)
    assert unmatched(ws, _owner()).count == 0
