"""Pages of the shell. Thin: parse input, ask one selector or service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bangfu.accounts.scopes import can_read_logs, scope_for
from bangfu.assistance.selectors import region_summary
from bangfu.audit.selectors import audit_list, object_history
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.web import refusals_as_http, xlsx_response
from bangfu.regions import selectors as regions
from bangfu.regions.codes import Level
from bangfu.regions.exporters import pairing_columns, pairing_rows, region_columns, region_rows
from bangfu.regions.models import RegionLevel
from bangfu.regions.services import (
    PairingIn,
    RegionIn,
    pairing_create,
    pairing_update,
    region_create,
    region_update,
)
from bangfu.web.forms import (
    ChildRegionForm,
    PairingEditForm,
    PairingForm,
    RegionEditForm,
    attach_error,
)

PAGE_SIZE = 50


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@login_required
def region_tree(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user, "view")
    query = request.GET.get("q", "").strip()
    found = regions.region_search(scope=scope, text=query) if query else None
    roots = regions.region_roots(scope=scope).order_by("code")
    return render(request, "web/region_tree.html", {"roots": roots, "query": query, "found": found})


@login_required
@refusals_as_http
def region_children(request: HttpRequest, code: str) -> HttpResponse:
    """The children of a region as tree nodes (loaded into the tree by htmx), paginated."""
    scope = scope_for(request.user, "view")
    region = regions.region_get(scope=scope, code=code)
    page = Paginator(regions.region_children(scope=scope, region=region), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "web/_tree_nodes.html", {"region": region, "page": page})


@login_required
@refusals_as_http
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for(request.user, "view")
    region = regions.region_get(scope=scope, code=code)
    children = Paginator(regions.region_children(scope=scope, region=region), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = regions.region_descendant_counts(scope=scope, region=region)
    context = {
        "region": region,
        "ancestors": [(a, scope.covers(a.code)) for a in regions.region_ancestors(region=region)],
        "children": children,
        "counts": [(RegionLevel(level).label, counts[level]) for level in Level if level in counts],
        "pairings": regions.pairing_list(scope=scope, region=region),
        "history": object_history(obj=region)[:20],
        "can_capture": scope_for(request.user, "capture").covers(region.code),
        "assistance": region_summary(request.user, region.code, timezone.localdate()),
    }
    return render(request, "web/region_detail.html", context)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def region_create_child(request: HttpRequest, code: str) -> HttpResponse:
    view, capture = scope_for(request.user, "view"), scope_for(request.user, "capture")
    parent = regions.region_get(scope=view, code=code)
    if not capture.covers(parent.code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    initial_level = min(int(parent.level) + 1, int(Level.NATURAL_VILLAGE))
    form = ChildRegionForm(
        request.POST or None, initial={"level": initial_level, "code": parent.prefix}
    )
    if request.method == "POST" and form.is_valid():
        data = RegionIn(parent_code=parent.code, is_west=parent.is_west, **form.cleaned_data)
        try:
            child = region_create(actor=request.user, capture=capture, view=view, data=data)
        except BangfuError as error:
            attach_error(form, error)
        else:
            return redirect("region-detail", code=child.code)
    return render(request, "web/region_form.html", {"form": form, "parent": parent, "region": None})


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def region_edit(request: HttpRequest, code: str) -> HttpResponse:
    view, capture = scope_for(request.user, "view"), scope_for(request.user, "capture")
    region = regions.region_get(scope=view, code=code)
    if not capture.covers(region.code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    initial = {
        f: getattr(region, f) for f in ("name_zh", "name_en", "former_poor_county", "key_county")
    }
    form = RegionEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        reason = changes.pop("reason")
        try:
            region_update(
                actor=request.user,
                capture=capture,
                view=view,
                region=region,
                changes=changes,
                reason=reason,
            )
        except BangfuError as error:
            attach_error(form, error)
        else:
            return redirect("region-detail", code=region.code)
    return render(
        request, "web/region_form.html", {"form": form, "parent": region.parent, "region": region}
    )


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def pairing_create_view(request: HttpRequest) -> HttpResponse:
    view, capture = scope_for(request.user, "view"), scope_for(request.user, "capture")
    if capture.is_empty:
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    form = PairingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pairing = pairing_create(
                actor=request.user, capture=capture, view=view, data=PairingIn(**form.cleaned_data)
            )
        except BangfuError as error:
            attach_error(form, error)
        else:
            return redirect("pairing-detail", pk=pairing.pk)
    suggestions = regions.region_roots(scope=view).order_by("code")
    return render(
        request,
        "web/pairing_form.html",
        {"form": form, "pairing": None, "suggestions": suggestions},
    )


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def pairing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A pairing, its history, and (for those who may change it) a form for years and note."""
    view, capture = scope_for(request.user, "view"), scope_for(request.user, "capture")
    pairing = regions.pairing_get(scope=view, pk=pk)
    can_change = capture.covers(pairing.east.code) or capture.covers(pairing.west.code)
    initial = {"start_year": pairing.start_year, "end_year": pairing.end_year, "note": pairing.note}
    form = PairingEditForm(request.POST or None, initial=initial) if can_change else None
    if request.method == "POST":
        if form is None:
            raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                pairing_update(
                    actor=request.user,
                    capture=capture,
                    pairing=pairing,
                    start_year=data["start_year"],
                    end_year=data["end_year"],
                    note=data["note"],
                    reason=data["reason"],
                )
            except BangfuError as error:
                attach_error(form, error)
            else:
                return redirect("pairing-detail", pk=pairing.pk)
    context = {"pairing": pairing, "form": form, "history": object_history(obj=pairing)[:50]}
    return render(request, "web/pairing_detail.html", context)


@login_required
def pairing_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user, "view")
    year_text = request.GET.get("year", "").strip()
    year = int(year_text) if year_text.isdigit() else None
    page = Paginator(regions.pairing_list(scope=scope, year=year), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    can_record = not scope_for(request.user, "capture").is_empty
    context = {"page": page, "year": year_text, "can_record": can_record}
    return render(request, "web/pairing_list.html", context)


@login_required
@refusals_as_http
def audit_log(request: HttpRequest) -> HttpResponse:
    if not can_read_logs(request.user):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED, _("Only administrators and auditors read the log.")
        )
    page = Paginator(audit_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/audit_log.html", {"page": page, "language": get_language()})


@login_required
@refusals_as_http
def region_export(request: HttpRequest, code: str) -> FileResponse:
    """The region and every visible region below it, as .xlsx."""
    scope = scope_for(request.user, "view")
    region = regions.region_get(scope=scope, code=code)
    subtree = regions.region_subtree(scope=scope, region=region)
    rows = region_rows(
        subtree.model.objects.filter(Q(pk=region.pk) | Q(pk__in=subtree.values("pk")))
    )
    return xlsx_response(f"regions-{region.code}.xlsx", _("Regions"), region_columns(), rows)


@login_required
def pairing_export(request: HttpRequest) -> FileResponse:
    year_text = request.GET.get("year", "").strip()
    year = int(year_text) if year_text.isdigit() else None
    pairings = regions.pairing_list(scope=scope_for(request.user, "view"), year=year)
    suffix = f"-{year}" if year else ""
    return xlsx_response(
        f"pairings{suffix}.xlsx", _("Pairings"), pairing_columns(), pairing_rows(pairings)
    )
