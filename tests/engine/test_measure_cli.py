"""``bangfu measure``: the example spec and survey of docs/examples through ``main`` in every
format, checked against hand-worked figures and a second, naive implementation (plain Python,
exact fractions for the MPI); groups, Parquet input, and every bad input with its exit code and
its one-line message."""

from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from bangfu.engine import cli, spark
from bangfu.engine.cli import main
from bangfu.engine.run import measure_file
from bangfu.engine.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
SURVEY = EXAMPLES / "survey.csv"
SPEC = EXAMPLES / "measure-spec.toml"
LINES = (4000.0, 6000.0)
ALPHAS = (0, 1, 2)
# (column, dimension, weight, cutoff) as in measure-spec.toml.
INDICATORS = [
    ("d_school", "education", F(1, 6), None),
    ("years_school", "education", F(1, 6), 6),
    ("d_health", "health", F(1, 3), None),
    ("d_water", "living standards", F(1, 6), None),
    ("d_electricity", "living standards", F(1, 6), None),
]
K = F(1, 3)


# -- a naive second implementation ----------------------------------------------------------


def survey(**where: str) -> list[dict[str, str]]:
    with SURVEY.open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if all(r[k] == v for k, v in where.items())]


def naive_income(rows: list[dict[str, str]]) -> dict[str, Any]:
    data = [(float(r["weight"]) * int(r["hh_size"]), float(r["income_pc"])) for r in rows]
    W = sum(w for w, _ in data)
    mu = sum(w * y for w, y in data) / W

    def gini(d: list[tuple[float, float]]) -> float:
        tw = sum(w for w, _ in d)
        m = sum(w * y for w, y in d) / tw
        return sum(wi * wj * abs(yi - yj) for wi, yi in d for wj, yj in d) / (2 * tw * tw * m)

    out: dict[str, Any] = {"population": W, "mean": mu, "fgt": {}, "watts": {}, "sen": {}}
    for z in LINES:
        poor = [(w, y) for w, y in data if y < z]
        for a in ALPHAS:
            out["fgt"][(z, a)] = sum(w * ((z - y) / z) ** a for w, y in poor) / W
        out["watts"][z] = sum(w * math.log(z / y) for w, y in poor) / W
        q = sum(w for w, _ in poor)
        if not q:
            out["sen"][z] = 0.0
            continue
        mu_p = sum(w * y for w, y in poor) / q
        i = 1 - mu_p / z
        out["sen"][z] = q / W * (i + (1 - i) * gini(poor))
    out["gini"] = gini(data)
    out["theil_t"] = sum(w * (y / mu) * math.log(y / mu) for w, y in data) / W
    out["theil_l"] = sum(w * math.log(mu / y) for w, y in data) / W
    return out


def naive_mpi(rows: list[dict[str, str]]) -> dict[str, Any]:
    W = F(0)
    poor_w = F(0)
    score_poor = F(0)
    gap_poor = F(0)
    deprived = dict.fromkeys((c for c, *_ in INDICATORS), F(0))
    censored = dict.fromkeys(deprived, F(0))
    for r in rows:
        w = F(r["weight"]) * int(r["hh_size"])
        W += w
        dep, gaps = {}, {}
        for col, _, _, cutoff in INDICATORS:
            x = int(r[col])
            dep[col] = x == 1 if cutoff is None else x < cutoff
            gaps[col] = F(1) if cutoff is None else F(cutoff - x, cutoff)
        score = sum((wt for col, _, wt, _ in INDICATORS if dep[col]), F(0))
        for col in dep:
            deprived[col] += w * dep[col]
        if score >= K:
            poor_w += w
            score_poor += w * score
            gap_poor += w * sum((wt * gaps[c] for c, _, wt, _ in INDICATORS if dep[c]), F(0))
            for col in dep:
                censored[col] += w * dep[col]
    m0 = score_poor / W
    absolute = {c: wt * censored[c] / W for c, _, wt, _ in INDICATORS}
    dims: dict[str, F] = {}
    for c, d, _, _ in INDICATORS:
        dims[d] = dims.get(d, F(0)) + absolute[c]

    def share(v: F) -> F | None:  # of M0; undefined when nobody is poor
        return v / m0 if m0 else None

    return {
        "population": W,
        "poor_population": poor_w,
        "H": poor_w / W,
        "A": score_poor / poor_w if poor_w else None,
        "M0": m0,
        "M1": gap_poor / W,
        "censored_headcount": {c: censored[c] / W for c in censored},
        "uncensored_headcount": {c: deprived[c] / W for c in deprived},
        "contribution": {c: share(v) for c, v in absolute.items()},
        "contribution_absolute": absolute,
        "dimension_contribution": {d: share(v) for d, v in dims.items()},
        "dimension_contribution_absolute": dims,
    }


