"""Alkire–Foster MPI: hand-worked examples, exact identification, the missing-data rules, the
edges, and a naive Python-fractions implementation compared exactly on generated data."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction as F
from typing import Any

import narwhals as nw
import polars as pl
import pytest

from bangfu.engine.measures.mpi import (
    Indicator,
    MpiDataError,
    MpiSpec,
    MpiSpecError,
    mpi,
    mpi_finish,
    mpi_rows,
    mpi_sums,
)


def one(frame: pl.DataFrame) -> dict[str, Any]:
    assert frame.height == 1
    return frame.row(0, named=True)


def by_key(frame: pl.DataFrame, *cols: str) -> dict[Any, dict[str, Any]]:
    return {
        tuple(r[c] for c in cols) if len(cols) > 1 else r[cols[0]]: r
        for r in frame.iter_rows(named=True)
    }


# -- Alkire & Foster (2011), the four-person, four-dimension example ---------------------------
#
# Achievements (rows = persons; columns = income, years of schooling, self-reported health,
# a binary-like 0/1 achievement), cutoffs z = (13, 12, 3, 1), equal weights 1/4, k = 2 of 4.
AF = pl.DataFrame(
    {
        "person": [1, 2, 3, 4],
        "income": [13.1, 15.2, 12.5, 20.0],
        "school": [14, 7, 10, 11],
        "health": [4, 5, 1, 3],
        "other": [1, 0, 0, 1],
    }
)
AF_SPEC = MpiSpec(
    [
        Indicator("income", "income", "1/4", cutoff=13),
        Indicator("school", "education", "1/4", cutoff=12),
        Indicator("health", "health", "1/4", cutoff=3),
        Indicator("other", "other", "1/4", cutoff=1),
    ],
    k="1/2",
)


def test_alkire_foster_2011_example() -> None:
    # Deprivation matrix g0 (x < z, strictly; person 4's health 3 is not < 3):
    #   p1: 0 0 0 0 -> c = 0
    #   p2: 0 1 0 1 -> c = 2/4 = 1/2
    #   p3: 1 1 1 1 -> c = 1
    #   p4: 0 1 0 0 -> c = 1/4
    # k = 1/2: poor = {p2, p3}. H = 2/4 = 1/2; A = (1/2 + 1)/2 = 3/4; M0 = H·A = 3/8.
    r = one(mpi(AF, AF_SPEC))
    assert (r["rows"], r["population"], r["poor_population"]) == (4, 4, 2)
    assert (r["H"], r["A"], r["M0"]) == (0.5, 0.75, 0.375)
    # Normalised gaps of the poor: p2 school (12-7)/12 = 5/12, other (1-0)/1 = 1;
    # p3 income (13-12.5)/13 = 1/26, school (12-10)/12 = 1/6, health (3-1)/3 = 2/3, other 1.
    # Σ = 5/12 + 1 + 1/26 + 1/6 + 2/3 + 1 = 171/52; M1 = (1/4)·(1/4)·171/52 = 171/832.
    # Σ squares = 25/144 + 1 + 1/676 + 1/36 + 4/9 + 1 = 21475/8112; M2 = 21475/129792.
    assert r["M1"] == pytest.approx(171 / 832, rel=1e-15)
    assert r["M2"] == pytest.approx(21475 / 129792, rel=1e-15)
    # Uncensored headcounts: income 1/4, school 3/4, health 1/4, other 2/4.
    # Censored (deprived and poor): income 1/4 (p3), school 2/4 (p2, p3), health 1/4, other 2/4.
    assert [r[f"uncensored_h__{c}"] for c in ("income", "school", "health", "other")] == [
        0.25,
        0.75,
        0.25,
        0.5,
    ]
    assert [r[f"censored_h__{c}"] for c in ("income", "school", "health", "other")] == [
        0.25,
        0.5,
        0.25,
        0.5,
    ]
    # Absolute contributions w·CH: 1/16, 1/8, 1/16, 1/8 (sum 6/16 = 3/8 = M0);
    # relative: (1/16)/(3/8) = 1/6, (1/8)/(3/8) = 1/3, 1/6, 1/3.
    assert [r[f"contribution__{c}"] for c in ("income", "school", "health", "other")] == [
        1 / 16,
        1 / 8,
        1 / 16,
        1 / 8,
    ]
    assert [r[f"relative_contribution__{c}"] for c in ("income", "school", "health", "other")] == [
        1 / 6,
        1 / 3,
        1 / 6,
        1 / 3,
    ]
    # One indicator per dimension: dimension figures equal the indicator figures.
    assert r["dimension_contribution__education"] == 1 / 8
    assert r["relative_dimension_contribution__health"] == 1 / 6
    # Bands: p4 (1/4) is vulnerable (1/5 ≤ 1/4 < 1/3, not poor); p2 (1/2) and p3 (1) severe.
    assert (r["vulnerable"], r["severe"]) == (0.25, 0.5)


def test_alkire_foster_rows_and_union_cutoff() -> None:
    rows = mpi_rows(AF, AF_SPEC)
    # D = lcm(4 (weights), 2 (k), 5 and 3 (vulnerable band), 2 (severe)) = 60.
    assert rows["mpi_denominator"].to_list() == [60] * 4
    assert rows["mpi_score"].to_list() == [0, 30, 60, 15]  # 0, 1/2, 1, 1/4
    assert rows["mpi_poor"].to_list() == [False, True, True, False]
    assert rows["mpi_band"].to_list() == ["non_poor", "severe", "severe", "vulnerable"]
    assert rows["mpi_excluded"].to_list() == [False] * 4
    # k = 1/4 (one deprivation suffices, the union approach): p4 joins the poor.
    union = MpiSpec(AF_SPEC.indicators, k="1/4")
    r = one(mpi(AF, union))
    # H = 3/4; A = (1/2 + 1 + 1/4)/3 = 7/12; M0 = 7/16.
    assert (r["H"], r["A"], r["M0"]) == (0.75, 7 / 12, 7 / 16)


# -- exactness: a score of exactly k is poor -------------------------------------------------

# Nested weights like the global MPI's: health 1/3 (two at 1/6), education 1/3 (three at 1/9),
# living standards 1/3 (two at 1/12, three at 1/18).
NESTED = MpiSpec(
    [
        Indicator("h1", "health", "1/6"),
        Indicator("h2", "health", "1/6"),
        Indicator("e1", "education", "1/9"),
        Indicator("e2", "education", "1/9"),
        Indicator("e3", "education", "1/9"),
        Indicator("l1", "living", "1/12"),
        Indicator("l2", "living", "1/12"),
        Indicator("l3", "living", "1/18"),
        Indicator("l4", "living", "1/18"),
        Indicator("l5", "living", "1/18"),
    ],
    k="1/3",
)
NESTED_COLS = [i.column for i in NESTED.indicators]


def nested(*deprived: str, **extra: list[Any]) -> pl.DataFrame:
    return pl.DataFrame({c: [1 if c in deprived else 0] for c in NESTED_COLS} | extra)


def test_score_exactly_one_third_is_poor_whatever_floats_say() -> None:
    # Deprived in e1 (1/9), l1 (1/12), l2 (1/12), l3 (1/18): 4/36 + 3/36 + 3/36 + 2/36 = 1/3.
    # A float sum in that order falls below 1/3: the peer classes this household non-poor.
    total = 0.0
    for w in (1 / 9, 1 / 12, 1 / 12, 1 / 18):
        total += w
    assert total < 1 / 3
    frame = nested("e1", "l1", "l2", "l3")
    row = mpi_rows(frame, NESTED).row(0, named=True)
    # D = lcm(6, 9, 12, 18, 3, 5, 3, 2) = 180; score = 20 + 15 + 15 + 10 = 60 = 180/3.
    assert (row["mpi_score"], row["mpi_denominator"]) == (60, 180)
    assert F(row["mpi_score"], row["mpi_denominator"]) == F(1, 3)
    assert row["mpi_poor"] is True and row["mpi_band"] == "poor"
    r = one(mpi(frame, NESTED))
    assert (r["H"], r["A"], r["M0"]) == (1.0, 1 / 3, 1 / 3)
    # One indicator less (l3, 1/18): 1/3 - 1/18 = 5/18 is vulnerable, not poor.
    row = mpi_rows(nested("e1", "l1", "l2"), NESTED).row(0, named=True)
    assert F(row["mpi_score"], 180) == F(5, 18)
    assert (row["mpi_poor"], row["mpi_band"]) == (False, "vulnerable")


def test_band_boundaries_are_exact() -> None:
    # Ten binary indicators at 1/10: scores are tenths. Vulnerable is [1/5, 1/3), severe ≥ 1/2.
    spec = MpiSpec([Indicator(f"d{i}", f"dim{i % 3}", "0.1") for i in range(10)], k="1/3")
    counts = [0, 1, 2, 3, 4, 5, 10]
    frame = pl.DataFrame({f"d{i}": [1 if i < n else 0 for n in counts] for i in range(10)})
    rows = mpi_rows(frame, spec)
    # 0 and 1/10 non-poor; 2/10 = 1/5 (the lower bound, included) and 3/10 vulnerable;
    # 4/10 ≥ 1/3 poor; 5/10 = 1/2 (included) and 1 severe.
    assert rows["mpi_band"].to_list() == [
        "non_poor",
        "non_poor",
        "vulnerable",
        "vulnerable",
        "poor",
        "severe",
        "severe",
    ]
    r = one(mpi(frame, spec))
    assert (r["vulnerable"], r["severe"], r["H"]) == (2 / 7, 2 / 7, 3 / 7)


def test_cardinal_cutoffs_compare_exactly_and_strictly() -> None:
    spec = MpiSpec(
        [
            Indicator("share", "a", "1/3", cutoff="1/3"),
            Indicator("years", "b", "1/3", cutoff="5/2"),
            Indicator("rate", "c", "1/3", cutoff=Decimal("0.1")),
        ],
        k="1/3",
    )
    frame = pl.DataFrame(
        {
            # float(1/3) = 0.33333333333333331… is below 1/3: deprived; the next float is not.
            "share": [1 / 3, 0.33333333333333337, 0.5, 0.0],
            # 2 < 5/2 deprived, 3 not.
            "years": [3, 3, 2, 3],
            # the float 0.1 is 0.1000000000000000055… > 1/10: not deprived; its predecessor is.
            "rate": [0.1, 0.1, 0.1, 0.09999999999999999],
        }
    )
    rows = mpi_rows(frame, spec)
    # D = lcm(3 (weights, k), 5 and 3 (vulnerable), 2 (severe)) = 30; one deprivation = 10.
    # Row 1: share only; row 2: nothing; row 3: years only; row 4: share and rate.
    assert rows["mpi_score"].to_list() == [10, 0, 10, 20]
    assert rows["mpi_poor"].to_list() == [True, False, True, True]


# -- the edges -------------------------------------------------------------------------------


def test_all_poor_no_poor_and_one_household_groups() -> None:
    frame = pl.concat(
        [
            nested("h1", "h2", v=["all"]),  # 1/3
            nested("h1", "e1", "e2", "e3", v=["all"]),  # 1/6 + 1/3 = 1/2
            nested("l1", v=["none"]),  # 1/12
            nested(v=["none"]),  # 0
            nested("h1", "h2", "e1", v=["single"]),  # 1/3 + 1/9 = 4/9
        ]
    )
    r = by_key(mpi(frame, NESTED, by=["v"]), "v")
    # All poor: H = 1, A = (1/3 + 1/2)/2 = 5/12 = M0.
    assert (r["all"]["H"], r["all"]["A"], r["all"]["M0"]) == (1.0, 5 / 12, 5 / 12)
    # h1 deprived in both households and poor: CH = 1; contribution 1/6·1 = 1/6, of M0 5/12
    # relative (1/6)/(5/12) = 2/5. Health dimension: (1/6 + 1/6 + 1/6)/2 = 1/4, relative 3/5.
    assert r["all"]["contribution__h1"] == 1 / 6
    assert r["all"]["relative_contribution__h1"] == 2 / 5
    assert r["all"]["dimension_contribution__health"] == 1 / 4
    assert r["all"]["relative_dimension_contribution__health"] == 3 / 5
    # Nobody poor: H = M0 = 0; A and the relative contributions are undefined (null).
    none = r["none"]
    assert (none["H"], none["M0"], none["M1"], none["A"]) == (0.0, 0.0, 0.0, None)
    assert none["relative_contribution__l1"] is None
    assert none["uncensored_h__l1"] == 0.5 and none["censored_h__l1"] == 0.0
    # One household, poor: H = 1, A = M0 = 4/9.
    assert (r["single"]["rows"], r["single"]["H"], r["single"]["A"]) == (1, 1.0, 4 / 9)


def test_person_weights_household_size_and_sampling_weight() -> None:
    frame = pl.concat(
        [
            nested("h1", "h2", size=[5], w=[1.0]),  # poor, 5 persons
            nested(size=[1], w=[2.0]),  # not poor, 1 person
        ]
    )
    # Households: H = 1/2. Persons: 5 of 6 poor.
    assert one(mpi(frame, NESTED))["H"] == 0.5
    r = one(mpi(frame, NESTED, size="size"))
    assert (r["population"], r["poor_population"], r["H"], r["M0"]) == (6, 5, 5 / 6, 5 / 18)
    # Sampling weight × size: 1·5 = 5 poor, 2·1 = 2 not: H = 5/7, M0 = 5/7 · 1/3 = 5/21.
    r = one(mpi(frame, NESTED, size="size", weight="w"))
    assert r["population"] == 7.0
    assert r["H"] == pytest.approx(5 / 7, rel=1e-15)
    assert r["M0"] == pytest.approx(5 / 21, rel=1e-15)


# -- missing indicators ----------------------------------------------------------------------

THIRDS = MpiSpec(
    [
        Indicator("h1", "health", "1/6"),
        Indicator("h2", "health", "1/6"),
        Indicator("e1", "education", "1/6"),
        Indicator("e2", "education", "1/6"),
        Indicator("l1", "living", "1/9"),
        Indicator("l2", "living", "1/9"),
        Indicator("l3", "living", "1/9"),
    ],
    k="1/3",
)
MISSING = pl.DataFrame(
    {
        "hh": ["A", "B", "C", "D", "E"],
        "h1": [None, 0, None, 0, 0],
        "h2": [1, 0, None, 0, 0],
        "e1": [0, 1, 0, 1, 0],
        "e2": [0, 0, 0, 1, 0],
        "l1": [0, None, 0, 0, 1],
        "l2": [0, 1, 0, 0, 0],
        "l3": [0, 1, 0, 0, 0],
    }
)


def test_missing_drop_is_the_default() -> None:
    assert THIRDS.missing == "drop"
    # A, B, C miss an indicator: left out. D: e1 + e2 = 1/3, poor; E: l1 = 1/9, not poor.
    # H = 1/2, A = 1/3, M0 = 1/6.
    r = one(mpi(MISSING, THIRDS))
    assert (r["rows"], r["rows_excluded"], r["population"]) == (5, 3, 2)
    assert (r["H"], r["A"], r["M0"]) == (0.5, 1 / 3, 1 / 6)
    rows = mpi_rows(MISSING, THIRDS)
    assert rows["mpi_excluded"].to_list() == [True, True, True, False, False]
    assert rows["mpi_score"].to_list() == [None, None, None, 30, 10]  # D = 90
    assert rows["mpi_band"].to_list() == [None, None, None, "poor", "non_poor"]


def test_missing_reweight_within_the_dimension_stays_exact() -> None:
    spec = MpiSpec(THIRDS.indicators, k="1/3", missing="reweight")
    # D = lcm(6, 9, 3, 5, 3, 2) = 90; integer weights h, e: 15 each, l: 10 each. Observed
    # dimension weights: health {15, 30}, education {15, 30}, living {10, 20, 30}:
    # L = lcm(15, 30, 10, 20) = 60, denominator 90·60 = 5400.
    assert (spec.base, spec.reweight_factor, spec.denominator) == (90, 60, 5400)
    rows = mpi_rows(MISSING, spec)
    # A: h1 missing, health's 1/3 moves to h2 (deprived): 1/3, poor.
    # B: l1 missing, l2 and l3 weigh 1/6 each; deprived e1 (1/6), l2, l3: 1/2, severe.
    # C: all of health missing: left out. D: 1/3 poor. E: 1/9.
    assert rows["mpi_excluded"].to_list() == [False, False, True, False, False]
    scores = [None if s is None else F(s, 5400) for s in rows["mpi_score"].to_list()]
    assert scores == [F(1, 3), F(1, 2), None, F(1, 3), F(1, 9)]
    assert rows["mpi_band"].to_list() == ["poor", "severe", None, "poor", "non_poor"]
    r = one(mpi(MISSING, spec))
    # Four households kept, three poor: H = 3/4; A = (1/3 + 1/2 + 1/3)/3 = 7/18; M0 = 7/24.
    assert (r["rows_excluded"], r["population"]) == (1, 4)
    assert (r["H"], r["A"], r["M0"]) == (0.75, 7 / 18, 7 / 24)
    # Contributions with each row's weights: h2 (1/3)/4 = 1/12; e1 (1/6 + 1/6)/4 = 1/12;
    # e2, l2, l3: (1/6)/4 = 1/24 each; l1, h1: 0. Σ = 7/24 = M0.
    assert r["contribution__h2"] == 1 / 12
    assert r["contribution__e1"] == 1 / 12
    assert [r[f"contribution__{c}"] for c in ("e2", "l2", "l3", "l1", "h1")] == [
        1 / 24,
        1 / 24,
        1 / 24,
        0.0,
        0.0,
    ]
    # Uncensored headcount of h1 counts only households where h1 is observed (B, D, E).
    assert r["uncensored_h__h1"] == 0.0
    assert r["uncensored_h__l1"] == 1 / 3  # observed in A, D, E; E deprived


def test_missing_nan_counts_as_missing() -> None:
    spec = MpiSpec(
        [Indicator("x", "a", "1/2", cutoff=5), Indicator("d", "b", "1/2")],
        k="1/2",
    )
    frame = pl.DataFrame({"x": [float("nan"), 1.0, None], "d": [1, 0, 1]})
    rows = mpi_rows(frame, spec)
    assert rows["mpi_excluded"].to_list() == [True, False, True]
    assert rows["mpi_poor"].to_list() == [None, True, None]


# -- grouping, lazy frames, partitions -------------------------------------------------------


def generated(seed: int, n: int = 400) -> pl.DataFrame:
    rnd = random.Random(seed)
    floats = [0.0, 0.1, 1 / 3, 0.33333333333333337, 0.5, 1.0, None, math.nan]
    data: dict[str, list[Any]] = {
        "county": [rnd.choice("xy") for _ in range(n)],
        "village": [rnd.randint(1, 4) for _ in range(n)],
        "size": [rnd.randint(1, 6) for _ in range(n)],
        "wt": [rnd.choice([0.5, 1.0, 1.25, 3.0]) for _ in range(n)],
    }
    for c in ("b1", "e1", "e3", "l1", "l3", "l4", "l5"):
        # Mostly 0/1 (one in four deprived), a tenth of the columns' cells possibly missing.
        data[c] = [
            rnd.choice([0, 0, 1, None] if rnd.random() < 0.1 else [0, 0, 0, 1]) for _ in range(n)
        ]
    data["c1"] = [
        rnd.choice(floats) if rnd.random() < 0.3 else rnd.choice(floats[:6]) for _ in range(n)
    ]
    data["e2"] = [rnd.choice([0, 1, 2, 3, 4, None]) for _ in range(n)]
    data["l2"] = [rnd.choice(floats[:6]) for _ in range(n)]
    return pl.DataFrame(data, schema_overrides={"e2": pl.Int32})


GEN_INDICATORS = [
    Indicator("b1", "health", "1/6"),
    Indicator("c1", "health", "1/6", cutoff="1/3"),
    Indicator("e1", "education", "1/9"),
    Indicator("e2", "education", "1/9", cutoff="5/2"),
    Indicator("e3", "education", "1/9"),
    Indicator("l1", "living", "1/12"),
    Indicator("l2", "living", "1/12", cutoff="0.1"),
    Indicator("l3", "living", "1/18"),
    Indicator("l4", "living", "1/18"),
    Indicator("l5", "living", "1/18"),
]


def naive(
    frame: pl.DataFrame, spec: MpiSpec, by: list[str], size: str | None = None
) -> tuple[dict[Any, dict[str, F | None]], list[F | None]]:
    """A direct transcription of the definitions, one household at a time, in fractions.

    Returns the measures per group and each row's score (None when left out)."""
    dims = {i.dimension for i in spec.indicators}
    out: dict[Any, dict[str, Any]] = {}
    scores: list[F | None] = []
    for row in frame.iter_rows(named=True):
        key = tuple(row[c] for c in by)
        g = out.setdefault(
            key,
            {"rows": 0, "excluded": 0, "pop": 0, "poor": 0, "score": F(0), "vul": 0, "sev": 0}
            | {"gap": F(0), "gap2": F(0)}
            | {f"obs_{i.column}": 0 for i in spec.indicators}
            | {f"dep_{i.column}": 0 for i in spec.indicators}
            | {f"cens_{i.column}": 0 for i in spec.indicators}
            | {f"wc_{i.column}": F(0) for i in spec.indicators},
        )
        g["rows"] += 1
        p = 1 if size is None else row[size]

        def missing(v: Any) -> bool:
            return v is None or (isinstance(v, float) and math.isnan(v))

        seen = {i.column for i in spec.indicators if not missing(row[i.column])}
        weights: dict[str, F] = {}
        if spec.missing == "drop":
            if len(seen) < len(spec.indicators):
                g["excluded"] += 1
                scores.append(None)
                continue
            weights = {i.column: i.weight for i in spec.indicators}
        else:
            dropped = False
            for d in dims:
                members = [i for i in spec.indicators if i.dimension == d]
                observed = sum((i.weight for i in members if i.column in seen), F(0))
                if observed == 0:
                    dropped = True
                total = sum((i.weight for i in members), F(0))
                for i in members:
                    if i.column in seen:
                        weights[i.column] = i.weight * total / observed
            if dropped:
                g["excluded"] += 1
                scores.append(None)
                continue
        deprived = set()
        for i in spec.indicators:
            v = row[i.column]
            if i.column not in seen:
                continue
            if (v == 1) if i.cutoff is None else (F(v) < i.cutoff):
                deprived.add(i.column)
        score = sum((weights[c] for c in deprived), F(0))
        scores.append(score)
        poor = score >= spec.k
        g["pop"] += p
        for c in seen:
            g[f"obs_{c}"] += p
        for c in deprived:
            g[f"dep_{c}"] += p
            if poor:
                g[f"cens_{c}"] += p
                g[f"wc_{c}"] += p * weights[c]
        if poor:
            g["poor"] += p
            g["score"] += p * score
            for i in spec.indicators:
                if i.column in deprived:
                    # Normalised gap (z - x)/z of a cardinal indicator, 1 for a binary one.
                    gap = F(1) if i.cutoff is None else (i.cutoff - F(row[i.column])) / i.cutoff
                    g["gap"] += p * weights[i.column] * gap
                    g["gap2"] += p * weights[i.column] * gap * gap
        lo, hi = spec.vulnerable
        g["vul"] += p if (not poor and lo <= score < hi) else 0
        g["sev"] += p if score >= spec.severe else 0

    def ratio(a: Any, b: Any) -> F | None:
        return None if b == 0 else F(a) / F(b)

    result: dict[Any, dict[str, F | None]] = {}
    for key, g in out.items():
        r: dict[str, Any] = {
            "rows": g["rows"],
            "rows_excluded": g["excluded"],
            "population": g["pop"],
            "poor_population": g["poor"],
            "H": ratio(g["poor"], g["pop"]),
            "A": ratio(g["score"], g["poor"]),
            "M0": ratio(g["score"], g["pop"]),
            "M1": ratio(g["gap"], g["pop"]),
            "M2": ratio(g["gap2"], g["pop"]),
            "vulnerable": ratio(g["vul"], g["pop"]),
            "severe": ratio(g["sev"], g["pop"]),
        }
        for i in spec.indicators:
            c = i.column
            r[f"uncensored_h__{c}"] = ratio(g[f"dep_{c}"], g[f"obs_{c}"])
            r[f"censored_h__{c}"] = ratio(g[f"cens_{c}"], g["pop"])
            r[f"contribution__{c}"] = ratio(g[f"wc_{c}"], g["pop"])
            r[f"relative_contribution__{c}"] = ratio(g[f"wc_{c}"], g["score"])
        for d in dims:
            wd = sum((g[f"wc_{i.column}"] for i in spec.indicators if i.dimension == d), F(0))
            r[f"dimension_contribution__{d}"] = ratio(wd, g["pop"])
            r[f"relative_dimension_contribution__{d}"] = ratio(wd, g["score"])
        result[key[0] if len(by) == 1 else key] = r
    return result, scores


