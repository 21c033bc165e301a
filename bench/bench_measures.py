"""Poverty and inequality measures: Bangfu (Narwhals on Polars) against the PyPI peers.

One deterministic set of 1,000,000 households (5,000 villages in 50 counties; income per
person, household size, sampling weight, ten MPI indicators: ``measures_data.py``) is written
once to Parquet in a temporary folder. On it:

* ``bangfu_parquet``    - the full set at national, county and village level, from the Parquet
                          file: ``income_measures`` (one line, FGT 0-2, Watts, Sen, Gini, Theil T
                          and L, Atkinson; person-weighted: weight × size) and ``mpi`` (k = 1/3;
                          H, A, M0-M2, censored and uncensored headcounts, contributions), six
                          lazy plans collected together (the subject: ≤ 1.0 s);
* ``bangfu_memory``     - the same from the frame in memory;
* ``bangfu_income``, ``bangfu_mpi``, ``bangfu_unweighted`` - the parts that are like-for-like
                          with one peer each (see below);
* ``mpitb``             - peer: ``MPIToolbox.est(over=["village"])``, its per-village run;
* ``pim``               - peer: povertyinequalitymeasures' FGT 0-2 and Gini, looped over the
                          country, its counties and its villages;
* ``pysal``             - peer: PySAL ``inequality``'s ``Gini`` and ``Theil`` over the same three
                          levels (unweighted: the library takes no weights), ``TheilD`` by county;
* ``spark``             - Bangfu's same functions on a PySpark DataFrame (``local[2]``), when
                          PySpark and Java are there; reported, never failing the benchmark;
* ``bangfu_10m``        - the monitoring rules over a 10,000,000-household registry extract
                          (``monitoring_data``) and the full set for 10,000,000 households, from
                          Parquet in a fresh process, with its peak RSS (``VmHWM``; see
                          ``monitoring_run``).

Every peer's numbers are compared with Bangfu's to the peer's precision. Where a peer follows
another convention (rounding, no weights, a Gini missing the Lorenz curve's first segment,
Sen with the whole population's Gini, float identification at exactly k), the difference is
converted or counted and reported, not called a disagreement; anything beyond that makes the
benchmark exit non-zero. Targets are reported, not asserted. Run through ``bench/run.py``
(``make bench``); alone, ``python bench/bench_measures.py`` prints the table on stderr and the
raw results as JSON. ``BANGFU_BENCH_QUICK=1``: 20,000 households in 100 villages (200,000 for
the 10M part), Spark skipped, a smoke run; ``BANGFU_BENCH_SPARK=0`` or ``1`` skips or runs
Spark whatever the size.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from importlib.metadata import version
from pathlib import Path
from typing import Any

import polars as pl

from bangfu.cli import BATCH_ALLOCATOR
from measures_data import INDICATORS, POVERTY_LINE, SEED, write_parquet
from reporting import emit, target_lines  # bench/reporting.py (the script's folder is on sys.path)

NAME = "measures.peers"


def _flag(name: str, default: str = "") -> bool:
    return os.environ.get(name, default).strip().lower() not in {"", "0", "false", "no"}


QUICK = _flag("BANGFU_BENCH_QUICK")
HOUSEHOLDS, VILLAGES, COUNTIES = (20_000, 100, 5) if QUICK else (1_000_000, 5_000, 50)
TITLE = (
    f"Poverty and inequality measures on {HOUSEHOLDS:,} households: Bangfu (Polars) vs mpitb, "
    "povertyinequalitymeasures, PySAL inequality"
)
BIG_CHUNKS = 10  # the "10M" file: ten chunks of the shape above (quick: 200,000 households)
WARMUP = 1
ROUNDS = 3 if QUICK else 5  # timed rounds of the Bangfu methods (median reported)
SPLIT_RUNS = 3  # runs of each of the six plans alone (where the time goes)
BIG_RUNS = 1 if QUICK else 3  # in one fresh process: the first run includes its cold start
SPARK_WARMUP = 0 if QUICK else 1
SPARK_RUNS = 1 if QUICK else 2
SPARK_TIMEOUT = 300 if QUICK else 1500
BIG_TIMEOUT = 600 if QUICK else 1800
# Spark: on by default in a full run, off in a quick one (its session and jobs alone take
# about 30 s); BANGFU_BENCH_SPARK=1 or 0 says otherwise.
SPARK = _flag("BANGFU_BENCH_SPARK", "0" if QUICK else "1")

TARGET_SECONDS = 1.0
TARGET_RATIO_MPITB = 50.0
TARGET_BIG_SECONDS = 20.0
TARGET_BIG_PEAK_BYTES = 12 * 1024**3
# The 10M run, in the process set-up of `bangfu monitor` and `bangfu measure` (freed memory kept
# for reuse, bangfu.cli.BATCH_ALLOCATOR), and again with the allocator's defaults.
BATCH_ENV = dict(BATCH_ALLOCATOR)
BATCH_ENV_TEXT = ", ".join(f"{k}={v}" for k, v in BATCH_ENV.items())
DEFAULT_ENV = {k: "" for k in BATCH_ENV}  # empty: jemalloc reads no options

K = "1/3"
MPITB_K = 100 / 3  # k = 1/3 in mpitb's unit (per cent): the float nearest 100/3
TOL = 1e-9  # agreement of unrounded float64 figures
TOL_5DP = 0.5e-5 + TOL  # a figure rounded to 5 decimals
TOL_SEN = 0.5e-3 + 2e-5 + TOL  # Sen rounded to 3 decimals from two figures rounded to 5

LEVELS: dict[str, tuple[str, ...]] = {
    "national": (),
    "county": ("county",),
    "village": ("county", "village"),
}
MPITB_NAMES = {c: (c if c.startswith("d_") else f"d_{c}") for c, *_ in INDICATORS}

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


# --- Bangfu -----------------------------------------------------------------------------------


def mpi_spec() -> Any:
    from bangfu.engine.measures.mpi import Indicator, MpiSpec

    return MpiSpec([Indicator(c, d, w, cutoff) for c, d, w, cutoff in INDICATORS], k=K)


def income_plans(frame: Any, *, weighted: bool = True) -> list[Any]:
    """``income_measures`` at the three levels (native lazy plans): FGT 0–2, Watts, Sen, Gini,
    Theil T and L — the issue's full set, as ``bangfu measure`` computes it (no Atkinson)."""
    from bangfu.engine.measures.income import income_measures

    persons: dict[str, str] = {"size": "size", "weight": "weight"} if weighted else {}
    return [
        income_measures(frame, income="income", lines=[POVERTY_LINE], by=by, atkinson=(), **persons)
        for by in LEVELS.values()
    ]