def close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-15)


def check_fields(got: dict[str, Any], rows: list[dict[str, str]]) -> None:
    inc = naive_income(rows)
    assert got["rows"] == len(rows)
    assert close(got["population"], inc["population"])
    assert got["income_rows"] == len(rows)
    assert close(got["mean"], inc["mean"])
    assert [(e["line"], e["alpha"]) for e in got["fgt"]] == [(z, a) for z in LINES for a in ALPHAS]
    for e in got["fgt"]:
        assert close(e["value"], inc["fgt"][(e["line"], e["alpha"])]), e
    for key in ("watts", "sen"):
        assert [e["line"] for e in got[key]] == list(LINES)
        for e in got[key]:
            assert close(e["value"], inc[key][e["line"]]), (key, e)
    for key in ("gini", "theil_t", "theil_l"):
        assert close(got[key], inc[key]), key
    mp = naive_mpi(rows)
    g = got["mpi"]
    assert g["k"] == "1/3"
    assert g["rows_excluded"] == 0
    for key in ("population", "poor_population", "H", "A", "M0", "M1"):
        assert close(g[key], mp[key]), key
    for key in (
        "censored_headcount",
        "uncensored_headcount",
        "contribution",
        "contribution_absolute",
        "dimension_contribution",
        "dimension_contribution_absolute",
    ):
        assert list(g[key]) == list(mp[key]), key
        for name, value in mp[key].items():
            assert close(g[key][name], value), (key, name)
    if g["M0"]:
        assert close(sum(g["contribution"].values()), 1)
    assert close(sum(g["contribution_absolute"].values()), g["M0"])


