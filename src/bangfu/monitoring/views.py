"""Monitoring pages: runs (history, the button, progress, diff), the alerts worklist, alert and
case pages with their workflow steps, and the what-if. Each view calls one service or selector
(``runs``, ``worklist``, ``compare``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bangfu.accounts.models import User
from bangfu.accounts.scopes import home_code, scope_for, users_who_may_capture
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.spreadsheets import Column
from bangfu.core.web import form_date, refusals_as_http, take_step, xlsx_response
from bangfu.monitoring import compare, labels, runs, worklist
from bangfu.monitoring.models import (
    OPEN_ALERT_STATUSES,
    AlertStatus,
    CaseStatus,
    Category,
    EliminationMode,
    MonitoringRun,
    RunStatus,
)
from bangfu.monitoring.tasks import monitoring_run
from bangfu.regions.models import Region
from bangfu.registry.codelists import code_list

RUNS_SHOWN = 50
ALERTS_SHOWN = 200


def _year(text: str | None, default: int) -> int:
    return int(text) if text and text.strip().isdigit() else default


def _default_year() -> int:
    return timezone.localdate().year - 1  # incomes are recorded for the year just ended


def _names(codes: list[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name_zh"))


# ---------------------------------------------------------------------------- runs


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    context = {
        "runs": MonitoringRun.objects.select_related("region", "started_by")[:RUNS_SHOWN],
        "may_run": runs.may_run(request.user),
        "year": _default_year(),
    }
    return render(request, "monitoring/run_list.html", context)


@login_required
@refusals_as_http
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    try:
        run = runs.run_create(
            actor=request.user,
            year=_year(request.POST.get("year"), _default_year()),
            region_code=request.POST.get("region", "").strip() or None,
        )
    except BangfuError as refusal:
        if refusal.status in (403, 404):
            raise
        messages.error(request, refusal.message)
        return redirect("monitoring-runs")
    monitoring_run.enqueue(run_id=run.pk)
    return redirect("monitoring-run", pk=run.pk)


def _run_context(run: MonitoringRun, user: Any) -> dict[str, Any]:
    """The run's figures; the county table only for the counties the user may see (a run's
    totals are aggregates of the whole run and are shown to every signed-in user)."""
    summary = run.summary or {}
    counties = summary.get("counties", {})
    by_county = summary.get("by_county", {})
    scope = scope_for(user, "view")
    codes = sorted(c for c in set(counties) | set(by_county) if scope.covers(c))
    names = _names(codes)
    rows = [
        {
            "code": code,
            "name": names.get(code, code),
            **counties.get(code, {}),
            **by_county.get(code, {}),
        }
        for code in codes
    ]
    return {
        "run": run,
        "finished": run.status in (RunStatus.DONE, RunStatus.FAILED),
        "counts": summary.get("counts", {}),
        "county_rows": rows,
        "villages": summary.get("villages", {}),
    }


@login_required
@refusals_as_http
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = compare.run_get(user=request.user, pk=pk)
    context = _run_context(run, request.user) | {
        "others": MonitoringRun.objects.filter(status=RunStatus.DONE).exclude(pk=run.pk)[:20],
    }
    return render(request, "monitoring/run_detail.html", context)


@login_required
@refusals_as_http
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    run = compare.run_get(user=request.user, pk=pk)
    context = _run_context(run, request.user)
    response = render(request, "monitoring/_run_status.html", context)
    if context["finished"] and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # the whole page: county table and rules appear too
    return response


@login_required
@refusals_as_http
def run_diff(request: HttpRequest) -> HttpResponse:
    first = compare.run_get(user=request.user, pk=_year(request.GET.get("a"), 0))
    second = compare.run_get(user=request.user, pk=_year(request.GET.get("b"), 0))
    result = compare.run_diff(user=request.user, first=first, second=second)
    context = {"first": first, "second": second, "result": result}
    return render(request, "monitoring/run_diff.html", context)


# ---------------------------------------------------------------------------- worklist


def _alert_filters(request: HttpRequest) -> dict[str, Any]:
    status = request.GET.get("status", "waiting")
    if status not in ("waiting", "", *AlertStatus.values):
        status = "waiting"
    category = request.GET.get("category", "")
    return {
        "status": status,
        "category": category if category in Category.values else "",
        "region_code": request.GET.get("region", "").strip(),
        "overdue": request.GET.get("overdue") == "1",
    }


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    filters, error = _alert_filters(request), None
    try:
        alerts = worklist.alert_list(user=request.user, **filters)
    except BangfuError as refusal:  # a malformed region code: say so, list without it
        error, filters["region_code"] = refusal, ""
        alerts = worklist.alert_list(user=request.user, **filters)
    total = alerts.count()
    today = timezone.localdate()
    context = {
        "alerts": [(a, worklist.is_overdue(a, today)) for a in alerts[:ALERTS_SHOWN]],
        "total": total,
        "shown": min(total, ALERTS_SHOWN),
        "filters": filters,
        "statuses": AlertStatus.choices,
        "categories": Category.choices,
        "query": request.GET.urlencode(),
        "error": error,
    }
    return render(request, "monitoring/alert_list.html", context)


def _alert_columns() -> list[Column]:
    return [
        Column(_("household number"), 20),
        Column(_("head of household"), 12),
        Column(_("village"), 16),
        Column(_("category"), 26),
        Column(_("reasons"), 36),
        Column(_("suggested risk types"), 30),
        Column(_("raised on"), 12),
        Column(_("decide by"), 12),
        Column(_("overdue"), 8),
        Column(_("status"), 14),
        Column(_("assignee"), 14),
    ]


@login_required
@refusals_as_http
def alert_export(request: HttpRequest) -> FileResponse:
    alerts = worklist.alert_list(user=request.user, **_alert_filters(request))
    today = timezone.localdate()
    risk_labels = code_list("risk_type")
    rows = (
        (
            a.household.household_no,
            a.household.head_name,
            a.household.village.name_zh,
            a.get_category_display(),
            "、".join(_reason_label(r) for r in a.reasons.split(",") if r),
            "、".join(risk_labels.label(r) for r in a.risk_types),
            a.raised_on.isoformat(),
            a.due_on.isoformat(),
            _("yes") if worklist.is_overdue(a, today) else "",
            a.get_status_display(),
            a.assignee.username if a.assignee else "",
        )
        for a in alerts.iterator(chunk_size=2000)
    )
    return xlsx_response(f"alerts-{today.isoformat()}.xlsx", _("Alerts"), _alert_columns(), rows)


def _reason_label(code: str) -> str:
    return str(labels.REASONS.get(code, code))


def _assignees(alert: Any) -> list[Any]:
    """Active users who may edit the alert's village (the only ones it can be given to)."""
    return list(users_who_may_capture(alert.household.village.code).order_by("username"))


