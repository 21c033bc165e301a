"""``bangfu monitor --year Y [--region CODE] [--engine polars|spark] [--user U] [--json]``."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.core.errors import BangfuError
from bangfu.monitoring.runs import ENGINES, run_create, run_execute


class Command(BaseCommand):
    help = (
        "Apply the monitoring rules in force (防返贫监测) to every household of a region for one "
        "year: reads the registry through ADBC, writes the run's results and raises or refreshes "
        "the alerts of the worklist. Exit status 0 when done, 1 when the run failed (the reason "
        "is printed and kept on the run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the income year, e.g. 2025")
        parser.add_argument("--region", metavar="CODE", help="only this region's subtree")
        parser.add_argument(
            "--engine", choices=ENGINES, default="polars", help="polars (default) or spark"
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="record the run as started by this administrator"
        )
        parser.add_argument("--json", action="store_true", help="print the run's summary as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._user(options.get("user"))
        try:
            run = run_create(
                actor=actor,
                year=options["year"],
                region_code=options.get("region"),
                engine=options["engine"],
            )
        except BangfuError as error:
            raise CommandError(f"{error.message} [{error.code}]") from error
        interactive = sys.stderr.isatty()

        def progress(stage: str, percent: int) -> None:
            if interactive:
                sys.stderr.write(f"\r{percent:3d}% {stage:<10}")
                sys.stderr.flush()

        try:
            run = run_execute(run.pk, progress)
        except BangfuError as error:
            raise CommandError(f"run {run.pk} failed: {error.message} [{error.code}]") from error
        if interactive:
            sys.stderr.write("\n")
        if options["json"]:
            self.stdout.write(json.dumps(_summary(run), ensure_ascii=False, indent=2))
            return
        counts = run.summary["counts"]
        self.stdout.write(
            f"run {run.pk}: {run.households} households, year {run.year}, "
            f"{run.seconds:.2f} s, input {run.input_hash[:12]}, "
            f"policy {', '.join(f'{p}:{v}' for p, v in run.policy_versions.items())}"
        )
        for key in sorted(counts):
            self.stdout.write(f"  {key:<32} {counts[key]:>10,}")

    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        from bangfu.accounts.models import User

        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user


def _summary(run: Any) -> dict[str, Any]:
    return {
        "run": run.pk,
        "year": run.year,
        "region": run.region.code if run.region else None,
        "engine": run.engine,
        "seconds": run.seconds,
        "households": run.households,
        "input_hash": run.input_hash,
        "policy_versions": run.policy_versions,
        **run.summary,
    }
