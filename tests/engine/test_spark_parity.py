"""The engine on PySpark gives the figures it gives on Polars.

The same functions (``income_measures`` with every column, ``theil_decomposition``, ``mpi``
under both missing rules), grouped and not, on a registry-like frame of 20,000 households in
50 villages of 5 counties, read by Spark from Parquet; then ``bangfu measure --engine spark``
on the example survey against ``--engine polars``. Counts, keys and nulls must be equal and
floats equal to 1e-12 relative: Spark adds the rows in another order than Polars, so the last
digit of a sum may differ, and a measure computed from sums by a little more.

The data hold what could differ between engines: null group keys, ties and zeros among
incomes, incomes exactly on a poverty line, a few negative incomes (Theil T and L null for
that village), a village with nobody poor, null incomes, sizes and weights, zero weights,
missing indicators (null, and NaN in a float indicator), deprivation scores exactly equal to
k = 1/3 as 1/9 + 1/12 + 1/12 + 1/18 (whose float sum falls below 1/3), column names with dots
and a Decimal income column."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bangfu.engine import spark
from bangfu.engine.cli import main
from bangfu.engine.measures.income import income_measures, theil_decomposition
from bangfu.engine.measures.mpi import Indicator, MpiSpec, mpi, mpi_rows

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
SURVEY = ROOT / "docs" / "examples" / "survey.csv"
SPEC = ROOT / "docs" / "examples" / "measure-spec.toml"

HOUSEHOLDS = 20_000
LINES = (4000.0, 6000.0)
ALPHAS = (0, 0.5, 1, 2)
REL = 1e-12
PERSONS = {"size": "hh_size", "weight": "weight"}


# -- the data --------------------------------------------------------------------------------


def _binary(rng: random.Random, p: float) -> int | None:
    return None if rng.random() < 0.01 else int(rng.random() < p)


def _income(rng: random.Random, village: int) -> float | None:
    r = rng.random()
    if r < 0.01:
        return 0.0
    if r < 0.03:
        return rng.choice(LINES)  # exactly on a line: not poor
    if r < 0.035:
        return None
    if village == 7 and r < 0.05:
        return -float(rng.randrange(100, 2000))  # net income after business costs
    y = rng.lognormvariate(8.6, 0.6)
    if village == 49:
        y += 6000.0  # nobody poor
    return float(round(y, -1 if r < 0.6 else 0))  # to 10 yuan: many ties


def registry(n: int = HOUSEHOLDS, seed: int = 2026) -> pl.DataFrame:
    """``n`` households in 50 villages of 5 counties (deterministic)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        v = rng.randrange(50)
        exact_k = rng.random() < 0.03  # deprived in nutrition, water, sanitation, electricity
        row: dict[str, Any] = {
            "county": f"C{v // 10 + 1}",
            "village": None if rng.random() < 0.002 else f"V{v + 1:02d}",  # a null group
            "hh_size": None if rng.random() < 0.002 else rng.randint(1, 8),
            "weight": None
            if rng.random() < 0.002
            else rng.choice([0.0, 0.5, 1.0, 1.25, round(rng.uniform(0.2, 3.0), 3)]),
            "income": _income(rng, v),
            "d_attend": _binary(rng, 0.15),
            "years_school": None if rng.random() < 0.01 else rng.randint(0, 14),
            "d_nutrition": _binary(rng, 0.2),
            "d_mortality": _binary(rng, 0.1),
            "d_insurance": _binary(rng, 0.1),
            "d_water": _binary(rng, 0.25),
            "d_sanitation": _binary(rng, 0.3),
            "d_electricity": _binary(rng, 0.05),
            "d_housing": _binary(rng, 0.2),
            "assets": math.nan if rng.random() < 0.01 else round(rng.uniform(0.0, 6.0), 2),
        }
        if exact_k:
            row |= dict.fromkeys(("d_nutrition", "d_water", "d_sanitation", "d_electricity"), 1)
            row |= dict.fromkeys(("d_attend", "d_mortality", "d_insurance", "d_housing"), 0)
            row |= {"years_school": 9, "assets": 4.0}
        rows.append(row)
    return pl.DataFrame(
        rows, schema_overrides={"hh_size": pl.Int64, "years_school": pl.Int64}, orient="row"
    )


