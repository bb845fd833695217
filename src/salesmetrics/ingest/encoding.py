"""Text encodings: find the one a file was written in and hand back its bytes as UTF-8."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from charset_normalizer import from_bytes

from salesmetrics.ingest.errors import IngestError

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 (from its byte-order mark)"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 (from its byte-order mark)"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (from its byte-order mark)"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (from its byte-order mark)"),
)
_SAMPLE = 1 << 20
# Bytes that never occur in text files; tab, CR, LF, FF and Ctrl-Z (DOS end of file) do.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26))
# Windows-1251 letters: А-я (C0-FF) and the Ukrainian Ґ Є І Ї ґ є і ї plus Ё ё.
_CP1251_LETTERS = bytes(range(0xC0, 0x100)) + b"\xa5\xaa\xaf\xb2\xa8\xb4\xba\xbf\xb3\xb8"
_WORD = re.compile(rb"[A-Za-z\x80-\xff]+")
_COMMON = ("cp1251", "cp1252", "cp1250", "koi8_u", "cp866")
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")


@dataclass(frozen=True)
class Decoded:
    """A text file as UTF-8 bytes without a byte-order mark, and how it was decoded."""

    data: bytes
    encoding: str
    notes: list[str] = field(default_factory=list)
    ascii_only: bool = False


def decode_text(raw: bytes, override: str | None, file: str) -> Decoded:
    """Decode `raw` with `override` or the sniffed encoding; raise naming the bad byte's line."""
    if override is not None:
        return _with_override(raw, override, file)
    if raw.startswith(codecs.BOM_UTF8):  # Excel's "CSV UTF-8": skip the mark, keep the bytes
        return _utf8(raw[3:], "utf-8-sig", ["UTF-8 with a byte-order mark"], file)
    for bom, name, note in _BOMS:
        if raw.startswith(bom):
            return _finish(_decode(raw, name, file), name, [note], file)
    utf16 = _utf16_without_bom(raw[:4096])
    if utf16:
        text = _decode(raw, utf16, file)
        return _finish(text, "utf-16", ["UTF-16 without a byte-order mark"], file)
    _refuse_binary(raw[:8192], file)
    ascii_only = raw.isascii()
    if ascii_only or _is_utf8(raw):
        return _checked_utf8(raw, "utf-8", [], file, ascii_only)
    _refuse_mixed_utf8(raw, file)
    name, note = _guess_legacy(raw[:_SAMPLE], file)
    return _finish(_decode(raw, name, file), name, [note], file)


def _with_override(raw: bytes, override: str, file: str) -> Decoded:
    try:
        name = codecs.lookup(override).name
    except LookupError:
        raise IngestError(f"unknown encoding '{override}'", file=file) from None
    notes = [f"encoding {override} (as given)"]
    if name in ("utf-8", "utf-8-sig"):
        return _utf8(raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw, override, notes, file)
    return _finish(_decode(raw, name, file), override, notes, file)


def _utf8(raw: bytes, name: str, notes: list[str], file: str) -> Decoded:
    ascii_only = raw.isascii()
    if not (ascii_only or _is_utf8(raw)):
        _decode(raw, "utf-8", file)  # raises, naming the offending byte and line
    return _checked_utf8(raw, name, notes, file, ascii_only)


def _is_utf8(raw: bytes) -> bool:
    # Arrow validates UTF-8 an order of magnitude faster than bytes.decode on large files.
    offsets = pa.py_buffer(np.array([0, len(raw)], dtype=np.int64).tobytes())
    blob = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(raw)])
    try:
        blob.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _decode(raw: bytes, name: str, file: str) -> str:
    try:
        return raw.decode(name)
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        line = raw.count(b"\n", 0, exc.start) + 1
        raise IngestError(
            f"byte 0x{bad} at offset {exc.start} cannot be read as {name}; "
            "pass the right encoding (e.g. --encoding cp1251)",
            file=file,
            row=line,
        ) from None


def _finish(text: str, name: str, notes: list[str], file: str) -> Decoded:
    text = text.removeprefix("\ufeff")
    for char, what in (("\x00", "a NUL byte"), ("\ufeff", "a byte-order mark (BOM)")):
        at = text.find(char)
        if at >= 0:
            raise IngestError(_middle_reason(what), file=file, row=text.count("\n", 0, at) + 1)
    return Decoded(text.encode("utf-8"), name, notes)


