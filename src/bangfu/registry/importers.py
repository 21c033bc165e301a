"""Importing households (建档立卡) from spreadsheets: the national 26-column layout and Bangfu's
own template, as .xlsx or .csv (UTF-8 with or without BOM, or GB18030).

One row per person. Rows sharing a 户编号 form a household; household fields come from the
head's row (与户主关系 = 户主) and any other row that repeats them must agree. Places are given
by name (county, township, village, natural village) or by 12-digit code and resolved in the
region tree.

How an import runs:

1. **The file**: size, emptiness, what it really is (magic bytes, not the extension), its
   encoding, its SHA-256. A file that fails here is refused as a whole (``ImportRefused``).
2. **The header**: which layout, which column is which; missing columns are refused.
3. **Reading** (one pass): every cell is cleaned up (stray and full-width spaces, full-width
   digits) and converted; what cannot be is reported with its row, column, value, reason and
   code. Formulas and merged cells in a workbook are reported, never evaluated or guessed.
4. **Checking**, household by household: rows that disagree, heads, places, ID numbers
   repeated in the file or already taken, scope; then ``services.household_validate`` — the
   registry's one definition of a valid household, shared with the forms and the API — whose
   problems are mapped back to the file's rows and columns. Nothing is written yet.
5. **Writing**, in one transaction, only if every row passed (or, with ``valid_only``, the
   households that passed): new households through ``bulk`` (the same rows and history as
   ``household_save``, a thousand at a time), changed ones through ``household_save``;
   unchanged ones are left alone, so importing the same file twice changes nothing.

Each import is recorded in ``ImportBatch`` (except dry runs, which write nothing at all).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import math
import os
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.scopes import scope_for
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.protect import Sealer, lookup_hash
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry import bulk, conflicts
from bangfu.registry.codelists import code_list, fold
from bangfu.registry.idnumber import normalize_id_text, upgrade_legacy_number
from bangfu.registry.models import Household, HouseholdStatus, ImportBatch, Member
from bangfu.registry.services import (
    CleanHousehold,
    HouseholdIn,
    MemberIn,
    Problem,
    ValidationFailed,
    household_differs,
    household_save,
    household_validate,
)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common
STORED_ERRORS = 1000  # problems kept in ImportBatch.errors (the report file has them all)
CHECK_BATCH = 500  # households looked up in the database at once


def max_bytes() -> int:
    """The largest file accepted: setting ``BANGFU_IMPORT_MAX_BYTES`` (default 200 MB)."""
    return int(getattr(settings, "BANGFU_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# --- what comes back ----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One bad cell (or row, or the whole file when ``row`` is None)."""

    row: int | None  # as Excel shows it: the header is usually row 1
    column: str  # the header as the file spells it; "" for a whole row or the file
    value: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ImportRefused(BangfuError):
    """The file as a whole cannot be imported (empty, too large, not what it claims, unreadable
    header); no row was looked at."""


@dataclass
class ImportResult:
    file_name: str
    sha256: str = ""
    layout: str = ""
    dry_run: bool = False
    valid_only: bool = False
    rows_total: int = 0
    rows_rejected: int = 0
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    households_rejected: int = 0
    households_queued: int = 0  # held for review: an ID number belongs to another household
    problems: list[ImportProblem] = field(default_factory=list)
    queued: list[ImportProblem] = field(default_factory=list)  # one per held household
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    batch_id: int | None = None
    refused: bool = False  # the file as a whole was refused
    rejected_rows: list[int] = field(default_factory=list)  # every row not imported
    sheet_index: int = 0
    header_row: int = 0

    @property
    def ok(self) -> bool:
        """Every row was accepted (none has a problem, none is held for review)."""
        return not self.problems and not self.queued

    @property
    def written(self) -> bool:
        return bool(self.households_created or self.households_updated)

    @property
    def rows_per_second(self) -> float:
        return self.rows_total / self.seconds if self.seconds else 0.0


# --- layouts ------------------------------------------------------------------------------

# Cell kinds: how a cell is cleaned up and converted.
REGION, KEY, IDENT, NAME, TEXT, PHONE, ID, CODE, INT, BOOL, DATE, MONEY, SEX = [
    "region",
    "key",
    "ident",
    "name",
    "text",
    "phone",
    "id",
    "code",
    "int",
    "bool",
    "date",
    "money",
    "sex",
]
STATUS, EXIT_STATUS, CAUSES = "status", "exit_status", "causes"
HOUSEHOLD, MEMBER = "household", "member"


