"""Demo data of social pairing and secondments, from the seed article's figures:

* **Fengxian's "千百十" campaign** (奉贤区, 2017–2020): targets 1,000 people ↔ 1,000 households,
  100 enterprises ↔ 100 villages, 10 sectors. 100 clearly fictional enterprises (names end in
  "（演示）"), registered in Fengxian's towns, each paired with a village of Wuchuan (务川县) or
  Fenggang (凤冈县) under the district pairing Fengxian ↔ that county; and one pairing per
  sector (education: school ↔ school; health: hospital ↔ hospital; eight units and
  organisations ↔ villages). The villages are those of the two counties in the database: the
  reference data has none there, so they are the demo villages the registry's demo plans
  (``registry.demo.demo_villages_plan``: 59 in Wuchuan, 39 in Fenggang, ``示范村01`` …);
  missing ones are created first, exactly as the registry's demo would create them. With 98
  villages the 100 enterprises reach 98 villages (two villages have two enterprises): the
  campaign page shows the records, not the article's target.
* **Qingpu ↔ Dehong secondments** (青浦区 ↔ 德宏州): 11 cadres, 21 teachers and 19 doctors,
  long term, posted to Mangshi (芒市), Lianghe (梁河) and Yingjiang (盈江), serving in 2020
  (completed since). Names are fictional.

Helpers, assignments, plans, visits and donations are not made here (their owners' demos add
them). Everything goes through the services (validated, audited, actor "system");
deterministic; idempotent: a record that exists (partner by name and region, campaign by code,
pairing by partner, region, kind and campaign, secondment by pairing, person, field and start)
is left as it is, so a second run writes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from bangfu.assistance.models import (
    Campaign,
    Direction,
    Partner,
    PartnerKind,
    Secondment,
    SecondmentField,
    SecondmentStatus,
    SocialPairing,
    SocialPairingKind,
)
from bangfu.assistance.pairings import (
    CampaignIn,
    PartnerIn,
    SocialPairingIn,
    campaign_create,
    partner_create,
    social_pairing_create,
)
from bangfu.assistance.secondments import SecondmentIn, secondment_create
from bangfu.regions.codes import Level
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope
from bangfu.regions.services import RegionIn, region_create
from bangfu.registry.demo import demo_villages_plan

FENGXIAN, WUCHUAN, FENGGANG = "310120000000", "520326000000", "520327000000"
QINGPU, DEHONG = "310118000000", "533100000000"
MANGSHI, LIANGHE, YINGJIANG = "533103000000", "533122000000", "533123000000"
CAMPAIGN_CODE = "fengxian-qianbaishi"
ENTERPRISES = 100
DEMO = "（演示）"
EVERYTHING = RegionScope.everything()

# Enterprise names: a made-up trade name and a line of business; every pair is distinct.
TRADE_NAMES = (
    "申贤",
    "海湾",
    "贤城",
    "南桥源",
    "奉谷",
    "金汇禾",
    "青溪",
    "柘海",
    "四团星",
    "庄行丰",
)
BUSINESSES = (
    "食品",
    "生物科技",
    "包装材料",
    "机电设备",
    "化妆品",
    "物流",
    "园林绿化",
    "电子科技",
    "建材",
    "农业发展",
)

# (sector, partner kind, partner name, pairing kind, counterpart, western region)
SECTORS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("教育", PartnerKind.SCHOOL, "奉贤区示范中学", SocialPairingKind.SCHOOL_SCHOOL,
     "务川县示范中学" + DEMO, "520326001000"),
    ("卫生健康", PartnerKind.HOSPITAL, "奉贤区示范医院", SocialPairingKind.HOSPITAL_HOSPITAL,
     "凤冈县示范医院" + DEMO, "520327001000"),
    ("农业农村", PartnerKind.UNIT, "奉贤区农业农村委员会", SocialPairingKind.UNIT_VILLAGE, "", ""),
    ("商务", PartnerKind.UNIT, "奉贤区商务委员会", SocialPairingKind.UNIT_VILLAGE, "", ""),
    ("文化旅游", PartnerKind.UNIT, "奉贤区文化和旅游局", SocialPairingKind.UNIT_VILLAGE, "", ""),
    ("人力资源和社会保障", PartnerKind.UNIT, "奉贤区人力资源和社会保障局",
     SocialPairingKind.UNIT_VILLAGE, "", ""),
    ("科技", PartnerKind.UNIT, "奉贤区科学技术委员会", SocialPairingKind.UNIT_VILLAGE, "", ""),
    ("民政", PartnerKind.SOCIAL_ORG, "奉贤区慈善基金会", SocialPairingKind.ORG_VILLAGE, "", ""),
    ("妇联", PartnerKind.SOCIAL_ORG, "奉贤区妇女联合会", SocialPairingKind.ORG_VILLAGE, "", ""),
    ("工商联", PartnerKind.SOCIAL_ORG, "奉贤区工商业联合会", SocialPairingKind.ORG_VILLAGE, "", ""),
)  # fmt: skip

# Qingpu's people in Dehong: (field, how many, home unit, posting units by county, post, span)
SECONDMENTS: tuple[tuple[str, int, str, dict[str, str], str, dt.date, dt.date], ...] = (
    (SecondmentField.CADRE, 11, "青浦区机关单位",
     {MANGSHI: "芒市乡村振兴局", LIANGHE: "梁河县乡村振兴局", YINGJIANG: "盈江县乡村振兴局"},
     "挂职副局长", dt.date(2019, 7, 1), dt.date(2022, 6, 30)),
    (SecondmentField.TEACHER, 21, "青浦区示范中学" + DEMO,
     {MANGSHI: "芒市示范中学" + DEMO, LIANGHE: "梁河县示范中学" + DEMO,
      YINGJIANG: "盈江县示范中学" + DEMO},
     "支教教师", dt.date(2020, 2, 15), dt.date(2021, 1, 31)),
    (SecondmentField.DOCTOR, 19, "青浦区示范医院" + DEMO,
     {MANGSHI: "芒市示范医院" + DEMO, LIANGHE: "梁河县示范医院" + DEMO,
      YINGJIANG: "盈江县示范医院" + DEMO},
     "支医医生", dt.date(2020, 3, 1), dt.date(2021, 2, 28)),
)  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力斌宇浩凯健俊帆"


@dataclass
class AssistanceDemo:
    villages_created: int = 0
    partners_created: int = 0
    campaigns_created: int = 0
    pairings_created: int = 0
    secondments_created: int = 0
    donations_created: int = 0


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


def _villages(report: AssistanceDemo) -> list[Region]:
    """Villages of Wuchuan and Fenggang, creating the registry demo's planned ones if missing."""
    counties = RegionScope.of([WUCHUAN, FENGGANG])
    existing = set(Region.objects.filter(counties.q("code")).values_list("code", flat=True))
    for spec in demo_villages_plan():
        if spec.code in existing or not spec.synthetic or not counties.covers(spec.code):
            continue
        region_create(
            actor=None,
            capture=EVERYTHING,
            view=EVERYTHING,
            data=RegionIn(
                code=spec.code,
                name_zh=spec.name_zh,
                name_en=spec.name_en,
                level=Level.VILLAGE,
                parent_code=spec.township_code,
            ),
        )
        report.villages_created += 1
    return list(Region.objects.filter(counties.q("code"), level=Level.VILLAGE).order_by("code"))


