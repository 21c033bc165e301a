"""The alerts worklist and monitoring cases: who may see and do what, and each step's rules.

Alerts (POLICY.md §4.4): new → assigned to a staff member → verified at home (findings, the
household's consent to data checks) → admitted as a case (category, risk types) or dismissed
with a reason. The decision is due ``monitoring.identify_deadline_days`` after the alert was
raised; an undecided alert past that date is overdue.

Cases (§4.5): monitored → elimination verified at home (only when the latest run found the
household eligible: income above the threshold for the stable period, rigid spending resolved,
guarantees secured, and not a household without labour that the policy defers) → publicly
posted → approved by the county (risk eliminated); an objection during the posting sends the
case back to monitoring. The household's registry record stays as it is throughout.

Every step is written with its history (``audit.save_with_history``). Reads are scoped by the
user's view scope; steps need the capture scope over the household's village.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bangfu.accounts.models import Role
from bangfu.accounts.scopes import scope_for
from bangfu.audit.services import save_with_history, snapshot
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.monitoring.models import (
    OPEN_ALERT_STATUSES,
    OPEN_CASE_STATUSES,
    Alert,
    AlertStatus,
    Case,
    CaseStatus,
    Category,
    EliminationMode,
    RunResult,
    RunStatus,
)
from bangfu.regions.scope import RegionScope
from bangfu.registry.codelists import code_list
from bangfu.registry.policy import rule_policy

VILLAGE_CODE = "household__village__code"  # alerts and cases: their household's village

# ---------------------------------------------------------------------------- reads


def alert_list(
    *,
    user: Any,
    status: str = "waiting",
    category: str = "",
    region_code: str = "",
    overdue: bool = False,
) -> QuerySet[Alert]:
    """Alerts in the user's view scope. ``status`` "waiting" = not yet decided."""
    alerts = Alert.objects.filter(scope_for(user, "view").q(VILLAGE_CODE))
    if status == "waiting":
        alerts = alerts.filter(status__in=OPEN_ALERT_STATUSES)
    elif status:
        alerts = alerts.filter(status=status)
    if category:
        alerts = alerts.filter(category=category)
    if region_code:
        alerts = alerts.filter(RegionScope.of([region_code]).q(VILLAGE_CODE))
    if overdue:
        alerts = alerts.filter(status__in=OPEN_ALERT_STATUSES, due_on__lt=timezone.localdate())
    return alerts.select_related("household__village", "assignee").order_by("due_on", "pk")


def alert_get(*, user: Any, pk: int) -> Alert:
    alert = alert_list(user=user, status="").filter(pk=pk).first()
    if alert is None:
        raise not_found(ErrorCode.ALERT_NOT_FOUND, _("alert"))
    return alert


def case_list(*, user: Any, status: str = "open") -> QuerySet[Case]:
    cases = Case.objects.filter(scope_for(user, "view").q(VILLAGE_CODE))
    if status == "open":
        cases = cases.filter(status__in=OPEN_CASE_STATUSES)
    elif status:
        cases = cases.filter(status=status)
    return cases.select_related("household__village").order_by("-admitted_on", "pk")


def case_get(*, user: Any, pk: int) -> Case:
    case = case_list(user=user, status="").filter(pk=pk).first()
    if case is None:
        raise not_found(ErrorCode.CASE_NOT_FOUND, _("case"))
    return case


def is_overdue(alert: Alert, today: date | None = None) -> bool:
    return alert.status in OPEN_ALERT_STATUSES and (today or timezone.localdate()) > alert.due_on


def latest_result(case: Case) -> RunResult | None:
    """What the latest finished run said about the case's household."""
    return (
        RunResult.objects.filter(household=case.household_id, run__status=RunStatus.DONE)
        .select_related("run")
        .order_by("-run__pk")
        .first()
    )


# ---------------------------------------------------------------------------- helpers


def _capture(actor: Any, village_code: str) -> None:
    if not scope_for(actor, "capture").covers(village_code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))


def _refuse(code: ErrorCode, message: str, field: str | None = None) -> BangfuError:
    return BangfuError(code, message, field=field)


