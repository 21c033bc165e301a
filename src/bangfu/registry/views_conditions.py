"""The page that records a household's production assets and living conditions (生产条件、
生活条件): one form for both, saved by ``services.household_conditions_save``.

As the other registry forms: the household through the scoped selector (404 outside the view
scope), the capture check of the household pages (403 when visible but not capturable), the
service's refusals beside their fields.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bangfu.audit.models import AuditEntry
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError
from bangfu.core.web import refusals_as_http
from bangfu.registry import selectors
from bangfu.registry.forms import ConditionsForm, attach_error
from bangfu.registry.models import LivingConditions, ProductionAssets
from bangfu.registry.services import household_conditions_save

HISTORY_SIZE = 20


def _history(
    production: ProductionAssets | None, living: LivingConditions | None
) -> list[AuditEntry]:
    """The latest changes of both records, newest first."""
    entries = [
        entry
        for row in (production, living)
        if row is not None
        for entry in object_history(obj=row).order_by("-at", "-id")[:HISTORY_SIZE]
    ]
    entries.sort(key=lambda e: (e.at, e.pk), reverse=True)
    return entries[:HISTORY_SIZE]


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def household_conditions(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_get(user=request.user, pk=pk)
    capture = selectors.capture_for(user=request.user, household=household)
    production, living = selectors.household_conditions(household=household)
    initial = ConditionsForm.initial_for(production, living)
    form = ConditionsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            household_conditions_save(
                actor=request.user,
                capture=capture,
                household=household,
                production=form.production(),
                living=form.living(),
                reason=form.cleaned_data.get("reason") or "",
            )
        except BangfuError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Production assets and living conditions saved."))
            return redirect("household-detail", pk=household.pk)
    context = {
        "form": form,
        "household": household,
        "recorded": production is not None or living is not None,
        "history": _history(production, living),
    }
    return render(request, "registry/conditions_form.html", context)
