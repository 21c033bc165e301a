"""Writing .xlsx files the way Excel users expect them.

Codes and ID-like values are written as text, never numbers: a 12-digit region code written as a
number shows as 5.32822E+11 and loses its leading zeros — the classic Excel damage that the
importers later have to undo. Rows stream through xlsxwriter's constant-memory mode, so a list
of a million rows costs no more memory than one of ten.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 14
    text: bool = True  # write as text (codes, names); False writes numbers as numbers


def write_xlsx(
    target: str | IO[bytes], *, sheet: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]
) -> int:
    """Write one sheet with a bold, frozen, filterable header row; return the number of rows."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False})
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F6", "border": 1})
    for index, column in enumerate(columns):
        worksheet.set_column(index, index, column.width)
        worksheet.write_string(0, index, column.header, bold)
    worksheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(rows, start=1):
        for index, (column, value) in enumerate(zip(columns, row, strict=True)):
            _write_cell(worksheet, count, index, column, value)
    worksheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    workbook.close()
    return count


def _write_cell(worksheet: Any, row: int, col: int, column: Column, value: Any) -> None:
    if value is None or value == "":
        worksheet.write_blank(row, col, None)
    elif column.text or isinstance(value, str):
        worksheet.write_string(row, col, str(value))
    else:
        worksheet.write_number(row, col, value)
