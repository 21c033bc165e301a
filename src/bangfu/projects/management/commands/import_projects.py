"""``bangfu import-projects TABLE FILE [--user U] [--dry-run] [--report OUT.xlsx]``: one of the
project tables (projects, budget, milestones, targets, benefits, cooperatives, members, shares)
from a spreadsheet, all or nothing (columns: the templates at /projects/import/). The same
options, output and exit status as ``bangfu import-assistance``."""

from __future__ import annotations

from bangfu.projects.imports import TABLES
from bangfu.registry.sheets_command import SheetImportCommand, import_help


class Command(SheetImportCommand):
    tables = TABLES
    help = import_help("project", TABLES, "the templates (/projects/import/)")
