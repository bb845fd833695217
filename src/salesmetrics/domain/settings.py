"""Workspace settings, declared once as data: the CLI, the docs and validation all read SETTINGS."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from salesmetrics.domain.errors import ConfigError
from salesmetrics.domain.money import check_currency
from salesmetrics.domain.workdays import CALENDARS, WorkCalendar, parse_week


def _currency(value: str) -> str:
    try:
        return check_currency(value)
    except Exception as exc:
        raise ConfigError(str(exc)) from exc


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"'{value}' is not a time zone: use an IANA name such as Europe/Kyiv"
        ) from exc
    return value


def _locale(value: str) -> str:
    if value not in ("uk", "en"):
        raise ConfigError(f"locale '{value}' is not supported: use uk or en")
    return value


def _month(value: str) -> str:
    if not value.isdigit() or not 1 <= int(value) <= 12:
        raise ConfigError(f"fiscal_year_start_month '{value}' must be a month number from 1 to 12")
    return str(int(value))


def _calendar(value: str) -> str:
    if value not in ("auto", *CALENDARS):
        raise ConfigError(f"work_calendar '{value}' is not one of auto, {', '.join(CALENDARS)}")
    return value


def _week(value: str) -> str:
    try:
        parse_week(value)
    except ValueError as exc:
        raise ConfigError(f"work_week: {exc}") from exc
    return value.strip().lower()


def _days_off(value: str) -> str:
    days = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        try:
            days.append(date.fromisoformat(part).isoformat())
        except ValueError:
            raise ConfigError(f"days_off: '{part}' is not a date (YYYY-MM-DD)") from None
    return ",".join(sorted(set(days)))


def _count(key: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value.strip().isdigit():
            raise ConfigError(f"{key} '{value}' must be a whole number of leads, e.g. 200")
        return str(int(value))

    return check


def _yaml(key: str, fits: Callable[[Any], bool], shape: str) -> Callable[[str], str]:
    """A YAML table setting (empty: the built-in one): only its shape is checked here; its
    contents are checked where it is set and used (lead scoring, segment playbooks, feedback
    lexicons)."""

    def check(value: str) -> str:
        import yaml  # only when a table is set

        if not value.strip():
            return ""
        try:
            loaded = yaml.safe_load(value)
        except (yaml.YAMLError, ValueError) as exc:
            raise ConfigError(f"{key} is not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict) or not fits(loaded):
            raise ConfigError(f"{key}: {shape}")
        return value

    return check


_rules = _yaml("lead_rules", lambda d: isinstance(d.get("rules"), list),
               "a points table has 'base' and a list of 'rules'")  # fmt: skip
_playbooks = _yaml("segment_playbooks", lambda d: isinstance(d.get("segments"), dict),
                   "a playbook table maps 'segments' to playbooks")  # fmt: skip
_themes = _yaml("feedback_themes", lambda d: isinstance(d.get("themes"), dict),
                "a theme lexicon maps 'themes' to their labels and words")  # fmt: skip
_sentiment = _yaml("feedback_sentiment",
                   lambda d: isinstance(d.get("positive"), list | dict)
                   and isinstance(d.get("negative"), list | dict),
                   "a sentiment lexicon has 'positive' and 'negative' words")  # fmt: skip


def _text(value: str) -> str:
    if not value.strip():
        raise ConfigError("workspace name cannot be empty")
    return value.strip()


@dataclass(frozen=True, slots=True)
class Setting:
    """One workspace setting: its key, default, help text and validator."""

    key: str
    default: str
    help: str
    check: Callable[[str], str]


SETTINGS: tuple[Setting, ...] = (
    Setting("name", "My business", "Workspace name shown on pages and reports.", _text),
    Setting("base_currency", "UAH", "ISO code that reports convert money into.", _currency),
    Setting("time_zone", "Europe/Kyiv", "IANA zone in which days and months are cut.", _time_zone),
    Setting("locale", "uk", "Language and number format of pages and reports: uk or en.", _locale),
    Setting(
        "fiscal_year_start_month", "1", "Month (1-12) in which the fiscal year starts.", _month
    ),
    Setting(
        "work_calendar", "auto", "Days off for pacing targets: ua (Ukraine's public holidays), "
        "weekends (none), or auto (ua for a uk workspace).", _calendar,
    ),
    Setting("work_week", "mon-fri", "Working weekdays, e.g. mon-fri or mon-sat.", _week),
    Setting("days_off", "", "The business's own days off, YYYY-MM-DD, comma-separated.",
            _days_off),
    Setting("lead_min_history", "200", "Decided leads needed before lead scores use a trained "
            "model; fewer: the points table alone.", _count("lead_min_history")),
    Setting("lead_full_history", "1000", "Decided leads at which the model alone scores; in "
            "between, model and points table are blended.", _count("lead_full_history")),
    Setting("lead_rules", "", "The lead points table (YAML) for cold starts; empty: the "
            "built-in table (salesmetrics leads rules).", _rules),
    Setting("segment_playbooks", "", "The segment playbooks (YAML): goal, tactics and KPIs per "
            "RFM segment; empty: the built-in ones (salesmetrics segments playbook).",
            _playbooks),
    Setting("feedback_themes", "", "The theme lexicon of feedback comments (YAML, uk and en); "
            "empty: the built-in one (salesmetrics feedback lexicon).", _themes),
    Setting("feedback_sentiment", "", "The sentiment lexicon of feedback comments (YAML, uk and "
            "en); empty: the built-in one (salesmetrics feedback lexicon --sentiment).",
            _sentiment),
)  # fmt: skip

_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class WorkspaceSettings:
    """The validated settings of one workspace."""

    name: str = "My business"
    base_currency: str = "UAH"
    time_zone: str = "Europe/Kyiv"
    locale: str = "uk"
    fiscal_year_start_month: int = 1
    work_calendar: str = "auto"
    work_week: str = "mon-fri"
    days_off: str = ""
    lead_min_history: int = 200
    lead_full_history: int = 1000
    lead_rules: str = ""
    segment_playbooks: str = ""
    feedback_themes: str = ""
    feedback_sentiment: str = ""

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> WorkspaceSettings:
        """Validate stored or user-given strings; an unknown key is an error listing the known."""
        unknown = sorted(set(values) - set(_BY_KEY))
        if unknown:
            raise ConfigError(f"unknown setting {', '.join(unknown)}; known: {', '.join(_BY_KEY)}")
        merged = {s.key: s.check(values.get(s.key, s.default)) for s in SETTINGS}
        return cls(
            name=merged["name"],
            base_currency=merged["base_currency"],
            time_zone=merged["time_zone"],
            locale=merged["locale"],
            fiscal_year_start_month=int(merged["fiscal_year_start_month"]),
            work_calendar=merged["work_calendar"],
            work_week=merged["work_week"],
            days_off=merged["days_off"],
            lead_min_history=int(merged["lead_min_history"]),
            lead_full_history=int(merged["lead_full_history"]),
            lead_rules=merged["lead_rules"],
            segment_playbooks=merged["segment_playbooks"],
            feedback_themes=merged["feedback_themes"],
            feedback_sentiment=merged["feedback_sentiment"],
        )

    def calendar(self) -> WorkCalendar:
        """The working days targets are paced over."""
        name = self.work_calendar
        if name == "auto":
            name = "ua" if self.locale == "uk" else "weekends"
        off = frozenset(date.fromisoformat(d) for d in self.days_off.split(",") if d)
        return WorkCalendar(name, parse_week(self.work_week), off)

    def as_strings(self) -> dict[str, str]:
        """The settings as the key/value strings the settings table stores."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}
