"""Income poverty and inequality measures, for every group at once, in one lazy query.

Written with the Narwhals API, so the same functions run on Polars (default) and on PySpark.
A function takes a native frame (Polars ``DataFrame`` or ``LazyFrame``, a PySpark ``DataFrame``,
or a Narwhals frame) and returns a native frame of results of the same kind: an eager frame in
gives an eager (collected) frame out, a lazy frame in gives a lazy plan out.

Main API
========

``income_measures(frame, *, income, lines, alphas=(0, 1, 2), by=(), size=None, weight=None,
atkinson=(0.5, 1, 2))`` returns one row per group of ``by`` (one row in all when ``by`` is
empty), sorted by ``by``, with the columns

=================  ==========================================================================
``by`` columns     the group
``rows``           input rows used (rows with a null income, size or weight are left out)
``population``     W = Σ w, the weighted persons (see *Person weights*)
``mean``           μ = Σ w·y / W
``nonpositive``    rows with y ≤ 0 (they make the log-based measures undefined, see below)
``negative``       rows with y < 0
``poor_{j}``       Q_j = Σ w over the poor (y < z_j), for line j (index in ``lines``)
``fgt_{a}_{j}``    FGT(α) for α = a and line j: fgt_0_0 headcount, fgt_1_0 gap, fgt_2_0 severity
``watts_{j}``      Watts index for line j
``sen_{j}``        Sen index for line j
``gini``           Gini coefficient
``theil_t``        Theil T = GE(1)
``theil_l``        Theil L = mean log deviation = GE(0)
``atkinson_{e}``   Atkinson index for ε = e
=================  ==========================================================================

Parameters in column names are written by ``label``: integral values without a decimal point
(``fgt_2_0``, ``atkinson_1``), others with ``p`` for the point (``fgt_0p5_0``,
``atkinson_0p5``); no dots, because Spark reads a dot in a column name as a struct field.

``theil_decomposition(frame, *, income, by, over=(), size=None, weight=None)`` splits Theil T
and L of each ``over`` group (the whole population when ``over`` is empty) into between and
within the subgroups ``by``; it returns ``TheilDecomposition(totals, groups)`` (see there).

Notation and formulas
=====================

y_i income of row i (per person: a household's income per capita), w_i its person weight,
W = Σ w_i, Y = Σ w_i y_i, μ = Y / W, z a poverty line, Q = Σ_{y_i<z} w_i.

* FGT(α) (Foster, Greer and Thorbecke 1984, Econometrica 52(3)):
  P_α = (1/W) Σ_{y_i<z} w_i ((z − y_i)/z)^α, any α ≥ 0; P_0 = Q/W is the headcount ratio.
* Watts (Watts 1968; Haughton and Khandker 2009, *Handbook on Poverty and Inequality*, World
  Bank, ch. 4): W_z = (1/W) Σ_{y_i<z} w_i ln(z / y_i).
* Sen (Sen 1976, Econometrica 44(2)) in the form of Haughton and Khandker (2009, ch. 4, "Sen
  index"): S = H·(1 − (1 − G_p)·μ_p/z) = H·[I + (1 − I)·G_p] = P_0·G_p + P_1·(1 − G_p), where
  H = P_0, μ_p the mean income of the poor, I = 1 − μ_p/z the income-gap ratio and G_p the
  Gini coefficient *among the poor* in the same textbook form as ``gini`` below. Sen's
  finite-population factor q/(q + 1) is NOT applied (this is the replication-invariant
  large-q form that the Handbook and most software report). Computed as
  S = Q/W − Σ_{y_k<z} w_k (2·C_k − w_k y_k) / (z·Q·W), because
  μ_p·(1 − G_p) = Σ_{poor} w_k (2C_k − w_k y_k) / Q² (the poor are the bottom of the ranking,
  so the cumulative income C_k of the whole group is the poor's own). S = 0 when Q = 0.
* Gini, textbook weighted form with NO n/(n − 1) factor: one minus twice the area under the
  Lorenz curve, the curve drawn through (F_k, L_k) with straight segments (trapezoids):
  G = 1 − Σ_k (F_k − F_{k−1})(L_k + L_{k−1}), with the distinct incomes y_1 < y_2 < … of the
  group, W_k the weight at y_k, F_k = Σ_{l≤k} W_l / W, C_k = Σ_{l≤k} W_l y_l, L_k = C_k / Y
  (Brown's formula; Haughton and Khandker 2009, ch. 6). Equivalently
  G = 1 − Σ_k W_k (2C_k − W_k y_k) / (W·Y) = Σ_i Σ_j w_i w_j |y_i − y_j| / (2 W² μ), the
  mean-difference form; for unweighted data (1/(2n²μ)) Σ_i Σ_j |y_i − y_j|.
  Ties: the rows are ranked without merging equal incomes, the running sum C_i counting row
  by row (a ROWS frame on Spark, a sort then a running sum on Polars). The result does not
  depend on how tied rows are ordered: for m rows of income y and weights w_1…w_m after a
  running sum c, Σ_i w_i (2C_i − w_i y) = 2c·ΣW + y·(Σw)², exactly the term of the merged
  row (weight Σw). (A running sum that counted ties as peers would not give this.)
* Theil T, GE(1): T = (1/W) Σ w_i (y_i/μ) ln(y_i/μ) = Σ w_i y_i ln y_i / Y − ln μ.
* Theil L, mean log deviation, GE(0): L = (1/W) Σ w_i ln(μ/y_i) = ln μ − Σ w_i ln y_i / W.
* Atkinson (Atkinson 1970, JET 2(3)): A_ε = 1 − ξ_ε/μ with the equally distributed
  equivalent ξ_ε = [(1/W) Σ w_i y_i^(1−ε)]^(1/(1−ε)) for ε ≠ 1 and the geometric mean
  ξ_1 = exp(Σ w_i ln y_i / W) for ε = 1 (ξ_2 is the harmonic mean); ε ≥ 0.
* Theil decomposition (Shorrocks 1980, Econometrica 48(3); Cowell 2011, *Measuring
  Inequality*): with subgroup g's population share p_g = W_g/W and income share s_g = Y_g/Y,
  T = Σ s_g T_g + Σ s_g ln(μ_g/μ) and L = Σ p_g L_g + Σ p_g ln(μ/μ_g) (within + between).

Conventions
===========

* Poor is strict: y < z. An income exactly on the line is not poor. Lines must be > 0.
  Comparison is made in the income column's own type (a Decimal column against a Decimal
  line, exactly); all other arithmetic is in float64.
* Person weights: w = weight × size, each factor 1 when its column is not given (so
  ``size`` alone gives person-level figures from household rows of per-capita income,
  ``weight`` alone a sampling weight per row). ``population`` = Σ w. Weights must be ≥ 0
  (not checked here; the callers validate their input).
* Rows with a null income, size or weight are left out of everything (``rows`` counts the
  rows used).
* Zero incomes: the Theil T term of y = 0 is 0 (the limit of y ln y); Gini, FGT, Sen,
  Theil T and Atkinson with ε < 1 include zero incomes.
* Measures that need ln y or y^(1−ε) with 1 − ε ≤ 0 are undefined for y ≤ 0 (they tend to
  infinity, or Atkinson to 1). The rule: such a measure is null for a group that has any
  row with y ≤ 0 (the count is in ``nonpositive``); no rows are silently dropped, so every
  figure in a row describes the same people. This nulls ``theil_l``, ``atkinson_e`` for
  ε ≥ 1 and ``watts_j`` (every y ≤ 0 is poor, since z > 0). Callers who want the
  positive-incomes-only convention (Stata's ``ineqdeco``) filter y > 0 first.
* Negative incomes (net income can be negative after business costs) stay as they are in
  FGT, Sen and Gini: the normalised gap (z − y)/z then exceeds 1, as the FGT formula gives
  (the formula as published, no censoring; callers who want incomes below 0 treated as 0
  clip the column first). Theil T and Atkinson with ε < 1 are null for a group with any
  y < 0 (count in ``negative``). Gini, Theil and Atkinson are null when Y ≤ 0.
* A group with no poor has FGT, Watts and Sen 0. A one-row group has Gini, Theil and
  Atkinson 0.
* Merging across partitions: every measure is a function of the group sums in the result
  frame (``population``, Σ w y, …) except the Gini and Sen terms, which need the running
  income sum C_k of each group in income order (a window ``cum_sum().over(by,
  order_by=income)``); on a cluster that window is one sort by (group, income).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic

import narwhals as nw
from narwhals.typing import IntoFrameT

from bangfu.engine.columns import spark_safe
from bangfu.engine.frames import finish, lazy

__all__ = [
    "TheilDecomposition",
    "income_measures",
    "label",
    "theil_decomposition",
]

# Internal column names, unlikely to clash with the caller's.
_W = "__bf_w"  # person weight (summed over rows of equal income within a group)
_N = "__bf_rows"
_Y = "__bf_y"  # income as float64
_WY = "__bf_wy"
_C = "__bf_cum"  # running Σ w·y in income order within the group
_G = "__bf_gini"  # w·(2C − w·y)
_TT = "__bf_wylny"  # w·y·ln y (0 for y = 0)
_TL = "__bf_wlny"  # w·ln y (y > 0)
_NP = "__bf_nonpos"
_NG = "__bf_neg"


def label(value: float | Decimal) -> str:
    """A parameter as written in a column name: 2 → "2", 2.0 → "2", 0.5 → "0p5"."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text.replace(".", "p").replace("-", "m")


