"""Refresh ems_mailjet/i18n/ from a freshly exported template, keeping German translations.

Usage (with Odoo 18 and a database where ems_mailjet is installed):
    python3 -m odoo -c CONF -d DB --i18n-export=/tmp/ems_mailjet.pot --modules=ems_mailjet \
        --stop-after-init
    python3 scripts/update_translations.py /tmp/ems_mailjet.pot [extra_translations.py]

Writes i18n/ems_mailjet.pot and merges the template into i18n/de.po (existing translations
are kept; an optional Python file with a dict ``DE`` adds new ones). Prints the msgids that
are still untranslated.
"""

import os
import runpy
import shutil
import sys

import polib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
I18N = os.path.join(ROOT, "ems_mailjet", "i18n")


def main(pot_path, extra=None):
    os.makedirs(I18N, exist_ok=True)
    shutil.copy(pot_path, os.path.join(I18N, "ems_mailjet.pot"))
    known = {}
    po_path = os.path.join(I18N, "de.po")
    if os.path.exists(po_path):
        known = {e.msgid: e.msgstr for e in polib.pofile(po_path) if e.msgstr}
    if extra:
        known.update(runpy.run_path(extra)["DE"])
    catalog = polib.pofile(pot_path)
    catalog.metadata.update(
        {
            "Language": "de",
            "Content-Type": "text/plain; charset=UTF-8",
            "Plural-Forms": "nplurals=2; plural=(n != 1);",
        }
    )
    missing = []
    for entry in catalog:
        entry.msgstr = known.get(entry.msgid, "")
        if not entry.msgstr:
            missing.append(entry.msgid)
    catalog.save(po_path)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(catalog) - len(missing)}/{len(catalog)} entries translated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
