"""What the what-if planner reads beside the metrics: each channel's kind (outbound channels'
leads are brought by the reps themselves)."""

from __future__ import annotations

from salesmetrics.storage.protocol import Store


def channel_kinds(store: Store) -> dict[str, str]:
    """Channel name -> kind (paid, organic, referral, marketplace, direct, outbound)."""
    rows = store.fetchall("SELECT name, kind FROM channels ORDER BY id")
    return {str(n): str(k or "") for n, k in rows}
