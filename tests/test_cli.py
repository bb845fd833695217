"""The CLI as a user runs it: a real process, real workspaces on both engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def sm(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SALESMETRICS_DB"}
    return subprocess.run(
        [sys.executable, "-m", "salesmetrics", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


def test_init_then_info_on_each_engine(store_url: str) -> None:
    done = sm("init", "--db", store_url, "--name", "Кав'ярня «Зерно»", "--locale", "en")
    assert done.returncode == 0, done.stderr
    assert "workspace ready" in done.stdout
    info = sm("info", "--db", store_url, "--format", "json")
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["settings"]["name"] == "Кав'ярня «Зерно»"
    assert data["settings"]["locale"] == "en"
    assert data["settings"]["base_currency"] == "UAH"
    assert data["schema_version"] >= 1
    assert data["total_rows"] == 0 and "orders" in data["tables"]
    again = sm("init", "--db", store_url, "--currency", "usd")
    assert again.returncode == 0, again.stderr
    settings = json.loads(sm("info", "--db", store_url, "-f", "json").stdout)["settings"]
    assert settings["base_currency"] == "USD" and settings["locale"] == "en"  # others kept


def test_table_output_is_for_people(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    assert sm("init", "--db", db).returncode == 0
    out = sm("info", "--db", db).stdout
    assert "order_lines" in out and "rows in all" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("info", "--db", "{tmp}/none.duckdb"), 3, "no workspace at"),
        (("init", "--db", "{tmp}/w.duckdb", "--time-zone", "Mars/Base"), 2, "not a time zone"),
        (("init", "--db", "{tmp}/w.duckdb", "--currency", "hryvnia"), 2, "currency code"),
        (("info", "--db", "mysql://x/y"), 2, "not a workspace"),
        (("info", "--db", "postgresql://nobody@127.0.0.1:1/none"), 5, "cannot reach PostgreSQL"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    done = sm(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert done.stderr.startswith("error: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_demo_from_the_cli_writes_truth_beside_the_workspace(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    done = sm("demo", "--db", str(db), "--as-of", "2026-11-26")
    assert done.returncode == 0, done.stderr
    assert "demo ready" in done.stdout
    truth = json.loads((tmp_path / "shop.truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 42
    again = sm("demo", "--db", str(db))
    assert again.returncode == 2 and "already has data" in again.stderr


def test_console_script_and_version() -> None:
    script = Path(sys.executable).parent / "salesmetrics"
    done = subprocess.run([str(script), "version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip()
    assert sm("--help").returncode == 0


def test_import_rejects_with_an_errors_file_then_loads_and_reverts(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    assert sm("init", "--db", db).returncode == 0
    bad = tmp_path / "товари.csv"
    bad.write_text("Артикул;Назва;Ціна, грн\nA-1;Кава;12,50\nA-2;Чай;дешево\n", encoding="cp1251")
    done = sm("import", "products", str(bad), "--db", db)
    assert done.returncode == 2 and "import rejected: 1 row(s)" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    errors = (tmp_path / "товари.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert errors[0] == "row,column,value,reason,Артикул,Назва,Ціна, грн".replace(
        "Ціна, грн", '"Ціна, грн"'
    )
    assert errors[1].startswith('3,"Ціна, грн",дешево,') and errors[1].endswith("A-2,Чай,дешево")
    info = json.loads(sm("info", "--db", db, "-f", "json").stdout)
    assert info["tables"]["products"] == 0
    good = tmp_path / "good.csv"
    good.write_text("Артикул;Назва;Ціна, грн\nA-1;Кава;12,50\n", encoding="cp1251")
    loaded = sm("import", "products", str(good), "--db", db, "-f", "json")
    assert loaded.returncode == 0, loaded.stderr
    report = json.loads(loaded.stdout)
    assert report["status"] == "applied" and report["inserted"] == 1
    listed = json.loads(sm("imports", "list", "--db", db, "-f", "json").stdout)
    assert [r["status"] for r in listed] == ["applied"]
    shown = json.loads(
        sm("imports", "show", str(report["import_id"]), "--db", db, "-f", "json").stdout
    )
    assert shown["changes"] == {"products": {"insert": 1}}
    assert sm("imports", "revert", str(report["import_id"]), "--db", db).returncode == 0
    info = json.loads(sm("info", "--db", db, "-f", "json").stdout)
    assert info["tables"]["products"] == 0


USER_KPI = """\
metrics:
  - name: kyiv_revenue
    label: {en: "Kyiv revenue", uk: "Виручка Києва"}
    description: {en: "Paid order lines of Kyiv customers.", uk: "Оплачені рядки клієнтів Києва."}
    type: simple
    source: order_lines
    measure: {expr: line_total_minor, agg: sum}
    filters: ["order_status == 'paid'", "customer_region == 'м. Київ'"]
    unit: money
"""


def test_kpi_metrics_and_a_user_kpi_from_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    assert sm("demo", "--db", str(db), "--as-of", "2026-11-26").returncode == 0
    folder = tmp_path / "shop.metrics"  # beside the workspace file
    folder.mkdir()
    (folder / "kyiv.yaml").write_text(USER_KPI, encoding="utf-8")
    assert sm("metrics", "validate", "--db", str(db)).returncode == 0
    listed = json.loads(sm("metrics", "list", "--db", str(db), "--format", "json").stdout)
    assert {"revenue", "win_rate", "kyiv_revenue"} <= {m["name"] for m in listed}
    out = sm("kpi", "kyiv_revenue", "revenue", "--db", str(db), "--period", "2026-10",
             "--format", "csv")  # fmt: skip
    header, row = out.stdout.strip().splitlines()
    assert header == "period,kyiv_revenue,revenue"
    kyiv, total = (int(v) for v in row.split(",")[1:])
    assert 0 < kyiv < total
    explained = sm("metrics", "explain", "kyiv_revenue", "--db", str(db), "--format", "json")
    assert "customer_region" in explained.stdout and "shop.metrics/kyiv.yaml:2" in explained.stdout
    broken = USER_KPI.replace("agg: sum", "agg: total").replace("line_total_minor", "line_totl")
    (folder / "kyiv.yaml").write_text(broken, encoding="utf-8")
    bad = sm("kpi", "revenue", "--db", str(db), "--period", "2026-10")
    assert bad.returncode == 2 and "have 2 problems" in bad.stderr  # every problem at once
    assert "kyiv.yaml:7: metric 'kyiv_revenue', measure.agg: 'total' is not one of" in bad.stderr
    assert "kyiv.yaml:7: metric 'kyiv_revenue': unknown column 'line_totl'" in bad.stderr
