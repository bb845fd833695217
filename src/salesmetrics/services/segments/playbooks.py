"""Segment playbooks: for each RFM segment a one-line goal, the tactics recommended and the KPIs
to watch, in Ukrainian and English (playbooks.yaml has the built-in table and its format).

A workspace may keep its own table in the setting `segment_playbooks` (owners set it). It
replaces the built-in table whole, so it must cover every segment: a segment left out is an
error when the table is set, not a playbook that silently falls back or disappears. The KPIs are
checked against the workspace's metric catalog (built-in and its own metrics).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from salesmetrics.domain.access import Permission, Principal
from salesmetrics.domain.errors import ConfigError, InputError, NotFoundError
from salesmetrics.metrics.catalog import suggest
from salesmetrics.services.access.tables import store_table
from salesmetrics.services.segments.rfm import builtin_table, say
from salesmetrics.services.workspace import Workspace

SETTING = "segment_playbooks"
LANGS = ("en", "uk")
MAX_TACTICS = 10
MAX_KPIS = 8
MAX_TEXT = 500  # characters of one goal or tactic
ENTRY_KEYS = ("goal", "tactics", "kpis")


@dataclass(frozen=True, slots=True)
class Entry:
    """One segment's playbook as the table holds it: every text in every language."""

    goal: Mapping[str, str]
    tactics: tuple[Mapping[str, str], ...]
    kpis: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Kpi:
    metric: str
    label: str

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "label": self.label}


@dataclass(frozen=True, slots=True)
class Playbook:
    """One segment's playbook in one language."""

    segment: str
    label: str  # the segment's name (rfm.yaml)
    description: str
    goal: str
    tactics: tuple[str, ...]
    kpis: tuple[Kpi, ...]  # watch them with the filter segment=<segment>

    def as_dict(self) -> dict[str, Any]:
        return {"segment": self.segment, "label": self.label, "description": self.description,
                "goal": self.goal, "tactics": list(self.tactics),
                "kpis": [k.as_dict() for k in self.kpis]}  # fmt: skip


def builtin_text() -> str:
    folder = resources.files("salesmetrics.services.segments")
    return (folder / "playbooks.yaml").read_text("utf-8")


def table_of(text: str, metrics: Collection[str]) -> dict[str, Entry]:
    """Playbooks from their YAML, checked against the RFM segment codes and the metric names
    `metrics`; a ConfigError naming every fault."""
    try:
        loaded = yaml.safe_load(text)
    # a date such as 2026-13-01 is a ValueError, nesting thousands deep a RecursionError
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ConfigError(f"segment playbooks: not valid YAML: {exc}") from exc
    problems: list[str] = []
    table = _table(loaded, sorted(metrics), problems)
    if problems:
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        raise ConfigError(f"segment playbooks have {count}:\n" + "\n".join(problems))
    return table


def _table(loaded: Any, metrics: list[str], problems: list[str]) -> dict[str, Entry]:
    if not isinstance(loaded, dict) or set(loaded) != {"segments"}:
        problems.append("the table is a mapping with one key, 'segments'")
        return {}
    segments = loaded["segments"]
    if not isinstance(segments, dict):
        problems.append("segments: map each segment code to its playbook")
        return {}
    codes = builtin_table().names
    out = {}
    for code, raw in segments.items():
        if code not in codes:
            problems.append(f"segments.{code}: not a segment; the segments are {', '.join(codes)}")
            continue
        entry = _entry(f"segments.{code}", raw, metrics, problems)
        if entry is not None:
            out[str(code)] = entry
    missing = [c for c in codes if c not in segments]
    if missing:
        problems.append(f"segments: no playbook for {', '.join(missing)} (every segment needs one)")
    return out


def _entry(where: str, raw: Any, metrics: list[str], problems: list[str]) -> Entry | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: give its {', '.join(ENTRY_KEYS)}")
        return None
    unknown = [str(k) for k in raw if k not in ENTRY_KEYS]
    if unknown:
        problems.append(f"{where}: unknown key {', '.join(unknown)}; use {', '.join(ENTRY_KEYS)}")
    before = len(problems)
    goal = _texts(f"{where}.goal", raw.get("goal"), problems)
    tactics = raw.get("tactics")
    if not isinstance(tactics, list) or not 1 <= len(tactics) <= MAX_TACTICS:
        problems.append(f"{where}.tactics: a list of 1 to {MAX_TACTICS} tactics")
        tactics = []
    said = [_texts(f"{where}.tactics[{i + 1}]", t, problems) for i, t in enumerate(tactics)]
    kpis = _kpis(f"{where}.kpis", raw.get("kpis", []), metrics, problems)
    if len(problems) > before or goal is None:
        return None
    return Entry(goal, tuple(t for t in said if t is not None), kpis)


