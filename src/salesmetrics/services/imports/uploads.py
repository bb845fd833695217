"""Uploaded files waiting for a confirm: one folder per preview in the workspace's uploads folder.

A preview folder holds the file under its own name (the import log records that name), the
options it was read with, the preview the user saw and its errors file. Confirming claims the
folder by renaming it, so two confirms of one preview cannot both import it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from salesmetrics.domain.env import positive
from salesmetrics.domain.errors import NotFoundError, TooLargeError
from salesmetrics.services.workspace import Workspace

DIR_ENV = "SALESMETRICS_UPLOADS_DIR"
LIMIT_ENV = "SALESMETRICS_UPLOAD_LIMIT_MB"
TTL_ENV = "SALESMETRICS_UPLOAD_TTL_HOURS"
DEFAULT_LIMIT_MB = 200.0
DEFAULT_TTL_HOURS = 24.0
_ID = re.compile(r"^pv[0-9a-f]{20}$")
_CHUNK = 1 << 20


def uploads_dir(url: str) -> Path:
    """$SALESMETRICS_UPLOADS_DIR, else beside a DuckDB file (`shop.duckdb` -> `shop.uploads/`),
    else a folder per workspace in the system's temp folder (PostgreSQL, in-memory)."""
    env = os.environ.get(DIR_ENV)
    if env:
        return Path(env)
    path = url.removeprefix("duckdb://")
    if "://" not in path and path != ":memory:":
        file = Path(path)
        return file.with_name(file.stem + ".uploads")
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "salesmetrics-uploads" / key


def limit_bytes() -> int:
    """The largest upload accepted ($SALESMETRICS_UPLOAD_LIMIT_MB, default 200 MB)."""
    return int(positive(LIMIT_ENV, float(DEFAULT_LIMIT_MB), float, "MB") * 1024 * 1024)


def limit_mb() -> float:
    return positive(LIMIT_ENV, float(DEFAULT_LIMIT_MB), float, "MB")


def ttl_seconds() -> float:
    """How long an unconfirmed upload is kept ($SALESMETRICS_UPLOAD_TTL_HOURS, default 24)."""
    return positive(TTL_ENV, float(DEFAULT_TTL_HOURS), float, "hours") * 3600


def too_large(size: int | None = None) -> TooLargeError:
    told = f" ({size / 1048576:.1f} MB)" if size else ""
    return TooLargeError(
        f"the file is too large{told}: uploads are limited to {limit_mb():g} MB "
        f"({LIMIT_ENV}); import larger files with `salesmetrics import`"
    )


@dataclass(frozen=True)
class Upload:
    """A preview's folder and the file in it."""

    id: str
    folder: Path

    @property
    def file(self) -> Path:
        found = [p for p in (self.folder / "file").iterdir() if p.is_file()]
        if not found:
            raise NotFoundError(f"preview {self.id} has no file")
        return found[0]

    @property
    def errors_file(self) -> Path:
        return self.folder / "errors.csv"

    @property
    def mapping_file(self) -> Path:
        return self.folder / "mapping.yaml"

    def read_meta(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "preview.json").read_text("utf-8"))
        return data

    def write_meta(self, meta: dict[str, Any]) -> None:
        target = self.folder / "preview.json"
        temp = target.with_suffix(".tmp")
        temp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        temp.replace(target)


def safe_name(name: str | None) -> str:
    """A file name we can store: no folders, no control characters, at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip().lstrip(".")
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = stem[:110] + dot + ext[:9] if dot else base[:120]
    return base or "upload.csv"


def save(ws: Workspace, name: str | None, source: BinaryIO) -> Upload:
    """Copy an uploaded stream into a new preview folder, within the size limit."""
    root = uploads_dir(ws.store.url)
    sweep(root)
    upload_id = "pv" + secrets.token_hex(10)
    upload = Upload(upload_id, root / upload_id)
    (upload.folder / "file").mkdir(parents=True)
    target = upload.folder / "file" / safe_name(name)
    limit, size = limit_bytes(), 0
    try:
        with target.open("wb") as out:
            while block := source.read(_CHUNK):
                size += len(block)
                if size > limit:
                    raise too_large()
                out.write(block)
    except BaseException:
        shutil.rmtree(upload.folder, ignore_errors=True)
        raise
    return upload


def find(ws: Workspace, preview_id: str) -> Upload:
    """A preview still waiting for a confirm."""
    folder = uploads_dir(ws.store.url) / preview_id
    if not _ID.match(preview_id) or not (folder / "preview.json").is_file():
        raise NotFoundError(
            f"no preview {preview_id}: it was confirmed, cancelled or has expired; upload the "
            "file again"
        )
    return Upload(preview_id, folder)


def claim(upload: Upload) -> Upload:
    """Take a preview for confirming (atomic: a second confirm finds nothing)."""
    taken = upload.folder.with_name(upload.id + ".confirming")
    try:
        upload.folder.rename(taken)
    except FileNotFoundError:
        raise NotFoundError(f"no preview {upload.id}: it is being confirmed or is gone") from None
    return Upload(upload.id, taken)


def release(taken: Upload) -> Upload:
    """Give a claimed preview back (its import was rejected: the user may fix and retry)."""
    back = taken.folder.with_name(taken.id)
    taken.folder.rename(back)
    return Upload(taken.id, back)


def discard(upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


def import_errors_file(ws: Workspace, import_id: int) -> Path:
    """Where the errors file of an import made through an upload is kept."""
    return uploads_dir(ws.store.url) / "errors" / f"import-{import_id}.errors.csv"


def sweep(root: Path, now: float | None = None) -> None:
    """Remove previews older than the time to live."""
    if not root.is_dir():
        return
    cutoff = (now or time.time()) - ttl_seconds()
    for folder in root.iterdir():
        confirming = folder.name.endswith(".confirming")  # being imported right now
        old = folder.stat().st_mtime < cutoff
        if folder.name.startswith("pv") and not confirming and folder.is_dir() and old:
            shutil.rmtree(folder, ignore_errors=True)
