"""Cooperatives: members, funds turned into shares through the ledger, dividends split by the
engine and paid through the ledger into the members' property income, 以奖代补 awards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.engine.dividends import distributable
from bangfu.projects import cooperatives as coops
from bangfu.projects.ledger import ledger_verify
from bangfu.projects.models import (
    Account,
    AccountKind,
    Award,
    AwardScheme,
    Benefit,
    Cooperative,
    Entry,
    ShareCapital,
)
from bangfu.projects.services import project_account, source_account
from bangfu.regions.models import Region
from bangfu.registry.models import Household, HouseholdStatus, IncomeRecord, LinkedIncome
from tests.projects.conftest import DAY, NABING, make_households

pytestmark = pytest.mark.django_db


@pytest.fixture
def coop(users: dict[str, Any]) -> Cooperative:
    return coops.cooperative_create(
        actor=users["admin"],
        code="nabing-tea-coop",
        name="纳丙村茶叶专业合作社",
        village=Region.objects.get(code=NABING),
        model="company",
        founded_on=dt.date(2018, 3, 1),
        company="勐海茶业有限公司",
    )


def join(users: dict[str, Any], coop: Cooperative, households: list[Household]) -> None:
    for household in households:
        coops.member_join(
            actor=users["admin"],
            cooperative=coop,
            household=household,
            joined_on=dt.date(2019, 1, 1),
        )


def test_funds_become_shares_of_the_member_households_through_the_ledger(users, project, coop):
    households = make_households(users, 3)
    join(users, coop, households)
    entry = coops.funds_to_shares(
        actor=users["admin"],
        cooperative=coop,
        project=project,
        source=source_account("east_aid", 2025),
        rows=[coops.ShareIn(h, "10000.00", 100) for h in households],
        entry_date=DAY,
        voucher="GB-1",
        idempotency_key="shares-1",
    )
    assert ShareCapital.objects.filter(entry=entry, kind="funds").count() == 3
    assert coop.account.postings.get().amount_fen == 3_000_000  # arrived at the cooperative
    again = coops.funds_to_shares(
        actor=users["admin"],
        cooperative=coop,
        project=project,
        source=source_account("east_aid", 2025),
        rows=[coops.ShareIn(h, "10000.00", 100) for h in households],
        entry_date=DAY,
        voucher="GB-1",
        idempotency_key="shares-1",
    )
    assert again.pk == entry.pk and ShareCapital.objects.count() == 3
    assert ledger_verify() == []


def test_only_members_get_shares(users, project, coop):
    (outsider,) = make_households(users, 1)
    with pytest.raises(BangfuError) as refused:
        coops.shares_add(
            actor=users["admin"],
            cooperative=coop,
            household=outsider,
            kind="cash",
            amount="100",
            shares=1,
            recorded_on=DAY,
        )
    assert refused.value.field == "household" and "not a member" in refused.value.message


def test_dividends_are_paid_through_the_ledger_into_property_income(users, coop):
    households = make_households(users, 3)
    join(users, coop, households)
    poor, other, third = households
    Household.objects.filter(pk=poor.pk).update(status=HouseholdStatus.REGISTERED)
    Household.objects.filter(pk__in=[other.pk, third.pk]).update(status=HouseholdStatus.ORDINARY)
    for household, shares in ((poor, 1), (other, 50), (third, 49)):
        coops.shares_add(
            actor=users["admin"],
            cooperative=coop,
            household=household,
            kind="cash",
            amount=Decimal(shares * 100),
            shares=shares,
            recorded_on=dt.date(2024, 5, 1),
        )
    year = coops.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2025,
        revenue="500000.00",
        profit="100000.01",
        payout_ratio="0.4",
        poor_minimum="2000.00",
    )
    plan = coops.dividend_plan(year)
    assert sum(plan.values()) == distributable(10_000_001, Fraction(2, 5)) == 4_000_000
    assert plan[poor.pk] == 200_000  # the minimum, above its 1 % share (40,000.00 × 1 %)
    entry = coops.dividends_pay(
        actor=users["admin"], cooperative_year=year, entry_date=DAY, voucher="FH-1"
    )
    assert entry.kind == "dividend"
    assert sum(b.amount for b in entry.benefits.all()) == Decimal("40000.00")
    record = IncomeRecord.objects.get(household=poor, year=2025)
    assert record.property_income == Decimal("2000.00")
    linked = LinkedIncome.objects.get(household=poor)
    assert coop.name in linked.origin and linked.income_type == "property_income"
    # Paid once: the year is closed, a repeated call returns the payment.
    again = coops.dividends_pay(
        actor=users["admin"], cooperative_year=year, entry_date=DAY, voucher="FH-1"
    )
    assert again.pk == entry.pk and Benefit.objects.filter(cooperative=coop).count() == 3
    with pytest.raises(BangfuError) as closed:
        coops.year_declare(
            actor=users["admin"],
            cooperative=coop,
            year=2025,
            revenue="1",
            profit="1",
            payout_ratio="1",
        )
    assert closed.value.code == ErrorCode.DIVIDENDS_INVALID
    assert ledger_verify() == []


def test_a_minimum_the_profit_cannot_meet_is_refused_before_anything_is_paid(users, coop):
    households = make_households(users, 2)
    join(users, coop, households)
    Household.objects.filter(pk__in=[h.pk for h in households]).update(
        status=HouseholdStatus.REGISTERED
    )
    for household in households:
        coops.shares_add(
            actor=users["admin"],
            cooperative=coop,
            household=household,
            kind="cash",
            amount="100",
            shares=1,
            recorded_on=dt.date(2024, 1, 1),
        )
    year = coops.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2025,
        revenue="1000",
        profit="1000",
        payout_ratio="0.5",
        poor_minimum="300",
    )
    with pytest.raises(BangfuError) as refused:
        coops.dividends_pay(
            actor=users["admin"], cooperative_year=year, entry_date=DAY, voucher="X"
        )
    assert (
        refused.value.code == ErrorCode.DIVIDENDS_INVALID and refused.value.field == "poor_minimum"
    )
    assert not Entry.objects.filter(kind="dividend").exists()


def test_the_payout_ratio_follows_the_previous_year_unless_given(users, coop):
    coops.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2024,
        revenue="10",
        profit="5",
        payout_ratio="30%",
    )
    year = coops.year_declare(
        actor=users["admin"], cooperative=coop, year=2025, revenue="10", profit="5"
    )
    assert year.payout_ratio == Decimal("0.3")
    with pytest.raises(BangfuError) as refused:
        coops.year_declare(
            actor=users["admin"],
            cooperative=coop,
            year=2026,
            revenue="10",
            profit="5",
            payout_ratio="1.5",
        )
    assert refused.value.field == "payout_ratio"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    shares=st.lists(st.integers(1, 500), min_size=1, max_size=6),
    poor=st.lists(st.booleans(), min_size=6, max_size=6),
    profit_fen=st.integers(0, 10**9),
    ratio_percent=st.integers(0, 100),
    minimum_fen=st.integers(0, 50_000),
)
def test_dividends_paid_through_the_ledger_add_up_to_the_distributable_profit_exactly(
    django_db_blocker, shares, poor, profit_fen, ratio_percent, minimum_fen
):
    """A property test through the whole path (plan → ledger → benefits → incomes): the
    households' dividends add up to exactly the distributable profit, or nothing is paid."""
    from django.db import transaction

    from bangfu.accounts.models import User

    with django_db_blocker.unblock(), transaction.atomic():
        admin = User.objects.get(username="admin")
        users = {"admin": admin}
        cooperative = coops.cooperative_create(
            actor=admin,
            code="prop",
            name="合作社",
            village=Region.objects.get(code=NABING),
            model="farmer",
            founded_on=dt.date(2018, 1, 1),
        )
        households = make_households(users, len(shares), first=9000)
        join(users, cooperative, households)
        for household, n, is_poor in zip(households, shares, poor, strict=False):
            status = HouseholdStatus.REGISTERED if is_poor else HouseholdStatus.ORDINARY
            Household.objects.filter(pk=household.pk).update(status=status)
            coops.shares_add(
                actor=admin,
                cooperative=cooperative,
                household=household,
                kind="cash",
                amount=n,
                shares=n,
                recorded_on=dt.date(2024, 1, 1),
            )
        year = coops.year_declare(
            actor=admin,
            cooperative=cooperative,
            year=2025,
            revenue="0",
            profit=Decimal(profit_fen) / 100,
            payout_ratio=Decimal(ratio_percent) / 100,
            poor_minimum=Decimal(minimum_fen) / 100,
        )
        expected = distributable(profit_fen, Fraction(ratio_percent, 100))
        try:
            entry = coops.dividends_pay(
                actor=admin, cooperative_year=year, entry_date=DAY, voucher="P"
            )
        except BangfuError as refused:
            assert refused.code == ErrorCode.DIVIDENDS_INVALID
            assert not Entry.objects.filter(kind="dividend").exists()
        else:
            paid = sum(int(b.amount * 100) for b in entry.benefits.all())
            assert paid == expected
            assert cooperative.members_account.postings.get().amount_fen == expected
            linked = sum(int(x.amount * 100) for x in LinkedIncome.objects.all())
            assert linked == sum(int(b.amount * 100) for b in entry.benefits.filter(amount__gt=0))
            assert ledger_verify() == []
        transaction.set_rollback(True)