def run_json(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "out.json"
    assert main([*args, "-o", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


# -- the example through every format --------------------------------------------------------


def test_json_totals_against_a_naive_implementation(tmp_path: Path) -> None:
    result = run_json(tmp_path, str(SURVEY), "--spec", str(SPEC))
    check_fields(result, survey())
    assert result["by"] == []
    assert result["groups"] == []


def test_json_hand_worked(tmp_path: Path) -> None:
    result = run_json(tmp_path, str(SURVEY), "--spec", str(SPEC))
    # Persons = weight × size: 6+4.5+7.5 + 4+12+8 + 3+4+1 + 6+2.4+3.6 = 62.
    assert result["population"] == 62
    # Below 4000: H01 (6 persons), H04 (4), H07 (3), H09 (1) = 14; H11 has exactly 4000 and
    # is not poor (strict y < z).
    fgt0 = {e["line"]: e["value"] for e in result["fgt"] if e["alpha"] == 0}
    assert fgt0[4000.0] == pytest.approx(14 / 62, rel=1e-15)
    assert result["poor"][0] == {"line": 4000.0, "value": 14.0}
    # MPI scores: H01 2/3, H04 2/3, H05 1/2, H07 exactly 1/3 (poor: score ≥ k), H08 1/2, H09 1;
    # H03 has years_school = 6, not below the cutoff 6. Poor persons 6+4+12+3+4+1 = 30.
    m = result["mpi"]
    assert m["poor_population"] == 30
    assert m["H"] == pytest.approx(30 / 62, rel=1e-15)
    # Σ w·score of the poor = 4 + 8/3 + 6 + 1 + 2 + 1 = 50/3; A = (50/3)/30 = 5/9.
    assert m["A"] == pytest.approx(5 / 9, rel=1e-15)
    assert m["M0"] == pytest.approx(25 / 93, rel=1e-15)
    # Severe (score ≥ 1/2): H01, H04, H05, H08, H09 = 27 persons; nobody in [1/5, 1/3).
    assert m["severe"] == pytest.approx(27 / 62, rel=1e-15)
    assert m["vulnerable"] == 0
    # d_health: poor and deprived H01 (6), H05 (12), H08 (4), H09 (1) = 23; weight 1/3.
    assert m["censored_headcount"]["d_health"] == pytest.approx(23 / 62, rel=1e-15)
    assert m["contribution_absolute"]["d_health"] == pytest.approx(23 / 186, rel=1e-15)
    assert m["contribution"]["d_health"] == pytest.approx((23 / 186) / (25 / 93), rel=1e-14)


def test_json_by_county(tmp_path: Path) -> None:
    result = run_json(tmp_path, str(SURVEY), "--spec", str(SPEC), "--by", "county")
    check_fields(result, survey())
    assert result["by"] == ["county"]
    assert [g["by"] for g in result["groups"]] == [{"county": "Menghai"}, {"county": "Mengla"}]
    for group in result["groups"]:
        check_fields(group, survey(county=group["by"]["county"]))


def test_by_several_columns_taken_together(tmp_path: Path) -> None:
    one = run_json(tmp_path, str(SURVEY), "--spec", str(SPEC), "--by", "county", "village")
    two = run_json(tmp_path, str(SURVEY), "--spec", str(SPEC), "--by", "county", "--by", "village")
    assert one == two
    assert [tuple(g["by"].values()) for g in one["groups"]] == [
        ("Menghai", "Manghui"),
        ("Menghai", "Nabing"),
        ("Mengla", "Mengban"),
        ("Mengla", "Mengpeng"),
    ]
    for group in one["groups"]:
        check_fields(group, survey(**group["by"]))


def test_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SURVEY), "--spec", str(SPEC)]) == 0
    assert json.loads(capsys.readouterr().out)["mpi"]["poor_population"] == 30


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(SURVEY), "--spec", str(SPEC), "--by", "county", "--format", "table"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0].split() == ["measure", "all", "county=Menghai", "county=Mengla"]
    rows = {re.split(r"\s{2,}", ln)[0]: ln.split()[-3:] for ln in lines[2:]}
    assert rows["population"] == ["62", "42", "20"]
    assert rows["fgt alpha=0 line=4000"] == [f"{14 / 62:.6f}", f"{10 / 42:.6f}", "0.200000"]
    assert rows["mpi H"][0] == f"{30 / 62:.6f}"
    assert rows["mpi k"] == ["1/3", "1/3", "1/3"]
    assert rows["mpi dimension_contribution living standards"][0] == "0.170000"
    # Every line is as wide as its columns: the figures are aligned on the right.
    widths = {len(ln) for ln in lines[1:]}
    assert len(widths) == 1


def test_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "measures.xlsx"
    code = main(
        [str(SURVEY), "--spec", str(SPEC), "--by", "county", "--format", "xlsx", "-o", str(out)]
    )
    assert code == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["totals", "groups"]
    totals = {r[0]: r[1] for r in book["totals"].iter_rows(min_row=2, values_only=True)}
    assert totals["rows"] == 12
    assert totals["population"] == 62
    assert totals["mpi H"] == pytest.approx(30 / 62, rel=1e-15)
    assert totals["mpi k"] == "1/3"
    groups = list(book["groups"].iter_rows(values_only=True))
    header = groups[0]
    assert header[:3] == ("county", "rows", "population")
    assert [g[0] for g in groups[1:]] == ["Menghai", "Mengla"]
    mengla = dict(zip(header, groups[2], strict=True))
    assert mengla["population"] == 20
    assert mengla["fgt alpha=0 line=4000"] == pytest.approx(0.2)
    assert mengla["mpi M0"] == pytest.approx(0.2)


def test_parquet_input_gives_the_same_result(tmp_path: Path) -> None:
    parquet = tmp_path / "survey.parquet"
    pl.read_csv(SURVEY).write_parquet(parquet)
    from_csv = run_json(tmp_path, str(SURVEY), "--spec", str(SPEC), "--by", "county")
    from_parquet = run_json(tmp_path, str(parquet), "--spec", str(SPEC), "--by", "county")
    assert from_parquet == from_csv


def test_decimal_income_compared_exactly(tmp_path: Path) -> None:
    parquet = tmp_path / "survey.parquet"
    frame = pl.read_csv(SURVEY).with_columns(pl.col("income_pc").cast(pl.Decimal(12, 2)))
    frame.write_parquet(parquet)
    result = run_json(tmp_path, str(parquet), "--spec", str(SPEC))
    check_fields(result, survey())


