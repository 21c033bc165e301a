"""Pages of the household loop: the assistance home (my households, what is overdue), helpers
and their workload, a household's assistance page (helper, plan and measures, visits), the
phone-first visit form, and visit photos (served only to readers in scope, each view logged).
Each view parses input, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bangfu.accounts.scopes import scope_for
from bangfu.assistance import photos, selectors, services
from bangfu.assistance.models import (
    MEASURE_NATURE,
    Assignment,
    Helper,
    HelperOrigin,
    Measure,
    MeasureKind,
    VisitPhoto,
)
from bangfu.audit.models import AccessKind
from bangfu.audit.selectors import object_history
from bangfu.audit.services import access_record
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.spreadsheets import Column
from bangfu.core.web import (
    form_date,
    form_int,
    page_of,
    refusals_as_http,
    take_step,
    xlsx_response,
)
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.views import mask_phone, shown_history


def _id(text: str | None) -> int:
    """A primary key from a form; 0 (matching nothing) when it is not a number."""
    return form_int(text) or 0


# ---------------------------------------------------------------------------- home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My households (a helper's, or the current assignments in the user's scope), the visits
    overdue and the monitoring cases still without a measure."""
    today = timezone.localdate()
    region = _region_filter(request)
    current = selectors.current_assignments_for(request.user, region)
    rows = selectors.assignment_rows(current, today)
    if request.GET.get("overdue") == "1":
        rows = [r for r in rows if r.overdue]
    context = {
        "rows": page_of(request, rows),
        "overdue_count": sum(r.overdue for r in rows),
        "waiting": _in_region(selectors.cases_waiting_for_measure(request.user, today), region)[
            :100
        ],
        "region": region or "",
        "helper": selectors.helper_of(request.user),
        "only_overdue": request.GET.get("overdue") == "1",
    }
    return render(request, "assistance/home.html", context)


def _region_filter(request: HttpRequest) -> str | None:
    """``?region=`` as a 12-digit code, or None (anything else is ignored)."""
    code = request.GET.get("region", "").strip()
    return code if code.isdigit() and len(code) == 12 else None


def _in_region(cases: Any, region: str | None) -> Any:
    return cases.filter(RegionScope.of([region]).q("household__village__code")) if region else cases


# ---------------------------------------------------------------------------- helpers


def _workload(helpers: list[Helper]) -> dict[int, dict[str, int]]:
    """Per helper: households assigned now and visits overdue."""
    today = timezone.localdate()
    counts = {h.pk: {"households": 0, "overdue": 0} for h in helpers}
    current = Assignment.objects.filter(helper__in=[h.pk for h in helpers], end_date__isnull=True)
    for row in selectors.assignment_rows(current, today):
        counts[row.assignment.helper_id]["households"] += 1
        counts[row.assignment.helper_id]["overdue"] += row.overdue
    return counts


def _helpers(request: HttpRequest) -> Any:
    helpers = selectors.helpers_for(request.user)
    if region := _region_filter(request):
        helpers = helpers.filter(RegionScope.of([region]).q("region__code"))
    if origin := request.GET.get("origin"):
        helpers = helpers.filter(origin=origin)
    if request.GET.get("active", "1") == "1":
        helpers = helpers.filter(active=True)
    return helpers.order_by("region__code", "name", "pk")


@login_required
def helper_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, _helpers(request))
    helpers = list(page.object_list)
    load = _workload(helpers)
    context = {
        "page": page,
        "rows": [(h, load[h.pk]) for h in helpers],
        "origins": HelperOrigin.choices,
        "may_add": not scope_for(request.user, "capture").is_empty,
    }
    return render(request, "assistance/helper_list.html", context)


def _helper_columns() -> list[Column]:
    """Built per request: the headers in the reader's language."""
    return [
        Column(_("name"), 12),
        Column(_("unit"), 24),
        Column(_("post"), 12),
        Column(_("origin"), 14),
        Column(_("region code"), 14),
        Column(_("region"), 14),
        Column(_("visit every (days)"), 10, text=False),
        Column(_("households"), 10, text=False),
        Column(_("visits overdue"), 10, text=False),
    ]


