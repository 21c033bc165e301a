"""Monitoring endpoints: the alerts worklist (scoped like the pages), runs, and starting a run
(administrators). Mounted at /api/v1/monitoring by ``bangfu.api``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from bangfu.monitoring import compare, runs, worklist
from bangfu.monitoring.models import Alert, MonitoringRun
from bangfu.monitoring.tasks import monitoring_run
from bangfu.registry.api import ERRORS

monitoring_router = Router(tags=["monitoring"])


class AlertOut(Schema):
    id: int
    household_id: int
    household_no: str
    village_code: str
    category: str
    reasons: list[str]
    risk_types: list[str]
    values: dict[str, Any] = Field(description="the values behind the alert; money in fen")
    status: str
    still_flagged: bool
    raised_on: dt.date
    due_on: dt.date
    overdue: bool
    assignee: str | None

    @staticmethod
    def of(a: Alert, today: dt.date) -> AlertOut:
        return AlertOut(
            id=a.pk,
            household_id=a.household_id,
            household_no=a.household.household_no,
            village_code=a.household.village.code,
            category=a.category,
            reasons=[r for r in a.reasons.split(",") if r],
            risk_types=list(a.risk_types),
            values=a.values,
            status=a.status,
            still_flagged=a.still_flagged,
            raised_on=a.raised_on,
            due_on=a.due_on,
            overdue=worklist.is_overdue(a, today),
            assignee=a.assignee.username if a.assignee else None,
        )


class AlertPage(Schema):
    count: int
    page: int
    pages: int
    items: list[AlertOut]


class AlertQuery(Schema):
    status: str = Field("waiting", description="waiting (undecided), '' (all), or a status")
    category: str = ""
    region: str = Field("", description="region code: alerts in its subtree")
    overdue: bool = False
    page: int = 1
    page_size: int = Field(100, description="at most 1000")


class RunOut(Schema):
    id: int
    year: int
    region: str | None
    engine: str
    status: str
    stage: str
    progress: int
    error: str
    households: int
    input_hash: str
    policy_versions: dict[str, str]
    counts: dict[str, int]
    seconds: float | None

    @staticmethod
    def of(r: MonitoringRun) -> RunOut:
        return RunOut(
            id=r.pk,
            year=r.year,
            region=r.region.code if r.region else None,
            engine=r.engine,
            status=r.status,
            stage=r.stage,
            progress=r.progress,
            error=r.error,
            households=r.households,
            input_hash=r.input_hash,
            policy_versions=r.policy_versions,
            counts=(r.summary or {}).get("counts", {}),
            seconds=r.seconds,
        )


class RunIn(Schema):
    year: int
    region: str | None = Field(None, description="region code; none = everything")


@monitoring_router.get("/alerts", response=AlertPage, summary="The alerts worklist visible to you")
def alert_list(request: HttpRequest, filters: Query[AlertQuery]) -> AlertPage:
    alerts = worklist.alert_list(
        user=request.user,
        status=filters.status,
        category=filters.category,
        region_code=filters.region,
        overdue=filters.overdue,
    )
    paginator = Paginator(alerts, max(1, min(filters.page_size, 1000)))
    current = paginator.get_page(filters.page)
    today = timezone.localdate()
    return AlertPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[AlertOut.of(a, today) for a in current.object_list],
    )


@monitoring_router.get("/runs", response=list[RunOut], summary="The latest monitoring runs")
def run_list(request: HttpRequest) -> list[RunOut]:
    return [RunOut.of(r) for r in MonitoringRun.objects.select_related("region")[:50]]


@monitoring_router.get("/runs/{run_id}", response=RunOut, summary="One run: status and counts")
def run_detail(request: HttpRequest, run_id: int) -> RunOut:
    return RunOut.of(compare.run_get(user=request.user, pk=run_id))


@monitoring_router.post(
    "/runs", response={202: RunOut, **ERRORS}, summary="Queue a monitoring run (administrators)"
)
def run_start(request: HttpRequest, payload: RunIn) -> Any:
    run = runs.run_create(actor=request.user, year=payload.year, region_code=payload.region)
    monitoring_run.enqueue(run_id=run.pk)
    return Status(202, RunOut.of(run))
