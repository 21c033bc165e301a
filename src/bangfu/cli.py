"""The ``bangfu`` command: Bangfu's own commands (demo, serve, …) and every Django management
command (migrate, createsuperuser, check, …) behind one name.

``bangfu measure`` is the exception: the engine's standalone tool for survey files
(``bangfu.engine.cli``), run without setting up Django, so it needs no database and no settings.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# Commands that run the engine over a whole registry and then end (or, for a worker, run the
# next such job). Polars' allocator (jemalloc) hands freed pages back to the system within
# seconds, and a run frees and takes gigabytes many times over: on a 10M-household run the
# kernel re-supplying pages took 6-7 s of system time (2.5 million page faults). For these
# processes the pages are kept for reuse, in one arena (with one per CPU, as by default, the
# kept pages of the others are not reused: the peak grew from 5.6 to 10.5 GiB; with one, to
# 7.2 GiB). A web server keeps the default and returns memory. Read by jemalloc when Polars
# is first loaded, so it is set before anything imports Polars; the environment's own wins.
BATCH_COMMANDS = frozenset({"measure", "monitor", "db_worker"})
BATCH_ALLOCATOR = {"_RJEM_MALLOC_CONF": "narenas:1,dirty_decay_ms:-1,muzzy_decay_ms:-1"}


def batch_allocator(args: Sequence[str]) -> None:
    """Keep freed memory for reuse in the processes of ``BATCH_COMMANDS`` (see above)."""
    if args[:1] and args[0] in BATCH_COMMANDS:
        for name, value in BATCH_ALLOCATOR.items():
            os.environ.setdefault(name, value)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    batch_allocator(args)
    if args[:1] == ["measure"] or args[:2] == ["help", "measure"]:
        from bangfu.engine.cli import main as measure

        rest = args[1:] if args[0] == "measure" else ["--help"]
        sys.exit(measure(rest))
    if args[:1] and "-" in args[0] and not args[0].startswith("-"):
        # Django names a command by its module: `bangfu import-donations` runs import_donations.
        args[0] = args[0].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["bangfu", *args])


if __name__ == "__main__":
    main()
