"""The import command of the spreadsheet tables (``sheets``): ``bangfu import-assistance`` and
``bangfu import-projects`` are this command with their app's tables — one set of options, one
output, one exit status."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.registry.sheets import SheetResult, write_sheet_report

SHOWN_PROBLEMS = 50


def import_help(what: str, tables: Mapping[str, Any], columns: str) -> str:
    """The ``--help`` text of an import command of ``tables``."""
    return (
        f"Import one {what} table from FILE (.xlsx, or .csv in UTF-8 or GB18030): "
        + ", ".join(tables)
        + ". Every row is checked with the user's permissions; the rows are written only if "
        "every row is right (all or nothing). Exit status 0 when written (or, with --dry-run, "
        "when every row is right); 1 with the problems (row, column, reason) printed when the "
        f"file is refused. The columns of each table: {columns}."
    )


class SheetImportCommand(BaseCommand):
    """``TABLE FILE [--user U] [--dry-run] [--report OUT.xlsx]`` for the ``tables`` of an app
    (each with ``key`` and ``run(path, name=, actor=, dry_run=)``, as ``sheets`` builds them)."""

    tables: Mapping[str, Any] = {}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("table", choices=list(self.tables), help="the table to import into")
        self.add_file_arguments(parser)

    def add_file_arguments(self, parser: CommandParser) -> None:
        """FILE and the options (a command for one table adds only these)."""
        parser.add_argument("file", help=".xlsx, or .csv in UTF-8 (with or without BOM) or GB18030")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="import as this user, with their permissions (default: the first active "
            "administrator)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row (through the services, rolled back), write nothing",
        )
        parser.add_argument(
            "--report", metavar="OUT.xlsx", help="write every problem to OUT.xlsx when refused"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        table = self.tables[options["table"]]
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = self._actor(options.get("user"))
        result = table.run(path, name=path.name, actor=actor, dry_run=options["dry_run"])
        self._report(table.key, result, actor)
        if result.problems:
            if options.get("report"):
                write_sheet_report(result, options["report"])
                self.stdout.write(f"Report: {options['report']}")
            raise CommandError(
                f"{path.name} refused: {len(result.problems)} problem(s)"
                + (
                    f" in {result.rows_with_problems} of {result.rows_total} rows"
                    if not result.refused
                    else ""
                )
                + "; nothing was written.",
                returncode=1,
            )

    def _actor(self, username: str | None) -> Any:
        """The user named by ``--user``, else the first active administrator."""
        from django.db.models import Q

        from bangfu.accounts.models import Role, User

        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user named {username!r}.")
            return user
        user = (
            User.objects.filter(Q(is_superuser=True) | Q(role=Role.ADMIN), is_active=True)
            .order_by("pk")
            .first()
        )
        if user is None:
            raise CommandError("No active administrator: name the user with --user.")
        return user

    def _report(self, key: str, r: SheetResult, actor: Any) -> None:
        out = self.stdout
        where = f", sheet {r.sheet}" if r.sheet else ""
        out.write(f"Table: {key}. File: {r.file_name}{where} (as {actor.username})")
        out.write(f"Rows: {r.rows_total}")
        if r.ignored_columns:
            out.write("Columns ignored: " + "、".join(r.ignored_columns))
        if not r.problems:
            if r.dry_run:
                out.write("Every row is right. Dry run: nothing was written.")
            else:
                out.write(f"Rows written: {r.written}")
                for what, n in r.outcomes.items():
                    out.write(f"  {what}: {n}")
            return
        shown = r.problems[:SHOWN_PROBLEMS]
        more = len(r.problems) - len(shown)
        out.write(
            f"Problems ({len(r.problems)}):"
            if not more
            else f"First {len(shown)} of {len(r.problems)} problems:"
        )
        for p in shown:
            place = f"row {p.row}, {p.column or '—'}" if p.row is not None else "file"
            value = f" {p.value!r}" if p.value else ""
            out.write(f"  {place}{value}: [{p.code}] {p.message}")
