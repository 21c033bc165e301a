"""Importing the project tables from spreadsheets (.xlsx, or .csv in UTF-8 or GB18030):
projects, budget lines, milestones, performance targets, benefits (recorded, not paid from the
ledger), cooperatives, cooperative members and share capital. See docs/projects.md.

Each table is a ``Table`` in ``TABLES``: its columns (a ``registry.sheets.SheetSpec``, Chinese
headers first, English accepted), a row check (``validate``: finds the project, cooperative,
region, pairing or household each row names among those the importing user sees, and refuses a
row given twice or already recorded) and a writer (``write``: the table's own services —
``services.project_save``, ``budget_set``, ``milestone_save``, ``target_save``,
``benefits.benefit_record``, ``cooperatives.cooperative_create``, ``member_join``,
``shares_add`` — so every rule and permission is the services' own and every row has its audit
history). ``registry.sheets.import_sheet`` runs them: all or nothing, every problem as row,
column, value and reason; rows that pass the checks are rehearsed through the services (in a
transaction rolled back) when nothing is written, so a dry run reports what the import would.

A household is named by its number (户编号, ``Household.household_no``) among the households
the user sees (``registry.selectors.household_list``): a number the user does not see is "no
household with that number is visible to you", whether it exists elsewhere or not. A project or
a cooperative is named by its code, a region by its 12-digit code, a district pairing (对口关系)
by its eastern and western region codes (the pairing in force in the project's plan year).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.accounts.scopes import scope_for
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.projects import cooperatives as coops
from bangfu.projects import services
from bangfu.projects.benefits import BenefitIn, benefit_record
from bangfu.projects.models import (
    Benefit,
    Cooperative,
    CooperativeModel,
    FundSource,
    Mechanism,
    Milestone,
    PerformanceTarget,
    Project,
    ProjectKind,
    ShareKind,
    TargetMeasure,
)
from bangfu.projects.selectors import (
    cooperative_list,
    may_change_cooperative,
    may_change_project,
    project_list,
)
from bangfu.regions.codes import Level
from bangfu.regions.models import Pairing, Region
from bangfu.regions.selectors import pairing_list
from bangfu.registry.importers import REGION, CellError
from bangfu.registry.importers.cells import (
    convert_code,
    convert_int,
    convert_region,
)
from bangfu.registry.models import Household
from bangfu.registry.selectors import household_list
from bangfu.registry.sheet_tables import (
    RecordFinder,
    RowChecks,
    Seen,
    Table,
    at,
    date_column,
    household_column,
    listing,
    may_capture,
    options,
)
from bangfu.registry.sheets import (
    SheetColumn,
    SheetResult,
    SheetRow,
    SheetSpec,
    choice,
    convert_plain,
    convert_yuan,
)

# ---------------------------------------------------------------------------- spellings

KIND_ZH: dict[str, tuple[str, ...]] = {
    ProjectKind.INDUSTRY: ("产业", "产业项目", "产业发展"),
    ProjectKind.INFRASTRUCTURE: ("基础设施", "基础设施建设"),
    ProjectKind.EMPLOYMENT: ("就业", "就业帮扶"),
    ProjectKind.EDUCATION: ("教育", "教育帮扶"),
    ProjectKind.HEALTH: ("医疗卫生", "健康", "医疗"),
    ProjectKind.HOUSING: ("住房", "住房保障"),
    ProjectKind.WATER: ("饮水", "饮水安全", "水利"),
    ProjectKind.CONSUMPTION: ("消费帮扶",),
    ProjectKind.ECOLOGY: ("生态", "生态保护"),
    ProjectKind.TRAINING: ("培训", "技能培训"),
}
FUND_ZH: dict[str, tuple[str, ...]] = {
    FundSource.EAST_AID: ("东部财政援助资金", "沪滇合作资金", "东西部协作资金"),
    FundSource.LOCAL_FISCAL: ("地方财政资金", "本级财政资金"),
    FundSource.DONATION: ("社会捐赠", "社会帮扶资金"),
    FundSource.ENTERPRISE: ("企业投资", "企业投入"),
    FundSource.COOPERATIVE_PROFIT: ("合作社利润",),
}
MEASURE_ZH: dict[str, tuple[str, ...]] = {
    TargetMeasure.MANUAL: ("手工填报", "填报", "手工"),
    TargetMeasure.HOUSEHOLDS: ("受益户数", "带动户数"),
    TargetMeasure.POOR_HOUSEHOLDS: ("受益脱贫户数", "带动脱贫户数", "建档立卡户数"),
    TargetMeasure.PEOPLE: ("受益人数", "带动人数"),
    TargetMeasure.JOBS: ("务工户数", "就业户数"),
    TargetMeasure.BENEFIT_YUAN: ("受益金额", "带动增收金额"),
}
MECHANISM_ZH: dict[str, tuple[str, ...]] = {
    Mechanism.WAGES: ("务工", "工资", "务工收入"),
    Mechanism.PRODUCE: ("订单收购", "农产品收购", "收购"),
    Mechanism.DIVIDEND: ("分红", "入股分红"),
    Mechanism.LAND_RENT: ("土地流转", "租金", "土地租金"),
    Mechanism.TRAINING: ("培训", "技能培训"),
}
MODEL_ZH: dict[str, tuple[str, ...]] = {
    CooperativeModel.INDUSTRY: ("产业+", "产业"),
    CooperativeModel.COMPANY: ("公司+", "公司+合作社+农户"),
    CooperativeModel.TOURISM: ("旅游+", "旅游"),
    CooperativeModel.FARMER: ("农户+", "农户"),
    CooperativeModel.ECOLOGY: ("生态+", "生态"),
    CooperativeModel.CAPABLE_PERSON: ("能人+", "能人"),
    CooperativeModel.PARTY_BUILDING: ("党建+", "党建"),
}
SHARE_KIND_ZH: dict[str, tuple[str, ...]] = {  # funds become shares through a payment only
    ShareKind.CASH: ("现金入股", "现金"),
    ShareKind.LAND: ("土地入股", "土地", "资源入股"),
    ShareKind.ASSETS: ("资产入股", "资产", "其他资产"),
}


def convert_figure(raw: str, numeric: bool) -> Decimal:
    """A figure (a target, a quantity, a price): a decimal with at most two places."""
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise CellError(
            ErrorCode.IMPORT_CELL_INVALID,
            _("{value!r} is not a number with at most two decimals.").format(value=raw.strip()),
        )
    return value.quantize(Decimal("0.01"))


# ---------------------------------------------------------------------------- columns


def _project_column() -> SheetColumn:
    return SheetColumn(
        "project",
        ("项目编号", "project code", "project"),
        convert_code,
        required=True,
        width=16,
        note=gettext_lazy("The project's code in Bangfu; only projects you may see are found."),
    )


def _cooperative_column() -> SheetColumn:
    return SheetColumn(
        "cooperative",
        ("合作社编号", "cooperative code", "cooperative"),
        convert_code,
        required=True,
        width=16,
        note=gettext_lazy("The cooperative's code in Bangfu."),
    )


def _year_column(key: str, headers: tuple[str, ...], note: Any = "") -> SheetColumn:
    return SheetColumn(key, headers, convert_int, required=True, width=8, note=note)


def _money(key: str, headers: tuple[str, ...], required: bool = True) -> SheetColumn:
    return SheetColumn(
        key,
        headers,
        convert_yuan,
        required=required,
        width=16,
        note=gettext_lazy("Yuan, at most two decimal places (1500, 1,500.00, 1500元)."),
    )


# ---------------------------------------------------------------------------- checks


_ROW_PREFIX = re.compile(r"^(?:Row\s*1\s*[:：]|第\s*1\s*行\s*[:：,，]?)\s*")


@contextmanager
def one_row() -> Iterator[None]:
    """The benefit and share services number the rows of their call ("Row 1: …"); a file's
    row is called with one row, so the prefix names nothing — it is dropped."""
    try:
        yield
    except BangfuError as error:
        error.message = _ROW_PREFIX.sub("", error.message)
        raise


class Finder(RecordFinder):
    """The records a file's rows name (see ``RecordFinder``)."""

    def households(self) -> QuerySet[Household]:
        return household_list(user=self.actor)

    def project(self, code: str, *, change: bool = True) -> Project:
        """A project the user sees by its code; with ``change``, one they may change."""

        def find() -> Project:
            found = project_list(self.actor).filter(code=code).first()
            if found is None:
                raise BangfuError(
                    ErrorCode.PROJECT_NOT_FOUND,
                    _("No project with the code {code} is visible to you.").format(code=code),
                    field="project",
                )
            if change and not may_change_project(self.actor, found):
                raise BangfuError(
                    ErrorCode.PERMISSION_DENIED,
                    _(
                        "Project {code} is not in your capture scope: only staff of its region "
                        "or of its eastern partner may change it."
                    ).format(code=code),
                    field="project",
                )
            return found

        return self._once(("project", code), find)

    def cooperative(self, code: str) -> Cooperative:
        def find() -> Cooperative:
            found = cooperative_list(self.actor).filter(code=code).first()
            if found is None:
                raise BangfuError(
                    ErrorCode.COOPERATIVE_NOT_FOUND,
                    _("No cooperative with the code {code} is visible to you.").format(code=code),
                    field="cooperative",
                )
            if not may_change_cooperative(self.actor, found):
                raise BangfuError(
                    ErrorCode.PERMISSION_DENIED,
                    _("Cooperative {code} is not in your capture scope.").format(code=code),
                    field="cooperative",
                )
            return found

        return self._once(("cooperative", code), find)

    def pairing(self, east: str, west: str, year: int | None) -> Pairing:
        def find() -> Pairing:
            matches = pairing_list(scope=scope_for(self.actor, "view")).filter(
                east__code=east, west__code=west
            )
            found = list(matches)
            if not found:
                raise BangfuError(
                    ErrorCode.PAIRING_NOT_FOUND,
                    _("No district pairing of {east} with {west} is visible to you.").format(
                        east=east, west=west
                    ),
                    field="pairing_east",
                )
            in_force = [p for p in found if year is not None and p.active_in(year)]
            return (in_force or found)[0]  # the service refuses one not in force

        return self._once(("pairing", east, west, year), find)


