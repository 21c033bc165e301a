"""The Bangfu import template (.xlsx): every ``HouseholdIn``/``MemberIn`` field as a column with
its Chinese header, drop-down lists (data validation) built from the code lists, text-formatted
columns for numbers that must stay text (ID numbers, 户编号), and an instructions sheet.

The columns are the importer's (``importers.BANGFU``): what the template offers is exactly what
the import reads.
"""

from __future__ import annotations

import os
from typing import IO, Any

import xlsxwriter

from bangfu.registry.codelists import code_list
from bangfu.registry.importers import (
    BANGFU,
    BOOL,
    CAUSES,
    CODE,
    DATE,
    ID,
    IDENT,
    INT,
    KEY,
    PHONE,
    REGION,
    SEX,
    STATUS,
    STATUS_LABELS_ZH,
    Col,
)

DATA_SHEET = "户籍信息"
LISTS_SHEET = "代码表"
HELP_SHEET = "填写说明"
ROWS_WITH_LISTS = 20000  # rows that get the drop-down lists

INSTRUCTIONS: tuple[tuple[str, bool], ...] = (
    ("帮扶户籍导入模板", True),
    ("", False),
    (
        "1. 每个家庭成员占一行；同一户的各行填写相同的“户编号”。户主那一行的“与户主关系”填“户主”。",
        False,
    ),
    (
        "2. 户的信息（户状态、户类型、贫困户属性、致贫原因、搬迁、银行账户、家庭住"
        "址、户联系电话等）填写在户主行即可；其他行可留空，若填写则必须与户主行一致。",
        False,
    ),
    (
        "3. 县、乡（镇）、行政村、自然村填写名称（如 勐海县、勐阿镇、纳丙村），也"
        "可以填写 12 位区划代码（自然村 15 位）。行政村填代码时，县和乡镇可留"
        "空。",
        False,
    ),
    (
        "4. 证件号码、户编号、人编号、银行卡号必须以文本保存：本模板的这些列已设为"
        "文本格式。不要从其他表格粘贴“数值”，否则 Excel 只保留 15 位有效"
        "数字，号码末尾会变成 0。",
        False,
    ),
    (
        "5. 带下拉列表的列请从列表中选择；“代码表”工作表列出全部可选值。旧版本的"
        "写法（如“低保户”）也能识别。",
        False,
    ),
    (
        "6. 日期写作 2019-03-01、2019/3/1、2019.3.1、2"
        "0190301 或 2019年3月1日。性别和出生日期可不填；若填写，必须与"
        "证件号码一致。",
        False,
    ),
    (
        "7. 是/否 列填“是”或“否”；空白按“否”处理（“是否会讲普通话”空白按“是”处理）。",
        False,
    ),
    (
        "8. 不要合并单元格，不要使用公式：合并的单元格只保留左上角的值，公式不会被计算。",
        False,
    ),
    (
        "9. 再次导入同一文件不会改变任何数据；修改后再导入，会按户编号更新相应农户"
        "并记录修改历史。文件中未列出的成员将从该户删除。",
        False,
    ),
    (
        "10. 导入前可先“试导入”（--dry-run），只检查不写入；检查报告逐"
        "一列出每个有问题的单元格（行号、列名、值、原因、错误代码）。",
        False,
    ),
    ("", False),
    (
        "必填列：行政村、户编号、姓名、证件号码、与户主关系（表头为深色）。其余列可以"
        "删除，删除的列在更新已有农户时保持原值。",
        False,
    ),
    ("银行卡号留空时保留原有账号。", False),
)