def _partner(report: AssistanceDemo, name: str, kind: str, region: Region, note: str) -> Partner:
    found = Partner.objects.filter(name=name, region=region).first()
    if found is not None:
        return found
    report.partners_created += 1
    return partner_create(
        actor=None,
        capture=EVERYTHING,
        data=PartnerIn(name=name, kind=kind, region=region, note=note),
    )


def _social_pairing(report: AssistanceDemo, data: SocialPairingIn) -> None:
    exists = SocialPairing.objects.filter(
        partner=data.partner, west=data.west, kind=data.kind, campaign=data.campaign
    ).exists()
    if not exists:
        social_pairing_create(actor=None, capture=EVERYTHING, data=data)
        report.pairings_created += 1


def _campaign(report: AssistanceDemo) -> Campaign:
    found = Campaign.objects.filter(code=CAMPAIGN_CODE).first()
    if found is not None:
        return found
    report.campaigns_created += 1
    return campaign_create(
        actor=None,
        capture=EVERYTHING,
        data=CampaignIn(
            code=CAMPAIGN_CODE,
            name="奉贤区“千百十”结对帮扶行动",
            district=Region.objects.get(code=FENGXIAN),
            start_year=2017,
            end_year=2020,
            target_helpers=1000,
            target_households=1000,
            target_enterprises=100,
            target_villages=100,
            target_sectors=10,
            note="千人联千户、百企联百村、十行业结对（目标取自原文；演示数据）",
        ),
    )


