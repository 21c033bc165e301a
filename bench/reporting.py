"""Output shared by the benchmarks that format their own report."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def emit(result: dict[str, Any], json_path: Path | None) -> None:
    """The report lines for people (stderr when JSON goes to stdout), and the JSON result."""
    text = json.dumps(result, indent=2, ensure_ascii=False)
    stream = sys.stdout if json_path else sys.stderr
    print("\n" + "\n".join(result["report"]), file=stream, flush=True)
    if json_path:
        json_path.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


def sqlite_env(var_dir: Path, data_key: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmark process on its own SQLite file: DATABASE_URL dropped
    (these benchmarks are about SQLite, whatever the shell says), DEBUG off (it would record
    every query), a fixed data key, quiet logs."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "BANGFU_VAR_DIR": str(var_dir),
            "DJANGO_SETTINGS_MODULE": "bangfu.settings.base",
            "DEBUG": "false",
            "BANGFU_DATA_KEY": data_key,
            "BANGFU_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


def target_lines(targets: list[dict[str, Any]]) -> list[str]:
    """One line per target: "target met" / "TARGET MISSED", or "(for reference, …)" for an
    informational one; households/s as whole numbers, everything else to two decimals."""
    lines = []
    for t in targets:
        verdict = "target met" if t["met"] else "TARGET MISSED"
        if t.get("informational"):
            verdict = "(for reference, " + ("met" if t["met"] else "missed") + ")"
        value = f"{t['value']:,.0f}" if t["unit"] == "households/s" else f"{t['value']:.2f}"
        lines.append(f"   {verdict}: {t['what']} = {value} {t['unit']} (target {t['target']})")
    return lines