def _texts(where: str, raw: Any, problems: list[str]) -> dict[str, str] | None:
    """A text in every language: a mapping of en and uk to non-empty lines."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: give the text in en and uk, e.g. {{en: ..., uk: ...}}")
        return None
    ok = len(problems)
    for lang in [str(k) for k in raw if k not in LANGS]:
        problems.append(f"{where}.{lang}: not a language; use {' and '.join(LANGS)}")
    for lang in LANGS:
        text = raw.get(lang)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}.{lang}: missing (every text is needed in en and uk)")
        elif len(text) > MAX_TEXT:
            problems.append(f"{where}.{lang}: {len(text)} characters; at most {MAX_TEXT}")
    return None if len(problems) > ok else {lang: raw[lang].strip() for lang in LANGS}


def _kpis(where: str, raw: Any, metrics: list[str], problems: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_KPIS:
        problems.append(f"{where}: a list of at most {MAX_KPIS} metric names")
        return ()
    for name in raw:
        if not isinstance(name, str) or name not in metrics:
            problems.append(f"{where}: no metric '{name}'{suggest(str(name), metrics)}")
    return tuple(str(n) for n in raw)


def _metrics(ws: Workspace) -> list[str]:
    return ws.metrics.catalog.names()


def playbooks_text(ws: Workspace) -> str:
    """The YAML of the playbooks in force: the workspace's own, else the built-in ones."""
    return ws.settings.segment_playbooks or builtin_text()


def is_builtin(ws: Workspace) -> bool:
    """Whether the built-in playbooks are in force (the workspace has none of its own)."""
    return not ws.settings.segment_playbooks


def set_playbooks(ws: Workspace, who: Principal, text: str | None) -> str:
    """Store a playbook table (checked first: a bad one is an InputError and nothing is stored),
    or go back to the built-in one (None); owners. The table now in force, as YAML."""
    who.require(Permission.WRITE)
    if text is not None:
        try:
            table_of(text, _metrics(ws))
        except ConfigError as exc:
            raise InputError(exc.message) from exc

    store_table(ws, who, SETTING, text)
    return playbooks_text(ws)


def _in_force(ws: Workspace) -> dict[str, Entry]:
    own = ws.settings.segment_playbooks
    try:
        return table_of(own or builtin_text(), _metrics(ws))
    except ConfigError as exc:
        if not own:
            raise
        raise ConfigError(f"the workspace's {exc.message}\nfix them with `salesmetrics segments "
                          "playbook --set FILE`, or go back to the built-in ones with "
                          "--reset") from exc  # fmt: skip


def playbooks(ws: Workspace, lang: str = "en") -> list[Playbook]:
    """Every segment's playbook in `lang` (uk or en), in the order of the segment table."""
    table = _in_force(ws)
    return [_said(ws, code, table[code], lang) for code in builtin_table().names]


def playbook(ws: Workspace, code: str, lang: str = "en") -> Playbook:
    """The playbook of the segment `code` in `lang`; a NotFoundError listing the codes."""
    codes = builtin_table().names
    if code not in codes:
        raise NotFoundError(f"no segment '{code}'{suggest(code, list(codes))}")
    return _said(ws, code, _in_force(ws)[code], lang)


def _said(ws: Workspace, code: str, e: Entry, lang: str) -> Playbook:
    rule = builtin_table().rule(code)
    catalog = ws.metrics.catalog
    kpis = tuple(Kpi(k, say(catalog.get(k).label.model_dump(), lang, k)) for k in e.kpis)
    return Playbook(code, say(rule.label, lang, code), say(rule.description, lang, ""),
                    say(e.goal, lang, ""), tuple(say(t, lang, "") for t in e.tactics),
                    kpis)  # fmt: skip
