"""Every write of the household loop: helpers, their assignments to households, household
plans and measures, and visits. Each step checks who may take it, validates, writes and records
its history in one transaction.

Who may write: staff whose capture scope covers the household's village (village, township,
county staff, administrators) may assign helpers, plan measures and record visits; a helper
with a user account may record visits and measures for the households assigned to them.
Helpers themselves are created and changed by staff whose capture scope covers the helper's
region.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bangfu.accounts.scopes import scope_for
from bangfu.assistance import photos
from bangfu.assistance.models import (
    Assignment,
    Helper,
    HelperOrigin,
    HouseholdPlan,
    Measure,
    MeasureKind,
    MeasureStatus,
    Visit,
)
from bangfu.assistance.selectors import may_capture_household
from bangfu.audit.services import save_with_history, snapshot
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.money import REFUSE, parse_yuan
from bangfu.monitoring.models import OPEN_CASE_STATUSES, Case
from bangfu.registry.models import Household

MAX_VISIT_EVERY_DAYS = 366


def _invalid(message: str, field: str) -> BangfuError:
    return BangfuError(ErrorCode.VALIDATION_ERROR, message, field=field)


def _require_household(actor: Any, household: Household) -> None:
    if not may_capture_household(actor, household):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Only the village's staff or the household's helper may do this."),
        )


def _require_staff(actor: Any, household: Household) -> None:
    """Assigning helpers is for staff of the village, not for helpers themselves."""
    if not scope_for(actor, "capture").covers(household.village.code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED, _("Only the village's staff may assign helpers.")
        )


def _money(value: Any, field: str, *, allow_none: bool = False) -> Decimal | None:
    """A yuan amount ≥ 0 (``money.parse_yuan``); blank is None when ``allow_none``."""
    return parse_yuan(value, field=field, blank=None if allow_none else REFUSE)


def _dates(start: dt.date, end: dt.date | None, field: str = "end_date") -> None:
    if end is not None and end < start:
        raise _invalid(_("The end date is before the start date."), field)


def _visit_every(days: Any, field: str = "visit_every_days") -> int:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_VISIT_EVERY_DAYS:
        raise _invalid(_("Visit at least once a year: give a number of days from 1 to 366."), field)
    return days


# ---------------------------------------------------------------------------- helpers


HELPER_FIELDS = ("name", "unit", "post", "phone", "origin", "region", "visit_every_days")


def _check_helper(actor: Any, helper: Helper) -> None:
    if not helper.name.strip():
        raise _invalid(_("Give the helper's name."), "name")
    if helper.origin not in HelperOrigin.values:
        raise _invalid(_("Unknown origin."), "origin")
    _visit_every(helper.visit_every_days)
    if not scope_for(actor, "capture").covers(helper.region.code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("The helper's region is not in your capture scope."),
            field="region",
        )


@transaction.atomic
def helper_create(*, actor: Any, data: dict[str, Any]) -> Helper:
    """A new helper; ``data`` holds HELPER_FIELDS (region a Region) and optionally partner,
    campaign and user."""
    helper = Helper(**data)
    helper.name = helper.name.strip()
    _check_helper(actor, helper)
    save_with_history(actor=actor, obj=helper, before=None, reason=gettext_noop("helper added"))
    return helper


@transaction.atomic
def helper_update(*, actor: Any, helper: Helper, data: dict[str, Any]) -> Helper:
    if not scope_for(actor, "capture").covers(helper.region.code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    before = snapshot(helper)
    for name, value in data.items():
        setattr(helper, name, value)
    _check_helper(actor, helper)
    save_with_history(actor=actor, obj=helper, before=before)
    return helper


# ---------------------------------------------------------------------------- assignments


def current_assignment(household: Household) -> Assignment | None:
    return (
        Assignment.objects.select_related("helper")
        .filter(household=household, end_date__isnull=True)
        .first()
    )


def _check_helper_fits(helper: Helper, household: Household) -> None:
    if not helper.active:
        raise _invalid(_("This helper is no longer active."), "helper")
    if not household.village.code.startswith(_prefix(helper.region.code)):
        raise _invalid(
            _("The helper works in {region}, not in this household's village.").format(
                region=helper.region.name_zh
            ),
            "helper",
        )


def _prefix(code: str) -> str:
    from bangfu.regions.codes import significant_prefix

    return significant_prefix(code)


@transaction.atomic
def assignment_start(
    *,
    actor: Any,
    helper: Helper,
    household: Household,
    start_date: dt.date,
    visit_every_days: int | None = None,
) -> Assignment:
    """Give a household a helper (千人联千户). A household has one helper at a time: one that
    has a helper is reassigned (``assignment_reassign``), which keeps the history."""
    _require_staff(actor, household)
    Household.objects.select_for_update().filter(pk=household.pk).first()
    if current_assignment(household) is not None:
        raise BangfuError(
            ErrorCode.ASSIGNMENT_CONFLICT,
            _("The household already has a helper: reassign it instead."),
            field="helper",
        )
    _check_helper_fits(helper, household)
    assignment = Assignment(
        helper=helper,
        household=household,
        start_date=start_date,
        visit_every_days=_visit_every(
            visit_every_days if visit_every_days is not None else helper.visit_every_days
        ),
    )
    save_with_history(
        actor=actor, obj=assignment, before=None, reason=gettext_noop("helper assigned")
    )
    return assignment


@transaction.atomic
def assignment_end(*, actor: Any, household: Household, end_date: dt.date, reason: str) -> None:
    _require_staff(actor, household)
    current = current_assignment(household)
    if current is None:
        raise BangfuError(ErrorCode.ASSIGNMENT_CONFLICT, _("The household has no helper."))
    if not reason.strip():
        raise _invalid(_("Say why the assignment ends."), "reason")
    _dates(current.start_date, end_date, "end_date")
    before = snapshot(current)
    current.end_date, current.end_reason = end_date, reason.strip()[:300]
    save_with_history(
        actor=actor, obj=current, before=before, reason=gettext_noop("helper assignment ended")
    )


@transaction.atomic
def assignment_reassign(
    *,
    actor: Any,
    household: Household,
    helper: Helper,
    on_date: dt.date,
    reason: str,
    visit_every_days: int | None = None,
) -> Assignment:
    """End the current helper's assignment on ``on_date`` and start the new helper's the same
    day: the household is never without a helper, and both stay in its history."""
    current = current_assignment(household)
    if current is not None and current.helper_id == helper.pk:
        raise _invalid(_("This helper already helps the household."), "helper")
    if current is not None:
        assignment_end(actor=actor, household=household, end_date=on_date, reason=reason)
    return assignment_start(
        actor=actor,
        helper=helper,
        household=household,
        start_date=on_date,
        visit_every_days=visit_every_days,
    )


# ---------------------------------------------------------------------------- plans, measures


def open_case(household: Household) -> Case | None:
    return Case.objects.filter(household=household, status__in=OPEN_CASE_STATUSES).first()


@transaction.atomic
def plan_for_year(*, actor: Any, household: Household, year: int, goal: str = "") -> HouseholdPlan:
    """The household's plan for the year (一户一策), created on first use."""
    _require_household(actor, household)
    if not 2000 <= year <= 2100:
        raise _invalid(_("Give a year between 2000 and 2100."), "year")
    plan = HouseholdPlan.objects.filter(household=household, year=year).first()
    if plan is None:
        plan = HouseholdPlan(household=household, year=year, goal=goal.strip(), created_by=actor)
        save_with_history(actor=actor, obj=plan, before=None, reason=gettext_noop("plan made"))
    elif goal.strip() and goal.strip() != plan.goal:
        before = snapshot(plan)
        plan.goal = goal.strip()
        save_with_history(actor=actor, obj=plan, before=before)
    return plan