@dataclass(frozen=True)
class TheilDecomposition(Generic[IntoFrameT]):
    """Theil T and L split into between and within subgroups.

    ``totals``: one row per ``over`` group (sorted), with ``rows``, ``population``, ``mean``,
    ``groups`` (number of subgroups), ``nonpositive``, ``negative``, ``theil_t``,
    ``theil_t_between``, ``theil_t_within``, ``theil_l``, ``theil_l_between``,
    ``theil_l_within``; total = between + within.

    ``groups``: one row per subgroup (``over`` + ``by`` columns, sorted), with ``rows``,
    ``population``, ``mean``, ``population_share`` p_g, ``income_share`` s_g, ``theil_t``
    T_g, ``theil_l`` L_g and the subgroup's parts of its ``over`` group's figures:
    ``theil_t_within`` = s_g·T_g, ``theil_t_between`` = s_g·ln(μ_g/μ), ``theil_l_within`` =
    p_g·L_g, ``theil_l_between`` = p_g·ln(μ/μ_g) (each sums to the total's column).
    """

    totals: IntoFrameT
    groups: IntoFrameT


# ---------------------------------------------------------------------------------------------
# Shared pieces


def _names(columns: Sequence[str]) -> list[str]:
    """Column names as a list; a single name given as a string is one column, not letters."""
    return [columns] if isinstance(columns, str) else list(columns)


