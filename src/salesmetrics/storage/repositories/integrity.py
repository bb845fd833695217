"""References the schema declares but the databases do not enforce, checked on demand."""

from __future__ import annotations

from salesmetrics.storage import catalog
from salesmetrics.storage.dialect import q
from salesmetrics.storage.protocol import Store


def orphan_references(store: Store) -> dict[str, int]:
    """'table.column -> table' for every reference column with values that point nowhere."""
    checks = [
        (f"{t.name}.{c.name} -> {c.references}", t.name, c.name, c.references)
        for t in catalog.tables().values()
        for c in t.columns
        if c.references
    ]
    parts = [
        f"SELECT '{label}' AS ref, count(*) AS n FROM {q(t)} AS a "
        f"WHERE a.{q(c)} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {q(target)} AS b WHERE b.id = a.{q(c)})"
        for label, t, c, target in checks
    ]
    rows = store.fetchall(" UNION ALL ".join(parts))
    return {str(ref): int(n) for ref, n in rows if n}
