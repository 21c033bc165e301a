"""Alkire–Foster multidimensional poverty measures (the MPI), identified exactly.

Method: Alkire & Foster (2011), "Counting and multidimensional poverty measurement", J. Public
Econ. 95(7–8); Alkire, Foster, Seth, Santos, Roche & Ballon (2015), *Multidimensional Poverty
Measurement and Analysis*, OUP, ch. 5. Intensity bands as OPHI's global MPI publishes them
(vulnerable: 20 % ≤ score < 33.3 %; severe: score ≥ 50 %).

Conventions (documented in the module so that the CLI and the pages say the same thing):

* **Deprivation.** An indicator is *binary* (no cutoff: the column holds 1 = deprived, 0 = not,
  or a boolean) or *cardinal* (an achievement with a cutoff ``z``: deprived iff ``x < z``,
  strictly). The comparison is exact although ``z`` is a fraction and ``x`` a float: an integer
  column is compared with ``ceil(z)``, a float column with the float nearest ``z`` using ``<=``
  when that float lies below ``z`` (no float lies strictly between them).
* **Exact identification.** Weights, ``k`` and the band boundaries are fractions. They are put on
  a common denominator ``D`` (the lcm of their denominators), so each weight is an integer
  ``w_i·D`` and a row's deprivation score is the *integer* ``Σ w_i·D`` over its deprived
  indicators. A row is poor iff ``score ≥ k·D``, compared as integers: a score of exactly 1/3
  with ``k = 1/3`` is poor whatever the order of summation (floats give 0.3333333333333333 for
  1/9 + 1/12 + 1/12 + 1/18, below 1/3).
* **Person weights.** Each row (household) counts ``weight × size`` persons: sampling weight
  times household size where given, 1 where not. All measures are person-weighted.
* **Missing indicators** (null, or NaN in a float column), chosen by ``MpiSpec.missing``:

  - ``"drop"`` (default, OPHI's practice): the row is left out of every measure. The global
    MPI is estimated only on observations with non-missing values in all indicators (OPHI's
    global MPI do-files: ``sample = (d_educ != . & d_satt != . & …)``, "the estimation is
    based only on observations that have non-missing values for all variables"; Alkire,
    Kanagaratnam & Suppa, *The Global MPI 2018 Revision*, OPHI MPI Methodological Note 46,
    which reports the sample kept). ``rows_excluded`` reports the loss per group.
  - ``"reweight"``: the row keeps its dimension weights; within a dimension the weight of a
    missing indicator is shared among that dimension's observed indicators in proportion to
    their weights (the rule OPHI applies when a survey lacks an indicator: "weights need to be
    adjusted within each dimension such that each dimension weighs 1/3"). A row missing every
    indicator of a dimension is left out as under ``"drop"``. Reweighting is exact: the scores
    use the denominator ``D·L``, ``L`` the lcm of every possible sum of a dimension's observed
    integer weights, and ``w_i·D_d·L / (observed weight of d)`` is an integer.

* **M1 and M2** (adjusted poverty gap and squared gap): the normalised gap of a deprived
  cardinal indicator is ``(z − x) / z`` (achievements are taken to be ≥ 0, cutoffs > 0); a
  deprived *binary* indicator enters with gap 1 (usual practice: no depth is known), so with
  only binary indicators ``M1 = M2 = M0``. Gaps are censored (only poor rows count) and
  weighted like the deprivations. Gaps are floats; identification never uses them.
* **Headcounts and contributions.** Uncensored headcount of indicator i: persons deprived in i
  over persons observed in i. Censored headcount: persons deprived in i *and* poor over the
  population. Absolute contribution: ``w_i · censored_h_i`` (with row-specific weights under
  ``"reweight"``), summing to M0 over the indicators; relative contribution: that over M0
  (a share: ×100 for %), summing to 1. By dimension: sums over its indicators.
* **Bands.** From the integer scores: severe iff ``score ≥ 1/2``; vulnerable iff
  ``1/5 ≤ score < 1/3`` and not poor (both boundaries configurable fractions).
* **Undefined ratios are null**: H, M0, M1, M2 of an empty population; A and the relative
  contributions where nobody is poor.

Every measure is computed as per-row terms plus sums grouped by any columns, in one lazy query
(``mpi_sums``); the ratios come from the sums (``mpi_finish``). Sums from partitions of the data
add up, so a cluster sums the partitions' ``mpi_sums`` by the same keys and finishes once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import ceil, lcm
from typing import Any, Literal, TypeAlias, cast

import narwhals as nw
from narwhals.typing import IntoFrameT

from bangfu.engine.columns import Renamed, free_prefix, spark_safe, unsafe

Missing = Literal["drop", "reweight"]
MISSING_RULES: tuple[Missing, ...] = ("drop", "reweight")
Exact: TypeAlias = Fraction | Decimal | int | float | str

Frame: TypeAlias = "nw.DataFrame[Any] | nw.LazyFrame[Any]"

# The largest common denominator accepted: scores, weights times scores and their sums over
# millions of rows stay far inside int64.
MAX_DENOMINATOR = 10**9

# Band labels of mpi_rows.
SEVERE, POOR, VULNERABLE, NON_POOR = "severe", "poor", "vulnerable", "non_poor"


class MpiSpecError(ValueError):
    """The MPI specification is invalid (the message says why)."""


class MpiDataError(ValueError):
    """The data do not fit the specification (missing or non-numeric columns)."""


def exact(value: Exact, what: str) -> Fraction:
    """An exact fraction from ``"1/6"``, ``"0.25"``, an int, a Decimal or a Fraction.

    A float is read through its shortest decimal form (``0.1`` → 1/10), which is what was typed
    in a TOML file; booleans and non-finite values are refused.
    """
    if isinstance(value, bool):
        raise MpiSpecError(f"{what}: {value!r} is not a number")
    try:
        if isinstance(value, float):
            return Fraction(repr(value))
        if isinstance(value, str):
            return Fraction(value.strip())
        return Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        raise MpiSpecError(
            f"{what}: {value!r} is not an exact number (write e.g. '1/6' or '0.25')"
        ) from exc


@dataclass(frozen=True, init=False)
class Indicator:
    """One indicator: a column, its dimension, its weight and, for a cardinal indicator, the
    cutoff (deprived iff value < cutoff). Without a cutoff the column is binary (1 = deprived)."""

    column: str
    dimension: str
    weight: Fraction
    cutoff: Fraction | None = None

    def __init__(
        self, column: str, dimension: str, weight: Exact, cutoff: Exact | None = None
    ) -> None:
        if not isinstance(column, str) or not column.strip():
            raise MpiSpecError("indicator column: a column name is required")
        if not isinstance(dimension, str) or not dimension.strip():
            raise MpiSpecError(f"indicator {column!r}: the dimension name is empty")
        w = exact(weight, f"indicator {column!r} weight")
        if w <= 0:
            raise MpiSpecError(f"indicator {column!r}: weight {w} must be positive")
        z = None if cutoff is None else exact(cutoff, f"indicator {column!r} cutoff")
        if z is not None and z <= 0:
            raise MpiSpecError(
                f"indicator {column!r}: cutoff {z} must be positive "
                "(normalised gaps (z − x)/z divide by it)"
            )
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "dimension", dimension)
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "cutoff", z)

    @property
    def binary(self) -> bool:
        return self.cutoff is None


@dataclass(frozen=True, init=False)
class MpiSpec:
    """Indicators with nested weights, the poverty cutoff ``k`` and the missing-data rule.

    Refuses (``MpiSpecError``) no indicators, duplicate columns, weights not summing to 1, ``k``
    outside (0, 1], an unknown missing rule and band boundaries outside [0, 1].
    """

    indicators: tuple[Indicator, ...]
    k: Fraction
    missing: Missing = "drop"
    vulnerable: tuple[Fraction, Fraction] = (Fraction(1, 5), Fraction(1, 3))
    severe: Fraction = Fraction(1, 2)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __init__(
        self,
        indicators: Iterable[Indicator],
        k: Exact,
        missing: str = "drop",
        vulnerable: tuple[Exact, Exact] = ("1/5", "1/3"),
        severe: Exact = "1/2",
    ) -> None:
        inds = tuple(indicators)
        if not inds:
            raise MpiSpecError("the MPI needs at least one indicator")
        seen: set[str] = set()
        for ind in inds:
            if not isinstance(ind, Indicator):
                raise MpiSpecError(f"{ind!r} is not an Indicator")
            if ind.column in seen:
                raise MpiSpecError(f"indicator column {ind.column!r} appears twice")
            seen.add(ind.column)
        total = sum((ind.weight for ind in inds), Fraction(0))
        if total != 1:
            raise MpiSpecError(f"indicator weights sum to {total} ({float(total):.6g}), not 1")
        kk = exact(k, "k")
        if not 0 < kk <= 1:
            raise MpiSpecError(f"k = {kk} must lie in (0, 1]")
        if missing not in MISSING_RULES:
            raise MpiSpecError(f"missing = {missing!r}: choose one of {', '.join(MISSING_RULES)}")
        lo, hi = exact(vulnerable[0], "vulnerable from"), exact(vulnerable[1], "vulnerable to")
        sev = exact(severe, "severe")
        if not 0 <= lo < hi <= 1:
            raise MpiSpecError(f"vulnerable band [{lo}, {hi}) must satisfy 0 ≤ from < to ≤ 1")
        if not 0 < sev <= 1:
            raise MpiSpecError(f"severe = {sev} must lie in (0, 1]")
        object.__setattr__(self, "indicators", inds)
        object.__setattr__(self, "k", kk)
        object.__setattr__(self, "missing", missing)
        object.__setattr__(self, "vulnerable", (lo, hi))
        object.__setattr__(self, "severe", sev)
        object.__setattr__(self, "_cache", {})
        if self.denominator > MAX_DENOMINATOR:
            raise MpiSpecError(
                f"the weights, k and bands need a common denominator of {self.denominator}, "
                f"above {MAX_DENOMINATOR}; simplify the weights"
                + (" or use missing='drop'" if missing == "reweight" else "")
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MpiSpec:
        """The spec from the ``[mpi]`` table of a TOML file (``k``, ``missing``,
        ``vulnerable = [from, to]``, ``severe``, ``[[mpi.indicators]]`` with ``column``,
        ``dimension``, ``weight`` and optional ``cutoff``)."""
        known = {"k", "missing", "vulnerable", "severe", "indicators"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise MpiSpecError(f"unknown MPI setting(s): {', '.join(unknown)}")
        if "k" not in data:
            raise MpiSpecError("k is required")
        raw = data.get("indicators") or []
        if not isinstance(raw, list):
            raise MpiSpecError("indicators must be a list of tables")
        inds = []
        for n, item in enumerate(raw, start=1):
            if not isinstance(item, Mapping):
                raise MpiSpecError(f"indicator {n} must be a table")
            bad = sorted(set(item) - {"column", "dimension", "weight", "cutoff"})
            if bad:
                raise MpiSpecError(f"indicator {n}: unknown setting(s): {', '.join(bad)}")
            for key in ("column", "dimension", "weight"):
                if key not in item:
                    raise MpiSpecError(f"indicator {n}: {key} is required")
            inds.append(
                Indicator(item["column"], item["dimension"], item["weight"], item.get("cutoff"))
            )
        vulnerable = data.get("vulnerable", ("1/5", "1/3"))
        if not isinstance(vulnerable, list | tuple) or len(vulnerable) != 2:
            raise MpiSpecError("vulnerable must be a pair [from, to]")
        return cls(
            inds,
            k=data["k"],
            missing=data.get("missing", "drop"),
            vulnerable=(vulnerable[0], vulnerable[1]),
            severe=data.get("severe", "1/2"),
        )

    # -- the integer scale -------------------------------------------------------------------

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Dimension names in order of first appearance."""
        return tuple(dict.fromkeys(ind.dimension for ind in self.indicators))

    @property
    def base(self) -> int:
        """D: the lcm of the denominators of the weights, k and the band boundaries."""
        fracs = [ind.weight for ind in self.indicators]
        fracs += [self.k, *self.vulnerable, self.severe]
        return lcm(*(f.denominator for f in fracs))

    def int_weight(self, ind: Indicator) -> int:
        """``w_i · D``."""
        return int(ind.weight * self.base)

    def dimension_weight(self, dimension: str) -> int:
        """``Σ w_i · D`` over the dimension's indicators."""
        return sum(self.int_weight(i) for i in self.indicators if i.dimension == dimension)

    @property
    def reweight_factor(self) -> int:
        """L: 1 under ``"drop"``; under ``"reweight"`` the lcm of every non-empty sum of a
        dimension's integer weights (every possible observed weight of a dimension)."""
        if "L" not in self._cache:
            factor = 1
            if self.missing == "reweight":
                for dim in self.dimensions:
                    sums = {0}
                    for ind in self.indicators:
                        if ind.dimension == dim:
                            w = self.int_weight(ind)
                            sums |= {s + w for s in sums}
                    factor = lcm(factor, *(s for s in sums if s))
            self._cache["L"] = factor
        return cast(int, self._cache["L"])

    @property
    def denominator(self) -> int:
        """The denominator of the integer scores: ``D · L``."""
        return self.base * self.reweight_factor

    def scaled(self, value: Fraction) -> int:
        """``value`` on the score scale (an integer: its denominator divides D)."""
        out = value * self.denominator
        assert out.denominator == 1
        return int(out)


