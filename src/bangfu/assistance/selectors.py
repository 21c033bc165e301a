"""Every read of assistance records, scoped to the user (the only place that decides who sees
what here; ``bangfu.accounts.scopes`` decides the regions).

* Households: those in the user's view scope (``registry.selectors.household_list``) and, for a
  helper with a user account, the households currently assigned to them — a helper with no
  region sees only their own households.
* Pairings, campaigns and donations: the user sees a social pairing when its western region,
  its partner's home region or its campaign's district is in their view scope (so an eastern
  office sees its partners' pairings and a county its villages'); may change it when one of
  those is in their capture scope.
* Secondments: visible when either side of the district pairing, or the region the person is
  posted to, is in the view scope (changed likewise with the capture scope).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from bangfu.accounts.scopes import Purpose, scope_for
from bangfu.assistance.models import (
    Assignment,
    Campaign,
    DonationEntry,
    Helper,
    HouseholdPlan,
    Measure,
    MeasureStatus,
    Partner,
    Secondment,
    SocialPairing,
    Visit,
)
from bangfu.core.errors import ErrorCode, not_found
from bangfu.monitoring.models import OPEN_CASE_STATUSES, Case
from bangfu.regions.scope import RegionScope
from bangfu.registry.models import Household
from bangfu.registry.selectors import household_list


def helper_of(user: Any) -> Helper | None:
    """The helper record of a signed-in user, if they are one."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached: dict[str, Helper | None] = user.__dict__.setdefault("_bangfu_helper", {})
    if "helper" not in cached:
        cached["helper"] = Helper.objects.filter(user=user, active=True).first()
    return cached["helper"]


def assigned_households(user: Any) -> QuerySet[Household]:
    """Households currently assigned to the user as a helper (none if they are not one)."""
    helper = helper_of(user)
    if helper is None:
        return Household.objects.none()
    return Household.objects.filter(
        assistance_assignments__helper=helper, assistance_assignments__end_date__isnull=True
    )


def households_for(user: Any) -> QuerySet[Household]:
    """Households the user may do assistance work for: their region scope plus, for a
    helper, their assigned households."""
    in_scope = household_list(user=user).values("pk")
    mine = assigned_households(user).values("pk")
    return Household.objects.filter(Q(pk__in=in_scope) | Q(pk__in=mine)).select_related("village")


def household_for(*, user: Any, pk: int) -> Household:
    household = households_for(user).filter(pk=pk).first()
    if household is None:
        raise not_found(ErrorCode.HOUSEHOLD_NOT_FOUND, _("household"))
    return household


def may_capture_household(user: Any, household: Household) -> bool:
    """Village (township, county) staff of the household's village, or its current helper."""
    if scope_for(user, "capture").covers(household.village.code):
        return True
    return assigned_households(user).filter(pk=household.pk).exists()


# ---------------------------------------------------------------------------- the household loop


def assignments_for(user: Any) -> QuerySet[Assignment]:
    return Assignment.objects.filter(
        household__in=households_for(user).values("pk")
    ).select_related("helper", "household__village")


def plans_for(user: Any) -> QuerySet[HouseholdPlan]:
    return HouseholdPlan.objects.filter(
        household__in=households_for(user).values("pk")
    ).select_related("household__village")


def measures_for(user: Any) -> QuerySet[Measure]:
    return Measure.objects.filter(
        plan__household__in=households_for(user).values("pk")
    ).select_related("plan__household__village", "case")


def visits_for(user: Any) -> QuerySet[Visit]:
    return (
        Visit.objects.filter(household__in=households_for(user).values("pk"))
        .select_related("household__village", "helper", "recorded_by")
        .prefetch_related("photos")
    )


def helpers_for(user: Any, purpose: Purpose = "view") -> QuerySet[Helper]:
    """Helpers working in the user's scope (a helper sees their own record)."""
    scope = scope_for(user, purpose)
    own = helper_of(user)
    visible = scope.q("region__code")
    if own is not None and purpose == "view" and not scope.unrestricted:
        visible |= Q(pk=own.pk)
    return Helper.objects.filter(visible).select_related("region", "partner", "campaign", "user")


# ------------------------------------------------------------------- pairings, money, people


def _pairing_q(user: Any, purpose: Purpose, prefix: str = "") -> Q:
    return scope_for(user, purpose).q_any(
        f"{prefix}west__code", f"{prefix}partner__region__code", f"{prefix}campaign__district__code"
    )


def pairings_for(user: Any, purpose: Purpose = "view") -> QuerySet[SocialPairing]:
    return SocialPairing.objects.filter(_pairing_q(user, purpose)).select_related(
        "partner__region", "west", "campaign", "regional_pairing"
    )