def mpi_plans(frame: Any, levels: Sequence[str] = tuple(LEVELS)) -> list[Any]:
    """The MPI at the levels asked for, from one pass (``mpi_levels``: the village sums,
    re-summed per county and for the nation; collected together, the sums are computed once)."""
    from bangfu.engine.measures.mpi import mpi_levels

    spec = mpi_spec()
    return mpi_levels(
        frame, spec, levels=[LEVELS[lv] for lv in levels], size="size", weight="weight"
    )


def full_set(frame: Any) -> list[Any]:
    """The full set at national, county and village level: six plans, income then MPI per
    level. ``frame`` is a Polars LazyFrame or a PySpark DataFrame; the plans are the same kind."""
    income, mpis = income_plans(frame), mpi_plans(frame)
    return [plan for pair in zip(income, mpis, strict=True) for plan in pair]


def monitoring_run(path: str | Path, registry: str | Path) -> list[pl.DataFrame]:
    """The timed part of the 10M figure (the issue's target: ≤ 20 s, ≤ 12 GiB): the monitoring
    rules over a registry extract in Parquet (``monitoring_data``: households, members, incomes,
    guarantees → facts, rules, incidence per county and village, as ``bangfu monitor``
    computes them) and the full set of measures at three levels from the households' file."""
    from bangfu.engine import policy
    from monitoring_data import rules_plans

    policies = {"53": policy.rule_policy(policy.shipped(), 2025, "53")}
    plans = [*rules_plans(registry, policies), *full_set(pl.scan_parquet(path))]
    return pl.collect_all(plans)


def bangfu_methods(path: Path, frame: pl.DataFrame) -> dict[str, Callable[[], Any]]:
    from bangfu.engine.measures.income import theil_decomposition

    lf = frame.lazy()

    def unweighted() -> list[pl.DataFrame]:
        d = theil_decomposition(lf, income="income", by=["county"])
        return pl.collect_all([*income_plans(lf, weighted=False), d.totals, d.groups])

    return {
        "bangfu_parquet": lambda: pl.collect_all(full_set(pl.scan_parquet(path))),
        "bangfu_memory": lambda: pl.collect_all(full_set(lf)),
        "bangfu_income": lambda: pl.collect_all(income_plans(lf)),
        "bangfu_mpi": lambda: pl.collect_all(mpi_plans(lf, ("national", "village"))),
        "bangfu_unweighted": unweighted,
    }


METHODS: dict[str, tuple[str, str, str | None]] = {
    # key: (role, what it computes, the Bangfu method it is like-for-like with)
    "bangfu_parquet": ("subject", "full set, 3 levels, from the Parquet file", None),
    "bangfu_memory": ("subject", "full set, 3 levels, from the frame in memory", None),
    "bangfu_income": ("variant", "income measures only, 3 levels (person-weighted)", None),
    "bangfu_mpi": ("variant", "MPI only, national + villages", None),
    "bangfu_unweighted": (
        "variant",
        "income measures unweighted, 3 levels + Theil decomposition by county",
        None,
    ),
    "mpitb": ("peer", "MPI, national + villages (est over village)", "bangfu_mpi"),
    "pim": ("peer", "FGT 0-2 + Gini, 3 levels (person-weighted)", "bangfu_income"),
    "pysal": (
        "peer",
        "Gini + Theil T, 3 levels (unweighted) + TheilD by county",
        "bangfu_unweighted",
    ),
}


def time_interleaved(
    methods: dict[str, Callable[[], Any]], warmup: int, rounds: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Wall times of every method, round by round in a rotating order, garbage collector
    paused (as ``timeit`` does); and each method's last output."""
    keys = list(methods)
    times: dict[str, list[float]] = {k: [] for k in keys}
    last: dict[str, Any] = {}
    gc.collect()
    gc.disable()
    try:
        for r in range(warmup + rounds):
            for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
                started = time.perf_counter()
                last[key] = methods[key]()
                if r >= warmup:
                    times[key].append(time.perf_counter() - started)
    finally:
        gc.enable()
    return times, last


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        out = fn()
        return time.perf_counter() - started, out
    finally:
        gc.enable()


# --- the peers --------------------------------------------------------------------------------


def peer_frames(frame: pl.DataFrame) -> dict[str, Any]:
    """The pandas frames the peers read, built before any timing. mpitb takes deprivation
    indicators (0/1), so the three cardinal indicators are cut here with the spec's cutoffs
    (Bangfu cuts them inside its timed run); every peer gets the person weight weight × size."""
    pw = (pl.col("weight") * pl.col("size")).alias("pw")
    deprivations = []
    for col, _dim, _w, cutoff in INDICATORS:
        if cutoff is None:
            deprivations.append(pl.col(col).cast(pl.Int64).alias(MPITB_NAMES[col]))
        else:
            cut = pl.col(col) < float(Fraction(cutoff))
            deprivations.append(cut.cast(pl.Int64).alias(MPITB_NAMES[col]))
    return {
        "mpitb": frame.select("county", "village", pw, *deprivations).to_pandas(),
        "pim": frame.select("county", "village", "income", pw).to_pandas(),
        "pysal": frame.select("county", "village", "income").to_pandas(),
    }


def mpitb_weights() -> dict[str, float]:
    return {MPITB_NAMES[c]: float(Fraction(w)) for c, _d, w, _z in INDICATORS}


def run_mpitb(pdf: Any) -> tuple[float, list[dict[str, Any]]]:
    """mpitb's per-village run: national + every village, person-weighted through its survey
    weight (``svyset(weight=…)``, ``svy=True``), k in per cent."""
    from mpitb import MPIToolbox

    toolbox = MPIToolbox()
    dims: dict[str, list[str]] = {}
    for col, dim, _w, _z in INDICATORS:
        dims.setdefault(dim, []).append(MPITB_NAMES[col])
    toolbox.set(name="bangfu", dimensions=[(inds, dim) for dim, inds in dims.items()])
    toolbox.svyset(weight="pw")
    weights = mpitb_weights()
    return timed(
        lambda: toolbox.est(pdf, "bangfu", [MPITB_K], weights=weights, over=["village"], svy=True)
    )


def _pim_one(data: Any) -> dict[str, float]:
    from povertyInequalityMeasures import inequality, poverty

    z = POVERTY_LINE
    return {
        "fgt_0": poverty.get_headcount_index(z, data, "income", "pw"),
        "fgt_1": poverty.get_poverty_gap_index(z, data, "income", "pw"),
        "fgt_2": poverty.get_poverty_severity_index(z, data, "income", "pw"),
        "gini": inequality.get_gini(data, "income", "pw"),
    }


def run_pim(pdf: Any) -> tuple[float, dict[tuple[str, str], dict[str, float]]]:
    """povertyinequalitymeasures: FGT 0-2 and Gini for the country, each county, each village
    (a ``groupby`` loop: the library measures one frame at a time)."""

    def run() -> dict[tuple[str, str], dict[str, float]]:
        out = {("national", ""): _pim_one(pdf)}
        for level in ("county", "village"):
            for key, group in pdf.groupby(level):
                out[(level, str(key))] = _pim_one(group)
        return out

    return timed(run)


def run_pysal(pdf: Any) -> tuple[float, dict[tuple[str, str], dict[str, float]]]:
    """PySAL inequality: Gini and Theil T for the country, each county, each village (one
    array of household incomes each: the classes take no weights), TheilD by county."""
    import numpy as np
    from inequality.gini import Gini
    from inequality.theil import Theil, TheilD

    def run() -> dict[tuple[str, str], dict[str, float]]:
        y = pdf["income"].to_numpy()
        out = {("national", ""): {"gini": float(Gini(y).g), "theil_t": float(Theil(y).T)}}
        for level in ("county", "village"):
            for key, group in pdf.groupby(level):
                yy = group["income"].to_numpy()
                out[(level, str(key))] = {"gini": float(Gini(yy).g), "theil_t": float(Theil(yy).T)}
        d = TheilD(y, pdf["county"].to_numpy())
        out[("theil_d", "county")] = {
            "theil_t": float(np.ravel(d.T)[0]),
            "theil_t_between": float(np.ravel(d.bg)[0]),
            "theil_t_within": float(np.ravel(d.wg)[0]),
        }
        return out

    return timed(run)


# --- agreement --------------------------------------------------------------------------------


class Agreement:
    """Comparisons of one peer with Bangfu: figures compared, the largest difference, the
    disagreements (beyond the tolerance and the documented conventions) with examples."""

    def __init__(self, peer: str) -> None:
        self.peer = peer
        self.compared = 0
        self.max_diff = 0.0
        self.failures: list[str] = []
        self.failure_count = 0
        self.notes: list[str] = []

    def check(self, what: str, got: Any, expected: Any, tol: float) -> bool:
        self.compared += 1
        if got is None or expected is None or (isinstance(got, float) and math.isnan(got)):
            ok = got is None and expected is None
            diff = 0.0 if ok else math.inf
        else:
            diff = abs(float(got) - float(expected))
            ok = diff <= tol
        if ok:
            self.max_diff = max(self.max_diff, diff)
            return True
        self.failure_count += 1
        if len(self.failures) < 8:
            self.failures.append(f"{what}: peer {got!r}, expected {expected!r} (tolerance {tol:g})")
        return False

    @property
    def agree(self) -> bool:
        return self.failure_count == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "agree": self.agree,
            "compared": self.compared,
            "max_abs_diff": self.max_diff,
            "disagreements": self.failure_count,
            "examples": self.failures,
            "notes": self.notes,
        }