def _fengxian(report: AssistanceDemo) -> None:
    campaign = _campaign(report)
    villages = _villages(report)
    if not villages:
        return
    by_county = {WUCHUAN: _pairing(FENGXIAN, WUCHUAN), FENGGANG: _pairing(FENGXIAN, FENGGANG)}
    towns = list(
        Region.objects.filter(parent__code=FENGXIAN, name_zh__endswith="镇").order_by("code")
    ) or [Region.objects.get(code=FENGXIAN)]
    rng = random.Random(2017)  # noqa: S311 - demo figures, not secrets
    for i in range(ENTERPRISES):
        town = towns[i % len(towns)]
        name = f"上海{TRADE_NAMES[i % 10]}{BUSINESSES[(i // 10 + i) % 10]}有限公司{DEMO}"
        partner = _partner(report, name, PartnerKind.ENTERPRISE, town, "虚构企业（演示数据）")
        village = villages[i % len(villages)]
        jobs = rng.choice((0, 0, 2, 3, 5, 8))
        _social_pairing(
            report,
            SocialPairingIn(
                kind=SocialPairingKind.ENTERPRISE_VILLAGE,
                partner=partner,
                west=village,
                regional_pairing=by_county[village.code[:6] + "000000"],
                campaign=campaign,
                start_date=dt.date(2018, 1 + i % 12, 1 + i % 28),
                committed_money=Decimal(rng.randrange(20, 301) * 1000),
                committed_goods="" if i % 4 else "农资、办公用品",
                committed_goods_value=Decimal(0 if i % 4 else rng.randrange(5, 51) * 1000),
                committed_jobs=jobs,
                committed_purchases=Decimal(rng.randrange(0, 51) * 10000),
                note="演示数据",
            ),
        )
    fengxian = Region.objects.get(code=FENGXIAN)
    for j, (sector, kind, name, pairing_kind, counterpart, west_code) in enumerate(SECTORS):
        partner = _partner(report, name + DEMO, kind, fengxian, "演示数据")
        west = (
            Region.objects.get(code=west_code)
            if west_code
            else villages[(j * 11 + 5) % len(villages)]
        )
        _social_pairing(
            report,
            SocialPairingIn(
                kind=pairing_kind,
                partner=partner,
                west=west,
                counterpart=counterpart,
                regional_pairing=by_county[west.code[:6] + "000000"],
                campaign=campaign,
                sector=sector,
                start_date=dt.date(2018, 3, 1),
                committed_money=Decimal(rng.randrange(5, 31) * 10000),
                note="演示数据",
            ),
        )


# The seed: "individuals 6.099 million yuan, enterprises 10.918 million yuan in place".
INDIVIDUAL_YUAN = Decimal("6099000.00")
ENTERPRISE_YUAN = Decimal("10918000.00")
INDIVIDUAL_DONORS = 120


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """``parts`` amounts in whole hundreds of yuan (the last one in fen if need be) that add
    up to ``total`` exactly."""
    weights = [rng.randint(5, 30) for _ in range(parts)]
    hundreds = [int(total / 100 * w / sum(weights)) * 100 for w in weights]
    amounts = [Decimal(h) for h in hundreds]
    amounts[-1] += total - sum(amounts)
    return amounts