def write_spec(tmp_path: Path, text: str) -> str:
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_income_only_and_mpi_only(tmp_path: Path) -> None:
    text = SPEC.read_text(encoding="utf-8")
    income_only = write_spec(tmp_path, text.split("[mpi]")[0])
    result = run_json(tmp_path, str(SURVEY), "--spec", income_only)
    assert "mpi" not in result
    assert "gini" in result
    mpi_part = "[mpi]" + text.split("[mpi]", 1)[1]
    mpi_only = write_spec(tmp_path, mpi_part)
    result = run_json(tmp_path, str(SURVEY), "--spec", mpi_only, "--by", "county")
    assert "gini" not in result
    assert "fgt" not in result
    # Without [population] every row is one person.
    assert result["population"] == 12
    assert result["mpi"]["poor_population"] == 6
    assert [g["population"] for g in result["groups"]] == [6, 6]


def test_spec_defaults() -> None:
    spec = parse_spec('[income]\ncolumn = "y"\npoverty_lines = [125.5, 200]\n')
    assert spec.income is not None
    assert [str(z) for z in spec.income.lines] == ["125.5", "200"]
    assert spec.income.alphas == (0, 1, 2)
    assert spec.mpi is None
    assert spec.population.size is None


# -- bad input -------------------------------------------------------------------------------

GOOD = SPEC.read_text(encoding="utf-8")


def replace_row(tmp_path: Path, household: str, column: str, value: str) -> str:
    frame = pl.read_csv(SURVEY, infer_schema=False)
    frame = frame.with_columns(
        pl.when(pl.col("household") == household)
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .alias(column)
    )
    path = tmp_path / "bad.csv"
    frame.write_csv(path)
    return str(path)


UNKNOWN_COLUMNS = [
    pytest.param(
        GOOD.replace('column = "income_pc"', 'column = "income"'),
        "column 'income' ([income] column) is not in the file; its columns: household, county",
        id="unknown-income-column",
    ),
    pytest.param(
        GOOD.replace('column = "d_water"', 'column = "d_toilet"'),
        "column 'd_toilet' ([mpi] indicator 4) is not in the file",
        id="unknown-indicator-column",
    ),
    pytest.param(
        GOOD.replace('size = "hh_size"', 'size = "persons"'),
        "column 'persons' ([population] size) is not in the file",
        id="unknown-size-column",
    ),
]

BAD_SPECS = [
    pytest.param(
        GOOD.replace('k = "1/3"', 'k = "1/3'),
        "TOML syntax error: ",
        id="toml-syntax",
    ),
    pytest.param(
        GOOD.replace("fgt_alphas", "fgt_alpha"),
        "[income]: unknown key(s) fgt_alpha; the keys are column, poverty_lines, fgt_alphas",
        id="unknown-income-key",
    ),
    pytest.param(
        GOOD.replace('weight = "weight"', 'weights = "weight"'),
        "[population]: unknown key(s) weights; the keys are size, weight",
        id="unknown-population-key",
    ),
    pytest.param(
        GOOD.replace('missing = "drop"', 'missing_rule = "drop"'),
        "[mpi] unknown MPI setting(s): missing_rule",
        id="unknown-mpi-key",
    ),
    pytest.param(
        GOOD.replace("cutoff = 6", "cut_off = 6"),
        "[mpi] indicator 2: unknown setting(s): cut_off",
        id="unknown-indicator-key",
    ),
    pytest.param(
        GOOD + "\n[incomes]\ncolumn = 'x'\n",
        "unknown section(s) or key(s) [incomes]",
        id="unknown-section",
    ),
    pytest.param(
        GOOD.replace('weight = "1/3"', 'weight = "1/6"'),
        "[mpi] indicator weights sum to 5/6 (0.833333), not 1",
        id="mpi-weights-not-1",
    ),
    pytest.param(
        GOOD.replace("[4000.0, 6000.0]", "[4000.0, 0]"),
        "[income] poverty_lines: 0 must be > 0",
        id="line-zero",
    ),
    pytest.param(
        GOOD.replace("[4000.0, 6000.0]", "[-4000.0]"),
        "[income] poverty_lines: -4000.0 must be > 0",
        id="line-negative",
    ),
    pytest.param(
        GOOD.replace("[4000.0, 6000.0]", '["4000"]'),
        "[income] poverty_lines: '4000' is not a number",
        id="line-text",
    ),
    pytest.param(
        GOOD.replace("[0, 1, 2]", "[0, -1]"),
        "[income] fgt_alphas: -1 must be ≥ 0",
        id="alpha-negative",
    ),
    pytest.param(
        "[population]\nsize = 'hh_size'\n",
        "nothing to measure: give an [income] or an [mpi] section",
        id="nothing-to-measure",
    ),
]