class _Rows:
    """The base of a table's row check: a finder and the rows seen, per import."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.find = Finder(actor)
        self.seen = Seen()


# ---------------------------------------------------------------------------- projects


def project_sheet() -> SheetSpec:
    return SheetSpec(
        name="协作项目",
        columns=(
            SheetColumn(
                "code",
                ("项目编号", "code", "project code"),
                convert_code,
                required=True,
                width=16,
                note=gettext_lazy("Letters, digits, - and _ only; unique (e.g. nabing-tea-2025)."),
            ),
            SheetColumn(
                "name", ("项目名称", "name", "project name"), convert_plain, required=True, width=30
            ),
            SheetColumn(
                "kind",
                ("项目类型", "kind", "type"),
                choice(options(ProjectKind, KIND_ZH), str(_("project kind"))),
                required=True,
                width=12,
                note=listing(KIND_ZH),
            ),
            SheetColumn(
                "region",
                ("实施地区代码", "region code", "region", "地区代码"),
                convert_region,
                required=True,
                kind=REGION,
                width=16,
                note=gettext_lazy(
                    "The 12-digit code of the county (or township, village) where the project "
                    "is carried out."
                ),
            ),
            _year_column("year", ("计划年度", "plan year", "year", "年度")),
            SheetColumn(
                "pairing_east",
                ("对口关系东部代码", "pairing east code", "east code"),
                convert_region,
                kind=REGION,
                width=16,
                note=gettext_lazy(
                    "Optional: the district pairing whose funds the project uses, by the code "
                    "of its eastern side (e.g. 310117000000) …"
                ),
            ),
            SheetColumn(
                "pairing_west",
                ("对口关系西部代码", "pairing west code", "west code"),
                convert_region,
                kind=REGION,
                width=16,
                note=gettext_lazy("… and of its western side."),
            ),
            SheetColumn("implementer", ("实施单位", "implementer"), convert_plain, width=24),
            date_column("start_date", ("开工日期", "start", "start date")),
            date_column("end_date", ("计划完工日期", "end", "planned end", "end date")),
        ),
        fields={"pairing": ("pairing_east", "pairing_west")},
    )


@dataclass(frozen=True)
class ProjectIn:
    code: str
    name: str
    kind: str
    region: Region
    year: int
    pairing: Pairing | None
    implementer: str
    start_date: dt.date | None
    end_date: dt.date | None


class ProjectRows(_Rows):
    def __call__(self, row: SheetRow) -> ProjectIn:
        c = RowChecks()
        code = row.get("code", "")
        region = c(self.find.region, row.get("region"), "region")
        east, west = row.get("pairing_east"), row.get("pairing_west")
        pairing = None
        if east or west:
            if not east or not west:
                c.refuse(
                    "pairing_east" if not east else "pairing_west",
                    _("Give both region codes of the district pairing (or neither)."),
                )
            else:
                pairing = c(self.find.pairing, east, west, row.get("year"))
        if code:
            c(self.seen.check, code, row.number, "code", code)
            if Project.objects.filter(code=code).exists():
                c.refuse("code", _("The code {code} is taken.").format(code=code))
        if region is not None:
            probe = Project(region=region, pairing=pairing)
            if not may_change_project(self.actor, probe):
                c.refuse(
                    "region",
                    _("{code} is not in your capture scope.").format(code=region.code),
                    ErrorCode.PERMISSION_DENIED,
                )
        c.done()
        return ProjectIn(
            code=code,
            name=row.get("name", ""),
            kind=row.get("kind", ""),
            region=region,
            year=row.get("year"),
            pairing=pairing,
            implementer=row.get("implementer", ""),
            start_date=row.get("start_date"),
            end_date=row.get("end_date"),
        )


def project_writer(actor: Any) -> Callable[[ProjectIn], str]:
    def write(data: ProjectIn) -> str:
        with at("region"):
            services.project_save(
                actor=actor,
                code=data.code,
                name=data.name,
                kind=data.kind,
                region=data.region,
                year=data.year,
                pairing=data.pairing,
                implementer=data.implementer,
                start_date=data.start_date,
                end_date=data.end_date,
                reason=_("imported"),
            )
        return _("projects added")

    return write


# ---------------------------------------------------------------------------- budget


def budget_sheet() -> SheetSpec:
    return SheetSpec(
        name="项目预算",
        columns=(
            _project_column(),
            SheetColumn(
                "fund_source",
                ("资金来源", "fund source", "source"),
                choice(options(FundSource, FUND_ZH), str(_("fund source"))),
                required=True,
                width=18,
                note=listing(FUND_ZH),
            ),
            _money("amount", ("预算金额", "amount", "budget", "金额")),
        ),
    )


@dataclass(frozen=True)
class BudgetIn:
    project: Project
    fund_source: str
    amount: Decimal


class BudgetRows(_Rows):
    def __call__(self, row: SheetRow) -> BudgetIn:
        c = RowChecks()
        project = c(self.find.project, row.get("project"))
        source = row.get("fund_source")
        if project is not None:
            c(self.seen.check, (project.pk, source), row.number, "fund_source", source)
        c.done()
        return BudgetIn(project, source, row.get("amount"))


def budget_writer(actor: Any) -> Callable[[BudgetIn], str]:
    def write(data: BudgetIn) -> str:
        with at("project"):
            services.budget_set(
                actor=actor, project=data.project, fund_source=data.fund_source, amount=data.amount
            )
        return _("budget lines set")

    return write


# ---------------------------------------------------------------------------- milestones


def milestone_sheet() -> SheetSpec:
    return SheetSpec(
        name="项目里程碑",
        columns=(
            _project_column(),
            SheetColumn(
                "name", ("里程碑", "name", "milestone"), convert_plain, required=True, width=24
            ),
            date_column("planned_date", ("计划日期", "planned date", "planned"), required=True),
            SheetColumn(
                "progress",
                ("进度(%)", "progress", "进度"),
                convert_int,
                width=8,
                note=gettext_lazy("A whole percentage from 0 to 100; empty: 0."),
            ),
            date_column("done_date", ("完成日期", "done date", "done")),
        ),
    )


@dataclass(frozen=True)
class MilestoneIn:
    project: Project
    name: str
    planned_date: dt.date
    progress: int
    done_date: dt.date | None


class MilestoneRows(_Rows):
    def __call__(self, row: SheetRow) -> MilestoneIn:
        c = RowChecks()
        project = c(self.find.project, row.get("project"))
        name = row.get("name", "")
        if project is not None and name:
            c(self.seen.check, (project.pk, name), row.number, "name", name)
            if Milestone.objects.filter(project=project, name=name).exists():
                c.refuse(
                    "name",
                    _("Project {code} has the milestone {name} already.").format(
                        code=project.code, name=name
                    ),
                )
        c.done()
        return MilestoneIn(
            project, name, row.get("planned_date"), row.get("progress", 0), row.get("done_date")
        )


def milestone_writer(actor: Any) -> Callable[[MilestoneIn], str]:
    def write(data: MilestoneIn) -> str:
        with at("project"):
            services.milestone_save(
                actor=actor,
                project=data.project,
                name=data.name,
                planned_date=data.planned_date,
                progress=data.progress,
                done_date=data.done_date,
            )
        return _("milestones added")

    return write


# ---------------------------------------------------------------------------- targets


def target_sheet() -> SheetSpec:
    return SheetSpec(
        name="绩效目标",
        columns=(
            _project_column(),
            SheetColumn(
                "indicator",
                ("绩效指标", "indicator", "指标"),
                convert_plain,
                required=True,
                width=24,
            ),
            SheetColumn("unit", ("计量单位", "unit", "单位"), convert_plain, width=8),
            SheetColumn(
                "target",
                ("目标值", "target"),
                convert_figure,
                required=True,
                width=12,
                note=gettext_lazy("A number, at most two decimal places."),
            ),
            SheetColumn(
                "measure",
                ("实际值来源", "measure", "actual from"),
                choice(options(TargetMeasure, MEASURE_ZH), str(_("source of the actual value"))),
                width=16,
                note=listing(MEASURE_ZH) + " — " + str(gettext_lazy("empty: manual")),
            ),
            SheetColumn(
                "actual",
                ("实际值", "actual"),
                convert_figure,
                width=12,
                note=gettext_lazy("Only for a target entered by hand (manual); else empty."),
            ),
        ),
    )


@dataclass(frozen=True)
class TargetIn:
    project: Project
    indicator: str
    unit: str
    target: Decimal
    measure: str
    actual: Decimal | None


class TargetRows(_Rows):
    def __call__(self, row: SheetRow) -> TargetIn:
        c = RowChecks()
        project = c(self.find.project, row.get("project"))
        indicator = row.get("indicator", "")
        measure = row.get("measure", TargetMeasure.MANUAL)
        if measure != TargetMeasure.MANUAL and row.get("actual") is not None:
            c.refuse(
                "actual",
                _("This target's actual value is counted from the records: leave it empty."),
            )
        if project is not None and indicator:
            c(self.seen.check, (project.pk, indicator), row.number, "indicator", indicator)
            if PerformanceTarget.objects.filter(project=project, indicator=indicator).exists():
                c.refuse(
                    "indicator",
                    _("Project {code} has the target {name} already.").format(
                        code=project.code, name=indicator
                    ),
                )
        c.done()
        return TargetIn(
            project,
            indicator,
            row.get("unit", ""),
            row.get("target"),
            measure,
            row.get("actual"),
        )


def target_writer(actor: Any) -> Callable[[TargetIn], str]:
    def write(data: TargetIn) -> str:
        with at("project"):
            services.target_save(
                actor=actor,
                project=data.project,
                indicator=data.indicator,
                unit=data.unit,
                target=data.target,
                measure=data.measure,
                actual=data.actual,
            )
        return _("targets added")

    return write


# ---------------------------------------------------------------------------- benefits


def benefit_sheet() -> SheetSpec:
    return SheetSpec(
        name="联农带农",
        columns=(
            _project_column(),
            household_column(required=False),
            SheetColumn(
                "village",
                ("受益村代码", "village code", "village"),
                convert_region,
                kind=REGION,
                width=16,
                note=gettext_lazy(
                    "A benefit to a village as a whole (its collective economy): the village's "
                    "12-digit code, and no household number."
                ),
            ),
            SheetColumn(
                "mechanism",
                ("带动方式", "mechanism", "联农带农方式"),
                choice(options(Mechanism, MECHANISM_ZH), str(_("mechanism"))),
                required=True,
                width=12,
                note=listing(MECHANISM_ZH),
            ),
            _year_column(
                "year",
                ("年度", "year", "收入年度"),
                gettext_lazy("The year of the household's income the benefit adds to."),
            ),
            _money("amount", ("金额", "amount", "受益金额")),
            SheetColumn(
                "quantity",
                ("数量", "quantity"),
                convert_figure,
                width=10,
                note=gettext_lazy("Produce bought: the quantity (with its unit and unit price)."),
            ),
            SheetColumn("unit", ("单位", "unit"), convert_plain, width=8),
            SheetColumn(
                "unit_price",
                ("单价", "unit price", "price"),
                convert_figure,
                width=10,
                note=gettext_lazy("Produce bought: quantity × unit price must equal the amount."),
            ),
        ),
        fields={"households": ("household",), "amount": ("amount",)},
    )


@dataclass(frozen=True)
class BenefitRowIn:
    project: Project
    mechanism: str
    year: int
    row: BenefitIn


def _beneficiary(
    household: Household | None, village: Region | None
) -> tuple[str, str, Region] | None:
    """The column that names a benefit's beneficiary, how it is named, and its village."""
    if household is not None:
        return "household", household.household_no, household.village
    if village is not None:
        return "village", village.code, village
    return None


