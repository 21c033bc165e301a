"""``bangfu measure``'s computation: a survey file and a spec in, one result dict out.

``measure_file(path, spec, by=(), engine="polars")`` scans a ``.parquet`` or ``.csv`` file
lazily with Polars, checks the columns and values the spec names (``MeasureError`` with a
one-line message naming the column, the place in the spec and, for a bad value, the data row),
computes the measures once for the whole population and once grouped by ``by`` (one lazy
query each), and returns a dict in the JSON shape documented in ``docs/measures.md``::

    {"rows": n, "population": persons, "by": [...],
     "income_rows": …, "mean": …, "nonpositive": …,          # with [income]
     "fgt": [{"line": z, "alpha": a, "value": v}, …],
     "poor": [{"line": z, "value": persons}, …],
     "watts": [{"line": z, "value": v}, …], "sen": [{"line": z, "value": v}, …],
     "gini": …, "theil_t": …, "theil_l": …,
     "mpi": {"k": "1/3", "rows_excluded": …, "population": …, "poor_population": …,   # with [mpi]
             "H": …, "A": …, "M0": …, "M1": …, "M2": …, "vulnerable": …, "severe": …,
             "censored_headcount": {indicator: …}, "uncensored_headcount": {indicator: …},
             "contribution": {indicator: share of M0}, "contribution_absolute": {indicator: …},
             "dimension_contribution": {dimension: share of M0},
             "dimension_contribution_absolute": {dimension: …}},
     "groups": [{"by": {column: value}, "rows": …, "population": …, …the same fields…}, …]}

``rows`` counts the input rows and ``population`` the persons (Σ weight × size over the rows
whose weight and size are present); ``income_rows`` the rows with an income that the income
measures use. Undefined figures (a Theil L with a zero income, A with nobody poor) are None.

Engines. The queries are Narwhals plans (``_plans``), the same for both engines. With
``engine="polars"`` they run on the Polars scan and are collected together. With
``engine="spark"`` the data are still *checked* with Polars on the file (a streaming scan of the
named columns: the same messages, with data rows, whichever engine computes; Spark has no row
order to name a row by), and then Spark reads the data (``bangfu.engine.spark``: a Parquet
file as it is, a CSV file as the Parquet copy Polars writes of the named columns, so that both
engines compute on the same values) and the same plans run there, one Spark job each, their
small results coming back through Arrow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import narwhals as nw
import polars as pl

from bangfu.engine import spark
from bangfu.engine.columns import Renamed, spark_safe
from bangfu.engine.measures.income import income_measures, label
from bangfu.engine.measures.mpi import MpiDataError, MpiSpec, mpi
from bangfu.engine.spec import IncomeSpec, MeasureSpec

__all__ = ["ENGINES", "SUFFIXES", "Engine", "MeasureError", "measure", "measure_file", "scan"]

SUFFIXES = (".parquet", ".csv")

Engine = Literal["polars", "spark"]
ENGINES: tuple[Engine, ...] = ("polars", "spark")

_ROW = "__bf_row"


class MeasureError(ValueError):
    """The input cannot be measured with the spec (the message says what and where)."""


# -- reading -----------------------------------------------------------------------------------


def scan(path: str | Path) -> pl.LazyFrame:
    """A lazy scan of a ``.parquet`` or ``.csv`` file (CSV: UTF-8, header row, comma; the
    column types are inferred from the whole file, an empty field is null)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise MeasureError(
            f"{path}: unknown file type {suffix or '(no extension)'!r}; "
            f"give a {' or '.join(SUFFIXES)} file"
        )
    if not path.is_file():
        raise MeasureError(f"{path}: input file not found")
    if suffix == ".parquet":
        return pl.scan_parquet(path)
    return pl.scan_csv(path, infer_schema_length=None)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- checking ----------------------------------------------------------------------------------


def _is_numeric(dtype: pl.DataType) -> bool:
    return bool(dtype.is_numeric())


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or dtype == pl.Categorical


