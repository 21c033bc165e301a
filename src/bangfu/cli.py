"""The ``bangfu`` command: Bangfu's own commands (demo, serve, …) and every Django management
command (migrate, createsuperuser, check, …) behind one name."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bangfu.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["bangfu", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
