"""Income poverty and inequality measures (bangfu.engine.measures.income).

Hand-worked and published examples (arithmetic in the comments), the edges named in issue 4,
and a second, naive implementation (plain Python: Fractions where the measure is rational,
math.fsum otherwise; Gini by the mean difference over all pairs, not by the Lorenz curve)
that every result is compared with to 1e-12 relative. No peer library (povertyinequalitymeasures,
PySAL inequality) is installed, so the naive implementation stands in for them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import narwhals as nw
import polars as pl
import pytest

from bangfu.engine.measures.income import income_measures, label, theil_decomposition

LN = math.log


def close(actual: Any, expected: float | Fraction | None, rel: float = 1e-12) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    return math.isclose(float(actual), float(expected), rel_tol=rel, abs_tol=1e-15)


def one(frame: pl.DataFrame, **kwargs: Any) -> dict[str, Any]:
    out = income_measures(frame, **kwargs)
    assert isinstance(out, pl.DataFrame)
    assert out.height == 1
    return out.row(0, named=True)


def incomes(*values: float, **columns: Sequence[Any]) -> pl.DataFrame:
    return pl.DataFrame({"y": [float(v) for v in values], **columns})


# --- published and hand-worked examples ---------------------------------------------------------


def test_handbook_country_c() -> None:
    # Haughton & Khandker (2009), Handbook on Poverty and Inequality, World Bank, ch. 4:
    # expenditures 100, 110, 150, 160, poverty line 125.
    # P0 = 2/4 = 0.5; gaps/z 0.20, 0.12 → P1 = 0.32/4 = 0.08; squared 0.04 + 0.0144 → P2 = 0.0136.
    r = one(incomes(100, 110, 150, 160), income="y", lines=[125])
    assert r["rows"] == 4 and r["population"] == 4.0 and r["mean"] == 130.0
    assert r["poor_0"] == 2.0
    assert close(r["fgt_0_0"], 0.5)
    assert close(r["fgt_1_0"], 0.08)
    assert close(r["fgt_2_0"], 0.0136)
    # Watts = (ln(125/100) + ln(125/110)) / 4
    assert close(r["watts_0"], (LN(1.25) + LN(125 / 110)) / 4)
    # Sen: H = 0.5, mean of the poor 105, I = 1 − 105/125 = 0.16; Gini among the poor (100, 110):
    # Σ|yi − yj| = 2·10 = 20 over 2·2²·105 = 840 → 1/42. S = 0.5·(0.16 + 0.84/42) = 0.5·0.18 = 0.09;
    # also P0·Gp + P1·(1 − Gp) = (0.5 + 0.08·41)/42 = 3.78/42 = 0.09.
    assert close(r["sen_0"], 0.09)
    # Gini: pairwise |differences| 10, 50, 60, 40, 50, 10 → 220, both orders 440;
    # G = 440 / (2·4²·130) = 440/4160 = 11/104 (no n/(n−1) factor).
    assert close(r["gini"], Fraction(11, 104))


def test_gini_of_one_to_ten_is_three_tenths() -> None:
    # y = 1..n: Σ_i Σ_j |i − j| = n(n² − 1)/3, μ = (n + 1)/2, so G = (n − 1)/(3n); n = 10 → 0.3
    r = one(incomes(*range(1, 11)), income="y", lines=[5])
    assert close(r["gini"], 0.3)
    # the income on the line (5) is not poor: 1, 2, 3, 4 are → P0 = 0.4
    assert close(r["fgt_0_0"], 0.4)


def test_gini_two_people_lorenz_example() -> None:
    # World Bank (Essama-Nssah 2005, "The Lorenz model"): incomes 25 and 75, the Lorenz curve
    # passes (0.5, 0.25); area under it = 0.5·0.25/2 + 0.5·(0.25 + 1)/2 = 0.375, G = 1 − 2·0.375.
    assert close(one(incomes(25, 75), income="y", lines=[1])["gini"], 0.25)


def test_theil_and_atkinson_hand_worked() -> None:
    # y = (1, 4), μ = 2.5.
    # T = ½[(1/2.5)·ln(1/2.5) + (4/2.5)·ln(4/2.5)] = ½[0.4·ln 0.4 + 1.6·ln 1.6]
    # L = ½[ln(2.5/1) + ln(2.5/4)] = ln 2.5 − ln 2 = ln 1.25
    # Atkinson: ε = 0.5: ξ = ((√1 + √4)/2)² = 2.25 → 1 − 2.25/2.5 = 0.1;
    # ε = 1: geometric mean 2 → 0.2 (= 1 − e^(−L)); ε = 2: harmonic mean 2/(1 + 1/4) = 1.6 → 0.36;
    # ε = 0: 1 − μ/μ = 0.
    r = one(incomes(1, 4), income="y", lines=[2], atkinson=(0, 0.5, 1, 2))
    assert close(r["theil_t"], (0.4 * LN(0.4) + 1.6 * LN(1.6)) / 2)
    assert close(r["theil_l"], LN(1.25))
    assert close(r["atkinson_0"], 0.0)
    assert close(r["atkinson_0p5"], 0.1)
    assert close(r["atkinson_1"], 0.2)
    assert close(r["atkinson_1"], 1 - math.exp(-r["theil_l"]))
    assert close(r["atkinson_2"], 0.36)
    # Gini = 2·3 / (2·4·2.5) = 0.3
    assert close(r["gini"], 0.3)


def test_general_alpha_and_several_lines() -> None:
    # y = (20, 60, 100); lines 50 and 80.
    # z = 50: only 20 poor, gap 30/50 = 0.6 → P0 = 1/3, P0.5 = √0.6/3, P3 = 0.216/3
    # z = 80: 20 and 60 poor, gaps 0.75 and 0.25 → P0 = 2/3, P0.5 = (√0.75 + 0.5)/3,
    #         P3 = (0.421875 + 0.015625)/3 = 0.4375/3
    r = one(incomes(20, 60, 100), income="y", lines=[50, 80], alphas=(0, 0.5, 3))
    assert close(r["fgt_0_0"], Fraction(1, 3))
    assert close(r["fgt_0p5_0"], math.sqrt(0.6) / 3)
    assert close(r["fgt_3_0"], 0.216 / 3)
    assert close(r["fgt_0_1"], Fraction(2, 3))
    assert close(r["fgt_0p5_1"], (math.sqrt(0.75) + 0.5) / 3)
    assert close(r["fgt_3_1"], 0.4375 / 3)
    assert r["poor_0"] == 1.0 and r["poor_1"] == 2.0


# --- edges -----------------------------------------------------------------------------------------


def test_income_exactly_on_the_line_is_not_poor() -> None:
    r = one(incomes(125, 125, 124.99), income="y", lines=[125])
    assert close(r["fgt_0_0"], Fraction(1, 3))
    assert close(r["fgt_1_0"], (0.01 / 125) / 3, rel=1e-9)


def test_decimal_incomes_compare_exactly_with_decimal_lines() -> None:
    frame = pl.DataFrame(
        {"y": [Decimal("4000.00"), Decimal("3999.99"), Decimal("4000.01")]},
        schema={"y": pl.Decimal(12, 2)},
    )
    r = one(frame, income="y", lines=[Decimal("4000.00"), Decimal("3999.99")])
    assert r["poor_0"] == 1.0  # only 3999.99 < 4000.00
    assert r["poor_1"] == 0.0  # 3999.99 is not < 3999.99
    # a Decimal line on a float column
    r = one(incomes(4000.00, 3999.99), income="y", lines=[Decimal("4000.00")])
    assert r["poor_0"] == 1.0


def test_zero_incomes() -> None:
    # y = (0, 10), z = 20. Gaps 1 and 0.5: P0 = 1, P1 = 0.75, P2 = (1 + 0.25)/2 = 0.625.
    # Watts needs ln 0: null. Gini = 2·10/(2·4·5) = 0.5. Sen: μp = 5, I = 0.75, Gp = 0.5:
    # S = 0.75 + 0.25·0.5 = 0.875 (= P0·Gp + P1·(1 − Gp) = 0.5 + 0.375).
    # Theil T: the term of y = 0 is 0; y = 10: ½·(10/5)·ln 2 → T = ln 2 (its maximum, ln n).
    # Theil L and Atkinson ε ≥ 1 null; Atkinson ½: ξ = ((0 + √10)/2)² = 2.5 → 1 − 2.5/5 = 0.5.
    r = one(incomes(0, 10), income="y", lines=[20])
    assert r["nonpositive"] == 1 and r["negative"] == 0
    assert close(r["fgt_0_0"], 1.0)
    assert close(r["fgt_1_0"], 0.75)
    assert close(r["fgt_2_0"], 0.625)
    assert r["watts_0"] is None
    assert close(r["gini"], 0.5)
    assert close(r["sen_0"], 0.875)
    assert close(r["theil_t"], LN(2))
    assert r["theil_l"] is None
    assert close(r["atkinson_0p5"], 0.5)
    assert r["atkinson_1"] is None and r["atkinson_2"] is None


def test_theil_t_of_all_income_with_one_person_is_ln_n() -> None:
    r = one(incomes(0, 0, 0, 0, 7), income="y", lines=[1])
    assert close(r["theil_t"], LN(5))
    assert close(r["gini"], 0.8)  # (n − 1)/n: 2·4·7 / (2·25·7/5)
    # all poor have income 0: μp = 0, so S = H·(1 − 0) = H = 4/5
    assert close(r["sen_0"], 0.8)


def test_negative_incomes_are_not_censored() -> None:
    # y = (−10, 30), z = 20: the gap of −10 is 30/20 = 1.5 (> 1, formula as published):
    # P1 = 1.5/2 = 0.75, P2 = 2.25/2 = 1.125. Gini = 2·40/(2·4·10) = 1.
    # Theil T and Atkinson ½ null (a negative income), Theil L, Watts null (y ≤ 0).
    r = one(incomes(-10, 30), income="y", lines=[20])
    assert r["negative"] == 1 and r["nonpositive"] == 1
    assert close(r["fgt_1_0"], 0.75)
    assert close(r["fgt_2_0"], 1.125)
    assert close(r["gini"], 1.0)
    for name in ("theil_t", "theil_l", "watts_0", "atkinson_0p5", "atkinson_1", "atkinson_2"):
        assert r[name] is None, name


def test_zero_mean_leaves_inequality_undefined() -> None:
    r = one(incomes(0, 0), income="y", lines=[1])
    assert close(r["fgt_0_0"], 1.0) and close(r["fgt_1_0"], 1.0) and close(r["sen_0"], 1.0)
    for name in ("gini", "theil_t", "theil_l", "atkinson_0p5", "atkinson_1"):
        assert r[name] is None, name


def test_one_household_group_all_poor_and_no_poor_groups() -> None:
    frame = pl.DataFrame(
        {
            "village": ["one", "poor", "poor", "rich", "rich"],
            "y": [50.0, 10.0, 30.0, 200.0, 300.0],
        }
    )
    out = income_measures(frame, income="y", lines=[100], by=["village"])
    rows = {r["village"]: r for r in out.iter_rows(named=True)}
    assert list(rows) == ["one", "poor", "rich"]  # sorted by the group
    single = rows["one"]
    assert close(single["fgt_0_0"], 1.0) and close(single["fgt_1_0"], 0.5)
    for name in ("gini", "theil_t", "theil_l", "atkinson_0p5", "atkinson_1", "atkinson_2"):
        assert close(single[name], 0.0), name
    # one poor person: Gp = 0, S = H·I = 0.5
    assert close(single["sen_0"], 0.5)
    assert close(single["watts_0"], LN(2))
    poor = rows["poor"]
    # gaps 0.9 and 0.7: P1 = 0.8; Gp = 2·20/(2·4·20) = 0.25; I = 0.8; S = 0.8 + 0.2·0.25 = 0.85
    assert close(poor["fgt_0_0"], 1.0)
    assert close(poor["fgt_1_0"], 0.8)
    assert close(poor["sen_0"], 0.85)
    rich = rows["rich"]
    assert rich["poor_0"] == 0.0
    for name in ("fgt_0_0", "fgt_1_0", "fgt_2_0", "watts_0", "sen_0"):
        assert rich[name] == 0.0, name
    # Gini 2·100/(2·4·250) = 0.1
    assert close(rich["gini"], 0.1)


def test_null_incomes_and_weights_are_left_out() -> None:
    frame = pl.DataFrame({"y": [100.0, None, 150.0, 160.0], "w": [1.0, 1.0, None, 2.0]})
    r = one(frame, income="y", lines=[125], weight="w")
    assert r["rows"] == 2 and r["population"] == 3.0
    assert close(r["fgt_0_0"], Fraction(1, 3))


def test_empty_input_gives_nulls_not_nans() -> None:
    frame = pl.DataFrame({"y": []}, schema={"y": pl.Float64})
    r = one(frame, income="y", lines=[125])
    assert r["rows"] == 0 and r["population"] == 0.0
    for name in ("mean", "fgt_0_0", "sen_0", "watts_0", "gini", "theil_t", "theil_l"):
        assert r[name] is None, name


# --- weights, sizes, groups, ties, frames ----------------------------------------------------------


def test_person_weights_are_weight_times_size() -> None:
    # household rows: (income per person, size, sampling weight) ≡ size × weight copies of the row
    households = [
        (100.0, 3, 2.0),
        (110.0, 1, 1.0),
        (150.0, 4, 0.5),
        (160.0, 2, 3.0),
        (90.0, 5, 1.5),
    ]
    frame = pl.DataFrame(
        {
            "y": [h[0] for h in households],
            "size": [h[1] for h in households],
            "weight": [h[2] for h in households],
        }
    )
    got = one(frame, income="y", lines=[125, 155], size="size", weight="weight")
    # 6 + 1 + 2 + 6 + 7.5 = 22.5 persons; weights 1.5 and 0.5 replicated through a common factor 2
    assert got["population"] == 22.5
    copies = [y for y, s, w in households for _ in range(int(s * w * 2))]
    expanded = one(incomes(*copies), income="y", lines=[125, 155])
    for name, value in expanded.items():
        if name in ("rows", "population", "poor_0", "poor_1"):
            continue
        assert close(got[name], value), name
    assert close(got["poor_0"], expanded["poor_0"] / 2)
    # size alone: person-level headcount = persons in poor households / persons
    only_size = one(frame, income="y", lines=[125], size="size")
    assert close(only_size["fgt_0_0"], Fraction(3 + 1 + 5, 15))


def test_grouping_by_two_columns_equals_filtering_each_group() -> None:
    rng = random.Random(4)
    n = 600
    frame = pl.DataFrame(
        {
            "county": [rng.choice(["A", "B", "C"]) for _ in range(n)],
            "village": [rng.randint(1, 5) for _ in range(n)],
            "y": [float(rng.choice([0, rng.randint(1, 40) * 250])) for _ in range(n)],
            "size": [rng.randint(1, 6) for _ in range(n)],
            "weight": [rng.choice([0.5, 1.0, 2.5]) for _ in range(n)],
        }
    )
    kwargs: dict[str, Any] = dict(
        income="y", lines=[4000, 6000], alphas=(0, 1, 2, 0.5), size="size", weight="weight"
    )
    grouped = income_measures(frame, by=["county", "village"], **kwargs)
    assert grouped.height == frame.select("county", "village").unique().height
    for row in grouped.iter_rows(named=True):
        part = frame.filter(
            (pl.col("county") == row["county"]) & (pl.col("village") == row["village"])
        )
        alone = one(part, **kwargs)
        for name, value in alone.items():
            assert close(row[name], value), (row["county"], row["village"], name)


def test_row_order_and_ties_do_not_matter() -> None:
    rng = random.Random(7)
    values = [float(rng.randint(0, 8) * 1000) for _ in range(300)]  # many ties
    frame = pl.DataFrame({"g": [i % 3 for i in range(300)], "y": values})
    a = income_measures(frame, income="y", lines=[3500], by=["g"])
    b = income_measures(
        frame.sample(fraction=1.0, shuffle=True, seed=1), income="y", lines=[3500], by=["g"]
    )
    for ra, rb in zip(a.iter_rows(named=True), b.iter_rows(named=True), strict=True):
        for name in ra:
            assert close(ra[name], rb[name]), name


def test_weighted_ties_give_the_mean_difference_gini_in_any_order() -> None:
    """Tied incomes with different weights are ranked row by row, not merged: the Gini must
    still be the weighted mean-difference form, exactly, whichever tied row comes first."""
    rng = random.Random(11)
    incomes = [rng.choice([0, 1000, 2500, 4000]) for _ in range(60)]
    sizes = [rng.randint(1, 6) for _ in range(60)]
    pairs = list(zip(incomes, sizes, strict=True))
    W = sum(sizes)
    Y = sum(y * w for y, w in pairs)
    expected = Fraction(
        sum(wi * wj * abs(yi - yj) for yi, wi in pairs for yj, wj in pairs), 2 * W * Y
    )
    frame = pl.DataFrame({"y": [float(y) for y in incomes], "size": sizes})
    for seed in range(4):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        out = income_measures(shuffled, income="y", lines=[3000], size="size")
        assert out["gini"][0] == pytest.approx(float(expected), rel=1e-13), seed


def test_a_single_group_column_may_be_given_as_a_string() -> None:
    frame = pl.DataFrame({"village": ["a", "b"], "y": [1.0, 2.0]})
    out = income_measures(frame, income="y", lines=[1.5], by="village")
    assert out["village"].to_list() == ["a", "b"]
    groups = theil_decomposition(frame, income="y", by="village").groups
    assert groups["village"].to_list() == ["a", "b"]


def test_lazy_in_lazy_out_and_narwhals_frames() -> None:
    frame = incomes(100, 110, 150, 160)
    lazy = income_measures(frame.lazy(), income="y", lines=[125])
    assert isinstance(lazy, pl.LazyFrame)
    assert close(lazy.collect().item(0, "fgt_2_0"), 0.0136)
    from_nw = income_measures(nw.from_native(frame), income="y", lines=[125])
    assert isinstance(from_nw, pl.DataFrame)
    assert close(from_nw.item(0, "fgt_1_0"), 0.08)


def test_column_names() -> None:
    assert [label(v) for v in (0, 1, 2.0, 0.5, 1.25, Decimal("2.50"))] == [
        "0", "1", "2", "0p5", "1p25", "2p5"
    ]  # fmt: skip
    out = income_measures(
        incomes(1, 2), income="y", lines=[1.5, 3], alphas=(0, 2), atkinson=(0.5, 1)
    )
    assert out.columns == [
        "rows", "population", "mean", "nonpositive", "negative",
        "poor_0", "fgt_0_0", "fgt_2_0", "watts_0", "sen_0",
        "poor_1", "fgt_0_1", "fgt_2_1", "watts_1", "sen_1",
        "gini", "theil_t", "theil_l", "atkinson_0p5", "atkinson_1",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lines": [0]}, "poverty lines"),
        ({"lines": [-5]}, "poverty lines"),
        ({"lines": [1], "alphas": (-1,)}, "FGT alpha"),
        ({"lines": [1], "alphas": (2, 2.0)}, "repeat"),
        ({"lines": [1], "atkinson": (-0.5,)}, "Atkinson"),
        ({"lines": [1], "by": ["y"]}, "distinct"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        income_measures(incomes(1, 2), income="y", **kwargs)


# --- the naive second implementation ---------------------------------------------------------------


def naive(
    rows: Sequence[tuple[int, Fraction]],
    lines: Sequence[int],
    alphas: Sequence[float],
    atkinson: Sequence[float],
) -> dict[str, Any]:
    """Straight from the definitions; (income, person weight) pairs with integer incomes."""
    W = sum(w for _, w in rows)
    Y = sum(w * y for y, w in rows)
    mu = Y / W
    out: dict[str, Any] = {"population": W, "mean": mu}
    for j, z in enumerate(lines):
        poor = [(y, w) for y, w in rows if y < z]
        Q = sum((w for _, w in poor), Fraction(0))
        for a in alphas:
            if a == int(a):
                value: Any = sum((w * Fraction(z - y, z) ** int(a) for y, w in poor), Fraction(0))
                out[f"fgt_{label(a)}_{j}"] = value / W
            else:
                terms = [float(w) * (float(z - y) / z) ** a for y, w in poor]
                out[f"fgt_{label(a)}_{j}"] = math.fsum(terms) / float(W)
        if any(y <= 0 for y, _ in poor):
            out[f"watts_{j}"] = None
        else:
            out[f"watts_{j}"] = math.fsum(float(w) * LN(z / y) for y, w in poor) / float(W)
        if Q == 0:
            out[f"sen_{j}"] = Fraction(0)
        else:
            # S = H·(1 − μp·(1 − Gp)/z), μp·Gp = half the mean difference among the poor
            mu_p = sum(w * y for y, w in poor) / Q
            half_diff = sum(wi * wj * abs(yi - yj) for yi, wi in poor for yj, wj in poor) / (
                2 * Q * Q
            )
            out[f"sen_{j}"] = Q / W * (1 - (mu_p - half_diff) / z)
    out["gini"] = sum(wi * wj * abs(yi - yj) for yi, wi in rows for yj, wj in rows) / (
        2 * W * W * mu
    )
    fm = float(mu)
    out["theil_t"] = math.fsum(float(w) * (y / fm) * LN(y / fm) for y, w in rows if y > 0) / float(
        W
    )
    out["theil_l"] = math.fsum(float(w) * LN(fm / y) for y, w in rows) / float(W)
    for e in atkinson:
        if e == 1:
            ede = math.exp(math.fsum(float(w) * LN(y) for y, w in rows) / float(W))
        else:
            ede = (math.fsum(float(w) * y ** (1 - e) for y, w in rows) / float(W)) ** (1 / (1 - e))
        out[f"atkinson_{label(e)}"] = 1 - ede / fm
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agrees_with_a_naive_implementation(seed: int) -> None:
    rng = random.Random(seed)
    n = 150
    ys = [rng.choice([rng.randint(1, 20_000), rng.randint(1, 60) * 100]) for _ in range(n)]
    sizes = [rng.randint(1, 7) for _ in range(n)]
    weights = [Fraction(rng.randint(1, 8), 4) for _ in range(n)]
    lines = [3000, 4500, 10_000]
    alphas = (0, 1, 2, 0.5, 3)
    atkinson = (0.5, 1, 1.5, 2)
    frame = pl.DataFrame(
        {"y": ys, "size": sizes, "weight": [float(w) for w in weights]},
        schema={"y": pl.Int64, "size": pl.Int32, "weight": pl.Float64},
    )
    got = one(
        frame,
        income="y",
        lines=lines,
        alphas=alphas,
        atkinson=atkinson,
        size="size",
        weight="weight",
    )
    expected = naive(
        [(y, s * w) for y, s, w in zip(ys, sizes, weights, strict=True)], lines, alphas, atkinson
    )
    assert got["rows"] == n
    for name, value in expected.items():
        assert close(got[name], value), (name, got[name], float(value))


# --- Theil decomposition -----------------------------------------------------------------------------


def test_theil_decomposition_hand_worked() -> None:
    # groups A = (1, 1), B = (4, 4): no inequality within, all between.
    # μ = 2.5; T = ½[0.4·ln 0.4 + 1.6·ln 1.6]; L = ln 1.25 (as for (1, 4) above).
    # Shares: p = ½, ½; s = 0.2, 0.8; between T = 0.2·ln(1/2.5) + 0.8·ln(4/2.5).
    frame = pl.DataFrame({"g": ["A", "A", "B", "B"], "y": [1.0, 1.0, 4.0, 4.0]})
    d = theil_decomposition(frame, income="y", by=["g"])
    t = d.totals.row(0, named=True)
    assert t["groups"] == 2 and t["population"] == 4.0
    assert close(t["theil_t"], (0.4 * LN(0.4) + 1.6 * LN(1.6)) / 2)
    assert close(t["theil_t_between"], 0.2 * LN(0.4) + 0.8 * LN(1.6))
    assert close(t["theil_t_within"], 0.0)
    assert close(t["theil_l"], LN(1.25))
    assert close(t["theil_l_between"], LN(1.25))
    assert close(t["theil_l_within"], 0.0)
    g = {r["g"]: r for r in d.groups.iter_rows(named=True)}
    assert close(g["A"]["population_share"], 0.5) and close(g["A"]["income_share"], 0.2)
    assert close(g["B"]["income_share"], 0.8) and close(g["B"]["theil_t"], 0.0)


def test_theil_decomposition_adds_up_and_matches_the_measures() -> None:
    rng = random.Random(11)
    n = 800
    frame = pl.DataFrame(
        {
            "county": [rng.choice(["A", "B"]) for _ in range(n)],
            "village": [rng.randint(1, 6) for _ in range(n)],
            "y": [float(rng.randint(1, 30) * 300) for _ in range(n)],
            "size": [rng.randint(1, 6) for _ in range(n)],
        }
    )
    d = theil_decomposition(frame, income="y", by=["village"], over=["county"], size="size")
    measures = income_measures(frame, income="y", lines=[1], by=["county"], size="size")
    for total, m in zip(
        d.totals.iter_rows(named=True), measures.iter_rows(named=True), strict=True
    ):
        assert total["county"] == m["county"]
        assert close(total["theil_t"], m["theil_t"], rel=1e-11)
        assert close(total["theil_l"], m["theil_l"], rel=1e-11)
        for k in ("t", "l"):
            assert close(
                total[f"theil_{k}"], total[f"theil_{k}_between"] + total[f"theil_{k}_within"]
            )
            parts = d.groups.filter(pl.col("county") == total["county"])
            for side in ("between", "within"):
                assert close(parts[f"theil_{k}_{side}"].sum(), total[f"theil_{k}_{side}"])
        parts = d.groups.filter(pl.col("county") == total["county"])
        assert close(parts["population_share"].sum(), 1.0)
        assert close(parts["income_share"].sum(), 1.0)
        # each village's own T and L are the measures of that village alone
        for row in parts.iter_rows(named=True):
            village = frame.filter(
                (pl.col("county") == row["county"]) & (pl.col("village") == row["village"])
            )
            alone = one(village, income="y", lines=[1], size="size")
            assert close(row["theil_t"], alone["theil_t"], rel=1e-10)
            assert close(row["theil_l"], alone["theil_l"], rel=1e-10)


def test_theil_decomposition_with_zero_incomes() -> None:
    # A = (0, 0), B = (2, 6): T is defined (zero terms are 0), L is not.
    # μ = 2, μB = 4; T = ¼[(2/2)·ln 1 + (6/2)·ln 3] = ¾·ln 3; between = sB·ln(μB/μ) = 1·ln 2;
    # within = sB·TB = ½[(2/4)·ln ½ + (6/4)·ln 1.5] = ¾·ln 3 − ln 2.
    frame = pl.DataFrame({"g": ["A", "A", "B", "B"], "y": [0.0, 0.0, 2.0, 6.0]})
    t = theil_decomposition(frame, income="y", by=["g"]).totals.row(0, named=True)
    assert t["nonpositive"] == 2
    assert close(t["theil_t"], 0.75 * LN(3))
    assert close(t["theil_t_between"], LN(2))
    assert close(t["theil_t_within"], 0.75 * LN(3) - LN(2))
    assert t["theil_l"] is None and t["theil_l_between"] is None and t["theil_l_within"] is None
