"""Pages of the ID-conflict review queue (``registry.conflicts``): the open conflicts in the
user's view scope, and one conflict with both sides — masked — and the two decisions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bangfu.accounts.scopes import scope_for
from bangfu.core.errors import BangfuError
from bangfu.core.web import refusals_as_http
from bangfu.registry import conflicts
from bangfu.registry.models import IdConflictStatus

SHOWN = 200  # a queue longer than this is a data problem to fix at the source, not to page


@login_required
def conflict_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", IdConflictStatus.OPEN)
    if status not in IdConflictStatus.values:
        status = IdConflictStatus.OPEN
    items = list(conflicts.conflict_list(user=request.user, status=status)[:SHOWN])
    context = {"items": items, "status": status, "statuses": IdConflictStatus.choices}
    return render(request, "registry/conflict_list.html", context)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def conflict_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = conflicts.conflict_get(user=request.user, pk=pk)
    error = ""
    if request.method == "POST":
        capture = scope_for(request.user, "capture")
        note = request.POST.get("note", "").strip()
        try:
            if request.POST.get("decision") == "accept":
                household, _outcome = conflicts.conflict_accept(
                    actor=request.user, capture=capture, pk=conflict.pk, note=note
                )
                messages.success(request, _("Accepted: the members were moved."))
                return redirect("household-detail", pk=household.pk)
            conflicts.conflict_dismiss(
                actor=request.user, capture=capture, pk=conflict.pk, note=note
            )
            messages.success(request, _("Dismissed: the registry was not changed."))
            return redirect("conflict-list")
        except BangfuError as refusal:
            if refusal.status == 404:
                raise
            error = refusal.message
    holders = conflicts.holders(conflict, user=request.user)
    rows: list[dict[str, Any]] = [
        {"clash": clash, "holder": holders.get(clash["hash"])} for clash in conflict.conflicts
    ]
    context = {"conflict": conflict, "rows": rows, "error": error}
    return render(request, "registry/conflict_detail.html", context)
