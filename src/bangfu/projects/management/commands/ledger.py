"""``bangfu ledger verify``: check every invariant of the fund ledger over the whole ledger."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.projects.ledger import ledger_verify
from bangfu.projects.models import Entry, Posting


class Command(BaseCommand):
    help = (
        "verify: replay the whole fund ledger and check every invariant — each entry's postings "
        "add up to zero (at least two), every posting names a fund source, no account but the "
        "external one ever holds less than nothing of a source (so no project pays out more "
        "than was allocated to it), nothing was recorded in a month after it closed, and each "
        "reversal cancels its entry. Prints each breach and exits 1 if there is any, else 0."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"], help="what to do with the ledger")

    def handle(self, *args: Any, **options: Any) -> None:
        breaches = ledger_verify()
        for breach in breaches:
            self.stdout.write(f"BREACH {breach}")
        entries, postings = Entry.objects.count(), Posting.objects.count()
        if breaches:
            raise CommandError(
                f"{len(breaches)} breach(es) in {entries} entries, {postings} postings"
            )
        self.stdout.write(f"ledger verified: {entries} entries, {postings} postings, no breach")