def test_awards_go_once_to_the_cooperatives_meeting_the_criterion(users, project, coop):
    second = coops.cooperative_create(
        actor=users["admin"],
        code="second",
        name="第二合作社",
        village=Region.objects.get(code=NABING),
        model="tourism",
        founded_on=dt.date(2018, 1, 1),
    )
    coops.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2025,
        revenue="10",
        profit="5",
        payout_ratio="0",
    )
    coops.year_declare(
        actor=users["admin"],
        cooperative=second,
        year=2024,
        revenue="10",
        profit="5",
        payout_ratio="0",
    )
    coops.year_declare(
        actor=users["admin"], cooperative=second, year=2025, revenue="10", profit="5"
    )
    scheme = AwardScheme.objects.create(
        code="first-income-2025",
        name="首次实现收入奖励",
        year=2025,
        criterion="first_income",
        amount=Decimal("50000.00"),
        paying_account=project_account(project),
        region=Region.objects.get(code="532822000000"),
    )
    granted = coops.awards_grant(
        actor=users["admin"], scheme=scheme, entry_date=DAY, voucher="JB-1"
    )
    assert [a.cooperative for a in granted] == [coop]  # the second had income in 2024 already
    assert coop.account.postings.get().amount_fen == 5_000_000
    assert (
        coops.awards_grant(actor=users["admin"], scheme=scheme, entry_date=DAY, voucher="JB-1")
        == []
    )
    assert Award.objects.count() == 1 and ledger_verify() == []


