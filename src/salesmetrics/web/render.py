"""Rendering a page in the visitor's language: templates get `_`, `ngettext`, the locale and
the formatters, so no page assembles a translation by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2.utils import htmlsafe_json_dumps

from salesmetrics.web import csrf, i18n, segment

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def script_json(data: object) -> str:
    """JSON to print inside <script type="application/json">: `<`, `>`, `&` and `'` escaped, so a
    name such as `</script><img onerror=...>` stays data (the JSON parses the same)."""
    return str(htmlsafe_json_dumps(data, ensure_ascii=False))  # Jinja's own `tojson`


def locale_of(request: Request, default: str) -> str:
    """The page language: ?lang=uk|en, else the workspace's locale."""
    return i18n.language(request.query_params.get("lang"), default)


def render(
    request: Request, name: str, locale: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A template with the language's gettext, number formatting and a language switch."""
    tr = i18n.translator(locale)
    base = {
        "_": tr.gettext,
        "ngettext": tr.ngettext,
        "locale": locale,
        "word": lambda key: i18n.word(key, locale),
        "fmt": lambda n: i18n.number(n, locale),
        "day": lambda d: i18n.day(d, locale),
        "lang_url": lambda code: str(request.url.include_query_params(lang=code)),
        "languages": i18n.LANGUAGES,
        "csrf_field": lambda: csrf.field(request),
        "who": request.scope.get("state", {}).get("principal"),
    }
    if base["who"] is not None and not name.startswith("_"):  # a whole page: the filter bar
        base.update(segment.context(request, locale))
    response = templates.TemplateResponse(
        request, name, {**base, **context}, status_code=status_code
    )
    csrf.remember(request, response)  # the token a form on this page posts back
    segment.remember(request, response)
    return response
