"""Keep the page catalogs in step with the code.

    python scripts/i18n.py update   # add new messages, drop unused ones, keep translations
    python scripts/i18n.py check    # list messages without a Ukrainian translation

New messages land in messages.po of each language: English gets the message itself, Ukrainian
an empty translation for a person to fill in (tests/test_i18n.py fails until they do)."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from salesmetrics.web.i18n import LANGUAGES, LOCALE_DIR
from salesmetrics.web.messages import extract

BABEL = {"uk": "uk_UA", "en": "en_US"}
HEADER = "# salesmetrics pages. Update with: python scripts/i18n.py update"


def _read(path: Path, lang: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=BABEL[lang], project="salesmetrics", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=BABEL[lang])


def update() -> None:
    messages = extract()
    for lang in LANGUAGES:
        folder = LOCALE_DIR / lang / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        known: dict[str, object] = {}
        others = [p for p in sorted(folder.glob("*.po")) if p.name != "messages.po"]
        for path in others:
            for m in _read(path, lang):
                if m.id:
                    known[m.id[0] if isinstance(m.id, tuple) else m.id] = m.string
        main_path = folder / "messages.po"
        old = _read(main_path, lang)
        fresh = Catalog(
            locale=BABEL[lang], project="salesmetrics", fuzzy=False,
            header_comment=HEADER, creation_date=old.creation_date,
            revision_date=old.revision_date,
        )  # fmt: skip
        seen: set[str] = set()
        for msg in messages:
            if msg.id in seen or msg.id in known:
                continue
            seen.add(msg.id)
            prior = old.get(msg.id)
            key = (msg.id, msg.plural) if msg.plural else msg.id
            if prior is not None and any(prior.string if isinstance(prior.string, tuple)
                                         else (prior.string,)):  # fmt: skip
                string = prior.string
            elif lang == "en":
                string = (msg.id, msg.plural) if msg.plural else msg.id
            else:
                string = ("",) * old.num_plurals if msg.plural else ""
            fresh.add(key, string, locations=[(w.split(":")[0], int(w.split(":")[1]))
                                              for w in [msg.where]])  # fmt: skip
        with main_path.open("wb") as handle:
            write_po(handle, fresh, width=100, sort_output=True, omit_header=False)
        print(f"{main_path}: {len(fresh)} messages")


def check() -> int:
    from salesmetrics.web.i18n import translator

    missing = [m for m in extract() if m.id not in translator("uk").messages
               or not translator("uk").messages[m.id]]  # fmt: skip
    for m in missing:
        print(f"{m.where}: no Ukrainian for {m.id!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    else:
        sys.exit(check())
