"""The sections a report can hold, in order: one builder function each. A builder takes the
report's Context and returns its Section (or None: nothing to say for this view). More sections
plug in with `register` (the strategy sections do, from strategy.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from salesmetrics.services.reports import more, sales
from salesmetrics.services.reports.context import Context
from salesmetrics.services.reports.model import Section

Builder = Callable[[Context], Section | None]


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    build: Builder


REGISTRY: list[Entry] = [
    Entry("headline", sales.headline),
    Entry("trend", sales.trend),
    Entry("targets", sales.targets),
    Entry("team", sales.leaderboard),
    Entry("pipeline", more.pipeline),
    Entry("segments", more.segments),
    Entry("feedback", more.feedback),
]


def register(key: str, build: Builder, *, after: str | None = None) -> None:
    """Add (or replace) a section; after `after`, else at the end."""
    REGISTRY[:] = [e for e in REGISTRY if e.key != key]
    at = next((i + 1 for i, e in enumerate(REGISTRY) if e.key == after), len(REGISTRY))
    REGISTRY.insert(at, Entry(key, build))


def keys() -> list[str]:
    return [e.key for e in REGISTRY]