def mpi_spec(missing: str) -> MpiSpec:
    """Ten indicators in three dimensions of 1/3; 1/9 + 1/12 + 1/12 + 1/18 = 1/3 = k."""
    return MpiSpec(
        [
            Indicator("d_attend", "education", "1/6"),
            Indicator("years_school", "education", "1/6", cutoff=6),
            Indicator("d_nutrition", "health", "1/9"),
            Indicator("d_mortality", "health", "1/9"),
            Indicator("d_insurance", "health", "1/9"),
            Indicator("d_water", "living standards", "1/12"),
            Indicator("d_sanitation", "living standards", "1/12"),
            Indicator("d_electricity", "living standards", "1/18"),
            Indicator("d_housing", "living standards", "1/18"),
            Indicator("assets", "living standards", "1/18", cutoff="2.5"),
        ],
        k="1/3",
        missing=missing,
    )


@pytest.fixture(scope="module")
def frames(spark_session: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The registry on Polars, and on Spark read from a Parquet file of it."""
    data = registry()
    path = tmp_path_factory.mktemp("spark") / "registry.parquet"
    data.write_parquet(path)
    return data, spark_session.read.parquet(str(path))


# -- comparing -------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=REL, abs_tol=0.0)
    return type(a) is type(b) and a == b


def assert_same(ours: pl.DataFrame, on_spark: Any, keys: list[str]) -> None:
    """The Spark result equals the Polars one: same columns and types, same rows by ``keys``,
    equal counts and keys, floats to 1e-12 relative."""
    theirs = spark.to_polars(on_spark)
    if keys:
        ours, theirs = ours.sort(keys, nulls_last=True), theirs.sort(keys, nulls_last=True)
    assert theirs.schema == ours.schema
    assert theirs.height == ours.height
    for column in ours.columns:
        for i, (a, b) in enumerate(zip(ours[column], theirs[column], strict=True)):
            key = {k: ours[k][i] for k in keys}
            assert _same(a, b), f"{column} {key}: Polars {a!r}, Spark {b!r}"


# -- the measures ----------------------------------------------------------------------------


def test_the_data_hold_the_hard_cases() -> None:
    data = registry()
    income = data["income"]
    assert income.is_in(list(LINES)).sum() > 0
    assert (income == 0).sum() > 0 and (income < 0).sum() > 0 and income.null_count() > 0
    assert income.is_duplicated().sum() > HOUSEHOLDS // 2
    rows = mpi_rows(data, mpi_spec("drop"))
    k = Fraction(1, 3) * int(rows["mpi_denominator"][0])
    assert (rows["mpi_score"] == int(k)).sum() > 100
    assert data["assets"].is_nan().sum() > 0 and data["d_water"].null_count() > 0
    assert data["village"].null_count() > 0


@pytest.mark.parametrize("by", [[], ["county", "village"]], ids=["all", "by-village"])
def test_income_measures(frames: tuple[Any, Any], by: list[str]) -> None:
    data, sdf = frames
    kwargs: dict[str, Any] = {"income": "income", "lines": LINES, "alphas": ALPHAS, "by": by}
    ours = income_measures(data, **kwargs, **PERSONS)
    assert ours.columns[-3:] == ["atkinson_0p5", "atkinson_1", "atkinson_2"]  # all of them
    assert_same(ours, income_measures(sdf, **kwargs, **PERSONS), by)


@pytest.mark.parametrize(
    ("over", "by"), [([], ["county"]), (["county"], ["village"])], ids=["all", "by-county"]
)
def test_theil_decomposition(frames: tuple[Any, Any], over: list[str], by: list[str]) -> None:
    data, sdf = frames
    ours = theil_decomposition(data, income="income", by=by, over=over, **PERSONS)
    theirs = theil_decomposition(sdf, income="income", by=by, over=over, **PERSONS)
    assert_same(ours.totals, theirs.totals, over)
    assert_same(ours.groups, theirs.groups, [*over, *by])


@pytest.mark.parametrize(
    ("missing", "persons"),
    [("drop", PERSONS), ("reweight", {"size": "hh_size"})],
    ids=["drop-weighted", "reweight-integer-sums"],
)
@pytest.mark.parametrize("by", [[], ["county", "village"]], ids=["all", "by-village"])
def test_mpi(frames: tuple[Any, Any], missing: str, persons: dict[str, str], by: list[str]) -> None:
    data, sdf = frames
    spec = mpi_spec(missing)
    ours = mpi(data, spec, by=by, **persons)
    assert_same(ours, mpi(sdf, spec, by=by, **persons), by)


def test_dotted_names_and_decimal_income(spark_session: Any, tmp_path: Path) -> None:
    # Spark's col("a.b") means field b of struct a: the measures rename such columns inside.
    data = pl.read_csv(SURVEY).rename(
        {"county": "admin.county", "income_pc": "income.pc", "d_water": "d.water"}
    )
    data = data.with_columns(pl.col("income.pc").cast(pl.Decimal(12, 2)))
    path = tmp_path / "dotted.parquet"
    data.write_parquet(path)
    sdf = spark_session.read.parquet(str(path))
    by = ["admin.county"]
    kwargs: dict[str, Any] = {"income": "income.pc", "lines": [Decimal("4000.0")], "by": by}
    assert_same(income_measures(data, **kwargs), income_measures(sdf, **kwargs), by)
    spec = MpiSpec(
        [
            Indicator("d_school", "education", "1/2"),
            Indicator("d.water", "living.standards", "1/4"),
            Indicator("d_health", "health", "1/4"),
        ],
        k="1/3",
    )
    ours = mpi(data, spec, by=by, size="hh_size")
    assert "censored_h__d.water" in ours.columns
    assert_same(ours, mpi(sdf, spec, by=by, size="hh_size"), by)


# -- bangfu measure --------------------------------------------------------------------------


def assert_same_json(a: Any, b: Any, where: str = "") -> None:
    """The same JSON document, floats to 1e-12 relative."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for key in a:
            assert_same_json(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_json(x, y, f"{where}[{i}]")
    else:
        assert _same(a, b), f"{where}: Polars {a!r}, Spark {b!r}"


def test_bangfu_measure_engine_spark_prints_the_same_json(
    spark_session: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process (a new process would start a JVM again: seconds, twice per CI run); the
    # command line, the data checks, Spark's reading and the output are the real ones.
    args = [str(SURVEY), "--spec", str(SPEC), "--by", "county"]
    assert main([*args, "--engine", "polars"]) == 0
    ours = json.loads(capsys.readouterr().out)
    assert main([*args, "--engine", "spark"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert_same_json(ours, json.loads(out))
    assert [g["by"] for g in ours["groups"]] == [{"county": "Menghai"}, {"county": "Mengla"}]
    assert spark.session() is spark_session  # the running session, not a new one


def test_spark_reads_a_csv_file_as_polars_parsed_it(spark_session: Any, tmp_path: Path) -> None:
    # A quoted field holding a line break: Spark's CSV reader splits that record (its fields
    # shift, silently) unless one task parses the whole file; it gets Polars' parse instead.
    data = pl.read_csv(SURVEY).with_columns(
        pl.when(pl.col("household") == "H03")
        .then(pl.lit('Nabing "North"\nupper'))
        .otherwise(pl.col("village"))
        .alias("village")
    )
    path = tmp_path / "survey.csv"
    data.write_csv(path)
    columns = ["village", "hh_size", "weight", "income_pc"]
    read = spark.to_polars(spark.read(path, pl.scan_csv(path), columns))
    assert read.equals(data.select(columns))
    assert read.schema == data.select(columns).schema


def test_polars_frames_to_spark_and_back(spark_session: Any) -> None:
    frame = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "amount": [Decimal("1.50"), None, Decimal("-2.25")],
            "name": ["a", "b", None],
        }
    )
    on_spark = spark.spark_frames({"households": frame})["households"]
    back = spark.to_polars(on_spark)
    assert back.equals(frame)
    assert back.schema == frame.schema


def test_a_failing_spark_job_is_one_line(spark_session: Any) -> None:
    bad = spark_session.sql("SELECT CAST('n/a' AS INT) AS x")  # ANSI mode: an error, not null
    with pytest.raises(spark.SparkFailed) as failed:
        spark.to_polars(bad)
    message = str(failed.value)
    assert "\n" not in message and "'n/a'" in message, message