def _not_a_number(col: str) -> pl.Expr:
    """A non-empty text value that does not read as a number."""
    text = pl.col(col).cast(pl.String).str.strip_chars()
    return text.is_not_null() & (text != "") & text.cast(pl.Float64, strict=False).is_null()


def check_data(lf: pl.LazyFrame, spec: MeasureSpec, by: Sequence[str], source: str) -> None:
    """Refuse data that do not fit the spec: a missing column, a non-numeric income, size,
    weight or indicator, a negative size or weight, a binary indicator other than 0/1."""
    try:
        schema = lf.collect_schema()
    except pl.exceptions.PolarsError as exc:
        raise MeasureError(f"{source}: cannot read the file: {_first_line(exc)}") from None
    names = list(schema.names())
    wanted = spec.columns()
    shown = ", ".join(names[:30]) + (", …" if len(names) > 30 else "")
    for column, where in [*wanted.items(), *((c, "--by") for c in by)]:
        if column not in schema:
            raise MeasureError(
                f"{source}: column {column!r} ({where}) is not in the file; its columns: {shown}"
            )
    if len(set(by)) != len(by):
        raise MeasureError(f"--by: a column is given twice: {', '.join(by)}")
    for column in by:
        if column in wanted and not wanted[column].startswith("[mpi]"):
            raise MeasureError(f"--by {column}: the column is also the {wanted[column]}")

    # (what is wrong, condition on a row, column) — the first failing row is reported.
    checks: list[tuple[str, pl.Expr, str]] = []
    numeric: list[tuple[str, str]] = []
    if spec.income is not None:
        numeric.append((spec.income.column, "[income] column"))
    for key in ("size", "weight"):
        column = getattr(spec.population, key)
        if column is not None:
            numeric.append((column, f"[population] {key}"))
    mpi_spec = spec.mpi
    if mpi_spec is not None:
        for n, ind in enumerate(mpi_spec.indicators, start=1):
            where = f"[mpi] indicator {n}"
            dtype = schema[ind.column]
            if ind.binary and dtype == pl.Boolean:
                continue
            numeric.append((ind.column, where))
            if ind.binary and _is_numeric(dtype):
                bad = ~pl.col(ind.column).is_in([0, 1]) & pl.col(ind.column).is_not_null()
                if dtype.is_float():
                    bad = bad & ~pl.col(ind.column).is_nan()
                checks.append((f"binary indicator ({where}) is not 0 or 1", bad, ind.column))

    for column, where in numeric:
        dtype = schema[column]
        if _is_numeric(dtype):
            continue
        if not _is_text(dtype):
            raise MeasureError(
                f"{source}: column {column!r} ({where}) must be numeric, not {dtype}"
            )
        checks.append((f"({where}) is not a number", _not_a_number(column), column))
    for key in ("size", "weight"):
        column = getattr(spec.population, key)
        if column is not None and _is_numeric(schema[column]):
            checks.append((f"([population] {key}) is negative", pl.col(column) < 0, column))

    if checks:
        indexed = lf.with_row_index(_ROW, offset=1)
        exprs: list[pl.Expr] = []
        for i, (_, cond, column) in enumerate(checks):
            exprs.append(pl.col(_ROW).filter(cond).first().alias(f"row{i}"))
            exprs.append(pl.col(column).filter(cond).first().cast(pl.String).alias(f"value{i}"))
        try:
            found = indexed.select(exprs).collect().row(0)
        except pl.exceptions.PolarsError as exc:
            raise MeasureError(f"{source}: cannot read the file: {_first_line(exc)}") from None
        for i, (what, _, column) in enumerate(checks):
            row, value = found[2 * i], found[2 * i + 1]
            if row is not None:
                raise MeasureError(
                    f"{source}: column {column!r} {what}: {value!r} in data row {row}"
                )

    for column, where in numeric:
        if _is_text(schema[column]):
            raise MeasureError(
                f"{source}: column {column!r} ({where}) is stored as text and holds no numbers"
            )


# -- computing ---------------------------------------------------------------------------------