class BenefitRows(_Rows):
    """A benefit per row (not paid from the ledger: ``benefit_record``); a household named
    twice for the same project, mechanism and year, or with the same benefit recorded already,
    is refused (an import run twice records nothing twice)."""

    def __call__(self, row: SheetRow) -> BenefitRowIn:
        """The row's project and household (or village); the rules of a benefit itself — inside
        the project's region, produce's quantity × price — are the service's, which the import
        rehearses and reports by row and column like these."""
        c = RowChecks()
        project = c(self.find.project, row.get("project"))
        number, village_code = row.get("household"), row.get("village")
        household = village = None
        if bool(number) == bool(village_code):
            c.refuse("household", _("Give a household number or a village code (one of them)."))
        elif number:
            household = c(self.find.household, number)
        else:
            village = c(self.find.region, village_code, "village")
            if village is not None and village.level != Level.VILLAGE:
                c.refuse("village", _("{code} is not a village.").format(code=village.code))
        mechanism, year = row.get("mechanism"), row.get("year")
        amount: Decimal = row.get("amount")
        if not 2000 <= year <= 2100:
            c.refuse("year", _("A year from 2000 to 2100."))
        who = _beneficiary(household, village)
        if project is not None and who is not None:
            field, named, where = who
            key = (project.pk, field, named, mechanism, year)
            c(self.seen.check, key, row.number, field, named)
            recorded = Benefit.objects.filter(
                project=project,
                household=household,
                village=where,
                mechanism=mechanism,
                year=year,
                amount=amount,
                entry__isnull=True,
            )
            if recorded.exists():
                c.refuse(
                    field,
                    _("This benefit of {who} ({year}, {amount} yuan) is recorded already.").format(
                        who=named, year=year, amount=amount
                    ),
                )
        c.done()
        return BenefitRowIn(
            project,
            mechanism,
            year,
            BenefitIn(
                amount,
                household=household,
                village=village,
                quantity=row.get("quantity"),
                unit=row.get("unit", ""),
                unit_price=row.get("unit_price"),
            ),
        )