def _check_columns(income: str, by: Sequence[str], *others: str | None) -> None:
    names = [income, *by, *(o for o in others if o is not None)]
    if len(set(names)) != len(names):
        raise ValueError(f"income, group and weight columns must be distinct: {names}")


def _weighted_rows(
    lf: nw.LazyFrame[Any], income: str, size: str | None, weight: str | None
) -> nw.LazyFrame[Any]:
    """Rows with a usable income and a person weight column ``_W`` = weight × size."""
    needed = [c for c in (income, size, weight) if c is not None]
    lf = lf.filter(*(~nw.col(c).is_null() for c in needed))
    factors = [nw.col(c).cast(nw.Float64()) for c in (weight, size) if c is not None]
    w = factors[0] * factors[1] if len(factors) == 2 else factors[0] if factors else nw.lit(1.0)
    return lf.with_columns(w.cast(nw.Float64()).alias(_W))


def _aggregate(lf: nw.LazyFrame[Any], by: Sequence[str], *exprs: nw.Expr) -> nw.LazyFrame[Any]:
    if by:
        return lf.group_by(*by).agg(*exprs)
    return lf.select(*exprs)


def _over(expr: nw.Expr, by: Sequence[str], order_by: str | None = None) -> nw.Expr:
    return expr.over(*by, order_by=order_by)


def _div(num: nw.Expr, den: nw.Expr) -> nw.Expr:
    """num / den, null when den is 0 (never NaN or inf)."""
    return nw.when(den != 0).then(num / den)


def _line_literal(line: float | Decimal, decimal_column: bool) -> Any:
    if decimal_column and isinstance(line, Decimal):
        return line
    return float(line)


