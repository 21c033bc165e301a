"""Demo data of projects, the fund ledger and cooperatives, from the seed article's figures:

* **纳丙村 tea refinery** (勐海县勐阿镇纳丙村, Songjiang ↔ 勐海, 2020, 沪滇合作资金): budget by
  fund source (eastern aid, local fiscal funds, enterprise investment), funded and allocated
  through the ledger, the builder and the equipment supplier paid, milestones, performance
  targets (jobs and registered-poor households counted from the records, the fresh-leaf price
  rise of ~20 yuan/kg entered), wages paid to households of 纳丙村 (``benefit_pay``) and the
  fresh leaf bought from them (``benefit_record``: quantity × unit price), acceptance passed.
  The benefits are for the demo's assessment year (``registry.demo.ASSESSMENT_YEAR``), so they
  flow into the households' existing income records as linked incomes.
* **Songjiang seed supply** (种源扶贫, 勐海县勐往乡, 2020): rice on 250 mu, +150 yuan per mu
  (manual targets with their actuals); completed, awaiting acceptance.
* **Dingri cooperatives** (定日县): the county's 180 administrative villages (the registry
  demo's villages of 定日县, and further synthetic ``示范村NN`` villages created the same way,
  spread over its townships), 564 cooperatives — every village has at least one — cycling
  through the seven models (industry+, company+, tourism+, farmers+, ecology+, capable
  person+, party building+); a Songjiang ↔ 定日 funds project whose funds become members'
  shares (资金变股金) in every other cooperative that has member households (cash shares in the
  others); the years 2019 and 2020 declared, exactly **389 cooperatives with income** in 2020
  (the rest with no profit), dividends paid with a payout ratio rising from 30 % to 40 % and a
  minimum for registered-poor members; a 以奖代补 scheme (first income in 2020) granted from
  the project's account.

Every write goes through the services (validated, with history; money through the ledger),
as the administrator. Deterministic; refuses to run twice: when the tea refinery project
exists, nothing is written (the report says so).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from bangfu.accounts.models import Role, User
from bangfu.projects import benefits as benefit_services
from bangfu.projects import cooperatives as coop_services
from bangfu.projects import services
from bangfu.projects.models import (
    AwardCriterion,
    Cooperative,
    CooperativeModel,
    FundSource,
    Mechanism,
    Project,
    ProjectKind,
    ProjectStatus,
    ShareKind,
    TargetMeasure,
)
from bangfu.regions.codes import Level
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope
from bangfu.regions.services import RegionIn, region_create
from bangfu.registry.demo import ASSESSMENT_YEAR, NABING, demo_villages_plan
from bangfu.registry.models import Household

SONGJIANG, MENGHAI, MENGWANG, DINGRI = (
    "310117000000",
    "532822000000",
    "532822202000",
    "540223000000",
)
TEA_CODE = "nabing-tea-refinery-2020"
SEED_CODE = "songjiang-rice-seed-2020"
DINGRI_CODE = "dingri-coop-shares-2019"
AWARD_CODE = "dingri-first-income-2020"
DEMO = "（演示）"
EVERYTHING = RegionScope.everything()

# The seed's Dingri figures.
DINGRI_VILLAGES = 180
COOPERATIVES = 564
WITH_INCOME = 389
MODELS = (
    CooperativeModel.INDUSTRY,
    CooperativeModel.COMPANY,
    CooperativeModel.TOURISM,
    CooperativeModel.FARMER,
    CooperativeModel.ECOLOGY,
    CooperativeModel.CAPABLE_PERSON,
    CooperativeModel.PARTY_BUILDING,
)
MODEL_ZH = {
    CooperativeModel.INDUSTRY: "产业+",
    CooperativeModel.COMPANY: "公司+",
    CooperativeModel.TOURISM: "旅游+",
    CooperativeModel.FARMER: "农牧民+",
    CooperativeModel.ECOLOGY: "生态+",
    CooperativeModel.CAPABLE_PERSON: "能人+",
    CooperativeModel.PARTY_BUILDING: "党建+",
}
COMPANY = f"定日县示范农牧发展有限公司{DEMO}"
LEADERS = ("次仁", "扎西", "尼玛", "达瓦", "格桑", "边巴", "普布", "索朗", "旺堆", "拉巴")
MEMBERS_PER_COOPERATIVE = (6, 7, 8, 9, 10)
PAYOUT = {2019: Decimal("0.30"), 2020: Decimal("0.40")}  # the ratio rises year by year
POOR_MINIMUM = {2019: Decimal("200.00"), 2020: Decimal("300.00")}
FUNDS_PER_MEMBER = Decimal("2000.00")  # 资金变股金: 2,000 yuan = 20 shares
CASH_PER_MEMBER = Decimal("500.00")  # cash paid in: 500 yuan = 5 shares
AWARD_YUAN = Decimal("20000.00")

TEA_WAGE_HOUSEHOLDS = 30
TEA_LEAF_HOUSEHOLDS = 40
LEAF_PRICE = Decimal("58.00")  # yuan per kg of fresh leaf: ~20 yuan above the old price


@dataclass
class ProjectsDemo:
    already: bool = False
    projects: int = 0
    villages_created: int = 0
    villages: int = 0  # Dingri's villages
    villages_covered: int = 0  # of them, with at least one cooperative
    cooperatives: int = 0
    with_income: int = 0
    members: int = 0
    share_entries: int = 0  # payments of funds turned into shares
    dividends_paid: Decimal = Decimal("0.00")
    dividend_payments: int = 0
    awards: int = 0
    awards_yuan: Decimal = Decimal("0.00")
    wage_households: int = 0
    leaf_households: int = 0
    seconds: float = 0.0


def _admin() -> User:
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        raise LookupError("the demo's administrator is missing (load the demo users first)")
    return admin


def _pairing(east: str, west: str) -> Pairing:
    pairing = (
        Pairing.objects.filter(east__code=east, west__code=west)
        .select_related("east", "west")
        .order_by("start_year")
        .first()
    )
    if pairing is None:
        raise LookupError(f"the reference pairing {east} ↔ {west} is missing")
    return pairing


def _money(admin: User, project: Project, lines: dict[str, tuple[int, Decimal, dt.date]]) -> None:
    """The project's budget by source, each source funded and allocated (keys by project)."""
    for fund_source, (year, amount, day) in lines.items():
        services.budget_set(actor=admin, project=project, fund_source=fund_source, amount=amount)
        key = f"demo:{project.code}:{fund_source}:{year}"
        services.fund(
            actor=admin,
            fund_source=fund_source,
            year=year,
            amount=amount,
            entry_date=day,
            voucher=f"{project.code[:40]}-F-{fund_source}",
            idempotency_key=f"{key}:fund",
            memo=f"{project.name}（演示）",
        )
        services.allocate(
            actor=admin,
            project=project,
            fund_source=fund_source,
            year=year,
            amount=amount,
            entry_date=day,
            voucher=f"{project.code[:40]}-A-{fund_source}",
            idempotency_key=f"{key}:allocate",
        )