def benefit_writer(actor: Any) -> Callable[[BenefitRowIn], str]:
    def write(data: BenefitRowIn) -> str:
        with at("project"), one_row():
            benefit_record(
                actor=actor,
                project=data.project,
                mechanism=data.mechanism,
                year=data.year,
                rows=[data.row],
            )
        return _("benefits recorded")

    return write


# ---------------------------------------------------------------------------- cooperatives


def cooperative_sheet() -> SheetSpec:
    return SheetSpec(
        name="合作社",
        columns=(
            SheetColumn(
                "code",
                ("合作社编号", "code", "cooperative code"),
                convert_code,
                required=True,
                width=16,
                note=gettext_lazy("Unique; names the cooperative in the member and share files."),
            ),
            SheetColumn(
                "name", ("合作社名称", "name", "cooperative name"), convert_plain, required=True
            ),
            SheetColumn(
                "village",
                ("所在村代码", "village code", "village"),
                convert_region,
                required=True,
                kind=REGION,
                width=16,
                note=gettext_lazy("The 12-digit code of the cooperative's village."),
            ),
            SheetColumn(
                "model",
                ("带动模式", "model"),
                choice(options(CooperativeModel, MODEL_ZH), str(_("cooperative model"))),
                required=True,
                width=12,
                note=listing(MODEL_ZH),
            ),
            date_column("founded_on", ("成立日期", "founded", "founded on"), required=True),
            SheetColumn("company", ("合作企业", "company", "partner company"), convert_plain),
            SheetColumn("leader", ("负责人", "leader"), convert_plain, width=10),
        ),
    )