def _rows_by_group(frame: pl.DataFrame, level: str) -> dict[str, dict[str, Any]]:
    if level == "national":
        return {"": frame.row(0, named=True)}
    key = LEVELS[level][-1]
    return {str(row[key]): row for row in frame.iter_rows(named=True)}


def _adjusted_mpi(lf: pl.LazyFrame, moved: pl.Expr, level: str) -> pl.DataFrame:
    """Bangfu's MPI with the households selected by ``moved`` counted as not poor: their part of
    every poor-side sum is taken out of ``mpi_sums`` (sums of partitions add up) and the
    measures are finished again. The population side (population, observed, deprived) stays."""
    from bangfu.engine.measures.mpi import mpi_finish, mpi_sums

    spec = mpi_spec()
    by = list(LEVELS[level])
    poor_side = ["poor_population", "score_poor", "gap_poor", "gap2_poor", "severe_population"]
    for col, *_ in INDICATORS:
        poor_side += [f"censored__{col}", f"weighted_censored__{col}"]
    kw: dict[str, Any] = {"size": "size", "weight": "weight", "by": by}
    every = mpi_sums(lf, spec, **kw).collect()
    part = mpi_sums(lf.filter(moved), spec, **kw).collect()
    part = part.select(*by, *(pl.col(c).alias(f"__moved_{c}") for c in poor_side))
    if by:
        joined = every.join(part, on=by, how="left")
    else:
        joined = pl.concat([every, part], how="horizontal")
    adjusted = joined.with_columns(
        (pl.col(c) - pl.col(f"__moved_{c}").fill_null(0)).alias(c) for c in poor_side
    ).drop([f"__moved_{c}" for c in poor_side])
    return mpi_finish(adjusted, spec, by=by)


def mpitb_scores(pdf: Any) -> dict[str, Any]:
    """mpitb's own float scores, replayed as it computes them: the national run scores the
    whole frame, the village run each village's frame (``df_sub[inds].dot(weights)``). The two
    can differ in the last bit for the same household (NumPy's matrix-vector product does not
    promise one order of summation for every shape), so the replay goes group by group as the
    peer does."""
    import numpy as np

    inds = list(MPITB_NAMES.values())
    weights = mpitb_weights()
    w = [weights[i] for i in inds]
    village = np.empty(len(pdf))
    for _key, group in pdf.groupby("village"):
        village[group.index.to_numpy()] = group[inds].dot(w).to_numpy()
    return {"national": pdf[f"score_{MPITB_K}"].to_numpy(), "village": village}


