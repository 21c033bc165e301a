"""Assistance endpoints of the household loop (mounted at /api/v1/assistance): helpers, a
household's helper, plan, measures and visits (with photos, multipart). Scoped like the pages:
the same selectors and services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from bangfu.assistance import selectors, services
from bangfu.assistance.models import MEASURE_NATURE, Helper, Measure, Visit
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Region
from bangfu.registry.api import ERRORS

router = Router()
MAX_PAGE = 1000


class HelperOut(Schema):
    id: int
    name: str
    unit: str
    post: str
    origin: str
    region: str
    visit_every_days: int
    active: bool

    @staticmethod
    def of(h: Helper) -> HelperOut:
        return HelperOut(
            id=h.pk,
            name=h.name,
            unit=h.unit,
            post=h.post,
            origin=h.origin,
            region=h.region.code,
            visit_every_days=h.visit_every_days,
            active=h.active,
        )


class HelperIn(Schema):
    name: str
    origin: str = Field(description="local_cadre, east_volunteer, enterprise, other")
    region: str = Field(description="region code where the helper works")
    unit: str = ""
    post: str = ""
    phone: str = ""
    visit_every_days: int = 30


class HelperPage(Schema):
    count: int
    page: int
    pages: int
    items: list[HelperOut]


class AssignmentOut(Schema):
    helper_id: int
    helper: str
    start_date: dt.date
    end_date: dt.date | None
    end_reason: str
    visit_every_days: int
    last_visit: dt.date | None = None
    next_visit_due: dt.date | None = None
    overdue: bool = False


class MeasureOut(Schema):
    id: int
    year: int
    kind: str
    nature: str
    amount: Decimal
    funder: str
    start_date: dt.date
    end_date: dt.date | None
    expected_effect: str
    status: str
    delivered_amount: Decimal | None
    delivered_on: dt.date | None
    outcome: str
    case_id: int | None

    @staticmethod
    def of(m: Measure) -> MeasureOut:
        return MeasureOut(
            id=m.pk,
            year=m.plan.year,
            kind=m.kind,
            nature=MEASURE_NATURE[m.kind],
            amount=m.amount,
            funder=m.funder,
            start_date=m.start_date,
            end_date=m.end_date,
            expected_effect=m.expected_effect,
            status=m.status,
            delivered_amount=m.delivered_amount,
            delivered_on=m.delivered_on,
            outcome=m.outcome,
            case_id=m.case_id,
        )


class VisitOut(Schema):
    id: int
    household_id: int
    visited_on: dt.date
    helper: str | None
    findings: str
    latitude: Decimal | None
    longitude: Decimal | None
    photos: list[str] = Field(description="URLs of the photos (served to readers in scope)")

    @staticmethod
    def of(v: Visit) -> VisitOut:
        return VisitOut(
            id=v.pk,
            household_id=v.household_id,
            visited_on=v.visited_on,
            helper=v.helper.name if v.helper else None,
            findings=v.findings,
            latitude=v.latitude,
            longitude=v.longitude,
            photos=[f"/assistance/photos/{p.pk}/" for p in v.photos.all()],
        )


class HouseholdAssistanceOut(Schema):
    household_id: int
    household_no: str
    helper: AssignmentOut | None
    earlier_helpers: list[AssignmentOut]
    measures: list[MeasureOut]
    visits: list[VisitOut]
    open_case_id: int | None


class AssignIn(Schema):
    helper_id: int
    on_date: dt.date
    reason: str = Field("", description="needed when the household already has a helper")


class MeasureIn(Schema):
    kind: str
    start_date: dt.date
    amount: str = Field("0", description="yuan, at most two decimals, as a string")
    funder: str = ""
    end_date: dt.date | None = None
    expected_effect: str = ""


class DeliverIn(Schema):
    delivered_on: dt.date
    amount: str | None = Field(None, description="yuan delivered; the planned amount if absent")
    outcome: str = ""


class CancelIn(Schema):
    reason: str


class VisitIn(Schema):
    visited_on: dt.date
    findings: str
    latitude: str = ""
    longitude: str = ""


def _assignment(a: Any, row: selectors.AssignmentRow | None = None) -> AssignmentOut:
    return AssignmentOut(
        helper_id=a.helper_id,
        helper=a.helper.name,
        start_date=a.start_date,
        end_date=a.end_date,
        end_reason=a.end_reason,
        visit_every_days=a.visit_every_days,
        last_visit=row.last_visit if row else None,
        next_visit_due=row.due_on if row else None,
        overdue=row.overdue if row else False,
    )


def _measure(user: Any, pk: int) -> Measure:
    measure = selectors.measures_for(user).filter(pk=pk).first()
    if measure is None:
        raise BangfuError(ErrorCode.MEASURE_NOT_FOUND, "No such measure is visible to you.")
    return measure


@router.get("/helpers", response=HelperPage, summary="Helpers working in your scope")
def helper_list(request: HttpRequest, page: int = 1, page_size: int = 100) -> HelperPage:
    helpers = selectors.helpers_for(request.user).order_by("region__code", "name", "pk")
    paginator = Paginator(helpers, max(1, min(page_size, MAX_PAGE)))
    current = paginator.get_page(page)
    return HelperPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[HelperOut.of(h) for h in current.object_list],
    )


@router.post("/helpers", response={201: HelperOut, **ERRORS}, summary="Add a helper")
def helper_create(request: HttpRequest, payload: HelperIn) -> Any:
    region = Region.objects.filter(code=payload.region).first()
    if region is None:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, f"No region with code {payload.region}.", field="region"
        )
    data = payload.dict() | {"region": region}
    return Status(201, HelperOut.of(services.helper_create(actor=request.user, data=data)))


@router.get(
    "/households/{household_id}",
    response={200: HouseholdAssistanceOut, **ERRORS},
    summary="A household's helper, measures and visits",
)
def household_assistance(request: HttpRequest, household_id: int) -> HouseholdAssistanceOut:
    user = request.user
    household = selectors.household_for(user=user, pk=household_id)
    assignments = selectors.assignments_for(user).filter(household=household)
    rows = selectors.assignment_rows(
        assignments.filter(end_date__isnull=True), timezone.localdate()
    )
    case = services.open_case(household)
    return HouseholdAssistanceOut(
        household_id=household.pk,
        household_no=household.household_no,
        helper=_assignment(rows[0].assignment, rows[0]) if rows else None,
        earlier_helpers=[
            _assignment(a) for a in assignments.filter(end_date__isnull=False).order_by("-end_date")
        ],
        measures=[
            MeasureOut.of(m)
            for m in selectors.measures_for(user)
            .filter(plan__household=household)
            .order_by("-plan__year", "start_date", "pk")
        ],
        visits=[VisitOut.of(v) for v in selectors.visits_for(user).filter(household=household)],
        open_case_id=case.pk if case else None,
    )


@router.post(
    "/households/{household_id}/helper",
    response={200: AssignmentOut, **ERRORS},
    summary="Assign a helper, or reassign (ending the current one's assignment that day)",
)
def household_assign(request: HttpRequest, household_id: int, payload: AssignIn) -> Any:
    household = selectors.household_for(user=request.user, pk=household_id)
    helper = selectors.helpers_for(request.user).filter(pk=payload.helper_id).first()
    if helper is None:
        raise BangfuError(ErrorCode.HELPER_NOT_FOUND, "No such helper is visible to you.")
    if services.current_assignment(household) is None:
        assignment = services.assignment_start(
            actor=request.user, helper=helper, household=household, start_date=payload.on_date
        )
    else:
        assignment = services.assignment_reassign(
            actor=request.user,
            household=household,
            helper=helper,
            on_date=payload.on_date,
            reason=payload.reason,
        )
    return _assignment(assignment)


@router.post(
    "/households/{household_id}/measures",
    response={201: MeasureOut, **ERRORS},
    summary="Add a measure to the household's plan for its start year",
)
def measure_add(request: HttpRequest, household_id: int, payload: MeasureIn) -> Any:
    household = selectors.household_for(user=request.user, pk=household_id)
    measure = services.measure_add(actor=request.user, household=household, **payload.dict())
    return Status(201, MeasureOut.of(measure))


@router.post(
    "/measures/{measure_id}/deliver",
    response={200: MeasureOut, **ERRORS},
    summary="Record that a measure reached the household",
)
def measure_deliver(request: HttpRequest, measure_id: int, payload: DeliverIn) -> MeasureOut:
    measure = services.measure_deliver(
        actor=request.user, measure=_measure(request.user, measure_id), **payload.dict()
    )
    return MeasureOut.of(measure)


@router.post(
    "/measures/{measure_id}/cancel", response={200: MeasureOut, **ERRORS}, summary="Cancel"
)
def measure_cancel(request: HttpRequest, measure_id: int, payload: CancelIn) -> MeasureOut:
    measure = services.measure_cancel(
        actor=request.user, measure=_measure(request.user, measure_id), reason=payload.reason
    )
    return MeasureOut.of(measure)


@router.post(
    "/households/{household_id}/visits",
    response={201: VisitOut, **ERRORS, 415: ERRORS[400]},
    summary="Record a visit (multipart: the fields and any number of `photos`)",
)
def visit_record(
    request: HttpRequest,
    household_id: int,
    payload: Form[VisitIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # for the schema
) -> Any:
    household = selectors.household_for(user=request.user, pk=household_id)
    visit = services.visit_record(
        actor=request.user,
        household=household,
        visited_on=payload.visited_on,
        findings=payload.findings,
        latitude=payload.latitude or None,
        longitude=payload.longitude or None,
        uploads=request.FILES.getlist("photos"),  # every file sent as `photos`
    )
    return Status(201, VisitOut.of(visit))


class VisitQuery(Schema):
    household_id: int | None = None
    since: dt.date | None = None
    page: int = 1
    page_size: int = 100


class VisitPage(Schema):
    count: int
    page: int
    pages: int
    items: list[VisitOut]


@router.get("/visits", response=VisitPage, summary="Visits to the households you may see")
def visit_list(request: HttpRequest, filters: Query[VisitQuery]) -> VisitPage:
    visits = selectors.visits_for(request.user)
    if filters.household_id is not None:
        visits = visits.filter(household_id=filters.household_id)
    if filters.since is not None:
        visits = visits.filter(visited_on__gte=filters.since)
    paginator = Paginator(visits, max(1, min(filters.page_size, MAX_PAGE)))
    current = paginator.get_page(filters.page)
    return VisitPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[VisitOut.of(v) for v in current.object_list],
    )
