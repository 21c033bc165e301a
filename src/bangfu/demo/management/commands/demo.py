"""``bangfu demo``: build (or refresh) the demo database and serve it."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.assistance.demo_loop import HELPER_LOGIN, household_loop_demo
from bangfu.core.errors import BangfuError
from bangfu.demo.builder import DEMO_PASSWORD, build_demo, require_demo_allowed
from bangfu.monitoring.runs import run_create, run_execute
from bangfu.registry.demo import ASSESSMENT_YEAR, DEFAULT_HOUSEHOLDS

PROGRESS_FROM = 50_000  # households: below this the load takes seconds, no progress shown


class Command(BaseCommand):
    help = (
        "Migrate the database, load the real regions and pairings of the seed article, the demo "
        "users (password 'bangfu-demo') and generated households, then serve "
        "http://127.0.0.1:PORT. Deterministic for a given --seed and idempotent: running it "
        "twice changes nothing. With a larger --households than the database holds, the missing "
        "households are added (the result is the same as building that size at once); a smaller "
        "number removes nothing; households of another --seed are refused (start from a fresh "
        "database). Refused under production settings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2020, help="seed of generated data (default 2020)"
        )
        parser.add_argument(
            "--households",
            type=int,
            default=DEFAULT_HOUSEHOLDS,
            metavar="N",
            help=(
                f"generated households the database should hold (default {DEFAULT_HOUSEHOLDS:,};"
                " 0 for none). Existing demo households are kept and only the missing ones are "
                "added; fewer than exist removes nothing. 1,000,000 takes a few minutes"
            ),
        )
        parser.add_argument(
            "--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)"
        )
        parser.add_argument(
            "--port", type=int, default=8000, help="port to serve on (default 8000)"
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="build the demo and exit (for scripts)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_demo_allowed()
        except BangfuError as error:
            raise CommandError(f"{error.message} [{error.code}]") from error
        if options["households"] < 0:
            raise CommandError("--households must be 0 or more.")
        call_command("migrate", interactive=False, verbosity=0)
        try:
            report = build_demo(
                seed=options["seed"],
                households=options["households"],
                progress=self._progress(options["households"]),
                assistance=True,
            )
        except BangfuError as error:
            raise CommandError(f"{error.message} [{error.code}]") from error
        r, p = report.regions, report.pairings
        self.stdout.write(
            f"Regions: {r.created} created, {r.updated} updated, {r.unchanged} unchanged. "
            f"Pairings: {p.created} created, {p.unchanged} unchanged. "
            f"Users: {report.users_created} created."
        )
        load = report.households
        if load is not None:
            if load.created:
                self.stdout.write(
                    f"Households: {load.created:,} created ({load.members:,} members, "
                    f"{load.incomes:,} income records, {load.assessments:,} guarantee "
                    f"assessments, {load.villages_created} demo villages) in "
                    f"{load.seconds:.1f} s; {load.total:,} demo households of seed {load.seed}."
                )
            else:
                made_by = "" if load.other else f" of seed {load.seed}"
                self.stdout.write(
                    f"Households: 0 created; {load.total:,} demo households{made_by} already "
                    "present."
                )
            if load.note:
                self.stdout.write(f"  {load.note}")
            if load.created:
                self._monitor()
                self._household_loop(options["seed"])
        social = report.assistance
        if social is not None:
            villages = (
                f", demo villages {social.villages_created}" if social.villages_created else ""
            )
            self.stdout.write(
                f"Assistance created: partners {social.partners_created}, campaigns "
                f"{social.campaigns_created}, social pairings {social.pairings_created}, "
                f"secondments {social.secondments_created}, donation entries "
                f"{social.donations_created}{villages}."
            )
        projects = report.projects
        if projects is not None:
            if projects.already:
                self.stdout.write("Projects: the demo projects and cooperatives are present.")
            else:
                self.stdout.write(
                    f"Projects created: {projects.projects} projects; Dingri {projects.villages} "
                    f"villages ({projects.villages_created} demo villages added), "
                    f"{projects.cooperatives} cooperatives covering {projects.villages_covered} "
                    f"villages, {projects.with_income} with income, {projects.members:,} members, "
                    f"dividends paid {projects.dividends_paid:,.2f} yuan "
                    f"({projects.dividend_payments} payments), {projects.awards} awards "
                    f"({projects.awards_yuan:,.2f} yuan); 纳丙村 wages to "
                    f"{projects.wage_households} households, fresh leaf from "
                    f"{projects.leaf_households} ({projects.seconds:.1f} s; /projects/)."
                )
        self.stdout.write(f"\nDemo logins (password: {DEMO_PASSWORD})")
        for user in report.users:
            self.stdout.write(f"  {user.username:<18} {user.role.label}  {user.display_name}")
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])

    def _monitor(self) -> None:
        """A monitoring run over the new households, so that the worklist has its alerts (only
        when households were added: running the demo again changes nothing)."""
        run = run_execute(run_create(actor=None, year=ASSESSMENT_YEAR).pk)
        counts = run.summary["counts"]
        self.stdout.write(
            f"Monitoring {run.year}: {counts['alert']:,} alerts on the worklist "
            f"(run {run.pk}, {run.seconds:.1f} s; /monitoring/)."
        )

    def _household_loop(self, seed: int) -> None:
        """Helpers, visits, cases and measures on top of the run's alerts (once)."""
        loop = household_loop_demo(seed)
        if loop.helpers_created:
            self.stdout.write(
                f"Helpers: {loop.helpers_created} helpers, {loop.assigned} households "
                f"assigned, {loop.visits} visits, {loop.cases_admitted} monitoring cases, "
                f"{loop.measures} measures (/assistance/; helper login {HELPER_LOGIN})."
            )

    def _progress(self, households: int) -> Any:
        """Progress on stderr, about every 5 % (only for loads large enough to take a while)."""
        started = time.perf_counter()
        shown = [-1]

        def show(done: int, total: int) -> None:
            if total < PROGRESS_FROM:
                return
            step = done * 20 // total
            if step == shown[0] and done < total:
                return
            shown[0] = step
            elapsed = time.perf_counter() - started
            sys.stderr.write(
                f"  households {done:>10,} / {total:,} ({100 * done // total:3d} %) "
                f"{elapsed:6.0f} s\n"
            )
            sys.stderr.flush()

        return show if households >= PROGRESS_FROM else None
