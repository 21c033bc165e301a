"""``bangfu stats assistance --district CODE [--year Y]``: an eastern district's assistance
figures as JSON (definitions in ``bangfu.assistance.stats`` and docs/pairings.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.assistance.stats import assistance_stats, stats_district
from bangfu.core.errors import BangfuError

SUBJECTS = ["assistance"]


class Command(BaseCommand):
    help = (
        "Print figures counted from the records as JSON. Subject 'assistance': for an eastern "
        "district (12-digit code; a city or province counts all its districts) — its district "
        "pairings; campaigns; social pairings by kind (of its campaigns, of partners registered "
        "in it, or linked to its district pairings); partners; helpers of its campaigns and "
        "partners; households with a plan, measures planned (not cancelled) and delivered, and "
        "visits, over the households assigned to those helpers and every household of the "
        "western regions paired with it; donations pledged and received in yuan (exact "
        "decimals, as strings; received also by donor type); secondments that served, by field "
        "and direction. With --year, records of that year: pairings and assignments whose dates "
        "overlap it, that year's plans, visits and ledger entries, secondments whose span "
        "overlaps it. Exit status 1 with a message for an unknown, malformed or western code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subject", choices=SUBJECTS, help="what to count: assistance")
        parser.add_argument(
            "--district",
            metavar="CODE",
            required=True,
            help="the eastern district's 12-digit region code, e.g. 310120000000 (Fengxian)",
        )
        parser.add_argument(
            "--year", type=int, metavar="Y", help="only records of this calendar year"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year = options.get("year")
        if year is not None and not 1978 <= year <= 2100:
            raise CommandError("--year must lie between 1978 and 2100.")
        try:
            district = stats_district(options["district"])
        except BangfuError as error:
            raise CommandError(f"{error.message} [{error.code}]") from error
        figures = assistance_stats(district=district, year=year)
        self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
