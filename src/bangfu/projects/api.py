"""Project endpoints, mounted at /api/v1/projects by ``bangfu.api``: projects (facts, budget,
milestones, targets with their actuals, benefit summary), their fund flow, their benefits, the
payments to households, and cooperatives (members with shares, years with dividends). Every
read goes through ``selectors`` (scoped like the pages: another county's project is 404), every
write through the services.

Amounts go out as decimal strings in yuan with two decimals (``"3600.00"``), exact. They come
in as a string (``"3600.00"``) or a whole number; a JSON number with a fraction is refused: it
arrives as a binary float, which cannot hold every amount in fen exactly.

A payment needs an ``Idempotency-Key`` header: the same key with the same body records the
payment once (201, then 200 with the same entry), the same key with another body is refused
(409, ``ledger_idempotency_conflict``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.money import parse_yuan, yuan
from bangfu.projects import selectors
from bangfu.projects.benefits import BenefitIn, benefit_pay
from bangfu.projects.flow import fund_flow, source_label
from bangfu.projects.models import Benefit, Cooperative, Entry, Project, ProjectStatus
from bangfu.projects.services import funded_source, project_progress
from bangfu.regions.scope import typed_region
from bangfu.registry.api import ERRORS
from bangfu.registry.selectors import households_by_no

router = Router(tags=["projects"])

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_PREFIX = "api-pay:"  # the ledger's keys are global: the API's are kept apart
MAX_KEY = 100 - len(KEY_PREFIX)


def _money(value: Decimal | None) -> str | None:
    """An amount or figure as the API gives it: text with two decimals, never a float."""
    return None if value is None else f"{value:.2f}"


def _fen(value: int) -> str:
    return f"{yuan(value):.2f}"


class PageQuery(Schema):
    page: int = 1
    page_size: int = Field(100, description="at most 1000")


def _page(qs: QuerySet[Any], paging: PageQuery) -> tuple[Any, Paginator[Any]]:
    paginator = Paginator(qs, max(1, min(paging.page_size, 1000)))
    return paginator.get_page(paging.page), paginator


# ---------------------------------------------------------------------------- projects


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    status: str
    region_code: str
    region_name: str
    year: int
    pairing_id: int | None
    pairing_east_code: str | None
    pairing_west_code: str | None
    implementer: str
    start_date: dt.date | None
    end_date: dt.date | None

    @staticmethod
    def of(p: Project) -> ProjectOut:
        return ProjectOut(
            id=p.pk,
            code=p.code,
            name=p.name,
            kind=p.kind,
            status=p.status,
            region_code=p.region.code,
            region_name=p.region.name_zh,
            year=p.year,
            pairing_id=p.pairing_id,
            pairing_east_code=p.pairing.east.code if p.pairing else None,
            pairing_west_code=p.pairing.west.code if p.pairing else None,
            implementer=p.implementer,
            start_date=p.start_date,
            end_date=p.end_date,
        )


class ProjectPage(Schema):
    count: int
    page: int
    pages: int
    items: list[ProjectOut]


class ProjectQuery(Schema):
    status: str = Field("", description="planned, underway, completed, accepted, …")
    region: str = Field("", description="a region code: projects in it or below it")
    year: int | None = Field(None, description="plan year")


class BudgetOut(Schema):
    fund_source: str
    amount: str


class MilestoneOut(Schema):
    id: int
    name: str
    planned_date: dt.date
    progress: int
    done_date: dt.date | None


class TargetOut(Schema):
    id: int
    indicator: str
    unit: str
    target: str
    measure: str
    actual: str | None = Field(description="counted from the records, or as entered")


class BenefitSummaryOut(Schema):
    households: int
    poor_households: int
    villages: int
    amount: str
    by_mechanism: dict[str, str]


class ProjectDetailOut(ProjectOut):
    description: str
    progress: int = Field(description="the mean of the milestones' progress, %")
    budget: list[BudgetOut]
    budget_total: str
    milestones: list[MilestoneOut]
    targets: list[TargetOut]
    benefits: BenefitSummaryOut


@router.get("/", response=ProjectPage, summary="Projects you see (paged)")
def project_list(
    request: HttpRequest, filters: Query[ProjectQuery], paging: Query[PageQuery]
) -> ProjectPage:
    qs = selectors.project_list(request.user)
    if filters.status:
        if filters.status not in ProjectStatus.values:
            raise BangfuError(
                ErrorCode.VALIDATION_ERROR,
                _("{value!r} is not a project status.").format(value=filters.status),
                field="status",
            )
        qs = qs.filter(status=filters.status)
    if (area := typed_region(filters.region)) is not None:
        qs = qs.filter(area.q("region__code"))
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    current, paginator = _page(qs.order_by("code"), paging)
    return ProjectPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[ProjectOut.of(p) for p in current.object_list],
    )


# ---------------------------------------------------------------------------- cooperatives
# (declared before /{project_id} so that /cooperatives is never read as a project id)


class CooperativeOut(Schema):
    id: int
    code: str
    name: str
    village_code: str
    village_name: str
    model: str
    company: str
    leader: str
    founded_on: dt.date

    @staticmethod
    def of(c: Cooperative) -> CooperativeOut:
        return CooperativeOut(
            id=c.pk,
            code=c.code,
            name=c.name,
            village_code=c.village.code,
            village_name=c.village.name_zh,
            model=c.model,
            company=c.company,
            leader=c.leader,
            founded_on=c.founded_on,
        )


class CooperativePage(Schema):
    count: int
    page: int
    pages: int
    items: list[CooperativeOut]


class MemberOut(Schema):
    household_no: str
    village_code: str
    joined_on: dt.date
    registered_poor: bool
    shares: int
    capital: str
    shares_by_kind: dict[str, int]


class YearOut(Schema):
    year: int
    revenue: str
    profit: str
    payout_ratio: str
    poor_minimum: str
    dividends_paid: bool
    dividend_entry_id: int | None
    dividend_households: int
    dividends: str


class CooperativeDetailOut(CooperativeOut):
    members: list[MemberOut]
    years: list[YearOut]


@router.get("/cooperatives", response=CooperativePage, summary="Cooperatives you see (paged)")
def cooperative_list(request: HttpRequest, paging: Query[PageQuery]) -> CooperativePage:
    current, paginator = _page(selectors.cooperative_list(request.user).order_by("code"), paging)
    return CooperativePage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[CooperativeOut.of(c) for c in current.object_list],
    )


@router.get(
    "/cooperatives/{cooperative_id}",
    response={200: CooperativeDetailOut, **ERRORS},
    summary="A cooperative: members with their shares, years with their dividends",
)
def cooperative_detail(request: HttpRequest, cooperative_id: int) -> Any:
    cooperative = selectors.cooperative_get(request.user, cooperative_id)
    members = [
        MemberOut(
            household_no=m["household"].household_no,
            village_code=m["household"].village.code,
            joined_on=m["membership"].joined_on,
            registered_poor=m["registered_poor"],
            shares=m["shares"],
            capital=_money(m["amount"]) or "0.00",
            shares_by_kind=m["kinds"],
        )
        for m in selectors.member_shares(cooperative)
    ]
    years = [
        YearOut(
            year=y.year,
            revenue=_money(y.revenue) or "0.00",
            profit=_money(y.profit) or "0.00",
            payout_ratio=f"{y.payout_ratio:.4f}",
            poor_minimum=_money(y.poor_minimum) or "0.00",
            dividends_paid=y.dividend_entry_id is not None,
            dividend_entry_id=y.dividend_entry_id,
            dividend_households=y.dividend_households,  # type: ignore[attr-defined]
            dividends=_fen(int(y.dividends_fen or 0)),  # type: ignore[attr-defined]
        )
        for y in selectors.cooperative_years(cooperative)
    ]
    base = CooperativeOut.of(cooperative).model_dump()
    return CooperativeDetailOut(**base, members=members, years=years)


# ---------------------------------------------------------------------------- one project


@router.get(
    "/{project_id}",
    response={200: ProjectDetailOut, **ERRORS},
    summary="A project: facts, budget, milestones, targets with actuals, benefit summary "
    "(404 when absent or outside your view scope)",
)
def project_detail(request: HttpRequest, project_id: int) -> Any:
    project = selectors.project_get(request.user, project_id)
    budget = list(project.budget_lines.all())
    summary = selectors.benefit_summary(
        selectors.benefit_list(request.user).filter(project=project)
    )
    base = ProjectOut.of(project).model_dump()
    return ProjectDetailOut(
        **base,
        description=project.description,
        progress=project_progress(project),
        budget=[BudgetOut(fund_source=b.fund_source, amount=f"{b.amount:.2f}") for b in budget],
        budget_total=f"{sum((b.amount for b in budget), Decimal('0')):.2f}",
        milestones=[
            MilestoneOut(
                id=m.pk,
                name=m.name,
                planned_date=m.planned_date,
                progress=m.progress,
                done_date=m.done_date,
            )
            for m in project.milestones.all()
        ],
        targets=[
            TargetOut(
                id=t.pk,
                indicator=t.indicator,
                unit=t.unit,
                target=f"{t.target:.2f}",
                measure=t.measure,
                actual=_money(selectors.target_actual(t)),
            )
            for t in project.targets.all()
        ],
        benefits=BenefitSummaryOut(
            households=summary["households"],
            poor_households=summary["poor_households"],
            villages=summary["villages"],
            amount=f"{summary['amount']:.2f}",
            by_mechanism={k: f"{v:.2f}" for k, v in summary["by_mechanism"].items()},
        ),
    )


class FlowLineOut(Schema):
    source_code: str
    source_name: str
    fund_source: str
    year: int | None
    received: str
    paid: str
    held: str
    difference: str


class FlowLinkOut(Schema):
    source: str = Field(description="where the money comes from (a label)")
    target: str = Field(description="where it goes (a label)")
    amount: str


class FlowOut(Schema):
    project_id: int
    lines: list[FlowLineOut]
    links: list[FlowLinkOut]
    received: str
    paid: str
    held: str
    difference: str
    reconciled: bool


@router.get(
    "/{project_id}/flow",
    response={200: FlowOut, **ERRORS},
    summary="The project's fund flow: per fund source received, paid, held; the Sankey links",
)
def project_flow(request: HttpRequest, project_id: int) -> Any:
    project = selectors.project_get(request.user, project_id)
    flow = fund_flow(project)
    return FlowOut(
        project_id=project.pk,
        lines=[
            FlowLineOut(
                source_code=line.source.code,
                source_name=source_label(line.source),
                fund_source=line.source.fund_source,
                year=line.source.year,
                received=_fen(line.received),
                paid=_fen(line.paid),
                held=_fen(line.held),
                difference=_fen(line.difference),
            )
            for line in flow.lines
        ],
        links=[FlowLinkOut(source=a, target=b, amount=_fen(fen)) for a, b, fen in flow.links],
        received=_fen(flow.received),
        paid=_fen(flow.paid),
        held=_fen(flow.held),
        difference=_fen(flow.difference),
        reconciled=flow.reconciled,
    )


class BenefitOut(Schema):
    id: int
    household_no: str | None = Field(description="the household's number (never its name)")
    village_code: str
    year: int
    mechanism: str
    amount: str
    quantity: str | None
    unit: str
    unit_price: str | None
    registered_poor: bool
    entry_id: int | None = Field(description="the ledger payment, when paid from the ledger")

    @staticmethod
    def of(b: Benefit) -> BenefitOut:
        return BenefitOut(
            id=b.pk,
            household_no=b.household.household_no if b.household else None,
            village_code=b.village.code,
            year=b.year,
            mechanism=b.mechanism,
            amount=f"{b.amount:.2f}",
            quantity=_money(b.quantity),
            unit=b.unit,
            unit_price=_money(b.unit_price),
            registered_poor=b.registered_poor,
            entry_id=b.entry_id,
        )


class BenefitPage(Schema):
    count: int
    page: int
    pages: int
    items: list[BenefitOut]


class BenefitQuery(Schema):
    year: int | None = None
    mechanism: str = ""


@router.get(
    "/{project_id}/benefits",
    response={200: BenefitPage, **ERRORS},
    summary="The project's benefits (paged; households by number, not by name)",
)
def project_benefits(
    request: HttpRequest,
    project_id: int,
    filters: Query[BenefitQuery],
    paging: Query[PageQuery],
) -> Any:
    project = selectors.project_get(request.user, project_id)
    qs = selectors.benefit_list(request.user).filter(project=project)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.mechanism:
        qs = qs.filter(mechanism=filters.mechanism)
    current, paginator = _page(qs.order_by("-year", "pk"), paging)
    return BenefitPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[BenefitOut.of(b) for b in current.object_list],
    )


# ---------------------------------------------------------------------------- payments


class PaymentRowIn(Schema):
    household_no: str
    amount: str | int | float = Field(
        description='yuan as a decimal string ("3600.00") or a whole number; more than 0, at '
        "most two decimal places; a number with a fraction (a float) is refused"
    )


class PaymentIn(Schema):
    fund_source: str = Field(description="the fund source paid from: east_aid, local_fiscal, …")
    source_year: int = Field(description="the year of the fund source's money")
    mechanism: str = Field(description="wages, produce, dividend, land_rent or training")
    year: int = Field(description="the year of the households' income the payment adds to")
    entry_date: dt.date
    voucher: str
    memo: str = ""
    rows: list[PaymentRowIn]


class PaymentOut(Schema):
    entry_id: int
    entry_date: dt.date
    voucher: str
    amount: str
    households: int
    replayed: bool = Field(description="true when the key had recorded this payment already")


def _payment_rows(request: HttpRequest, payload: PaymentIn) -> list[BenefitIn]:
    if not payload.rows:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, _("Name at least one household."), field="rows"
        )
    found = households_by_no(user=request.user, numbers=[r.household_no for r in payload.rows])
    rows = []
    for index, row in enumerate(payload.rows):
        amount = parse_yuan(row.amount, field=f"rows[{index}].amount", positive=True)
        household = found.get(row.household_no.strip())
        if household is None:
            raise BangfuError(
                ErrorCode.VALIDATION_ERROR,
                _("No household with the number {no} is visible to you.").format(
                    no=row.household_no
                ),
                field=f"rows[{index}].household_no",
            )
        rows.append(BenefitIn(amount, household=household))
    return rows


@router.post(
    "/{project_id}/payments",
    response={200: PaymentOut, 201: PaymentOut, **ERRORS},
    summary="Pay households from the project's money (one ledger payment split per household); "
    "needs the Idempotency-Key header: 201 recorded, 200 the same payment again, 409 the key "
    "used for another payment",
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": IDEMPOTENCY_HEADER,
                "required": True,
                "schema": {"type": "string", "maxLength": MAX_KEY},
                "description": "a key unique to this payment (e.g. a UUID)",
            }
        ]
    },
)
def project_pay(request: HttpRequest, project_id: int, payload: PaymentIn) -> Any:
    project = selectors.project_get(request.user, project_id)
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if not key or len(key) > MAX_KEY:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _(
                "Send the header {header}: a key unique to this payment (at most {n} characters)."
            ).format(header=IDEMPOTENCY_HEADER, n=MAX_KEY),
            field=IDEMPOTENCY_HEADER,
        )
    rows = _payment_rows(request, payload)
    ledger_key = KEY_PREFIX + key
    before = Entry.objects.filter(idempotency_key=ledger_key).values_list("pk", flat=True).first()
    entry = benefit_pay(
        actor=request.user,
        project=project,
        source=funded_source(payload.fund_source, payload.source_year),
        mechanism=payload.mechanism,
        year=payload.year,
        rows=rows,
        entry_date=payload.entry_date,
        voucher=payload.voucher,
        idempotency_key=ledger_key,
        memo=payload.memo,
    )
    benefits = list(entry.benefits.all())
    out = PaymentOut(
        entry_id=entry.pk,
        entry_date=entry.entry_date,
        voucher=entry.voucher,
        amount=f"{sum((b.amount for b in benefits), Decimal('0')):.2f}",
        households=len(benefits),
        replayed=before == entry.pk,
    )
    return Status(200 if before == entry.pk else 201, out)