def campaigns_for(user: Any, purpose: Purpose = "view") -> QuerySet[Campaign]:
    """Campaigns of a district in scope, or with a pairing the user sees."""
    scope = scope_for(user, purpose)
    if scope.unrestricted:
        return Campaign.objects.select_related("district")
    with_pairing = pairings_for(user, purpose).filter(campaign__isnull=False)
    return Campaign.objects.filter(
        scope.q("district__code") | Q(pk__in=with_pairing.values("campaign"))
    ).select_related("district")


def partners_for(user: Any, purpose: Purpose = "view") -> QuerySet[Partner]:
    scope = scope_for(user, purpose)
    if scope.unrestricted:
        return Partner.objects.select_related("region")
    with_pairing = pairings_for(user, purpose).values("partner")
    return Partner.objects.filter(scope.q("region__code") | Q(pk__in=with_pairing)).select_related(
        "region"
    )


def donations_for(user: Any, purpose: Purpose = "view") -> QuerySet[DonationEntry]:
    """Ledger entries of the pairings and campaigns the user sees."""
    pairings = pairings_for(user, purpose).values("pk")
    campaigns = campaigns_for(user, purpose).values("pk")
    return DonationEntry.objects.filter(
        Q(pairing__in=pairings) | Q(pairing__isnull=True, campaign__in=campaigns)
    ).select_related("pairing__partner", "campaign", "recorded_by")


def secondments_for(user: Any, purpose: Purpose = "view") -> QuerySet[Secondment]:
    scope = scope_for(user, purpose)
    # Either side of the district pairing, or the place the person is posted to: Qingpu's
    # pairing is with Dehong Prefecture, and Mangshi's staff see the people posted to Mangshi.
    return Secondment.objects.filter(
        scope.q_any("pairing__east__code", "pairing__west__code", "posting_region__code")
    ).select_related("pairing__east", "pairing__west", "posting_region")


# ---------------------------------------------------------------------------- what is overdue


@dataclass(frozen=True)
class AssignmentRow:
    """A current assignment with its visits: the last one and when the next is due."""

    assignment: Assignment
    last_visit: dt.date | None
    due_on: dt.date
    overdue: bool


def assignment_rows(assignments: QuerySet[Assignment], today: dt.date) -> list[AssignmentRow]:
    """Each assignment with the household's last visit since it began (by anyone: a visit by
    village staff counts) and the next due date: the last visit (or the start) plus the
    assignment's interval. Overdue when that date has passed."""
    last = (
        Visit.objects.filter(
            household=OuterRef("household"), visited_on__gte=OuterRef("start_date")
        )
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    rows = []
    for a in assignments.annotate(last_visit=Subquery(last)):
        base = a.last_visit or a.start_date
        due = base + dt.timedelta(days=a.visit_every_days)
        rows.append(AssignmentRow(a, a.last_visit, due, due < today))
    return rows


def current_assignments_for(user: Any, region_code: str | None = None) -> QuerySet[Assignment]:
    """Current assignments of the user's households, in ``region_code``'s subtree if given."""
    current = assignments_for(user).filter(end_date__isnull=True)
    if region_code:
        current = current.filter(RegionScope.of([region_code]).q("household__village__code"))
    return current.order_by("household__village__code", "household__household_no")


@dataclass(frozen=True)
class RegionSummary:
    """What a region's page says of assistance: helpers working in it, households with a
    helper, visits overdue, monitoring cases waiting for a measure."""

    helpers: int
    households_helped: int
    visits_overdue: int
    cases_waiting: int


def region_summary(user: Any, region_code: str, today: dt.date) -> RegionSummary:
    inside = RegionScope.of([region_code])
    rows = assignment_rows(current_assignments_for(user, region_code), today)
    return RegionSummary(
        helpers=helpers_for(user).filter(inside.q("region__code"), active=True).count(),
        households_helped=len(rows),
        visits_overdue=sum(r.overdue for r in rows),
        cases_waiting=cases_waiting_for_measure(user, today)
        .filter(inside.q("household__village__code"))
        .count(),
    )


def cases_waiting_for_measure(user: Any, today: dt.date) -> QuerySet[Case]:
    """Open monitoring cases of the user's households that have no measure yet (planned or
    delivered) and whose deadline for one (``Case.measure_due_on``: one month after admission
    by the policy) has passed."""
    answered = Measure.objects.filter(case=OuterRef("pk")).exclude(status=MeasureStatus.CANCELLED)
    return (
        Case.objects.filter(
            household__in=households_for(user).values("pk"),
            status__in=OPEN_CASE_STATUSES,
            measure_due_on__lt=today,
        )
        .exclude(Exists(answered))
        .select_related("household__village")
        .order_by("measure_due_on", "pk")
    )
