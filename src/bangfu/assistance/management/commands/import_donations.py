"""``bangfu import-donations FILE [--user U] [--dry-run] [--report OUT.xlsx]``: entries of the
donations ledger from a spreadsheet — ``bangfu import-assistance donations FILE …`` under its
own name (same options, output and exit status; columns: docs/donations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from bangfu.assistance.management.commands import import_assistance

TABLE = "donations"


class Command(import_assistance.Command):
    help = (
        "Import donations ledger entries (社会帮扶资金) from FILE (.xlsx, or .csv in UTF-8 or "
        "GB18030): the same as `import-assistance donations FILE`. Every row is checked with "
        "the user's permissions (within their capture scope); the entries are recorded only if "
        "every row is right (all or nothing). Exit status 0 when recorded (or, with --dry-run, "
        "when every row is right); 1 with the problems (row, column, reason) printed when the "
        "file is refused. The columns: docs/donations.md or the template "
        "(/assistance/import/donations/)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_file_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **{**options, "table": TABLE})
