"""``bangfu policy load FILE.toml ...`` and ``bangfu policy show --year Y [--province P]``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.engine.policy import MissingParameter, PolicyError, load_file
from bangfu.registry.policy import parameters_load, rule_policy


class Command(BaseCommand):
    help = (
        "Policy parameters (thresholds, lines, deadlines) as data: load a deployment's own "
        "policy files into the policy table, or show the rules in force for a year and province."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_subparsers(dest="what", required=True, metavar="load|show")
        load = what.add_parser(
            "load",
            help="check policy files (.toml, the format of src/bangfu/engine/policies) and add "
            "their values to the policy table (every change audited)",
        )
        load.add_argument("files", nargs="+", metavar="FILE.toml")
        load.add_argument("--reason", default="bangfu policy load", help="recorded in the log")
        show = what.add_parser(
            "show", help="the monitoring rules in force, each value with its year and source"
        )
        show.add_argument("--year", type=int, required=True)
        show.add_argument("--province", default="", help="2-digit province code, e.g. 53")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "load":
            self._load(options["files"], options["reason"])
        else:
            self._show(options["year"], options["province"])

    def _load(self, files: list[str], reason: str) -> None:
        params = []
        for name in files:  # every file checked before anything is written
            try:
                params += load_file(name)
            except (PolicyError, OSError) as error:
                raise CommandError(str(error)) from error
        created, updated = parameters_load(actor=None, params=params, reason=reason)
        unchanged = len(params) - created - updated
        self.stdout.write(f"{created} created, {updated} updated, {unchanged} unchanged.")

    def _show(self, year: int, province: str) -> None:
        try:
            rules = rule_policy(year, province)
        except (MissingParameter, PolicyError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            json.dumps(
                {
                    "year": year,
                    "province": province,
                    "version": rules.version,
                    "parameters": rules.described(),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
