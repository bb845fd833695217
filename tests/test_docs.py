"""Commands, options, settings and tables are declared once; the docs must name every one."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from salesmetrics.cli.main import app
from salesmetrics.domain.settings import SETTINGS
from salesmetrics.ingest.kinds import markdown as kinds_markdown
from salesmetrics.metrics.docs import markdown as metrics_markdown
from salesmetrics.storage.catalog import markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"
README = Path(__file__).resolve().parents[1] / "README.md"


def _commands() -> dict[str, list[str]]:
    group = typer.main.get_group(app)
    out = {}
    for name, cmd in group.commands.items():
        subs = getattr(cmd, "commands", {}).values() or [cmd]
        params = [p for sub in subs for p in sub.params]
        out[name] = sorted({opt for p in params for opt in p.opts if opt.startswith("--")})
    return out


def test_every_command_and_option_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## salesmetrics (\S+)\n(.*?)(?=^## |\Z)", text, re.M | re.S))
    for name, options in _commands().items():
        assert name in sections, f"docs/cli.md has no section for `salesmetrics {name}`"
        for opt in options:
            assert f"`{opt}`" in sections[name], f"docs/cli.md: {name} does not document {opt}"


def test_every_command_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for name in _commands():
        if name != "version":
            assert f"salesmetrics {name}" in text


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        row = next(
            (line for line in text.splitlines() if line.startswith(f"| `{setting.key}`")), ""
        )
        assert row, f"docs/configuration.md does not document {setting.key}"
        assert setting.default in row and setting.help in row


def test_import_page_matches_the_kinds() -> None:
    text = (DOCS / "import.md").read_text(encoding="utf-8")
    assert text.split("## Kinds and fields\n\n", 1)[1] == kinds_markdown(), "run `make docs`"


def test_data_model_page_matches_the_migrations() -> None:
    text = (DOCS / "data-model.md").read_text(encoding="utf-8")
    assert text.split("## Tables\n\n", 1)[1] == markdown(), "run `make docs`"


def test_readme_shows_the_two_commands_first() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```", 2)[1]
    assert "make run" in first_block and "make test" in first_block


def test_metrics_page_matches_the_catalog() -> None:
    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    assert text.split("## Reference\n\n", 1)[1] == metrics_markdown(), "run `make docs`"