@dataclass(frozen=True)
class CooperativeIn:
    code: str
    name: str
    village: Region
    model: str
    founded_on: dt.date
    company: str
    leader: str


class CooperativeRows(_Rows):
    def __call__(self, row: SheetRow) -> CooperativeIn:
        c = RowChecks()
        code = row.get("code", "")
        village = c(self.find.region, row.get("village"), "village")
        if village is not None:
            if village.level != Level.VILLAGE:
                c.refuse("village", _("A cooperative belongs to a village."))
            elif not may_change_cooperative(self.actor, Cooperative(village=village)):
                c.refuse(
                    "village",
                    _("{code} is not in your capture scope.").format(code=village.code),
                    ErrorCode.PERMISSION_DENIED,
                )
        if code:
            c(self.seen.check, code, row.number, "code", code)
            if Cooperative.objects.filter(code=code).exists():
                c.refuse("code", _("The code {code} is taken.").format(code=code))
        c.done()
        return CooperativeIn(
            code,
            row.get("name", ""),
            village,
            row.get("model"),
            row.get("founded_on"),
            row.get("company", ""),
            row.get("leader", ""),
        )


def cooperative_writer(actor: Any) -> Callable[[CooperativeIn], str]:
    def write(data: CooperativeIn) -> str:
        with at("village"):
            coops.cooperative_create(
                actor=actor,
                code=data.code,
                name=data.name,
                village=data.village,
                model=data.model,
                founded_on=data.founded_on,
                company=data.company,
                leader=data.leader,
            )
        return _("cooperatives added")

    return write


