"""What lead scores say, in uk or en: each factor's line ("+12 points: source is referral") and
the suggested next action."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from salesmetrics.analytics.leads.encoding import is_missing
from salesmetrics.analytics.leads.scorer import Factor
from salesmetrics.services.alerts.texts import plural_uk

LABELS: dict[str, dict[str, str]] = {
    "en": {"channel": "channel", "channel_kind": "kind of channel", "rep": "owner",
           "first_response_hours": "first answer", "activities": "touches",
           "calls": "calls", "emails": "e-mails", "meetings": "meetings",
           "days_quiet": "days since the last touch", "has_email": "e-mail on record",
           "has_phone": "phone on record"},
    "uk": {"channel": "канал", "channel_kind": "тип каналу", "rep": "менеджер",
           "first_response_hours": "перша відповідь", "activities": "контакти",
           "calls": "дзвінки", "emails": "листи", "meetings": "зустрічі",
           "days_quiet": "днів від останнього контакту", "has_email": "є e-mail",
           "has_phone": "є телефон"},
}  # fmt: skip
WORDS = {
    "en": {"yes": "yes", "no": "no", "is": "{label} is {value}", "none": "{label} not recorded",
           "hours": "{label} after {value} h", "no_answer": "no answer yet",
           "count": "{label}: {value}"},
    "uk": {"yes": "так", "no": "ні", "is": "{label} — {value}", "none": "{label}: не вказано",
           "hours": "{label} через {value} год", "no_answer": "ще без відповіді",
           "count": "{label}: {value}"},
}  # fmt: skip
ACTIONS = {
    "en": {"call": "Call now: no answer yet", "follow": "Follow up: quiet for {n} days",
           "meet": "Book a meeting", "propose": "Send a proposal",
           "qualify": "Qualify the need: ask about budget and timing"},
    "uk": {"call": "Зателефонуйте зараз: ще без відповіді",
           "follow": "Нагадайте про себе: тиша {n} дн.", "meet": "Призначте зустріч",
           "propose": "Надішліть пропозицію",
           "qualify": "Уточніть потребу: бюджет і терміни"},
}  # fmt: skip


def _lang(lang: str) -> str:
    return lang if lang in LABELS else "en"


def label(column: str, lang: str) -> str:
    own = LABELS[_lang(lang)].get(column)
    return own if own else column.removeprefix("attributes.").replace("_", " ")


def _number(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() or abs(v) >= 100 else f"{v:.1f}"


def describe(column: str, value: Any, lang: str) -> str:
    """The fact a factor rests on, e.g. 'source is referral'."""
    try:
        return _described(column, type(value).__name__, value, lang)  # True is not 1
    except TypeError:  # an unhashable value
        return _describe(column, value, lang)


@lru_cache(maxsize=65536)
def _described(column: str, kind: str, value: Any, lang: str) -> str:
    return _describe(column, value, lang)


def _describe(column: str, value: Any, lang: str) -> str:
    words, name = WORDS[_lang(lang)], label(column, lang)
    if column == "first_response_hours":
        if is_missing(value):
            return words["no_answer"]
        return words["hours"].format(label=name, value=_number(float(value)))
    if is_missing(value):
        return words["none"].format(label=name)
    if isinstance(value, bool):
        return words["is"].format(label=name, value=words["yes" if value else "no"])
    if isinstance(value, int | float):
        return words["count"].format(label=name, value=_number(float(value)))
    return words["is"].format(label=name, value=value)


def points(p: float, lang: str) -> str:
    return _points(round(p), _lang(lang))


@lru_cache(maxsize=1024)
def _points(n: int, lang: str) -> str:
    sign = "+" if n > 0 else "−" if n < 0 else "±"
    if lang == "uk":
        return f"{sign}{abs(n)} {plural_uk(abs(n), 'бал', 'бали', 'балів')}"
    return f"{sign}{abs(n)} point{'' if abs(n) == 1 else 's'}"


def line(f: Factor, lang: str) -> str:
    """'+12 points: source is referral'."""
    what = (f.rule.say.get(_lang(lang)) or f.rule.say.get("en")) if f.rule else None
    return f"{points(f.points, lang)}: {what or describe(f.column, f.value, lang)}"


ACTION_CUES = ("first_response_hours", "days_quiet", "meetings")  # what `action` reads


def action(first_response_hours: Any, days_quiet: Any, meetings: Any, probability: float,
           lang: str) -> tuple[str, str]:  # fmt: skip
    """The suggested next step for an open lead: (code, text)."""
    texts = ACTIONS[_lang(lang)]
    if is_missing(first_response_hours):
        return "call", texts["call"]
    quiet = days_quiet or 0.0
    if quiet >= 14:
        return "follow", texts["follow"].format(n=int(quiet))
    if (meetings or 0) >= 1:
        return "propose", texts["propose"]
    if probability >= 0.4:
        return "meet", texts["meet"]
    return "qualify", texts["qualify"]
