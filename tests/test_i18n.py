"""Every string on a page goes through the gettext catalogs, in Ukrainian and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from salesmetrics.web import i18n
from salesmetrics.web.messages import WEB, extract

# Words that are the same in every language: names and codes.
SAME_IN_EVERY_LANGUAGE = {"salesmetrics", "UA", "EN", "API", "CSV", "SQL", "KPI", "NPS", "CSAT"}
TEXT_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label", "label")


def _bare_text(template: str) -> list[str]:
    """Text in a template that is not inside a Jinja expression, tag, comment or script."""
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    attributes = re.findall(rf'\b(?:{"|".join(TEXT_ATTRIBUTES)})="([^"]*)"', text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    words = re.findall(r"[^\W\d_][\w'’-]*", text + " " + " ".join(attributes))
    return [w for w in words if w not in SAME_IN_EVERY_LANGUAGE]


@pytest.mark.parametrize(
    "template", sorted((WEB / "templates").rglob("*.html")), ids=lambda p: Path(p).name
)
def test_templates_have_no_text_outside_gettext(template: Path) -> None:
    assert _bare_text(template.read_text(encoding="utf-8")) == []


def test_the_check_finds_bare_text() -> None:
    page = '<p title="Hello">Revenue {{ _("ok") }}</p><script>var x = "y";</script>{# note #}'
    assert _bare_text(page) == ["Revenue", "Hello"]


def test_every_message_has_a_ukrainian_translation() -> None:
    uk = i18n.translator("uk").messages
    missing = sorted({f"{m.where}: {m.id!r}" for m in extract() if not uk.get(m.id)})
    assert missing == [], "untranslated: run scripts/i18n.py update and translate:\n" + "\n".join(
        missing
    )


def test_every_message_is_in_the_english_catalog() -> None:
    en = i18n.translator("en").messages
    assert sorted({m.id for m in extract() if m.id not in en}) == []


def test_translations_keep_their_placeholders() -> None:
    fields = re.compile(r"\{(\w*)\}")
    for lang in i18n.LANGUAGES:
        for msgid, string in i18n.translator(lang).messages.items():
            for text in string if isinstance(string, tuple) else (string,):
                if text:
                    assert set(fields.findall(text)) <= set(fields.findall(msgid)) | {"n"}, (
                        lang,
                        msgid,
                    )


def test_the_language_switch_and_fallback() -> None:
    assert i18n.language("uk", "en") == "uk"
    assert i18n.language("fr", "uk") == "uk"
    assert i18n.language(None, "de") == "en"
    assert i18n.translator("uk").gettext("Overview") == "Огляд"
    assert i18n.translator("en").gettext("Overview") == "Overview"
    assert i18n.translator("uk").gettext("A message nobody wrote") == "A message nobody wrote"


def test_ukrainian_plural_rule() -> None:
    plural = i18n.translator("uk").plural
    assert [plural(n) for n in (1, 2, 4, 5, 11, 21, 22, 25, 111)] == [0, 1, 1, 2, 2, 0, 1, 2, 2]


def test_money_numbers_and_dates_by_locale() -> None:
    assert i18n.metric_value(123456789, "money", "UAH", "uk") == "1\u00a0234\u00a0567,89\u00a0₴"
    assert i18n.metric_value(123456789, "money", "UAH", "en") == "1,234,567.89\u00a0UAH"
    assert i18n.metric_value(3.25, "days", "UAH", "uk") == "3,2 д"
    assert i18n.change(0.012, None, "percent", "uk") == "+1,2 в.п."
