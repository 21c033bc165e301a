"""``bangfu measure``: poverty and inequality measures of a survey file, without the platform.

It needs no database and no Django settings: ``bangfu`` hands it the command line before
Django is set up (``python -m bangfu.engine.cli`` runs it too). Exit codes: 0 done, 2 a bad
command line, spec or input (one line on stderr names what and where).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bangfu.engine.run import ENGINES, MeasureError, measure_file
from bangfu.engine.spark import SparkUnavailable
from bangfu.engine.spec import SpecError, load_spec

__all__ = ["flatten", "main", "render_table", "write_xlsx"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2

DESCRIPTION = """\
Poverty and inequality measures of a survey file: FGT(alpha), Watts, Sen, Gini, Theil T and L
for each poverty line of the spec's [income] section, and the Alkire-Foster MPI (H, A, M0, M1,
M2, censored and uncensored headcounts, contributions by indicator and by dimension) of its
[mpi] section; person-weighted by [population] size x weight. Computed once for the whole file
and, with --by, once per group of the given columns together. Needs no database."""

EPILOG = """\
--engine spark: the same measures computed by PySpark in local mode on this machine (local[2],
started for this command); the data are still checked with Polars first. The figures equal
those of --engine polars to 1e-12 relative (sums are added in another order). Needs PySpark
(make install-spark) and Java 17+ (JAVA_HOME or java on the PATH).
exit codes: 0 done; 2 a bad command line, spec or input (unknown column, non-numeric value,
negative weight, TOML error, ...) or, with --engine spark, PySpark or Java missing; reported
in one line on stderr.
example: bangfu measure docs/examples/survey.csv --spec docs/examples/measure-spec.toml \
--by county --format table
spec format and JSON output: docs/measures.md, section "bangfu measure"."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bangfu measure",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "input",
        metavar="INPUT",
        help="survey data: a .parquet file, or a .csv file (UTF-8, header row, comma-separated)",
    )
    parser.add_argument("--spec", required=True, metavar="SPEC.toml", help="what to measure (TOML)")
    parser.add_argument(
        "--by",
        action="extend",
        nargs="+",
        default=[],
        metavar="COL",
        help="also measure each group of these columns (taken together); repeatable",
    )
    parser.add_argument(
        "--format",
        choices=("json", "table", "xlsx"),
        default="json",
        help="json (default), table (aligned text) or xlsx (needs -o; sheets totals and groups)",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="polars",
        help="polars (default, in-process) or spark (PySpark in local mode; see below)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write the result to this file instead of standard output",
    )
    return parser


# -- output ------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return format(value, "g")


def flatten(fields: dict[str, Any]) -> list[tuple[str, Any]]:
    """A result (or one group of it) as (label, value) pairs, in output order; the ``by``
    and ``groups`` entries are left out."""
    out: list[tuple[str, Any]] = []
    for key, value in fields.items():
        if key in ("by", "groups"):
            continue
        if key == "fgt":
            out += [
                (f"fgt alpha={_num(e['alpha'])} line={_num(e['line'])}", e["value"]) for e in value
            ]
        elif key in ("poor", "watts", "sen"):
            out += [(f"{key} line={_num(e['line'])}", e["value"]) for e in value]
        elif key == "mpi":
            for name, item in value.items():
                if isinstance(item, dict):
                    out += [(f"mpi {name} {k}", v) for k, v in item.items()]
                else:
                    out.append((f"mpi {name}", item))
        else:
            out.append((key, value))
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.6f}"
    return str(value)


def _group_name(group: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_cell(v)}" for k, v in group["by"].items())


def render_table(result: dict[str, Any]) -> str:
    """Aligned text: one line per measure, a column for everyone and one per group."""
    headers = ["measure", "all", *(_group_name(g) for g in result["groups"])]
    total = flatten(result)
    columns = [[_cell(v) for _, v in total]]
    columns += [[_cell(v) for _, v in flatten(g)] for g in result["groups"]]
    labels = [name for name, _ in total]
    widths = [max(len(headers[0]), *(len(s) for s in labels))]
    widths += [
        max(len(h), *(len(s) for s in col)) for h, col in zip(headers[1:], columns, strict=True)
    ]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        ).rstrip()
    ]
    lines.append("  ".join("-" * w for w in widths))
    for i, name in enumerate(labels):
        cells = [name.ljust(widths[0])]
        cells += [col[i].rjust(w) for col, w in zip(columns, widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def write_xlsx(result: dict[str, Any], path: str | Path) -> None:
    """An .xlsx workbook: sheet ``totals`` (measure, value) and sheet ``groups`` (one row per
    group: the ``--by`` columns, then every measure)."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    workbook = xlsxwriter.Workbook(str(path))
    try:
        _fill_workbook(workbook, result)
    finally:
        try:
            workbook.close()
        except FileCreateError as exc:
            raise OSError(str(exc)) from None


def _fill_workbook(workbook: Any, result: dict[str, Any]) -> None:
    bold = workbook.add_format({"bold": True})
    totals = workbook.add_worksheet("totals")
    totals.write_row(0, 0, ["measure", "value"], bold)
    total = flatten(result)
    for r, (name, value) in enumerate(total, start=1):
        totals.write_string(r, 0, name)
        _write(totals, r, 1, value)
    totals.set_column(0, 0, max(len(n) for n, _ in total) + 2)
    totals.set_column(1, 1, 14)
    totals.freeze_panes(1, 0)

    groups = workbook.add_worksheet("groups")
    by = list(result["by"])
    header = [*by, *(name for name, _ in total)]
    groups.write_row(0, 0, header, bold)
    for r, group in enumerate(result["groups"], start=1):
        values = [group["by"][c] for c in by] + [v for _, v in flatten(group)]
        for c, value in enumerate(values):
            _write(groups, r, c, value)
    groups.set_column(0, max(len(header) - 1, 0), 14)
    groups.freeze_panes(1, len(by))


def _write(sheet: Any, row: int, col: int, value: Any) -> None:
    if value is None:
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


# -- main --------------------------------------------------------------------------------------


def _fail(message: str, stderr: TextIO) -> int:
    print(f"bangfu measure: {message}", file=stderr)
    return EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bangfu measure`` with ``argv`` (without the command name); return the exit code."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    stderr = sys.stderr
    if args.format == "xlsx" and not args.output:
        return _fail("--format xlsx writes a file: give -o OUT.xlsx", stderr)
    try:
        spec = load_spec(args.spec)
        result = measure_file(args.input, spec, args.by, engine=args.engine)
    except (SpecError, MeasureError, SparkUnavailable) as exc:
        return _fail(str(exc), stderr)

    try:
        if args.format == "xlsx":
            write_xlsx(result, args.output)
            return EXIT_OK
        text = (
            json.dumps(result, indent=2, ensure_ascii=False) + "\n"
            if args.format == "json"
            else render_table(result)
        )
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}", stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