def _alert_step(request: HttpRequest, pk: int) -> Any:
    step = request.POST.get("step")
    if step == "assign":
        assignee = User.objects.filter(pk=_year(request.POST.get("assignee"), 0)).first()
        return worklist.alert_assign(actor=request.user, pk=pk, assignee=assignee)
    if step == "verify":
        visit = worklist.Visit(
            visited_on=form_date(request.POST.get("visited_on"), "visited_on"),
            notes=request.POST.get("notes", ""),
            consent=request.POST.get("consent") == "on",
        )
        return worklist.alert_verify(actor=request.user, pk=pk, visit=visit)
    if step == "admit":
        return worklist.alert_admit(
            actor=request.user,
            pk=pk,
            category=request.POST.get("category", ""),
            risk_types=request.POST.getlist("risk_types"),
        )
    if step == "dismiss":
        return worklist.alert_dismiss(
            actor=request.user, pk=pk, reason=request.POST.get("reason", "")
        )
    raise BangfuError(ErrorCode.VALIDATION_ERROR, _("Unknown step."))


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = worklist.alert_get(user=request.user, pk=pk)
    outcome, error = take_step(request, _alert_step, alert.pk)
    if outcome is not None:
        if hasattr(outcome, "measure_due_on"):  # admitted: the new case
            return redirect("monitoring-case", pk=outcome.pk)
        return redirect("monitoring-alert", pk=alert.pk)
    risk_list = code_list("risk_type")
    context = {
        "alert": alert,
        "overdue": worklist.is_overdue(alert),
        "reasons": [_reason_label(r) for r in alert.reasons.split(",") if r],
        "risk_types": [(code, risk_list.label(code)) for code in alert.risk_types],
        "risk_choices": risk_list.choices(),
        "assignees": _assignees(alert) if alert.status in OPEN_ALERT_STATUSES else [],
        "categories": Category.choices,
        "may_capture": scope_for(request.user, "capture").covers(alert.household.village.code),
        "error": error,
        "today": timezone.localdate().isoformat(),
        "history": object_history(obj=alert)[:50],
    }
    return render(request, "monitoring/alert_detail.html", context)


