"""The cooperative pages: the list (scoped, filtered, exported), a new cooperative, members,
shares, a year declared, its dividend preview and payment (reaching the members' income
records), the awards page and the household page's projects section."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from bangfu.projects import cooperatives
from bangfu.projects.models import (
    AwardCriterion,
    AwardScheme,
    Benefit,
    Cooperative,
    Mechanism,
    Membership,
    Project,
)
from bangfu.projects.services import project_account
from bangfu.regions.models import Region
from bangfu.registry.models import Household, LinkedIncome
from tests.projects.conftest import MENGHAI, NABING, make_households

pytestmark = pytest.mark.django_db

FOUNDED = dt.date(2024, 3, 1)


def _coop(users: dict[str, Any], code: str = "nabing-tea-coop") -> Cooperative:
    return cooperatives.cooperative_create(
        actor=users["admin"],
        code=code,
        name="纳丙村茶叶专业合作社",
        village=Region.objects.get(code=NABING),
        model="company",
        founded_on=FOUNDED,
        company="勐海茶业有限公司",
        leader="岩罕",
    )


def _with_members(users: dict[str, Any], coop: Cooperative, count: int = 3) -> list[Household]:
    households = make_households(users, count)
    for number, household in enumerate(households, start=1):
        cooperatives.member_join(
            actor=users["admin"], cooperative=coop, household=household, joined_on=FOUNDED
        )
        cooperatives.shares_add(
            actor=users["admin"],
            cooperative=coop,
            household=household,
            kind="cash",
            amount=f"{number * 1000}.00",
            shares=number * 10,
            recorded_on=FOUNDED,
        )
    return households


def test_the_list_is_scoped_and_filtered(users, client_for):
    coop = _coop(users)
    url = reverse("projects-cooperatives")
    page = client_for("nabing-village").get(url)
    assert page.status_code == 200
    assert coop.name in page.content.decode()
    assert coop.name not in client_for("mangshi-county").get(url).content.decode()
    filtered = client_for("menghai-county").get(url, {"region": "532822", "model": "company"})
    assert coop.name in filtered.content.decode()
    other = client_for("menghai-county").get(url, {"model": "tourism"})
    assert coop.name not in other.content.decode()
    no_income = client_for("menghai-county").get(url, {"income_year": "2025"})
    assert coop.name not in no_income.content.decode()
    cooperatives.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2025,
        revenue="100000",
        profit="20000",
        payout_ratio="0.5",
    )
    with_income = client_for("menghai-county").get(url, {"income_year": "2025"})
    assert coop.name in with_income.content.decode()
    hidden = client_for("mangshi-county").get(reverse("projects-coop", args=[coop.pk]))
    assert hidden.status_code == 404


def test_a_new_cooperative_from_the_list_and_a_refusal_beside_its_field(users, client_for):
    client = client_for("nabing-village")
    url = reverse("projects-cooperatives")
    data = {
        "code": "nabing-rice",
        "name": "纳丙村稻米合作社",
        "village": NABING,
        "model": "industry",
        "founded_on": "2024-01-10",
    }
    made = client.post(url, data)
    coop = Cooperative.objects.get(code="nabing-rice")
    assert made.status_code == 302 and made.url == reverse("projects-coop", args=[coop.pk])
    again = client.post(url, data)  # the code is taken
    assert again.status_code == 200
    assert 'id="error-code"' in again.content.decode()
    outside = client.post(url, {**data, "code": "other", "village": "533103000000"})
    assert 'id="error-village"' in outside.content.decode()
    auditor = client_for("auditor").post(url, {**data, "code": "aud"})
    assert auditor.status_code == 403


def test_join_leave_and_shares_from_the_page(users, client_for):
    coop = _coop(users)
    household = make_households(users, 1)[0]
    client = client_for("nabing-village")
    url = reverse("projects-coop", args=[coop.pk])
    joined = client.post(
        url, {"step": "join", "household": household.household_no, "joined_on": "2024-05-01"}
    )
    assert joined.status_code == 302
    membership = Membership.objects.get(cooperative=coop, household=household)
    shares = client.post(
        url,
        {
            "step": "shares",
            "household": household.household_no,
            "kind": "land",
            "amount": "3000",
            "shares": "30",
            "recorded_on": "2024-05-01",
        },
    )
    assert shares.status_code == 302
    page = client.get(url).content.decode()
    assert household.household_no in page and "勐海茶业有限公司" in page
    refused = client.post(
        url, {"step": "join", "household": household.household_no, "joined_on": "2024-06-01"}
    )
    assert 'id="error-household"' in refused.content.decode()
    unknown = client.post(url, {"step": "join", "household": "nobody", "joined_on": "2024-06-01"})
    assert 'id="error-household"' in unknown.content.decode()
    left = client.post(url, {"step": "leave", "membership": membership.pk, "left_on": "2024-12-01"})
    assert left.status_code == 302
    membership.refresh_from_db()
    assert membership.left_on == dt.date(2024, 12, 1)
    viewer = client_for("songjiang-office").post(
        url, {"step": "join", "household": household.household_no, "joined_on": "2024-06-01"}
    )
    assert viewer.status_code in (403, 404)


def test_declare_preview_and_pay_dividends_into_the_members_income(users, client_for):
    coop = _coop(users)
    households = _with_members(users, coop)
    client = client_for("nabing-village")
    url = reverse("projects-coop", args=[coop.pk])
    declared = client.post(
        url,
        {
            "step": "declare",
            "year": "2025",
            "revenue": "200000",
            "profit": "12345.67",
            "payout_ratio": "60%",
            "poor_minimum": "0",
        },
    )
    assert declared.status_code == 302
    year = coop.years.get(year=2025)
    plan = cooperatives.dividend_plan(year)
    assert sum(plan.values()) == int(Decimal("12345.67") * 100 * Decimal("0.6"))
    preview = client.get(url)
    preview_html = preview.content.decode()
    assert 'id="preview-2025"' in preview_html
    assert "7,407.40" in preview_html  # distributable = total of the preview
    refused = client.post(url, {"step": "pay", "year": year.pk, "entry_date": "2026-01-20"})
    assert 'id="error-voucher"' in refused.content.decode()
    paid = client.post(
        url, {"step": "pay", "year": year.pk, "entry_date": "2026-01-20", "voucher": "FH-2025"}
    )
    assert paid.status_code == 302
    year.refresh_from_db()
    assert year.dividend_entry_id is not None
    benefits = Benefit.objects.filter(cooperative=coop, mechanism=Mechanism.DIVIDEND)
    assert benefits.count() == 3
    assert sum(b.amount for b in benefits) == Decimal("7407.40")
    page = client.get(url).content.decode()
    assert 'id="dividend-table"' in page and 'id="preview-2025"' not in page
    biggest = households[2]
    linked = LinkedIncome.objects.get(household=biggest, year=2025)
    assert linked.income_type == "property_income"
    household_page = client.get(reverse("household-detail", args=[biggest.pk])).content.decode()
    assert 'id="linked-2025"' in household_page
    assert coop.name in household_page and f"/projects/cooperatives/{coop.pk}/" in household_page
    record = biggest.incomes.get(year=2025)
    assert record.property_income == linked.amount


def test_the_exports_open_with_openpyxl(users, client_for):
    coop = _coop(users)
    _with_members(users, coop, 2)
    client = client_for("menghai-county")
    listed = client.get(reverse("projects-coop-export"), {"region": NABING})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(listed.streaming_content)))
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == coop.code and rows[1][6] == 2 and rows[1][8] == 30
    members = client.get(reverse("projects-coop-members-export", args=[coop.pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(members.streaming_content)))
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    assert {r[0] for r in rows[1:]} == {f"{NABING}0001", f"{NABING}0002"}


def test_a_members_export_with_names_is_logged_and_one_without_is_not(users, client_for):
    from bangfu.audit.models import AccessLogEntry

    coop = _coop(users)
    _with_members(users, coop, 2)
    url = reverse("projects-coop-members-export", args=[coop.pk])
    before = AccessLogEntry.objects.count()
    b"".join(client_for("menghai-county").get(url).streaming_content)
    logged = AccessLogEntry.objects.order_by("-pk").first()
    assert AccessLogEntry.objects.count() == before + 1
    assert logged is not None and logged.kind == "export" and len(logged.object_ids) == 2
    b"".join(client_for("auditor").get(url).streaming_content)  # masked: names not shown
    assert AccessLogEntry.objects.count() == before + 1


def test_the_awards_page_grants_to_the_eligible(users, client_for, project: Project):
    coop = _coop(users)
    _coop(users, "nabing-idle")
    cooperatives.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2025,
        revenue="50000",
        profit="10000",
        payout_ratio="0.5",
    )
    scheme = AwardScheme.objects.create(
        code="first-income-2025",
        name="首次盈利奖补",
        year=2025,
        criterion=AwardCriterion.FIRST_INCOME,
        amount=Decimal("20000.00"),
        paying_account=project_account(project),
        region=Region.objects.get(code=MENGHAI),
    )
    client = client_for("menghai-county")
    url = reverse("projects-awards")
    page = client.get(url).content.decode()
    assert 'id="scheme-first-income-2025"' in page and 'id="grant-first-income-2025"' in page
    assert "nabing-idle" in page
    assert client_for("mangshi-county").get(url).content.decode().count("首次盈利奖补") == 0
    granted = client.post(
        url, {"scheme": scheme.pk, "entry_date": "2025-12-01", "voucher": "JB-2025-1"}
    )
    assert granted.status_code == 302
    assert list(scheme.awards.values_list("cooperative__code", flat=True)) == [coop.code]
    after = client.get(url).content.decode()
    assert 'data-awarded="1"' in after and 'id="grant-first-income-2025"' not in after
    coop_page = client.get(reverse("projects-coop", args=[coop.pk])).content.decode()
    assert "首次盈利奖补" in coop_page


def test_an_award_scheme_is_set_up_on_the_page_and_refusals_name_the_field(
    users, client_for, project: Project
):
    client = client_for("menghai-county")
    url = reverse("projects-awards")
    form = {
        "step": "scheme",
        "code": "profit-2025",
        "name": "盈利奖补",
        "year": "2025",
        "criterion": "profit_at_least",
        "threshold": "",
        "amount": "10000",
        "paying_project": str(project.pk),
        "region": MENGHAI,
    }
    refused = client.post(url, form).content.decode()
    assert 'data-field="threshold"' in refused and 'value="盈利奖补"' in refused
    assert not AwardScheme.objects.exists()
    assert client.post(url, {**form, "threshold": "5000"}).status_code == 302
    scheme = AwardScheme.objects.get(code="profit-2025")
    assert scheme.threshold == Decimal("5000.00") and scheme.paying_account.project == project
    outside = client.post(url, {**form, "code": "x", "region": "533103000000", "threshold": "1"})
    assert 'data-field="region"' in outside.content.decode()
    # Another county has no project of its own to pay from: no form, and a post is refused.
    assert 'id="scheme-form"' not in client_for("mangshi-county").get(url).content.decode()


def test_the_household_page_shows_memberships_and_benefits(users, client_for):
    coop = _coop(users)
    households = _with_members(users, coop, 2)
    cooperatives.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2025,
        revenue="50000",
        profit="1000",
        payout_ratio="1",
    )
    cooperatives.dividends_pay(
        actor=users["admin"],
        cooperative_year=coop.years.get(year=2025),
        entry_date=dt.date(2026, 1, 5),
        voucher="FH-1",
    )
    client = client_for("nabing-village")
    page = client.get(reverse("household-detail", args=[households[0].pk])).content.decode()
    assert 'id="projects-panel"' in page and 'id="panel-benefits"' in page
    assert reverse("projects-coop", args=[coop.pk]) in page
    outsider = make_households(users, 1, first=50)[0]
    plain = client.get(reverse("household-detail", args=[outsider.pk])).content.decode()
    assert 'id="projects-panel"' not in plain
