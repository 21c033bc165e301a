"""Importing the project tables from spreadsheets: each table's happy path through its
services, a file with several bad rows reporting every (row, column) and writing nothing, the
dry run, the web pages and the command ``bangfu import-projects``."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from bangfu.projects import cooperatives as coops
from bangfu.projects.imports import TABLES, import_table
from bangfu.projects.models import (
    Benefit,
    Cooperative,
    Membership,
    Milestone,
    PerformanceTarget,
    Project,
    ProjectBudget,
    ShareCapital,
)
from bangfu.regions.models import Pairing, Region
from bangfu.registry.models import LinkedIncome
from tests.projects.conftest import MENGHAI, NABING, make_households

pytestmark = pytest.mark.django_db

MANGSHI = "533103000000"
COUNTY = "menghai-county"


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["勐海县项目库（2025年）"])  # a title above the header
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def places(result: Any) -> set[tuple[Any, str]]:
    return {(p.row, p.column) for p in result.problems}


def run(users: dict[str, Any], table: str, path: Path, **kw: Any) -> Any:
    return import_table(table, path, name=path.name, actor=users[kw.pop("as_", COUNTY)], **kw)


# ---------------------------------------------------------------------------- projects

PROJECT_HEADER = [
    "项目编号",
    "项目名称",
    "项目类型",
    "实施地区代码",
    "计划年度",
    "对口关系东部代码",
    "对口关系西部代码",
    "实施单位",
    "开工日期",
    "计划完工日期",
]


def _pairing() -> Pairing:
    pairing = Pairing.objects.filter(west__code=MENGHAI).first()
    assert pairing is not None
    return pairing


def test_projects(users: dict[str, Any], tmp_path: Path) -> None:
    pairing = _pairing()
    rows = [
        ["mh-road-2025", "纳丙村道路硬化", "基础设施", MENGHAI, "2025", pairing.east.code,
         MENGHAI, "勐海县交通运输局", "2025-03-01", "2025/10/31"],
        ["mh-tea-2025", "茶叶初制所（二期）", "industry", NABING, "2025", "", "", "", "", ""],
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "projects.xlsx", PROJECT_HEADER, rows)
    result = run(users, "projects", path)
    assert result.ok, result.problems
    assert result.written == 2 and result.outcomes == {"projects added": 2}
    road = Project.objects.get(code="mh-road-2025")
    assert road.kind == "infrastructure" and road.pairing == pairing
    assert road.region.code == MENGHAI and road.end_date == dt.date(2025, 10, 31)
    tea = Project.objects.get(code="mh-tea-2025")
    assert tea.name == "茶叶初制所（二期）" and tea.pairing is None and tea.region.code == NABING


def test_projects_with_english_headers(users: dict[str, Any], tmp_path: Path) -> None:
    header = ["code", "name", "kind", "region code", "plan year"]
    path = write_csv(tmp_path / "p.csv", header, [["mh-edu", "School", "Education", MENGHAI, 2025]])
    result = run(users, "projects", path)
    assert result.ok, result.problems
    assert Project.objects.get(code="mh-edu").kind == "education"


def test_a_projects_file_with_bad_rows_writes_nothing(
    users: dict[str, Any], project: Project, tmp_path: Path
) -> None:
    pairing = _pairing()
    rows = [
        ["mh-ok", "好的项目", "产业", MENGHAI, "2025", "", "", "", "", ""],  # 2: right
        ["mh-bad-kind", "类型错", "飞船", MENGHAI, "2025", "", "", "", "", ""],  # 3
        [project.code, "编号重复", "产业", MENGHAI, "2025", "", "", "", "", ""],  # 4
        ["mh-mangshi", "外县", "产业", MANGSHI, "2025", "", "", "", "", ""],  # 5
        ["mh-half", "对口缺一", "产业", MENGHAI, "2025", pairing.east.code, "", "", "", ""],  # 6
        ["mh-dates", "日期倒置", "产业", MENGHAI, "2025", "", "", "", "2025-09-01",
         "2025-03-01"],  # 7: refused by project_save (rehearsed)
        ["mh-ok", "重复", "产业", MENGHAI, "2025", "", "", "", "", ""],  # 8: code twice
    ]  # fmt: skip
    path = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, rows)
    before = Project.objects.count()
    result = run(users, "projects", path)
    assert not result.ok and result.written == 0
    assert places(result) == {
        (3, "项目类型"),
        (4, "项目编号"),
        (5, "实施地区代码"),
        (6, "对口关系西部代码"),
        (7, "计划完工日期"),
        (8, "项目编号"),
    }
    assert result.rows_with_problems == 6 and result.rows_total == 7
    assert Project.objects.count() == before
    by_row = {p.row: p for p in result.problems}
    assert by_row[3].value == "飞船" and by_row[5].code == "permission_denied"


def test_the_dry_run_writes_nothing(users: dict[str, Any], tmp_path: Path) -> None:
    rows = [["mh-dry", "试运行", "产业", MENGHAI, "2025", "", "", "", "", ""]]
    path = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, rows)
    result = run(users, "projects", path, dry_run=True)
    assert result.ok and result.dry_run and result.written == 0
    assert not Project.objects.filter(code="mh-dry").exists()
    # A dry run reports what the services would refuse, too.
    rows = [["mh-dry", "日期", "产业", MENGHAI, "2025", "", "", "", "2025-09-01", "2025-01-01"]]
    path = write_csv(tmp_path / "bad.csv", PROJECT_HEADER, rows)
    result = run(users, "projects", path, dry_run=True)
    assert places(result) == {(2, "计划完工日期")}


# ---------------------------------------------------------------------------- budget, milestones, targets


def test_budget(users: dict[str, Any], project: Project, tmp_path: Path) -> None:
    header = ["项目编号", "资金来源", "预算金额"]
    rows = [[project.code, "沪滇合作资金", "600,000.00"], [project.code, "local_fiscal", "50000元"]]
    result = run(users, "budget", write_csv(tmp_path / "b.csv", header, rows))
    assert result.ok, result.problems
    lines = dict(ProjectBudget.objects.filter(project=project).values_list("fund_source", "amount"))
    assert lines == {"east_aid": Decimal("600000.00"), "local_fiscal": Decimal("50000.00")}


def test_a_budget_file_with_bad_rows(users: dict[str, Any], project: Project, tmp_path: Path):
    header = ["项目编号", "资金来源", "预算金额"]
    rows = [
        [project.code, "沪滇合作资金", "600000"],  # 2 right
        ["no-such", "沪滇合作资金", "1"],  # 3 unknown project
        [project.code, "彩票", "1"],  # 4 unknown fund source
        [project.code, "沪滇合作资金", "5"],  # 5 the same line twice
        [project.code, "donation", "12.345"],  # 6 a third decimal
    ]
    result = run(users, "budget", write_csv(tmp_path / "b.csv", header, rows))
    assert places(result) == {(3, "项目编号"), (4, "资金来源"), (5, "资金来源"), (6, "预算金额")}
    assert not ProjectBudget.objects.filter(project=project).exists()
    # A project the user sees but may not change: the eastern office of another pairing.
    result = run(users, "budget", write_csv(tmp_path / "c.csv", header, rows[:1]), as_="auditor")
    assert places(result) == {(2, "项目编号")}


def test_milestones(users: dict[str, Any], project: Project, tmp_path: Path) -> None:
    header = ["项目编号", "里程碑", "计划日期", "进度(%)", "完成日期"]
    rows = [
        [project.code, "厂房封顶", "2025-05-01", "100", "2025-05-20"],
        [project.code, "设备安装", "2025-08-01", "40", ""],
    ]
    result = run(users, "milestones", write_csv(tmp_path / "m.csv", header, rows))
    assert result.ok, result.problems
    assert list(project.milestones.values_list("name", "progress")) == [
        ("厂房封顶", 100),
        ("设备安装", 40),
    ]
    again = run(users, "milestones", write_csv(tmp_path / "m2.csv", header, rows))
    assert places(again) == {(2, "里程碑"), (3, "里程碑")}  # recorded already
    bad = [
        [project.code, "试产", "2025-09-01", "50", "2025-09-10"],  # done but 50 %
        [project.code, "验收", "下个月", "0", ""],  # not a date
        [project.code, "投产", "2025-10-01", "150", ""],  # above 100
    ]
    result = run(users, "milestones", write_csv(tmp_path / "m3.csv", header, bad))
    assert places(result) == {(2, "进度(%)"), (3, "计划日期"), (4, "进度(%)")}
    assert Milestone.objects.filter(project=project).count() == 2


def test_targets(users: dict[str, Any], project: Project, tmp_path: Path) -> None:
    header = ["项目编号", "绩效指标", "计量单位", "目标值", "实际值来源", "实际值"]
    rows = [
        [project.code, "茶园提质增效", "亩", "250", "手工填报", "120.5"],
        [project.code, "带动脱贫户", "户", "150", "受益脱贫户数", ""],
        [project.code, "新增就业", "人", "30", "", ""],
    ]
    result = run(users, "targets", write_csv(tmp_path / "t.csv", header, rows))
    assert result.ok, result.problems
    targets = {t.indicator: t for t in PerformanceTarget.objects.filter(project=project)}
    assert targets["茶园提质增效"].actual == Decimal("120.50")
    assert targets["带动脱贫户"].measure == "poor_households"
    assert targets["新增就业"].measure == "manual" and targets["新增就业"].actual is None
    bad = [
        [project.code, "受益户数", "户", "100", "households", "80"],  # counted: no actual
        [project.code, "产值", "元", "1.234", "", ""],  # three decimals
        ["other-county-project", "x", "", "1", "", ""],  # unknown project
    ]
    result = run(users, "targets", write_csv(tmp_path / "t2.csv", header, bad))
    assert places(result) == {(2, "实际值"), (3, "目标值"), (4, "项目编号")}
    assert PerformanceTarget.objects.filter(project=project).count() == 3


# ---------------------------------------------------------------------------- benefits

BENEFIT_HEADER = ["项目编号", "户编号", "带动方式", "年度", "金额", "数量", "单位", "单价"]


def test_benefits_are_recorded_and_linked_into_incomes(
    users: dict[str, Any], project: Project, tmp_path: Path
) -> None:
    first, second = make_households(users, 2)
    rows = [
        [project.code, first.household_no, "务工", "2025", "3600", "", "", ""],
        [project.code, second.household_no, "订单收购", "2025", "1250.00", "500", "斤", "2.5"],
    ]
    result = run(users, "benefits", write_csv(tmp_path / "ben.csv", BENEFIT_HEADER, rows))
    assert result.ok, result.problems
    assert result.outcomes == {"benefits recorded": 2}
    wages = Benefit.objects.get(project=project, household=first)
    assert wages.mechanism == "wages" and wages.amount == Decimal("3600.00")
    assert wages.entry is None  # not paid from the ledger
    produce = Benefit.objects.get(project=project, household=second)
    assert (produce.quantity, produce.unit, produce.unit_price) == (
        Decimal("500.00"),
        "斤",
        Decimal("2.50"),
    )
    linked = LinkedIncome.objects.get(household=second, year=2025)
    assert linked.income_type == "business_income" and linked.amount == Decimal("1250.00")
    # The same file again records nothing twice.
    again = run(users, "benefits", write_csv(tmp_path / "again.csv", BENEFIT_HEADER, rows))
    assert places(again) == {(2, "户编号"), (3, "户编号")}
    assert Benefit.objects.filter(project=project).count() == 2


def test_a_benefits_file_with_bad_rows(
    users: dict[str, Any], project: Project, tmp_path: Path
) -> None:
    first, second = make_households(users, 2)
    rows = [
        [project.code, first.household_no, "务工", "2025", "3600", "", "", ""],  # 2 right
        [project.code, "5328221062079999", "务工", "2025", "100", "", "", ""],  # 3 no such
        [project.code, second.household_no, "订单收购", "2025", "100", "30", "斤", "3"],  # 4
        [project.code, first.household_no, "务工", "2025", "50", "", "", ""],  # 5 twice
        [project.code, second.household_no, "分红", "2025", "-5", "", "", ""],  # 6 negative
        [project.code, second.household_no, "放牧", "2025", "5", "", "", ""],  # 7 mechanism
    ]
    result = run(users, "benefits", write_csv(tmp_path / "ben.csv", BENEFIT_HEADER, rows))
    assert places(result) == {
        (3, "户编号"),
        (4, "金额"),
        (5, "户编号"),
        (6, "金额"),
        (7, "带动方式"),
    }
    assert not Benefit.objects.filter(project=project).exists()
    assert not LinkedIncome.objects.filter(household__in=[first, second]).exists()


# ---------------------------------------------------------------------------- cooperatives

COOP_HEADER = [
    "合作社编号",
    "合作社名称",
    "所在村代码",
    "带动模式",
    "成立日期",
    "合作企业",
    "负责人",
]


def test_a_villages_benefit(users: dict[str, Any], project: Project, tmp_path: Path) -> None:
    """A benefit to a village as a whole (no household, no income record); a row naming a
    household and a village, or a township as the village, is refused at its column."""
    (household,) = make_households(users, 1)
    header = ["项目编号", "户编号", "受益村代码", "带动方式", "年度", "金额"]
    rows = [
        [project.code, "", "532822106207", "土地流转", "2025", "20000.00"],  # 2 the village
        [project.code, household.household_no, "532822106207", "务工", "2025", "1"],  # 3 both
        [project.code, "", "532822106000", "务工", "2025", "1"],  # 4 a township
    ]
    refused = run(users, "benefits", write_csv(tmp_path / "v.csv", header, rows))
    assert places(refused) == {(3, "户编号"), (4, "受益村代码")}
    result = run(users, "benefits", write_csv(tmp_path / "ok.csv", header, rows[:1]))
    assert result.ok, result.problems
    benefit = Benefit.objects.get(project=project)
    assert benefit.household is None and benefit.village.code == "532822106207"
    assert not LinkedIncome.objects.exists()


def test_cooperatives_members_and_shares(users: dict[str, Any], tmp_path: Path) -> None:
    rows = [
        ["nb-tea-coop", "纳丙村茶叶专业合作社", NABING, "公司+", "2019-04-01", "勐海茶业", "岩温"]
    ]
    result = run(users, "cooperatives", write_csv(tmp_path / "c.csv", COOP_HEADER, rows))
    assert result.ok, result.problems
    coop = Cooperative.objects.get(code="nb-tea-coop")
    assert coop.model == "company" and coop.village.code == NABING and coop.account_id

    first, second = make_households(users, 2)
    header = ["合作社编号", "户编号", "入社日期"]
    rows = [[coop.code, first.household_no, "2019-05-01"], [coop.code, second.household_no, ""]]
    result = run(users, "members", write_csv(tmp_path / "m.csv", header, rows))
    assert places(result) == {(3, "入社日期")}  # required
    rows[1][2] = "2018-01-01"  # before the cooperative was founded: member_join refuses
    result = run(users, "members", write_csv(tmp_path / "m.csv", header, rows))
    assert places(result) == {(3, "入社日期")} and not Membership.objects.exists()
    rows[1][2] = "2020-01-01"
    result = run(users, "members", write_csv(tmp_path / "m.csv", header, rows))
    assert result.ok, result.problems
    assert set(coop.memberships.values_list("household__household_no", flat=True)) == {
        first.household_no,
        second.household_no,
    }

    header = ["合作社编号", "户编号", "入股方式", "股金金额", "股数", "入股日期"]
    rows = [
        [coop.code, first.household_no, "现金入股", "2000", "20", "2020-02-01"],
        [coop.code, second.household_no, "土地", "1000.50", "10", "2020-02-01"],
    ]
    result = run(users, "shares", write_csv(tmp_path / "s.csv", header, rows))
    assert result.ok, result.problems
    shares = dict(ShareCapital.objects.filter(cooperative=coop).values_list("household", "shares"))
    assert shares == {first.pk: 20, second.pk: 10}


def test_bad_cooperative_member_and_share_rows(users: dict[str, Any], tmp_path: Path) -> None:
    admin = users["admin"]
    coop = coops.cooperative_create(
        actor=admin,
        code="nb-coop",
        name="纳丙村合作社",
        village=Region.objects.get(code=NABING),
        model="industry",
        founded_on=dt.date(2019, 1, 1),
    )
    rows = [
        ["nb-new", "新合作社", NABING, "产业+", "2020-01-01", "", ""],  # 2 right
        ["nb-coop", "编号重复", NABING, "产业+", "2020-01-01", "", ""],  # 3 taken
        ["nb-town", "乡镇", MENGHAI, "产业+", "2020-01-01", "", ""],  # 4 not a village
        ["nb-model", "模式", NABING, "飞船+", "2020-01-01", "", ""],  # 5 model
        ["nb-date", "日期", NABING, "产业+", "", "", ""],  # 6 founded required
    ]
    result = run(users, "cooperatives", write_csv(tmp_path / "c.csv", COOP_HEADER, rows))
    assert places(result) == {
        (3, "合作社编号"),
        (4, "所在村代码"),
        (5, "带动模式"),
        (6, "成立日期"),
    }
    assert not Cooperative.objects.filter(code="nb-new").exists()

    first, second = make_households(users, 2)
    coops.member_join(actor=admin, cooperative=coop, household=first, joined_on=dt.date(2019, 2, 1))
    header = ["合作社编号", "户编号", "入股方式", "股金金额", "股数", "入股日期"]
    rows = [
        [coop.code, first.household_no, "现金", "100", "1", "2020-01-01"],  # 2 right
        [coop.code, second.household_no, "现金", "100", "1", "2020-01-01"],  # 3 not a member
        [coop.code, first.household_no, "funds", "100", "1", "2020-01-01"],  # 4 funds: no
        [coop.code, first.household_no, "现金", "100", "0", "2020-01-01"],  # 5 no shares
        ["nb-none", first.household_no, "现金", "100", "1", "2020-01-01"],  # 6 no such coop
    ]
    result = run(users, "shares", write_csv(tmp_path / "s.csv", header, rows))
    assert places(result) == {(3, "户编号"), (4, "入股方式"), (5, "股数"), (6, "合作社编号")}
    assert not ShareCapital.objects.exists()


def test_another_countys_staff_see_nothing_to_import_into(
    users: dict[str, Any], project: Project, tmp_path: Path
) -> None:
    header = ["项目编号", "资金来源", "预算金额"]
    path = write_csv(tmp_path / "b.csv", header, [[project.code, "沪滇合作资金", "1"]])
    result = run(users, "budget", path, as_="mangshi-county")
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (2, "项目编号", "project_not_found")
    ]


# ---------------------------------------------------------------------------- the pages


def test_the_import_pages(client_for: Any, users: dict[str, Any], tmp_path: Path) -> None:
    client = client_for(COUNTY)
    index = client.get("/projects/import/")
    assert index.status_code == 200
    for key in TABLES:
        assert f"/projects/import/{key}/" in index.content.decode()
    template = client.get("/projects/import/benefits/template.xlsx")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(template.streaming_content)))
    assert [c.value for c in book.worksheets[0][1]][:4] == [
        "项目编号*",
        "户编号",
        "受益村代码",
        "带动方式*",
    ]

    rows = [["mh-web", "网页导入", "产业", MENGHAI, "2025", "", "", "", "", ""]]
    path = write_csv(tmp_path / "p.csv", PROJECT_HEADER, rows)
    with path.open("rb") as handle:
        page = client.post("/projects/import/projects/", {"file": handle, "dry_run": "on"})
    assert page.status_code == 200 and 'id="import-ok"' in page.content.decode()
    assert not Project.objects.filter(code="mh-web").exists()
    with path.open("rb") as handle:
        page = client.post("/projects/import/projects/", {"file": handle})
    assert Project.objects.filter(code="mh-web").exists()

    rows[0][2] = "飞船"
    bad = write_csv(tmp_path / "bad.csv", PROJECT_HEADER, rows)
    with bad.open("rb") as handle:
        page = client.post("/projects/import/projects/", {"file": handle})
    text = page.content.decode()
    assert 'id="import-refused"' in text and "飞船" in text
    token = page.context["report"]
    report = client.get(f"/projects/import/projects/{token}/report.xlsx")
    assert report.status_code == 200
    # Another user cannot fetch it.
    assert (
        client_for("admin").get(f"/projects/import/projects/{token}/report.xlsx").status_code == 404
    )
    assert client.get("/projects/import/nothing/").status_code == 404


def test_the_upload_page_needs_a_capture_scope(client_for: Any) -> None:
    assert client_for("auditor").get("/projects/import/projects/").status_code == 403


# ---------------------------------------------------------------------------- the command


def test_the_command(users: dict[str, Any], tmp_path: Path) -> None:
    rows = [["mh-cmd", "命令导入", "产业", MENGHAI, "2025", "", "", "", "", ""]]
    good = write_csv(tmp_path / "projects.csv", PROJECT_HEADER, rows)
    out = io.StringIO()
    call_command("import_projects", "projects", str(good), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue() and not Project.objects.filter(code="mh-cmd").exists()
    out = io.StringIO()
    call_command("import_projects", "projects", str(good), "--user", COUNTY, stdout=out)
    assert "Rows written: 1" in out.getvalue() and "projects added: 1" in out.getvalue()
    out = io.StringIO()
    report = tmp_path / "problems.xlsx"
    with pytest.raises(CommandError) as caught:
        call_command("import_projects", "projects", str(good), "--report", str(report), stdout=out)
    assert caught.value.returncode == 1 and "nothing was written" in str(caught.value)
    assert "row 2, 项目编号 'mh-cmd': [validation_error]" in out.getvalue()
    assert report.is_file() and Project.objects.filter(code="mh-cmd").count() == 1
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("import_projects", "donors", str(good))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_projects", "projects", str(tmp_path / "absent.csv"))


def test_bangfu_import_projects_is_the_command(monkeypatch: Any) -> None:
    import django.core.management

    from bangfu.cli import main

    seen: list[list[str]] = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", seen.append)
    main(["import-projects", "budget", "budget.xlsx", "--dry-run"])
    assert seen == [["bangfu", "import_projects", "budget", "budget.xlsx", "--dry-run"]]


def test_the_commands_help(capsys: Any) -> None:
    with pytest.raises(SystemExit) as done:
        call_command("import_projects", "--help")
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "{projects,budget,milestones,targets,benefits,cooperatives,members,shares}" in text
    assert "--dry-run" in text and "all or nothing" in text
