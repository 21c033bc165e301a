"""``bangfu import-assistance TABLE FILE [--user U] [--dry-run] [--report OUT.xlsx]``: one of the
assistance tables (helpers, assignments, measures, visits, partners, social pairings, the
donations ledger, secondments) from a spreadsheet, all or nothing (columns: docs/assistance.md,
"Importing from Excel"; the ledger's: docs/donations.md). ``bangfu import-donations FILE`` is
this command with the table ``donations``."""

from __future__ import annotations

from bangfu.assistance.imports import TABLES
from bangfu.registry.sheets_command import SheetImportCommand, import_help


class Command(SheetImportCommand):
    tables = TABLES
    help = import_help(
        "assistance", TABLES, "docs/assistance.md or the template (/assistance/import/)"
    )