def check_mpitb(
    records: list[dict[str, Any]], pdf: Any, frame: pl.DataFrame, bangfu: dict[str, pl.DataFrame]
) -> tuple[Agreement, dict[str, Any]]:
    """mpitb against Bangfu's MPI at national and village level.

    mpitb scores a household with a float dot product and calls it poor when the score is
    ``>= k/100``. With k = 100/3, k/100 = 0.33333333333333337, above most float sums that
    should be 1/3, so many households whose score is exactly 1/3 are classed as not poor
    (which ones depends on the indicators they are deprived in, and even on the group the
    score is computed in). Those households are counted, then taken out of Bangfu's poor-side
    sums (``_adjusted_mpi``), and mpitb must match the adjusted figures to 1e-9. Any other
    difference in identification is a disagreement. Undefined ratios (A and the relative
    contributions where nobody is poor) are 0 in mpitb and null in Bangfu: counted as that
    convention."""
    from bangfu.engine.measures.mpi import mpi_rows

    spec = mpi_spec()
    agreement = Agreement("mpitb")
    flags = mpi_rows(frame.select([c for c, *_ in INDICATORS]), spec)
    exact_score = flags["mpi_score"].to_numpy()
    exact_poor = flags["mpi_poor"].to_numpy()
    third = exact_score * 3 == spec.denominator
    scores = mpitb_scores(pdf)
    cut = MPITB_K / 100
    peer_poor = {level: score >= cut for level, score in scores.items()}
    if not (peer_poor["national"] == (pdf[f"poor_{MPITB_K}"].to_numpy() == 1)).all():
        agreement.failure_count += 1
        agreement.failures.append("replayed national scores differ from mpitb's own")
    moved = {level: exact_poor & ~poor for level, poor in peer_poor.items()}
    stats: dict[str, Any] = {"households_exactly_k": int(third.sum()), "k_over_100": cut}
    for level, score in scores.items():
        unexplained = (moved[level] & ~third) | (~exact_poor & peer_poor[level])
        stats[level] = {
            "misclassified_non_poor": int(moved[level].sum()),
            "float_sum_below_one_third": int((third & (score < 1 / 3)).sum()),
            "unexplained": int(unexplained.sum()),
        }
        if unexplained.any():
            agreement.failure_count += 1
            agreement.failures.append(
                f"{level}: {int(unexplained.sum())} households identified differently, "
                "not at a score of exactly k"
            )
    stats["national_vs_village_run"] = int((peer_poor["national"] != peer_poor["village"]).sum())
    national = scores["national"]
    # mpitb's guide writes klist=[33]: the cut-off 0.33
    stats["k33_differs"] = int(((national >= 0.33) != exact_poor).sum())
    stats["scores_in_033_to_one_third"] = int(
        ((exact_score * 100 >= 33 * spec.denominator) & ~exact_poor).sum()
    )

    lf = frame.lazy().with_columns(
        pl.Series(f"__moved_{level}", flags) for level, flags in moved.items()
    )
    expected = {
        level: _rows_by_group(_adjusted_mpi(lf, pl.col(f"__moved_{level}"), level), level)
        for level in ("national", "village")
    }
    exact = {
        "national": _rows_by_group(bangfu["mpi_national"], "national"),
        "village": _rows_by_group(bangfu["mpi_village"], "village"),
    }
    columns = {"H": "H", "A": "A", "M0": "M0"}
    ind_columns = {
        "hdk": "censored_h__{}",
        "actb": "contribution__{}",
        "pctb": "relative_contribution__{}",
        "hd": "uncensored_h__{}",
    }
    back = {v: k for k, v in MPITB_NAMES.items()}
    undefined = 0
    groups_changed: set[str] = set()
    for rec in records:
        level = "national" if rec["loa"] == "nat" else rec["loa"]
        group = "" if level == "national" else str(rec["subg"])
        measure = rec["measure"]
        if rec.get("indicator") is not None and measure in ind_columns:
            column = ind_columns[measure].format(back[rec["indicator"]])
        elif measure in columns:
            column = columns[measure]
        else:
            continue
        want = expected[level].get(group, {}).get(column)
        got = rec["b"]
        if want is None and got == 0:
            undefined += 1
            continue
        agreement.check(f"{level} {group} {measure} {rec.get('indicator') or ''}", got, want, TOL)
        first = exact[level].get(group, {}).get(column)
        if first is not None and got is not None and abs(float(got) - first) > TOL:
            groups_changed.add(f"{level}:{group}")
    stats["undefined_as_zero"] = undefined
    stats["groups_differing_before_reconciliation"] = len(groups_changed)
    return agreement, stats


def _first_sorted_weights(
    frame: pl.DataFrame, pim_pdf: Any, level: str
) -> dict[str, tuple[float, float]]:
    """Per group, the income and the person weight of the row povertyinequalitymeasures sorts
    first (its Gini leaves out that row's segment of the Lorenz curve). Unique minimum: that
    row. A minimum shared by several rows, above 0: the peer's own sort, replayed in pandas."""
    by = list(LEVELS[level])[-1:]
    pw = pl.col("weight") * pl.col("size")
    y = pl.col("income")
    aggs = [
        y.min().alias("y1"),
        (y == y.min()).sum().alias("ties"),
        pw.filter(y == y.min()).first().alias("w1"),
    ]
    agg = frame.group_by(by).agg(aggs) if by else frame.select(aggs)
    out: dict[str, tuple[float, float]] = {}
    for row in agg.iter_rows(named=True):
        key = str(row[by[0]]) if by else ""
        w1 = row["w1"]
        if row["ties"] > 1 and row["y1"] > 0:
            data = pim_pdf if not by else pim_pdf[pim_pdf[by[0]] == row[by[0]]]
            w1 = float(data.sort_values(by="income").iloc[0]["pw"])
        out[key] = (row["y1"], w1)
    return out


def check_pim(
    results: dict[tuple[str, str], dict[str, float]],
    frame: pl.DataFrame,
    pim_pdf: Any,
    income: dict[str, pl.DataFrame],
) -> tuple[Agreement, dict[str, Any]]:
    """povertyinequalitymeasures against Bangfu's person-weighted income measures.

    Headcount unrounded (1e-9); gap, severity and Gini are rounded to 5 decimals by the peer.
    Its Gini sums the Lorenz trapezoids from the first sorted row, not from the origin: it
    equals Bangfu's Gini plus w₁·(w₁·y₁)/(W·Y) for that first row (0 when the group's lowest
    income is 0), and is compared after adding that term."""
    agreement = Agreement("pim")
    first = {level: _first_sorted_weights(frame, pim_pdf, level) for level in LEVELS}
    raw_gini_diff = 0.0
    visible = 0
    for level in LEVELS:
        for group, row in _rows_by_group(income[level], level).items():
            peer = results[(level, group)]
            where = f"{level} {group}".strip()
            agreement.check(f"{where} headcount", peer["fgt_0"], row["fgt_0_0"], TOL)
            agreement.check(f"{where} poverty gap", peer["fgt_1"], row["fgt_1_0"], TOL_5DP)
            agreement.check(f"{where} severity", peer["fgt_2"], row["fgt_2_0"], TOL_5DP)
            y1, w1 = first[level][group]
            shift = w1 * w1 * y1 / (row["population"] * row["population"] * row["mean"])
            agreement.check(f"{where} Gini", peer["gini"], row["gini"] + shift, TOL_5DP)
            raw_gini_diff = max(raw_gini_diff, abs(peer["gini"] - row["gini"]))
            visible += shift > TOL_5DP
    stats = {"gini_max_diff_before_conversion": raw_gini_diff, "gini_groups_shifted": visible}
    return agreement, stats


def check_pim_sen(
    frame: pl.DataFrame, pim_pdf: Any, income: dict[str, pl.DataFrame]
) -> tuple[Agreement, dict[str, Any]]:
    """povertyinequalitymeasures' Sen index (national and counties; not timed): H·G + P₁·(1 − G)
    with G the Gini of the *whole* group (Bangfu, like the World Bank Handbook, uses the Gini of
    the poor), rounded to 3 decimals. Compared with that formula computed from Bangfu's H, P₁
    and Gini (with the first-segment term above); the gap to Bangfu's own Sen is reported."""
    from povertyInequalityMeasures import poverty

    agreement = Agreement("pim_sen")
    convention_diff = 0.0
    for level in ("national", "county"):
        first = _first_sorted_weights(frame, pim_pdf, level)
        for group, row in _rows_by_group(income[level], level).items():
            data = pim_pdf if level == "national" else pim_pdf[pim_pdf["county"] == group]
            peer = poverty.get_sen_index(POVERTY_LINE, data.copy(), "income", "pw")
            y1, w1 = first[group]
            g = row["gini"] + w1 * w1 * y1 / (row["population"] ** 2 * row["mean"])
            formula = row["fgt_0_0"] * g + row["fgt_1_0"] * (1 - g)
            agreement.check(f"{level} {group} Sen".strip(), peer, formula, TOL_SEN)
            convention_diff = max(convention_diff, abs(peer - row["sen_0"]))
    return agreement, {"sen_max_diff_to_bangfu": convention_diff}


