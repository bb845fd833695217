"""The lexicons in force: the built-in theme and sentiment tables (themes.yaml, sentiment.yaml
beside this module), or a workspace's own, stored as the settings `feedback_themes` and
`feedback_sentiment` (checked whole before they are stored; owners)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from salesmetrics.analytics.feedback.lexicon import LexiconError, SentimentTable, ThemeTable
from salesmetrics.analytics.feedback.tagging import Reader
from salesmetrics.domain.access import Permission, Principal
from salesmetrics.domain.errors import ConfigError, InputError
from salesmetrics.services.access.tables import store_table
from salesmetrics.services.workspace import Workspace

FILES = {"themes": "themes.yaml", "sentiment": "sentiment.yaml"}
SETTINGS = {"themes": "feedback_themes", "sentiment": "feedback_sentiment"}


def builtin_text(which: str) -> str:
    return (resources.files("salesmetrics.services.feedback") / FILES[which]).read_text("utf-8")


def themes_of(text: str) -> ThemeTable:
    """A theme table from its YAML, or a ConfigError naming every problem."""
    return ThemeTable.from_dict(_load("theme lexicon", text))


def sentiment_of(text: str) -> SentimentTable:
    """A sentiment table from its YAML, or a ConfigError naming every problem."""
    return SentimentTable.from_dict(_load("sentiment lexicon", text))


def _load(what: str, text: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what}: not valid YAML: {exc}") from exc


@cache
def _reader(themes: str, sentiment: str) -> Reader:
    try:
        return Reader(themes_of(themes), sentiment_of(sentiment))
    except LexiconError as exc:
        raise ConfigError("feedback lexicon:\n" + "\n".join(exc.problems)) from exc


def builtin_reader() -> Reader:
    """A reader with the built-in lexicons."""
    return _reader(builtin_text("themes"), builtin_text("sentiment"))


def reader(ws: Workspace) -> Reader:
    """A reader with the workspace's lexicons (its own where it stored them)."""
    s = ws.settings
    themes = s.feedback_themes or builtin_text("themes")
    sentiment = s.feedback_sentiment or builtin_text("sentiment")
    return _reader(themes, sentiment)


def text_of(ws: Workspace, which: str) -> str:
    """The YAML of a lexicon in force ("themes" or "sentiment")."""
    own: str = getattr(ws.settings, SETTINGS[which])
    return own or builtin_text(which)


def set_lexicon(ws: Workspace, who: Principal, which: str, text: str | None) -> str:
    """Store a workspace's own lexicon (checked first: a bad one is an InputError naming every
    problem, and nothing is stored), or go back to the built-in one (None); owners. The
    lexicon now in force, as YAML."""
    who.require(Permission.WRITE)
    key = SETTINGS[which]
    if text is not None:
        try:
            (themes_of if which == "themes" else sentiment_of)(text)
        except LexiconError as exc:
            raise InputError(f"{key}:\n" + "\n".join(exc.problems)) from exc
        except ConfigError as exc:
            raise InputError(exc.message) from exc

    store_table(ws, who, key, text)
    return text_of(ws, which)
