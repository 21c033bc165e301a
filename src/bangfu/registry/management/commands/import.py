"""``bangfu import households FILE`` and ``bangfu import template -o FILE.xlsx``."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.regions.scope import RegionScope
from bangfu.registry.importers import ImportResult, import_households, write_report
from bangfu.registry.templates_xlsx import write_template

SHOWN_PROBLEMS = 20
logger = logging.getLogger(__name__)
PROGRESS_FROM_BYTES = 1024 * 1024  # smaller files finish before a progress bar helps


class Progress:
    """A progress line on stderr: redrawn in place on a terminal, a line per tenth otherwise
    (so that logs and supervising processes see it too)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.phase = ""
        self.shown = -1
        self.started = time.perf_counter()

    def __call__(self, phase: str, done: int, total: int) -> None:
        labels = {"reading": "reading", "checking": "checking", "writing": "writing"}
        label = labels.get(phase, phase)
        if phase != self.phase:
            if self.tty and self.phase:
                self.stream.write("\n")
            self.phase, self.shown = phase, -1
        if total:
            tenth = done * 10 // total
            bar = "#" * (done * 30 // total)
            text = f"{label:<9} [{bar:<30}] {done}/{total} households"
        else:
            tenth = done // 50000
            text = f"{label:<9} {done} rows"
        elapsed = time.perf_counter() - self.started
        if self.tty:
            self.stream.write(f"\r{text}  {elapsed:5.1f} s")
        elif tenth != self.shown:
            self.stream.write(f"{text}  {elapsed:.1f} s\n")
        self.shown = tenth
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.phase:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import households from a spreadsheet (the national 26-column layout or the Bangfu "
        "template; .xlsx or .csv), or write the Bangfu template."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_subparsers(dest="what", required=True, metavar="households|template")
        households = what.add_parser(
            "households",
            help="import households from FILE (.xlsx or .csv)",
            description=(
                "Import households from FILE. All or nothing: unless every row is accepted, "
                "nothing is written (see --valid-only). A household whose ID numbers belong to "
                "another household already is held for review instead (Registry → ID "
                "conflicts) and the rest is imported. Exit code 0 only when every row was "
                "accepted; 1 when rows have problems; 2 when the import failed; 3 when "
                "households were held for review."
            ),
        )
        households.add_argument(
            "file", help=".xlsx, or .csv in UTF-8 (with or without BOM) or GB18030"
        )
        households.add_argument(
            "--format",
            choices=["national", "bangfu"],
            help="the file's layout (default: recognised from the header)",
        )
        households.add_argument(
            "--dry-run", action="store_true", help="check everything, write nothing"
        )
        households.add_argument(
            "--valid-only",
            action="store_true",
            help="import the households without problems and report the rest",
        )
        households.add_argument(
            "--report", metavar="OUT.xlsx", help="write every problem and rejected row to OUT.xlsx"
        )
        households.add_argument(
            "--user",
            metavar="USERNAME",
            help="import as this user, within their capture scope (default: as an administrator)",
        )
        households.add_argument(
            "--progress",
            choices=["auto", "always", "never"],
            default="auto",
            help="progress on stderr (auto: for files over 1 MB)",
        )
        template = what.add_parser("template", help="write the Bangfu import template (.xlsx)")
        template.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "template":
            target = Path(options["output"])
            write_template(target)
            self.stdout.write(f"Template written to {target}")
            return
        self._households(options)

    def _households(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        actor, capture = self._actor(options.get("user"))
        show = options["progress"] == "always" or (
            options["progress"] == "auto" and path.stat().st_size >= PROGRESS_FROM_BYTES
        )
        progress = Progress(sys.stderr) if show else None
        try:
            result = import_households(
                path,
                actor=actor,
                capture=capture,
                layout=options.get("format"),
                dry_run=options["dry_run"],
                valid_only=options["valid_only"],
                progress=progress,
            )
        except Exception as error:  # a bug, a full disk, a lost database: say so, no traceback
            logger.debug("import of %s failed", path, exc_info=True)
            raise CommandError(
                f"The import stopped unexpectedly ({type(error).__name__}: {error}); its "
                "transaction was rolled back. Run with BANGFU_LOG_LEVEL=DEBUG for details.",
                returncode=2,
            ) from error
        finally:
            if progress is not None:
                progress.close()
        self._summary(result)
        if options.get("report"):
            write_report(result, path, options["report"])
            self.stdout.write(f"Report: {options['report']}")
        if result.problems:
            raise CommandError(
                f"{len(result.problems)} problem(s); {result.rows_rejected} of "
                f"{result.rows_total} rows not accepted.",
                returncode=1,
            )
        if result.queued:
            raise CommandError(
                f"{len(result.queued)} household(s) held for review: their ID numbers belong "
                "to other households (decide on the page /households/conflicts/).",
                returncode=3,
            )

    def _actor(self, username: str | None) -> tuple[Any, RegionScope]:
        if not username:
            return None, RegionScope.everything()
        from bangfu.accounts.models import User
        from bangfu.accounts.scopes import scope_for

        user = User.objects.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user named {username!r}.")
        return user, scope_for(user, "capture")

    def _summary(self, r: ImportResult) -> None:
        out = self.stdout
        layout = {"national": "national 26-column layout", "bangfu": "Bangfu template"}
        out.write(
            f"File: {r.file_name}" + (f" ({layout.get(r.layout, r.layout)})" if r.layout else "")
        )
        out.write(
            f"Rows: {r.rows_total} read, {r.rows_total - r.rows_rejected} accepted, "
            f"{r.rows_rejected} rejected in {r.seconds:.2f} s ({r.rows_per_second:,.0f} rows/s)"
        )
        out.write(
            f"Households: {r.households_created} created, {r.households_updated} updated, "
            f"{r.households_unchanged} unchanged, {r.households_rejected} rejected"
            + (f", {r.households_queued} held for review" if r.households_queued else "")
        )
        if r.ignored_columns:
            out.write("Columns ignored: " + "、".join(r.ignored_columns))
        if r.dry_run:
            out.write("Dry run: nothing was written.")
        elif r.problems and not r.written and not r.refused:
            if r.valid_only:
                out.write("No household could be imported.")
            else:
                out.write(
                    "Nothing was written (all or nothing). Fix the rows below, or use "
                    "--valid-only to import the households without problems."
                )
        if r.problems:
            shown = r.problems[:SHOWN_PROBLEMS]
            more = len(r.problems) - len(shown)
            out.write(
                f"Problems ({len(r.problems)}):"
                if not more
                else f"First {len(shown)} of {len(r.problems)} problems:"
            )
            for p in shown:
                where = f"row {p.row}, {p.column or '—'}" if p.row is not None else "file"
                value = f" {p.value!r}" if p.value else ""
                out.write(f"  {where}{value}: [{p.code}] {p.message}")
        if r.queued:
            out.write(f"Held for review ({len(r.queued)}):")
            for p in r.queued[:SHOWN_PROBLEMS]:
                out.write(f"  row {p.row}: {p.message}")
        if r.batch_id:
            out.write(f"Import batch: #{r.batch_id}")