def assert_refused(capsys: pytest.CaptureFixture[str], code: int, message: str) -> str:
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("bangfu measure: ")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert message in err, err
    return err


@pytest.mark.parametrize(("spec_text", "message"), BAD_SPECS)
def test_bad_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec_text: str, message: str
) -> None:
    spec = write_spec(tmp_path, spec_text)
    code = main([str(SURVEY), "--spec", spec])
    err = assert_refused(capsys, code, message)
    assert spec in err  # the file is named


@pytest.mark.parametrize(("spec_text", "message"), UNKNOWN_COLUMNS)
def test_spec_names_an_unknown_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], spec_text: str, message: str
) -> None:
    code = main([str(SURVEY), "--spec", write_spec(tmp_path, spec_text)])
    err = assert_refused(capsys, code, message)
    assert str(SURVEY) in err  # the data file is named


def test_toml_error_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, '[income]\ncolumn = "income_pc"\npoverty_lines = [4000.0 6000.0]\n')
    code = main([str(SURVEY), "--spec", spec])
    assert_refused(capsys, code, "TOML syntax error: Unclosed array (at line 3, column 25)")


@pytest.mark.parametrize(
    ("household", "column", "value", "message"),
    [
        pytest.param(
            "H03",
            "income_pc",
            "n/a",
            "column 'income_pc' ([income] column) is not a number: 'n/a' in data row 3",
            id="non-numeric-income",
        ),
        pytest.param(
            "H04",
            "weight",
            "-2",
            "column 'weight' ([population] weight) is negative: '-2.0' in data row 4",
            id="negative-weight",
        ),
        pytest.param(
            "H05",
            "hh_size",
            "-6",
            "column 'hh_size' ([population] size) is negative: '-6' in data row 5",
            id="negative-size",
        ),
        pytest.param(
            "H06",
            "weight",
            "two",
            "column 'weight' ([population] weight) is not a number: 'two' in data row 6",
            id="non-numeric-weight",
        ),
        pytest.param(
            "H07",
            "d_water",
            "2",
            "column 'd_water' binary indicator ([mpi] indicator 4) is not 0 or 1: '2' in data row 7",
            id="binary-not-0-1",
        ),
        pytest.param(
            "H08",
            "years_school",
            "eight",
            "column 'years_school' ([mpi] indicator 2) is not a number: 'eight' in data row 8",
            id="non-numeric-achievement",
        ),
    ],
)
def test_bad_data(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    household: str,
    column: str,
    value: str,
    message: str,
) -> None:
    data = replace_row(tmp_path, household, column, value)
    code = main([data, "--spec", str(SPEC)])
    assert_refused(capsys, code, message)


def test_text_column_without_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parquet = tmp_path / "survey.parquet"
    pl.read_csv(SURVEY).with_columns(pl.lit(None, pl.String).alias("income_pc")).write_parquet(
        parquet
    )
    code = main([str(parquet), "--spec", str(SPEC)])
    assert_refused(capsys, code, "'income_pc' ([income] column) is stored as text")


def test_unknown_by_column(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(SURVEY), "--spec", str(SPEC), "--by", "township"])
    assert_refused(capsys, code, "column 'township' (--by) is not in the file")


def test_by_the_income_column(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(SURVEY), "--spec", str(SPEC), "--by", "income_pc"])
    assert_refused(capsys, code, "--by income_pc: the column is also the [income] column")


def test_input_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    code = main([str(missing), "--spec", str(SPEC)])
    assert_refused(capsys, code, f"{missing}: input file not found")


def test_input_of_unknown_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "survey.xlsx"
    other.write_bytes(b"PK")
    code = main([str(other), "--spec", str(SPEC)])
    assert_refused(capsys, code, "unknown file type '.xlsx'; give a .parquet or .csv file")


