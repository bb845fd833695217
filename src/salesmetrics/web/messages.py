"""Finding every message on the pages: gettext calls in templates and web code.

Used by `scripts/i18n.py update` (to merge new messages into the catalogs) and by
tests/test_i18n.py (to fail on a message that has no translation)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract

WEB = Path(__file__).parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


@dataclass(frozen=True)
class Message:
    """One message id (with its plural, if any) and where it is used."""

    id: str
    plural: str | None
    where: str


def sources() -> Iterator[tuple[str, Path]]:
    """(method, file) for every file whose strings reach a page."""
    for path in sorted((WEB / "templates").rglob("*.html")):
        yield "jinja2", path
    for path in sorted(WEB.rglob("*.py")):
        yield "python", path


def extract() -> list[Message]:
    found: list[Message] = []
    for method, path in sources():
        how: Any = babel_extract if method == "jinja2" else "python"
        for line, text, _comments, _context in extract_from_file(
            how, str(path), keywords=KEYWORDS, options={"extensions": ""}
        ):
            ids = text if isinstance(text, tuple) else (text,)
            if not ids[0]:
                continue
            plural = ids[1] if len(ids) > 1 else None
            found.append(Message(ids[0], plural, f"{path.relative_to(WEB)}:{line}"))
    return found
