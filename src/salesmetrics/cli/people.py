"""Who a command acts as, and in which language it answers: shared by the commands that take
`--as EMAIL` and `--lang`."""

from __future__ import annotations

from typing import Annotated

import typer

from salesmetrics.domain.access import LOCAL, Principal
from salesmetrics.services.access.sign_in import as_person
from salesmetrics.services.workspace import Workspace

AsUser = Annotated[str | None, typer.Option("--as", help="What this user sees (their records).")]
Lang = Annotated[str | None, typer.Option(
    "--lang", help="uk or en (default: the workspace's locale).")]  # fmt: skip


def acting_as(ws: Workspace, email: str | None) -> Principal:
    """The user `--as` names (what they see), or the workspace's owner (the command line)."""
    return as_person(ws, email) if email else LOCAL


def language(ws: Workspace, lang: str | None) -> str:
    """`--lang` when it is uk or en, else the workspace's locale."""
    return lang if lang in ("uk", "en") else ws.settings.locale
