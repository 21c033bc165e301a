"""Linked income on the household page and the income form: each year's linked incomes are
listed under its income record with their origin, the figures that include them are marked,
and the form holds only the part entered by hand (the linked part is added on saving)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from bangfu.accounts.scopes import scope_for
from bangfu.registry.linked_income import LinkedIncomeIn, linked_income_add
from bangfu.registry.models import Household
from bangfu.registry.services import household_save, income_record_save
from tests.registry.factories import household_in

pytestmark = pytest.mark.django_db

NABING = "532822106207"


def _household(users: dict[str, Any]) -> Household:
    admin = users["admin"]
    capture = scope_for(admin, "capture")
    household, _ = household_save(
        actor=admin, capture=capture, data=household_in(no=f"{NABING}0901", village=NABING)
    )
    income_record_save(
        actor=admin,
        capture=capture,
        household=household,
        year=2025,
        amounts={"wage_income": "8000.00", "property_income": "500.00"},
    )
    return household


def _link(users: dict[str, Any], household: Household, year: int, key: str) -> None:
    linked_income_add(
        actor=users["admin"],
        rows=[
            LinkedIncomeIn(
                household_id=household.pk,
                year=year,
                income_type="property_income",
                amount=Decimal("1234.50"),
                origin="纳丙村茶叶专业合作社 · 分红",
                origin_key=key,
                origin_url="/projects/cooperatives/1/",
            )
        ],
    )


def test_the_household_page_lists_linked_income_under_its_year(users, client_for):
    household = _household(users)
    _link(users, household, 2025, "test:1")
    _link(users, household, 2026, "test:2")  # no record for 2026 yet: it waits
    page = client_for("nabing-village").get(reverse("household-detail", args=[household.pk]))
    html = page.content.decode()
    assert 'id="linked-2025"' in html
    assert '<a href="/projects/cooperatives/1/">纳丙村茶叶专业合作社 · 分红</a>' in html
    assert "1,234.50" in html and 'class="linked-mark"' in html
    assert 'id="linked-waiting"' in html
    rows = page.context["income_rows"]
    assert [(r.year, len(linked)) for r, linked in rows] == [(2025, 1)]
    assert [year for year, _linked in page.context["linked_waiting"]] == [2026]


def test_a_household_without_linked_income_shows_no_marks(users, client_for):
    household = _household(users)
    html = (
        client_for("nabing-village")
        .get(reverse("household-detail", args=[household.pk]))
        .content.decode()
    )
    assert 'class="linked-mark"' not in html and 'id="linked-waiting"' not in html


def test_the_income_form_holds_the_entered_part_and_saving_keeps_the_linked(users, client_for):
    household = _household(users)
    _link(users, household, 2025, "test:1")
    record = household.incomes.get(year=2025)
    assert record.property_income == Decimal("1734.50")
    client = client_for("nabing-village")
    url = reverse("household-income", args=[household.pk])
    form = client.get(url, {"year": "2025"})
    assert form.context["form"].initial["property_income"] == Decimal("500.00")
    assert form.context["form"].initial["wage_income"] == Decimal("8000.00")
    html = form.content.decode()
    assert 'id="linked-note"' in html and "纳丙村茶叶专业合作社 · 分红" in html
    data = {
        k: v if v is not None else ""
        for k, v in form.context["form"].initial.items()
        if k != "reason"
    }
    data["property_income"] = "600.00"
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    record.refresh_from_db()
    assert record.property_income == Decimal("1834.50")