def test_a_breach_of_a_payment_split_is_named_by_verify(users, project):
    """ledger verify also checks that a payment's split adds up to it (the check can fail)."""
    from bangfu.projects.benefits import BenefitIn, benefit_pay

    (household,) = make_households(users, 1)
    entry = benefit_pay(
        actor=users["admin"],
        project=project,
        source=source_account("east_aid", 2025),
        mechanism="wages",
        year=2025,
        rows=[BenefitIn("10.00", household)],
        entry_date=DAY,
        voucher="V",
        idempotency_key="k",
    )
    Benefit.objects.filter(entry=entry).update(amount=Decimal("9.99"))
    assert ledger_verify() == [f"entry #{entry.pk}: its benefits add up to 999 fen, it paid 1000"]


def test_the_cooperatives_accounts_are_payees(coop):
    assert Account.objects.get(pk=coop.account_id).kind == AccountKind.PAYEE
    assert coop.members_account.kind == AccountKind.PAYEE


def test_a_member_or_year_recorded_meanwhile_is_refused_naming_the_field(users, coop, monkeypatch):
    """Another request writes the same membership (or year) between this one's check and its
    write: the unique index refuses it, and the refusal names the field (no server error)."""
    from bangfu.projects.models import CooperativeYear, Membership

    (household,) = make_households(users, 1)
    real_save = coops.save_with_history

    def meanwhile(*, actor: Any, obj: Any, before: Any, reason: str = "") -> bool:
        if isinstance(obj, Membership):
            Membership.objects.create(
                cooperative=coop, household=household, joined_on=dt.date(2019, 1, 1)
            )
        if isinstance(obj, CooperativeYear) and obj.pk is None:
            CooperativeYear.objects.create(
                cooperative=coop, year=obj.year, revenue=0, profit=0, payout_ratio=0
            )
        return real_save(actor=actor, obj=obj, before=before, reason=reason)

    monkeypatch.setattr(coops, "save_with_history", meanwhile)
    with pytest.raises(BangfuError) as member:
        coops.member_join(
            actor=users["admin"], cooperative=coop, household=household, joined_on=DAY
        )
    assert member.value.field == "household"
    with pytest.raises(BangfuError) as year:
        coops.year_declare(
            actor=users["admin"],
            cooperative=coop,
            year=2025,
            revenue="1",
            profit="1",
            payout_ratio="0.5",
        )
    assert year.value.field == "year"
    # Only the refused write was undone (its savepoint); the request's transaction goes on.
    assert Cooperative.objects.filter(pk=coop.pk).exists()