def test_spec_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(SURVEY), "--spec", str(tmp_path / "none.toml")])
    assert_refused(capsys, code, "none.toml: spec file not found")


def test_xlsx_needs_an_output_file(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(SURVEY), "--spec", str(SPEC), "--format", "xlsx"])
    assert_refused(capsys, code, "--format xlsx writes a file: give -o OUT.xlsx")


def test_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "no-such-dir" / "out.json"
    code = main([str(SURVEY), "--spec", str(SPEC), "-o", str(out)])
    assert_refused(capsys, code, f"cannot write {out}")


# --engine spark where Spark cannot run (the parity tests are in test_spark_parity.py).


def test_spark_without_pyspark_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import fails as when not installed
    code = main([str(SURVEY), "--spec", str(SPEC), "--engine", "spark"])
    assert_refused(capsys, code, "PySpark is not installed: make install-spark (needs Java 17+)")


@pytest.fixture
def no_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if PySpark were installed and no session running (whether or not it is)."""
    monkeypatch.setattr(spark, "_pyspark", lambda: None)
    monkeypatch.setattr(spark, "_active", lambda: None)


def test_spark_without_java(
    no_session: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    code = main([str(SURVEY), "--spec", str(SPEC), "--engine", "spark"])
    assert_refused(capsys, code, "Java not found (no java on PATH): --engine spark needs Java 17+")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    code = main([str(SURVEY), "--spec", str(SPEC), "--engine", "spark"])
    assert_refused(capsys, code, f"Java not found (JAVA_HOME={tmp_path} has no bin/java)")


def test_spark_with_an_old_java(
    no_session: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    code = main([str(SURVEY), "--spec", str(SPEC), "--engine", "spark"])
    assert_refused(capsys, code, f"Java 11 at {java} is too old: --engine spark needs Java 17+")


def test_spark_is_checked_before_the_data(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    code = main([str(SURVEY), "--spec", str(SPEC), "--engine", "spark", "--by", "township"])
    assert_refused(capsys, code, "PySpark is not installed")


def test_java_versions(tmp_path: Path) -> None:
    for text, major in [('java version "1.8.0_392"', 8), ('openjdk version "21" 2023', 21)]:
        java = tmp_path / f"java{major}"
        java.write_text(f"#!/bin/sh\necho '{text}' >&2\n")
        java.chmod(0o755)
        assert spark.java_version(str(java)) == major
    assert spark.java_version(str(tmp_path / "none")) is None


def test_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([str(SURVEY), "--spec", str(SPEC), "--format", "html"])
    assert exit_.value.code == 2
    assert "invalid choice: 'html'" in capsys.readouterr().err


# -- through the bangfu command, without Django ---------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_bangfu_measure_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bangfu.cli", "measure", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: bangfu measure")
    for option in ("--spec", "--by", "--format", "--engine", "-o OUT"):
        assert option in done.stdout


def test_bangfu_measure_runs_without_django(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    script = (
        "import sys\n"
        "from bangfu.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, any(m == 'django' or m.startswith('django.') for m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "measure", str(SURVEY), "--spec", str(SPEC), "-o", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
        check=False,
    )
    assert done.stdout.split() == ["0", "False"], done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["rows"] == 12


def test_docs_show_the_real_spec_and_output() -> None:
    """docs/measures.md shows the example spec and its table; they must be the real ones."""
    docs = (ROOT / "docs" / "measures.md").read_text(encoding="utf-8")
    assert "```toml\n" + SPEC.read_text(encoding="utf-8") + "```" in docs
    shown = re.search(r"<!-- measure-table -->\n```text\n(.*?)```", docs, re.S)
    assert shown, "docs/measures.md lost its example table"
    assert shown.group(1) == cli.render_table(measure_file(SURVEY, load_spec(SPEC), ["county"]))


def test_the_polars_engine_never_imports_pyspark(tmp_path: Path) -> None:
    # make demo and make test run without PySpark: only --engine spark may import it.
    script = (
        "import sys\n"
        "from bangfu.engine.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(code, any(m.split('.')[0] in ('pyspark', 'py4j') for m in sys.modules))\n"
    )
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-c", script, str(SURVEY), "--spec", str(SPEC), "-o", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert done.stdout.split() == ["0", "False"], done.stderr
