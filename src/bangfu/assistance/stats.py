"""Assistance figures of an eastern district, and a campaign's targets against what the records
show. Every figure is counted from the records (nothing is typed in twice); money is summed as
exact Decimals and given as strings with two decimals.

For an eastern district D (a district, or a city or province for all its districts) and
optionally a year Y, ``assistance_stats`` counts:

* **district pairings**: ``regions.Pairing`` rows whose eastern side lies in D (with Y: those in
  force in Y for the western regions; every one for linking records).
* **campaigns**: campaigns whose district lies in D (with Y: running in Y).
* **social pairings** (by kind): pairings of D's campaigns, of partners registered in D, or
  linked to one of D's district pairings (with Y: whose dates overlap Y).
* **partners**: distinct partners of those social pairings.
* **helpers**: helpers of D's campaigns or of D's partners (registered in D or with one of its
  social pairings); without Y the active ones, with Y those with an assignment overlapping Y.
* **households** (the base of the next three figures): households assigned to those helpers
  (with Y: an assignment overlapping Y), and every household of the western regions paired
  with D (with Y: by a district pairing in force in Y).
* **households with a plan**: those households with a household plan (一户一策; with Y: the
  plan of year Y). **Measures** of their plans (with Y: plans of year Y): *planned* = every
  measure not cancelled, *delivered* = those delivered, with their amounts.
* **visits** to those households (with Y: visited in Y).
* **donations**: ledger entries of D's social pairings (all dates) or D's campaigns (with Y:
  entry date in Y); pledged and received are the sums of each kind's entries (reversals are
  negative entries of the same kind), received also by donor type.
* **secondments** (by field, by direction): secondments under D's district pairings that
  served, counted as ``secondments`` counts them (with Y: whose span overlaps Y).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.accounts.scopes import scope_for
from bangfu.assistance.donations import donation_totals
from bangfu.assistance.models import (
    Assignment,
    Campaign,
    Direction,
    DonationEntry,
    DonorType,
    Helper,
    HouseholdPlan,
    Measure,
    MeasureStatus,
    PartnerKind,
    Secondment,
    SecondmentField,
    SocialPairing,
    SocialPairingKind,
    Visit,
)
from bangfu.assistance.pairings import overlapping
from bangfu.assistance.secondments import in_year_q, served_q
from bangfu.core import money
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.regions.codes import Level, check_code_shape
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.models import Household

ZERO = Decimal("0.00")


def yuan(value: Decimal | None) -> str:
    """An exact amount as text with two decimals ("6099000.00")."""
    return str((value or ZERO).quantize(Decimal("0.01")))


def stats_district(code: str) -> Region:
    """The eastern region whose figures are asked for; a clear refusal otherwise."""
    check_code_shape(code, field="district")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise BangfuError(
            ErrorCode.REGION_NOT_FOUND,
            _("There is no region with code {code}.").format(code=code),
            field="district",
        )
    if region.is_west:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _(
                "{name} ({code}) is a western region; these figures are an eastern district's "
                "(give e.g. 310120000000 for Fengxian)."
            ).format(name=region.name_zh, code=code),
            field="district",
        )
    return region


def stats_for(*, user: Any, code: str, year: int | None = None) -> dict[str, Any]:
    """The figures for a district the user may see (404 alike when absent or hidden)."""
    if not isinstance(code, str) or not code.isdigit() or not scope_for(user, "view").covers(code):
        raise not_found(ErrorCode.REGION_NOT_FOUND, _("region"))
    return assistance_stats(district=stats_district(code), year=year)


def _active_in(year: int) -> Q:
    return Q(start_year__lte=year) & (Q(end_year__isnull=True) | Q(end_year__gte=year))


def _sum(qs: QuerySet[Any], field: str) -> Decimal:
    """The exact sum of an amount column, in yuan with two decimals (``money.sum_fen``)."""
    return money.yuan(qs.aggregate(total=money.sum_fen(field))["total"])


def assistance_stats(
    *, district: Region, year: int | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """The district's figures (see the module's docstring), JSON-ready."""
    today = today or timezone.localdate()
    inside = RegionScope.of([district.code])
    district_pairings = Pairing.objects.filter(inside.q("east__code")).select_related(
        "east", "west"
    )
    in_force = district_pairings.filter(_active_in(year)) if year else district_pairings
    campaigns = Campaign.objects.filter(inside.q("district__code"))
    social_all = SocialPairing.objects.filter(
        inside.q("campaign__district__code")
        | inside.q("partner__region__code")
        | Q(regional_pairing__in=district_pairings.values("pk"))
    )
    social = social_all.filter(overlapping(year)) if year else social_all
    by_kind = dict.fromkeys(SocialPairingKind.values, 0)
    for kind, n in social.values_list("kind").annotate(n=Count("pk")):
        by_kind[kind] = n

    partner_ids = social_all.values("partner")
    helpers = Helper.objects.filter(
        Q(campaign__in=campaigns.values("pk"))
        | inside.q("partner__region__code")
        | Q(partner__in=partner_ids)
    )
    assignments = Assignment.objects.filter(helper__in=helpers.values("pk"))
    if year:
        assignments = assignments.filter(overlapping(year))
        counted_helpers = helpers.filter(pk__in=assignments.values("helper"))
    else:
        counted_helpers = helpers.filter(active=True)
    west = RegionScope.of(in_force.values_list("west__code", flat=True))
    households = Household.objects.filter(
        Q(pk__in=assignments.values("household")) | west.q("village__code")
    ).values("pk")

    plans = HouseholdPlan.objects.filter(household__in=households)
    if year:
        plans = plans.filter(year=year)
    measures = Measure.objects.filter(plan__in=plans.values("pk")).exclude(
        status=MeasureStatus.CANCELLED
    )
    delivered = measures.filter(status=MeasureStatus.DELIVERED)
    visits = Visit.objects.filter(household__in=households)
    if year:
        visits = visits.filter(visited_on__year=year)

    donations = DonationEntry.objects.filter(
        Q(pairing__in=social_all.values("pk")) | Q(campaign__in=campaigns.values("pk"))
    )
    if year:
        donations = donations.filter(entry_date__year=year)
    money_in = donation_totals(donations)  # the ledger's own definition of its totals
    by_donor = {t: figures["received"] for t, figures in money_in["by_donor_type"].items()}

    secondments = Secondment.objects.filter(pairing__in=district_pairings.values("pk"))
    secondments = secondments.filter(in_year_q(year, today=today) if year else served_q())
    by_field = dict.fromkeys(SecondmentField.values, 0)
    for name, n in secondments.values_list("field").annotate(n=Count("pk")):
        by_field[name] = n
    by_direction = dict.fromkeys(Direction.values, 0)
    for direction, n in secondments.values_list("direction").annotate(n=Count("pk")):
        by_direction[direction] = n

    return {
        "subject": "assistance",
        "district": {"code": district.code, "name": district.name_zh},
        "year": year,
        "district_pairings": [
            {
                "id": p.pk,
                "west": p.west.code,
                "west_name": p.west.name_zh,
                "start_year": p.start_year,
                "end_year": p.end_year,
            }
            for p in in_force.order_by("west__code", "start_year")
        ],
        "campaigns": (campaigns.filter(_active_in(year)) if year else campaigns).count(),
        "partners": social.values("partner").distinct().count(),
        "social_pairings": {"total": sum(by_kind.values()), "by_kind": by_kind},
        "helpers": counted_helpers.count(),
        "households_with_plan": plans.values("household").distinct().count(),
        "measures": {
            "planned": measures.count(),
            "delivered": delivered.count(),
            "amount_planned": yuan(_sum(measures, "amount")),
            "amount_delivered": yuan(_sum(delivered, "delivered_amount")),
        },
        "visits": visits.count(),
        "donations": {
            "pledged": yuan(money_in["pledged"]),
            "received": yuan(money_in["received"]),
            "received_by_donor_type": {k: yuan(v) for k, v in by_donor.items()},
        },
        "secondments": {
            "total": sum(by_field.values()),
            "long_term": secondments.filter(long_term=True).count(),
            "by_field": by_field,
            "by_direction": by_direction,
        },
    }


# ---------------------------------------------------------------------------- campaigns


@dataclass(frozen=True)
class Progress:
    key: str
    label: Any
    target: int | None
    achieved: int | str

    @property
    def percent(self) -> int | None:
        if not self.target or not isinstance(self.achieved, int):
            return None
        return min(100, self.achieved * 100 // self.target)


PROGRESS_LABELS = {
    "helpers": gettext_lazy("People paired (with a household assigned)"),
    "households": gettext_lazy("Households paired"),
    "enterprises": gettext_lazy("Enterprises paired"),
    "villages": gettext_lazy("Villages paired"),
    "sectors": gettext_lazy("Sectors taking part"),
}


def campaign_progress(*, campaign: Campaign) -> list[Progress]:
    """The campaign's targets against its records: people = its helpers with at least one
    household assignment (any time); households = distinct households assigned to them;
    enterprises = distinct enterprise partners of its pairings; villages = distinct villages of
    its pairings; sectors = distinct sectors named on its pairings."""
    pairings = SocialPairing.objects.filter(campaign=campaign)
    assignments = Assignment.objects.filter(helper__campaign=campaign)
    achieved = {
        "helpers": assignments.values("helper").distinct().count(),
        "households": assignments.values("household").distinct().count(),
        "enterprises": pairings.filter(partner__kind=PartnerKind.ENTERPRISE)
        .values("partner")
        .distinct()
        .count(),
        "villages": pairings.filter(west__level__in=[Level.VILLAGE, Level.NATURAL_VILLAGE])
        .values("west")
        .distinct()
        .count(),
        "sectors": pairings.exclude(sector="").values("sector").distinct().count(),
    }
    return [
        Progress(key, PROGRESS_LABELS[key], getattr(campaign, f"target_{key}"), achieved[key])
        for key in ("helpers", "households", "enterprises", "villages", "sectors")
    ]


@dataclass(frozen=True)
class CampaignMoney:
    pledged: Decimal
    received: Decimal
    received_by_donor_type: list[tuple[str, Any, Decimal]]


def campaign_donations(*, campaign: Campaign) -> CampaignMoney:
    """Donations in place for the campaign: entries of the campaign or of its pairings."""
    entries = DonationEntry.objects.filter(Q(campaign=campaign) | Q(pairing__campaign=campaign))
    totals = donation_totals(entries)
    by_type = totals["by_donor_type"]
    return CampaignMoney(
        pledged=totals["pledged"],
        received=totals["received"],
        received_by_donor_type=[
            (value, label, by_type[value]["received"])
            for value, label in DonorType.choices
            if by_type[value]["received"]
        ],
    )
