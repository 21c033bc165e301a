"""The assistance section of the registry's household page (registered in ``apps.py``): the
helper and the next visit, the latest measures and visits, and whether an open monitoring
case still waits for a measure."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from bangfu.assistance import selectors
from bangfu.registry.models import Household

SHOWN = 5


def household_panel(request: HttpRequest, household: Household) -> SafeString | None:
    # ``household`` came from the registry's scoped selector: the reader may see it, and the
    # registry's scope is part of ``selectors.households_for``.
    user = request.user
    today = timezone.localdate()
    current = selectors.assignments_for(user).filter(household=household, end_date__isnull=True)
    rows = selectors.assignment_rows(current, today)
    context = {
        "household": household,
        "row": rows[0] if rows else None,
        "measures": selectors.measures_for(user)
        .filter(plan__household=household)
        .order_by("-plan__year", "-start_date", "-pk")[:SHOWN],
        "visits": selectors.visits_for(user).filter(household=household)[:SHOWN],
        "waiting": selectors.cases_waiting_for_measure(user, today)
        .filter(household=household)
        .exists(),
    }
    return SafeString(render_to_string("assistance/_household_panel.html", context, request))