# ---------------------------------------------------------------------------- members


def member_sheet() -> SheetSpec:
    return SheetSpec(
        name="合作社成员",
        columns=(
            _cooperative_column(),
            household_column(),
            date_column("joined_on", ("入社日期", "joined", "joined on"), required=True),
        ),
        fields={"households": ("household",)},
    )


@dataclass(frozen=True)
class MemberIn:
    cooperative: Cooperative
    household: Household
    joined_on: dt.date


class MemberRows(_Rows):
    def __call__(self, row: SheetRow) -> MemberIn:
        c = RowChecks()
        cooperative = c(self.find.cooperative, row.get("cooperative"))
        household = c(self.find.household, row.get("household"))
        if cooperative is not None and household is not None:
            c(
                self.seen.check,
                (cooperative.pk, household.pk),
                row.number,
                "household",
                household.household_no,
            )
            if cooperative.memberships.filter(household=household, left_on__isnull=True).exists():
                c.refuse(
                    "household",
                    _("Household {number} is a member already.").format(
                        number=household.household_no
                    ),
                )
        c.done()
        return MemberIn(cooperative, household, row.get("joined_on"))


def member_writer(actor: Any) -> Callable[[MemberIn], str]:
    def write(data: MemberIn) -> str:
        with at("cooperative"):
            coops.member_join(
                actor=actor,
                cooperative=data.cooperative,
                household=data.household,
                joined_on=data.joined_on,
            )
        return _("members added")

    return write