def _check_params(
    lines: Sequence[float | Decimal], alphas: Sequence[float], atkinson: Sequence[float]
) -> None:
    for z in lines:
        if not (math.isfinite(float(z)) and float(z) > 0):
            raise ValueError(f"poverty lines must be finite and > 0, got {z}")
    for name, values in (("FGT alpha", alphas), ("Atkinson epsilon", atkinson)):
        for v in values:
            if not (math.isfinite(float(v)) and float(v) >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {v}")
        labels = [label(v) for v in values]
        if len(set(labels)) != len(labels):
            raise ValueError(f"{name} values repeat: {list(values)}")


# ---------------------------------------------------------------------------------------------
# The full set


def income_measures(
    frame: IntoFrameT,
    *,
    income: str,
    lines: Sequence[float | Decimal],
    alphas: Sequence[float] = (0, 1, 2),
    by: Sequence[str] = (),
    size: str | None = None,
    weight: str | None = None,
    atkinson: Sequence[float] = (0.5, 1, 2),
) -> IntoFrameT:
    """FGT, Watts, Sen for each line; Gini, Theil T and L, Atkinson; one row per group.

    See the module docstring for the columns, formulas and conventions.
    """
    by = _names(by)
    _check_columns(income, by, size, weight)
    _check_params(lines, alphas, atkinson)
    lf, eager = lazy(frame)
    lf, names = spark_safe(lf)
    result = _income_plan(
        lf,
        income=names(income),
        lines=lines,
        alphas=alphas,
        by=names.each(by),
        size=names.optional(size),
        weight=names.optional(weight),
        atkinson=atkinson,
    )
    return finish(names.restore(result), eager)  # type: ignore[no-any-return]


def _income_plan(
    lf: nw.LazyFrame[Any],
    *,
    income: str,
    lines: Sequence[float | Decimal],
    alphas: Sequence[float],
    by: list[str],
    size: str | None,
    weight: str | None,
    atkinson: Sequence[float],
) -> nw.LazyFrame[Any]:
    """``income_measures`` as a lazy plan, on columns that the backend can name."""
    decimal_column = isinstance(lf.collect_schema()[income], nw.Decimal)

    # 1. Person weights. Rows of equal income are not merged: the Gini and Sen sums
    # Σ w_i (2C_i − w_i y_i) come out the same whatever order tied rows take (see
    # "Ties" in the module docstring), and merging them cost a hash group-by per level.
    dist = _weighted_rows(lf, income, size, weight).with_columns(
        nw.lit(1, nw.Int64()).alias(_N), nw.col(income).cast(nw.Float64()).alias(_Y)
    )

    # 2. Per-row terms.
    y, w = nw.col(_Y), nw.col(_W)
    positive = y > 0
    dist = dist.with_columns((w * y).alias(_WY))
    dist = dist.with_columns(_over(nw.col(_WY).cum_sum(), by, order_by=income).alias(_C))
    dist = dist.with_columns((w * (2 * nw.col(_C) - nw.col(_WY))).alias(_G))
    terms: dict[str, nw.Expr] = {
        _TT: nw.when(positive).then(nw.col(_WY) * y.log()).otherwise(0.0),
        _TL: nw.when(positive).then(w * y.log()).otherwise(0.0),
        _NP: nw.when(~positive).then(nw.col(_N)).otherwise(0),
        _NG: nw.when(y < 0).then(nw.col(_N)).otherwise(0),
    }
    for e in atkinson:
        if float(e) != 1:
            power = w * y ** (1.0 - float(e))
            terms[f"__bf_atk_{label(e)}"] = nw.when(positive).then(power).otherwise(0.0)
    for j, z in enumerate(lines):
        zf = float(z)
        poor = nw.col(income) < _line_literal(z, decimal_column)
        gap = (zf - y) / zf
        terms[f"__bf_poor_{j}"] = nw.when(poor).then(w).otherwise(0.0)
        for a in alphas:
            if float(a) == 0:
                continue  # the headcount is poor_j / W
            power = gap if float(a) == 1 else gap * gap if float(a) == 2 else gap ** float(a)
            terms[f"__bf_fgt_{label(a)}_{j}"] = nw.when(poor).then(w * power).otherwise(0.0)
        terms[f"__bf_watts_{j}"] = nw.when(poor & positive).then(w * (zf / y).log()).otherwise(0.0)
        terms[f"__bf_sen_{j}"] = nw.when(poor).then(nw.col(_G)).otherwise(0.0)
    dist = dist.with_columns(*(expr.alias(name) for name, expr in terms.items()))

    # 3. Group sums.
    summed = [_N, _W, _WY, _G, *terms]
    sums = _aggregate(dist, by, *(nw.col(c).sum() for c in summed))

    # 4. Measures from the sums.
    W, Y = nw.col(_W), nw.col(_WY)
    mean = _div(Y, W)
    has_nonpos = nw.col(_NP) > 0
    has_neg = nw.col(_NG) > 0
    income_ok = (W > 0) & (Y > 0)
    out: list[nw.Expr] = [
        nw.col(_N).cast(nw.Int64()).alias("rows"),
        W.alias("population"),
        mean.alias("mean"),
        nw.col(_NP).cast(nw.Int64()).alias("nonpositive"),
        nw.col(_NG).cast(nw.Int64()).alias("negative"),
    ]
    for j, z in enumerate(lines):
        zf = float(z)
        Q = nw.col(f"__bf_poor_{j}")
        out.append(Q.alias(f"poor_{j}"))
        for a in alphas:
            name = f"fgt_{label(a)}_{j}"
            num = Q if float(a) == 0 else nw.col(f"__bf_fgt_{label(a)}_{j}")
            out.append(_div(num, W).alias(name))
        out.append(
            nw.when((W > 0) & ~has_nonpos).then(nw.col(f"__bf_watts_{j}") / W).alias(f"watts_{j}")
        )
        sen = Q / W - _div(nw.col(f"__bf_sen_{j}"), zf * Q * W).fill_null(0.0)
        out.append(nw.when(W > 0).then(sen).alias(f"sen_{j}"))
    out.append(nw.when(income_ok).then(1 - nw.col(_G) / (W * Y)).alias("gini"))
    out.append(nw.when(income_ok & ~has_neg).then(nw.col(_TT) / Y - (Y / W).log()).alias("theil_t"))
    out.append(
        nw.when(income_ok & ~has_nonpos).then((Y / W).log() - nw.col(_TL) / W).alias("theil_l")
    )
    for e in atkinson:
        ef = float(e)
        if ef == 1:
            ede = (nw.col(_TL) / W).exp()
        else:
            ede = (nw.col(f"__bf_atk_{label(e)}") / W) ** (1.0 / (1.0 - ef))
        defined = income_ok & (~has_nonpos if ef >= 1 else ~has_neg)
        out.append(nw.when(defined).then(1 - ede / (Y / W)).alias(f"atkinson_{label(e)}"))

    result = sums.select(*by, *out)
    if by:
        result = result.sort(*by)
    return result


# ---------------------------------------------------------------------------------------------
# Theil decomposition


def theil_decomposition(
    frame: IntoFrameT,
    *,
    income: str,
    by: Sequence[str],
    over: Sequence[str] = (),
    size: str | None = None,
    weight: str | None = None,
) -> TheilDecomposition[IntoFrameT]:
    """Theil T and L of each ``over`` group, between and within the subgroups ``by``.

    E.g. ``over=("county",), by=("village",)``: each county's inequality split into the part
    between its villages' means and the part within its villages. Same conventions as
    ``income_measures`` (T null with a negative income, L null with an income ≤ 0).
    """
    by, over = _names(by), _names(over)
    if not by:
        raise ValueError("by: give the columns that form the subgroups")
    _check_columns(income, [*over, *by], size, weight)
    lf, eager = lazy(frame)
    lf, names = spark_safe(lf)
    totals, groups = _theil_plans(
        lf,
        income=names(income),
        by=names.each(by),
        over=names.each(over),
        size=names.optional(size),
        weight=names.optional(weight),
    )
    return TheilDecomposition(
        totals=finish(names.restore(totals), eager),
        groups=finish(names.restore(groups), eager),
    )


def _theil_plans(
    lf: nw.LazyFrame[Any],
    *,
    income: str,
    by: list[str],
    over: list[str],
    size: str | None,
    weight: str | None,
) -> tuple[nw.LazyFrame[Any], nw.LazyFrame[Any]]:
    """``theil_decomposition`` as two lazy plans (totals, groups)."""
    rows = _weighted_rows(lf, income, size, weight)
    y, w = nw.col(income).cast(nw.Float64()), nw.col(_W)
    positive = y > 0
    one, zero = nw.lit(1, nw.Int64()), nw.lit(0, nw.Int64())
    sub = _aggregate(
        rows,
        [*over, *by],
        nw.len().cast(nw.Int64()).alias(_N),
        w.sum(),
        (w * y).sum().alias(_WY),
        nw.when(positive).then(w * y * y.log()).otherwise(0.0).sum().alias(_TT),
        nw.when(positive).then(w * y.log()).otherwise(0.0).sum().alias(_TL),
        nw.when(~positive).then(one).otherwise(zero).sum().alias(_NP),
        nw.when(y < 0).then(one).otherwise(zero).sum().alias(_NG),
    )

    def total(name: str) -> nw.Expr:
        expr = nw.col(name).sum()
        return expr.over(*over) if over else expr

    # Each subgroup carries its over-group's sums, for its shares and its parts.
    W, Y = nw.col("__bf_W_o"), nw.col("__bf_Y_o")
    sub = sub.with_columns(total(_W).alias("__bf_W_o"), total(_WY).alias("__bf_Y_o"))
    Wg, Yg = nw.col(_W), nw.col(_WY)
    mean_g, mu = _div(Yg, Wg), _div(Y, W)
    t_ok = (Yg > 0) & (nw.col(_NG) == 0)
    l_ok = (Wg > 0) & (nw.col(_NP) == 0)
    t_g = nw.when(t_ok).then(nw.col(_TT) / Yg - mean_g.log())
    l_g = nw.when(l_ok).then(mean_g.log() - nw.col(_TL) / Wg)
    s_g, p_g = _div(Yg, Y), _div(Wg, W)
    # The parts: s_g·T_g = (Σ w y ln y − Y_g ln μ_g)/Y, s_g·ln(μ_g/μ) (0 for a subgroup of
    # zero incomes, s_g = 0), p_g·L_g, p_g·ln(μ/μ_g).
    parts = {
        "theil_t_within": _div(
            nw.when(t_ok).then(nw.col(_TT) - Yg * mean_g.log()).otherwise(0.0), Y
        ),
        "theil_t_between": _div(nw.when(Yg > 0).then(Yg * (mean_g / mu).log()).otherwise(0.0), Y),
        "theil_l_within": nw.when(l_ok).then(p_g * l_g),
        "theil_l_between": nw.when(l_ok).then(p_g * (mu / mean_g).log()),
    }
    sub = sub.with_columns(*(expr.alias(name) for name, expr in parts.items()))
    groups = sub.select(
        *over,
        *by,
        nw.col(_N).alias("rows"),
        Wg.alias("population"),
        mean_g.alias("mean"),
        p_g.alias("population_share"),
        s_g.alias("income_share"),
        t_g.alias("theil_t"),
        l_g.alias("theil_l"),
        *parts,
    ).sort(*over, *by)

    # The totals' between and within are the sums of the subgroups' parts, not
    # Σ s_g ln μ_g − ln μ: that difference of two numbers near ln μ loses about five digits
    # when the subgroup means are close (and so differed between Polars and Spark, whose sums
    # round differently), while the ratios μ_g/μ keep them.
    tot = _aggregate(
        sub,
        over,
        nw.col(_N).sum(),
        nw.len().cast(nw.Int64()).alias("groups"),
        *(nw.col(c).sum() for c in (_W, _WY, _TT, _TL, _NP, _NG, *parts)),
    )
    W, Y = nw.col(_W), nw.col(_WY)
    mu = _div(Y, W)
    t_ok = (W > 0) & (Y > 0) & (nw.col(_NG) == 0)
    l_ok = (W > 0) & (Y > 0) & (nw.col(_NP) == 0)
    totals = tot.select(
        *over,
        nw.col(_N).alias("rows"),
        W.alias("population"),
        mu.alias("mean"),
        nw.col("groups"),
        nw.col(_NP).alias("nonpositive"),
        nw.col(_NG).alias("negative"),
        nw.when(t_ok).then(nw.col(_TT) / Y - mu.log()).alias("theil_t"),
        nw.when(t_ok).then(nw.col("theil_t_between")).alias("theil_t_between"),
        nw.when(t_ok).then(nw.col("theil_t_within")).alias("theil_t_within"),
        nw.when(l_ok).then(mu.log() - nw.col(_TL) / W).alias("theil_l"),
        nw.when(l_ok).then(nw.col("theil_l_between")).alias("theil_l_between"),
        nw.when(l_ok).then(nw.col("theil_l_within")).alias("theil_l_within"),
    )
    if over:
        totals = totals.sort(*over)
    return totals, groups