def _milestones(admin: User, project: Project, rows: list[tuple[str, dt.date, int]]) -> None:
    for name, planned, progress in rows:
        services.milestone_save(
            actor=admin,
            project=project,
            name=name,
            planned_date=planned,
            progress=progress,
            done_date=planned if progress == 100 else None,
        )


def _advance(admin: User, project: Project, *statuses: str) -> None:
    for status in statuses:
        services.project_set_status(actor=admin, project=project, status=status)


# ---------------------------------------------------------------------------- 纳丙村 tea


def _tea(admin: User, report: ProjectsDemo) -> Project:
    project = services.project_save(
        actor=admin,
        code=TEA_CODE,
        name="纳丙村茶叶精制厂（沪滇合作项目）",
        kind=ProjectKind.INDUSTRY,
        region=Region.objects.get(code=MENGHAI),
        year=2020,
        pairing=_pairing(SONGJIANG, MENGHAI),
        implementer="勐海县农业农村局",
        start_date=dt.date(2020, 3, 1),
        end_date=dt.date(2020, 11, 30),
        description=(
            "用沪滇合作资金在勐阿镇纳丙村建设茶叶精制厂，知名茶企技术指导，从茶山到终端全过程"
            "追溯；鲜叶收购价提高约20元/公斤，建档立卡贫困户就近就业。（演示数据）"
        ),
    )
    report.projects += 1
    _money(
        admin,
        project,
        {
            FundSource.EAST_AID: (2020, Decimal("3000000.00"), dt.date(2020, 3, 10)),
            FundSource.LOCAL_FISCAL: (2020, Decimal("800000.00"), dt.date(2020, 3, 20)),
            FundSource.ENTERPRISE: (2020, Decimal("1200000.00"), dt.date(2020, 4, 1)),
        },
    )
    _advance(admin, project, ProjectStatus.UNDERWAY)
    east = services.source_account(FundSource.EAST_AID, 2020)
    local = services.source_account(FundSource.LOCAL_FISCAL, 2020)
    enterprise = services.source_account(FundSource.ENTERPRISE, 2020)
    builder, supplier = "勐海县示范建筑工程有限公司" + DEMO, "示范茶叶机械设备有限公司" + DEMO
    for n, (payee, source, amount, day) in enumerate(
        (
            (builder, east, "1500000.00", dt.date(2020, 5, 30)),
            (builder, east, "1200000.00", dt.date(2020, 8, 31)),
            (builder, local, "600000.00", dt.date(2020, 10, 31)),
            (supplier, enterprise, "850000.00", dt.date(2020, 9, 15)),
        ),
        start=1,
    ):
        services.pay_contractor(
            actor=admin,
            project=project,
            payee=payee,
            source=source,
            amount=amount,
            entry_date=day,
            voucher=f"NB-TEA-P{n:02d}",
            idempotency_key=f"demo:{TEA_CODE}:contractor:{n}",
            memo="工程款" if payee == builder else "设备款",
        )
    _milestones(
        admin,
        project,
        [
            ("厂房建设完工", dt.date(2020, 6, 30), 100),
            ("精制生产线安装调试", dt.date(2020, 9, 15), 100),
            ("试生产，鲜叶开秤收购", dt.date(2020, 10, 31), 100),
        ],
    )
    _tea_benefits(admin, project, enterprise, report)
    for indicator, unit, target, measure, actual in (
        ("带动就近就业（有工资收入的农户）", "户", "30", TargetMeasure.JOBS, None),
        ("受益建档立卡户", "户", "15", TargetMeasure.POOR_HOUSEHOLDS, None),
        ("鲜叶收购价提高", "元/公斤", "20", TargetMeasure.MANUAL, "20"),
    ):
        services.target_save(
            actor=admin,
            project=project,
            indicator=indicator,
            target=target,
            unit=unit,
            measure=measure,
            actual=actual,
            measured_on=dt.date(ASSESSMENT_YEAR, 12, 31) if actual else None,
        )
    _advance(admin, project, ProjectStatus.COMPLETED)
    services.acceptance_record(
        actor=admin,
        project=project,
        checked_on=dt.date(2020, 12, 15),
        passed=True,
        inspectors="勐海县农业农村局、松江区合作交流办（演示）",
        findings="厂房、生产线按设计建成，资金使用合规，带贫机制落实。",
    )
    return project