def check_pysal(
    results: dict[tuple[str, str], dict[str, float]], unweighted: list[pl.DataFrame]
) -> Agreement:
    """PySAL against Bangfu's unweighted income measures (households as the observations, as the
    peer takes them): Gini and Theil T at each level, TheilD by county; unrounded, 1e-9."""
    agreement = Agreement("pysal")
    for level, out in zip(LEVELS, unweighted[:3], strict=True):
        for group, row in _rows_by_group(out, level).items():
            peer = results[(level, group)]
            where = f"{level} {group}".strip()
            agreement.check(f"{where} Gini", peer["gini"], row["gini"], TOL)
            agreement.check(f"{where} Theil T", peer["theil_t"], row["theil_t"], TOL)
    totals = unweighted[3].row(0, named=True)
    for key, value in results[("theil_d", "county")].items():
        agreement.check(f"TheilD by county {key}", value, totals[key], TOL)
    return agreement


def compare_spark(
    polars_out: list[pl.DataFrame], spark_out: list[list[dict[str, Any]]]
) -> Agreement:
    """Bangfu on Spark against Bangfu on Polars: every figure of the six results, 1e-9 relative."""
    agreement = Agreement("spark")
    names = [f"{kind} {level}" for level in LEVELS for kind in ("income", "mpi")]
    for name, ours, theirs in zip(names, polars_out, spark_out, strict=True):
        by = list(LEVELS[name.split()[1]])
        ours_rows = {tuple(r[c] for c in by): r for r in ours.iter_rows(named=True)}
        if len(theirs) != len(ours_rows):
            agreement.failure_count += 1
            agreement.failures.append(f"{name}: {len(theirs)} rows on Spark, {len(ours_rows)}")
            continue
        for row in theirs:
            mine = ours_rows.get(tuple(row.get(c) for c in by))
            if mine is None:
                agreement.failure_count += 1
                agreement.failures.append(f"{name}: group {row} not in the Polars result")
                continue
            for col, value in mine.items():
                if col in by:
                    continue
                scale = max(1.0, abs(value)) if isinstance(value, int | float) else 1.0
                agreement.check(f"{name} {col}", row.get(col), value, TOL * scale)
    return agreement


# --- child processes: the 10M file, the 10M run, Spark -----------------------------------------


