"""Every read of projects, cooperatives and benefits, scoped to the user (the only place that
decides who sees what here; ``bangfu.accounts.scopes`` decides the regions).

* A project is visible when its region or the eastern side of its pairing is in the user's view
  scope (a county sees its projects, a Shanghai district the projects its funds pay for), and
  may be changed when one of them is in the capture scope.
* A cooperative, its members and its years: when its village is in the view (capture) scope.
* Benefits: those of visible projects and cooperatives; award schemes: those of a region in
  the view scope.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from bangfu.accounts.scopes import Purpose, scope_for
from bangfu.core.errors import ErrorCode, not_found
from bangfu.core.money import sum_fen, yuan
from bangfu.projects.models import (
    AwardScheme,
    Benefit,
    Cooperative,
    CooperativeYear,
    Mechanism,
    PerformanceTarget,
    Project,
    ShareCapital,
    TargetMeasure,
)
from bangfu.registry.models import Household, HouseholdStatus

# Households counted as registered poor (建档立卡) for benefit-linking: those registered as
# poor, on their way out, out (脱贫户) or back in — the population the policy follows.
REGISTERED_POOR_STATUSES = (
    HouseholdStatus.REGISTERED,
    HouseholdStatus.EXIT_PROPOSED,
    HouseholdStatus.EXIT_VERIFIED,
    HouseholdStatus.EXIT_POSTED,
    HouseholdStatus.EXITED,
    HouseholdStatus.RETURNED,
)


def project_list(user: Any, purpose: Purpose = "view") -> QuerySet[Project]:
    scope = scope_for(user, purpose)
    return Project.objects.filter(
        scope.q_any("region__code", "pairing__east__code")
    ).select_related("region", "pairing__east", "pairing__west")


def project_get(user: Any, pk: int) -> Project:
    found = project_list(user).filter(pk=pk).first()
    if found is None:
        raise not_found(ErrorCode.PROJECT_NOT_FOUND)
    return found


def may_change_project(user: Any, project: Project) -> bool:
    """The capture scope covers the project's region or its pairing's eastern side (also for
    a project not yet saved)."""
    scope = scope_for(user, "capture")
    east = project.pairing.east.code if project.pairing is not None else None
    return scope.covers(project.region.code) or (east is not None and scope.covers(east))


def cooperative_list(user: Any, purpose: Purpose = "view") -> QuerySet[Cooperative]:
    scope = scope_for(user, purpose)
    return Cooperative.objects.filter(scope.q("village__code")).select_related("village")


def cooperative_get(user: Any, pk: int) -> Cooperative:
    found = cooperative_list(user).filter(pk=pk).first()
    if found is None:
        raise not_found(ErrorCode.COOPERATIVE_NOT_FOUND)
    return found


def may_change_cooperative(user: Any, cooperative: Cooperative) -> bool:
    return scope_for(user, "capture").covers(cooperative.village.code)


def award_scheme_list(user: Any) -> QuerySet[AwardScheme]:
    """The 以奖代补 schemes whose region is in the user's view scope."""
    scope = scope_for(user, "view")
    return (
        AwardScheme.objects.filter(scope.q("region__code"))
        .select_related("region", "paying_account__project__region")
        .order_by("-year", "code")
    )


def live_benefits() -> QuerySet[Benefit]:
    """Benefits that stand: those whose payment has not been reversed."""
    return Benefit.objects.filter(Q(entry__isnull=True) | Q(entry__reversed_by__isnull=True))


def benefit_list(user: Any) -> QuerySet[Benefit]:
    """Benefits of the projects and cooperatives the user sees."""
    projects = project_list(user).values("pk")
    cooperatives = cooperative_list(user).values("pk")
    return (
        live_benefits()
        .filter(Q(project__in=projects) | Q(cooperative__in=cooperatives))
        .select_related("project", "cooperative", "household", "village")
    )


def benefit_summary(benefits: QuerySet[Benefit]) -> dict[str, Any]:
    """Households, registered-poor households, villages and yuan of a set of benefits, and the
    yuan by mechanism: one definition for the project page, the targets and the reports."""
    on_households = benefits.filter(household__isnull=False)
    totals = benefits.aggregate(amount=sum_fen("amount"))
    by_mechanism = {
        row["mechanism"]: yuan(row["amount"])
        for row in benefits.values("mechanism").annotate(amount=sum_fen("amount")).order_by()
    }
    return {
        "households": on_households.values("household").distinct().count(),
        "poor_households": on_households.filter(registered_poor=True)
        .values("household")
        .distinct()
        .count(),
        "villages": benefits.values("village").distinct().count(),
        "amount": yuan(totals["amount"]),
        "by_mechanism": by_mechanism,
    }


def target_actual(target: PerformanceTarget) -> Decimal | None:
    """The target's actual value: counted from the project's benefits, or as entered."""
    if target.measure == TargetMeasure.MANUAL:
        return target.actual
    benefits = live_benefits().filter(project=target.project_id)
    households = benefits.filter(household__isnull=False)
    if target.measure == TargetMeasure.HOUSEHOLDS:
        return Decimal(households.values("household").distinct().count())
    if target.measure == TargetMeasure.POOR_HOUSEHOLDS:
        poor = households.filter(registered_poor=True)
        return Decimal(poor.values("household").distinct().count())
    if target.measure == TargetMeasure.JOBS:
        wages = households.filter(mechanism=Mechanism.WAGES)
        return Decimal(wages.values("household").distinct().count())
    if target.measure == TargetMeasure.PEOPLE:
        ids = households.values("household").distinct()
        people = Household.objects.filter(pk__in=ids).aggregate(n=Sum("size"))["n"]
        return Decimal(people or 0)
    return yuan(benefits.aggregate(amount=sum_fen("amount"))["amount"])


def member_shares(cooperative: Cooperative) -> list[dict[str, Any]]:
    """Each current member household with its shares and capital (by kind)."""
    capital = (
        ShareCapital.objects.filter(cooperative=cooperative)
        .values("household", "kind")
        .annotate(shares=Sum("shares"), amount=sum_fen("amount"))
        .order_by()
    )
    by_household: dict[int, dict[str, Any]] = {}
    for row in capital:
        entry = by_household.setdefault(
            row["household"], {"shares": 0, "amount": Decimal("0.00"), "kinds": {}}
        )
        entry["shares"] += row["shares"]
        entry["amount"] += yuan(row["amount"])
        entry["kinds"][row["kind"]] = row["shares"]
    members = cooperative.memberships.filter(left_on__isnull=True).select_related(
        "household", "household__village"
    )
    return [
        {
            "membership": m,
            "household": m.household,
            "registered_poor": m.household.status in REGISTERED_POOR_STATUSES,
            **by_household.get(
                m.household_id, {"shares": 0, "amount": Decimal("0.00"), "kinds": {}}
            ),
        }
        for m in members
    ]


def cooperative_years(cooperative: Cooperative) -> QuerySet[CooperativeYear]:
    """The cooperative's years with the dividends paid in each."""
    return cooperative.years.annotate(
        dividend_households=Count("dividend_entry__benefits", distinct=True),
        dividends_fen=sum_fen("dividend_entry__benefits__amount"),
    ).order_by("-year")
