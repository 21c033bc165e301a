"""Benefit-linking (联农带农) end to end: a project pays households through the ledger, the
payment is split exactly per household, and each household's income record for the year shows
the benefit with its origin — and loses it again when the payment is reversed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bangfu.accounts.scopes import scope_for
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.projects.benefits import BenefitIn, benefit_pay, benefit_record, payment_reverse
from bangfu.projects.flow import fund_flow
from bangfu.projects.ledger import ledger_verify
from bangfu.projects.models import Benefit
from bangfu.projects.services import project_account, source_account
from bangfu.regions.models import Region
from bangfu.registry.linked_income import entered_amounts
from bangfu.registry.models import IncomeRecord, LinkedIncome
from bangfu.registry.services import income_record_save
from tests.projects.conftest import DAY, make_households

pytestmark = pytest.mark.django_db


def pay(users: dict[str, Any], project: Any, rows: list[BenefitIn], key: str = "pay-1", **kw: Any):
    return benefit_pay(
        actor=users["admin"],
        project=project,
        source=source_account("east_aid", 2025),
        mechanism=kw.pop("mechanism", "wages"),
        year=2025,
        rows=rows,
        entry_date=DAY,
        voucher=kw.pop("voucher", "GZ-001"),
        idempotency_key=key,
        **kw,
    )


def test_a_payment_reaches_the_households_income_records_with_its_origin(users, project):
    first, second = make_households(users, 2)
    entry = pay(users, project, [BenefitIn("3600.00", first), BenefitIn("2400.50", second)])

    record = IncomeRecord.objects.get(household=first, year=2025)
    assert record.wage_income == Decimal("11600.00")  # 8000 entered + 3600 project wages
    assert record.net_income == Decimal("14600.00")
    assert entered_amounts(record)["wage_income"] == Decimal("8000.00")
    linked = LinkedIncome.objects.get(household=first, year=2025)
    assert linked.amount == Decimal("3600.00") and linked.income_type == "wage_income"
    assert "纳丙村茶叶精制厂" in linked.origin and linked.origin_url == f"/projects/{project.pk}/"
    first.refresh_from_db()
    assert first.latest_net_income_pc == record.net_income_pc

    # The split adds up to the payment, which came from the project's allocation.
    assert sum(b.amount for b in entry.benefits.all()) == Decimal("6000.50")
    assert sorted(p.amount_fen for p in entry.postings.all()) == [-600050, 600050]
    flow = fund_flow(project)
    assert (flow.received, flow.paid, flow.held) == (60_000_000, 600050, 60_000_000 - 600050)
    assert flow.reconciled and flow.difference == 0
    assert ledger_verify() == []


def test_the_same_payment_twice_pays_once_and_another_split_under_its_key_is_refused(
    users, project
):
    first, second = make_households(users, 2)
    rows = [BenefitIn("100.00", first), BenefitIn("200.00", second)]
    one = pay(users, project, rows)
    again = pay(users, project, rows)
    assert one.pk == again.pk
    assert Benefit.objects.count() == 2 and LinkedIncome.objects.count() == 2
    assert IncomeRecord.objects.get(household=first, year=2025).wage_income == Decimal("8100.00")
    with pytest.raises(BangfuError) as refused:
        pay(users, project, [BenefitIn("200.00", first), BenefitIn("100.00", second)])
    assert refused.value.code == ErrorCode.LEDGER_IDEMPOTENCY_CONFLICT


def test_entering_the_years_income_again_keeps_the_linked_part(users, project):
    (household,) = make_households(users, 1)
    pay(users, project, [BenefitIn("500.00", household)], mechanism="land_rent")
    admin = users["admin"]
    income_record_save(
        actor=admin,
        capture=scope_for(admin, "capture"),
        household=household,
        year=2025,
        amounts={"wage_income": "9000.00", "property_income": "100.00"},
    )
    record = IncomeRecord.objects.get(household=household, year=2025)
    assert record.property_income == Decimal("600.00")  # 100 entered + 500 land rent
    assert entered_amounts(record)["property_income"] == Decimal("100.00")


def test_a_benefit_before_its_years_record_waits_for_it(users, project):
    (household,) = make_households(users, 1, year=2024)
    pay(users, project, [BenefitIn("700.00", household)])
    assert not IncomeRecord.objects.filter(household=household, year=2025).exists()
    admin = users["admin"]
    income_record_save(
        actor=admin,
        capture=scope_for(admin, "capture"),
        household=household,
        year=2025,
        amounts={"wage_income": "5000.00"},
    )
    assert IncomeRecord.objects.get(household=household, year=2025).wage_income == Decimal(
        "5700.00"
    )


def test_a_reversed_payment_takes_the_income_back_out(users, project):
    first, second = make_households(users, 2)
    entry = pay(users, project, [BenefitIn("300.00", first), BenefitIn("300.00", second)])
    payment_reverse(
        actor=users["admin"],
        entry=entry,
        entry_date=DAY,
        voucher="CX-1",
        idempotency_key="rev-1",
        reason="wrong households",
    )
    assert IncomeRecord.objects.get(household=first, year=2025).wage_income == Decimal("8000.00")
    assert not LinkedIncome.objects.exists()
    flow = fund_flow(project)
    assert flow.paid == 0 and flow.held == flow.received and flow.reconciled
    assert ledger_verify() == []


def test_produce_is_quantity_times_price_and_bad_rows_are_named(users, project):
    first, second = make_households(users, 2)
    entries = benefit_record(
        actor=users["admin"],
        project=project,
        mechanism="produce",
        year=2025,
        rows=[BenefitIn("1200.00", first, quantity="60", unit="kg", unit_price="20.00")],
    )
    assert entries[0].entry is None
    record = IncomeRecord.objects.get(household=first, year=2025)
    assert record.business_income == Decimal("4200.00")
    with pytest.raises(BangfuError) as wrong:
        benefit_record(
            actor=users["admin"],
            project=project,
            mechanism="produce",
            year=2025,
            rows=[
                BenefitIn("10.00", second, quantity="1", unit_price="10"),
                BenefitIn("1000.00", first, quantity="60", unit_price="20.00"),
            ],
        )
    assert "Row 2" in wrong.value.message and "60 × 20.00 is 1200.00" in wrong.value.message
    assert Benefit.objects.count() == 1  # nothing half-written


def test_a_household_outside_the_projects_region_is_refused(users):
    """A project of 勐往乡 cannot pay a household of 纳丙村 (勐阿镇)."""
    from bangfu.projects.services import allocate, fund, project_save

    admin = users["admin"]
    township = project_save(
        actor=admin,
        code="mengwang-roads",
        name="勐往乡道路",
        kind="infrastructure",
        region=Region.objects.get(code="532822202000"),
        year=2025,
    )
    fund(
        actor=admin,
        fund_source="local_fiscal",
        year=2025,
        amount="100",
        entry_date=DAY,
        voucher="F",
        idempotency_key="f",
    )
    allocate(
        actor=admin,
        project=township,
        fund_source="local_fiscal",
        year=2025,
        amount="100",
        entry_date=DAY,
        voucher="A",
        idempotency_key="a",
    )
    (nabing,) = make_households(users, 1)
    with pytest.raises(BangfuError) as refused:
        benefit_pay(
            actor=admin,
            project=township,
            source=source_account("local_fiscal", 2025),
            mechanism="wages",
            year=2025,
            rows=[BenefitIn("1.00", nabing)],
            entry_date=DAY,
            voucher="P",
            idempotency_key="p",
        )
    assert refused.value.field == "household" and "outside 勐往乡" in refused.value.message
    assert not Benefit.objects.exists()


def test_more_than_the_project_holds_cannot_be_paid(users, project):
    (household,) = make_households(users, 1)
    with pytest.raises(BangfuError) as refused:
        pay(users, project, [BenefitIn("600000.01", household)])
    assert refused.value.code == ErrorCode.LEDGER_INSUFFICIENT_FUNDS
    assert not Benefit.objects.exists() and not LinkedIncome.objects.exists()
    assert project_account(project).postings.count() == 1


def test_the_api_shows_the_linked_income_in_the_households_income(
    users, project, api_token, client
):
    (household,) = make_households(users, 1)
    pay(users, project, [BenefitIn("250.00", household)])
    response = client.get(
        f"/api/v1/households/{household.pk}/incomes", headers=api_token("menghai-county")
    )
    assert response.status_code == 200
    (income,) = response.json()
    assert Decimal(income["wage_income"]) == Decimal("8250.00")
    (linked,) = income["linked"]
    assert linked["income_type"] == "wage_income" and Decimal(linked["amount"]) == Decimal("250")
    assert "纳丙村茶叶精制厂" in linked["origin"]


@pytest.mark.parametrize(("quantity", "price"), [("1e30", "1"), ("1", "99999999999"), ("-1", "2")])
def test_a_bad_quantity_or_price_is_refused_naming_the_row(users, project, quantity, price):
    (household,) = make_households(users, 1)
    with pytest.raises(BangfuError) as refused:
        benefit_record(
            actor=users["admin"],
            project=project,
            mechanism="produce",
            year=2025,
            rows=[BenefitIn("1.00", household, quantity=quantity, unit_price=price)],
        )
    assert refused.value.message.startswith("Row 1:")
    assert refused.value.field in ("quantity", "unit_price")


def test_a_payment_reversed_twice_with_its_key_is_one_reversal_and_only_its_staff_reverse(
    users, project
):
    first, second = make_households(users, 2)
    entry = pay(users, project, [BenefitIn("10.00", first), BenefitIn("20.00", second)])
    reverse = dict(entry=entry, entry_date=DAY, voucher="CX", reason="错付")
    with pytest.raises(BangfuError) as outsider:
        payment_reverse(actor=users["mangshi-county"], idempotency_key="r1", **reverse)
    assert outsider.value.code == ErrorCode.PERMISSION_DENIED
    one = payment_reverse(actor=users["admin"], idempotency_key="r1", **reverse)
    again = payment_reverse(actor=users["admin"], idempotency_key="r1", **reverse)
    assert one.pk == again.pk
    with pytest.raises(BangfuError) as twice:
        payment_reverse(actor=users["admin"], idempotency_key="r2", **reverse)
    assert twice.value.code == ErrorCode.LEDGER_REVERSAL_INVALID


def test_a_contractors_payment_is_not_reversed_as_a_household_payment(users, project):
    from bangfu.projects.services import pay_contractor

    entry = pay_contractor(
        actor=users["admin"],
        project=project,
        payee="施工单位",
        source=source_account("east_aid", 2025),
        amount="100",
        entry_date=DAY,
        voucher="ZF",
        idempotency_key="zf",
    )
    with pytest.raises(BangfuError) as refused:
        payment_reverse(
            actor=users["admin"],
            entry=entry,
            entry_date=DAY,
            voucher="CX",
            idempotency_key="x",
            reason="r",
        )
    assert refused.value.code == ErrorCode.LEDGER_REVERSAL_INVALID
