"""Assistance endpoints: partners, campaigns, social pairings, secondments and the district
figures (mounted at /api/v1/assistance). Lists are paginated and scoped like the pages; writes
go through the same services. Money is exact: amounts are sent and returned as decimal strings
of yuan ("1200.50"). Input fields carry the names that refusals give as ``field`` (``partner``,
``campaign``, ``regional_pairing``, ``pairing``: ids; ``west``, ``posting_region``: codes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from bangfu.assistance import pairings as svc
from bangfu.assistance import secondments as sec
from bangfu.assistance.models import Campaign, Partner, Secondment, SocialPairing
from bangfu.assistance.stats import campaign_donations, campaign_progress, stats_for
from bangfu.regions.selectors import region_by_code
from bangfu.registry.api import ERRORS

router = Router()


def _page(items: Any, page: int, page_size: int) -> Any:
    paginator = Paginator(items, max(1, min(page_size, 1000)))
    current = paginator.get_page(page)
    return paginator, current


class PageQuery(Schema):
    page: int = 1
    page_size: int = Field(100, description="at most 1000")


# ---------------------------------------------------------------------------- partners


class PartnerOut(Schema):
    id: int
    name: str
    kind: str
    region: str = Field(description="home region code")
    region_name: str
    credit_code: str
    contact_name: str
    contact_phone: str
    note: str

    @staticmethod
    def of(p: Partner) -> PartnerOut:
        return PartnerOut(
            id=p.pk,
            name=p.name,
            kind=p.kind,
            region=p.region.code,
            region_name=p.region.name_zh,
            credit_code=p.credit_code,
            contact_name=p.contact_name,
            contact_phone=p.contact_phone,
            note=p.note,
        )


class PartnerPage(Schema):
    count: int
    page: int
    pages: int
    items: list[PartnerOut]


class PartnerQuery(PageQuery):
    kind: str = ""
    q: str = Field("", description="part of the name, or the credit code")


class PartnerIn(Schema):
    name: str
    kind: str = Field(description="enterprise, social_org, school, hospital, unit, other")
    region: str = Field(description="home region code (12 digits)")
    credit_code: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    note: str = ""


@router.get("/partners", response=PartnerPage, summary="Partners visible to you")
def partner_list(request: HttpRequest, filters: Query[PartnerQuery]) -> PartnerPage:
    partners = svc.partner_list(user=request.user, kind=filters.kind, q=filters.q.strip())
    paginator, current = _page(partners, filters.page, filters.page_size)
    return PartnerPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[PartnerOut.of(p) for p in current.object_list],
    )


@router.post("/partners", response={201: PartnerOut, **ERRORS}, summary="Register a partner (201)")
def partner_create(request: HttpRequest, payload: PartnerIn) -> Any:
    data = svc.PartnerIn(
        name=payload.name,
        kind=payload.kind,
        region=region_by_code(payload.region, "region"),
        credit_code=payload.credit_code,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        note=payload.note,
    )
    return Status(201, PartnerOut.of(svc.partner_create(actor=request.user, data=data)))


@router.get("/partners/{partner_id}", response={200: PartnerOut, **ERRORS}, summary="One partner")
def partner_detail(request: HttpRequest, partner_id: int) -> Any:
    return PartnerOut.of(svc.partner_get(user=request.user, pk=partner_id))


# ---------------------------------------------------------------------------- campaigns


class CampaignOut(Schema):
    id: int
    code: str
    name: str
    district: str
    district_name: str
    start_year: int
    end_year: int | None
    target_helpers: int
    target_households: int
    target_enterprises: int
    target_villages: int
    target_sectors: int
    note: str

    @staticmethod
    def of(c: Campaign) -> CampaignOut:
        return CampaignOut(
            id=c.pk,
            code=c.code,
            name=c.name,
            district=c.district.code,
            district_name=c.district.name_zh,
            start_year=c.start_year,
            end_year=c.end_year,
            note=c.note,
            **{name: getattr(c, name) for name in svc.TARGET_FIELDS},
        )


class ProgressOut(Schema):
    key: str = Field(description="helpers, households, enterprises, villages, sectors")
    target: int | None
    achieved: int


class CampaignDetailOut(CampaignOut):
    progress: list[ProgressOut]
    donations_pledged: str
    donations_received: str
    donations_received_by_donor_type: dict[str, str]


class CampaignPage(Schema):
    count: int
    page: int
    pages: int
    items: list[CampaignOut]


class CampaignQuery(PageQuery):
    year: int | None = Field(None, description="running in this year")


class CampaignIn(Schema):
    code: str
    name: str
    district: str = Field(description="region code of the district (county level or above)")
    start_year: int
    end_year: int | None = None
    target_helpers: int = 0
    target_households: int = 0
    target_enterprises: int = 0
    target_villages: int = 0
    target_sectors: int = 0
    note: str = ""


@router.get("/campaigns", response=CampaignPage, summary="Campaigns visible to you")
def campaign_list(request: HttpRequest, filters: Query[CampaignQuery]) -> CampaignPage:
    campaigns = svc.campaign_list(user=request.user, year=filters.year)
    paginator, current = _page(campaigns, filters.page, filters.page_size)
    return CampaignPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[CampaignOut.of(c) for c in current.object_list],
    )


@router.post("/campaigns", response={201: CampaignOut, **ERRORS}, summary="Start a campaign (201)")
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Any:
    values = payload.dict()
    values["district"] = region_by_code(payload.district, "district")
    campaign = svc.campaign_create(actor=request.user, data=svc.CampaignIn(**values))
    return Status(201, CampaignOut.of(campaign))


@router.get(
    "/campaigns/{campaign_id}",
    response={200: CampaignDetailOut, **ERRORS},
    summary="One campaign: targets against what the records show",
)
def campaign_detail(request: HttpRequest, campaign_id: int) -> Any:
    campaign = svc.campaign_get(user=request.user, pk=campaign_id)
    money = campaign_donations(campaign=campaign)
    base = CampaignOut.of(campaign).dict()
    return CampaignDetailOut(
        **base,
        progress=[
            ProgressOut(key=p.key, target=p.target, achieved=int(p.achieved))
            for p in campaign_progress(campaign=campaign)
        ],
        donations_pledged=str(money.pledged),
        donations_received=str(money.received),
        donations_received_by_donor_type={v: str(a) for v, _l, a in money.received_by_donor_type},
    )


# ---------------------------------------------------------------------------- social pairings


class SocialPairingOut(Schema):
    id: int
    kind: str
    partner_id: int
    partner: str
    west: str = Field(description="western region code")
    west_name: str
    counterpart: str
    regional_pairing_id: int | None
    campaign_id: int | None
    sector: str
    start_date: dt.date
    end_date: dt.date | None
    committed_money: str
    committed_goods: str
    committed_goods_value: str
    committed_jobs: int
    committed_purchases: str
    note: str

    @staticmethod
    def of(p: SocialPairing) -> SocialPairingOut:
        return SocialPairingOut(
            id=p.pk,
            kind=p.kind,
            partner_id=p.partner_id,
            partner=p.partner.name,
            west=p.west.code,
            west_name=p.west.name_zh,
            counterpart=p.counterpart,
            regional_pairing_id=p.regional_pairing_id,
            campaign_id=p.campaign_id,
            sector=p.sector,
            start_date=p.start_date,
            end_date=p.end_date,
            committed_money=str(p.committed_money),
            committed_goods=p.committed_goods,
            committed_goods_value=str(p.committed_goods_value),
            committed_jobs=p.committed_jobs,
            committed_purchases=str(p.committed_purchases),
            note=p.note,
        )


class SocialPairingPage(Schema):
    count: int
    page: int
    pages: int
    items: list[SocialPairingOut]


class SocialPairingQuery(PageQuery):
    kind: str = ""
    campaign: int | None = None
    partner: int | None = None
    region: str = Field("", description="western region code: pairings in its subtree")
    year: int | None = Field(None, description="pairings whose dates overlap this year")
    q: str = ""


class SocialPairingIn(Schema):
    kind: str = Field(
        description="enterprise_village, org_village, unit_village, school_school, "
        "hospital_hospital, other"
    )
    partner: int = Field(description="the partner's id")
    west: str = Field(description="western region code (a village for the *_village kinds)")
    counterpart: str = ""
    regional_pairing: int | None = Field(
        None, description="id of the district pairing (regions) joining the two sides"
    )
    campaign: int | None = Field(None, description="the campaign's id")
    sector: str = ""
    start_date: dt.date
    end_date: dt.date | None = None
    committed_money: Decimal = Field(Decimal(0), description="yuan, ≥ 0, at most 2 decimals")
    committed_goods: str = ""
    committed_goods_value: Decimal = Decimal(0)
    committed_jobs: int = 0
    committed_purchases: Decimal = Decimal(0)
    note: str = ""


@router.get(
    "/social-pairings", response={200: SocialPairingPage, **ERRORS}, summary="Social pairings"
)
def social_pairing_list(request: HttpRequest, filters: Query[SocialPairingQuery]) -> Any:
    pairings = svc.social_pairing_list(
        user=request.user,
        kind=filters.kind,
        campaign=filters.campaign,
        partner=filters.partner,
        region_code=filters.region.strip(),
        year=filters.year,
        q=filters.q.strip(),
    )
    paginator, current = _page(pairings, filters.page, filters.page_size)
    return SocialPairingPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[SocialPairingOut.of(p) for p in current.object_list],
    )


@router.post(
    "/social-pairings",
    response={201: SocialPairingOut, **ERRORS},
    summary="Record a social pairing (201)",
)
def social_pairing_create(request: HttpRequest, payload: SocialPairingIn) -> Any:
    user = request.user
    values = payload.dict(exclude={"partner", "west", "regional_pairing", "campaign"})
    data = svc.SocialPairingIn(
        partner=svc.partner_get(user=user, pk=payload.partner, field="partner"),
        west=region_by_code(payload.west, "west"),
        campaign=(
            svc.campaign_get(user=user, pk=payload.campaign, field="campaign")
            if payload.campaign
            else None
        ),
        regional_pairing=(
            svc.regional_pairing_get(
                user=user, pk=payload.regional_pairing, field="regional_pairing"
            )
            if payload.regional_pairing
            else None
        ),
        **values,
    )
    pairing = svc.social_pairing_create(actor=user, data=data)
    return Status(201, SocialPairingOut.of(pairing))


@router.get(
    "/social-pairings/{pairing_id}",
    response={200: SocialPairingOut, **ERRORS},
    summary="One social pairing",
)
def social_pairing_detail(request: HttpRequest, pairing_id: int) -> Any:
    return SocialPairingOut.of(svc.social_pairing_get(user=request.user, pk=pairing_id))


# ---------------------------------------------------------------------------- secondments


class SecondmentOut(Schema):
    id: int
    person: str
    field: str
    direction: str
    pairing_id: int
    east: str
    west: str
    home_unit: str
    posting_unit: str
    posting_region: str
    post: str
    start_date: dt.date
    end_date: dt.date | None
    status: str
    long_term: bool
    note: str

    @staticmethod
    def of(s: Secondment) -> SecondmentOut:
        return SecondmentOut(
            id=s.pk,
            person=s.person,
            field=s.field,
            direction=s.direction,
            pairing_id=s.pairing_id,
            east=s.pairing.east.code,
            west=s.pairing.west.code,
            home_unit=s.home_unit,
            posting_unit=s.posting_unit,
            posting_region=s.posting_region.code,
            post=s.post,
            start_date=s.start_date,
            end_date=s.end_date,
            status=s.status,
            long_term=s.long_term,
            note=s.note,
        )


class SecondmentPage(Schema):
    count: int
    page: int
    pages: int
    items: list[SecondmentOut]


class SecondmentQuery(PageQuery):
    pairing: int | None = Field(None, description="district pairing id")
    field: str = Field("", description="cadre, teacher, doctor, agronomist, other")
    year: int | None = Field(None, description="counted in this year (span overlaps it)")
    status: str = ""
    direction: str = ""


class SecondmentIn(Schema):
    person: str
    field: str
    direction: str = Field(description="east_to_west or west_to_east")
    pairing: int = Field(description="id of the district pairing (regions)")
    posting_unit: str
    posting_region: str = Field(description="region code on the receiving side")
    start_date: dt.date
    end_date: dt.date | None = None
    home_unit: str = ""
    post: str = ""
    long_term: bool = True
    note: str = ""
    status: str = Field("planned", description="planned, serving or completed")


class StatusIn(Schema):
    status: str = Field(description="serving, completed or withdrawn")
    on: dt.date | None = Field(None, description="the day it happened (default today)")
    reason: str = ""


class CountOut(Schema):
    year: int
    pairing_id: int
    east: str
    west: str
    by_field: dict[str, int]
    total: int
    long_term: int


class CountQuery(Schema):
    pairing: int | None = None
    field: str = ""
    year: int | None = None
    direction: str = ""


def _secondment_in(request: HttpRequest, payload: SecondmentIn) -> sec.SecondmentIn:
    values = payload.dict(exclude={"pairing", "posting_region"})
    return sec.SecondmentIn(
        pairing=svc.regional_pairing_get(user=request.user, pk=payload.pairing, field="pairing"),
        posting_region=region_by_code(payload.posting_region, "posting_region"),
        **values,
    )


@router.get("/secondments", response=SecondmentPage, summary="Secondments visible to you")
def secondment_list(request: HttpRequest, filters: Query[SecondmentQuery]) -> SecondmentPage:
    found = sec.secondment_list(
        user=request.user,
        pairing=filters.pairing,
        field=filters.field,
        year=filters.year,
        status=filters.status,
        direction=filters.direction,
    )
    paginator, current = _page(found, filters.page, filters.page_size)
    return SecondmentPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[SecondmentOut.of(s) for s in current.object_list],
    )


@router.get(
    "/secondments/counts",
    response=list[CountOut],
    summary="People counted per year and district pairing, by field",
)
def secondment_counts(request: HttpRequest, filters: Query[CountQuery]) -> list[CountOut]:
    found = sec.secondment_list(
        user=request.user,
        pairing=filters.pairing,
        field=filters.field,
        direction=filters.direction,
    )
    return [
        CountOut(
            year=row.year,
            pairing_id=row.pairing.pk,
            east=row.pairing.east.code,
            west=row.pairing.west.code,
            by_field=row.by_field,
            total=row.total,
            long_term=row.long_term,
        )
        for row in sec.secondment_counts(secondments=found, year=filters.year)
    ]


@router.post(
    "/secondments", response={201: SecondmentOut, **ERRORS}, summary="Record a secondment (201)"
)
def secondment_create(request: HttpRequest, payload: SecondmentIn) -> Any:
    secondment = sec.secondment_create(actor=request.user, data=_secondment_in(request, payload))
    return Status(201, SecondmentOut.of(secondment))


@router.get(
    "/secondments/{secondment_id}",
    response={200: SecondmentOut, **ERRORS},
    summary="One secondment",
)
def secondment_detail(request: HttpRequest, secondment_id: int) -> Any:
    return SecondmentOut.of(sec.secondment_get(user=request.user, pk=secondment_id))


@router.post(
    "/secondments/{secondment_id}/status",
    response={200: SecondmentOut, **ERRORS},
    summary="Move a secondment on: planned → serving → completed, or withdrawn",
)
def secondment_status(request: HttpRequest, secondment_id: int, payload: StatusIn) -> Any:
    secondment = sec.secondment_get(user=request.user, pk=secondment_id)
    secondment = sec.secondment_set_status(
        actor=request.user,
        secondment=secondment,
        status=payload.status,
        on=payload.on,
        reason=payload.reason,
    )
    return SecondmentOut.of(secondment)


# ---------------------------------------------------------------------------- figures


class StatsQuery(Schema):
    district: str = Field(description="an eastern district's region code, e.g. 310120000000")
    year: int | None = Field(None, description="only records of this year")


@router.get(
    "/stats",
    response={200: dict[str, Any], **ERRORS},
    summary="An eastern district's assistance figures (as `bangfu stats assistance` prints them)",
)
def district_stats(request: HttpRequest, filters: Query[StatsQuery]) -> Any:
    return stats_for(user=request.user, code=filters.district.strip(), year=filters.year)