# ---------------------------------------------------------------------------- cases


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in ("open", "", *CaseStatus.values):
        status = "open"
    cases = worklist.case_list(user=request.user, status=status)
    context = {
        "cases": cases[:ALERTS_SHOWN],
        "total": cases.count(),
        "status": status,
        "statuses": CaseStatus.choices,
    }
    return render(request, "monitoring/case_list.html", context)


def _case_step(request: HttpRequest, pk: int) -> Any:
    step = request.POST.get("step")
    if step == "verify":
        return worklist.case_verify_elimination(
            actor=request.user, pk=pk, mode=request.POST.get("mode", "")
        )
    if step == "post":
        return worklist.case_post(
            actor=request.user,
            pk=pk,
            start=form_date(request.POST.get("start"), "start"),
            end=form_date(request.POST.get("end"), "end"),
        )
    if step == "object":
        return worklist.case_object(
            actor=request.user, pk=pk, reason=request.POST.get("reason", "")
        )
    if step == "approve":
        return worklist.case_approve(actor=request.user, pk=pk)
    raise BangfuError(ErrorCode.VALIDATION_ERROR, _("Unknown step."))


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = worklist.case_get(user=request.user, pk=pk)
    outcome, error = take_step(request, _case_step, case.pk)
    if outcome is not None:
        return redirect("monitoring-case", pk=case.pk)
    risk_list = code_list("risk_type")
    context = {
        "case": case,
        "result": worklist.latest_result(case),
        "risk_types": [risk_list.label(c) for c in case.risk_types],
        "modes": EliminationMode.choices,
        "may_capture": scope_for(request.user, "capture").covers(case.household.village.code),
        "error": error,
        "today": timezone.localdate().isoformat(),
        "history": object_history(obj=case)[:50],
    }
    return render(request, "monitoring/case_detail.html", context)


# ---------------------------------------------------------------------------- what-if

WHAT_IF_FIELDS = {
    "threshold": "monitoring.threshold",
    "poverty_line": "poverty_line.current",
    "income_drop_share": "monitoring.income_drop_share",
    "rigid_vs_previous_income": "monitoring.rigid_vs_previous_income",
    "rigid_share_of_income": "monitoring.rigid_share_of_income",
    "income_definition": "monitoring.income_definition",
}


def _what_if_overrides(data: Any) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for name, key in WHAT_IF_FIELDS.items():
        raw = (data.get(name) or "").strip()
        if not raw:
            continue
        if name in ("threshold", "poverty_line"):
            try:
                Decimal(raw)
            except InvalidOperation:
                raise BangfuError(
                    ErrorCode.VALIDATION_ERROR, _("Give an amount in yuan."), field=name
                ) from None
        overrides[key] = raw
    return overrides


@login_required
@refusals_as_http
def what_if(request: HttpRequest) -> HttpResponse:
    region = request.GET.get("region", "").strip() or home_code(request.user) or ""
    year = _year(request.GET.get("year"), _default_year())
    context: dict[str, Any] = {
        "region": region,
        "year": year,
        "values": {name: request.GET.get(name, "") for name in WHAT_IF_FIELDS},
        "result": None,
        "error": None,
    }
    if request.GET.get("run") == "1":
        try:
            overrides = _what_if_overrides(request.GET)
            if not overrides:
                raise BangfuError(ErrorCode.VALIDATION_ERROR, _("Change at least one parameter."))
            context["result"] = compare.what_if(
                user=request.user, year=year, region_code=region, overrides=overrides
            )
        except BangfuError as refusal:
            if refusal.status == 404:
                raise
            context["error"] = refusal
    if context["result"] is not None:
        before = context["result"].by_county["before"]
        after = context["result"].by_county["after"]
        codes = sorted(set(before) | set(after))
        names = _names(codes)
        context["county_rows"] = [
            {
                "code": code,
                "name": names.get(code, code),
                "before": before.get(code, {}),
                "after": after.get(code, {}),
            }
            for code in codes
        ]
    return render(request, "monitoring/what_if.html", context)
