"""The import's report as .xlsx: every problem, the rows not imported with their bad cells marked,
the households held for review."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from bangfu.registry.importers.files import inspect_file
from bangfu.registry.importers.results import ImportResult
from bangfu.registry.importers.sources import Cells, XlsxSource, open_source

# --- the report ---------------------------------------------------------------------------


def write_report(
    result: ImportResult, path: str | os.PathLike[str], target: str | os.PathLike[str] | Any
) -> None:
    """The import's report as .xlsx (written with xlsxwriter, constant memory):

    * 问题清单 (problems): every problem — row, column, value, code, reason;
    * 未导入的行 (rows not imported): each rejected row copied from the file, in the file's
      columns, its bad cells filled red with the reason as a comment, and all reasons in a last
      column — fix them there and import that sheet again (extra columns are ignored);
    * 待核实的户 (held for review): households whose ID numbers belong to other households,
      waiting for a decision on /households/conflicts/ (ID numbers masked).
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F6", "border": 1})
    bad = workbook.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    listing = workbook.add_worksheet("问题清单")
    headers = ("行号", "列", "值", "错误代码", "说明")
    for col, (title, width) in enumerate(zip(headers, (8, 16, 22, 26, 90), strict=True)):
        listing.set_column(col, col, width)
        listing.write_string(0, col, title, bold)
    listing.freeze_panes(1, 0)
    for n, p in enumerate(result.problems, start=1):
        listing.write_string(n, 0, str(p.row) if p.row is not None else "")
        listing.write_string(n, 1, p.column)
        listing.write_string(n, 2, p.value)
        listing.write_string(n, 3, p.code)
        listing.write_string(n, 4, p.message, wrap)
    if result.problems:
        listing.autofilter(0, 0, len(result.problems), len(headers) - 1)
    if result.rejected_rows and not result.refused:
        _report_rows(workbook, result, Path(path), bold, bad)
    if result.queued:
        _report_held(workbook, result, bold, wrap)
    workbook.close()


def _report_held(workbook: Any, result: ImportResult, bold: Any, wrap: Any) -> None:
    """待核实的户: households held for review (ID numbers held by other households)."""
    sheet = workbook.add_worksheet("待核实的户")
    for col, (title, width) in enumerate(
        zip(("行号", "列", "证件号码", "说明"), (8, 12, 26, 100), strict=True)
    ):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, bold)
    for n, p in enumerate(result.queued, start=1):
        sheet.write_string(n, 0, str(p.row))
        sheet.write_string(n, 1, p.column)
        sheet.write_string(n, 2, p.value)  # masked
        sheet.write_string(n, 3, p.message, wrap)


def _report_rows(workbook: Any, result: ImportResult, path: Path, bold: Any, bad: Any) -> None:
    sheet = workbook.add_worksheet("未导入的行")
    info = inspect_file(path, result.file_name)
    source = open_source(info)
    try:
        if isinstance(source, XlsxSource):
            source.load(result.sheet_index)
        by_row: dict[int, dict[str, str]] = {}
        for p in result.problems:
            if p.row is not None:
                by_row.setdefault(p.row, {}).setdefault(p.column, p.message)
        wanted = set(result.rejected_rows)
        last = max(wanted)
        out = 0
        header: Cells = []
        width = 0
        for number, cells in source.rows():
            if number == result.header_row:
                header = cells
                width = len(cells)
                sheet.write_string(0, 0, "行号", bold)
                for col, text in enumerate(cells, start=1):
                    sheet.write_string(0, col, str(text or ""), bold)
                    sheet.set_column(col, col, 14)
                sheet.write_string(0, width + 1, "问题说明", bold)
                sheet.set_column(width + 1, width + 1, 80)
                sheet.freeze_panes(1, 1)
                continue
            if number not in wanted:
                if number > last:
                    break
                continue
            out += 1
            problems = by_row.get(number, {})
            sheet.write_number(out, 0, number)
            for col in range(width):
                value = cells[col] if col < len(cells) else None
                text = "" if value is None else str(value)
                title = str(header[col] or "").strip() if col < len(header) else ""
                if title in problems:
                    sheet.write_string(out, col + 1, text, bad)
                    sheet.write_comment(out, col + 1, problems[title][:1000])
                elif text:
                    sheet.write_string(out, col + 1, text)
            reasons = [f"{column or '—'}: {message}" for column, message in problems.items()]
            if not reasons:
                reasons = [_("Another row of this household has a problem.")]
            sheet.write_string(out, width + 1, " | ".join(reasons))
    finally:
        source.close()