def _step(actor: Any, obj: Any, allowed: tuple[str, ...], reason: str) -> dict[str, Any]:
    """Check the object's status allows the step; return the snapshot for its history."""
    if obj.status not in allowed:
        code = (
            ErrorCode.ALERT_TRANSITION_INVALID
            if isinstance(obj, Alert)
            else ErrorCode.CASE_TRANSITION_INVALID
        )
        raise _refuse(
            code,
            _("Not possible while the status is “{status}” ({step}).").format(
                status=obj.get_status_display(), step=reason
            ),
        )
    _capture(actor, obj.household.village.code)
    return snapshot(obj)


def _lock_alert(pk: int) -> Alert:
    return Alert.objects.select_for_update().select_related("household__village").get(pk=pk)


def _lock_case(pk: int) -> Case:
    return Case.objects.select_for_update().select_related("household__village").get(pk=pk)


# ---------------------------------------------------------------------------- alert steps


@transaction.atomic
def alert_assign(*, actor: Any, pk: int, assignee: Any) -> Alert:
    alert = _lock_alert(pk)
    before = _step(actor, alert, (AlertStatus.OPEN, AlertStatus.ASSIGNED), "assign")
    if assignee is None or not scope_for(assignee, "capture").covers(alert.household.village.code):
        raise _refuse(
            ErrorCode.VALIDATION_ERROR,
            _("The assignee must be able to edit households of this village."),
            "assignee",
        )
    alert.assignee, alert.assigned_on = assignee, timezone.localdate()
    alert.status = AlertStatus.ASSIGNED
    save_with_history(actor=actor, obj=alert, before=before, reason=gettext_noop("alert assigned"))
    return alert


@dataclass(frozen=True)
class Visit:
    visited_on: date
    notes: str
    consent: bool


@transaction.atomic
def alert_verify(*, actor: Any, pk: int, visit: Visit) -> Alert:
    alert = _lock_alert(pk)
    before = _step(actor, alert, (AlertStatus.ASSIGNED,), "verify")
    if visit.visited_on > timezone.localdate() or visit.visited_on < alert.raised_on:
        raise _refuse(
            ErrorCode.VALIDATION_ERROR,
            _("The visit date must lie between the alert ({raised}) and today.").format(
                raised=alert.raised_on
            ),
            "visited_on",
        )
    if not visit.notes.strip():
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("Write what the visit found."), "notes")
    alert.visited_on, alert.visit_notes, alert.consent = (
        visit.visited_on,
        visit.notes.strip(),
        visit.consent,
    )
    alert.status = AlertStatus.VERIFIED
    save_with_history(
        actor=actor, obj=alert, before=before, reason=gettext_noop("alert verified at home")
    )
    return alert


def _risk_codes(risk_types: list[str]) -> list[str]:
    codes = code_list("risk_type")
    known = {item.code for item in codes.items}
    unknown = [r for r in risk_types if r not in known]
    if unknown or not risk_types:
        raise _refuse(
            ErrorCode.CODE_UNKNOWN,
            _("Choose at least one risk type from the list; unknown: {codes}.").format(
                codes=", ".join(unknown) or "—"
            ),
            "risk_types",
        )
    return sorted(set(risk_types))


@transaction.atomic
def alert_admit(*, actor: Any, pk: int, category: str, risk_types: list[str]) -> Case:
    """Admit the household as a monitoring object; returns the new case."""
    alert = _lock_alert(pk)
    before = _step(actor, alert, (AlertStatus.VERIFIED,), "admit")
    if not alert.consent:
        raise _refuse(
            ErrorCode.ALERT_TRANSITION_INVALID,
            _("The household has not consented to the data checks (承诺授权)."),
            "consent",
        )
    if category not in Category.values:
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("Choose a category."), "category")
    codes = _risk_codes(risk_types)
    if Case.objects.filter(household=alert.household_id, status__in=OPEN_CASE_STATUSES).exists():
        raise _refuse(ErrorCode.ALERT_TRANSITION_INVALID, _("The household already has a case."))
    today = timezone.localdate()
    policy = rule_policy(alert.run.year, alert.household.village.code)
    case = Case(
        household=alert.household,
        alert=alert,
        category=category,
        risk_types=codes,
        admitted_on=today,
        admitted_by=actor,
        measure_due_on=today + timedelta(days=policy.measure_deadline_days),
    )
    save_with_history(
        actor=actor, obj=case, before=None, reason=gettext_noop("admitted as monitoring object")
    )
    alert.status, alert.decided_on, alert.decided_by = AlertStatus.ADMITTED, today, actor
    save_with_history(actor=actor, obj=alert, before=before, reason=gettext_noop("alert admitted"))
    return case


