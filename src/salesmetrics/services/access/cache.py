"""Who a session or token belongs to, remembered briefly: the events API takes hundreds of
requests a second with one token, and each would otherwise read three tables first.

An entry is dropped when anything about access changes in this process (a user added,
changed or disabled, a token revoked, a password set: `changed()`), so such a change takes
effect on the very next request. Another process on the same PostgreSQL workspace (a second
server, or the command line) cannot reach this memory: its change takes effect here within
MAX_AGE seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

MAX_AGE = 1.0
SIZE = 4096
V = TypeVar("V")

_lock = threading.Lock()
_version = 0


def changed() -> None:
    """Access changed: forget every remembered principal (in every cache of this process)."""
    global _version
    with _lock:
        _version += 1


def version() -> int:
    return _version


class Remembered(Generic[V]):
    """key -> value for MAX_AGE seconds, while nothing about access changes."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[V, int, float]] = {}

    def get(self, key: str, load: Callable[[], V]) -> V:
        hit = self._items.get(key)
        now, current = time.monotonic(), _version
        if hit is not None and hit[1] == current and now - hit[2] < MAX_AGE:
            return hit[0]
        value = load()
        if len(self._items) >= SIZE:
            self._items.clear()
        self._items[key] = (value, current, now)
        return value

    def forget(self, key: str) -> None:
        self._items.pop(key, None)