@pytest.mark.parametrize(("profit", "field"), [(1.5, "profit"), ("--5", "profit"), ("x", "profit")])
def test_a_profit_given_as_a_float_or_garbled_is_refused(users, coop, profit, field):
    with pytest.raises(BangfuError) as refused:
        coops.year_declare(
            actor=users["admin"],
            cooperative=coop,
            year=2025,
            revenue="1",
            profit=profit,
            payout_ratio="0.5",
        )
    assert refused.value.field == field


def test_a_loss_is_a_profit_below_zero(users, coop):
    year = coops.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2025,
        revenue="1",
        profit="-1,200.50",
        payout_ratio="0.5",
    )
    assert year.profit == Decimal("-1200.50")


def test_members_come_from_the_actors_capture_scope_and_codes_are_checked(users, coop):
    from bangfu.accounts.scopes import scope_for
    from bangfu.registry.services import household_save
    from tests.registry.factories import household_in

    admin = users["admin"]
    elsewhere, _ = household_save(  # a household of 勐往村, outside 纳丙村's staff's scope
        actor=admin,
        capture=scope_for(admin, "capture"),
        data=household_in(no="5328222022010001", village="532822202201"),
    )
    with pytest.raises(BangfuError) as outside:
        coops.member_join(
            actor=users["nabing-village"], cooperative=coop, household=elsewhere, joined_on=DAY
        )
    assert outside.value.code == ErrorCode.PERMISSION_DENIED
    assert outside.value.field == "household"
    with pytest.raises(BangfuError) as long_code:
        coops.cooperative_create(
            actor=users["admin"],
            code="c" * 41,
            name="合作社",
            village=Region.objects.get(code=NABING),
            model="farmer",
            founded_on=dt.date(2018, 1, 1),
        )
    assert long_code.value.field == "code"


def test_a_dividend_records_the_shares_it_was_split_by(users, coop):
    """Shares paid in after the year's end take no part in its dividend, and the dividend's
    record says the shares it was split by."""
    households = make_households(users, 2)
    join(users, coop, households)
    for household in households:
        coops.shares_add(
            actor=users["admin"],
            cooperative=coop,
            household=household,
            kind="cash",
            amount="100",
            shares=10,
            recorded_on=dt.date(2025, 5, 1),
        )
    coops.shares_add(  # the next spring, before the dividend is paid
        actor=users["admin"],
        cooperative=coop,
        household=households[0],
        kind="cash",
        amount="900",
        shares=90,
        recorded_on=dt.date(2026, 3, 1),
    )
    year = coops.year_declare(
        actor=users["admin"],
        cooperative=coop,
        year=2025,
        revenue="1000",
        profit="1000",
        payout_ratio="1",
    )
    entry = coops.dividends_pay(
        actor=users["admin"], cooperative_year=year, entry_date=dt.date(2026, 3, 20), voucher="FH"
    )
    paid = {b.household_id: (b.amount, b.quantity) for b in entry.benefits.all()}
    assert paid == {h.pk: (Decimal("500.00"), Decimal("10.00")) for h in households}