@login_required
def helper_export(request: HttpRequest) -> FileResponse:
    """The helpers with their workload; phones are left out (personal data)."""
    helpers = list(_helpers(request))
    load = _workload(helpers)
    rows = (
        (
            h.name,
            h.unit,
            h.post,
            h.get_origin_display(),
            h.region.code,
            h.region.name_zh,
            h.visit_every_days,
            load[h.pk]["households"],
            load[h.pk]["overdue"],
        )
        for h in helpers
    )
    return xlsx_response("helpers.xlsx", _("Helpers"), _helper_columns(), rows)


def _helper_data(request: HttpRequest) -> dict[str, Any]:
    code = request.POST.get("region", "").strip()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("No region with code {code}.").format(code=code or "—"),
            field="region",
        )
    every = form_int(request.POST.get("visit_every_days"))
    return {
        "name": request.POST.get("name", ""),
        "unit": request.POST.get("unit", "").strip()[:200],
        "post": request.POST.get("post", "").strip()[:100],
        "phone": request.POST.get("phone", "").strip()[:40],
        "origin": request.POST.get("origin", ""),
        "region": region,
        "visit_every_days": every if every is not None else -1,
    }


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def helper_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    helper = None
    if pk is not None:
        helper = selectors.helpers_for(request.user, "capture").filter(pk=pk).first()
        if helper is None:
            raise BangfuError(ErrorCode.HELPER_NOT_FOUND, _("No such helper in your scope."))
    error = None
    if request.method == "POST":
        try:
            data = _helper_data(request)
            if helper is None:
                helper = services.helper_create(actor=request.user, data=data)
            else:
                services.helper_update(actor=request.user, helper=helper, data=data)
            return redirect("assistance-helper", pk=helper.pk)
        except BangfuError as refusal:
            if refusal.status == 404:
                raise
            error = refusal
    context = {
        "helper": helper,
        "origins": HelperOrigin.choices,
        "error": error,
        "values": _helper_values(helper) | request.POST.dict(),
    }
    return render(request, "assistance/helper_form.html", context)


def _helper_values(helper: Helper | None) -> dict[str, Any]:
    """The form's initial values: the helper's, or a new helper's defaults."""
    if helper is None:
        return dict.fromkeys(("name", "unit", "post", "phone", "region"), "") | {
            "origin": HelperOrigin.LOCAL_CADRE,
            "visit_every_days": 30,
        }
    return {
        "name": helper.name,
        "unit": helper.unit,
        "post": helper.post,
        "phone": helper.phone,
        "origin": helper.origin,
        "region": helper.region.code,
        "visit_every_days": helper.visit_every_days,
    }


@login_required
@refusals_as_http
def helper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    helper = selectors.helpers_for(request.user).filter(pk=pk).first()
    if helper is None:
        raise Http404(_("No such helper."))
    today = timezone.localdate()
    personal = _may_see_phone(request.user, helper)
    current = selectors.assignments_for(request.user).filter(helper=helper, end_date__isnull=True)
    context = {
        "helper": helper,
        "rows": selectors.assignment_rows(current, today),
        "past": selectors.assignments_for(request.user)
        .filter(helper=helper, end_date__isnull=False)
        .order_by("-end_date")[:50],
        "visits": selectors.visits_for(request.user).filter(helper=helper)[:20],
        "phone": helper.phone if personal else mask_phone(helper.phone),
        "may_edit": scope_for(request.user, "capture").covers(helper.region.code),
        "history": shown_history(object_history(obj=helper)[:30], personal=personal),
    }
    return render(request, "assistance/helper_detail.html", context)


def _may_see_phone(user: Any, helper: Helper) -> bool:
    own = selectors.helper_of(user)
    return (own is not None and own.pk == helper.pk) or scope_for(user, "capture").covers(
        helper.region.code
    )


# ---------------------------------------------------------------------------- a household