# ---------------------------------------------------------------------------- shares


def share_sheet() -> SheetSpec:
    return SheetSpec(
        name="合作社股金",
        columns=(
            _cooperative_column(),
            household_column(),
            SheetColumn(
                "kind",
                ("入股方式", "kind", "share kind"),
                choice(options(ShareKind, SHARE_KIND_ZH), str(_("kind of share capital"))),
                required=True,
                width=12,
                note=listing(SHARE_KIND_ZH)
                + " — "
                + str(gettext_lazy("funds become shares through a payment (资金变股金), not here")),
            ),
            _money("amount", ("股金金额", "amount", "金额")),
            SheetColumn(
                "shares",
                ("股数", "shares"),
                convert_int,
                required=True,
                width=8,
                note=gettext_lazy("A whole number above 0."),
            ),
            date_column("recorded_on", ("入股日期", "date", "recorded on"), required=True),
        ),
    )


@dataclass(frozen=True)
class ShareRowIn:
    cooperative: Cooperative
    household: Household
    kind: str
    amount: Decimal
    shares: int
    recorded_on: dt.date


class ShareRows(_Rows):
    def __call__(self, row: SheetRow) -> ShareRowIn:
        c = RowChecks()
        cooperative = c(self.find.cooperative, row.get("cooperative"))
        household = c(self.find.household, row.get("household"))
        shares = row.get("shares")
        if shares is not None and shares <= 0:
            c.refuse("shares", _("Shares are a whole number above 0."))
        if cooperative is not None and household is not None:
            member = cooperative.memberships.filter(household=household, left_on__isnull=True)
            if not member.exists():
                c.refuse(
                    "household",
                    _("Household {number} is not a member of {code}.").format(
                        number=household.household_no, code=cooperative.code
                    ),
                )
        c.done()
        return ShareRowIn(
            cooperative,
            household,
            row.get("kind"),
            row.get("amount"),
            shares,
            row.get("recorded_on"),
        )