def _checked_utf8(raw: bytes, name: str, notes: list[str], file: str, ascii_only: bool) -> Decoded:
    at = raw.find(b"\x00")
    if at >= 0:
        raise IngestError(_middle_reason("a NUL byte"), file=file, row=raw.count(b"\n", 0, at) + 1)
    if not ascii_only:
        at = raw.find(codecs.BOM_UTF8, 1)
        if at > 0:
            what = "a byte-order mark (BOM)"
            raise IngestError(_middle_reason(what), file=file, row=raw.count(b"\n", 0, at) + 1)
    return Decoded(raw, name, notes, ascii_only)


def _middle_reason(what: str) -> str:
    return (
        f"{what} in the middle of the text: the file is damaged or several files were "
        "joined together; remove it and try again"
    )


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 if the start decodes to clean text with line breaks in one byte order.

    Single-byte text read as UTF-16 turns into CJK-looking pairs and never yields a line feed
    (0A 00), so a line feed and no control characters is a strong sign.
    """
    head = head[: len(head) // 2 * 2]
    for name in ("utf-16-le", "utf-16-be"):
        text = head.decode(name, "replace")
        if "\n" in text and "\ufffd" not in text[:-1] and not _CONTROL_CHARS.search(text):
            return name
    return None


def _refuse_binary(head: bytes, file: str) -> None:
    controls = len(head) - len(head.translate(None, _CONTROL))
    if controls > 0.1 * len(head):
        raise IngestError("the file looks like binary data, not text", file=file)


def _refuse_mixed_utf8(raw: bytes, file: str) -> None:
    """A mostly-UTF-8 file with a few foreign bytes was edited in two encodings: say so."""
    text = raw.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    # Windows-1251 text forms valid UTF-8 pairs only by rare chance, so it is mostly "bad".
    if good >= 3 * bad:
        at = _first_bad_utf8(raw)
        line = raw.count(b"\n", 0, at) + 1
        raise IngestError(
            f"the file mixes encodings: it is UTF-8, but byte 0x{raw[at : at + 1].hex()} "
            f"at offset {at} is not; re-save it as UTF-8",
            file=file,
            row=line,
        )


def _first_bad_utf8(raw: bytes) -> int:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0


def _guess_legacy(sample: bytes, file: str) -> tuple[str, str]:
    cyrillic = _cyrillic_case(sample)
    if cyrillic == "cp1251":
        return "cp1251", "encoding guessed as Windows-1251 (cp1251)"
    isolate = ["cp1251", "koi8_u", "koi8_r"] if cyrillic else None
    matches = from_bytes(sample, cp_isolation=isolate)
    best = matches.best()
    if best is None:
        raise IngestError(
            "cannot tell the text encoding; pass it (e.g. --encoding cp1251)", file=file
        )
    # Short samples often fit several code pages about equally: take the one most used here
    # (Western text scored as iso8859-10 turns 'François' into 'Franįois').
    close = {m.encoding for m in matches if m.chaos <= best.chaos + 0.05}
    prefer = _COMMON if cyrillic else ("cp1252", "cp1250")  # not Cyrillic: no Cyrillic page
    common = next((c for c in prefer if c in close), best.encoding)
    name = codecs.lookup(common).name
    return name, f"encoding guessed as {name} by charset-normalizer"


def _cyrillic_case(sample: bytes) -> str | None:
    """'cp1251' for Windows-1251 Cyrillic, 'other' for Cyrillic in another code page, else None.

    High bytes of Cyrillic text are mostly letters forming whole words. Western text in
    cp1252 also has high bytes in C0-FF (ä, é), but as single letters inside ASCII words.
    KOI8 puts capitals where Windows-1251 has small letters, and running text is mostly small.
    """
    high = _count(sample, range(0x80, 0x100))
    letters = len(sample) - len(sample.translate(None, _CP1251_LETTERS))
    if high == 0 or letters < 0.8 * high or b"\x98" in sample:
        return None
    pure = mixed = 0
    for word in _WORD.findall(sample):
        if word.isascii():
            continue
        if word.translate(None, bytes(range(0x80, 0x100))):
            mixed += 1
        else:
            pure += 1
    if pure <= mixed:
        return None
    return (
        "cp1251"
        if _count(sample, range(0xE0, 0x100)) >= _count(sample, range(0xC0, 0xE0))
        else "other"
    )


def _count(sample: bytes, values: range) -> int:
    return len(sample) - len(sample.translate(None, bytes(values)))
