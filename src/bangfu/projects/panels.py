"""The projects section of the registry's household page (registered in ``apps.py``): the
household's cooperative memberships with their shares, and what projects and cooperatives
brought it (联农带农), each linked to the giver's page."""

from __future__ import annotations

from django.db.models import Exists, Sum
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from bangfu.projects.benefits import origin_url
from bangfu.projects.models import Membership, ShareCapital
from bangfu.projects.selectors import live_benefits
from bangfu.registry.models import Household

SHOWN = 50


def household_panel(request: HttpRequest, household: Household) -> SafeString | None:
    # ``household`` came from the registry's scoped selector: the reader may see it, and its
    # benefits are its linked incomes, which the household page shows anyway.
    # One query for the many households with nothing to show.
    found = (
        Household.objects.filter(pk=household.pk)
        .annotate(
            m=Exists(Membership.objects.filter(household=household.pk)),
            b=Exists(live_benefits().filter(household=household.pk)),
        )
        .values("m", "b")
        .first()
    )
    if found is None or not (found["m"] or found["b"]):
        return None
    memberships = list(
        household.cooperative_memberships.select_related("cooperative").order_by(
            "left_on", "-joined_on"
        )
    )
    shares = dict(
        ShareCapital.objects.filter(household=household)
        .values("cooperative")
        .annotate(n=Sum("shares"))
        .values_list("cooperative", "n")
    )
    benefits = list(
        live_benefits()
        .filter(household=household)
        .select_related("project", "cooperative")
        .order_by("-year", "-pk")[:SHOWN]
    )
    if not memberships and not benefits:
        return None
    context = {
        "household": household,
        "memberships": [(m, shares.get(m.cooperative_id, 0)) for m in memberships],
        "benefits": [(b, b.project or b.cooperative, origin_url(b)) for b in benefits],
    }
    return SafeString(render_to_string("projects/coop_household_panel.html", context, request))
