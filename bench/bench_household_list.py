"""The household list page on a database of 1,000,000 households, SQLite.

The database is the demo's (``bangfu demo --households 1000000 --no-serve``: 1M households,
about 3.8M members, incomes and guarantee assessments), built once and cached under
``bench/results/cache`` keyed by a hash of the code that shapes it (the demo generator, the
reference data, the migrations), since building it takes minutes. The page is requested
through Django's test ``Client`` (the whole stack: middleware, session, scope, form, query,
paginator, template), signed in as the administrator and as a county user
(``menghai-county``), for the first page and a filtered page; every request is timed, 50 per
scenario after warm-up, interleaved round by round.

Peers, on the same queryset the view pages through (``views._listed``: the selector, with the
villages and the members' names prefetched):

* ``count``     - ``qs.count()``: the exact ``COUNT(*)`` Django's ``Paginator`` would run on
                  every page;
* ``capped``    - the page's count: ``CappedPaginator`` (``bangfu.core.paging``) counts up to
                  10,001 households, unordered, by primary key;
* ``rows``      - the page's rows alone (``LIMIT 50`` and the prefetch), no count: what a page
                  costs with keyset pagination or an estimated count;
* ``paginator`` - the page's ``CappedPaginator(qs, 50).get_page(1)`` and its rows: count + rows,
                  no template.

Every request must answer 200 and list the households the queryset's first page holds, or
the benchmark is invalid. ``BANGFU_BENCH_QUICK=1`` uses 20,000 households (a smoke run).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reporting import emit, sqlite_env  # bench/reporting.py (the script's folder is on sys.path)

NAME = "registry.household_list"
TITLE = "Household list page on 1,000,000 households, SQLite (first page, filtered page)"

QUICK = os.environ.get("BANGFU_BENCH_QUICK", "").strip() not in {"", "0", "false", "no"}
HOUSEHOLDS = 20_000 if QUICK else 1_000_000
SEED = 2020
PAGE_SIZE = 50
WARMUP = 3
REPETITIONS = 10 if QUICK else 50  # requests per scenario (the target's median and p95)
PEER_REPETITIONS = 5 if QUICK else 15  # calls of each peer (they take up to half a second)
TARGET_MEDIAN_MS = 100.0
TARGET_P95_MS = 250.0

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SRC = ROOT / "src" / "bangfu"
CACHE_DIR = Path(os.environ.get("BANGFU_BENCH_CACHE", BENCH_DIR / "results" / "cache"))
BENCH_DATA_KEY = (
    __import__("base64").urlsafe_b64encode(hashlib.sha256(b"bangfu-bench").digest()).decode()
)

# Filter of the "filtered page": exited households under the monitoring line (6,000 yuan per
# person) in one county's subtree (勐海县) — what a county officer looks at first.
FILTER = {"status": "exited", "income_below": "6000", "region": "532822000000"}
SCENARIOS: dict[str, tuple[str, dict[str, str]]] = {
    "admin_first": ("admin", {}),
    "admin_filtered": ("admin", FILTER),
    "county_first": ("menghai-county", {}),
    "county_filtered": ("menghai-county", FILTER),
}


def code_version() -> str:
    """A hash of what shapes the demo database: generator, reference data, models,
    migrations. A change to any of them builds a new database."""
    digest = hashlib.sha256(f"{HOUSEHOLDS}:{SEED}".encode())
    paths = [
        SRC / "registry" / "demo.py",
        SRC / "demo" / "builder.py",
        SRC / "regions" / "reference.py",
        *sorted((SRC / "regions" / "data").glob("*.csv")),
        *sorted((SRC / "registry" / "data").glob("*.csv")),
        *sorted(SRC.glob("*/models.py")),
        *sorted(SRC.glob("*/migrations/*.py")),
    ]
    for path in paths:
        if path.is_file():
            digest.update(str(path.relative_to(SRC)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def env_for(var_dir: Path) -> dict[str, str]:
    return sqlite_env(var_dir, BENCH_DATA_KEY, BANGFU_ALLOWED_HOSTS="testserver,localhost")


def database() -> tuple[Path, dict[str, Any]]:
    """The cached demo database's folder (BANGFU_VAR_DIR), built if missing."""
    version = code_version()
    folder = CACHE_DIR / f"demo-{HOUSEHOLDS}-{version}"
    meta_path = folder / "build.json"
    if meta_path.exists() and (folder / "bangfu.sqlite3").exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text("utf-8"))
        return folder, {**meta, "cached": True}
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Other code versions, and builds that were interrupted: a 1M database is 2.4 GB.
    for stale in [
        *CACHE_DIR.glob(f"demo-{HOUSEHOLDS}-*"),
        *CACHE_DIR.glob(f"building-{HOUSEHOLDS}-*"),
    ]:
        shutil.rmtree(stale, ignore_errors=True)
    building = CACHE_DIR / f"building-{HOUSEHOLDS}-{version}"
    building.mkdir(parents=True)
    print(
        f"  building the demo database ({HOUSEHOLDS:,} households; minutes for 1M) …",
        file=sys.stderr,
        flush=True,
    )
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own interpreter and command
        [
            sys.executable,
            "-m",
            "bangfu.cli",
            "demo",
            "--households",
            str(HOUSEHOLDS),
            "--seed",
            str(SEED),
            "--no-serve",
        ],
        env=env_for(building),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    with sqlite3.connect(building / "bangfu.sqlite3") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    meta = {
        "households": HOUSEHOLDS,
        "seed": SEED,
        "code_version": version,
        "build_seconds": round(seconds, 1),
        "built_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (building / "build.json").write_text(json.dumps(meta), "utf-8")
    building.rename(folder)
    return folder, {**meta, "cached": False}


def setup_django(var_dir: Path) -> None:
    os.environ.update(env_for(var_dir))
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


def percentile(samples: list[float], pct: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def time_interleaved(
    methods: dict[str, Callable[[], Any]], repetitions: dict[str, int]
) -> dict[str, list[float]]:
    """Milliseconds per call; one call of every method per round (until it has its
    ``repetitions``), rotating the order, with the garbage collector paused while timing (as
    ``timeit`` does)."""
    names = list(methods)
    for _ in range(WARMUP):
        for name in names:
            methods[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    gc.disable()
    try:
        for round_no in range(max(repetitions.values())):
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                if round_no >= repetitions[name]:
                    continue
                start = time.perf_counter_ns()
                methods[name]()
                samples[name].append((time.perf_counter_ns() - start) / 1e6)
    finally:
        gc.enable()
    return samples


def run() -> dict[str, Any]:
    started = time.perf_counter()
    folder, build = database()
    setup_django(folder)
    import django
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from bangfu.accounts.models import User
    from bangfu.core.paging import CappedPaginator
    from bangfu.registry.forms import HouseholdFilterForm
    from bangfu.registry.models import Household, Member
    from bangfu.registry.views import LIST_COUNT_CAP, _filters, _listed

    url = reverse("household-list")
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "menghai-county"])}
    clients: dict[str, Client] = {}
    for username, user in users.items():
        client = Client()
        client.force_login(user)
        clients[username] = client

    def queryset(username: str, params: dict[str, str]) -> Any:
        """The view's queryset (``views._listed``): the selector, the villages and the
        members' names prefetched."""
        return _listed(users[username], _filters(HouseholdFilterForm(params or None)))

    def page_request(username: str, params: dict[str, str]) -> Callable[[], Any]:
        client = clients[username]
        return lambda: client.get(url, params)

    def count(username: str, params: dict[str, str]) -> Callable[[], Any]:
        return lambda: queryset(username, params).count()

    def capped(username: str, params: dict[str, str]) -> Callable[[], Any]:
        return lambda: (
            CappedPaginator(queryset(username, params), PAGE_SIZE, cap=LIST_COUNT_CAP).count
        )

    def rows(username: str, params: dict[str, str]) -> Callable[[], Any]:
        return lambda: [h.members.all() for h in queryset(username, params)[:PAGE_SIZE]]

    def paginator(username: str, params: dict[str, str]) -> Callable[[], Any]:
        def call() -> Any:
            paginator = CappedPaginator(queryset(username, params), PAGE_SIZE, cap=LIST_COUNT_CAP)
            page = paginator.get_page(1)
            return [h.members.all() for h in page.object_list]

        return call

    # Correctness first: each page answers 200 and lists the queryset's first 50 households.
    numbers = re.compile(rb'data-household="([^"]+)"')
    checks: dict[str, Any] = {}
    problems = []
    for key, (username, params) in SCENARIOS.items():
        response = clients[username].get(url, params)
        expected = list(
            queryset(username, params)[:PAGE_SIZE].values_list("household_no", flat=True)
        )
        shown = [n.decode() for n in numbers.findall(response.content)]
        total = queryset(username, params).count()
        checks[key] = {"status": response.status_code, "listed": len(shown), "matching": total}
        if response.status_code != 200 or shown != expected or not expected:
            problems.append(
                f"{key}: HTTP {response.status_code}, {len(shown)} households listed, "
                f"{len(expected)} expected (first {shown[:1]} vs {expected[:1]})"
            )
    if problems:
        raise SystemExit("BENCHMARK INVALID:\n  " + "\n  ".join(problems))

    # Queries per request, and where their time goes (one instrumented request each).
    # Timed with perf_counter around the cursor's execute (SQLite computes a COUNT or a sorted
    # page there: the first row needs all of it); Django's own query log rounds to the ms.
    queries: dict[str, Any] = {}
    for key, (username, params) in SCENARIOS.items():
        timed: list[dict[str, Any]] = []

        def timer(
            execute: Any,
            sql: str,
            sql_params: Any,
            many: bool,
            context: Any,
            timed: list[dict[str, Any]] = timed,
        ) -> Any:
            start = time.perf_counter_ns()
            try:
                return execute(sql, sql_params, many, context)
            finally:
                timed.append({"ms": (time.perf_counter_ns() - start) / 1e6, "sql": sql})

        with connection.execute_wrapper(timer):
            clients[username].get(url, params)
        listed = sorted(timed, key=lambda q: -q["ms"])
        queries[key] = {
            "count": len(listed),
            "sql_ms": sum(q["ms"] for q in listed),
            "slowest": listed[:3],
        }

    plans: dict[str, dict[str, list[str]]] = {}
    for key, (username, params) in SCENARIOS.items():
        qs = queryset(username, params)
        plans[key] = {}
        for what, query in (
            ("count", qs.order_by().values("pk")[: LIST_COUNT_CAP + 1].query),
            ("rows", qs[:PAGE_SIZE].query),
        ):
            sql, sql_params = query.sql_with_params()
            if what == "count":
                sql = f"SELECT COUNT(*) FROM ({sql}) subquery"
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}", sql_params)
                plans[key][what] = [row[-1] for row in cursor.fetchall()]

    methods: dict[str, Callable[[], Any]] = {}
    for key, (username, params) in SCENARIOS.items():
        methods[f"{key}:page"] = page_request(username, params)
        methods[f"{key}:count"] = count(username, params)
        methods[f"{key}:capped"] = capped(username, params)
        methods[f"{key}:rows"] = rows(username, params)
        methods[f"{key}:paginator"] = paginator(username, params)
    repetitions = {n: REPETITIONS if n.endswith(":page") else PEER_REPETITIONS for n in methods}
    timing_started = time.perf_counter()
    samples = time_interleaved(methods, repetitions)
    timing_seconds = time.perf_counter() - timing_started

    results = []
    for key, (username, params) in SCENARIOS.items():
        row: dict[str, Any] = {
            "key": key,
            "user": username,
            "params": params,
            "matching": checks[key]["matching"],
            "queries": queries[key]["count"],
            "sql_ms_one_request": queries[key]["sql_ms"],
            "slowest_queries": queries[key]["slowest"],
        }
        for method in ("page", "count", "capped", "rows", "paginator"):
            values = samples[f"{key}:{method}"]
            row[method] = {
                "median_ms": statistics.median(values),
                "p95_ms": percentile(values, 95),
                "min_ms": min(values),
            }
        row["count_share"] = row["capped"]["median_ms"] / row["page"]["median_ms"]
        row["met"] = (
            row["page"]["median_ms"] <= TARGET_MEDIAN_MS and row["page"]["p95_ms"] <= TARGET_P95_MS
        )
        results.append(row)

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        (sqlite_version,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        analyzed = bool(cursor.fetchone()[0])
    db_file = Path(connection.settings_dict["NAME"])
    db_bytes = sum(p.stat().st_size for p in db_file.parent.glob(db_file.name + "*"))
    households = Household.objects.count()
    members = Member.objects.count()
    connection.close()
    result: dict[str, Any] = {
        "name": NAME,
        "title": TITLE,
        "quick": QUICK,
        "environment": {
            "sqlite": sqlite_version,
            "django": django.get_version(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "dataset": {
            **build,
            "households": households,
            "members": members,
            "database_bytes": db_bytes,
            "analyzed": analyzed,
            "path": str(folder),
        },
        "warmup": WARMUP,
        "repetitions": REPETITIONS,
        "peer_repetitions": PEER_REPETITIONS,
        "timing_seconds": round(timing_seconds, 1),
        "results": results,
        "query_plans": plans,
        "targets": [
            {
                "what": f"{r['key']} page",
                "median_ms": r["page"]["median_ms"],
                "p95_ms": r["page"]["p95_ms"],
                "met": r["met"],
            }
            for r in results
        ],
        "target": {"met": all(r["met"] for r in results)},
        "seconds": round(time.perf_counter() - started, 1),
    }
    result["report"] = report_lines(result)
    return result


def report_lines(result: dict[str, Any]) -> list[str]:
    env, data = result["environment"], result["dataset"]
    lines = [
        f"== {result['name']}: {result['title']}" + (" [QUICK]" if result["quick"] else ""),
        f"   SQLite {env['sqlite']}, Django {env['django']}, Python {env['python']}, "
        f"{env['cpus']} CPUs",
        f"   {data['households']:,} households, {data['members']:,} members, "
        f"{data['database_bytes'] / 1e9:.2f} GB"
        + ("" if data["analyzed"] else " (no ANALYZE statistics)")
        + f"; demo database built in {data['build_seconds']:.0f} s"
        + (f" (cached, code version {data['code_version']})" if data["cached"] else ""),
        f"   test Client, signed in; {result['repetitions']} timed requests per scenario "
        f"({result['peer_repetitions']} calls per peer) after {result['warmup']} warm-up, "
        "interleaved; filtered = " + "&".join(f"{k}={v}" for k, v in FILTER.items()),
        "",
        f"   {'scenario':<16} {'matching':>9} {'page med':>9} {'p95':>7} {'queries':>7} "
        f"{'count med':>9} {'capped':>7} {'rows med':>8} {'paginator':>9} {'capped/page':>11}",
    ]
    lines.append("   " + "-" * (len(lines[-1]) - 3))
    for r in result["results"]:
        lines.append(
            f"   {r['key']:<16} {r['matching']:>9,} {r['page']['median_ms']:>9.1f} "
            f"{r['page']['p95_ms']:>7.1f} {r['queries']:>7} {r['count']['median_ms']:>9.1f} "
            f"{r['capped']['median_ms']:>7.1f} {r['rows']['median_ms']:>8.1f} "
            f"{r['paginator']['median_ms']:>9.1f} {r['count_share']:>11.0%}"
        )
    lines += [
        "",
        "   milliseconds. page = the whole request; count = qs.count() (Django's Paginator's",
        "   exact COUNT); capped = the page's count (up to 10,001); rows = the page's 50 rows and",
        "   their members without a count; paginator = the page's paginator: capped + rows.",
    ]
    for r in result["results"]:
        lines.append("")
        lines.append(
            f"   {r['key']}: {r['queries']} queries, {r['sql_ms_one_request']:.1f} ms of SQL "
            "in one request; slowest:"
        )
        for q in r["slowest_queries"]:
            sql = re.sub(r"\s+", " ", q["sql"])
            lines.append(f"     {q['ms']:8.1f} ms  {sql[:150]}{'…' if len(sql) > 150 else ''}")
        for what, plan in result["query_plans"][r["key"]].items():
            lines.append(f"     plan ({what}): " + " | ".join(plan))
    lines.append("")
    for r in result["results"]:
        verdict = "target met" if r["met"] else "TARGET MISSED"
        lines.append(
            f"   {verdict}: {r['key']} page median {r['page']['median_ms']:.1f} ms "
            f"(<= {TARGET_MEDIAN_MS:g}), p95 {r['page']['p95_ms']:.1f} ms (<= {TARGET_P95_MS:g})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here (default: stdout)")
    args = parser.parse_args(argv)
    result = run()
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