@transaction.atomic
def measure_add(
    *,
    actor: Any,
    household: Household,
    kind: str,
    start_date: dt.date,
    amount: Any = "0",
    funder: str = "",
    end_date: dt.date | None = None,
    expected_effect: str = "",
) -> Measure:
    """A measure in the household's plan for the start date's year. It answers the
    household's open monitoring case, if any (a case needs a measure within the policy's
    deadline; ``cases_waiting_for_measure`` lists those still without)."""
    _require_household(actor, household)
    if kind not in MeasureKind.values:
        raise _invalid(_("Choose a measure from the catalogue."), "kind")
    _dates(start_date, end_date)
    plan = plan_for_year(actor=actor, household=household, year=start_date.year)
    measure = Measure(
        plan=plan,
        kind=kind,
        amount=_money(amount, "amount"),
        funder=funder.strip()[:200],
        start_date=start_date,
        end_date=end_date,
        expected_effect=expected_effect.strip()[:300],
        case=open_case(household),
    )
    save_with_history(actor=actor, obj=measure, before=None, reason=gettext_noop("measure planned"))
    return measure


def _measure_step(actor: Any, measure: Measure) -> dict[str, Any]:
    _require_household(actor, measure.plan.household)
    if measure.status != MeasureStatus.PLANNED:
        raise BangfuError(
            ErrorCode.MEASURE_TRANSITION_INVALID,
            _("The measure is already {status}.").format(status=measure.get_status_display()),
        )
    return snapshot(measure)


