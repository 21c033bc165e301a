"""``bangfu export households [--region CODE] [--format xlsx|csv|national] [--user USERNAME]
[--unmasked] -o FILE``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.core.errors import BangfuError
from bangfu.registry.exporters import export_households
from bangfu.registry.selectors import HouseholdFilter


class Command(BaseCommand):
    help = "Export households as .xlsx, .csv or the national 26-column layout."

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_subparsers(dest="what", required=True, metavar="households")
        households = what.add_parser(
            "households",
            help="export the households USER may see",
            description=(
                "Export households, one row per person (or per household with --rows "
                "households). ID numbers and bank accounts are masked unless --unmasked is given "
                "and the user may see them; unmasked exports are written to the access log."
            ),
        )
        households.add_argument("-o", "--output", required=True, metavar="FILE")
        households.add_argument("--region", metavar="CODE", help="only this region's subtree")
        households.add_argument(
            "--format",
            choices=["xlsx", "csv", "national"],
            default=None,
            help="xlsx or csv (the Bangfu template's columns) or national (26 columns; .csv "
            "when FILE ends in .csv). Default: from FILE's extension.",
        )
        households.add_argument(
            "--rows", choices=["persons", "households"], default="persons", help="default persons"
        )
        households.add_argument(
            "--user",
            metavar="USERNAME",
            help="export what this user may see, masked as for them (default: an administrator)",
        )
        households.add_argument(
            "--unmasked", action="store_true", help="full ID numbers and bank accounts (logged)"
        )
        households.add_argument("--purpose", default="", help="recorded in the access log")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["output"])
        fmt = options["format"] or ("csv" if target.suffix.lower() == ".csv" else "xlsx")
        user = self._user(options.get("user"))
        filters = HouseholdFilter(region=options["region"]) if options.get("region") else None
        started = time.perf_counter()
        try:
            count = export_households(
                user=user,
                target=target,
                fmt=fmt,
                filters=filters,
                unmasked=options["unmasked"],
                rows=options["rows"],
                purpose=options["purpose"] or "bangfu export (command line)",
            )
        except BangfuError as error:
            raise CommandError(f"{error.message} [{error.code}]") from error
        seconds = time.perf_counter() - started
        masked = "unmasked (logged)" if options["unmasked"] else "masked"
        self.stdout.write(f"{count} rows written to {target} ({fmt}, {masked}) in {seconds:.2f} s")

    def _user(self, username: str | None) -> Any:
        from bangfu.accounts.models import Role, User

        if not username:
            # An administrator that exists only for this command: it sees everything, and the
            # access log records the export without a user.
            return User(username="command-line", role=Role.ADMIN, is_superuser=True)
        user = User.objects.filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user named {username!r}.")
        return user