def _persons(spec: MeasureSpec, names: Renamed) -> nw.Expr:
    size = names.optional(spec.population.size)
    weight = names.optional(spec.population.weight)
    if weight is not None:
        expr = nw.col(weight).cast(nw.Float64)
        if size is not None:
            expr = expr * nw.col(size).cast(nw.Float64)
        return expr.sum()
    if size is not None:
        return nw.col(size).sum()
    return nw.len()


def _clean(value: Any) -> Any:
    """JSON-ready: NaN and infinities become None; other non-JSON scalars their text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return str(value)


def _line(z: Decimal) -> float:
    return float(z)


def _income_fields(row: dict[str, Any] | None, inc: IncomeSpec) -> dict[str, Any]:
    def get(name: str) -> Any:
        return None if row is None else row[name]

    lines = list(enumerate(inc.lines))
    return {
        "income_rows": 0 if row is None else row["rows"],
        "mean": get("mean"),
        "nonpositive": 0 if row is None else row["nonpositive"],
        "fgt": [
            {"line": _line(z), "alpha": a, "value": get(f"fgt_{label(a)}_{j}")}
            for j, z in lines
            for a in inc.alphas
        ],
        "poor": [{"line": _line(z), "value": get(f"poor_{j}")} for j, z in lines],
        "watts": [{"line": _line(z), "value": get(f"watts_{j}")} for j, z in lines],
        "sen": [{"line": _line(z), "value": get(f"sen_{j}")} for j, z in lines],
        "gini": get("gini"),
        "theil_t": get("theil_t"),
        "theil_l": get("theil_l"),
    }


def _mpi_fields(row: dict[str, Any], spec: MpiSpec) -> dict[str, Any]:
    cols = [ind.column for ind in spec.indicators]
    dims = spec.dimensions
    return {
        "k": str(spec.k),
        "rows_excluded": row["rows_excluded"],
        "population": row["population"],
        "poor_population": row["poor_population"],
        **{name: row[name] for name in ("H", "A", "M0", "M1", "M2", "vulnerable", "severe")},
        "censored_headcount": {c: row[f"censored_h__{c}"] for c in cols},
        "uncensored_headcount": {c: row[f"uncensored_h__{c}"] for c in cols},
        "contribution": {c: row[f"relative_contribution__{c}"] for c in cols},
        "contribution_absolute": {c: row[f"contribution__{c}"] for c in cols},
        "dimension_contribution": {d: row[f"relative_dimension_contribution__{d}"] for d in dims},
        "dimension_contribution_absolute": {d: row[f"dimension_contribution__{d}"] for d in dims},
    }


def _plans(
    frame: Any, spec: MeasureSpec, by: list[str], source: str
) -> dict[str, nw.LazyFrame[Any]]:
    """The lazy queries of one measurement, for a native lazy frame of either engine."""
    # The row counts refer to the columns themselves: Spark-unsafe names renamed for them
    # (the measures do the same inside).
    counted, names = spark_safe(nw.from_native(frame))
    persons = _persons(spec, names).alias("population")
    plans: dict[str, nw.LazyFrame[Any]] = {
        "base": counted.select(nw.len().alias("rows"), persons),
    }
    if by:
        keys = names.each(by)
        grouped = counted.group_by(*keys).agg(nw.len().alias("rows"), persons)
        plans["base_by"] = names.restore(grouped.sort(*keys, nulls_last=True))
    size, weight = spec.population.size, spec.population.weight
    inc = spec.income
    if inc is not None:
        common: dict[str, Any] = {
            "income": inc.column,
            "lines": inc.lines,
            "alphas": inc.alphas,
            "size": size,
            "weight": weight,
            "atkinson": (),
        }
        plans["income"] = nw.from_native(income_measures(frame, **common))
        if by:
            plans["income_by"] = nw.from_native(income_measures(frame, by=by, **common))
    if spec.mpi is not None:
        try:
            plans["mpi"] = nw.from_native(mpi(frame, spec.mpi, size=size, weight=weight))
            if by:
                grouped_mpi = mpi(frame, spec.mpi, by=by, size=size, weight=weight)
                plans["mpi_by"] = nw.from_native(grouped_mpi)
        except MpiDataError as exc:
            raise MeasureError(f"{source}: [mpi] {exc}") from None
    return plans


def _collect_polars(plans: dict[str, nw.LazyFrame[Any]], source: str) -> dict[str, pl.DataFrame]:
    """The Polars plans collected together (one pass over a shared scan)."""
    try:
        frames = pl.collect_all([plan.to_native() for plan in plans.values()])
    except pl.exceptions.PolarsError as exc:
        raise MeasureError(f"{source}: cannot measure the file: {_first_line(exc)}") from None
    return dict(zip(plans, frames, strict=True))


def _result(frames: dict[str, pl.DataFrame], spec: MeasureSpec, by: list[str]) -> dict[str, Any]:
    """The result dict from the collected frames; groups in ``base_by``'s order."""
    inc = spec.income

    def fields(base: dict[str, Any], inc_row: dict[str, Any] | None, mpi_row: Any) -> Any:
        out = {"rows": base["rows"], "population": base["population"]}
        if inc is not None:
            out |= _income_fields(inc_row, inc)
        if spec.mpi is not None:
            out["mpi"] = _mpi_fields(mpi_row, spec.mpi)
        return out

    def rows(name: str) -> list[dict[str, Any]]:
        return frames[name].to_dicts() if name in frames else []

    def first(name: str) -> dict[str, Any] | None:
        found = rows(name)
        return found[0] if found else None

    result: dict[str, Any] = fields(rows("base")[0], first("income"), first("mpi"))
    result["by"] = by
    groups: list[dict[str, Any]] = []
    if by:
        income_by = {tuple(r[c] for c in by): r for r in rows("income_by")}
        mpi_by = {tuple(r[c] for c in by): r for r in rows("mpi_by")}
        for base in rows("base_by"):
            key = tuple(base[c] for c in by)
            group = {"by": dict(zip(by, key, strict=True))}
            group |= fields(base, income_by.get(key), mpi_by.get(key))
            groups.append(group)
    result["groups"] = groups
    return dict(_clean(result))


