"""Importing the assistance tables from spreadsheets (``assistance.imports``): for every table a
good file written through the services with its history, one bad row writing nothing and
reported at its row and column, households outside the user's scope, the templates filled in
and imported, .csv in GB18030, the pages and the ``import_assistance`` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from bangfu.accounts.models import Role, User
from bangfu.accounts.scopes import scope_for
from bangfu.assistance import pairings as svc
from bangfu.assistance import services
from bangfu.assistance.imports import TABLES, import_table
from bangfu.assistance.models import (
    Assignment,
    Direction,
    Helper,
    HelperOrigin,
    Measure,
    MeasureKind,
    MeasureStatus,
    Partner,
    PartnerKind,
    Secondment,
    SecondmentField,
    SecondmentStatus,
    SocialPairing,
    SocialPairingKind,
    Visit,
)
from bangfu.audit.selectors import object_history
from bangfu.regions.models import Region
from bangfu.registry.importers import CellError
from bangfu.registry.services import household_save
from bangfu.registry.sheets import convert_plain, convert_yuan, write_sheet_template
from tests.registry.factories import household_in

pytestmark = pytest.mark.django_db

NABING, GASAI, MENGHAI = "532822106207", "532822106201", "532822000000"
SONGJIANG, SIJING = "310117000000", "310117102000"
QINGPU, DEHONG, MANGSHI = "310118000000", "533100000000", "533103000000"
H1, H2, H3 = "5328221062070001", "5328221062070002", "5328221062070003"
GASAI_NO = "5328221062010001"
TODAY = timezone.localdate()
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def world(users: dict[str, Any]) -> dict[str, Any]:
    """Three households of Nabing and one of Gasai (outside Nabing's scope), two helpers of
    Nabing (the second already helping the second household), a Songjiang partner."""
    admin = users["admin"]
    capture = scope_for(admin, "capture")
    households = {
        no: household_save(actor=admin, capture=capture, data=household_in(no=no, village=v))[0]
        for no, v in ((H1, NABING), (H2, NABING), (H3, NABING), (GASAI_NO, GASAI))
    }
    village = users["nabing-village"]
    nabing = Region.objects.get(code=NABING)
    yan = services.helper_create(
        actor=village,
        data={"name": "岩罕", "origin": HelperOrigin.LOCAL_CADRE, "region": nabing},
    )
    zhang = services.helper_create(
        actor=village,
        data={
            "name": "张华",
            "origin": HelperOrigin.EAST_VOLUNTEER,
            "region": nabing,
            "visit_every_days": 20,
        },
    )
    services.assignment_start(
        actor=village, helper=zhang, household=households[H2], start_date=dt.date(2024, 1, 1)
    )
    partner = svc.partner_create(
        actor=users["songjiang-office"],
        data=svc.PartnerIn(
            name="上海松茶示范企业（测试）",
            kind=PartnerKind.ENTERPRISE,
            region=Region.objects.get(code=SIJING),
        ),
    )
    return {
        "users": users,
        "households": households,
        "yan": yan,
        "zhang": zhang,
        "partner": partner,
    }


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]], title: bool = True) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append(["纳丙村帮扶台账（2024年）"])  # a title row above the header
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)
    return path


def problems(result: Any) -> set[tuple[Any, str, str]]:
    return {(p.row, p.column, p.code) for p in result.problems}


def reasons(obj: Any) -> list[str]:
    return [e.reason for e in object_history(obj=obj).order_by("pk")]


# ---------------------------------------------------------------------------- helpers

HELPER_HEADER = ["姓名", "工作单位", "职务", "联系电话", "来源", "工作地区代码", "走访周期(天)"]


def test_helpers(world: dict[str, Any], tmp_path: Path) -> None:
    village = world["users"]["nabing-village"]
    good = [
        ["玉 香", "纳丙村委会", "妇女主任", "13900000001", "本地干部", NABING, "15"],
        ["Li Ming", "上海某公司（松江）", "", "", "Eastern volunteer", NABING, ""],
    ]
    path = write_xlsx(tmp_path / "helpers.xlsx", HELPER_HEADER, good)
    result = import_table("helpers", path, name=path.name, actor=village)
    assert result.ok and result.written == 2 and result.header_row == 2, result.problems
    assert result.outcomes == {"helpers added": 2}
    yu = Helper.objects.get(name="玉香")
    assert (yu.unit, yu.post, yu.phone, yu.origin) == (
        "纳丙村委会",
        "妇女主任",
        "13900000001",
        HelperOrigin.LOCAL_CADRE,
    )
    assert yu.region.code == NABING and yu.visit_every_days == 15
    li = Helper.objects.get(name="Li Ming")
    assert li.unit == "上海某公司（松江）" and li.visit_every_days == 30  # brackets as typed
    assert li.origin == HelperOrigin.EAST_VOLUNTEER
    history = object_history(obj=li).get()
    assert history.reason == "helper added" and history.actor == village

    # one bad row: nothing written, the row and column named with the reason
    bad = [
        ["王芳", "", "", "", "本地干部", NABING, ""],
        ["李四", "", "", "", "本地干部", GASAI, ""],  # outside Nabing's capture scope
        ["赵五", "", "", "", "外星人", NABING, "400"],  # no such origin
        ["玉香", "", "", "", "本地干部", NABING, ""],  # already there
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", HELPER_HEADER, bad)
    result = import_table("helpers", path, name=path.name, actor=village)
    assert result.written == 0 and not Helper.objects.filter(name="王芳").exists()
    assert problems(result) == {
        (4, "工作地区代码", "permission_denied"),
        (5, "来源", "import_cell_invalid"),
        (6, "姓名", "validation_error"),
    }
    scope = next(p for p in result.problems if p.row == 4)
    assert scope.value == GASAI and "capture scope" in scope.message
    origin = next(p for p in result.problems if p.row == 5)
    assert origin.value == "外星人" and "本地干部" in origin.message


# ---------------------------------------------------------------------------- assignments

ASSIGNMENT_HEADER = [
    "户编号",
    "帮扶责任人编号",
    "帮扶责任人",
    "帮扶责任人地区代码",
    "开始日期",
    "走访周期(天)",
    "调整原因",
]


def test_assignments_start_or_reassign(world: dict[str, Any], tmp_path: Path) -> None:
    village = world["users"]["nabing-village"]
    households, yan, zhang = world["households"], world["yan"], world["zhang"]
    rows = [
        [H1, "", "岩罕", NABING, "2024-03-01", "10", ""],  # a first helper
        [H2, yan.pk, "", "", "2024/4/1", "", "张华调岗"],  # reassigned, by number
    ]
    path = write_xlsx(tmp_path / "assign.xlsx", ASSIGNMENT_HEADER, rows)
    result = import_table("assignments", path, name=path.name, actor=village)
    assert result.ok and result.written == 2, result.problems
    assert result.outcomes == {"helpers assigned": 1, "households reassigned": 1}
    first = Assignment.objects.get(household=households[H1])
    assert (first.helper, first.start_date, first.visit_every_days) == (
        yan,
        dt.date(2024, 3, 1),
        10,
    )
    assert reasons(first) == ["helper assigned"]
    h2 = list(Assignment.objects.filter(household=households[H2]).order_by("start_date"))
    assert [(a.helper, a.end_date, a.end_reason) for a in h2] == [
        (zhang, dt.date(2024, 4, 1), "张华调岗"),
        (yan, None, ""),
    ]
    assert "helper assignment ended" in reasons(h2[0])


def test_assignments_one_bad_row_and_scope(world: dict[str, Any], tmp_path: Path) -> None:
    village = world["users"]["nabing-village"]
    rows = [
        [H1, "", "岩罕", NABING, "2024-03-01", "", ""],
        [H2, "", "岩罕", NABING, "2024-04-01", "", ""],  # has a helper: no reason given
        [GASAI_NO, "", "岩罕", NABING, "2024-04-01", "", ""],  # not visible to Nabing
        ["5328221062079999", "", "岩罕", NABING, "2024-04-01", "", ""],  # does not exist
        [H3, "", "无名氏", "", "2024-04-01", "", ""],  # no such helper
        [H1, "", "张华", NABING, "2024-05-01", "", ""],  # the same household twice
    ]
    path = write_xlsx(tmp_path / "assign.xlsx", ASSIGNMENT_HEADER, rows)
    result = import_table("assignments", path, name=path.name, actor=village)
    assert result.written == 0 and not Assignment.objects.filter(household__household_no=H1)
    assert problems(result) == {
        (4, "调整原因", "validation_error"),
        (5, "户编号", "household_not_found"),
        (6, "户编号", "household_not_found"),
        (7, "帮扶责任人", "helper_not_found"),
        (8, "户编号", "validation_error"),
    }
    hidden = next(p for p in result.problems if p.row == 5)
    absent = next(p for p in result.problems if p.row == 6)
    # a household outside the scope reads exactly like one that does not exist
    assert hidden.message == f"No household with the number {GASAI_NO} is visible to you."
    assert absent.message.replace("5328221062079999", GASAI_NO) == hidden.message
    twice = next(p for p in result.problems if p.row == 8)
    assert "rows 3 and 8" in twice.message


# ---------------------------------------------------------------------------- measures

MEASURE_HEADER = [
    "户编号",
    "措施",
    "计划金额(元)",
    "资金来源",
    "开始日期",
    "结束日期",
    "预期效果",
    "状态",
    "落实日期",
    "落实金额(元)",
]


def test_measures_planned_and_delivered(world: dict[str, Any], tmp_path: Path) -> None:
    village = world["users"]["nabing-village"]
    rows = [
        [
            H1,
            "产业帮扶",
            "1,500.00",
            "县农业农村局",
            "2024-03-01",
            "2024-12-31",
            "茶叶增收",
            "",
            "",
            "",
        ],
        [H1, "Micro-credit", "50000", "", "2024-04-01", "", "", "已落实", "2024-04-10", "48000"],
        [H2, "dibao", "", "", "2024-05-01", "", "", "", "2024-05-02", ""],  # delivered by date
    ]
    path = write_xlsx(tmp_path / "measures.xlsx", MEASURE_HEADER, rows)
    result = import_table("measures", path, name=path.name, actor=village)
    assert result.ok and result.written == 3, result.problems
    assert result.outcomes == {"measures planned": 1, "measures delivered": 2}
    industry = Measure.objects.get(kind=MeasureKind.INDUSTRY)
    assert industry.amount == Decimal("1500.00") and industry.status == MeasureStatus.PLANNED
    assert industry.plan.household.household_no == H1 and industry.plan.year == 2024
    assert (industry.funder, industry.expected_effect) == ("县农业农村局", "茶叶增收")
    assert reasons(industry) == ["measure planned"]
    credit = Measure.objects.get(kind=MeasureKind.MICRO_CREDIT)
    assert credit.status == MeasureStatus.DELIVERED and credit.delivered_amount == Decimal("48000")
    assert credit.delivered_on == dt.date(2024, 4, 10)
    assert reasons(credit) == ["measure planned", "measure delivered"]
    dibao = Measure.objects.get(kind=MeasureKind.DIBAO)
    assert dibao.status == MeasureStatus.DELIVERED and dibao.delivered_amount == Decimal("0.00")


def test_measures_one_bad_row(world: dict[str, Any], tmp_path: Path) -> None:
    village = world["users"]["nabing-village"]
    rows = [
        [H1, "产业帮扶", "1500", "", "2024-03-01", "", "", "", "", ""],
        [H1, "教育资助", "12.345", "", "2024-03-01", "", "", "", "", ""],
        [H2, "养猪", "100", "", "2024-03-01", "", "", "", "", ""],
        [H2, "低保", "100", "", "2024-03-01", "2024-01-01", "", "", "", ""],  # ends first
        [H3, "低保", "100", "", "2024-03-01", "", "", "已落实", "", ""],  # delivered when?
        [H3, "医疗救助", "100", "", "2024-03-01", "", "", "计划", "2024-03-05", ""],
        [GASAI_NO, "低保", "100", "", "2024-03-01", "", "", "", "", ""],
    ]
    path = write_xlsx(tmp_path / "measures.xlsx", MEASURE_HEADER, rows)
    result = import_table("measures", path, name=path.name, actor=village)
    assert result.written == 0 and not Measure.objects.exists()
    assert problems(result) == {
        (4, "计划金额(元)", "import_cell_invalid"),
        (5, "措施", "import_cell_invalid"),
        (6, "结束日期", "validation_error"),  # the service's refusal, rehearsed
        (7, "落实日期", "validation_error"),
        (8, "落实日期", "validation_error"),
        (9, "户编号", "household_not_found"),
    }
    amount = next(p for p in result.problems if p.row == 4)
    assert amount.value == "12.345" and "two decimal places" in amount.message


def test_english_headers_as_the_measures_export_writes_them(
    world: dict[str, Any], tmp_path: Path
) -> None:
    header = [
        "household number",
        "village code",
        "year",
        "measure",
        "nature",
        "amount planned (yuan)",
        "from",
        "status",
        "delivered on",
    ]
    rows = [[H1, NABING, "2024", "Industry support (产业帮扶)", "x", "200", "2024-03-01", "", ""]]
    path = write_xlsx(tmp_path / "export.xlsx", header, rows, title=False)
    result = import_table("measures", path, name=path.name, actor=world["users"]["admin"])
    assert result.ok and result.written == 1, result.problems
    assert result.ignored_columns == ["village code", "year", "nature"]
    assert Measure.objects.get().kind == MeasureKind.INDUSTRY


# ---------------------------------------------------------------------------- visits

VISIT_HEADER = [
    "户编号",
    "走访日期",
    "走访情况",
    "帮扶责任人",
    "帮扶责任人地区代码",
    "纬度",
    "经度",
]


def test_visits_from_a_gb18030_csv(world: dict[str, Any], tmp_path: Path) -> None:
    village = world["users"]["nabing-village"]
    rows = [
        [
            H1,
            "2024年3月5日",
            "家中茶园长势良好，缺少技术指导。",
            "岩罕",
            NABING,
            "21.958",
            "100.452",
        ],
        [H2, "2024-03-06", "户主住院，已联系医疗救助。", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "走访.csv", VISIT_HEADER, rows, "gb18030")
    result = import_table("visits", path, name=path.name, actor=village)
    assert result.ok and result.written == 2, result.problems
    first = Visit.objects.get(household__household_no=H1)
    assert first.findings == "家中茶园长势良好，缺少技术指导。"  # full-width punctuation kept
    assert first.helper == world["yan"] and first.recorded_by == village
    assert (first.latitude, first.longitude) == (Decimal("21.958000"), Decimal("100.452000"))
    assert first.visited_on == dt.date(2024, 3, 5)
    assert reasons(first) == ["visit recorded"]
    second = Visit.objects.get(household__household_no=H2)
    assert second.helper is None and second.latitude is None


def test_visits_one_bad_row_and_a_dry_run_finds_the_services_refusals(
    world: dict[str, Any], tmp_path: Path
) -> None:
    village = world["users"]["nabing-village"]
    rows = [
        [H1, "2024-03-05", "走访", "", "", "", ""],
        [H2, TOMORROW.isoformat(), "走访", "", "", "", ""],  # in the future
        [H3, "2024-03-05", "走访", "", "", "21.9", ""],  # latitude without longitude
        [GASAI_NO, "2024-03-05", "走访", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "visits.csv", VISIT_HEADER, rows, "utf-8-sig")
    expected = {
        (3, "走访日期", "validation_error"),
        (4, "经度", "validation_error"),
        (5, "户编号", "household_not_found"),
    }
    dry = import_table("visits", path, name=path.name, actor=village, dry_run=True)
    assert problems(dry) == expected and not Visit.objects.exists()
    result = import_table("visits", path, name=path.name, actor=village)
    assert problems(result) == expected and result.written == 0 and not Visit.objects.exists()
    assert [p.row for p in result.problems] == [3, 4, 5]  # in row order


def test_a_helper_imports_visits_to_their_own_households_only(
    world: dict[str, Any], tmp_path: Path
) -> None:
    account = User.objects.create(username="helper-zhang", role=Role.HELPER)
    services.helper_update(
        actor=world["users"]["admin"], helper=world["zhang"], data={"user": account}
    )
    rows = [[H2, "2024-03-05", "走访", "", "", "", ""], [H1, "2024-03-05", "走访", "", "", "", ""]]
    path = write_csv(tmp_path / "visits.csv", VISIT_HEADER, rows, "utf-8")
    result = import_table("visits", path, name=path.name, actor=account)
    assert problems(result) == {(3, "户编号", "household_not_found")}
    path = write_csv(tmp_path / "visits.csv", VISIT_HEADER, rows[:1], "utf-8")
    result = import_table("visits", path, name=path.name, actor=account)
    assert result.written == 1 and Visit.objects.get().helper == world["zhang"]


# ---------------------------------------------------------------------------- partners

PARTNER_HEADER = ["名称", "类型", "所在地区代码", "统一社会信用代码", "联系人", "联系电话", "备注"]


def test_partners(world: dict[str, Any], tmp_path: Path) -> None:
    office = world["users"]["songjiang-office"]
    rows = [
        ["松江示范中学（测试）", "学校", SONGJIANG, "", "王老师", "021-5780000", ""],
        ["松江某集团", "enterprise", SIJING, "91350100m000100y43", "", "", "百企联百村"],
    ]
    path = write_xlsx(tmp_path / "partners.xlsx", PARTNER_HEADER, rows)
    result = import_table("partners", path, name=path.name, actor=office)
    assert result.ok and result.written == 2, result.problems
    school = Partner.objects.get(name="松江示范中学（测试）")
    assert school.kind == PartnerKind.SCHOOL and school.contact_phone == "021-5780000"
    group = Partner.objects.get(name="松江某集团")
    assert group.credit_code == "91350100M000100Y43" and group.region.code == SIJING
    entry = object_history(obj=group).get()
    assert entry.reason == "partner added" and entry.actor == office

    bad = [
        ["松江另一集团", "企业", SIJING, "91350100M000100Y44", "", "", ""],  # check character
        ["上海松茶示范企业（测试）", "企业", SIJING, "", "", "", ""],  # already registered
        ["芒市某企业", "企业", MANGSHI, "", "", "", ""],  # outside Songjiang's scope
        ["某协会", "协会", SONGJIANG, "", "", "", ""],
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", PARTNER_HEADER, bad)
    result = import_table("partners", path, name=path.name, actor=office)
    assert result.written == 0 and Partner.objects.count() == 3
    assert problems(result) == {
        (3, "统一社会信用代码", "validation_error"),
        (4, "名称", "validation_error"),
        (5, "所在地区代码", "permission_denied"),
        (6, "类型", "import_cell_invalid"),
    }


# ---------------------------------------------------------------------------- social pairings

PAIRING_HEADER = [
    "结对类型",
    "帮扶主体",
    "帮扶主体地区代码",
    "结对地区代码",
    "结对单位",
    "对口关系东部代码",
    "对口关系西部代码",
    "开始日期",
    "承诺资金(元)",
    "承诺岗位数",
]


def test_social_pairings(world: dict[str, Any], tmp_path: Path) -> None:
    office = world["users"]["songjiang-office"]
    rows = [
        # the partner's name with ASCII brackets finds the one registered with full-width ones
        ["百企联百村", "上海松茶示范企业(测试)", SIJING, NABING, "", SONGJIANG, MENGHAI,
         "2020-01-01", "120000.50", "4"],
        ["Other pairing", "上海松茶示范企业（测试）", "", GASAI, "", "", "", "2021-01-01", "", ""],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "pairings.xlsx", PAIRING_HEADER, rows)
    result = import_table("social-pairings", path, name=path.name, actor=office)
    assert result.ok and result.written == 2, result.problems
    first = SocialPairing.objects.get(west__code=NABING)
    assert first.partner == world["partner"] and first.kind == SocialPairingKind.ENTERPRISE_VILLAGE
    assert first.regional_pairing is not None and first.regional_pairing.west.code == MENGHAI
    assert first.committed_money == Decimal("120000.50") and first.committed_jobs == 4
    assert reasons(first) == ["social pairing recorded"]
    second = SocialPairing.objects.get(west__code=GASAI)
    assert second.regional_pairing is None and second.committed_money == Decimal("0.00")

    bad = [
        ["学校结对", "上海松茶示范企业（测试）", SIJING, NABING, "勐海一中", "", "",
         "2022-01-01", "", ""],  # a school pairing needs a school
        ["百企联百村", "无此企业", "", NABING, "", "", "", "2022-01-01", "", ""],
        ["百企联百村", "上海松茶示范企业（测试）", SIJING, NABING, "", SONGJIANG, "",
         "2022-01-01", "", ""],
        ["百企联百村", "上海松茶示范企业（测试）", SIJING, NABING, "", SONGJIANG, MENGHAI,
         "2020-01-01", "", ""],  # already recorded
        ["百企联百村", "上海松茶示范企业（测试）", SIJING, NABING, "", "", "", "2023-01-01",
         "-5", ""],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "bad.xlsx", PAIRING_HEADER, bad)
    result = import_table("social-pairings", path, name=path.name, actor=office)
    assert result.written == 0 and SocialPairing.objects.count() == 2
    assert problems(result) == {
        (3, "结对类型", "validation_error"),
        (4, "帮扶主体", "partner_not_found"),
        (5, "对口关系西部代码", "validation_error"),
        (6, "帮扶主体", "validation_error"),
        (7, "承诺资金(元)", "import_cell_invalid"),
    }


# ---------------------------------------------------------------------------- secondments

SECONDMENT_HEADER = [
    "姓名",
    "类别",
    "方向",
    "对口关系东部代码",
    "对口关系西部代码",
    "派出单位",
    "派驻单位",
    "派驻地区代码",
    "开始日期",
    "结束日期",
    "状态",
    "一年以上",
]


def test_secondments(world: dict[str, Any], tmp_path: Path) -> None:
    office = world["users"]["qingpu-office"]
    rows = [
        ["测试教师", "支教教师", "东部到西部", QINGPU, DEHONG, "青浦区某中学", "芒市某中学",
         MANGSHI, "2020-02-15", "2021-01-31", "已期满", "是"],
        ["测试医生", "doctor", "East → west", QINGPU, DEHONG, "", "芒市人民医院", MANGSHI,
         "2024-03-01", "", "", "否"],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "secondments.xlsx", SECONDMENT_HEADER, rows)
    result = import_table("secondments", path, name=path.name, actor=office)
    assert result.ok and result.written == 2, result.problems
    teacher = Secondment.objects.get(person="测试教师")
    assert (teacher.field, teacher.direction, teacher.status) == (
        SecondmentField.TEACHER,
        Direction.EAST_TO_WEST,
        SecondmentStatus.COMPLETED,
    )
    assert teacher.pairing.east.code == QINGPU and teacher.posting_region.code == MANGSHI
    assert teacher.long_term and teacher.end_date == dt.date(2021, 1, 31)
    assert reasons(teacher) == ["secondment recorded"]
    doctor = Secondment.objects.get(person="测试医生")
    assert doctor.status == SecondmentStatus.PLANNED and not doctor.long_term

    bad = [
        ["甲", "挂职干部", "东部到西部", QINGPU, DEHONG, "", "芒市政府", SONGJIANG,
         "2020-01-01", "", "", ""],  # posted east → west but into Songjiang
        ["乙", "挂职干部", "东部到西部", SONGJIANG, DEHONG, "", "芒市政府", MANGSHI,
         "2020-01-01", "", "", ""],  # no such district pairing
        ["丙", "挂职干部", "东部到西部", QINGPU, DEHONG, "", "芒市政府", MANGSHI,
         "2020-01-01", "", "已期满", ""],  # completed without an end date
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "bad.xlsx", SECONDMENT_HEADER, bad)
    result = import_table("secondments", path, name=path.name, actor=office)
    assert result.written == 0 and Secondment.objects.count() == 2
    assert problems(result) == {
        (3, "派驻地区代码", "validation_error"),
        (4, "对口关系东部代码", "pairing_not_found"),
        (5, "结束日期", "validation_error"),
    }


# ---------------------------------------------------------------------------- templates


def prepare(world: dict[str, Any], key: str) -> dict[str, Any]:
    """What a table's good row names and the world lacks, and the row's values that name it:
    for the ledger, a social pairing of the world's partner with Gasai, by its number."""
    if key == "donations":
        pairing = svc.social_pairing_create(
            actor=world["users"]["songjiang-office"],
            data=svc.SocialPairingIn(
                kind=SocialPairingKind.ENTERPRISE_VILLAGE,
                partner=world["partner"],
                west=Region.objects.get(code=GASAI),
                start_date=dt.date(2024, 1, 1),
            ),
        )
        return {"pairing": str(pairing.pk)}
    return {}


def filled(world: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """For every table, who imports and one good row by column key."""
    return {
        "helpers": (
            "nabing-village",
            {"name": "王芳", "origin": "本地干部", "region": NABING, "visit_every_days": "30"},
        ),
        "assignments": (
            "nabing-village",
            {
                "household": H3,
                "helper": "岩罕",
                "helper_region": NABING,
                "start_date": "2024-03-01",
            },
        ),
        "measures": (
            "nabing-village",
            {"household": H3, "kind": "技能培训", "amount": "800", "start_date": "2024-03-01"},
        ),
        "visits": (
            "nabing-village",
            {"household": H3, "visited_on": "2024-03-01", "findings": "了解就业意愿"},
        ),
        "partners": (
            "songjiang-office",
            {"name": "松江某医院", "kind": "医院", "region": SONGJIANG},
        ),
        "social-pairings": (
            "songjiang-office",
            {
                "kind": "企业结对村",
                "partner": "上海松茶示范企业（测试）",
                "west": GASAI,
                "start_date": "2024-01-01",
            },
        ),
        "donations": (
            "songjiang-office",
            {
                "kind": "到位",
                "form": "资金",
                "donor_name": "上海松茶示范企业（测试）",
                "donor_type": "企业",
                "amount": "2,000.00",
                "receipt_no": "SC-2024-01",
                "entry_date": "2024-03-01",
            },
        ),
        "secondments": (
            "qingpu-office",
            {
                "person": "丁",
                "field": "农技人员",
                "direction": "东部到西部",
                "pairing_east": QINGPU,
                "pairing_west": DEHONG,
                "posting_unit": "芒市农业农村局",
                "posting_region": MANGSHI,
                "start_date": "2024-03-01",
            },
        ),
    }


@pytest.mark.parametrize("key", list(TABLES))
def test_a_filled_template_imports(world: dict[str, Any], tmp_path: Path, key: str) -> None:
    table = TABLES[key]
    spec = table.spec()
    target = tmp_path / f"{key}.xlsx"
    write_sheet_template(spec, target)
    book = openpyxl.load_workbook(target)
    sheet = book.worksheets[0]
    header = next(sheet.iter_rows(values_only=True))
    assert [str(h).rstrip("*") for h in header] == [c.header for c in spec.columns]
    assert all(
        str(h).endswith("*") == c.required for h, c in zip(header, spec.columns, strict=True)
    )
    notes = list(book["填写说明"].iter_rows(values_only=True))
    assert len(notes) == len(spec.columns) + 1
    named = prepare(world, key)
    username, values = filled(world)[key]
    values = {**values, **named}
    sheet.append([values.get(c.key, "") for c in spec.columns])
    book.save(target)
    actor = world["users"][username]
    result = table.run(target, name=target.name, actor=actor)
    assert result.ok and result.written == 1, result.problems


def test_converters() -> None:
    assert convert_yuan("¥6,099,000.00", False) == Decimal("6099000.00")
    assert convert_yuan("１５００元", False) == Decimal("1500.00")
    for bad in ("12.345", "-5", "abc", "1,50", "1e3", "9999999999999"):
        with pytest.raises(CellError):
            convert_yuan(bad, False)
    assert convert_plain("  某公司（集团）  有限\u3000公司\r\n 第二行 ", False) == (
        "某公司（集团） 有限 公司\n第二行"
    )


# ---------------------------------------------------------------------------- pages


def read(response: Any) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_the_pages(world: dict[str, Any], client_for: Any, tmp_path: Path, settings: Any) -> None:
    settings.BANGFU_IMPORT_DIR = tmp_path / "imports"
    client = client_for("nabing-village")
    index = client.get("/assistance/import/")
    assert index.status_code == 200
    for key in TABLES:
        assert f'id="import-table-{key}"'.encode() in index.content
    page = client.get("/assistance/import/measures/")
    assert page.status_code == 200 and "计划金额(元)".encode() in page.content
    template = client.get("/assistance/import/measures/template.xlsx")
    assert template.status_code == 200 and read(template)[0][:2] == ("户编号*", "措施*")
    assert client.get("/assistance/import/nothing/").status_code == 404

    rows = [[H1, "产业帮扶", "1.001", "", "2024-03-01", "", "", "", "", ""]]
    bad = write_xlsx(tmp_path / "bad.xlsx", MEASURE_HEADER, rows)
    upload = SimpleUploadedFile("bad.xlsx", bad.read_bytes())
    page = client.post("/assistance/import/measures/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b'id="import-refused"' in page.content
    assert not Measure.objects.exists()
    token = page.context["report"]
    report = client.get(f"/assistance/import/measures/{token}/report.xlsx")
    assert report.status_code == 200 and read(report)[1][:3] == ("3", "计划金额(元)", "1.001")
    other = client_for("menghai-county").get(f"/assistance/import/measures/{token}/report.xlsx")
    assert other.status_code == 404
    assert client.get(f"/assistance/import/visits/{token}/report.xlsx").status_code == 404

    rows = [[H1, "产业帮扶", "1.00", "", "2024-03-01", "", "", "", "", ""]]
    good = write_xlsx(tmp_path / "good.xlsx", MEASURE_HEADER, rows)
    upload = SimpleUploadedFile("good.xlsx", good.read_bytes())
    dry = client.post(
        "/assistance/import/measures/",
        {"file": upload, "dry_run": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert b'id="import-ok"' in dry.content and not Measure.objects.exists()
    upload = SimpleUploadedFile("good.xlsx", good.read_bytes())
    page = client.post("/assistance/import/measures/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["result"].written == 1 and b'id="import-outcomes"' in page.content
    assert Measure.objects.count() == 1
    # the auditor captures nowhere: no import page
    assert client_for("auditor").get("/assistance/import/helpers/").status_code == 403


# ---------------------------------------------------------------------------- the command


def test_the_command(world: dict[str, Any], tmp_path: Path) -> None:
    rows = [["王芳", "", "", "", "本地干部", NABING, ""]]
    good = write_csv(tmp_path / "helpers.csv", HELPER_HEADER, rows, "gb18030")
    out = io.StringIO()
    call_command("import_assistance", "helpers", str(good), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue() and not Helper.objects.filter(name="王芳").exists()
    out = io.StringIO()
    call_command("import_assistance", "helpers", str(good), "--user", "nabing-village", stdout=out)
    assert "Rows written: 1" in out.getvalue() and "helpers added: 1" in out.getvalue()
    assert Helper.objects.get(name="王芳").region.code == NABING
    out = io.StringIO()
    report = tmp_path / "problems.xlsx"
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_assistance",
            "helpers",
            str(good),
            "--user",
            "nabing-village",
            "--report",
            str(report),
            stdout=out,
        )
    assert caught.value.returncode == 1 and "nothing was written" in str(caught.value)
    assert "row 2, 姓名 '王芳': [validation_error]" in out.getvalue()
    assert report.is_file() and Helper.objects.filter(name="王芳").count() == 1
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_assistance", "donors", str(good))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_assistance", "visits", str(tmp_path / "absent.csv"))
    with pytest.raises(CommandError, match="No active user"):
        call_command("import_assistance", "visits", str(good), "--user", "nobody")


def test_bangfu_import_assistance_is_the_command(monkeypatch: Any) -> None:
    """``bangfu import-assistance TABLE FILE`` runs the ``import_assistance`` command."""
    import django.core.management

    from bangfu.cli import main

    seen: list[list[str]] = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", seen.append)
    main(["import-assistance", "visits", "visits.xlsx", "--user", "nabing-village"])
    assert seen == [
        ["bangfu", "import_assistance", "visits", "visits.xlsx", "--user", "nabing-village"]
    ]


def test_the_commands_help(capsys: Any) -> None:
    with pytest.raises(SystemExit) as done:
        call_command("import_assistance", "--help")
    assert done.value.code == 0
    text = capsys.readouterr().out
    tables = "{helpers,assignments,measures,visits,partners,social-pairings,donations,secondments}"
    assert tables in text
    assert "--dry-run" in text and "all or nothing" in text