@transaction.atomic
def alert_dismiss(*, actor: Any, pk: int, reason: str) -> Alert:
    alert = _lock_alert(pk)
    before = _step(actor, alert, OPEN_ALERT_STATUSES, "dismiss")
    if not reason.strip():
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("Give the reason for dismissal."), "reason")
    alert.status, alert.dismiss_reason = AlertStatus.DISMISSED, reason.strip()[:500]
    alert.decided_on, alert.decided_by = timezone.localdate(), actor
    save_with_history(actor=actor, obj=alert, before=before, reason=gettext_noop("alert dismissed"))
    return alert


# ---------------------------------------------------------------------------- case steps


@transaction.atomic
def case_verify_elimination(*, actor: Any, pk: int, mode: str) -> Case:
    """Home verification of risk elimination; only when the latest run found it eligible."""
    case = _lock_case(pk)
    before = _step(actor, case, (CaseStatus.OPEN,), "verify elimination")
    if mode not in EliminationMode.values:
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("Choose how the risk was eliminated."), "mode")
    result = latest_result(case)
    if result is None or result.elimination != "eligible":
        why = (
            _("no monitoring run has judged this household yet")
            if result is None
            else (result.elimination_reasons or result.elimination).replace(",", ", ")
        )
        raise _refuse(
            ErrorCode.CASE_NOT_ELIGIBLE,
            _("The latest run does not find the risk eliminated: {why}.").format(why=why),
        )
    case.status, case.elimination_mode = CaseStatus.ELIMINATION_VERIFIED, mode
    save_with_history(
        actor=actor, obj=case, before=before, reason=gettext_noop("elimination verified")
    )
    return case


@transaction.atomic
def case_post(*, actor: Any, pk: int, start: date, end: date) -> Case:
    case = _lock_case(pk)
    before = _step(actor, case, (CaseStatus.ELIMINATION_VERIFIED,), "post")
    if end <= start:
        raise _refuse(
            ErrorCode.WORKFLOW_POSTING_PERIOD, _("The posting must end after it starts."), "end"
        )
    case.status, case.posting_start, case.posting_end = CaseStatus.ELIMINATION_POSTED, start, end
    save_with_history(
        actor=actor, obj=case, before=before, reason=gettext_noop("elimination posted")
    )
    return case


@transaction.atomic
def case_object(*, actor: Any, pk: int, reason: str) -> Case:
    """An objection during the posting: back to monitoring."""
    case = _lock_case(pk)
    before = _step(actor, case, (CaseStatus.ELIMINATION_POSTED,), "objection")
    if not reason.strip():
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("Record the objection."), "reason")
    case.status, case.elimination_mode = CaseStatus.OPEN, ""
    case.posting_start = case.posting_end = None
    save_with_history(
        actor=actor,
        obj=case,
        before=before,
        reason=f"{gettext_noop('objection')}: {reason.strip()}",
    )
    return case


@transaction.atomic
def case_approve(*, actor: Any, pk: int) -> Case:
    """County approval after the posting: the risk is eliminated; the record stays."""
    case = _lock_case(pk)
    before = _step(actor, case, (CaseStatus.ELIMINATION_POSTED,), "approve")
    if not (actor.is_superuser or actor.role in (Role.ADMIN, Role.COUNTY)):
        raise _refuse(ErrorCode.PERMISSION_DENIED, _("The county approves risk elimination."))
    today = timezone.localdate()
    if case.posting_end is None or today <= case.posting_end:
        raise _refuse(
            ErrorCode.WORKFLOW_POSTING_PERIOD,
            _("The posting runs until {end}; approve after it.").format(end=case.posting_end),
        )
    case.status, case.eliminated_on = CaseStatus.ELIMINATED, today
    save_with_history(actor=actor, obj=case, before=before, reason=gettext_noop("risk eliminated"))
    return case