# -- the row terms ---------------------------------------------------------------------------

_FLOATS = (nw.Float32, nw.Float64)


def _is_float(dtype: Any) -> bool:
    return any(dtype == f for f in _FLOATS)


def _is_integer(dtype: Any) -> bool:
    return bool(dtype.is_integer())


def _check_columns(
    schema: Mapping[str, Any],
    spec: MpiSpec,
    by: Sequence[str],
    size: str | None,
    weight: str | None,
) -> None:
    for name in [*by, *(c for c in (size, weight) if c)]:
        if name not in schema:
            raise MpiDataError(f"column {name!r} is not in the data")
    for ind in spec.indicators:
        if ind.column not in schema:
            raise MpiDataError(f"indicator column {ind.column!r} is not in the data")
        dtype = schema[ind.column]
        numeric = dtype.is_numeric()
        if ind.binary and not (numeric or dtype == nw.Boolean):
            raise MpiDataError(
                f"binary indicator {ind.column!r} must be 0/1 or boolean, not {dtype}"
            )
        if not ind.binary and not numeric:
            raise MpiDataError(f"indicator {ind.column!r} must be numeric, not {dtype}")
    for person in (size, weight):
        if person and not schema[person].is_numeric():
            raise MpiDataError(f"column {person!r} must be numeric, not {schema[person]}")