def _tea_benefits(admin: User, project: Project, source: Any, report: ProjectsDemo) -> None:
    """Wages and fresh leaf bought in the assessment year, from the households of 纳丙村."""
    households = list(
        Household.objects.filter(village__code=NABING).select_related("village").order_by("pk")
    )
    if not households:
        return
    rng = random.Random(2020)  # noqa: S311 - demo figures, not secrets
    workers = households[:TEA_WAGE_HOUSEHOLDS]
    rows = [
        benefit_services.BenefitIn(Decimal(rng.randrange(40, 91) * 100), household=h)
        for h in workers
    ]
    benefit_services.benefit_pay(
        actor=admin,
        project=project,
        source=source,
        mechanism=Mechanism.WAGES,
        year=ASSESSMENT_YEAR,
        rows=rows,
        entry_date=dt.date(ASSESSMENT_YEAR, 11, 30),
        voucher=f"NB-TEA-W{ASSESSMENT_YEAR}",
        idempotency_key=f"demo:{TEA_CODE}:wages:{ASSESSMENT_YEAR}",
        memo="精制厂务工工资",
    )
    report.wage_households = len(rows)
    growers = households[-TEA_LEAF_HOUSEHOLDS:]
    leaf = []
    for h in growers:
        kilos = Decimal(rng.randrange(60, 401))
        leaf.append(
            benefit_services.BenefitIn(
                kilos * LEAF_PRICE,
                household=h,
                quantity=kilos,
                unit="公斤",
                unit_price=LEAF_PRICE,
                note="鲜叶收购",
            )
        )
    benefit_services.benefit_record(
        actor=admin, project=project, mechanism=Mechanism.PRODUCE, year=ASSESSMENT_YEAR, rows=leaf
    )
    report.leaf_households = len(leaf)