def memory(field: str) -> int:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process, in bytes (not ``ru_maxrss``, which
    on Linux carries the parent's size over ``fork``/``exec``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # elsewhere: best effort


def run_child(args: list[str], timeout: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``python bench_measures.py --child …`` in a fresh process (``env`` added to this
    process's environment); its JSON, or ``{"error": …}``."""
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-measures-child-") as tmp:
        out, log = Path(tmp) / "out.json", Path(tmp) / "stderr.txt"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            *args,
            "--out",
            str(out),
        ]
        try:
            with log.open("w") as err:
                completed = subprocess.run(  # noqa: S603 - our own interpreter and file
                    command,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    timeout=timeout,
                    check=False,
                    env={**os.environ, **(env or {})},
                )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
        if completed.returncode != 0 or not out.exists():
            lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
            last = lines[-1].strip() if lines else ""
            return {"error": f"exit {completed.returncode}: {last[:300]}"}
        result: dict[str, Any] = json.loads(out.read_text("utf-8"))
        return result


def big_figures(child: dict[str, Any], households: int) -> dict[str, Any]:
    """The 10M child's figures for the report, or the reason it has none."""
    if "error" in child:
        return {"measured": False, "reason": child["error"]}
    seconds = statistics.median(child["seconds"])
    return {
        "measured": True,
        "seconds": seconds,
        "runs": child["seconds"],
        "households_per_s": households / seconds,
        "peak_rss_bytes": child["peak_rss_bytes"],
        "rss_before_bytes": child["rss_before_bytes"],
    }


def child_generate(path: str, chunks: int) -> dict[str, Any]:
    from monitoring_data import write_registry

    started = time.perf_counter()
    meta = write_parquet(Path(path), chunks, HOUSEHOLDS, VILLAGES, COUNTIES, SEED + 100)
    meta["registry_rows"] = write_registry(
        Path(path).with_suffix(".registry"), chunks * HOUSEHOLDS, SEED + 200
    )
    meta["seconds"] = time.perf_counter() - started
    meta["peak_rss_bytes"] = memory("VmHWM")
    return meta


def child_big(path: str, runs: int) -> dict[str, Any]:
    """The 10M figure in a process of its own (peak RSS is its own)."""
    import bangfu.engine.measures.income
    import bangfu.engine.measures.mpi
    import bangfu.engine.rules  # noqa: F401

    registry = Path(path).with_suffix(".registry")
    rss_before = memory("VmRSS")
    times, shapes = [], []
    for _ in range(runs):
        seconds, out = timed(lambda: monitoring_run(path, registry))
        times.append(seconds)
        shapes = [list(f.shape) for f in out]
        del out
    return {
        "seconds": times,
        "peak_rss_bytes": memory("VmHWM"),
        "rss_before_bytes": rss_before,
        "shapes": shapes,
    }


def child_spark(path: str, warmup: int, runs: int) -> dict[str, Any]:
    """Bangfu's functions on a PySpark DataFrame read from the Parquet file, ``local[2]``."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise SystemExit("java is not on PATH")
    import pyspark
    from pyspark.sql import SparkSession

    started = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bangfu-bench-measures")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - started
    times: list[float] = []
    rows: list[list[dict[str, Any]]] = []
    try:
        for r in range(warmup + runs):
            t0 = time.perf_counter()
            plans = full_set(spark.read.parquet(path))
            collected = [plan.collect() for plan in plans]
            if r >= warmup:
                times.append(time.perf_counter() - t0)
            rows = [[row.asDict() for row in result] for result in collected]
    finally:
        spark.stop()
    return {
        "seconds": times,
        "startup_seconds": startup,
        "pyspark": pyspark.__version__,
        "results": rows,
    }


def child(mode: str, path: str, out: Path, runs: int, warmup: int, chunks: int) -> None:
    if mode == "generate":
        result = child_generate(path, chunks)
    elif mode == "big":
        result = child_big(path, runs)
    elif mode == "spark":
        result = child_spark(path, warmup, runs)
    else:
        raise SystemExit(f"unknown child mode {mode!r}")
    out.write_text(json.dumps(result, default=str), "utf-8")


# --- the run ----------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    names = {
        "polars": "polars",
        "narwhals": "narwhals",
        "pandas": "pandas",
        "numpy": "numpy",
        "mpitb": "mpitb",
        "pim": "povertyinequalitymeasures",
        "pysal_inequality": "inequality",
    }
    out = {"python": platform.python_version()}
    for key, dist in names.items():
        try:
            out[key] = version(dist)
        except Exception:
            out[key] = "not installed"
    return out


def dataset_facts(frame: pl.DataFrame) -> dict[str, Any]:
    from bangfu.engine.measures.mpi import mpi_rows

    spec = mpi_spec()
    scores = mpi_rows(frame.select([c for c, *_ in INDICATORS]), spec)["mpi_score"]
    per_village = frame.group_by("village").len()["len"]
    return {
        "households": frame.height,
        "persons": int(frame["size"].sum()),
        "villages": frame["village"].n_unique(),
        "counties": frame["county"].n_unique(),
        "village_households_min_median_max": [
            int(per_village.min()),
            float(per_village.median()),
            int(per_village.max()),
        ],
        "zero_incomes": int((frame["income"] == 0).sum()),
        "on_the_line": int((frame["income"] == POVERTY_LINE).sum()),
        "score_exactly_k": int((scores * 3 == spec.denominator).sum()),
        "mpi_poor_households": int((scores * 3 >= spec.denominator).sum()),
    }


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def run() -> dict[str, Any]:
    started = time.perf_counter()
    loads: dict[str, float | None] = {}

    def phase(key: str, text: str) -> None:
        loads[key] = _load()
        print(f"  {text} …", file=sys.stderr, flush=True)

    missing = [k for k, v in versions().items() if v == "not installed" and k != "python"]
    if missing:
        raise SystemExit(f"peer libraries missing ({', '.join(missing)}): run `make install-bench`")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-measures-") as tmp:
        folder = Path(tmp)
        path = folder / "households.parquet"
        phase("start", "generating the households")
        gen_started = time.perf_counter()
        meta = write_parquet(path, 1, HOUSEHOLDS, VILLAGES, COUNTIES, SEED)
        meta["seconds"] = time.perf_counter() - gen_started
        frame = pl.read_parquet(path)
        facts = dataset_facts(frame)

        phase("bangfu", "Bangfu")
        methods = bangfu_methods(path, frame)
        times, last = time_interleaved(methods, WARMUP, ROUNDS)
        split_names = [f"{kind} {level}" for level in LEVELS for kind in ("income", "mpi")]
        plans = full_set(frame.lazy())
        split = {}
        for name, plan in zip(split_names, plans, strict=True):
            split[name] = statistics.median(timed(plan.collect)[0] for _ in range(SPLIT_RUNS))

        full = last["bangfu_memory"]
        income = {level: full[2 * i] for i, level in enumerate(LEVELS)}
        bangfu_mpi = {"mpi_national": last["bangfu_mpi"][0], "mpi_village": last["bangfu_mpi"][1]}

        phase("peers", "peers: preparing pandas frames")
        frames = peer_frames(frame)
        phase("mpitb", "peers: mpitb")
        mpitb_seconds, mpitb_records = run_mpitb(frames["mpitb"])
        phase("pim", "peers: povertyinequalitymeasures")
        pim_seconds, pim_results = run_pim(frames["pim"])
        phase("pysal", "peers: PySAL inequality")
        pysal_seconds, pysal_results = run_pysal(frames["pysal"])

        phase("agreement", "agreement")
        mpitb_check, mpitb_stats = check_mpitb(mpitb_records, frames["mpitb"], frame, bangfu_mpi)
        pim_check, pim_stats = check_pim(pim_results, frame, frames["pim"], income)
        sen_check, sen_stats = check_pim_sen(frame, frames["pim"], income)
        pysal_check = check_pysal(pysal_results, last["bangfu_unweighted"])
        del frames

        phase("spark", "Spark")
        if SPARK:
            spark = run_child(
                ["spark", str(path), "--runs", str(SPARK_RUNS), "--warmup", str(SPARK_WARMUP)],
                SPARK_TIMEOUT,
            )
        else:
            why = "skipped in a quick run" if QUICK else "skipped: BANGFU_BENCH_SPARK=0"
            spark = {"error": f"{why}; BANGFU_BENCH_SPARK=1 runs it"}
        spark_check = None
        if "error" not in spark:
            try:
                spark_check = compare_spark(full, spark.pop("results"))
            except Exception as exc:
                spark = {"error": f"results not comparable: {type(exc).__name__}: {exc}"}

        del frame, last, full, income, bangfu_mpi
        gc.collect()
        big_path = folder / "households-10m.parquet"
        phase("generate_10m", f"the {BIG_CHUNKS * HOUSEHOLDS:,}-household file")
        big_meta = run_child(["generate", str(big_path), "--chunks", str(BIG_CHUNKS)], BIG_TIMEOUT)
        if "error" in big_meta:
            raise SystemExit(f"BENCHMARK FAILED: generating the big file: {big_meta['error']}")
        phase("bangfu_10m", f"Bangfu on {big_meta['households']:,} households")
        big = run_child(["big", str(big_path), "--runs", str(BIG_RUNS)], BIG_TIMEOUT, BATCH_ENV)
        phase("bangfu_10m_default", "the same with the allocator's defaults")
        big_default = run_child(
            ["big", str(big_path), "--runs", str(BIG_RUNS)], BIG_TIMEOUT, DEFAULT_ENV
        )

    checks = [mpitb_check, pim_check, sen_check, pysal_check]
    for c in checks:
        if not c.agree:
            problems.append(f"{c.peer}: {c.failure_count} disagreement(s): {c.failures[:3]}")

    med = {k: statistics.median(v) for k, v in times.items()}
    peer_seconds = {"mpitb": mpitb_seconds, "pim": pim_seconds, "pysal": pysal_seconds}
    rows = []
    for key, (role, label, like) in METHODS.items():
        seconds = med[key] if key in med else peer_seconds[key]
        row: dict[str, Any] = {
            "key": key,
            "role": role,
            "label": label,
            "seconds": seconds,
            "households_per_s": HOUSEHOLDS / seconds,
        }
        if key in times:
            row["runs"] = [round(t, 4) for t in times[key]]
        if like:
            row["like_for_like"] = like
            row["ratio_like_for_like"] = seconds / med[like]
            row["ratio_full_set"] = seconds / med["bangfu_parquet"]
        rows.append(row)

    spark_row: dict[str, Any] = {"measured": "error" not in spark}
    if "error" in spark:
        spark_row["reason"] = spark["error"]
    else:
        spark_seconds = statistics.median(spark["seconds"])
        spark_row.update(
            seconds=spark_seconds,
            runs=spark["seconds"],
            households_per_s=HOUSEHOLDS / spark_seconds,
            startup_seconds=spark["startup_seconds"],
            pyspark=spark["pyspark"],
            ratio_to_polars=spark_seconds / med["bangfu_parquet"],
            agreement=spark_check.as_dict() if spark_check else None,
        )

    big_row: dict[str, Any] = {
        "households": big_meta["households"],
        "villages": big_meta["villages"],
        "counties": big_meta["counties"],
        "persons": big_meta["persons"],
        "file_bytes": big_meta["bytes"],
        "generate_seconds": big_meta["seconds"],
        "registry_rows": big_meta["registry_rows"],
        "scope": "monitoring rules + measures",
    }
    big_row.update(big_figures(big, big_meta["households"]))
    big_row["allocator_defaults"] = big_figures(big_default, big_meta["households"])

    ratio_mpitb = mpitb_seconds / med["bangfu_parquet"]
    targets = [
        {
            "what": f"full set, 3 levels, {HOUSEHOLDS:,} households, from Parquet (bangfu_parquet)",
            "value": med["bangfu_parquet"],
            "unit": "s",
            "target": f"<= {TARGET_SECONDS:g}",
            "met": med["bangfu_parquet"] <= TARGET_SECONDS,
        },
        {
            "what": "full set from the frame in memory (bangfu_memory)",
            "value": med["bangfu_memory"],
            "unit": "s",
            "target": f"<= {TARGET_SECONDS:g}",
            "met": med["bangfu_memory"] <= TARGET_SECONDS,
            "informational": True,
        },
        {
            "what": "mpitb's per-village run / Bangfu's full set (bangfu_parquet)",
            "value": ratio_mpitb,
            "unit": "x",
            "target": f">= {TARGET_RATIO_MPITB:g}",
            "met": ratio_mpitb >= TARGET_RATIO_MPITB,
        },
        {
            "what": "mpitb's per-village run / Bangfu's MPI alone (bangfu_mpi, like-for-like)",
            "value": mpitb_seconds / med["bangfu_mpi"],
            "unit": "x",
            "target": f">= {TARGET_RATIO_MPITB:g}",
            "met": mpitb_seconds / med["bangfu_mpi"] >= TARGET_RATIO_MPITB,
            "informational": True,
        },
        {
            "what": f"{big_row['households']:,} households from Parquet, monitoring rules + "
            "measures",
            "value": big_row.get("seconds", math.inf),
            "unit": "s",
            "target": f"<= {TARGET_BIG_SECONDS:g}",
            "met": big_row.get("seconds", math.inf) <= TARGET_BIG_SECONDS,
        },
        {
            "what": "the same with the allocator's defaults (bangfu_10m_default)",
            "value": big_row["allocator_defaults"].get("seconds", math.inf),
            "unit": "s",
            "target": f"<= {TARGET_BIG_SECONDS:g}",
            "met": big_row["allocator_defaults"].get("seconds", math.inf) <= TARGET_BIG_SECONDS,
            "informational": True,
        },
        {
            "what": "peak RSS of that run (VmHWM of its process)",
            "value": big_row.get("peak_rss_bytes", math.inf) / 1024**3,
            "unit": "GiB",
            "target": "<= 12",
            "met": big_row.get("peak_rss_bytes", math.inf) <= TARGET_BIG_PEAK_BYTES,
        },
    ]
    result: dict[str, Any] = {
        "name": NAME,
        "title": TITLE,
        "quick": QUICK,
        "environment": {
            **versions(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            # other work on the machine shows here (1-minute load average)
            "load_average": {**loads, "end": _load()},
        },
        "dataset": {
            **facts,
            "parquet_bytes": meta["bytes"],
            "generate_seconds": meta["seconds"],
            "seed": SEED,
            "poverty_line": POVERTY_LINE,
            "k": K,
        },
        "timing": {"warmup": WARMUP, "rounds": ROUNDS, "split_runs": SPLIT_RUNS},
        "results": rows,
        "split_seconds": split,
        "spark": spark_row,
        "big": big_row,
        "agreement": {
            "mpitb": {**mpitb_check.as_dict(), **mpitb_stats},
            "pim": {**pim_check.as_dict(), **pim_stats},
            "pim_sen": {**sen_check.as_dict(), **sen_stats},
            "pysal": pysal_check.as_dict(),
        },
        "problems": problems,
        "targets": targets,
        "target": {"met": all(t["met"] for t in targets if not t.get("informational"))},
        "seconds": round(time.perf_counter() - started, 1),
    }
    result["report"] = report_lines(result)
    return result


# --- the report -------------------------------------------------------------------------------


def _gib(n: float) -> str:
    return f"{n / 1024**3:.2f} GiB"


def _method_line(key: str, seconds: float, rate: float, like: str, full: str, text: str) -> str:
    return f"   {key:<18} {seconds:>8.3f} {rate:>13,.0f}  {like:<28} {full:>10}  {text}"


def report_lines(result: dict[str, Any]) -> list[str]:
    env, data, ag = result["environment"], result["dataset"], result["agreement"]
    vmin, vmed, vmax = data["village_households_min_median_max"]
    timing = result["timing"]
    lines = [
        f"== {result['name']}: {result['title']}" + (" [QUICK]" if result["quick"] else ""),
        f"   Polars {env['polars']}, Narwhals {env['narwhals']}, pandas {env['pandas']}, "
        f"NumPy {env['numpy']}, Python {env['python']}, {env['cpus']} CPUs; peers: "
        f"mpitb {env['mpitb']}, povertyinequalitymeasures {env['pim']}, "
        f"inequality {env['pysal_inequality']}",
        "   load average (1 min) as each phase began, other work on the machine shows here: "
        + ", ".join(
            f"{k} {v}"
            for k, v in env["load_average"].items()
            if k in {"bangfu", "mpitb", "pim", "pysal", "spark", "bangfu_10m", "end"}
        ),
        f"   data: {data['households']:,} households ({data['persons']:,} persons), "
        f"{data['villages']:,} villages ({vmin}/{vmed:.0f}/{vmax} households min/median/max) "
        f"in {data['counties']} counties, seed {data['seed']}; "
        f"Parquet {data['parquet_bytes'] / 1e6:.1f} MB, generated in "
        f"{data['generate_seconds']:.1f} s",
        f"   income line {data['poverty_line']:,.0f}: {data['zero_incomes']:,} zero incomes, "
        f"{data['on_the_line']:,} exactly on the line; MPI k = {data['k']}, 10 indicators in "
        f"3 dimensions: {data['mpi_poor_households']:,} poor households, "
        f"{data['score_exactly_k']:,} scoring exactly 1/3",
        f"   Bangfu methods: {timing['warmup']} warm-up + {timing['rounds']} timed rounds, "
        "interleaved, median; peers: one timed run each, on pandas frames prepared beforehand",
        "",
        f"   {'method':<18} {'seconds':>8} {'households/s':>13}  {'vs like-for-like':<28} "
        f"{'vs parquet':>10}  computes",
    ]
    lines.append("   " + "-" * 120)
    for row in result["results"]:
        like = (
            f"{row['ratio_like_for_like']:7.1f}× {row['like_for_like']}"
            if "like_for_like" in row
            else ""
        )
        full = f"{row['ratio_full_set']:7.1f}×" if "ratio_full_set" in row else ""
        lines.append(
            _method_line(
                row["key"], row["seconds"], row["households_per_s"], like, full, row["label"]
            )
        )
    spark = result["spark"]
    if spark["measured"]:
        agree = spark["agreement"]
        if agree and agree["agree"]:
            verdict = f"agrees with Polars to 1e-9 ({agree['compared']:,} figures)"
        else:
            verdict = (
                f"DIFFERS from Polars in {agree['disagreements'] if agree else '?'} figures "
                f"(reported only): {agree['examples'][:2] if agree else ''}"
            )
        runs = ", ".join(f"{t:.1f}" for t in spark["runs"])
        text = (
            f"Bangfu's full set, 3 levels, on PySpark {spark['pyspark']} local[2], from the "
            f"Parquet file (runs: {runs} s; session start {spark['startup_seconds']:.1f} s "
            f"not included); {verdict}"
        )
        full = f"{spark['ratio_to_polars']:7.1f}×"
        lines.append(
            _method_line("spark", spark["seconds"], spark["households_per_s"], "", full, text)
        )
    else:
        lines.append(f"   spark: not measured ({spark['reason']})")
    big = result["big"]
    scope = (
        f"monitoring rules (facts, rules, incidence by county and village, over "
        f"{big['registry_rows']['members']:,} members) + the full set of measures, 3 "
        f"levels, {big['households']:,} households ({big['villages']:,} villages, "
        f"{big['counties']} counties) from Parquet ({big['file_bytes'] / 1e6:.0f} MB), "
        "fresh process"
    )
    for key, figures, how in (
        ("bangfu_10m", big, f"; allocator as `bangfu monitor` sets it ({BATCH_ENV_TEXT})"),
        ("bangfu_10m_default", big["allocator_defaults"], "; the allocator's defaults"),
    ):
        if figures["measured"]:
            runs = ", ".join(f"{t:.2f}" for t in figures["runs"])
            text = f"{scope}{how}; peak RSS {_gib(figures['peak_rss_bytes'])} (runs: {runs} s)"
            lines.append(
                _method_line(key, figures["seconds"], figures["households_per_s"], "", "", text)
            )
        else:
            lines.append(f"   {key}: not measured ({figures['reason']})")
    lines += [
        "",
        "   vs = the method's seconds ÷ the Bangfu method's = Bangfu's households/s ÷ the "
        "method's: how many times faster Bangfu is; vs parquet: against bangfu_parquet, the "
        "full set (the target's ratio).",
        "   where the time goes (each of bangfu_memory's six plans collected alone, median s): "
        + ", ".join(f"{k} {v:.3f}" for k, v in result["split_seconds"].items())
        + f"; one after the other {sum(result['split_seconds'].values()):.3f} s",
        "",
        "   agreement with each peer, to the peer's precision:",
    ]
    m = ag["mpitb"]
    nat, vil = m["national"], m["village"]
    lines += [
        f"   mpitb  {'agrees' if m['agree'] else 'DISAGREES'}: {m['compared']:,} figures (H, A, "
        "M0, censored and uncensored headcounts, absolute and relative contributions; "
        f"national + villages) to 1e-9, max |diff| {m['max_abs_diff']:.1e}, once the households "
        "it misclassifies are moved back. Conventions:",
        f"          k = 1/3 given as klist=[100/3]: poor iff float score >= k/100 = "
        f"{m['k_over_100']!r}. Of the {m['households_exactly_k']:,} households scoring exactly "
        f"1/3 it classes {nat['misclassified_non_poor']:,} as non-poor in its national run and "
        f"{vil['misclassified_non_poor']:,} in its village run, which changes the figures of "
        f"{m['groups_differing_before_reconciliation']:,} of the groups",
        "          (which ones depends on the indicators a household is deprived in, and on the "
        f"group: {m['national_vs_village_run']:,} household(s) classed differently by the two "
        f"runs); {nat['float_sum_below_one_third']:,} even have a float score below 1/3 "
        "(1/9 + 1/12 + 1/12 + 1/18 = 0.33333333333333326)",
        "          klist=[33], as mpitb's guide writes it, is the cut-off 0.33: identification "
        f"differs for {m['k33_differs']:,} households here ({m['scores_in_033_to_one_third']:,} "
        "non-poor scores lie in [0.33, 1/3)). Undefined A and relative contributions are 0 in "
        f"mpitb, null in Bangfu ({m['undefined_as_zero']:,} figures)",
    ]
    p = ag["pim"]
    lines += [
        f"   pim    {'agrees' if p['agree'] else 'DISAGREES'}: {p['compared']:,} figures "
        "(headcount to 1e-9; gap, severity and Gini rounded to 5 decimals by the peer; 3 "
        f"levels), max |diff| {p['max_abs_diff']:.1e}. Conventions: its Gini leaves out the "
        "Lorenz curve's first segment (+w₁²y₁/(W·Y), added before comparing):",
        f"          up to {p['gini_max_diff_before_conversion']:.1e} above Bangfu's, visible at "
        f"5 decimals in {p['gini_groups_shifted']:,} groups",
    ]
    s = ag["pim_sen"]
    lines.append(
        f"          its Sen index (national + counties, not timed) "
        f"{'agrees' if s['agree'] else 'DISAGREES'} with H·G + P1·(1 − G) using the whole "
        f"group's Gini ({s['compared']} figures, 3 decimals); Bangfu's Sen (Gini of the poor) "
        f"differs from it by up to {s['sen_max_diff_to_bangfu']:.3f}"
    )
    y = ag["pysal"]
    lines.append(
        f"   pysal  {'agrees' if y['agree'] else 'DISAGREES'}: {y['compared']:,} figures (Gini "
        "and Theil T at 3 levels; TheilD T, between, within by county) to 1e-9, max |diff| "
        f"{y['max_abs_diff']:.1e}. Conventions: no weights (compared with Bangfu called without "
        "size and weight); its Gini has no n/(n-1) factor, as Bangfu's"
    )
    for problem in result["problems"]:
        lines.append(f"   DISAGREEMENT: {problem}")
    lines.append("")
    lines += target_lines(result["targets"])
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the results here (default: stdout)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--chunks", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.out, args.runs, args.warmup, args.chunks)
        return 0
    result = run()
    emit(result, args.json)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
