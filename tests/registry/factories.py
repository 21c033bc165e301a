"""Test data for the registry: valid ID numbers and household inputs."""

from __future__ import annotations

import datetime as dt
import itertools

from bangfu.registry.idnumber import check_character
from bangfu.registry.services import HouseholdIn, MemberIn

_sequence = itertools.count(100)


def id_number(birth: dt.date, *, male: bool = True, region: str = "532822") -> str:
    """A valid 18-digit number for the birth date (a fresh sequence each call)."""
    seq = next(_sequence) % 1000
    seq = seq - seq % 2 + (1 if male else 0)  # odd 17th digit = male
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def household_in(
    no: str = "5328221062070001", village: str = "532822106207", **overrides: object
) -> HouseholdIn:
    members = [
        MemberIn(
            name="岩温",
            id_number=id_number(dt.date(1975, 3, 2)),
            relation="户主",
            ethnicity="傣族",
            education="初中",
            health="健康",
            labour_skill="普通劳动力",
            insured_basic_medical=True,
            insured_critical_illness=True,
        ),
        MemberIn(
            name="玉香",
            id_number=id_number(dt.date(1978, 7, 9), male=False),
            relation="配偶",
            ethnicity="傣族",
            education="小学",
            health="长期慢性病",
            insured_basic_medical=True,
            insured_critical_illness=True,
        ),
        MemberIn(
            name="岩罕",
            id_number=id_number(dt.date(2014, 9, 1)),
            relation="之子",
            ethnicity="傣族",
            student_status="小学",
            insured_basic_medical=True,
            insured_critical_illness=True,
        ),
    ]
    data = HouseholdIn(
        household_no=no,
        village_code=village,
        members=members,
        main_cause="缺技术",
        poverty_attribute="一般贫困户",
        phone="13800000000",
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data