def _below(col: str, dtype: Any, cutoff: Fraction) -> nw.Expr:
    """``x < cutoff`` exactly, for an integer or float column."""
    x = nw.col(col)
    if _is_integer(dtype):
        # An integer x < z iff x < ceil(z).
        return x.cast(nw.Int64) < nw.lit(ceil(cutoff), dtype=nw.Int64)
    near = float(cutoff)
    # No float lies strictly between z and its nearest float: x < z iff x <= near when near < z.
    if Fraction(near) < cutoff:
        return x.cast(nw.Float64) <= nw.lit(near, dtype=nw.Float64)
    return x.cast(nw.Float64) < nw.lit(near, dtype=nw.Float64)


def _missing(col: str, dtype: Any) -> nw.Expr:
    x = nw.col(col)
    return (x.is_null() | x.is_nan()) if _is_float(dtype) else x.is_null()


def _internal(name: str) -> str:
    return f"_mpi_{name}"


def _int(value: int) -> nw.Expr:
    return nw.lit(value, dtype=nw.Int64)


def _row_terms(
    frame: Frame,
    spec: MpiSpec,
    size: str | None,
    weight: str | None,
    by: Sequence[str] = (),
) -> tuple[Frame, bool]:
    """Add the per-row columns: deprivations, score, poor flag, band flags, person weight.

    Returns the frame and whether the person weights are integers (sums stay exact)."""
    schema = dict(frame.collect_schema())
    _check_columns(schema, spec, by, size, weight)
    scale = spec.reweight_factor
    dep = {ind.column: _internal(f"dep__{ind.column}") for ind in spec.indicators}
    obs = {ind.column: _internal(f"obs__{ind.column}") for ind in spec.indicators}
    eff = {ind.column: _internal(f"eff__{ind.column}") for ind in spec.indicators}
    gap = {ind.column: _internal(f"gap__{ind.column}") for ind in spec.indicators}

    # 1. Deprivation (Int64 0/1, 0 where missing), observed flag, normalised gap.
    step1: list[nw.Expr] = []
    for ind in spec.indicators:
        dtype = schema[ind.column]
        miss = _missing(ind.column, dtype)
        if ind.binary:
            col = nw.col(ind.column)
            deprived = col if dtype == nw.Boolean else col == 1
            depth: nw.Expr = nw.lit(1.0, dtype=nw.Float64)
        else:
            assert ind.cutoff is not None
            deprived = _below(ind.column, dtype, ind.cutoff)
            z = float(ind.cutoff)
            depth = (nw.lit(z, dtype=nw.Float64) - nw.col(ind.column).cast(nw.Float64)) / z
        is_dep = nw.when(~miss & deprived).then(_int(1)).otherwise(_int(0))
        step1.append(is_dep.alias(dep[ind.column]))
        step1.append(nw.when(miss).then(_int(0)).otherwise(_int(1)).alias(obs[ind.column]))
        step1.append(
            nw.when(~miss & deprived)
            .then(depth)
            .otherwise(nw.lit(0.0, dtype=nw.Float64))
            .alias(gap[ind.column])
        )

    # Person weight.
    integral = weight is None and (size is None or _is_integer(schema[size]))
    if weight is None and size is None:
        person: nw.Expr = _int(1)
    elif weight is None:
        assert size is not None
        person = nw.col(size).cast(nw.Int64 if integral else nw.Float64)
    else:
        person = nw.col(weight).cast(nw.Float64)
        if size is not None:
            person = person * nw.col(size).cast(nw.Float64)
    step1.append(person.alias(_internal("p")))
    frame = frame.with_columns(step1)

    # 2. Effective integer weights per row (constant under "drop"), exclusion.
    step2: list[nw.Expr] = []
    excluded_terms: list[nw.Expr] = [nw.col(_internal("p")).is_null()]
    if spec.missing == "drop":
        excluded_terms += [nw.col(obs[i.column]) == 0 for i in spec.indicators]
        for ind in spec.indicators:
            step2.append(_int(spec.int_weight(ind)).alias(eff[ind.column]))
    else:
        for dim in spec.dimensions:
            members = [i for i in spec.indicators if i.dimension == dim]
            observed = nw.sum_horizontal(
                *(nw.col(obs[i.column]) * _int(spec.int_weight(i)) for i in members)
            )
            excluded_terms.append(observed == 0)
            # W_d · (L // observed weight of d): an integer, since the observed weight divides L.
            factor = (
                nw.when(observed > 0)
                .then(_int(spec.dimension_weight(dim) * scale) // observed)
                .otherwise(_int(0))
            )
            for ind in members:
                step2.append(
                    (factor * _int(spec.int_weight(ind)) * nw.col(obs[ind.column])).alias(
                        eff[ind.column]
                    )
                )
    step2.append(nw.any_horizontal(*excluded_terms, ignore_nulls=True).alias(_internal("excl")))
    frame = frame.with_columns(step2)

    # 3. Integer score, identification, bands.
    score = nw.sum_horizontal(
        *(nw.col(dep[i.column]) * nw.col(eff[i.column]) for i in spec.indicators)
    )
    frame = frame.with_columns(
        nw.when(nw.col(_internal("excl"))).then(_int(0)).otherwise(score).alias(_internal("score"))
    )
    s = nw.col(_internal("score"))
    used = ~nw.col(_internal("excl"))
    poor = used & (s >= _int(spec.scaled(spec.k)))
    lo, hi = spec.vulnerable
    frame = frame.with_columns(
        poor.alias(_internal("poor")),
        (used & (s >= _int(spec.scaled(spec.severe)))).alias(_internal("severe")),
        (used & ~poor & (s >= _int(spec.scaled(lo))) & (s < _int(spec.scaled(hi)))).alias(
            _internal("vulnerable")
        ),
    )
    return frame, integral


def _frame(frame: Any) -> Frame:
    nwf = nw.from_native(frame)
    if not isinstance(nwf, nw.DataFrame | nw.LazyFrame):
        raise TypeError(f"expected a data frame, not {type(frame).__name__}")
    return nwf


# Result columns named after an indicator: f"{prefix}__{column}".
_PER_INDICATOR = (
    "observed",
    "deprived",
    "censored",
    "weighted_censored",
    "uncensored_h",
    "censored_h",
    "contribution",
    "relative_contribution",
)


def _spark_names(
    frame: Frame, spec: MpiSpec, *, sums: bool = False
) -> tuple[Frame, Renamed, MpiSpec, dict[str, str]]:
    """Rename the columns whose names Spark cannot take (see ``bangfu.engine.columns``).

    Returns the frame, the renaming, the spec on the renamed indicator columns and the result
    columns to name back (used → caller's). ``sums``: the frame is ``mpi_sums``' output.
    Nothing changes on Polars."""
    if not frame.implementation.is_spark_like():
        return frame, Renamed(), spec, {}
    prefix = free_prefix(frame.collect_schema().names(), "__bf_i")
    ind = {i.column: f"{prefix}{k}" for k, i in enumerate(spec.indicators) if unsafe(i.column)}
    derived = {f"{p}__{c}": f"{p}__{u}" for c, u in ind.items() for p in _PER_INDICATOR}
    frame, names = spark_safe(frame, preset=derived if sums else ind)
    if not ind:
        return frame, names, spec, {}
    used = MpiSpec(
        [
            Indicator(ind.get(i.column, i.column), i.dimension, i.weight, i.cutoff)
            for i in spec.indicators
        ],
        k=spec.k,
        missing=spec.missing,
        vulnerable=spec.vulnerable,
        severe=spec.severe,
    )
    return frame, names, used, {u: c for c, u in derived.items()}


# -- public API ------------------------------------------------------------------------------


def mpi_rows(
    frame: IntoFrameT, spec: MpiSpec, *, size: str | None = None, weight: str | None = None
) -> IntoFrameT:
    """The frame with each row's MPI figures added (for the household page):

    ``mpi_score`` (Int64: the deprivation score is exactly ``mpi_score / mpi_denominator``;
    null for an excluded row), ``mpi_denominator`` (Int64, ``spec.denominator``), ``mpi_poor``
    (Boolean, ``score ≥ k``), ``mpi_band`` (``"severe"``, ``"poor"``, ``"vulnerable"`` or
    ``"non_poor"``, in that precedence) and ``mpi_excluded`` (Boolean: left out by the missing
    rule). ``size`` and ``weight`` only decide exclusion (a null person weight excludes)."""
    nwf = _frame(frame)
    _check_columns(nwf.collect_schema(), spec, (), size, weight)  # in the caller's names
    nwf, renamed, spec, _ = _spark_names(nwf, spec)
    original = list(nwf.collect_schema().names())
    out, _ = _row_terms(nwf, spec, renamed.optional(size), renamed.optional(weight))
    excl = nw.col(_internal("excl"))
    band = (
        nw.when(nw.col(_internal("severe")))
        .then(nw.lit(SEVERE))
        .when(nw.col(_internal("poor")))
        .then(nw.lit(POOR))
        .when(nw.col(_internal("vulnerable")))
        .then(nw.lit(VULNERABLE))
        .otherwise(nw.lit(NON_POOR))
    )
    out = out.select(
        *original,
        nw.when(~excl).then(nw.col(_internal("score"))).alias("mpi_score"),
        _int(spec.denominator).alias("mpi_denominator"),
        nw.when(~excl).then(nw.col(_internal("poor"))).alias("mpi_poor"),
        nw.when(~excl).then(band).alias("mpi_band"),
        excl.alias("mpi_excluded"),
    )
    return cast(IntoFrameT, renamed.restore(out).to_native())


def _sum_columns(spec: MpiSpec) -> list[str]:
    names = [
        "rows",
        "rows_excluded",
        "population",
        "poor_population",
        "score_poor",
        "gap_poor",
        "gap2_poor",
        "vulnerable_population",
        "severe_population",
    ]
    for ind in spec.indicators:
        c = ind.column
        names += [f"observed__{c}", f"deprived__{c}", f"censored__{c}", f"weighted_censored__{c}"]
    return names


def mpi_sums(
    frame: IntoFrameT,
    spec: MpiSpec,
    *,
    by: Sequence[str] = (),
    size: str | None = None,
    weight: str | None = None,
) -> IntoFrameT:
    """Additive sums per group (one row per group; one row when ``by`` is empty).

    Columns, besides ``by``: ``rows`` and ``rows_excluded`` (counts of rows), and person-weighted
    sums over the rows kept: ``population``, ``poor_population``, ``score_poor`` (Σ score of the
    poor, in units of 1/``spec.denominator``), ``gap_poor`` and ``gap2_poor`` (Σ of weighted
    normalised gaps and squared gaps of the poor, same units), ``vulnerable_population``,
    ``severe_population`` and per indicator ``observed__c``, ``deprived__c``, ``censored__c``
    (deprived and poor) and ``weighted_censored__c`` (censored × row weight, units as score).
    Sums are integers when the person weights are (no sampling weight, integer sizes).
    Sums of partitions add up: re-sum by ``by`` and call ``mpi_finish``."""
    nwf = _frame(frame)
    _check_columns(nwf.collect_schema(), spec, by, size, weight)  # in the caller's names
    nwf, renamed, spec, back = _spark_names(nwf, spec)
    by, size, weight = renamed.each(by), renamed.optional(size), renamed.optional(weight)
    rows, integral = _row_terms(nwf, spec, size, weight, by)
    p = nw.col(_internal("p"))
    zero = _int(0) if integral else nw.lit(0.0, dtype=nw.Float64)
    used = ~nw.col(_internal("excl"))
    pu = nw.when(used).then(p).otherwise(zero)  # person weight of a kept row, else 0
    poor = nw.col(_internal("poor"))
    pp = nw.when(poor).then(p).otherwise(zero)
    gap1 = nw.sum_horizontal(
        *(
            nw.col(_internal(f"gap__{i.column}")) * nw.col(_internal(f"eff__{i.column}"))
            for i in spec.indicators
        )
    )
    gap2 = nw.sum_horizontal(
        *(
            nw.col(_internal(f"gap__{i.column}")) ** 2 * nw.col(_internal(f"eff__{i.column}"))
            for i in spec.indicators
        )
    )
    terms: list[nw.Expr] = [
        _int(1).alias("rows"),
        nw.when(used).then(_int(0)).otherwise(_int(1)).alias("rows_excluded"),
        pu.alias("population"),
        pp.alias("poor_population"),
        (pp * nw.col(_internal("score"))).alias("score_poor"),
        nw.when(poor).then(p * gap1).otherwise(nw.lit(0.0)).alias("gap_poor"),
        nw.when(poor).then(p * gap2).otherwise(nw.lit(0.0)).alias("gap2_poor"),
        nw.when(nw.col(_internal("vulnerable")))
        .then(p)
        .otherwise(zero)
        .alias("vulnerable_population"),
        nw.when(nw.col(_internal("severe"))).then(p).otherwise(zero).alias("severe_population"),
    ]
    for ind in spec.indicators:
        c = ind.column
        d = nw.col(_internal(f"dep__{c}"))
        terms += [
            (pu * nw.col(_internal(f"obs__{c}"))).alias(f"observed__{c}"),
            (pu * d).alias(f"deprived__{c}"),
            (pp * d).alias(f"censored__{c}"),
            (pp * d * nw.col(_internal(f"eff__{c}"))).alias(f"weighted_censored__{c}"),
        ]
    names = _sum_columns(spec)
    rows = rows.select(*by, *terms)
    sums = [nw.col(n).sum() for n in names]
    out = rows.group_by(by).agg(sums) if by else rows.select(sums)
    return cast(IntoFrameT, renamed.restore(out, back).to_native())


def _ratio(num: nw.Expr, den: nw.Expr) -> nw.Expr:
    """``num / den`` as one float division (correctly rounded when both are exact), null when
    ``den`` is 0."""
    return nw.when(den != 0).then(num.cast(nw.Float64) / den.cast(nw.Float64))


def mpi_finish(sums: IntoFrameT, spec: MpiSpec, *, by: Sequence[str] = ()) -> IntoFrameT:
    """The measures from ``mpi_sums`` (see ``mpi`` for the columns)."""
    nwf, renamed, spec, back = _spark_names(_frame(sums), spec, sums=True)
    by = renamed.each(by)
    scale = _int(spec.denominator)
    pop = nw.col("population")
    npoor = nw.col("poor_population")
    spoor = nw.col("score_poor")
    out: list[nw.Expr] = [
        nw.col("rows"),
        nw.col("rows_excluded"),
        pop,
        npoor,
        _ratio(npoor, pop).alias("H"),
        _ratio(spoor, npoor * scale).alias("A"),
        _ratio(spoor, pop * scale).alias("M0"),
        _ratio(nw.col("gap_poor"), pop * scale).alias("M1"),
        _ratio(nw.col("gap2_poor"), pop * scale).alias("M2"),
        _ratio(nw.col("vulnerable_population"), pop).alias("vulnerable"),
        _ratio(nw.col("severe_population"), pop).alias("severe"),
    ]
    for ind in spec.indicators:
        c = ind.column
        wc = nw.col(f"weighted_censored__{c}")
        out += [
            _ratio(nw.col(f"deprived__{c}"), nw.col(f"observed__{c}")).alias(f"uncensored_h__{c}"),
            _ratio(nw.col(f"censored__{c}"), pop).alias(f"censored_h__{c}"),
            _ratio(wc, pop * scale).alias(f"contribution__{c}"),
            _ratio(wc, spoor).alias(f"relative_contribution__{c}"),
        ]
    for dim in spec.dimensions:
        members = [i.column for i in spec.indicators if i.dimension == dim]
        wd = nw.sum_horizontal(*(nw.col(f"weighted_censored__{c}") for c in members))
        out += [
            _ratio(wd, pop * scale).alias(f"dimension_contribution__{dim}"),
            _ratio(wd, spoor).alias(f"relative_dimension_contribution__{dim}"),
        ]
    result = nwf.select(*by, *out)
    return cast(IntoFrameT, renamed.restore(result, back).to_native())


def mpi(
    frame: IntoFrameT,
    spec: MpiSpec,
    *,
    by: Sequence[str] = (),
    size: str | None = None,
    weight: str | None = None,
) -> IntoFrameT:
    """The Alkire–Foster measures per group of ``by`` (everyone when empty), in one query.

    Returns a native frame (lazy in, lazy out) with, besides ``by``: ``rows``,
    ``rows_excluded``, ``population`` and ``poor_population`` (persons), ``H`` (headcount
    ratio), ``A`` (average intensity among the poor), ``M0 = H·A``, ``M1``, ``M2``,
    ``vulnerable`` and ``severe`` (population shares), and per indicator ``c``:
    ``uncensored_h__c``, ``censored_h__c``, ``contribution__c`` (absolute: ``w·censored_h``)
    and ``relative_contribution__c`` (share of M0), per dimension ``d``:
    ``dimension_contribution__d`` and ``relative_dimension_contribution__d``. Groups come in no
    particular order. ``size`` is the household-size column, ``weight`` the sampling weight."""
    sums = mpi_sums(frame, spec, by=by, size=size, weight=weight)
    return mpi_finish(sums, spec, by=by)


def mpi_levels(
    frame: IntoFrameT,
    spec: MpiSpec,
    *,
    levels: Sequence[Sequence[str]],
    size: str | None = None,
    weight: str | None = None,
) -> list[IntoFrameT]:
    """``mpi`` at several nested levels (e.g. ``[[], ["county"], ["county", "village"]]``) from
    one pass over the rows: the sums by the finest level, re-summed for each coarser one.

    Every level's columns must be among the finest level's. The results equal ``mpi`` per level
    (identification is the same integer test; a float sum may differ in its last digit, being
    added in another order). With lazy Polars, collect the plans together (``pl.collect_all``)
    and the shared sums are computed once."""
    if not levels:
        return []
    groupings = [list(level) for level in levels]
    finest = max(groupings, key=len)
    for level in groupings:
        if not set(level) <= set(finest):
            raise ValueError(f"level {list(level)} is not within the finest level {finest}")
    sums: Any = nw.from_native(
        cast(Any, mpi_sums(frame, spec, by=finest, size=size, weight=weight))
    )
    totals = [nw.col(c).sum() for c in _sum_columns(spec)]
    out = []
    for level in groupings:
        if level == finest:
            grouped = sums
        elif level:
            grouped = sums.group_by(*level).agg(*totals)
        else:
            grouped = sums.select(*totals)
        out.append(cast(IntoFrameT, mpi_finish(grouped.to_native(), spec, by=level)))
    return out
