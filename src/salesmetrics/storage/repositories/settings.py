"""The settings table."""

from __future__ import annotations

from collections.abc import Mapping

from salesmetrics.storage.protocol import Store, WriteTx


def read(store: Store) -> dict[str, str]:
    return {str(k): str(v) for k, v in store.fetchall("SELECT key, value FROM settings")}


def write(tx: WriteTx, values: Mapping[str, str]) -> None:
    """Upsert every key given; keys not given are left alone."""
    for key, value in values.items():
        tx.execute("DELETE FROM settings WHERE key = ?", [key])
        tx.execute("INSERT INTO settings (key, value) VALUES (?, ?)", [key, value])
