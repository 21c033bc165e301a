"""The two file layouts (the national 26-column layout and Bangfu's template): their columns, cell
kinds and the spellings of their headers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.utils.translation import gettext as _

from bangfu.registry.codelists import fold
from bangfu.registry.models import HouseholdStatus

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
            "reported_dangerous_house",
            aliases=("是否危房户", "是否危房"),
            width=8,
            note=_("kept as reported, beside Bangfu’s own figure from guarantee assessments"),
        ),
        Col(
            "water_safe",
            "饮水安全",
            BOOL,
            HOUSEHOLD,
            "reported_water_safe",
            aliases=("是否饮水安全", "是否解决安全饮用水"),
            width=8,
            note=_("kept as reported, beside Bangfu’s own figure from guarantee assessments"),
        ),
        Col(
            "water_difficult",
            "饮水困难",
            BOOL,
            HOUSEHOLD,
            "reported_water_difficult",
            aliases=("是否饮水困难",),
            width=8,
            note=_("kept as reported, beside Bangfu’s own figure from guarantee assessments"),
        ),
        Col(
            "net_income_pc",
            "人均纯收入",
            MONEY,
            HOUSEHOLD,
            "reported_net_income_pc",
            aliases=("人均纯收入(元)",),
            width=10,
            note=_("kept as reported, beside Bangfu’s own figure from income records"),
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


def _optional(key: str) -> Col:
    """A column of the national layout as Bangfu's template has it: the same, but optional
    (the template describes a household fully; a column left out keeps what is stored)."""
    return dataclasses.replace(NATIONAL.col(key), required=False)


BANGFU = Layout(
    "bangfu",
    "帮扶户籍完整模板",
    (
        *_place_columns(False),
        NATIONAL.col("household_no"),
        _optional("person_no"),
        NATIONAL.col("name"),
        NATIONAL.col("id_number"),
        NATIONAL.col("relation"),
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
        _optional("ethnicity"),
        _optional("education"),
        _optional("student_status"),
        _optional("health"),
        _member_code("disability_grade", "残疾等级", required=False),
        _optional("labour_skill"),
        _optional("employment_status"),
        _optional("months_worked_away"),
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
