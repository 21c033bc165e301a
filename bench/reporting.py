"""Output shared by the benchmarks that format their own report."""

from __future__ import annotations

import json
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
