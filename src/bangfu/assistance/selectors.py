"""Every read of assistance records, scoped to the user (the only place that decides who sees
what here; ``bangfu.accounts.scopes`` decides the regions).

* Households: those in the user's view scope (``registry.selectors.household_list``) and, for a
  helper with a user account, the households currently assigned to them — a helper with no
  region sees only their own households.
* Pairings, campaigns and donations: the user sees a social pairing when its western region,
  its partner's home region or its campaign's district is in their view scope (so an eastern
  office sees its partners' pairings and a county its villages'); may change it when one of
  those is in their capture scope.
* Secondments: visible when either side of the district pairing is in the view scope.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from bangfu.accounts.scopes import Purpose, scope_for
from bangfu.assistance.models import (
    Assignment,
    Campaign,
    DonationEntry,
    Helper,
    HouseholdPlan,
    Measure,
    Partner,
    Secondment,
    SocialPairing,
    Visit,
)
from bangfu.core.errors import ErrorCode, not_found
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
    mine = Q(pk=own.pk) if own is not None and purpose == "view" else Q(pk__in=[])
    return Helper.objects.filter(scope.q("region__code") | mine).select_related(
        "region", "partner", "campaign", "user"
    )


# ------------------------------------------------------------------- pairings, money, people


def _pairing_q(user: Any, purpose: Purpose, prefix: str = "") -> Q:
    scope = scope_for(user, purpose)
    return (
        scope.q(f"{prefix}west__code")
        | scope.q(f"{prefix}partner__region__code")
        | scope.q(f"{prefix}campaign__district__code")
    )


def pairings_for(user: Any, purpose: Purpose = "view") -> QuerySet[SocialPairing]:
    return SocialPairing.objects.filter(_pairing_q(user, purpose)).select_related(
        "partner__region", "west", "campaign", "regional_pairing"
    )


def campaigns_for(user: Any, purpose: Purpose = "view") -> QuerySet[Campaign]:
    """Campaigns of a district in scope, or with a pairing the user sees."""
    scope = scope_for(user, purpose)
    with_pairing = pairings_for(user, purpose).filter(campaign__isnull=False)
    return Campaign.objects.filter(
        scope.q("district__code") | Q(pk__in=with_pairing.values("campaign"))
    ).select_related("district")


def partners_for(user: Any, purpose: Purpose = "view") -> QuerySet[Partner]:
    scope = scope_for(user, purpose)
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
    return Secondment.objects.filter(
        scope.q("pairing__east__code") | scope.q("pairing__west__code")
    ).select_related("pairing__east", "pairing__west", "posting_region")