@dataclass(frozen=True)
class Col:
    """A column of a layout: its header (and other spellings seen in the wild), whether it
    describes the household (on the head's row) or the person, what kind of value it holds,
    and the ``HouseholdIn``/``MemberIn`` field it fills (None: checked, not stored)."""

    key: str
    header: str
    kind: str
    level: str
    target: str | None = None
    code_list: str = ""
    aliases: tuple[str, ...] = ()
    required: bool = True
    width: int = 12
    note: str = ""

    def spellings(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Layout:
    name: str
    label: str
    columns: tuple[Col, ...]

    def col(self, key: str) -> Col:
        return next(c for c in self.columns if c.key == key)

    def lookup(self) -> dict[str, str]:
        return {header_key(s): c.key for c in self.columns for s in c.spellings()}


def _place_columns(required: bool) -> tuple[Col, ...]:
    note = _("name or 12-digit code")
    return (
        Col(
            "county",
            "县(市、区、旗)",
            REGION,
            HOUSEHOLD,
            aliases=("县", "县(市、区)", "县市区", "县(区)"),
            required=required,
            width=12,
            note=note,
        ),
        Col(
            "township",
            "乡(镇)",
            REGION,
            HOUSEHOLD,
            aliases=("乡镇", "乡(镇、街道)", "乡镇(街道)"),
            required=required,
            width=12,
            note=note,
        ),
        Col(
            "village",
            "行政村",
            REGION,
            HOUSEHOLD,
            aliases=("村", "村(社区)", "行政村(社区)"),
            width=12,
            note=note,
        ),
        Col(
            "natural_village",
            "自然村",
            REGION,
            HOUSEHOLD,
            aliases=("自然村(组)", "村民小组", "组"),
            required=False,
            width=10,
            note=_("optional"),
        ),
    )


def _member_code(key: str, header: str, *aliases: str, required: bool = True) -> Col:
    return Col(key, header, CODE, MEMBER, key, key, aliases, required=required)


NATIONAL = Layout(
    "national",
    "全国扶贫开发信息系统 26 列",
    (
        *_place_columns(True),
        Col("household_no", "户编号", KEY, HOUSEHOLD, "household_no", aliases=("户码",), width=20),
        Col(
            "person_no",
            "人编号",
            IDENT,
            MEMBER,
            "person_no",
            aliases=("人码", "成员编号"),
            width=22,
        ),
        Col("name", "姓名", NAME, MEMBER, "name", width=10),
        Col(
            "id_number",
            "证件号码",
            ID,
            MEMBER,
            "id_number",
            aliases=("身份证号", "身份证号码", "证件号", "公民身份号码"),
            width=21,
        ),
        Col("size", "人数", INT, HOUSEHOLD, None, aliases=("家庭人数", "户人数"), width=6),
        _member_code("relation", "与户主关系", "与户主的关系"),
        _member_code("ethnicity", "民族"),
        _member_code("education", "文化程度"),
        _member_code("student_status", "在校生状况", "在校生情况"),
        _member_code("health", "健康状况"),
        _member_code("labour_skill", "劳动技能", "劳动能力"),
        _member_code("employment_status", "务工状况", "务工情况"),
        Col(
            "months_worked_away",
            "务工时间（月）",
            INT,
            MEMBER,
            "months_worked_away",
            aliases=("务工时间",),
            width=8,
        ),
        Col(
            "insured_critical_illness",
            "参加大病医疗",
            BOOL,
            MEMBER,
            "insured_critical_illness",
            aliases=("是否参加大病保险", "参加大病保险", "是否参加大病医疗"),
            width=8,
        ),
        Col(
            "exit_status",
            "脱贫属性",
            EXIT_STATUS,
            HOUSEHOLD,
            "status",
            "exit_status",
            ("脱贫状态",),
        ),
        Col(
            "poverty_attribute",
            "贫困户属性",
            CODE,
            HOUSEHOLD,
            "poverty_attribute",
            "poverty_attribute",
            ("贫困户类型",),
        ),
        Col(
            "main_cause",
            "主要致贫原因",
            CODE,
            HOUSEHOLD,
            "main_cause",
            "poverty_cause",
            ("致贫原因", "致贫原因1", "致贫主因"),
        ),
        Col(
            "dangerous_house",
            "危房户",
            BOOL,
            HOUSEHOLD,
            None,
            aliases=("是否危房户", "是否危房"),
            width=8,
            note=_("checked, not stored: comes from guarantee assessments"),
        ),
        Col(
            "water_safe",
            "饮水安全",
            BOOL,
            HOUSEHOLD,
            None,
            aliases=("是否饮水安全", "是否解决安全饮用水"),
            width=8,
            note=_("checked, not stored: comes from guarantee assessments"),
        ),
        Col(
            "water_difficult",
            "饮水困难",
            BOOL,
            HOUSEHOLD,
            None,
            aliases=("是否饮水困难",),
            width=8,
            note=_("checked, not stored: comes from guarantee assessments"),
        ),
        Col(
            "net_income_pc",
            "人均纯收入",
            MONEY,
            HOUSEHOLD,
            None,
            aliases=("人均纯收入(元)",),
            width=10,
            note=_("checked, not stored: comes from income records"),
        ),
        Col(
            "household_phone",
            "联系电话",
            PHONE,
            HOUSEHOLD,
            "phone",
            aliases=("户联系电话", "电话"),
            width=14,
        ),
    ),
)

BANGFU = Layout(
    "bangfu",
    "帮扶户籍完整模板",
    (
        *_place_columns(False),
        Col("household_no", "户编号", KEY, HOUSEHOLD, "household_no", aliases=("户码",), width=20),
        Col(
            "person_no",
            "人编号",
            IDENT,
            MEMBER,
            "person_no",
            aliases=("人码", "成员编号"),
            required=False,
            width=22,
        ),
        Col("name", "姓名", NAME, MEMBER, "name", width=10),
        Col(
            "id_number",
            "证件号码",
            ID,
            MEMBER,
            "id_number",
            aliases=("身份证号", "身份证号码", "证件号", "公民身份号码"),
            width=21,
        ),
        _member_code("relation", "与户主关系", "与户主的关系"),
        Col(
            "sex",
            "性别",
            SEX,
            MEMBER,
            "sex",
            required=False,
            width=6,
            note=_("must match the ID number"),
        ),
        Col(
            "birth_date",
            "出生日期",
            DATE,
            MEMBER,
            "birth_date",
            required=False,
            width=12,
            note=_("must match the ID number"),
        ),
        _member_code("ethnicity", "民族", required=False),
        _member_code("education", "文化程度", required=False),
        _member_code("student_status", "在校生状况", "在校生情况", required=False),
        _member_code("health", "健康状况", required=False),
        _member_code("disability_grade", "残疾等级", required=False),
        _member_code("labour_skill", "劳动技能", "劳动能力", required=False),
        _member_code("employment_status", "务工状况", "务工情况", required=False),
        Col(
            "months_worked_away",
            "务工时间（月）",
            INT,
            MEMBER,
            "months_worked_away",
            aliases=("务工时间",),
            required=False,
            width=8,
        ),
        Col(
            "insured_basic_medical",
            "是否参加基本医疗保险",
            BOOL,
            MEMBER,
            "insured_basic_medical",
            aliases=("参加基本医疗保险",),
            required=False,
            width=8,
        ),
        Col(
            "insured_critical_illness",
            "是否参加大病保险",
            BOOL,
            MEMBER,
            "insured_critical_illness",
            aliases=("参加大病医疗", "参加大病保险"),
            required=False,
            width=8,
        ),
        Col(
            "insured_pension",
            "是否参加养老保险",
            BOOL,
            MEMBER,
            "insured_pension",
            aliases=("是否参加基本养老保险",),
            required=False,
            width=8,
        ),
        Col("dibao", "是否享受低保", BOOL, MEMBER, "dibao", required=False, width=8),
        Col("tekun", "是否特困供养", BOOL, MEMBER, "tekun", required=False, width=8),
        Col(
            "speaks_mandarin",
            "是否会讲普通话",
            BOOL,
            MEMBER,
            "speaks_mandarin",
            required=False,
            width=8,
        ),
        Col(
            "member_phone",
            "个人联系电话",
            PHONE,
            MEMBER,
            "phone",
            aliases=("人联系电话",),
            required=False,
            width=14,
        ),
        Col("status", "户状态", STATUS, HOUSEHOLD, "status", required=False, width=12),
        Col(
            "household_type",
            "户类型",
            CODE,
            HOUSEHOLD,
            "household_type",
            "household_type",
            required=False,
        ),
        Col(
            "poverty_attribute",
            "贫困户属性",
            CODE,
            HOUSEHOLD,
            "poverty_attribute",
            "poverty_attribute",
            required=False,
        ),
        Col(
            "identification_standard",
            "识别标准",
            CODE,
            HOUSEHOLD,
            "identification_standard",
            "identification_standard",
            required=False,
        ),
        Col(
            "identified_on",
            "识别时间",
            DATE,
            HOUSEHOLD,
            "identified_on",
            aliases=("首次识别时间",),
            required=False,
        ),
        Col(
            "main_cause",
            "主要致贫原因",
            CODE,
            HOUSEHOLD,
            "main_cause",
            "poverty_cause",
            ("致贫原因", "致贫原因1", "致贫主因"),
            required=False,
        ),
        Col(
            "secondary_causes",
            "其他致贫原因",
            CAUSES,
            HOUSEHOLD,
            "secondary_causes",
            "poverty_cause",
            required=False,
            width=16,
            note=_("several, separated by 、"),
        ),
        Col(
            "planned_exit_year",
            "计划脱贫年度",
            INT,
            HOUSEHOLD,
            "planned_exit_year",
            required=False,
            width=8,
        ),
        Col("exit_year", "脱贫年度", INT, HOUSEHOLD, "exit_year", required=False, width=8),
        Col("returned_year", "返贫年度", INT, HOUSEHOLD, "returned_year", required=False, width=8),
        Col(
            "return_reason", "返贫原因", TEXT, HOUSEHOLD, "return_reason", required=False, width=16
        ),
        Col(
            "relocated",
            "是否易地扶贫搬迁",
            BOOL,
            HOUSEHOLD,
            "relocated",
            aliases=("是否搬迁户",),
            required=False,
            width=8,
        ),
        Col(
            "relocation_mode",
            "搬迁方式",
            CODE,
            HOUSEHOLD,
            "relocation_mode",
            "relocation_mode",
            required=False,
        ),
        Col(
            "relocation_address",
            "搬迁地址",
            TEXT,
            HOUSEHOLD,
            "relocation_address",
            required=False,
            width=20,
        ),
        Col(
            "military_family",
            "是否军烈属",
            BOOL,
            HOUSEHOLD,
            "military_family",
            required=False,
            width=8,
        ),
        Col(
            "only_child",
            "是否独生子女户",
            BOOL,
            HOUSEHOLD,
            "only_child",
            aliases=("是否独生子女",),
            required=False,
            width=8,
        ),
        Col(
            "two_daughters", "是否双女户", BOOL, HOUSEHOLD, "two_daughters", required=False, width=8
        ),
        Col("address", "家庭住址", TEXT, HOUSEHOLD, "address", required=False, width=24),
        Col(
            "household_phone",
            "户联系电话",
            PHONE,
            HOUSEHOLD,
            "phone",
            aliases=("联系电话",),
            required=False,
            width=14,
        ),
        Col("bank_name", "开户银行", TEXT, HOUSEHOLD, "bank_name", required=False, width=16),
        Col(
            "bank_account",
            "银行卡号",
            IDENT,
            HOUSEHOLD,
            "bank_account",
            aliases=("银行账号",),
            required=False,
            width=22,
        ),
    ),
)
LAYOUTS = {layout.name: layout for layout in (NATIONAL, BANGFU)}

# Household statuses as the Bangfu template writes them (the workflow's steps, POLICY.md §6.3).
STATUS_LABELS_ZH: dict[str, str] = {
    HouseholdStatus.APPLIED: "已申请",
    HouseholdStatus.VILLAGE_REVIEWED: "村级评议",
    HouseholdStatus.POSTED_1: "第一次公示",
    HouseholdStatus.TOWNSHIP_APPROVED: "乡镇审核",
    HouseholdStatus.POSTED_2: "第二次公示",
    HouseholdStatus.COUNTY_APPROVED: "县级审定",
    HouseholdStatus.ANNOUNCED: "公告",
    HouseholdStatus.REGISTERED: "在册贫困户",
    HouseholdStatus.EXIT_PROPOSED: "拟退出",
    HouseholdStatus.EXIT_VERIFIED: "退出核实",
    HouseholdStatus.EXIT_POSTED: "退出公示",
    HouseholdStatus.EXITED: "已脱贫户",
    HouseholdStatus.RETURNED: "返贫户",
    HouseholdStatus.ORDINARY: "普通农户",
    HouseholdStatus.REJECTED: "未通过",
}
# The national 脱贫属性 (exit status) of each household status, and back. Importing an exit
# status that says what the household's current status already says keeps the status (a
# household in the middle of the exit procedure stays there).
EXIT_STATUS_OF: dict[str, str] = {
    **dict.fromkeys(
        (
            HouseholdStatus.APPLIED,
            HouseholdStatus.VILLAGE_REVIEWED,
            HouseholdStatus.POSTED_1,
            HouseholdStatus.TOWNSHIP_APPROVED,
            HouseholdStatus.POSTED_2,
            HouseholdStatus.COUNTY_APPROVED,
            HouseholdStatus.ANNOUNCED,
            HouseholdStatus.REGISTERED,
        ),
        "not_exited",
    ),
    HouseholdStatus.EXIT_PROPOSED: "pre_exit",
    HouseholdStatus.EXIT_VERIFIED: "pre_exit",
    HouseholdStatus.EXIT_POSTED: "pre_exit",
    HouseholdStatus.EXITED: "exited",
    HouseholdStatus.RETURNED: "returned",
}
STATUS_OF_EXIT: dict[str, str] = {
    "not_exited": HouseholdStatus.REGISTERED,
    "pre_exit": HouseholdStatus.EXIT_PROPOSED,
    "exited": HouseholdStatus.EXITED,
    "exited_no_policy": HouseholdStatus.EXITED,
    "returned": HouseholdStatus.RETURNED,
}

_TRUE = frozenset({"是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "有", "参加", "已参加"})
_FALSE = frozenset(
    {"否", "n", "no", "false", "f", "0", "×", "✗", "✘", "无", "未参加", "没有", "不是"}
)


def header_key(value: object) -> str:
    """How headers are compared: full-width forms, spaces and brackets folded, a trailing
    required-marker ``*`` dropped."""
    return fold(str(value or "")).rstrip("*")


# --- the file -----------------------------------------------------------------------------

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class FileInfo:
    path: Path
    name: str
    kind: str  # "xlsx" | "csv"
    size: int
    sha256: str
    encoding: str = ""


def refuse(code: ErrorCode, message: str) -> ImportRefused:
    return ImportRefused(code, message)


def inspect_file(path: Path, name: str) -> FileInfo:
    """Size, emptiness, real type and encoding of the file, and its SHA-256."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise refuse(
            ErrorCode.IMPORT_FILE_TYPE,
            _("The file {name} cannot be read: {reason}.").format(name=name, reason=error.strerror),
        ) from None
    limit = max_bytes()
    if size > limit:
        raise refuse(
            ErrorCode.IMPORT_FILE_TOO_LARGE,
            _(
                "The file is {size} but at most {limit} can be imported at once. Split it "
                "(by township or village) and import the parts one after another."
            ).format(size=_bytes(size), limit=_bytes(limit)),
        )
    if size == 0:
        raise refuse(ErrorCode.IMPORT_FILE_EMPTY, _("The file is empty (0 bytes)."))
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = Path(name).suffix.lower()
    magic = _magic_kind(head, path)
    if suffix in {".xlsx", ".xlsm"}:
        if magic != "xlsx":
            raise refuse(ErrorCode.IMPORT_FILE_TYPE, _not_xlsx(name, magic))
        kind = "xlsx"
    elif suffix in {".csv", ".txt"}:
        if magic in {"xlsx", "xls", "zip"}:
            raise refuse(
                ErrorCode.IMPORT_FILE_TYPE,
                _("{name} is named like a text (CSV) file but is {what}.").format(
                    name=name, what=_what(magic)
                )
                + " "
                + _advice(magic),
            )
        kind = "csv"
    elif suffix == ".xls":
        raise refuse(ErrorCode.IMPORT_FILE_TYPE, _not_xlsx(name, magic))
    elif suffix:
        raise refuse(
            ErrorCode.IMPORT_FILE_TYPE,
            _("{name}: files of type {suffix} cannot be imported; use .xlsx or .csv.").format(
                name=name, suffix=suffix
            ),
        )
    else:  # no extension: trust the content
        if magic in {"xls", "zip"}:
            raise refuse(ErrorCode.IMPORT_FILE_TYPE, _not_xlsx(name, magic))
        kind = "xlsx" if magic == "xlsx" else "csv"
    digest, encoding = _digest_and_encoding(path, kind)
    return FileInfo(path, name, kind, size, digest, encoding)


def _bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} B"


def _magic_kind(head: bytes, path: Path) -> str:
    if head.startswith(OLE2_MAGIC):
        return "xls"
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return "zip"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            return "xlsb"
        return "zip"
    return "text"


def _what(magic: str) -> str:
    return {
        "xls": _("an old Excel 97-2003 (.xls) workbook or a password-protected workbook"),
        "xlsx": _("an Excel (.xlsx) workbook"),
        "xlsb": _("an Excel binary (.xlsb) workbook"),
        "zip": _("a ZIP archive, not an Excel workbook"),
        "text": _("a text file (perhaps CSV)"),
    }[magic]


def _advice(magic: str) -> str:
    return {
        "xls": _(
            "Open it in Excel or WPS, remove any password, and save it as "
            "“Excel 工作簿 (*.xlsx)”; then import the .xlsx."
        ),
        "xlsx": _("Rename it to .xlsx, or save it as CSV UTF-8 from Excel."),
        "xlsb": _("Open it in Excel and save it as “Excel 工作簿 (*.xlsx)”."),
        "zip": _("Unpack it, or export the data as .xlsx or .csv."),
        "text": _("If it is CSV, rename it to .csv."),
    }[magic]


def _not_xlsx(name: str, magic: str) -> str:
    return (
        _("{name} is not an .xlsx workbook: it is {what}.").format(name=name, what=_what(magic))
        + " "
        + _advice(magic)
    )


def _digest_and_encoding(path: Path, kind: str) -> tuple[str, str]:
    """The SHA-256 and, for text, the encoding: UTF-8 (with or without BOM), else GB18030."""
    digest = hashlib.sha256()
    if kind == "xlsx":
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest(), ""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise refuse(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The file is in UTF-16 (“Unicode text”). Save it from Excel as "
                "“CSV UTF-8 (逗号分隔)(*.csv)”, or import the .xlsx itself."
            ),
        )
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    bad_at: int | None = None
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            if b"\x00" in chunk:
                raise refuse(
                    ErrorCode.IMPORT_FILE_TYPE,
                    _(
                        "The file contains NUL bytes: it is not a text (CSV) file. Import the "
                        "workbook as .xlsx, or save it from Excel as CSV UTF-8."
                    ),
                )
            if bad_at is None:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as error:
                    bad_at = offset + error.start
            offset += len(chunk)
    if bad_at is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            bad_at = offset
    if bad_at is None:
        return digest.hexdigest(), "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    gb = codecs.getincrementaldecoder("gb18030")("strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                gb.decode(chunk)
        gb.decode(b"", final=True)
    except UnicodeDecodeError:
        raise refuse(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The file is neither UTF-8 (its byte {offset} is not valid UTF-8) nor GB18030/GBK. "
                "Open it in Excel or WPS and save it as “CSV UTF-8 (逗号分隔)(*.csv)”, or import "
                "the .xlsx workbook instead."
            ).format(offset=bad_at),
        ) from None
    return digest.hexdigest(), "gb18030"


# --- reading rows -------------------------------------------------------------------------

Cells = list[str | None]


@dataclass
class CellFlag:
    """A cell a workbook marks as unusable: a formula, or a cell hidden by a merge."""

    code: str
    message: str
    value: str


class CsvSource:
    kind = "csv"

    def __init__(self, info: FileInfo) -> None:
        self.info = info
        with info.path.open(encoding=info.encoding, newline="") as handle:
            first = handle.readline()
        counts = {d: first.count(d) for d in (",", "\t", ";")}
        self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        self.flags: dict[int, dict[int, CellFlag]] = {}
        self.numeric: dict[int, set[int]] = {}

    def rows(self, start: int = 0) -> Iterator[tuple[int, Cells]]:
        with self.info.path.open(encoding=self.info.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            try:
                yield from enumerate(reader, start=1)
            except csv.Error as error:
                raise refuse(
                    ErrorCode.IMPORT_FILE_TYPE,
                    _("The CSV file cannot be read at row {row}: {reason}.").format(
                        row=reader.line_num, reason=error
                    ),
                ) from None

    def scan(self, header_row: int, columns: dict[int, str]) -> None:
        """Nothing to scan in a text file: no formulas, no merges, no cell types."""

    def close(self) -> None:
        pass


class XlsxSource:
    """A workbook read with fastexcel (calamine): every cell as text, the first sheet whose
    header Bangfu recognises. Formulas, merged cells and cells typed as numbers (which matter
    for ID numbers) are found by scanning the sheet's XML, since the cell values alone do not
    tell them."""

    kind = "xlsx"
    CHUNK = 1 << 22

    def __init__(self, info: FileInfo) -> None:
        import fastexcel

        self.info = info
        self.flags: dict[int, dict[int, CellFlag]] = {}
        self.numeric: dict[int, set[int]] = {}
        try:
            self.reader = fastexcel.read_excel(str(info.path))
            self.sheet_names: list[str] = list(self.reader.sheet_names)
        except Exception as error:  # calamine's errors are many; any of them means unreadable
            raise refuse(
                ErrorCode.IMPORT_FILE_TYPE,
                _(
                    "The workbook cannot be read: {reason}. Open it in Excel and save it again."
                ).format(reason=str(error).splitlines()[0][:200]),
            ) from None
        if not self.sheet_names:
            raise refuse(ErrorCode.IMPORT_FILE_EMPTY, _("The workbook has no sheets."))
        self.sheet_index = 0
        self.frame: Any = None
        self.offsets: list[int] = []

    def load(self, index: int) -> None:
        try:
            sheet = self.reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
            self.offsets = [c.absolute_index for c in sheet.selected_columns]
            self.frame = sheet.to_polars()
        except Exception as error:
            raise refuse(
                ErrorCode.IMPORT_FILE_TYPE,
                _("Sheet {sheet} cannot be read: {reason}.").format(
                    sheet=self.sheet_names[index], reason=str(error).splitlines()[0][:200]
                ),
            ) from None
        self.sheet_index = index
        _release_memory()

    def rows(self, start: int = 0) -> Iterator[tuple[int, Cells]]:
        frame = self.frame
        if frame is None:
            return
        offsets = self.offsets
        lead = offsets[0] if offsets else 0
        dense = offsets == list(range(lead, lead + len(offsets)))
        width = (offsets[-1] + 1) if offsets else 0
        step = 5000
        for begin in range(start, frame.height, step):
            part = frame.slice(begin, step)
            columns = [part.get_column(name).to_list() for name in part.columns]
            for i, values in enumerate(zip(*columns, strict=True)):
                if dense:
                    cells: Cells = [None] * lead + list(values)
                else:
                    cells = [None] * width
                    for offset, value in zip(offsets, values, strict=True):
                        cells[offset] = value
                yield begin + i + 1, cells

    def close(self) -> None:
        self.frame = None

    def scan(self, header_row: int, columns: dict[int, str]) -> None:
        """Find formulas, merged cells and (in ``columns``: index → kind) cells stored as
        numbers, below the header row."""
        path = self._sheet_path()
        if path is None:
            return
        wanted = {index: kind for index, kind in columns.items() if kind in {ID, KEY, IDENT}}
        letters = b"|".join(column_letter(i).encode() for i in sorted(wanted)) or b"@"
        numeric_cell = re.compile(
            rb'<c r="(' + letters + rb')(\d+)"((?:\s+[\w:]+="[^"]*")*)\s*>\s*<v>'
        )
        formula = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>\s*<f\b[^>]*?(?:/>|>([^<]*)</f>)')
        merge = re.compile(rb'<mergeCell ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')
        merges: list[tuple[int, int, int, int]] = []
        with zipfile.ZipFile(self.info.path) as archive, archive.open(path) as stream:
            tail = b""
            while True:
                chunk = stream.read(self.CHUNK)
                data = tail + chunk
                if chunk:
                    cut = data.rfind(b"</c>") + 4 if b"</c>" in data else 0
                    cut = max(cut, data.rfind(b"/>") + 2 if b"<mergeCell" in data else 0)
                    part, tail = data[:cut], data[cut:]
                else:
                    part, tail = data, b""
                if wanted:
                    for letter, row, attributes in numeric_cell.findall(part):
                        if b' t="' in attributes and b' t="n"' not in attributes:
                            continue
                        number = int(row)
                        if number > header_row:
                            self.numeric.setdefault(number, set()).add(
                                column_index(letter.decode())
                            )
                if b"<f" in part:
                    for letter, row, text in formula.findall(part):
                        number = int(row)
                        if number > header_row:
                            self._flag(
                                number,
                                column_index(letter.decode()),
                                ErrorCode.IMPORT_FORMULA,
                                _(
                                    "Cell {cell} holds a formula (={formula}); Bangfu never "
                                    "evaluates formulas. Copy the column and paste it back as "
                                    "values (选择性粘贴 → 数值)."
                                ).format(
                                    cell=f"{letter.decode()}{number}",
                                    formula=_xml_text(text)[:80],
                                ),
                                "=" + _xml_text(text)[:80],
                            )
                if b"<mergeCell" in part:
                    for a, r1, b, r2 in merge.findall(part):
                        merges.append(
                            (int(r1), column_index(a.decode()), int(r2), column_index(b.decode()))
                        )
                if not chunk:
                    break
        for r1, c1, r2, c2 in merges:
            first = f"{column_letter(c1)}{r1}"
            span = f"{first}:{column_letter(c2)}{r2}"
            for row in range(max(r1, header_row + 1), r2 + 1):
                for col in range(c1, c2 + 1):
                    if (row, col) == (r1, c1):
                        continue
                    self._flag(
                        row,
                        col,
                        ErrorCode.IMPORT_MERGED_CELLS,
                        _(
                            "Cell {cell} is inside the merged cells {span}: only {first} keeps "
                            "a value, so this row has lost its own. Unmerge the cells "
                            "(取消单元格合并) and fill the value into every row."
                        ).format(cell=f"{column_letter(col)}{row}", span=span, first=first),
                        "",
                    )

    def _flag(self, row: int, col: int, code: str, message: str, value: str) -> None:
        self.flags.setdefault(row, {}).setdefault(col, CellFlag(code, message, value))

    def _sheet_path(self) -> str | None:
        """The XML part of the loaded sheet (workbook order, through the relationships)."""
        with zipfile.ZipFile(self.info.path) as archive:
            try:
                workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
                rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            except KeyError:
                return None
            names = set(archive.namelist())
        sheets = re.findall(r"<(?:\w+:)?sheet\b([^>]*)/?>", workbook)
        if self.sheet_index >= len(sheets):
            return None
        rid = re.search(r'\br:id="([^"]+)"|\bid="([^"]+)"', sheets[self.sheet_index])
        if rid is None:
            return None
        wanted = rid.group(1) or rid.group(2)
        for rel in re.findall(r"<(?:\w+:)?Relationship\b([^>]*)/?>", rels):
            if re.search(rf'\bId="{re.escape(wanted)}"', rel):
                target = re.search(r'\bTarget="([^"]+)"', rel)
                if target is None:
                    return None
                path = target.group(1)
                path = path.lstrip("/") if path.startswith("/") else f"xl/{path}"
                return path if path in names else None
        return None


def _release_memory() -> None:
    """Give the memory calamine used for the sheet back to the system (glibc keeps freed
    memory otherwise, and the import's peak would be the sheet plus everything after it)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        text = text.replace(entity, char)
    return text.replace("&amp;", "&")


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    value = 0
    for char in letters:
        value = value * 26 + ord(char) - 64
    return value - 1


def open_source(info: FileInfo) -> CsvSource | XlsxSource:
    return XlsxSource(info) if info.kind == "xlsx" else CsvSource(info)


# --- the header ---------------------------------------------------------------------------


@dataclass
class Header:
    row: int  # as Excel shows it
    layout: Layout
    columns: dict[str, int]  # column key → index in the row
    texts: dict[int, str]  # index → the header as the file spells it
    ignored: list[str]


_ALL_SPELLINGS = {
    header_key(s) for layout in LAYOUTS.values() for c in layout.columns for s in c.spellings()
}
_BANGFU_ONLY = {header_key(s) for c in BANGFU.columns for s in c.spellings()} - {
    header_key(s) for c in NATIONAL.columns for s in c.spellings()
}
_MOJIBAKE = re.compile("[\u00c0-\u00ff][\u0080-\u00ff]")


def find_header(rows: Sequence[tuple[int, Cells]], forced: str | None) -> Header:
    """The header row among the first rows, its layout and columns; refuses a missing or
    garbled header, naming the missing columns."""
    nonempty = [(n, cells) for n, cells in rows if any(c and str(c).strip() for c in cells)]
    if not nonempty:
        raise refuse(ErrorCode.IMPORT_FILE_EMPTY, _("The file has no rows."))
    best: tuple[int, Cells] | None = None
    best_score = 0
    for number, cells in nonempty:
        score = sum(1 for c in cells if c and header_key(c) in _ALL_SPELLINGS)
        if score > best_score:
            best, best_score = (number, cells), score
        if score >= 4:
            break
    if best is None or best_score < 3:
        for _row, cells in nonempty[:3]:
            _refuse_garbled([c for c in cells if c])
        expected = "、".join(c.header for c in NATIONAL.columns[:8])
        raise refuse(
            ErrorCode.IMPORT_HEADER,
            _(
                "No header row was found in the first {n} rows: a header names the columns, "
                "e.g. {expected}. Download the template, or use the national 26-column layout."
            ).format(n=HEADER_SEARCH_ROWS, expected=expected),
        )
    number, cells = best
    keys = {i: header_key(c) for i, c in enumerate(cells) if c and str(c).strip()}
    if forced:
        layout = LAYOUTS[forced]
    else:
        layout = BANGFU if any(k in _BANGFU_ONLY for k in keys.values()) else NATIONAL
    lookup = layout.lookup()
    columns: dict[str, int] = {}
    texts: dict[int, str] = {}
    ignored: list[str] = []
    twice: list[str] = []
    for index, key in keys.items():
        text = str(cells[index]).strip()
        texts[index] = text
        column = lookup.get(key)
        if column is None:
            ignored.append(text)
        elif column in columns:
            twice.append(
                _("{header} (columns {a} and {b})").format(
                    header=text, a=column_letter(columns[column]), b=column_letter(index)
                )
            )
        else:
            columns[column] = index
    missing = [c.header for c in layout.columns if c.required and c.key not in columns]
    if missing or twice:
        parts = []
        if missing:
            parts.append(_("missing: {columns}").format(columns="、".join(missing)))
        if twice:
            parts.append(_("given twice: {columns}").format(columns="; ".join(twice)))
        raise refuse(
            ErrorCode.IMPORT_HEADER,
            _("The header (row {row}) does not fit the {layout} layout: {problems}.").format(
                row=number, layout=layout.label, problems="; ".join(parts)
            ),
        )
    return Header(number, layout, columns, texts, ignored)


def _refuse_garbled(texts: list[Any]) -> None:
    """Refuse with advice when the header is mojibake: text decoded with the wrong encoding."""
    joined = "".join(str(t) for t in texts)
    if "\ufffd" in joined:
        raise refuse(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The header contains replacement characters (�): the file was converted with the "
                "wrong encoding before it came here, and the original characters are lost. "
                "Go back to the original file and save it as “CSV UTF-8 (逗号分隔)(*.csv)” or "
                "as .xlsx."
            ),
        )
    for encoding in ("latin-1", "cp1252"):
        try:
            repaired = joined.encode(encoding).decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _looks_like_header(repaired) and repaired != joined:
            raise refuse(
                ErrorCode.IMPORT_ENCODING,
                _(
                    "The header reads “{garbled}”: Chinese (GB18030/GBK) text that some program "
                    "decoded as Latin-1 and saved again. Open the original file in Excel or WPS "
                    "and save it as “CSV UTF-8 (逗号分隔)(*.csv)” or as .xlsx."
                ).format(garbled=joined[:40]),
            )
    try:
        repaired = joined.encode("gb18030").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return
    if _looks_like_header(repaired):
        raise refuse(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The header reads “{garbled}”: UTF-8 text read as GB18030, because the file mixes "
                "encodings. Save it again as “CSV UTF-8 (逗号分隔)(*.csv)”."
            ).format(garbled=joined[:40]),
        )


def _looks_like_header(text: str) -> bool:
    return sum(1 for s in ("户编号", "姓名", "证件号码", "与户主关系", "行政村") if s in text) >= 2


# --- cells --------------------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_INT = re.compile(r"\+?(\d+)(?:\.0*)?")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d+")
_DATE_DASHED = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
EXCEL_EPOCH = dt.date(1899, 12, 30)
_CAUSE_SPLIT = re.compile(r"[、,，;；/|]+|\s+")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def _nfkc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _encoding_damage(text: str) -> None:
    if "\ufffd" in text:
        raise CellError(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The cell contains replacement characters (�): the file was converted with the "
                "wrong encoding and the original characters are lost. Take the value from the "
                "original file, saved as .xlsx or as CSV UTF-8."
            ),
        )
    if _MOJIBAKE.search(text):
        raise CellError(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The cell reads {value!r}, which looks like Chinese text decoded with the wrong "
                "encoding (GB18030 read as Latin-1). Take the value from the original file, "
                "saved as .xlsx or as CSV UTF-8."
            ).format(value=text[:30]),
        )