@transaction.atomic
def measure_deliver(
    *, actor: Any, measure: Measure, delivered_on: dt.date, amount: Any = None, outcome: str = ""
) -> Measure:
    """Record that the measure reached the household (the amount actually given, if any)."""
    before = _measure_step(actor, measure)
    if delivered_on > timezone.localdate():
        raise _invalid(_("The delivery date is in the future."), "delivered_on")
    if delivered_on < measure.start_date:
        raise _invalid(_("The delivery date is before the measure started."), "delivered_on")
    delivered = _money(amount, "delivered_amount", allow_none=True)
    measure.status, measure.delivered_on = MeasureStatus.DELIVERED, delivered_on
    measure.delivered_amount = measure.amount if delivered is None else delivered
    measure.outcome = outcome.strip()[:300]
    save_with_history(
        actor=actor, obj=measure, before=before, reason=gettext_noop("measure delivered")
    )
    return measure


@transaction.atomic
def measure_cancel(*, actor: Any, measure: Measure, reason: str) -> Measure:
    before = _measure_step(actor, measure)
    if not reason.strip():
        raise _invalid(_("Say why the measure is cancelled."), "reason")
    measure.status, measure.outcome = MeasureStatus.CANCELLED, reason.strip()[:300]
    save_with_history(
        actor=actor,
        obj=measure,
        before=before,
        reason=f"{gettext_noop('measure cancelled')}: {reason.strip()}",
    )
    return measure


# ---------------------------------------------------------------------------- visits


def _coordinate(value: Any, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation as exc:
        raise _invalid(_("Not a coordinate: {value}.").format(value=value), field) from exc
    if not -limit <= number <= limit:
        raise _invalid(_("A coordinate between −{n} and {n}.").format(n=limit), field)
    return number


@transaction.atomic
def visit_record(
    *,
    actor: Any,
    household: Household,
    visited_on: dt.date,
    findings: str,
    helper: Helper | None = None,
    latitude: Any = None,
    longitude: Any = None,
    uploads: Sequence[Any] = (),
) -> Visit:
    """A home visit with what was found and its photos (each checked: a JPEG, PNG or WebP
    image of at most ``photos.MAX_BYTES``). Nothing is kept if any photo is refused. The
    helper defaults to the household's current helper when the actor is that helper."""
    _require_household(actor, household)
    if visited_on > timezone.localdate():
        raise _invalid(_("The visit date is in the future."), "visited_on")
    if not findings.strip():
        raise _invalid(_("Write what you found."), "findings")
    if (latitude in (None, "")) != (longitude in (None, "")):
        raise _invalid(_("Give both latitude and longitude, or neither."), "longitude")
    checked = [photos.check(upload) for upload in uploads]
    current = current_assignment(household)
    if helper is None and current is not None and current.helper.user_id == actor.pk:
        helper = current.helper
    visit = Visit(
        household=household,
        helper=helper,
        visited_on=visited_on,
        findings=findings.strip(),
        latitude=_coordinate(latitude, "latitude", 90),
        longitude=_coordinate(longitude, "longitude", 180),
        recorded_by=actor,
    )
    save_with_history(actor=actor, obj=visit, before=None, reason=gettext_noop("visit recorded"))
    for photo in checked:
        photos.keep(visit, photo)
    return visit
