"""Fixtures of the project tests: a project in 纳丙村's county with money allocated to it,
households of 纳丙村 with income records for 2025."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bangfu.accounts.scopes import scope_for
from bangfu.projects import services
from bangfu.projects.models import Project
from bangfu.regions.models import Pairing, Region
from bangfu.registry.models import Household
from bangfu.registry.services import household_save, income_record_save
from tests.registry.factories import household_in

NABING = "532822106207"
MENGHAI = "532822000000"
DAY = dt.date(2025, 6, 10)


@pytest.fixture
def project(users: dict[str, Any]) -> Project:
    admin = users["admin"]
    pairing = Pairing.objects.filter(west__code=MENGHAI).first()
    made = services.project_save(
        actor=admin,
        code="nabing-tea",
        name="纳丙村茶叶精制厂",
        kind="industry",
        region=Region.objects.get(code=MENGHAI),
        year=2025,
        pairing=pairing,
        implementer="勐海县农业农村局",
    )
    services.fund(
        actor=admin,
        fund_source="east_aid",
        year=2025,
        amount="1000000.00",
        entry_date=DAY,
        voucher="HD-2025-01",
        idempotency_key="fund-1",
    )
    services.allocate(
        actor=admin,
        project=made,
        fund_source="east_aid",
        year=2025,
        amount="600000.00",
        entry_date=DAY,
        voucher="HD-2025-02",
        idempotency_key="alloc-1",
    )
    return made


def make_households(
    users: dict[str, Any], count: int, *, year: int = 2025, first: int = 1
) -> list[Household]:
    """``count`` households of 纳丙村, each with an income record for ``year``."""
    admin = users["admin"]
    capture = scope_for(admin, "capture")
    made = []
    for i in range(first, first + count):
        data = household_in(no=f"{NABING}{i:04d}", village=NABING)
        household, _ = household_save(actor=admin, capture=capture, data=data)
        income_record_save(
            actor=admin,
            capture=capture,
            household=household,
            year=year,
            amounts={"wage_income": "8000.00", "business_income": "3000.00"},
        )
        made.append(household)
    return made


def fen(value: str) -> int:
    return int(Decimal(value) * 100)