# ---------------------------------------------------------------------------- Songjiang seeds


def _seeds(admin: User, report: ProjectsDemo) -> Project:
    project = services.project_save(
        actor=admin,
        code=SEED_CODE,
        name="松江大米良种统一供种示范（种源扶贫）",
        kind=ProjectKind.INDUSTRY,
        region=Region.objects.get(code=MENGWANG),
        year=2020,
        pairing=_pairing(SONGJIANG, MENGHAI),
        implementer="勐海县农业技术推广中心",
        start_date=dt.date(2020, 3, 1),
        end_date=dt.date(2020, 11, 15),
        description="统一供种、统一标准种植松江水稻250亩，亩均增收150元。（演示数据）",
    )
    report.projects += 1
    _money(
        admin,
        project,
        {
            FundSource.EAST_AID: (2020, Decimal("180000.00"), dt.date(2020, 3, 12)),
            FundSource.LOCAL_FISCAL: (2020, Decimal("40000.00"), dt.date(2020, 3, 25)),
        },
    )
    _advance(admin, project, ProjectStatus.UNDERWAY)
    for n, (payee, fund_source, amount, day) in enumerate(
        (
            ("松江区示范种子供应站" + DEMO, FundSource.EAST_AID, "150000.00", dt.date(2020, 4, 10)),
            ("勐往乡农机服务队" + DEMO, FundSource.LOCAL_FISCAL, "36000.00", dt.date(2020, 10, 30)),
        ),
        start=1,
    ):
        services.pay_contractor(
            actor=admin,
            project=project,
            payee=payee,
            source=services.source_account(fund_source, 2020),
            amount=amount,
            entry_date=day,
            voucher=f"SJ-SEED-P{n:02d}",
            idempotency_key=f"demo:{SEED_CODE}:contractor:{n}",
        )
    _milestones(
        admin,
        project,
        [
            ("统一供种到户", dt.date(2020, 4, 15), 100),
            ("统一标准栽插", dt.date(2020, 6, 30), 100),
            ("收获测产", dt.date(2020, 10, 20), 100),
        ],
    )
    for indicator, unit, target, actual in (
        ("良种水稻种植面积", "亩", "250", "250"),
        ("亩均增收", "元/亩", "150", "150"),
    ):
        services.target_save(
            actor=admin,
            project=project,
            indicator=indicator,
            target=target,
            unit=unit,
            actual=actual,
            measured_on=dt.date(2020, 10, 20),
        )
    _advance(admin, project, ProjectStatus.COMPLETED)
    return project


# ---------------------------------------------------------------------------- Dingri


def _dingri_villages(report: ProjectsDemo) -> list[Region]:
    """定日县's villages: the registry demo's (created if missing, as it would), then further
    ``示范村NN`` villages round-robin over its townships until there are 180."""
    county = RegionScope.of([DINGRI])
    existing = set(Region.objects.filter(county.q("code")).values_list("code", flat=True))

    def make(code: str, number: int, township: str) -> None:
        region_create(
            actor=None,
            capture=EVERYTHING,
            view=EVERYTHING,
            data=RegionIn(
                code=code,
                name_zh=f"示范村{number:02d}",
                name_en=f"Demo Village {number:02d}",
                level=Level.VILLAGE,
                parent_code=township,
            ),
        )
        existing.add(code)
        report.villages_created += 1

    for spec in demo_villages_plan():
        if spec.synthetic and spec.code not in existing and county.covers(spec.code):
            make(spec.code, int(spec.code[-2:]), spec.township_code)
    villages = Region.objects.filter(county.q("code"), level=Level.VILLAGE)
    missing = DINGRI_VILLAGES - villages.count()
    townships = list(
        Region.objects.filter(parent__code=DINGRI, level=Level.TOWNSHIP)
        .order_by("code")
        .values_list("code", flat=True)
    )
    numbers = dict.fromkeys(townships, 1)
    while missing > 0 and townships:
        for township in list(townships):
            if missing <= 0:
                break
            number = numbers[township]
            while number < 100 and f"{township[:9]}{200 + number:03d}" in existing:
                number += 1
            if number >= 100:
                townships.remove(township)
                continue
            make(f"{township[:9]}{200 + number:03d}", number, township)
            numbers[township] = number + 1
            missing -= 1
    return list(villages.select_related("parent").order_by("code"))