def _donations(report: AssistanceDemo) -> None:
    """Receipts reproducing the seed's totals: each enterprise's money to its village pairing,
    the individuals' (千人联千户 volunteers) to the campaign. Recorded through the ledger."""
    from bangfu.accounts.models import Role, User
    from bangfu.assistance.donations import donation_record
    from bangfu.assistance.models import DonationEntry, DonationForm, DonationKind, DonorType

    campaign = Campaign.objects.filter(code=CAMPAIGN_CODE).first()
    actor = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if campaign is None or actor is None or DonationEntry.objects.filter(campaign=campaign):
        return
    rng = random.Random(2020)  # noqa: S311 - demo figures, not secrets
    enterprise = SocialPairing.objects.filter(
        campaign=campaign, kind=SocialPairingKind.ENTERPRISE_VILLAGE
    ).order_by("pk")
    pairings = list(enterprise.select_related("partner"))
    common: dict[str, Any] = {
        "actor": actor,
        "kind": DonationKind.RECEIPT,
        "form": DonationForm.MONEY,
    }
    for i, (pairing, amount) in enumerate(
        zip(pairings, _split(ENTERPRISE_YUAN, len(pairings), rng), strict=True)
    ):
        donation_record(
            **common,
            pairing=pairing,
            donor_name=pairing.partner.name,
            donor_type=DonorType.ENTERPRISE,
            amount=amount,
            receipt_no=f"FX-E-{i + 1:04d}",
            entry_date=dt.date(2019, 1 + i % 12, 1 + i % 28),
            note="演示数据",
        )
        report.donations_created += 1
    taken: set[str] = set()
    for i, amount in enumerate(_split(INDIVIDUAL_YUAN, INDIVIDUAL_DONORS, rng)):
        donation_record(
            **common,
            campaign=campaign,
            donor_name=_name(rng, taken) + DEMO,
            donor_type=DonorType.INDIVIDUAL,
            amount=amount,
            receipt_no=f"FX-P-{i + 1:04d}",
            entry_date=dt.date(2019, 1 + i % 12, 1 + i % 28),
            note="千人联千户 个人捐款（演示数据）",
        )
        report.donations_created += 1


def _name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in taken:
            taken.add(name)
            return name


def _qingpu(report: AssistanceDemo) -> None:
    pairing = _pairing(QINGPU, DEHONG)
    counties = {r.code: r for r in Region.objects.filter(code__in=[MANGSHI, LIANGHE, YINGJIANG])}
    order = [MANGSHI, LIANGHE, YINGJIANG]
    rng = random.Random(2020)  # noqa: S311 - fictional names
    taken: set[str] = set()
    for field, count, home_unit, units, post, start, end in SECONDMENTS:
        for i in range(count):
            county = order[i % len(order)]
            person = _name(rng, taken)
            if Secondment.objects.filter(
                pairing=pairing, person=person, field=field, start_date=start
            ).exists():
                continue
            secondment_create(
                actor=None,
                capture=EVERYTHING,
                data=SecondmentIn(
                    person=person,
                    field=field,
                    direction=Direction.EAST_TO_WEST,
                    pairing=pairing,
                    home_unit=home_unit,
                    posting_unit=units[county],
                    posting_region=counties[county],
                    post=post,
                    start_date=start,
                    end_date=end,
                    long_term=True,
                    status=SecondmentStatus.COMPLETED,
                    note="虚构人员（演示数据）",
                ),
            )
            report.secondments_created += 1


@transaction.atomic
def assistance_demo_load(*, donations: bool = True) -> AssistanceDemo:
    """Add the campaign, partners, social pairings, the ledger's receipts giving the seed's
    totals (unless ``donations`` is false) and secondments (see the module's docstring);
    needs the reference regions, pairings and users. Returns what was created."""
    report = AssistanceDemo()
    _fengxian(report)
    if donations:
        _donations(report)
    _qingpu(report)
    return report
