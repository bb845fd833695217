"""Regenerate the parts of the docs that are rendered from code (`make docs`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from salesmetrics.ingest.kinds import markdown as kinds_markdown
from salesmetrics.metrics.docs import markdown as metrics_markdown
from salesmetrics.storage.catalog import markdown as tables_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES: dict[str, tuple[str, Callable[[], str]]] = {
    "data-model.md": ("## Tables\n\n", tables_markdown),
    "import.md": ("## Kinds and fields\n\n", kinds_markdown),
    "metrics.md": ("## Reference\n\n", metrics_markdown),
}

for page, (marker, render) in PAGES.items():
    path = DOCS / page
    head = path.read_text(encoding="utf-8").split(marker, 1)[0]
    path.write_text(head + marker + render(), encoding="utf-8")
    print(f"wrote {path}")