def convert_text(raw: str, numeric: bool) -> str:
    """Free text: full-width forms folded, runs of spaces (also U+3000) made one, ends trimmed.
    Lengths are checked by the registry's validation."""
    text = " ".join(_nfkc(raw).split())
    _encoding_damage(text)
    return text


def convert_name(raw: str, numeric: bool) -> str:
    """A name, as text, without the spaces typed between two Chinese characters."""
    text = convert_text(raw, numeric)
    return _CJK_SPACE.sub("", text) if " " in text else text


def convert_ident(header: str) -> Callable[[str, bool], Any]:
    """Household and person numbers, bank accounts: no spaces at all; a number stored as a
    spreadsheet number has lost its digits beyond the 15th."""

    def convert(raw: str, numeric: bool) -> str:
        text = "".join(_nfkc(raw).split()).lstrip("'")
        _encoding_damage(text)
        if numeric or _SCIENTIFIC.fullmatch(text):
            digits = _integer_text(text)
            if digits is None or len(digits) > 15:
                raise CellError(
                    ErrorCode.IMPORT_CELL_INVALID,
                    _(
                        "{header} was stored as a number ({value}); spreadsheets keep only 15 "
                        "significant digits of a number, so the last digits of a longer number "
                        "are lost. Format the column as Text and enter the numbers again."
                    ).format(header=header, value=_number_preview(text)),
                )
            text = digits
        return text

    return convert


