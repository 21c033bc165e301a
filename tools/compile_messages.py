"""Compile every .po catalogue under src/bangfu/locale into its .mo, without GNU gettext.

The .mo files are committed, so a fresh machine needs no gettext to show Chinese; `make
messages` regenerates them, and tests/web/test_i18n.py fails when a .mo is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "src" / "bangfu" / "locale"


def main() -> int:
    problems = 0
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        catalogue = polib.pofile(str(po_path))
        untranslated = [e.msgid for e in catalogue.untranslated_entries() + catalogue.fuzzy_entries()]
        for msgid in untranslated:
            print(f"{po_path}: untranslated or fuzzy: {msgid!r}", file=sys.stderr)
        problems += len(untranslated)
        catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"compiled {po_path.relative_to(LOCALE.parent.parent.parent)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
