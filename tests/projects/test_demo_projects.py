"""The projects demo on a small demo registry: the seed's Dingri figures (564 cooperatives
covering all 180 villages, 389 with income), dividends that are the distributable profits,
纳丙村's wages in the households' income records, and a ledger that holds."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count

from bangfu.engine.dividends import distributable
from bangfu.projects.demo import (
    DINGRI,
    DINGRI_CODE,
    SEED_CODE,
    TEA_CODE,
    ProjectsDemo,
    projects_demo_load,
)
from bangfu.projects.flow import fund_flow
from bangfu.projects.ledger import ledger_verify
from bangfu.projects.models import (
    Award,
    Benefit,
    Cooperative,
    CooperativeYear,
    Mechanism,
    Membership,
    PerformanceTarget,
    Project,
    ProjectStatus,
)
from bangfu.projects.selectors import target_actual
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.demo import ASSESSMENT_YEAR, NABING, demo_households_load
from bangfu.registry.linked_income import entered_amounts
from bangfu.registry.models import Household, IncomeRecord, LinkedIncome


def test_the_projects_demo_gives_the_seeds_figures(users: dict[str, Any]) -> None:
    demo_households_load(seed=2020, households=2000)
    nabing = Household.objects.filter(village__code=NABING).order_by("pk").first()
    assert nabing is not None
    before = IncomeRecord.objects.get(household=nabing, year=ASSESSMENT_YEAR)

    report = projects_demo_load()

    assert isinstance(report, ProjectsDemo) and not report.already
    assert report.projects == 3
    # Dingri: 180 villages, each with a cooperative; 564 cooperatives, 389 with income.
    villages = Region.objects.filter(RegionScope.of([DINGRI]).q("code"), level=Level.VILLAGE)
    assert villages.count() == 180 == report.villages == report.villages_covered
    per_village = dict(villages.annotate(n=Count("cooperatives")).values_list("code", "n"))
    assert min(per_village.values()) >= 1
    assert Cooperative.objects.count() == 564 == report.cooperatives
    assert set(Cooperative.objects.values_list("model", flat=True)) == {
        "industry", "company", "tourism", "farmer", "ecology", "capable", "party"
    }  # fmt: skip
    latest = CooperativeYear.objects.filter(year=2020)
    assert latest.count() == 564
    assert latest.filter(profit__gt=0).count() == 389 == report.with_income
    assert latest.filter(profit__lte=0).count() == 564 - 389
    assert Membership.objects.count() == report.members > 0
    # Dividends paid are exactly the distributable profits of the years paid.
    paid_years = CooperativeYear.objects.filter(dividend_entry__isnull=False)
    assert paid_years.count() == report.dividend_payments > 0
    expected = sum(distributable(int(y.profit * 100), Fraction(y.payout_ratio)) for y in paid_years)
    dividends = Benefit.objects.filter(mechanism=Mechanism.DIVIDEND)
    paid_fen = sum(int(b.amount * 100) for b in dividends)
    assert paid_fen == expected == int(report.dividends_paid * 100)
    with_members = {m.cooperative_id for m in Membership.objects.filter(left_on__isnull=True)}
    unpaid = latest.filter(profit__gt=0, cooperative__in=with_members, dividend_entry=None)
    assert not unpaid.exists()
    assert Award.objects.count() == report.awards > 0
    # 纳丙村: the household's wages are a linked income of its income record.
    wages = Benefit.objects.get(project__code=TEA_CODE, household=nabing, mechanism=Mechanism.WAGES)
    assert wages.year == ASSESSMENT_YEAR and wages.entry_id is not None
    linked = LinkedIncome.objects.get(
        household=nabing, year=ASSESSMENT_YEAR, income_type="wage_income"
    )
    assert linked.amount == wages.amount
    after = IncomeRecord.objects.get(household=nabing, year=ASSESSMENT_YEAR)
    assert after.wage_income == before.wage_income + wages.amount
    assert entered_amounts(after)["wage_income"] == before.wage_income
    # The projects: the tea refinery accepted, its counted targets met by the records.
    tea = Project.objects.get(code=TEA_CODE)
    assert tea.status == ProjectStatus.ACCEPTED and tea.acceptance.passed
    jobs = PerformanceTarget.objects.get(project=tea, measure="jobs")
    assert target_actual(jobs) == Decimal(report.wage_households) > 0
    seeds = Project.objects.get(code=SEED_CODE)
    per_mu = PerformanceTarget.objects.get(project=seeds, unit="元/亩")
    assert per_mu.target == per_mu.actual == Decimal("150")
    # The ledger holds and every demo project's fund flow reconciles.
    assert ledger_verify() == []
    for code in (TEA_CODE, SEED_CODE, DINGRI_CODE):
        flow = fund_flow(Project.objects.get(code=code))
        assert flow.reconciled and flow.received > 0 and flow.paid > 0, code
    # Written once: a second run writes nothing.
    again = projects_demo_load()
    assert again.already and Cooperative.objects.count() == 564
