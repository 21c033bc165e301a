"""``bangfu demo``: build (or refresh) the demo database and serve it."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.core.errors import BangfuError
from bangfu.demo.builder import DEMO_PASSWORD, build_demo, require_demo_allowed


class Command(BaseCommand):
    help = (
        "Migrate the database, load the real regions and pairings of the seed article and the demo "
        "users (password 'bangfu-demo'), then serve http://127.0.0.1:PORT. Deterministic for a "
        "given --seed and idempotent: running it twice changes nothing. Refused under production "
        "settings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2020, help="seed of generated data (default 2020)"
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
        call_command("migrate", interactive=False, verbosity=0)
        report = build_demo(seed=options["seed"])
        r, p = report.regions, report.pairings
        self.stdout.write(
            f"Regions: {r.created} created, {r.updated} updated, {r.unchanged} unchanged. "
            f"Pairings: {p.created} created, {p.unchanged} unchanged. "
            f"Users: {report.users_created} created."
        )
        self.stdout.write(f"\nDemo logins (password: {DEMO_PASSWORD})")
        for user in report.users:
            self.stdout.write(f"  {user.username:<18} {user.role.label}  {user.display_name}")
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])