def measure(
    lf: pl.LazyFrame, spec: MeasureSpec, by: Sequence[str] = (), *, source: str = "data"
) -> dict[str, Any]:
    """The result dict (see the module docstring) for a lazy frame; checks the data first."""
    by = list(by)
    check_data(lf, spec, by, source)
    return _result(_collect_polars(_plans(lf, spec, by, source), source), spec, by)


def _measure_on_spark(
    path: str | Path, lf: pl.LazyFrame, spec: MeasureSpec, by: list[str]
) -> dict[str, Any]:
    source = str(path)
    spark.available()  # a missing PySpark or Java is said before the data are read
    check_data(lf, spec, by, source)
    try:
        frame = spark.read(path, lf, [*spec.columns(), *by])
    except (pl.exceptions.PolarsError, OSError) as exc:  # the CSV's Parquet copy
        raise MeasureError(f"{source}: cannot hand the file to Spark: {_first_line(exc)}") from None
    try:
        with spark.failures():  # planning asks Spark to analyse each step, too
            frames = spark.collect(_plans(frame, spec, by, source))
    except spark.SparkFailed as exc:
        raise MeasureError(f"{source}: Spark cannot measure the file: {exc}") from None
    return _result(frames, spec, by)


def measure_file(
    path: str | Path, spec: MeasureSpec, by: Sequence[str] = (), *, engine: Engine = "polars"
) -> dict[str, Any]:
    """Scan ``path`` (.parquet or .csv), check it and measure it on ``engine`` (see
    ``measure``). ``engine="spark"`` raises ``spark.SparkUnavailable`` when Spark cannot run
    here; the result is the same dict, the same figures (see docs/measures.md)."""
    lf = scan(path)
    if engine == "spark":
        return _measure_on_spark(path, lf, spec, list(by))
    return measure(lf, spec, by, source=str(path))
