"""Demo data for the household loop, on top of the demo registry and its first monitoring run:
helpers in the villages that have alerts (local cadres, and Songjiang volunteers of 千人联千户
in 纳丙村, one of them with a login), each alerted household given a helper, some alerts taken
through the home visit to a monitoring case, measures for most cases (some delivered), and
visits — a few of them overdue, and a few cases still without a measure past their deadline so
that the worklists show something. Generated through the services (with history); only the
admission dates of the cases waiting for a measure are moved back, as the demo's story needs
cases older than their one-month deadline. Deterministic and idempotent: a second run adds
nothing."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from bangfu.accounts.models import Role, User
from bangfu.accounts.services import user_upsert
from bangfu.assistance import services
from bangfu.assistance.models import Campaign, Helper, HelperOrigin, Measure
from bangfu.assistance.pairings import CampaignIn, campaign_create
from bangfu.monitoring import worklist
from bangfu.monitoring.models import Alert, AlertStatus, Case
from bangfu.regions.models import Region

NABING = "532822106207"  # 纳丙村, Menghai: the seed's tea village
VILLAGES = 12  # villages with alerts that get helpers
HOUSEHOLDS_PER_VILLAGE = 15
CASES_IN_NABING = 3  # leaves some of its alerts open for the worklist (and the browser tests)
HELPER_LOGIN = "nabing-helper"
SONGJIANG = "310117000000"
SONGJIANG_CAMPAIGN = "songjiang-qianrenlianqianhu"
DEMO_PASSWORD = "bangfu-demo"
CADRES = ("岩罕", "玉香", "岩温", "玉儿", "岩光", "玉应")
VOLUNTEERS = ("张伟（松江区·千人联千户）", "李娜（松江区·千人联千户）")
FINDINGS = (
    "家中有慢性病人，医保已参保，药费负担较重。",
    "主要劳动力外出务工中断，已登记就业需求。",
    "茶叶鲜叶收购价上涨，家庭收入有所恢复。",
    "房屋屋顶漏雨，已报村委会安排维修。",
    "子女在校就读，教育资助已落实。",
    "饮水正常，两不愁三保障无问题。",
)
MEASURES = (
    ("employment", "0", "松江区人社局", "转移就业，稳定务工收入"),
    ("industry", "3000.00", "沪滇协作资金", "茶叶种植增收"),
    ("medical_assistance", "2000.00", "县医保局", "减轻医疗费用负担"),
    ("public_welfare_job", "6000.00", "乡镇人民政府", "公益岗位增加工资性收入"),
    ("skills_training", "800.00", "松江区职业技能培训中心", "茶叶加工技能培训"),
)


@dataclass
class LoopDemo:
    helpers_created: int = 0
    assigned: int = 0
    cases_admitted: int = 0
    measures: int = 0
    visits: int = 0


def _villages_with_alerts() -> list[Region]:
    """纳丙村 (when it has alerts) and the first other villages with alerts."""
    waiting = Alert.objects.filter(status=AlertStatus.OPEN)
    chosen = [NABING] if waiting.filter(household__village__code=NABING).exists() else []
    others = (
        waiting.exclude(household__village__code=NABING)
        .values_list("household__village__code", flat=True)
        .distinct()
        .order_by("household__village__code")[: VILLAGES - len(chosen)]
    )
    return list(Region.objects.filter(code__in=[*chosen, *others]).order_by("code"))


def _helpers(admin: Any, village: Region, rng: random.Random) -> list[Helper]:
    existing = list(Helper.objects.filter(region=village).order_by("pk"))
    if existing:
        return existing
    names = rng.sample(CADRES, 2)
    helpers = [
        services.helper_create(
            actor=admin,
            data={
                "name": name,
                "unit": f"{village.name_zh}村民委员会",
                "post": "驻村工作队员" if i else "村干部",
                "phone": f"1380883{rng.randrange(10**4):04d}",
                "origin": HelperOrigin.LOCAL_CADRE,
                "region": village,
                "visit_every_days": 30,
            },
        )
        for i, name in enumerate(names)
    ]
    if village.code == NABING:
        helpers += [_volunteer(admin, village, name, i) for i, name in enumerate(VOLUNTEERS)]
    return helpers


def _songjiang_campaign(admin: Any) -> Campaign | None:
    """Songjiang's 千人联千户 volunteers belong to a campaign of the district, so the district's
    figures (``bangfu stats assistance --district 310117000000``) count them."""
    found = Campaign.objects.filter(code=SONGJIANG_CAMPAIGN).first()
    district = Region.objects.filter(code=SONGJIANG).first()
    if found is not None or district is None:
        return found
    return campaign_create(
        actor=admin,
        data=CampaignIn(
            code=SONGJIANG_CAMPAIGN,
            name="松江区“千人联千户”结对帮扶（演示）",
            district=district,
            start_year=2018,
            target_helpers=1000,
            target_households=1000,
            note="演示数据：松江区干部、职工与勐海县农户结对",
        ),
    )


def _volunteer(admin: Any, village: Region, name: str, index: int) -> Helper:
    user = None
    if index == 0:  # a helper who signs in and sees only their households
        user, _ = user_upsert(
            actor=admin,
            username=HELPER_LOGIN,
            role=Role.HELPER,
            display_name=name,
            capture_codes=[],
            view_codes=[],
            password=DEMO_PASSWORD,
        )
    return services.helper_create(
        actor=admin,
        data={
            "name": name,
            "unit": "上海市松江区（千人联千户）",
            "origin": HelperOrigin.EAST_VOLUNTEER,
            "region": village,
            "visit_every_days": 60,
            "user": user,
            "campaign": _songjiang_campaign(admin),
        },
    )


def _assign_and_visit(
    admin: Any, village: Region, helpers: list[Helper], rng: random.Random, report: LoopDemo
) -> list[Alert]:
    today = timezone.localdate()
    alerts = list(
        Alert.objects.filter(household__village=village, status=AlertStatus.OPEN)
        .select_related("household__village")
        .order_by("household__household_no")[:HOUSEHOLDS_PER_VILLAGE]
    )
    for i, alert in enumerate(alerts):
        household = alert.household
        if services.current_assignment(household) is not None:
            continue
        helper = helpers[i % len(helpers)]
        start = today - dt.timedelta(days=rng.randint(40, 120))
        services.assignment_start(actor=admin, helper=helper, household=household, start_date=start)
        report.assigned += 1
        if i % 4 != 3:  # every fourth household not visited yet: its visit is overdue
            services.visit_record(
                actor=admin,
                household=household,
                helper=helper,
                visited_on=today - dt.timedelta(days=rng.randint(3, 45)),
                findings=rng.choice(FINDINGS),
            )
            report.visits += 1
    return alerts


def _admit(admin: Any, alert: Alert, rng: random.Random) -> Case:
    today = timezone.localdate()
    worklist.alert_assign(actor=admin, pk=alert.pk, assignee=admin)
    worklist.alert_verify(
        actor=admin,
        pk=alert.pk,
        visit=worklist.Visit(visited_on=today, notes=rng.choice(FINDINGS), consent=True),
    )
    return worklist.alert_admit(
        actor=admin,
        pk=alert.pk,
        category=alert.category,
        # the rules' suggestion, or what the visit found (a type must be confirmed to admit)
        risk_types=list(alert.risk_types) or ["unstable_employment"],
    )


def _cases(admin: Any, alerts: list[Alert], rng: random.Random, report: LoopDemo) -> None:
    """In 纳丙村: admit some alerts as cases; most get a measure, two wait past the deadline."""
    today = timezone.localdate()
    for i, alert in enumerate(alerts[:CASES_IN_NABING]):
        case = _admit(admin, alert, rng)
        report.cases_admitted += 1
        if i < 2:  # the demo's story: admitted six weeks ago, still without a measure
            admitted = today - dt.timedelta(days=45)
            Case.objects.filter(pk=case.pk).update(
                admitted_on=admitted, measure_due_on=admitted + dt.timedelta(days=30)
            )
            continue
        kind, amount, funder, effect = MEASURES[i % len(MEASURES)]
        measure = services.measure_add(
            actor=admin,
            household=alert.household,
            kind=kind,
            start_date=today,
            amount=amount,
            funder=funder,
            expected_effect=effect,
        )
        report.measures += 1
        if i % 2 == 0:
            services.measure_deliver(actor=admin, measure=measure, delivered_on=today)


@transaction.atomic
def household_loop_demo(seed: int = 2020) -> LoopDemo:
    """Helpers, assignments, visits, cases and measures for the demo (see the module doc)."""
    report = LoopDemo()
    if Helper.objects.exists() or Measure.objects.exists():
        return report  # already there (or real data): nothing is added
    admin = User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    if admin is None:
        return report
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    for village in _villages_with_alerts():
        helpers = _helpers(admin, village, rng)
        report.helpers_created += len(helpers)
        alerts = _assign_and_visit(admin, village, helpers, rng, report)
        if village.code == NABING:
            _cases(admin, alerts, rng, report)
    return report
