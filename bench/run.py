"""Run every benchmark (``bench/bench_*.py``), print a results table, write results/latest.json.

Each module runs in a fresh Python process (``python bench/bench_X.py --json FILE``) so that
benchmarks never share a Django set-up, a database connection or a warm cache. Targets are
reported, not asserted: a missed target prints ``TARGET MISSED`` and the run still exits 0.
A benchmark that fails (for instance because its methods disagree on the answer) makes the
run exit non-zero. Needs no network: every database is built on the spot in a temp folder.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"


def bench_modules() -> list[Path]:
    return sorted(BENCH_DIR.glob("bench_*.py"))


def run_module(path: Path) -> dict[str, Any]:
    """Run one benchmark in its own process and return what it wrote; exit on failure."""
    print(f"Running {path.name} …", flush=True)
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-out-") as tmp:
        out = Path(tmp) / "result.json"
        started = time.perf_counter()
        completed = subprocess.run(  # noqa: S603 - our own interpreter and file
            [sys.executable, str(path), "--json", str(out)],
            cwd=BENCH_DIR.parent,
            check=False,
        )
        if completed.returncode != 0 or not out.exists():
            print(f"\nBENCHMARK FAILED: {path.name} exited with {completed.returncode}.")
            sys.exit(completed.returncode or 1)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    result["wall_seconds"] = round(time.perf_counter() - started, 2)
    return result


def print_report(result: dict[str, Any]) -> None:
    if "report" in result:  # a benchmark that formats its own table
        print()
        print("\n".join(result["report"]))
        return
    env, data = result["environment"], result["dataset"]
    print()
    print(f"== {result['name']}: {result['title']}")
    print(
        f"   SQLite {env['sqlite']}, Django {env['django']}, Python {env['python']}; "
        f"{data['regions']:,} regions ({data['villages']:,} villages), "
        f"{data['database_bytes'] / 1e6:.1f} MB, built in {data['build_seconds']:.1f} s"
    )
    print(
        f"   county {data['county']} (prefix {data['county_prefix']}): "
        f"{data['subtree_rows']:,} regions below it, all methods agree; "
        f"{result['repetitions']} timed calls each after {result['warmup']} warm-up, interleaved"
    )
    print()
    header = (
        f"   {'method':<14} {'median ms':>9} {'p95 ms':>8} {'min ms':>8} "
        f"{'× bangfu':>9} {'× like-for-like':>20}"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for row in result["results"]:
        like_for_like = (
            "—"
            if row["baseline"] == row["key"]
            else f"{row['ratio_vs_baseline']:.2f} vs {row['baseline']}"
        )
        print(
            f"   {row['key']:<14} {row['median_ms']:>9.3f} {row['p95_ms']:>8.3f} "
            f"{row['min_ms']:>8.3f} {row['ratio_vs_bangfu']:>9.2f} {like_for_like:>20}"
        )
    print()
    for row in result["results"]:
        print(f"   {row['key']:<14} {row['label']}")
    print()
    print("   × bangfu = method median / Bangfu median (above 1: Bangfu is faster).")
    print("   × like-for-like = the same against the Bangfu method that runs through the same")
    print("   layers (ORM or bare cursor), so that it compares queries rather than Python.")
    for key, plan in result["query_plans"].items():
        print()
        print(f"   EXPLAIN QUERY PLAN ({key}):  {result['sql'][key]}")
        for line in plan:
            print(f"     {line}")
    target = result["target"]
    value = next(r for r in result["results"] if r["key"] == target["method"])[target["metric"]]
    verdict = "target met" if target["met"] else "TARGET MISSED"
    print()
    print(
        f"   {verdict}: {target['method']} {target['metric']} = {value:.3f} ms "
        f"(target < {target['max_ms']} ms)"
    )


def main() -> int:
    modules = bench_modules()
    if not modules:
        print("No benchmarks found (bench/bench_*.py).")
        return 1
    print(
        f"Bangfu benchmarks on {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    results = [run_module(path) for path in modules]
    for result in results:
        print_report(result)

    missed = [r["name"] for r in results if not r["target"]["met"]]
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "targets_missed": missed,
        "benchmarks": results,
    }
    RESULTS_FILE.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print()
    if missed:
        print(f"TARGET MISSED in: {', '.join(missed)} (reported, not asserted).")
    else:
        print(f"All {len(results)} benchmark target(s) met.")
    print(f"Results written to {RESULTS_FILE.relative_to(BENCH_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
