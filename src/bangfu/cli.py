"""The ``bangfu`` command: Bangfu's own commands (demo, serve, …) and every Django management
command (migrate, createsuperuser, check, …) behind one name.

``bangfu measure`` is the exception: the engine's standalone tool for survey files
(``bangfu.engine.cli``), run without setting up Django, so it needs no database and no settings.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["measure"] or args[:2] == ["help", "measure"]:
        from bangfu.engine.cli import main as measure

        rest = args[1:] if args[0] == "measure" else ["--help"]
        sys.exit(measure(rest))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["bangfu", *args])


if __name__ == "__main__":
    main()