def share_writer(actor: Any) -> Callable[[ShareRowIn], str]:
    def write(data: ShareRowIn) -> str:
        with at("cooperative"), one_row():
            coops.shares_add(
                actor=actor,
                cooperative=data.cooperative,
                household=data.household,
                kind=data.kind,
                amount=data.amount,
                shares=data.shares,
                recorded_on=data.recorded_on,
            )
        return _("share capital recorded")

    return write


# ---------------------------------------------------------------------------- the tables


TABLES: dict[str, Table] = {
    table.key: table
    for table in (
        Table(
            "projects",
            gettext_lazy("Projects (协作项目)"),
            project_sheet,
            ProjectRows,
            project_writer,
            may_capture,
            gettext_lazy(
                "Code, name, kind, region code, plan year, district pairing (east and west "
                "codes, optional), implementer, start, planned end."
            ),
        ),
        Table(
            "budget",
            gettext_lazy("Budget lines (项目预算)"),
            budget_sheet,
            BudgetRows,
            budget_writer,
            may_capture,
            gettext_lazy("Project code, fund source, amount (a line given again is replaced)."),
        ),
        Table(
            "milestones",
            gettext_lazy("Milestones (项目里程碑)"),
            milestone_sheet,
            MilestoneRows,
            milestone_writer,
            may_capture,
            gettext_lazy("Project code, milestone, planned date, progress, done date."),
        ),
        Table(
            "targets",
            gettext_lazy("Performance targets (绩效目标)"),
            target_sheet,
            TargetRows,
            target_writer,
            may_capture,
            gettext_lazy(
                "Project code, indicator, unit, target, where the actual comes from, actual."
            ),
        ),
        Table(
            "benefits",
            gettext_lazy("Benefits (联农带农)"),
            benefit_sheet,
            BenefitRows,
            benefit_writer,
            may_capture,
            gettext_lazy(
                "Project code, household number, mechanism, year, amount, quantity, unit, unit "
                "price: benefits not paid from the ledger, added to the households' incomes."
            ),
        ),
        Table(
            "cooperatives",
            gettext_lazy("Cooperatives (合作社)"),
            cooperative_sheet,
            CooperativeRows,
            cooperative_writer,
            may_capture,
            gettext_lazy("Code, name, village code, model, founded, partner company, leader."),
        ),
        Table(
            "members",
            gettext_lazy("Cooperative members (合作社成员)"),
            member_sheet,
            MemberRows,
            member_writer,
            may_capture,
            gettext_lazy("Cooperative code, household number, joined."),
        ),
        Table(
            "shares",
            gettext_lazy("Share capital (合作社股金)"),
            share_sheet,
            ShareRows,
            share_writer,
            may_capture,
            gettext_lazy("Cooperative code, household number, kind, amount, shares, date."),
        ),
    )
}


def import_table(
    key: str, path: str | Path, *, name: str, actor: Any, dry_run: bool = False
) -> SheetResult:
    """Import ``path`` into the table ``key`` (one of ``TABLES``) as ``actor``."""
    return TABLES[key].run(path, name=name, actor=actor, dry_run=dry_run)