def _integer_text(text: str) -> str | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    return str(int(number))


def _number_preview(text: str) -> str:
    try:
        return f"{float(text):.6g}"
    except ValueError:
        return text[:20]


def convert_phone(raw: str, numeric: bool) -> str:
    text = "".join(_nfkc(raw).split()).lstrip("'")
    return (_integer_text(text) or text) if numeric else text


def convert_id(raw: str, numeric: bool) -> object:
    """ID numbers go to the registry's own parser as they are (it knows the spreadsheet damage);
    a number-typed cell goes as a number, so that it is reported as one."""
    if numeric:
        try:
            return float(raw)
        except ValueError:
            return raw
    if "*" in raw:
        raise CellError(
            ErrorCode.IMPORT_CELL_INVALID,
            _(
                "The ID number is masked ({value}): this file comes from an export with masked "
                "ID numbers, which cannot be imported. Use an export with full ID numbers, or the "
                "original data."
            ).format(value=raw.strip()[:22]),
        )
    return raw


def convert_code(raw: str, numeric: bool) -> str:
    text = raw.strip()
    _encoding_damage(text)
    return text


def convert_region(raw: str, numeric: bool) -> str:
    text = "".join(_nfkc(raw).split())
    _encoding_damage(text)
    if numeric:
        text = _integer_text(text) or text
    return text