def _household_step(request: HttpRequest, pk: int) -> Any:
    household = selectors.household_for(user=request.user, pk=pk)
    step, post, user = request.POST.get("step"), request.POST, request.user
    if step in ("assign", "reassign"):
        helper = selectors.helpers_for(user).filter(pk=_id(post.get("helper"))).first()
        if helper is None:
            raise BangfuError(ErrorCode.VALIDATION_ERROR, _("Choose a helper."), field="helper")
        on_date = form_date(post.get("on_date"), "on_date")
        if step == "assign":
            return services.assignment_start(
                actor=user, helper=helper, household=household, start_date=on_date
            )
        return services.assignment_reassign(
            actor=user,
            household=household,
            helper=helper,
            on_date=on_date,
            reason=post.get("reason", ""),
        )
    if step == "measure":
        end = post.get("end_date", "").strip()
        return services.measure_add(
            actor=user,
            household=household,
            kind=post.get("kind", ""),
            start_date=form_date(post.get("start_date"), "start_date"),
            end_date=form_date(end, "end_date") if end else None,
            amount=post.get("amount", "").strip() or "0",
            funder=post.get("funder", ""),
            expected_effect=post.get("expected_effect", ""),
        )
    if step in ("deliver", "cancel"):
        measure = _measure_of(user, household, _id(post.get("measure")))
        if step == "deliver":
            return services.measure_deliver(
                actor=user,
                measure=measure,
                delivered_on=form_date(post.get("delivered_on"), "delivered_on"),
                amount=post.get("delivered_amount", "").strip() or None,
                outcome=post.get("outcome", ""),
            )
        return services.measure_cancel(actor=user, measure=measure, reason=post.get("reason", ""))
    raise BangfuError(ErrorCode.VALIDATION_ERROR, _("Unknown step."))


def _measure_of(user: Any, household: Any, pk: int) -> Measure:
    measure = selectors.measures_for(user).filter(pk=pk, plan__household=household).first()
    if measure is None:
        raise BangfuError(ErrorCode.MEASURE_NOT_FOUND, _("No such measure."))
    return measure


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_for(user=request.user, pk=pk)
    outcome, error = take_step(request, _household_step, household.pk)
    if outcome is not None:
        return redirect("assistance-household", pk=household.pk)
    today = timezone.localdate()
    assignments = selectors.assignments_for(request.user).filter(household=household)
    current = assignments.filter(end_date__isnull=True)
    is_staff = scope_for(request.user, "capture").covers(household.village.code)
    context = {
        "household": household,
        "current": selectors.assignment_rows(current, today),
        "past": assignments.filter(end_date__isnull=False).order_by("-end_date"),
        "plans": selectors.plans_for(request.user)
        .filter(household=household)
        .prefetch_related("measures"),
        "visits": selectors.visits_for(request.user).filter(household=household)[:30],
        "case": services.open_case(household),
        "may_capture": selectors.may_capture_household(request.user, household),
        "is_staff": is_staff,
        "helpers": list(
            selectors.helpers_for(request.user).filter(active=True)
            if is_staff
            else Helper.objects.none()
        ),
        "kinds": [(k, label, MEASURE_NATURE[k]) for k, label in MeasureKind.choices],
        "error": error,
        "today": today.isoformat(),
    }
    return render(request, "assistance/household.html", context)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def visit_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone-first form: date, findings, photos (the camera on a phone), location."""
    household = selectors.household_for(user=request.user, pk=pk)
    if not selectors.may_capture_household(request.user, household):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not your household."))
    error = None
    if request.method == "POST":
        try:
            services.visit_record(
                actor=request.user,
                household=household,
                visited_on=form_date(request.POST.get("visited_on"), "visited_on"),
                findings=request.POST.get("findings", ""),
                latitude=request.POST.get("latitude", "").strip() or None,
                longitude=request.POST.get("longitude", "").strip() or None,
                uploads=request.FILES.getlist("photos"),
            )
        except BangfuError as refusal:
            if refusal.status in (403, 404):
                raise
            error = refusal
        else:
            return redirect("assistance-household", pk=household.pk)
    context = {
        "household": household,
        "error": error,
        "values": {
            "visited_on": timezone.localdate().isoformat(),
            "findings": "",
            "latitude": "",
            "longitude": "",
        }
        | request.POST.dict(),
        "today": timezone.localdate().isoformat(),
        "max_mb": photos.MAX_BYTES // 2**20,
    }
    return render(request, "assistance/visit_form.html", context)


@login_required
@refusals_as_http
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit photo for a reader who may see the household; every view is logged."""
    visits = selectors.visits_for(request.user).values("pk")
    photo = VisitPhoto.objects.filter(pk=pk, visit__in=visits).first()
    if photo is None or not photos.path_of(photo).is_file():
        raise Http404(_("No such photo."))
    access_record(
        actor=request.user,
        kind=AccessKind.VIEW,
        model=VisitPhoto,
        object_ids=[photo.pk],
        fields=["photo"],
        purpose=_("visit photo"),
    )
    response = FileResponse(open(photos.path_of(photo), "rb"), content_type=photo.content_type)  # noqa: SIM115 - FileResponse closes it
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------------------- exports


