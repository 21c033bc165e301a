"""Subtree query: every region below a county, in a tree of 100,000 villages, on SQLite.

Builds a throwaway database in a temporary folder (never touches var/), fills it with a
synthetic but well-formed region tree through ``bulk_create``, and times four ways of asking
"which regions lie below this county?", interleaved round by round so that drift in the
machine's speed hits every method alike:

* ``bangfu``        - ``selectors.region_subtree`` with the unrestricted scope (the subject);
* ``bangfu_scoped`` - the same with a scope of just that county (cost of the scope filter);
* ``bangfu_raw``    - the same SQL through a bare cursor (what the ORM itself costs);
* ``cte``           - peer: a recursive CTE over ``parent_id`` (the adjacency-list way);
* ``like``          - peer: ``code__startswith`` (``LIKE '532822%'``).

Every method must return the same ids, and those must be the ids the generator put below the
county; otherwise the benchmark exits non-zero. Run through ``bench/run.py`` (``make bench``),
which prints the table; ``python bench/bench_regions.py --json PATH`` writes the raw results.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAME = "regions.subtree"
TITLE = "Subtree of one county (1,000 villages) in a tree of 100,000 villages, SQLite"
TARGET_MS = 5.0

# Shape of the synthetic tree: 1 province > 10 prefectures > 10 counties each > 10 townships
# each > 100 villages each: 100 counties, 1,000 townships, 100,000 villages (101,111 rows).
# Every county holds 10 townships and 1,000 villages, so a county's subtree is 1,010 rows.
PROVINCE = "53"
PREFECTURES = 10
COUNTIES_PER_PREFECTURE = 10
TOWNSHIPS_PER_COUNTY = 10
VILLAGES_PER_TOWNSHIP = 100
BATCH_SIZE = 2_000

WARMUP = 20
REPETITIONS = 200


def setup_django(var_dir: Path) -> None:
    """Point Bangfu at an SQLite file in ``var_dir`` and create the schema there."""
    os.environ["BANGFU_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bangfu.settings.base"
    os.environ.pop("DATABASE_URL", None)  # this benchmark is about SQLite, whatever the shell says
    os.environ["DEBUG"] = "false"  # DEBUG would record every query and distort the timings
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def tree_codes() -> dict[int, list[tuple[str, str]]]:
    """(code, parent code) pairs per level, top first; codes zero-padded to 12 digits."""
    from bangfu.regions.codes import CODE_LENGTH

    def full(prefix: str) -> str:
        return prefix.ljust(CODE_LENGTH, "0")

    levels: dict[int, list[tuple[str, str]]] = {level: [] for level in range(1, 6)}
    levels[1].append((full(PROVINCE), ""))
    for p in range(1, PREFECTURES + 1):
        prefecture = f"{PROVINCE}{p:02d}"
        levels[2].append((full(prefecture), full(PROVINCE)))
        for c in range(1, COUNTIES_PER_PREFECTURE + 1):
            county = f"{prefecture}{c:02d}"
            levels[3].append((full(county), full(prefecture)))
            for t in range(1, TOWNSHIPS_PER_COUNTY + 1):
                township = f"{county}{t:03d}"
                levels[4].append((full(township), full(county)))
                for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
                    levels[5].append((f"{township}{v:03d}", full(township)))
    return levels


def build_tree() -> dict[str, int]:
    """Insert the tree level by level with bulk_create; returns code -> id."""
    from django.db import transaction

    from bangfu.regions.codes import Level, check_code_for_level
    from bangfu.regions.models import Region

    ids: dict[str, int] = {}
    for level, pairs in tree_codes().items():
        rows = []
        for code, parent_code in pairs:
            check_code_for_level(code, Level(level))
            rows.append(
                Region(
                    code=code,
                    name_zh=f"{Level(level).name.lower()} {code}",
                    level=level,
                    parent_id=ids[parent_code] if parent_code else None,
                )
            )
        with transaction.atomic():
            Region.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        ids.update(Region.objects.filter(level=level).values_list("code", "id"))
    return ids


def percentile(samples: list[float], pct: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def time_interleaved(methods: dict[str, Callable[[], list[int]]]) -> dict[str, list[float]]:
    """Milliseconds per call for each method; one call of every method per round, rotating
    the order, with the garbage collector paused while timing (as ``timeit`` does)."""
    names = list(methods)
    for _ in range(WARMUP):
        for name in names:
            methods[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    gc.disable()
    try:
        for round_no in range(REPETITIONS):
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter_ns()
                methods[name]()
                samples[name].append((time.perf_counter_ns() - start) / 1e6)
    finally:
        gc.enable()
    return samples


def query_plan(sql: str, params: list[Any] | tuple[Any, ...]) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-") as tmp:
        started = time.perf_counter()
        setup_django(Path(tmp))
        import django
        from django.db import connection

        from bangfu.regions.models import Region
        from bangfu.regions.scope import RegionScope
        from bangfu.regions.selectors import region_subtree

        ids = build_tree()
        build_seconds = time.perf_counter() - started
        table = Region._meta.db_table

        counties = list(Region.objects.filter(level=3).order_by("code"))
        county = counties[len(counties) // 2]
        expected = {
            i for code, i in ids.items() if code.startswith(county.prefix) and code != county.code
        }

        everything = RegionScope.everything()
        only_county = RegionScope.of([county.code])

        subtree_qs = region_subtree(scope=everything, region=county).values_list("id", flat=True)
        range_sql, range_params = subtree_qs.query.sql_with_params()
        cte_sql = (
            f"WITH RECURSIVE subtree(id) AS ("
            f" SELECT id FROM {table} WHERE parent_id = %s"
            f" UNION ALL"
            f" SELECT r.id FROM {table} r JOIN subtree s ON r.parent_id = s.id"
            f") SELECT id FROM subtree"
        )
        like_qs = (
            Region.objects.filter(code__startswith=county.prefix)
            .exclude(pk=county.pk)
            .values_list("id", flat=True)
        )
        like_sql, like_params = like_qs.query.sql_with_params()

        def raw(sql: str, params: list[Any] | tuple[Any, ...]) -> Callable[[], list[int]]:
            def call() -> list[int]:
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    return [row[0] for row in cursor.fetchall()]

            return call

        methods: dict[str, Callable[[], list[int]]] = {
            "bangfu": lambda: list(
                region_subtree(scope=everything, region=county).values_list("id", flat=True)
            ),
            "bangfu_scoped": lambda: list(
                region_subtree(scope=only_county, region=county).values_list("id", flat=True)
            ),
            "bangfu_raw": raw(range_sql, range_params),
            "cte": raw(cte_sql, [county.pk]),
            "like": lambda: list(
                Region.objects.filter(code__startswith=county.prefix)
                .exclude(pk=county.pk)
                .values_list("id", flat=True)
            ),
        }

        # Correctness first: every method, the same ids, and the ids the generator made.
        disagreements = []
        if len(expected) != TOWNSHIPS_PER_COUNTY * (1 + VILLAGES_PER_TOWNSHIP):
            disagreements.append(f"generator: {len(expected)} regions below the county")
        for name, method in methods.items():
            got = method()
            if len(got) != len(set(got)) or set(got) != expected:
                disagreements.append(
                    f"{name}: {len(got)} rows ({len(set(got))} distinct), "
                    f"{len(set(got) - expected)} unexpected, {len(expected - set(got))} missing"
                )
        if disagreements:
            connection.close()
            raise SystemExit(
                f"BENCHMARK INVALID: methods disagree on the subtree of {county.code} "
                f"(expected {len(expected)} ids):\n  " + "\n  ".join(disagreements)
            )

        scoped_sql, scoped_params = (
            region_subtree(scope=only_county, region=county)
            .values_list("id", flat=True)
            .query.sql_with_params()
        )
        plans = {
            "bangfu": query_plan(range_sql, range_params),
            "bangfu_scoped": query_plan(scoped_sql, scoped_params),
            "cte": query_plan(cte_sql, [county.pk]),
            "like": query_plan(like_sql, like_params),
        }
        sql = {
            "bangfu": range_sql % tuple(repr(p) for p in range_params),
            "bangfu_scoped": scoped_sql % tuple(repr(p) for p in scoped_params),
            "cte": cte_sql % (county.pk,),
            "like": like_sql % tuple(repr(p) for p in like_params),
        }

        timing_started = time.perf_counter()
        samples = time_interleaved(methods)
        timing_seconds = time.perf_counter() - timing_started

        # (role, label, like-for-like baseline: the Bangfu method that runs through the same
        # layers, ORM or bare cursor, so that the ratio compares queries and not Python).
        labels = {
            "bangfu": ("subject", "Bangfu: region_subtree, unrestricted scope (ORM)", "bangfu"),
            "bangfu_scoped": (
                "variant",
                "Bangfu: region_subtree, scope = the county (ORM)",
                "bangfu",
            ),
            "bangfu_raw": ("variant", "Bangfu's SQL through a bare cursor", "bangfu_raw"),
            "cte": ("peer", "Peer: recursive CTE over parent_id (bare cursor)", "bangfu_raw"),
            "like": ("peer", "Peer: code__startswith = LIKE 'prefix%' (ORM)", "bangfu"),
        }
        results = []
        for name, values in samples.items():
            role, label, baseline = labels[name]
            results.append(
                {
                    "key": name,
                    "role": role,
                    "label": label,
                    "baseline": baseline,
                    "rows": len(expected),
                    "median_ms": statistics.median(values),
                    "p95_ms": percentile(values, 95),
                    "min_ms": min(values),
                    "mean_ms": statistics.fmean(values),
                }
            )
        medians = {result["key"]: result["median_ms"] for result in results}
        for result in results:
            result["ratio_vs_bangfu"] = result["median_ms"] / medians["bangfu"]
            result["ratio_vs_baseline"] = result["median_ms"] / medians[result["baseline"]]

        with connection.cursor() as cursor:
            cursor.execute("SELECT sqlite_version()")
            (sqlite_version,) = cursor.fetchone()
        db_file = Path(connection.settings_dict["NAME"])
        db_bytes = sum(
            p.stat().st_size for p in db_file.parent.glob(db_file.name + "*") if p.is_file()
        )
        villages = Region.objects.filter(level=5).count()
        connection.close()

        return {
            "name": NAME,
            "title": TITLE,
            "environment": {
                "sqlite": sqlite_version,
                "django": django.get_version(),
                "python": platform.python_version(),
            },
            "dataset": {
                "regions": len(ids),
                "villages": villages,
                "county": county.code,
                "county_prefix": county.prefix,
                "subtree_rows": len(expected),
                "database_bytes": db_bytes,
                "build_seconds": round(build_seconds, 2),
            },
            "warmup": WARMUP,
            "repetitions": REPETITIONS,
            "timing_seconds": round(timing_seconds, 2),
            "subject": "bangfu",
            "target": {
                "method": "bangfu",
                "metric": "median_ms",
                "max_ms": TARGET_MS,
                "met": medians["bangfu"] < TARGET_MS,
            },
            "results": results,
            "sql": sql,
            "query_plans": plans,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here (default: stdout)")
    args = parser.parse_args(argv)
    result = run()
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