@pytest.mark.parametrize("missing", ["drop", "reweight"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_a_naive_fraction_implementation_exactly(seed: int, missing: str) -> None:
    frame = generated(seed)
    spec = MpiSpec(GEN_INDICATORS, k="1/3", missing=missing)
    got = by_key(mpi(frame, spec, by=["county", "village"], size="size"), "county", "village")
    want, scores = naive(frame, spec, ["county", "village"], size="size")
    assert got.keys() == want.keys()
    for key, expected in want.items():
        for name, value in expected.items():
            if name in ("M1", "M2"):  # float gaps
                assert got[key][name] == pytest.approx(float(value), rel=1e-12), (key, name)
                continue
            # Integer person weights: every ratio is one division of exact integers, so the
            # float equals the correctly rounded fraction exactly.
            assert got[key][name] == (None if value is None else float(value)), (key, name)
    # Row scores too, exactly, and the poor flag is score >= k.
    rows = mpi_rows(frame, spec)
    got_scores = [
        None if s is None else F(s, spec.denominator) for s in rows["mpi_score"].to_list()
    ]
    assert got_scores == scores
    assert rows["mpi_poor"].to_list() == [None if s is None else s >= spec.k for s in scores]


def test_groups_by_two_columns_equal_filtering_each_group() -> None:
    frame = generated(7)
    spec = MpiSpec(GEN_INDICATORS, k="1/3")
    grouped = by_key(
        mpi(frame, spec, by=["county", "village"], size="size", weight="wt"), "county", "village"
    )
    for (county, village), row in grouped.items():
        part = frame.filter((pl.col("county") == county) & (pl.col("village") == village))
        alone = one(mpi(part, spec, size="size", weight="wt"))
        # Weights are binary fractions (0.5, 1.25, …): all sums are exact but the float gaps'.
        for name, value in alone.items():
            if name in ("M1", "M2"):
                assert row[name] == pytest.approx(value, rel=1e-12)
            else:
                assert row[name] == value, (county, village, name)


def test_partition_sums_add_up() -> None:
    frame = generated(11)
    spec = MpiSpec(GEN_INDICATORS, k="1/3", missing="reweight")
    whole = by_key(mpi(frame, spec, by=["county"], size="size"), "county")
    parts = [
        mpi_sums(frame[:150], spec, by=["county"], size="size"),
        mpi_sums(frame[150:], spec, by=["county"], size="size"),
    ]
    summed = pl.concat(parts).group_by("county").agg(pl.all().sum())
    merged = by_key(mpi_finish(summed, spec, by=["county"]), "county")
    assert merged.keys() == whole.keys()
    for key in whole:
        for name, value in whole[key].items():
            if name in ("M1", "M2"):
                assert merged[key][name] == pytest.approx(value, rel=1e-12)
            else:
                assert merged[key][name] == value, (key, name)


def test_lazy_in_lazy_out_and_narwhals_in_native_out() -> None:
    lazy = mpi(AF.lazy(), AF_SPEC)
    assert isinstance(lazy, pl.LazyFrame)
    assert one(lazy.collect())["M0"] == 0.375
    wrapped = mpi(nw.from_native(AF), AF_SPEC)  # type: ignore[type-var]
    assert isinstance(wrapped, pl.DataFrame)
    assert isinstance(mpi_rows(AF.lazy(), AF_SPEC), pl.LazyFrame)


def test_binary_booleans_and_floats() -> None:
    spec = MpiSpec([Indicator("a", "x", "1/2"), Indicator("b", "y", "1/2")], k="1/2")
    frame = pl.DataFrame({"a": [True, False], "b": [0.0, 1.0]})
    assert mpi_rows(frame, spec)["mpi_poor"].to_list() == [True, True]


# -- the spec ---------------------------------------------------------------------------------


def test_spec_refuses_weights_not_summing_to_one_and_names_the_sum() -> None:
    with pytest.raises(MpiSpecError, match=r"sum to 17/18"):
        MpiSpec(
            [
                Indicator("a", "x", "1/2"),
                Indicator("b", "y", "1/3"),
                Indicator("c", "y", "1/9"),
            ],
            k="1/3",
        )
    # Floats read as typed: 0.333 + 0.333 + 0.333 = 0.999.
    with pytest.raises(MpiSpecError, match=r"sum to 999/1000"):
        MpiSpec([Indicator(c, c, 0.333) for c in "abc"], k="1/3")


@pytest.mark.parametrize("k", [0, "-1/3", "3/2", "abc"])
def test_spec_refuses_k_outside_zero_one(k: Any) -> None:
    with pytest.raises(MpiSpecError, match="k"):
        MpiSpec([Indicator("a", "x", 1)], k=k)


def test_spec_refuses_bad_indicators() -> None:
    with pytest.raises(MpiSpecError, match="appears twice"):
        MpiSpec([Indicator("a", "x", "1/2"), Indicator("a", "y", "1/2")], k="1/2")
    with pytest.raises(MpiSpecError, match="dimension name is empty"):
        Indicator("a", " ", "1/2")
    with pytest.raises(MpiSpecError, match="column name is required"):
        Indicator("", "x", "1/2")
    with pytest.raises(MpiSpecError, match="must be positive"):
        Indicator("a", "x", "-1/2")
    with pytest.raises(MpiSpecError, match="cutoff 0 must be positive"):
        Indicator("a", "x", "1/2", cutoff=0)
    with pytest.raises(MpiSpecError, match="not an exact number"):
        Indicator("a", "x", "one half")
    with pytest.raises(MpiSpecError, match="at least one indicator"):
        MpiSpec([], k="1/3")
    with pytest.raises(MpiSpecError, match="missing = 'impute'"):
        MpiSpec([Indicator("a", "x", 1)], k=1, missing="impute")


def test_spec_from_toml_table() -> None:
    spec = MpiSpec.from_mapping(
        {
            "k": "1/3",
            "missing": "reweight",
            "indicators": [
                {"column": "d_school", "dimension": "education", "weight": "1/2"},
                {"column": "years", "dimension": "education", "weight": 0.25, "cutoff": 6},
                {"column": "water", "dimension": "living", "weight": "0.25", "cutoff": 0.5},
            ],
        }
    )
    assert [i.weight for i in spec.indicators] == [F(1, 2), F(1, 4), F(1, 4)]
    assert spec.indicators[2].cutoff == F(1, 2) and spec.indicators[0].binary
    assert (spec.k, spec.missing, spec.dimensions) == (F(1, 3), "reweight", ("education", "living"))
    with pytest.raises(MpiSpecError, match="unknown MPI setting"):
        MpiSpec.from_mapping({"k": "1/3", "indicators": [], "kk": 1})
    with pytest.raises(MpiSpecError, match="indicator 1: weight is required"):
        MpiSpec.from_mapping({"k": "1/3", "indicators": [{"column": "a", "dimension": "x"}]})


def test_data_errors_name_the_column() -> None:
    with pytest.raises(MpiDataError, match="'school' is not in the data"):
        mpi(AF.drop("school"), AF_SPEC)
    with pytest.raises(MpiDataError, match="'income' must be numeric"):
        mpi(AF.with_columns(pl.col("income").cast(pl.String)), AF_SPEC)
    with pytest.raises(MpiDataError, match="'village' is not in the data"):
        mpi(AF, AF_SPEC, by=["village"])


def test_mpi_levels_equal_mpi_per_level():
    """One pass over the rows, re-summed per level, gives what ``mpi`` gives per level."""
    import random

    from bangfu.engine.measures.mpi import mpi_levels

    rng = random.Random(7)
    rows = [
        {
            "county": f"c{i % 3}",
            "village": f"v{i % 11}",
            "size": rng.randint(1, 6),
            "d1": rng.randint(0, 1),
            "d2": rng.randint(0, 1),
            "x": rng.choice([1, 3, 5, 7, None]),
        }
        for i in range(500)
    ]
    frame = pl.DataFrame(rows)
    spec = MpiSpec.from_mapping(
        {
            "k": "1/3",
            "missing": "reweight",
            "indicators": [
                {"column": "d1", "dimension": "a", "weight": "1/3"},
                {"column": "d2", "dimension": "b", "weight": "1/3"},
                {"column": "x", "dimension": "b", "weight": "1/3", "cutoff": 5},
            ],
        }
    )
    levels = [[], ["county"], ["county", "village"]]
    got = mpi_levels(frame, spec, levels=levels, size="size")
    for level, result in zip(levels, got, strict=True):
        expected = mpi(frame, spec, by=level, size="size")
        keys = level or ["rows"]
        a, b = result.sort(keys), expected.sort(keys).select(result.columns)
        assert a.columns == b.columns
        for column in a.columns:
            left, right = a[column].to_list(), b[column].to_list()
            if a[column].dtype.is_float():
                assert left == pytest.approx(right, rel=1e-12, nan_ok=True), column
            else:
                assert left == right, column
    with pytest.raises(ValueError, match="not within the finest level"):
        mpi_levels(frame, spec, levels=[["village"], ["county"]])