def convert_int(raw: str, numeric: bool) -> int:
    match = _INT.fullmatch(_nfkc(raw).strip())
    if match is None:
        raise CellError(
            ErrorCode.IMPORT_CELL_INVALID,
            _("{value!r} is not a whole number.").format(value=raw.strip()),
        )
    return int(match.group(1))


def convert_bool(raw: str, numeric: bool) -> bool:
    text = fold(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(
        ErrorCode.IMPORT_CELL_INVALID,
        _("{value!r} is not 是 or 否.").format(value=raw.strip()),
    )


def convert_money(raw: str, numeric: bool) -> Decimal:
    text = _nfkc(raw).strip().replace(",", "").removesuffix("元").removeprefix("¥").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise CellError(
            ErrorCode.IMPORT_CELL_INVALID,
            _("{value!r} is not an amount in yuan.").format(value=raw.strip()),
        )
    return amount.quantize(Decimal("0.01"))


def convert_date(raw: str, numeric: bool) -> dt.date:
    """2019-03-01, 2019/3/1, 2019.3.1, 20190301, 2019年3月1日, or an Excel serial number."""
    text = "".join(_nfkc(raw).split()) if not raw.isascii() else raw.strip()
    parts: tuple[str, str, str] | None = None
    for pattern in (_DATE_DASHED, _DATE_CHINESE, _DATE_COMPACT):
        match = pattern.fullmatch(text)
        if match:
            parts = (match.group(1), match.group(2), match.group(3))
            break
    if parts is not None:
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            raise CellError(
                ErrorCode.IMPORT_DATE_INVALID,
                _("{value!r} is not a real date: check the month and the day.").format(
                    value=raw.strip()
                ),
            ) from None
    serial = _SERIAL.fullmatch(text)
    if serial:
        days = int(serial.group(1))
        if days != 60:  # Excel's 1900-02-29, a day that never was
            return EXCEL_EPOCH + dt.timedelta(days=days)
    raise CellError(
        ErrorCode.IMPORT_DATE_INVALID,
        _(
            "{value!r} is not a date Bangfu reads; write it as 2019-03-01, 2019/3/1, 2019.3.1, "
            "20190301 or 2019年3月1日."
        ).format(value=raw.strip()),
    )


def convert_status(raw: str, numeric: bool) -> str:
    text = fold(raw)
    for status, label in STATUS_LABELS_ZH.items():
        if text in {fold(label), status}:
            return str(status)
    for choice, english in HouseholdStatus.choices:
        if text.lower() == fold(str(english)).lower():
            return str(choice)
    raise CellError(
        ErrorCode.IMPORT_CELL_INVALID,
        _("{value!r} is not a household status; use one of: {allowed}.").format(
            value=raw.strip(), allowed="、".join(STATUS_LABELS_ZH.values())
        ),
    )


def convert_exit_status(raw: str, numeric: bool) -> str:
    try:
        return code_list("exit_status").resolve(raw, field="status")
    except BangfuError as error:
        raise CellError(error.code, error.message) from None


def convert_causes(raw: str, numeric: bool) -> tuple[str, ...]:
    _encoding_damage(raw)
    return tuple(p for p in _CAUSE_SPLIT.split(raw.strip()) if p)


def convert_sex(raw: str, numeric: bool) -> str:
    return fold(raw)


def _cached(convert: Callable[[str, bool], Any]) -> Callable[[str, bool], Any]:
    """Columns with few distinct values (code lists, yes/no, small numbers) convert each
    distinct spelling once."""
    cache: dict[str, tuple[Any, CellError | None]] = {}

    def cached(raw: str, numeric: bool) -> Any:
        hit = cache.get(raw)
        if hit is None:
            try:
                hit = (convert(raw, numeric), None)
            except CellError as error:
                hit = (None, error)
            if len(cache) < 20000:
                cache[raw] = hit
        if hit[1] is not None:
            raise hit[1]
        return hit[0]

    return cached


def converter(col: Col, header: str) -> Callable[[str, bool], Any]:
    """How the cells of a column are cleaned up and converted."""
    cached: dict[str, Callable[[str, bool], Any]] = {
        CODE: convert_code,
        REGION: convert_region,
        INT: convert_int,
        BOOL: convert_bool,
        MONEY: convert_money,
        DATE: convert_date,
        STATUS: convert_status,
        EXIT_STATUS: convert_exit_status,
        CAUSES: convert_causes,
        SEX: convert_sex,
    }
    if col.kind in cached:
        return _cached(cached[col.kind])
    if col.kind in {KEY, IDENT}:
        return convert_ident(header)
    plain: dict[str, Callable[[str, bool], Any]] = {
        ID: convert_id,
        PHONE: convert_phone,
        NAME: convert_name,
    }
    return plain.get(col.kind, convert_text)


# --- places -------------------------------------------------------------------------------


class PlaceError(Exception):
    def __init__(self, key: str, code: str, message: str) -> None:
        super().__init__(message)
        self.key, self.code, self.message = key, code, message


class Places:
    """Resolves (county, township, village, natural village) — names or codes — to regions:
    the county by name among the counties touching the capture scope (or anywhere, if that
    finds none), the township by name within the county, the village within the township.
    Each distinct combination is resolved once; ``regions`` collects what
    ``household_validate`` needs, so that validation makes no query per household."""

    def __init__(self, capture: RegionScope) -> None:
        self.capture = capture
        self.regions: dict[str, Region] = {}
        self._cache: dict[tuple[str, str, str, str], tuple[str, str] | PlaceError] = {}
        self._counties: dict[str, list[Region]] | None = None
        self._children: dict[int, dict[str, list[Region]]] = {}
        self._by_code: dict[str, Region | None] = {}

    def resolve(self, county: str, township: str, village: str, natural: str) -> tuple[str, str]:
        key = (county, township, village, natural)
        if key not in self._cache:
            try:
                self._cache[key] = self._resolve(county, township, village, natural)
            except PlaceError as error:
                self._cache[key] = error
        found = self._cache[key]
        if isinstance(found, PlaceError):
            raise found
        return found

    def _resolve(self, county: str, township: str, village: str, natural: str) -> tuple[str, str]:
        if not village:
            raise PlaceError("village", ErrorCode.REGION_NOT_FOUND, _("The village is missing."))
        if _is_code(village):
            place = self._code(village, Level.VILLAGE, "village")
            town = self._parent(place)
            if township:
                self._check_same(town, township, "township")
            if county:
                self._check_same(self._parent(town) if town else None, county, "county")
        else:
            if _is_code(township):
                town = self._code(township, Level.TOWNSHIP, "township")
                if county:
                    self._check_same(self._parent(town), county, "county")
            else:
                if not township:
                    raise PlaceError(
                        "township",
                        ErrorCode.REGION_NOT_FOUND,
                        _("The township is missing; it is needed to find the village by name."),
                    )
                town = self._child(self._county(county), township, Level.TOWNSHIP, "township")
            place = self._child(town, village, Level.VILLAGE, "village")
        self.regions[place.code] = place
        natural_code = ""
        if natural:
            if _is_code(natural, 15):
                small = self._code(natural, Level.NATURAL_VILLAGE, "natural_village")
            else:
                small = self._child(place, natural, Level.NATURAL_VILLAGE, "natural_village")
            self.regions[small.code] = small
            natural_code = small.code
        return place.code, natural_code

    def _county(self, text: str) -> Region:
        if not text:
            raise PlaceError(
                "county",
                ErrorCode.REGION_NOT_FOUND,
                _("The county is missing; it is needed to find the township by name."),
            )
        if _is_code(text):
            return self._code(text, Level.COUNTY, "county")
        if self._counties is None:
            self._counties = {}
            for region in Region.objects.filter(level=Level.COUNTY):
                self._counties.setdefault(fold(region.name_zh), []).append(region)
        found = self._counties.get(fold(text), [])
        near = [c for c in found if self._touches_scope(c)]
        candidates = near or found
        if not candidates:
            raise PlaceError(
                "county",
                ErrorCode.REGION_NOT_FOUND,
                _("No county is named {name!r}.").format(name=text),
            )
        if len(candidates) > 1:
            raise PlaceError(
                "county",
                ErrorCode.IMPORT_CELL_INVALID,
                _(
                    "{count} counties are named {name!r} ({codes}); write the 12-digit code "
                    "instead."
                ).format(
                    count=len(candidates),
                    name=text,
                    codes=", ".join(c.code for c in candidates),
                ),
            )
        return candidates[0]

    def _touches_scope(self, county: Region) -> bool:
        if self.capture.covers(county.code):
            return True
        return any(root.startswith(county.prefix) for root in self.capture.roots)

    def _child(self, parent: Region, text: str, level: Level, key: str) -> Region:
        if parent.pk not in self._children:
            children: dict[str, list[Region]] = {}
            for region in Region.objects.filter(parent=parent):
                children.setdefault(fold(region.name_zh), []).append(region)
            self._children[parent.pk] = children
        found = [r for r in self._children[parent.pk].get(fold(text), []) if r.level == level]
        if len(found) == 1:
            return found[0]
        what = _level_name(level)
        if not found:
            names = sorted(
                r.name_zh
                for rs in self._children[parent.pk].values()
                for r in rs
                if r.level == level
            )
            listing = "、".join(names[:30]) + ("…" if len(names) > 30 else "")
            raise PlaceError(
                key,
                ErrorCode.REGION_NOT_FOUND,
                _("{parent} has no {what} named {name!r}; it has: {names}.").format(
                    parent=parent.name_zh, what=what, name=text, names=listing or "—"
                ),
            )
        raise PlaceError(
            key,
            ErrorCode.IMPORT_CELL_INVALID,
            _("{parent} has {count} {what}s named {name!r}; write the code instead.").format(
                parent=parent.name_zh, count=len(found), what=what, name=text
            ),
        )

    def _code(self, code: str, level: Level, key: str) -> Region:
        if code not in self._by_code:
            self._by_code[code] = Region.objects.filter(code=code).first()
        region = self._by_code[code]
        if region is None or region.level != level:
            raise PlaceError(
                key,
                ErrorCode.REGION_NOT_FOUND,
                _("No {what} has the code {code}.").format(what=_level_name(level), code=code),
            )
        return region

    def _parent(self, region: Region | None) -> Region | None:
        if region is None or region.parent_id is None:
            return None
        return self._code_by_pk(region.parent_id)

    def _code_by_pk(self, pk: int) -> Region | None:
        for region in self._by_code.values():
            if region is not None and region.pk == pk:
                return region
        region = Region.objects.filter(pk=pk).first()
        if region is not None:
            self._by_code[region.code] = region
        return region

    def _check_same(self, region: Region | None, text: str, key: str) -> None:
        if region is None:
            return
        if text == region.code or fold(text) == fold(region.name_zh):
            return
        raise PlaceError(
            key,
            ErrorCode.REGION_PARENT_INVALID,
            _("The {what} is {given!r}, but the place below it belongs to {name} ({code}).").format(
                what=_level_name(Level(region.level)),
                given=text,
                name=region.name_zh,
                code=region.code,
            ),
        )


def _is_code(text: str, length: int = 12) -> bool:
    return len(text) == length and text.isdigit()


def _level_name(level: Level) -> str:
    return {
        Level.COUNTY: _("county"),
        Level.TOWNSHIP: _("township"),
        Level.VILLAGE: _("village"),
        Level.NATURAL_VILLAGE: _("natural village"),
    }.get(level, _("region"))


# --- the import ---------------------------------------------------------------------------

_HOUSEHOLD_DEFAULTS: dict[str, Any] = {}
for _f in dataclasses.fields(HouseholdIn):
    if _f.default is not dataclasses.MISSING:
        _HOUSEHOLD_DEFAULTS[_f.name] = _f.default
    elif _f.default_factory is not dataclasses.MISSING:
        _HOUSEHOLD_DEFAULTS[_f.name] = _f.default_factory
_MEMBER_DEFAULTS: dict[str, Any] = {
    f.name: (f.default if f.default is not dataclasses.MISSING else "")
    for f in dataclasses.fields(MemberIn)
}
_MEMBER_COPIED = [
    f.name for f in dataclasses.fields(MemberIn) if f.name not in {"id_number", "member_id"}
]
_HOUSEHOLD_COPIED = [
    f.name
    for f in dataclasses.fields(HouseholdIn)
    if f.name
    not in {"household_no", "village_code", "natural_village_code", "members", "bank_account"}
]


def _empty(target: str, member: bool) -> Any:
    if member:
        return _MEMBER_DEFAULTS.get(target, "")
    value = _HOUSEHOLD_DEFAULTS.get(target, "")
    return value() if callable(value) else value


@dataclass
class _Group:
    """The rows of one household as read: row numbers, each row's member values (a tuple in
    member-column order) and household values (a tuple in household-column order, or None when
    the row leaves them all empty)."""

    no: str
    rows: list[int] = field(default_factory=list)
    members: list[tuple[Any, ...]] = field(default_factory=list)
    households: list[tuple[Any, ...] | None] = field(default_factory=list)
    bad: bool = False


@dataclass
class _Update:
    data: HouseholdIn
    clean: CleanHousehold
    rows: list[int]


class HouseholdImport:
    """One import of one file. Use :func:`import_households`."""

    def __init__(
        self,
        info: FileInfo,
        *,
        actor: Any,
        capture: RegionScope,
        layout: str | None,
        dry_run: bool,
        valid_only: bool,
        progress: Callable[[str, int, int], None] | None,
    ) -> None:
        self.info = info
        self.actor = actor
        self.capture = capture
        self.forced = layout
        self.dry_run = dry_run
        self.valid_only = valid_only
        self.progress = progress or (lambda phase, done, total: None)
        self.result = ImportResult(
            file_name=info.name, sha256=info.sha256, dry_run=dry_run, valid_only=valid_only
        )
        self.problems: dict[tuple[int, int], ImportProblem] = {}  # (row, column) → first problem
        self.row_problems: list[tuple[int, int, ImportProblem]] = []
        self.rejected: set[str] = set()
        self.bad_rows: set[int] = set()
        self.batch: ImportBatch | None = None
        self.places = Places(capture)
        self.new: dict[str, tuple[bulk.NewHousehold, list[int]]] = {}
        self.updates: dict[str, _Update] = {}
        self.hashes: dict[str, tuple[list[str], list[int]]] = {}  # household → hashes, rows
        self.rows_by_no: dict[str, list[int]] = {}
        self.orphans: set[int] = set()  # rows that belong to no household
        self.file_ids: dict[str, tuple[str, int]] = {}  # ID number → first household, row
        self.sealer = Sealer()  # the data keys, resolved once for the whole file
        self.checked: dict[str, HouseholdIn] = {}  # this chunk's households, until ID checks
        self.held: dict[str, conflicts.Held] = {}  # ID numbers held by other households

    # -- problems

    def problem(
        self, row: int, column: int, value: Any, code: str, message: str, household: str = ""
    ) -> None:
        key = (row, column)
        if key not in self.problems:
            header = self.header.texts.get(column, "") if column >= 0 else ""
            self.problems[key] = ImportProblem(row, header, _display(value), str(code), message)
        self.bad_rows.add(row)
        if household:
            self.rejected.add(household)

    # -- the phases

    def run(self) -> ImportResult:
        started = time.perf_counter()
        source = open_source(self.info)
        try:
            self.header = self._header(source)
            self.result.header_row = self.header.row
            if isinstance(source, XlsxSource):
                self.result.sheet_index = source.sheet_index
            self.result.layout = self.header.layout.name
            self.result.ignored_columns = self.header.ignored
            if not self.dry_run:
                self.batch = ImportBatch.objects.create(
                    file_name=self.info.name[:255],
                    file_sha256=self.info.sha256,
                    layout=self.header.layout.name,
                    actor=self.actor if getattr(self.actor, "pk", None) else None,
                    status="reading",
                )
                self.result.batch_id = self.batch.pk
            source.scan(self.header.row, self._scanned_columns())
            groups = self._read(source)
        finally:
            source.close()
        _release_memory()
        self._check(groups)
        self._finish_problems()
        if self._may_write():
            self._write()
        self.result.seconds = time.perf_counter() - started
        self._record()
        return self.result

    def _header(self, source: CsvSource | XlsxSource) -> Header:
        if isinstance(source, XlsxSource):
            first: Header | None = None
            refusal: ImportRefused | None = None
            for index in range(len(source.sheet_names)):
                source.load(index)
                try:
                    header = find_header(_take(source.rows(), HEADER_SEARCH_ROWS), self.forced)
                except ImportRefused as error:
                    refusal = refusal or error
                    continue
                first = header
                break
            if first is None:
                assert refusal is not None
                raise refusal
            return first
        return find_header(_take(source.rows(), HEADER_SEARCH_ROWS), self.forced)

    def _scanned_columns(self) -> dict[int, str]:
        layout = self.header.layout
        return {index: layout.col(key).kind for key, index in self.header.columns.items()}

    def _read(self, source: CsvSource | XlsxSource) -> dict[str, _Group]:
        """Phase 3: every row once; cells cleaned and converted; rows grouped by 户编号."""
        layout, columns = self.header.layout, self.header.columns
        key_index = columns["household_no"]
        key_convert = converter(layout.col("household_no"), self.header.texts[key_index])
        specs_m: list[tuple[int, Col, Callable[[str, bool], Any]]] = []
        specs_h: list[tuple[int, Col, Callable[[str, bool], Any]]] = []
        for col in layout.columns:
            if col.key in columns and col.key != "household_no":
                index = columns[col.key]
                spec = (index, col, converter(col, self.header.texts[index]))
                (specs_m if col.level == MEMBER else specs_h).append(spec)
        self.specs_m, self.specs_h = specs_m, specs_h
        width = max(columns.values()) + 1
        groups: dict[str, _Group] = {}
        flags, numeric = source.flags, source.numeric
        header_row = self.header.row
        count = 0
        for number, cells in source.rows(header_row):
            if number <= header_row:
                continue
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            if not any(c and not c.isspace() for c in cells):
                if number in flags:  # a row emptied by merged cells still counts
                    self._flags_only(number, flags[number])
                continue
            count += 1
            if count % 20000 == 0:
                self._progress_reading(count)
            row_flags = flags.get(number)
            row_numeric = numeric.get(number)
            bad = False
            if row_flags:
                for index, flag in row_flags.items():
                    if index < len(cells):
                        self.problem(number, index, flag.value, flag.code, flag.message)
                        cells[index] = None
                        bad = True
            raw = cells[key_index]
            household_no = ""
            if raw is not None and not raw.isspace() and raw:
                try:
                    household_no = key_convert(raw, bool(row_numeric and key_index in row_numeric))
                except CellError as error:
                    self.problem(number, key_index, raw, error.code, error.message)
            elif not (row_flags and key_index in row_flags):
                self.problem(
                    number,
                    key_index,
                    "",
                    ErrorCode.IMPORT_CELL_INVALID,
                    _(
                        "The 户编号 (household number) is empty, so the row belongs to no "
                        "household."
                    ),
                )
            member: list[Any] = []
            for index, _col, convert in specs_m:
                raw = cells[index]
                if raw is None or not raw or raw.isspace():
                    member.append(None)
                    continue
                try:
                    member.append(convert(raw, bool(row_numeric and index in row_numeric)))
                except CellError as error:
                    self.problem(number, index, raw, error.code, error.message)
                    member.append(None)
                    bad = True
            household: list[Any] = []
            filled = False
            for index, _col, convert in specs_h:
                raw = cells[index]
                if raw is None or not raw or raw.isspace():
                    household.append(None)
                    continue
                try:
                    household.append(convert(raw, False))
                    filled = True
                except CellError as error:
                    self.problem(number, index, raw, error.code, error.message)
                    household.append(None)
                    bad = True
            if not household_no:
                self.orphans.add(number)
                continue
            group = groups.get(household_no)
            if group is None:
                group = groups[household_no] = _Group(household_no)
            group.rows.append(number)
            group.members.append(tuple(member))
            group.households.append(tuple(household) if filled else None)
            if bad:
                group.bad = True
                self.rejected.add(household_no)
        self.result.rows_total = count
        if count == 0:
            raise refuse(
                ErrorCode.IMPORT_FILE_EMPTY,
                _("The file has a header (row {row}) but no data rows.").format(row=header_row),
            )
        self._progress_reading(count)
        return groups

    def _flags_only(self, number: int, row_flags: dict[int, CellFlag]) -> None:
        for index, flag in row_flags.items():
            if index in self.header.texts:
                self.problem(number, index, flag.value, flag.code, flag.message)

    def _progress_reading(self, count: int) -> None:
        self.progress("reading", count, 0)
        if self.batch is not None:
            ImportBatch.objects.filter(pk=self.batch.pk).update(rows_done=count)

    def _check(self, groups: dict[str, _Group]) -> None:
        """Phase 4: every household checked; nothing written."""
        total = len(groups)
        names = list(groups)
        done = 0
        for start in range(0, total, CHECK_BATCH):
            chunk = [groups.pop(no) for no in names[start : start + CHECK_BATCH]]
            existing = {
                h.household_no: h
                for h in Household.objects.filter(
                    household_no__in=[g.no for g in chunk]
                ).select_related("village")
            }
            members: dict[int, list[Member]] = {}
            if existing:
                for m in Member.objects.filter(household__in=list(existing.values())):
                    members.setdefault(m.household_id, []).append(m)
            for group in chunk:
                self.rows_by_no[group.no] = group.rows
                found = existing.get(group.no)
                self._check_household(group, found, members.get(found.pk, []) if found else [])
            self._hold_id_conflicts()
            done += len(chunk)
            self.progress("checking", done, total)
        for no in self.rejected:
            self.new.pop(no, None)
            self.updates.pop(no, None)

    def _check_household(
        self, group: _Group, existing: Household | None, existing_members: list[Member]
    ) -> None:
        no, rows = group.no, group.rows
        columns = self.header.columns
        specs_m, specs_h = self.specs_m, self.specs_h
        m_pos = {col.key: i for i, (_index, col, _conv) in enumerate(specs_m)}
        relation_at = m_pos.get("relation")
        heads = [
            i
            for i, values in enumerate(group.members)
            if relation_at is not None and _is_head(values[relation_at])
        ]
        head = heads[0] if heads else 0
        if existing is not None and not self.capture.covers(existing.village.code):
            self.problem(
                rows[0],
                columns["household_no"],
                no,
                ErrorCode.PERMISSION_DENIED,
                _("Household number {no} is already used outside your capture scope.").format(
                    no=no
                ),
                no,
            )
            return
        # household values: the head's row, else the first row that fills the cell
        chosen: list[Any] = []
        source_row: list[int] = []
        for j, (index, _col, _conv) in enumerate(specs_h):
            value, at = None, rows[head]
            head_values = group.households[head]
            if head_values is not None and head_values[j] is not None:
                value = head_values[j]
            else:
                for r, values in zip(rows, group.households, strict=True):
                    if values is not None and values[j] is not None:
                        value, at = values[j], r
                        break
            chosen.append(value)
            source_row.append(at)
            if value is None:
                continue
            for r, values in zip(rows, group.households, strict=True):
                if values is None or values[j] is None or r == at:
                    continue
                if not _same(values[j], value):
                    self.problem(
                        r,
                        index,
                        values[j],
                        ErrorCode.IMPORT_ROWS_DISAGREE,
                        _(
                            "Rows {row} and {other} both belong to household {no} but disagree on "
                            "{header}: row {row} says {value!r}, row {other} says {chosen!r}."
                        ).format(
                            row=r,
                            other=at,
                            no=no,
                            header=self.header.texts[index],
                            value=_display(values[j]),
                            chosen=_display(value),
                        ),
                        no,
                    )
        h_pos = {col.key: j for j, (_index, col, _conv) in enumerate(specs_h)}
        if "size" in h_pos and chosen[h_pos["size"]] is not None:
            size = chosen[h_pos["size"]]
            if size != len(rows):
                j = h_pos["size"]
                self.problem(
                    source_row[j],
                    specs_h[j][0],
                    size,
                    ErrorCode.IMPORT_CELL_INVALID,
                    _(
                        "人数 (household size) is {size}, but the file has {n} rows for household "
                        "{no} (rows {rows})."
                    ).format(size=size, n=len(rows), no=no, rows=_row_list(rows)),
                    no,
                )
        # heads
        if not heads:
            for r in rows:
                self.problem(
                    r,
                    columns["household_no"],
                    no,
                    ErrorCode.HOUSEHOLD_HEAD_COUNT,
                    _(
                        "Row {row} belongs to household {no}, but no row of that household is its "
                        "head (与户主关系 = 户主)."
                    ).format(row=r, no=no),
                    no,
                )
        elif len(heads) > 1:
            for i in heads:
                self.problem(
                    rows[i],
                    specs_m[relation_at][0] if relation_at is not None else -1,
                    group.members[i][relation_at] if relation_at is not None else "",
                    ErrorCode.HOUSEHOLD_HEAD_COUNT,
                    _(
                        "Household {no} has {n} heads (户主), on rows {rows}; it must have one."
                    ).format(no=no, n=len(heads), rows=_row_list([rows[k] for k in heads])),
                    no,
                )
        # ID numbers given twice in the file
        id_at = m_pos.get("id_number")
        if id_at is not None:
            id_index = specs_m[id_at][0]
            for r, values in zip(rows, group.members, strict=True):
                number = _canonical_id(values[id_at])
                if number is None:
                    continue
                first = self.file_ids.setdefault(number, (no, r))
                if first[1] != r:
                    message = _("The same ID number is on rows {a} and {b}.").format(
                        a=first[1], b=r
                    )
                    self.problem(
                        r, id_index, values[id_at], ErrorCode.ID_NUMBER_DUPLICATE, message, no
                    )
                    self.problem(
                        first[1],
                        id_index,
                        values[id_at],
                        ErrorCode.ID_NUMBER_DUPLICATE,
                        message,
                        first[0],
                    )
        # places
        place_failed = False
        village_code = natural_code = ""
        if "village" in h_pos:
            texts = [
                (chosen[h_pos[k]] or "") if k in h_pos else ""
                for k in ("county", "township", "village", "natural_village")
            ]
            try:
                village_code, natural_code = self.places.resolve(*texts)
            except PlaceError as error:
                place_failed = True
                j = h_pos.get(error.key, h_pos["village"])
                self.problem(
                    source_row[j], specs_h[j][0], chosen[j] or "", error.code, error.message, no
                )
        # the registry's own validation
        data = self._household_in(
            group, existing, existing_members, chosen, village_code, natural_code
        )
        try:
            clean = household_validate(data=data, capture=self.capture, regions=self.places.regions)
        except ValidationFailed as failed:
            self._map(failed.problems, group, data, chosen, source_row, place_failed, heads)
            return
        if group.bad or no in self.rejected:
            return
        hashes = bulk.member_hashes(clean, self.sealer)
        self.checked[no] = data
        if existing is not None:
            if household_differs(existing, existing_members, clean, hashes):
                self.updates[no] = _Update(data, clean, rows)
                self.hashes[no] = (hashes, rows)
            else:
                self.result.households_unchanged += 1
            return
        self.new[no] = (bulk.prepare(clean, hashes, self.sealer), rows)
        self.hashes[no] = (hashes, rows)

    def _household_in(
        self,
        group: _Group,
        existing: Household | None,
        existing_members: list[Member],
        chosen: list[Any],
        village_code: str,
        natural_code: str,
    ) -> HouseholdIn:
        """The household as ``HouseholdIn``: the file's values for the columns it has; for a
        household already registered, the registry's values for the columns it lacks."""
        values: dict[str, Any] = {}
        if existing is not None:
            for name in _HOUSEHOLD_COPIED:
                values[name] = getattr(existing, name)
            values["secondary_causes"] = list(existing.secondary_causes)
        for j, (_index, col, _conv) in enumerate(self.specs_h):
            if col.target is None or col.kind == REGION:
                continue
            value = chosen[j]
            if col.kind == EXIT_STATUS:
                if value is None:
                    continue  # the workflow status stays as it is
                current = existing.status if existing is not None else None
                same = current is not None and (
                    EXIT_STATUS_OF.get(current) == value
                    or (value == "exited_no_policy" and current == HouseholdStatus.EXITED)
                )
                values["status"] = current if same else STATUS_OF_EXIT[value]
            elif col.kind == STATUS:
                if value is not None:
                    values["status"] = value
                elif existing is None:
                    values["status"] = HouseholdStatus.REGISTERED
            elif col.kind == CAUSES:
                values["secondary_causes"] = list(value or ())
            else:
                values[col.target] = value if value is not None else _empty(col.target, False)
        by_hash = {m.id_number_hash: m for m in existing_members}
        members = []
        for row in group.members:
            kwargs: dict[str, Any] = {}
            number = None
            for i, (_index, col, _conv) in enumerate(self.specs_m):
                target = col.target
                assert target is not None
                kwargs[target] = row[i] if row[i] is not None else _empty(target, True)
                if target == "id_number" and by_hash:
                    number = _canonical_id(row[i])
            if by_hash and number is not None:
                known = by_hash.get(lookup_hash(number))
                if known is not None:
                    base = {name: getattr(known, name) for name in _MEMBER_COPIED}
                    kwargs = {**base, **kwargs}
            members.append(MemberIn(**kwargs))
        return HouseholdIn(
            household_no=group.no,
            village_code=village_code,
            natural_village_code=natural_code,
            members=members,
            **values,
        )

    def _map(
        self,
        problems: list[Problem],
        group: _Group,
        data: HouseholdIn,
        chosen: list[Any],
        source_row: list[int],
        place_failed: bool,
        heads: list[int],
    ) -> None:
        """Put the registry's problems where they are in the file: member problems on the
        member's row, household problems on the row the value came from."""
        no, rows = group.no, group.rows
        columns = self.header.columns
        by_target_m = {col.target: index for index, col, _ in self.specs_m if col.target}
        by_target_h: dict[str, tuple[int, int]] = {}
        for j, (index, col, _conv) in enumerate(self.specs_h):
            if col.target:
                by_target_h.setdefault(col.target, (index, j))
        for key, target in (
            ("village", "village_code"),
            ("natural_village", "natural_village_code"),
        ):
            for j, (index, col, _conv) in enumerate(self.specs_h):
                if col.key == key:
                    by_target_h[target] = (index, j)
        for p in problems:
            if p.code == ErrorCode.HOUSEHOLD_HEAD_COUNT:
                self.rejected.add(no)  # reported per row above
                continue
            if place_failed and p.field in {"village_code", "natural_village_code"}:
                self.rejected.add(no)
                continue
            if p.member is not None:
                row = rows[p.member]
                # birth date or sex kept from the registry: the ID number decides them
                at = by_target_m.get(p.field)
                index = (
                    at if at is not None else by_target_m.get("id_number", columns["household_no"])
                )
                value = getattr(data.members[p.member], p.field, "")
                self.problem(row, index, value, p.code, p.message, no)
                continue
            spot = by_target_h.get(p.field)
            if spot is None:
                self.problem(
                    rows[heads[0] if heads else 0],
                    columns["household_no"],
                    no,
                    p.code,
                    p.message,
                    no,
                )
                continue
            index, j = spot
            self.problem(
                source_row[j],
                index,
                chosen[j] if chosen[j] is not None else "",
                p.code,
                p.message,
                no,
            )

    def _hold_id_conflicts(self) -> None:
        """Households of this chunk with an ID number that another household holds already
        are held back for review (``registry.conflicts``), not refused: the rest imports."""
        owner: dict[str, tuple[str, int, int]] = {}  # hash → household, row, member index
        for no in self.checked:
            if no in self.rejected or no not in self.hashes:
                continue
            hashes, rows = self.hashes[no]
            for index, (key, row) in enumerate(zip(hashes, rows, strict=True)):
                owner[key] = (no, row, index)
        clashes: dict[str, list[conflicts.Clash]] = {}
        for key, (other, masked) in bulk.ids_taken(owner).items():
            no, _row, index = owner[key]
            if other != no:
                clashes.setdefault(no, []).append(conflicts.Clash(index, masked, key, other))
        for no, found in clashes.items():
            self._hold(no, self.checked[no], found)
        self.checked.clear()

    def _hold(self, no: str, data: HouseholdIn, clashes: list[conflicts.Clash]) -> None:
        _hashes, rows = self.hashes.pop(no)
        self.new.pop(no, None)
        self.updates.pop(no, None)
        village = self.places.regions[data.village_code]  # validated: it is there
        head = next(m.name for m in data.members if _is_head(m.relation))
        clashes.sort(key=lambda c: c.member)
        self.held[no] = conflicts.Held(data, village, str(head), rows, clashes)
        id_index = self.header.columns["id_number"]
        others = "、".join(sorted({f"{c.masked} → {c.other}" for c in clashes}))
        self.result.queued.append(
            ImportProblem(
                rows[0],
                self.header.texts[id_index],
                ", ".join(c.masked for c in clashes),
                ErrorCode.ID_NUMBER_DUPLICATE,
                _(
                    "Household {no} (rows {rows}) is held for review, not imported: its ID "
                    "numbers already belong to members of other households ({others}). Someone "
                    "who may edit both households decides under Registry → ID conflicts."
                ).format(no=no, rows=_row_list(rows), others=others),
            )
        )

    def _finish_problems(self) -> None:
        problems = sorted(self.problems.items(), key=lambda item: item[0])  # file-level first
        self.result.problems = [p for _, p in problems]
        self.result.households_rejected = len(self.rejected)
        self.result.households_queued = len(self.held)
        rows = set(self.bad_rows) | self.orphans
        for no in self.rejected:
            rows.update(self.rows_by_no.get(no, ()))
        self.result.rows_rejected = len(rows)
        self.result.rejected_rows = sorted(rows)

    def _may_write(self) -> bool:
        if self.dry_run:
            return False
        if self.result.problems and not self.valid_only:
            return False
        return bool(self.new or self.updates or self.held)

    def _write(self) -> None:
        """Phase 5: one transaction; a process killed here leaves the database as it was."""
        reason = f"import:{self.batch.pk if self.batch else '-'} {self.info.name}"[:500]
        news = [item for item, _ in self.new.values()]
        total = len(news) + len(self.updates)
        if self.batch is not None:
            ImportBatch.objects.filter(pk=self.batch.pk).update(status="writing")
        self.progress("writing", 0, total)
        try:
            with transaction.atomic():
                bulk.create_households(
                    news,
                    actor=self.actor,
                    reason=reason,
                    progress=lambda done: self.progress("writing", done, total),
                )
                done = len(news)
                for no, update in self.updates.items():
                    try:
                        with transaction.atomic():
                            _, outcome = household_save(
                                actor=self.actor,
                                capture=self.capture,
                                data=update.data,
                                clean=update.clean,
                                reason=reason,
                            )
                    except BangfuError as error:
                        self._write_failed(no, update.rows, error)
                        if not self.valid_only:
                            raise
                        continue
                    if outcome == "updated":
                        self.result.households_updated += 1
                    else:
                        self.result.households_unchanged += 1
                    done += 1
                    self.progress("writing", done, total)
                self.result.households_created = len(news)
                conflicts.queue_households(
                    list(self.held.values()), batch=self.batch, actor=self.actor, sealer=self.sealer
                )
        except (BangfuError, IntegrityError) as error:
            self.result.households_created = self.result.households_updated = 0
            self.result.households_unchanged = self.result.households_queued = 0
            if isinstance(error, IntegrityError):
                self.problems[(0, -1)] = ImportProblem(
                    None,
                    "",
                    "",
                    ErrorCode.IMPORT_REJECTED,
                    _(
                        "The registry changed while the file was being imported (another user "
                        "saved one of these households or ID numbers); nothing was written. "
                        "Import the file again."
                    ),
                )
            self._finish_problems()

    def _write_failed(self, no: str, rows: list[int], error: BangfuError) -> None:
        problems = getattr(error, "problems", None) or [
            Problem(error.field or "household_no", str(error.code), error.message)
        ]
        for p in problems:
            row = rows[p.member] if p.member is not None else rows[0]
            column = self.header.columns.get(
                "id_number" if p.field == "id_number" else "household_no", 0
            )
            self.problem(row, column, "", p.code, p.message, no)
        self._finish_problems()

    def _record(self) -> None:
        if self.batch is None:
            return
        r = self.result
        if r.problems:
            status = "partial" if r.written else "rejected"
        elif r.households_queued:
            status = "review"  # written, but some households wait for an ID-conflict decision
        else:
            status = "succeeded"
        ImportBatch.objects.filter(pk=self.batch.pk).update(
            status=status,
            finished_at=timezone.now(),
            rows_total=r.rows_total,
            rows_done=r.rows_total,
            households_created=r.households_created,
            households_updated=r.households_updated,
            households_unchanged=r.households_unchanged,
            households_rejected=r.households_rejected,
            errors=_stored_errors(r.problems),
        )


def _stored_errors(problems: list[ImportProblem]) -> list[dict[str, Any]]:
    stored = [p.as_dict() for p in problems[:STORED_ERRORS]]
    if len(problems) > STORED_ERRORS:
        stored.append({"code": "truncated", "count": len(problems)})
    return stored


def _take(rows: Iterator[tuple[int, Cells]], n: int) -> list[tuple[int, Cells]]:
    """The first ``n`` non-empty rows (within the first 50)."""
    taken = []
    try:
        for item in rows:
            if any(c and str(c).strip() for c in item[1]):
                taken.append(item)
            if len(taken) >= n or item[0] > 50:
                break
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    return taken


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        return fold(a) == fold(b)
    return False


def _row_list(rows: Sequence[int]) -> str:
    text = ", ".join(str(r) for r in rows[:10])
    return text + (", …" if len(rows) > 10 else "")


_HEAD_CACHE: dict[str, bool] = {}


def _is_head(value: Any) -> bool:
    if not value:
        return False
    hit = _HEAD_CACHE.get(value)
    if hit is None:
        try:
            hit = code_list("relation").resolve(value, field="relation") == "head"
        except BangfuError:
            hit = False
        if len(_HEAD_CACHE) < 1000:
            _HEAD_CACHE[value] = hit
    return hit


def _canonical_id(value: Any) -> str | None:
    """The 18-character form of an ID number cell, if it has one (no check digit test)."""
    if value is None or isinstance(value, float):
        return None
    try:
        text = normalize_id_text(value)
    except BangfuError:
        return None
    if len(text) == 15 and text.isdigit():
        return upgrade_legacy_number(text)
    return text if len(text) == 18 else None


# --- entry point --------------------------------------------------------------------------


def import_households(
    path: str | os.PathLike[str],
    *,
    actor: Any = None,
    capture: RegionScope | None = None,
    layout: str | None = None,
    dry_run: bool = False,
    valid_only: bool = False,
    file_name: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Import a household file (.xlsx or .csv) as ``actor``, within ``capture`` (by default the
    actor's capture scope). ``layout`` is "national" or "bangfu" (detected from the header when
    omitted). All or nothing unless ``valid_only``; ``dry_run`` checks everything and writes
    nothing. Never raises for a bad file: every problem is in the result."""
    path = Path(path)
    name = file_name or path.name
    if capture is None:
        capture = scope_for(actor, "capture")
    if layout is not None and layout not in LAYOUTS:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("Unknown layout {layout!r}; use national or bangfu.").format(layout=layout),
        )
    started = time.perf_counter()
    job: HouseholdImport | None = None
    try:
        info = inspect_file(path, name)
        job = HouseholdImport(
            info,
            actor=actor,
            capture=capture,
            layout=layout,
            dry_run=dry_run,
            valid_only=valid_only,
            progress=progress,
        )
        return job.run()
    except ImportRefused as refusal:
        result = ImportResult(file_name=name, dry_run=dry_run, valid_only=valid_only, refused=True)
        result.problems = [ImportProblem(None, "", "", str(refusal.code), refusal.message)]
        result.seconds = time.perf_counter() - started
        if not dry_run:
            _record_refusal(result, path, job.batch if job is not None else None, layout)
        return result


def _record_refusal(
    result: ImportResult, path: Path, batch: ImportBatch | None, layout: str | None
) -> None:
    values = {
        "status": "failed",
        "finished_at": timezone.now(),
        "errors": _stored_errors(result.problems),
        "rows_total": 0,
    }
    if batch is not None:
        ImportBatch.objects.filter(pk=batch.pk).update(**values)
        result.batch_id = batch.pk
        return
    digest = ""
    with contextlib.suppress(OSError):
        if path.stat().st_size <= max_bytes():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
    result.sha256 = digest
    created = ImportBatch.objects.create(
        file_name=result.file_name[:255], file_sha256=digest, layout=layout or "", **values
    )
    result.batch_id = created.pk


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
      waiting for a decision under Registry → ID conflicts (ID numbers masked).
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
