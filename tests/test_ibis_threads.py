"""ibis's equality cache under threads (src/salesmetrics/metrics/ibis_threads.py)."""

from __future__ import annotations

import sys
from typing import Any

import ibis
import pytest
from ibis.common.bases import Comparable

from salesmetrics.metrics import ibis_threads
from salesmetrics.metrics.ibis_threads import forget


def test_forget_removes_a_node_and_every_mention_of_it() -> None:
    cache = {1: {2: True, 3: False}, 2: {1: True}, 3: {1: False, 4: True}, 4: {3: True}}
    forget(cache, 1)
    assert cache == {2: {}, 3: {4: True}, 4: {3: True}}
    forget(cache, 2)  # its emptied entry goes with it
    assert cache == {3: {4: True}, 4: {3: True}}


def test_forget_after_the_other_thread_forgot_first() -> None:
    """Nodes 1 and 2 were compared and die on two threads: 2's removal ran first (ibis's own
    __del__ then raises KeyError for 1 and leaves 1 in node 3's entry, where a new node at
    1's address would find it)."""
    cache = {1: {2: True, 3: True}, 3: {1: True}}  # 2 is gone already
    forget(cache, 1)
    assert cache == {3: {}}


def _compared_pair() -> tuple[Any, Any]:
    t = ibis.table({"a": "int64"}, name="t")
    x, y = (t.a + 1).op(), (t.a + 1).op()
    assert x is not y and x == y  # cached both ways
    return x, y


def test_ibis_nodes_use_it_and_a_vanished_entry_raises_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ibis_threads.install()
    ignored: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: ignored.append(u.exc_value))
    x, y = _compared_pair()
    cache = Comparable.__cache__
    assert id(y) in cache[id(x)]
    cache.pop(id(y))  # as if y's removal on another thread got there first
    x_id = id(x)
    del x
    assert ignored == []  # ibis's own __del__ reports KeyError here
    assert x_id not in cache
    del y