def _dingri_project(admin: User, report: ProjectsDemo) -> Project:
    project = services.project_save(
        actor=admin,
        code=DINGRI_CODE,
        name="定日县农牧民合作社“资金变股金”及以奖代补项目",
        kind=ProjectKind.INDUSTRY,
        region=Region.objects.get(code=DINGRI),
        year=2019,
        pairing=_pairing(SONGJIANG, DINGRI),
        implementer="定日县农业农村局",
        start_date=dt.date(2019, 3, 1),
        end_date=dt.date(2021, 12, 31),
        description=(
            "资源变资产、资金变股金、农牧民变股东：援藏资金量化入股合作社，合作社覆盖全县180个"
            "行政村；以奖代补奖励实现收益的合作社。（演示数据）"
        ),
    )
    report.projects += 1
    _money(
        admin,
        project,
        {FundSource.EAST_AID: (2019, Decimal("5000000.00"), dt.date(2019, 3, 15))},
    )
    services.budget_set(
        actor=admin, project=project, fund_source=FundSource.EAST_AID, amount="13000000.00"
    )
    services.fund(
        actor=admin,
        fund_source=FundSource.EAST_AID,
        year=2020,
        amount="8000000.00",
        entry_date=dt.date(2020, 3, 16),
        voucher=f"{DINGRI_CODE}-F-east_aid-2020",
        idempotency_key=f"demo:{DINGRI_CODE}:east_aid:2020:fund",
    )
    services.allocate(
        actor=admin,
        project=project,
        fund_source=FundSource.EAST_AID,
        year=2020,
        amount="8000000.00",
        entry_date=dt.date(2020, 3, 16),
        voucher=f"{DINGRI_CODE}-A-east_aid-2020",
        idempotency_key=f"demo:{DINGRI_CODE}:east_aid:2020:allocate",
    )
    _advance(admin, project, ProjectStatus.UNDERWAY)
    _milestones(
        admin,
        project,
        [
            ("合作社覆盖全部行政村", dt.date(2019, 6, 30), 100),
            ("援藏资金量化入股到户", dt.date(2019, 9, 30), 100),
            ("以奖代补资金兑现", dt.date(2021, 1, 31), 100),
            ("合作社规范化提升", dt.date(2021, 12, 31), 60),
        ],
    )
    for indicator, unit, target, actual in (
        ("合作社覆盖行政村", "个", "180", "180"),
        ("实现收益的合作社", "个", "389", str(WITH_INCOME)),
    ):
        services.target_save(
            actor=admin,
            project=project,
            indicator=indicator,
            target=target,
            unit=unit,
            actual=actual,
            measured_on=dt.date(2020, 12, 31),
        )
    return project


def _dingri(admin: User, report: ProjectsDemo) -> Project:
    villages = _dingri_villages(report)
    report.villages = len(villages)
    project = _dingri_project(admin, report)
    source_2019 = services.source_account(FundSource.EAST_AID, 2019)
    by_village: dict[int, list[Household]] = {}
    for household in (
        Household.objects.filter(village__in=villages).select_related("village").order_by("pk")
    ):
        by_village.setdefault(household.village_id, []).append(household)
    rng = random.Random(564)  # noqa: S311 - demo figures, not secrets
    made: list[tuple[Cooperative, int]] = []  # (cooperative, members)
    in_village: dict[int, int] = {}
    with_members = 0
    for i in range(COOPERATIVES):
        village = villages[i % len(villages)]
        k = in_village.get(village.pk, 0)
        in_village[village.pk] = k + 1
        model = MODELS[i % len(MODELS)]
        township = village.parent.name_zh if village.parent else ""
        cooperative = coop_services.cooperative_create(
            actor=admin,
            code=f"dingri-{village.code}-{k + 1}",
            name=f"{township}{village.name_zh}{MODEL_ZH[model]}农牧民专业合作社{k + 1}号{DEMO}",
            village=village,
            model=model,
            founded_on=dt.date(2018, 1 + i % 12, 1 + i % 28),
            company=COMPANY if model == CooperativeModel.COMPANY else "",
            leader=LEADERS[i % len(LEADERS)],
        )
        size = MEMBERS_PER_COOPERATIVE[i % len(MEMBERS_PER_COOPERATIVE)]
        members = by_village.get(village.pk, [])[k * size : (k + 1) * size]
        joined = dt.date(2019, 1, 15)
        for household in members:
            coop_services.member_join(
                actor=admin, cooperative=cooperative, household=household, joined_on=joined
            )
        with_members += int(bool(members))
        if members and with_members % 2 == 1:  # every other one with members
            coop_services.funds_to_shares(
                actor=admin,
                cooperative=cooperative,
                project=project,
                source=source_2019,
                rows=[coop_services.ShareIn(h, FUNDS_PER_MEMBER, 20) for h in members],
                entry_date=dt.date(2019, 6, 20),
                voucher=f"DR-SHARES-{i + 1:03d}",
                idempotency_key=f"demo:{DINGRI_CODE}:shares:{cooperative.code}",
            )
            report.share_entries += 1
        else:
            for household in members:
                coop_services.shares_add(
                    actor=admin,
                    cooperative=cooperative,
                    household=household,
                    kind=ShareKind.CASH,
                    amount=CASH_PER_MEMBER,
                    shares=5,
                    recorded_on=joined,
                )
        made.append((cooperative, len(members)))
        report.members += len(members)
    report.cooperatives = len(made)
    report.villages_covered = len(in_village)
    _years_and_dividends(admin, made, rng, report)
    _awards(admin, project, report)
    return project


