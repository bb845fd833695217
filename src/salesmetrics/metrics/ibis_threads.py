"""ibis's equality cache, made safe for several threads.

ibis 12 remembers which expression nodes are equal in one dict shared by every thread
(`Comparable.__cache__`: node id -> {other node id -> equal?}). When a node dies, its
`__del__` removes its own entry and its id from every node it was compared with, assuming no
other thread touches the dict meanwhile. Our server builds expressions on several threads, and
an import compiles the rollups on a second one. When two nodes that were compared die on two
threads at once, one `__del__` finds the other's entry gone and raises KeyError (Python ignores
it), and the rest of its entries stay behind. An entry left behind holds a dead node's id: a new
node given the same address would be taken as equal (or not) to the other by a stale answer.

`install()` replaces `Comparable.__del__` with one that does the same removals in steps that
each hold under concurrency: it takes its own entry out in one step and walks a copy of it; it
removes its id from another node's entry, never that entry itself (an emptied one goes when its
node dies), so a comparison stored into it meanwhile is never lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ibis.common.bases import Comparable

Cache = dict[int, dict[int, bool]]


def forget(cache: Cache, node_id: int) -> None:
    """Remove a dead node from the equality cache; safe while other threads use it."""
    own = cache.pop(node_id, None)
    for other in list(own or ()):  # a copy: another thread's forget may still be editing it
        theirs = cache.get(other)
        if theirs is not None:
            theirs.pop(node_id, None)


def _del(self: Any, _forget: Callable[[Cache, int], None] = forget) -> None:
    # the function is bound here: while Python shuts down, module globals may already be None
    _forget(type(self).__cache__, id(self))


def install() -> None:
    """Use `forget` for every ibis node (idempotent)."""
    Comparable.__del__ = _del