def _visit_columns() -> list[Column]:
    """Built per request: the headers in the reader's language."""
    return [
        Column(_("household number"), 20),
        Column(_("village code"), 14),
        Column(_("visited on"), 12),
        Column(_("helper"), 12),
        Column(_("findings"), 50),
        Column(_("photos"), 8, text=False),
        Column(_("recorded by"), 14),
    ]


@login_required
def visit_export(request: HttpRequest) -> FileResponse:
    visits = selectors.visits_for(request.user).order_by("household__household_no", "visited_on")
    rows = (
        (
            v.household.household_no,
            v.household.village.code,
            v.visited_on,
            v.helper.name if v.helper else "",
            v.findings,
            len(v.photos.all()),
            v.recorded_by.username,
        )
        for v in visits.iterator(chunk_size=2000)
    )
    return xlsx_response("visits.xlsx", _("Visits"), _visit_columns(), rows)


def _measure_columns() -> list[Column]:
    """Built per request: the headers in the reader's language."""
    return [
        Column(_("household number"), 20),
        Column(_("village code"), 14),
        Column(_("year"), 6, text=False),
        Column(_("measure"), 20),
        Column(_("nature"), 10),
        Column(_("amount planned (yuan)"), 14, text=False),
        Column(_("funder"), 16),
        Column(_("start date"), 12),
        Column(_("end date"), 12),
        Column(_("status"), 10),
        Column(_("amount delivered (yuan)"), 14, text=False),
        Column(_("delivered on"), 12),
        Column(_("expected effect"), 24),
        Column(_("outcome"), 24),
    ]


@login_required
def measure_export(request: HttpRequest) -> FileResponse:
    measures = selectors.measures_for(request.user).order_by(
        "plan__household__household_no", "plan__year", "start_date", "pk"
    )
    rows = (
        (
            m.plan.household.household_no,
            m.plan.household.village.code,
            m.plan.year,
            m.get_kind_display(),
            MEASURE_NATURE[m.kind],
            m.amount,
            m.funder,
            m.start_date,
            m.end_date,
            m.get_status_display(),
            m.delivered_amount,
            m.delivered_on,
            m.expected_effect,
            m.outcome,
        )
        for m in measures.iterator(chunk_size=2000)
    )
    return xlsx_response("measures.xlsx", _("Measures"), _measure_columns(), rows)


def _assignment_columns() -> list[Column]:
    """Built per request: the headers in the reader's language."""
    return [
        Column(_("household number"), 20),
        Column(_("village code"), 14),
        Column(_("helper"), 14),
        Column(_("helper's region code"), 14),
        Column(_("start date"), 12),
        Column(_("visit every (days)"), 10, text=False),
        Column(_("last visit"), 12),
        Column(_("next visit due"), 12),
        Column(_("overdue"), 8),
    ]


@login_required
def assignment_export(request: HttpRequest) -> FileResponse:
    """The current assignments (filtered by ``?region=``) with their visits due."""
    current = selectors.current_assignments_for(request.user, _region_filter(request))
    rows = (
        (
            r.assignment.household.household_no,
            r.assignment.household.village.code,
            r.assignment.helper.name,
            r.assignment.helper.region.code,
            r.assignment.start_date,
            r.assignment.visit_every_days,
            r.last_visit,
            r.due_on,
            _("yes") if r.overdue else "",
        )
        for r in selectors.assignment_rows(
            current.select_related("helper__region"), timezone.localdate()
        )
    )
    return xlsx_response("assignments.xlsx", _("Assignments"), _assignment_columns(), rows)


urlpatterns: list[URLPattern] = [
    path("", home, name="assistance-home"),
    path("helpers/", helper_list, name="assistance-helpers"),
    path("helpers.xlsx", helper_export, name="assistance-helpers-export"),
    path("helpers/new/", helper_form, name="assistance-helper-new"),
    path("helpers/<int:pk>/", helper_detail, name="assistance-helper"),
    path("helpers/<int:pk>/edit/", helper_form, name="assistance-helper-edit"),
    path("households/<int:pk>/", household_detail, name="assistance-household"),
    path("households/<int:pk>/visit/", visit_form, name="assistance-visit-new"),
    path("photos/<int:pk>/", visit_photo, name="assistance-photo"),
    path("visits.xlsx", visit_export, name="assistance-visits-export"),
    path("measures.xlsx", measure_export, name="assistance-measures-export"),
    path("assignments.xlsx", assignment_export, name="assistance-assignments-export"),
]