def write_template(target: str | os.PathLike[str] | IO[bytes]) -> None:
    workbook = xlsxwriter.Workbook(target, {"strings_to_numbers": False})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    required = workbook.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#2F5597", "border": 1}
    )
    optional = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    data = workbook.add_worksheet(DATA_SHEET)
    lists = workbook.add_worksheet(LISTS_SHEET)
    help_sheet = workbook.add_worksheet(HELP_SHEET)
    ranges = _write_lists(lists, optional)
    for index, col in enumerate(BANGFU.columns):
        is_required = col.required or col.key == "village"
        data.write_string(0, index, col.header, required if is_required else optional)
        data.set_column(
            index, index, max(col.width, len(col.header) * 2 + 2), _format(col, text, date)
        )
        note = _note(col)
        if note:
            data.write_comment(0, index, note, {"x_scale": 1.6})
        source = _list_for(col, ranges)
        if source:
            data.data_validation(
                1,
                index,
                ROWS_WITH_LISTS,
                index,
                {
                    "validate": "list",
                    "source": source,
                    "error_type": "warning",
                    "error_title": col.header,
                    "error_message": "请从下拉列表中选择（见“代码表”）。",
                },
            )
    data.freeze_panes(1, 6)
    data.autofilter(0, 0, 0, len(BANGFU.columns) - 1)
    help_sheet.set_column(0, 0, 140)
    title = workbook.add_format({"bold": True, "font_size": 14})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for row, (line, is_title) in enumerate(INSTRUCTIONS):
        help_sheet.write_string(row, 0, line, title if is_title else wrap)
    row = len(INSTRUCTIONS) + 1
    help_sheet.write_string(row, 0, "各列说明", title)
    for offset, col in enumerate(BANGFU.columns, start=1):
        note = _note(col)
        help_sheet.write_string(row + offset, 0, f"{col.header}：{note or '—'}", wrap)
    workbook.close()


def _format(col: Col, text: Any, date: Any) -> Any:
    if col.kind in {ID, KEY, IDENT, PHONE, REGION}:
        return text
    if col.kind == DATE:
        return date
    return None


def _note(col: Col) -> str:
    parts = []
    if col.required or col.key == "village":
        parts.append("必填")
    kinds = {
        ID: "18 位（或 15 位旧号）身份证号码，以文本保存",
        KEY: "户编号，以文本保存；同一户各行相同",
        IDENT: "以文本保存",
        REGION: "名称或区划代码",
        DATE: "日期，如 2019-03-01",
        BOOL: "是 / 否",
        INT: "整数",
        CAUSES: "可填多个，用“、”分隔",
        SEX: "男 / 女；须与证件号码一致",
        STATUS: "见下拉列表",
    }
    if col.kind in kinds:
        parts.append(kinds[col.kind])
    if col.kind == CODE:
        parts.append("从下拉列表选择")
    if col.level == "household" and col.key not in {
        "county",
        "township",
        "village",
        "natural_village",
    }:
        parts.append("户信息：填在户主行")
    return "；".join(parts)


def _write_lists(sheet: Any, bold: Any) -> dict[str, str]:
    """One column per list: the labels to choose from. Returns list name → range reference."""
    columns: list[tuple[str, str, list[str]]] = []
    seen: set[str] = set()
    for col in BANGFU.columns:
        if col.kind in {CODE, CAUSES} and col.code_list not in seen:
            seen.add(col.code_list)
            items = code_list(col.code_list).items
            columns.append((col.code_list, col.header, [i.label_zh for i in items]))
    columns.append(("status", "户状态", list(STATUS_LABELS_ZH.values())))
    columns.append(("yes_no", "是/否", ["是", "否"]))
    columns.append(("sex", "性别", ["男", "女"]))
    ranges: dict[str, str] = {}
    for index, (name, header, labels) in enumerate(columns):
        sheet.write_string(0, index, header, bold)
        sheet.set_column(index, index, 16)
        for row, label in enumerate(labels, start=1):
            sheet.write_string(row, index, label)
        letter = xlsxwriter.utility.xl_col_to_name(index)
        ranges[name] = f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(labels) + 1}"
    sheet.freeze_panes(1, 0)
    return ranges


def _list_for(col: Col, ranges: dict[str, str]) -> str | None:
    if col.kind == CODE:
        return ranges.get(col.code_list)
    if col.kind == BOOL:
        return ranges["yes_no"]
    if col.kind == SEX:
        return ranges["sex"]
    if col.kind == STATUS:
        return ranges["status"]
    return None