def _years_and_dividends(
    admin: User, made: list[tuple[Cooperative, int]], rng: random.Random, report: ProjectsDemo
) -> None:
    """2019 and 2020 declared: the first 389 cooperatives of an order that puts those with
    members first have a profit in 2020 (a third of them in 2019 too); dividends paid where
    there is a profit and members."""
    order = sorted(range(len(made)), key=lambda n: (made[n][1] == 0, (n * 7919) % len(made)))
    earning = set(order[:WITH_INCOME])
    for n, (cooperative, members) in enumerate(made):
        profits = {2019: Decimal(0), 2020: Decimal(0)}
        if n in earning:
            floor = 3000 * max(members, 1)
            profits[2020] = Decimal(max(floor, rng.randrange(20, 201) * 1000))
            if n % 3 == 0:
                profits[2019] = Decimal(max(floor, rng.randrange(10, 101) * 1000))
        for year, profit in profits.items():
            revenue = profit * 3 if profit else Decimal(0)
            row = coop_services.year_declare(
                actor=admin,
                cooperative=cooperative,
                year=year,
                revenue=revenue,
                profit=profit,
                payout_ratio=PAYOUT[year],
                poor_minimum=POOR_MINIMUM[year] if profit else "0",
            )
            if profit and members:
                entry = coop_services.dividends_pay(
                    actor=admin,
                    cooperative_year=row,
                    entry_date=dt.date(year + 1, 3, 15),
                    voucher=f"DR-DIV-{year}-{n + 1:03d}",
                )
                paid = sum(p.amount_fen for p in entry.postings.all() if p.amount_fen > 0)
                report.dividends_paid += Decimal(paid) / 100
                report.dividend_payments += 1
        report.with_income += int(profits[2020] > 0)


def _awards(admin: User, project: Project, report: ProjectsDemo) -> None:
    """以奖代补: 20,000 yuan for each cooperative whose first income came in 2020."""
    scheme = coop_services.award_scheme_save(
        actor=admin,
        code=AWARD_CODE,
        name="定日县合作社“以奖代补”（首次实现收益）2020",
        year=2020,
        criterion=AwardCriterion.FIRST_INCOME,
        amount=AWARD_YUAN,
        paying_project=project,
        region=Region.objects.get(code=DINGRI),
    )
    granted = coop_services.awards_grant(
        actor=admin, scheme=scheme, entry_date=dt.date(2021, 1, 20), voucher="DR-AWARD-2020"
    )
    report.awards = len(granted)
    report.awards_yuan = sum((a.amount for a in granted), Decimal("0.00"))


@transaction.atomic
def projects_demo_load() -> ProjectsDemo:
    """Add the tea refinery, the seed supply and Dingri's cooperatives (see the module's
    docstring); needs the reference regions, pairings and users (and, for the benefits and
    the members, the registry demo's households). Refuses to run twice."""
    started = time.perf_counter()
    report = ProjectsDemo()
    if Project.objects.filter(code=TEA_CODE).exists():
        report.already = True
        return report
    admin = _admin()
    _tea(admin, report)
    _seeds(admin, report)
    _dingri(admin, report)
    report.seconds = time.perf_counter() - started
    return report
