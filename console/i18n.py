"""Rebuild the console's catalogues from messages.pot (after `pybabel extract`, README):

    python -m console.i18n          # messages.po/.mo for zh_CN (from translations/zh_CN.py) and en
    python -m console.i18n --check  # exit 1 if a string has no zh_CN translation or a .mo is stale
"""
import io
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from console.translations.zh_CN import ZH_CN

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
#: folder (Babel's name of the locale: zh_CN is zh_Hans_CN) → translations; en: the msgids are English
CATALOGUES = {"zh_Hans_CN": ZH_CN, "en": {}}


def build(locale: str):
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        catalog = read_po(pot, locale=locale)
    for message in catalog:
        if message.id:
            message.string = CATALOGUES[locale].get(message.id, "")
    return catalog


def _bytes(writer, catalog) -> bytes:
    out = io.BytesIO()
    writer(out, catalog)
    return out.getvalue()


def missing(catalog) -> list[str]:
    return [m.id for m in catalog if m.id and not m.string]


def main(argv) -> int:
    problems = []
    for locale in CATALOGUES:
        catalog, folder = build(locale), TRANSLATIONS / locale / "LC_MESSAGES"
        if locale == "zh_Hans_CN":
            problems += [f"zh_CN: no translation for {m!r}" for m in missing(catalog)]
        mo = _bytes(write_mo, catalog)
        if "--check" in argv:
            if not (folder / "messages.mo").exists() or (folder / "messages.mo").read_bytes() != mo:
                problems.append(f"{locale}: messages.mo is stale; run python -m console.i18n")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "messages.po").write_bytes(_bytes(lambda f, c: write_po(f, c, omit_header=False,
                                                                           sort_output=True), catalog))
        (folder / "messages.mo").write_bytes(mo)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
