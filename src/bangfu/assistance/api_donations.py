"""Assistance endpoints: the donations ledger (社会帮扶资金), scoped like the pages.

Amounts go out as decimal strings in yuan (``"6099000.00"``), exact. They come in as a string
(``"1500.00"``) or a whole number; a JSON number with a fraction is refused (``amount``): it
arrives as a binary float, which cannot hold every amount in fen exactly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from bangfu.assistance import donations
from bangfu.assistance.models import DonationEntry, DonorType
from bangfu.registry.api import ERRORS

router = Router()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class DonationOut(Schema):
    id: int
    pairing_id: int | None
    partner: str | None = Field(description="the pairing's partner")
    west_code: str | None = Field(description="the pairing's western region code")
    campaign_id: int | None
    campaign_code: str | None
    kind: str = Field(description="pledge or receipt")
    form: str = Field(description="money or goods")
    donor_name: str
    donor_type: str
    amount: str = Field(description="yuan, exact; negative only in a reversal")
    goods: str
    receipt_no: str
    entry_date: dt.date
    reverses: int | None = Field(description="the entry this one reverses")
    reversed_by: int | None = Field(description="the entry that reverses this one")
    note: str
    recorded_by: str
    recorded_at: dt.datetime

    @staticmethod
    def of(e: DonationEntry, reversed_by: int | None = None) -> DonationOut:
        pairing = e.pairing
        return DonationOut(
            id=e.pk,
            pairing_id=e.pairing_id,
            partner=pairing.partner.name if pairing else None,
            west_code=pairing.west.code if pairing else None,
            campaign_id=e.campaign_id,
            campaign_code=e.campaign.code if e.campaign else None,
            kind=e.kind,
            form=e.form,
            donor_name=e.donor_name,
            donor_type=e.donor_type,
            amount=_money(e.amount),
            goods=e.goods,
            receipt_no=e.receipt_no,
            entry_date=e.entry_date,
            reverses=e.reverses_id,
            reversed_by=reversed_by,
            note=e.note,
            recorded_by=e.recorded_by.username,
            recorded_at=e.recorded_at,
        )


class DonationPage(Schema):
    count: int
    page: int
    pages: int
    items: list[DonationOut]


class DonationQuery(Schema):
    pairing: int | None = Field(None, description="social pairing id")
    campaign: int | None = Field(None, description="campaign id (also its pairings' entries)")
    kind: str = Field("", description="pledge or receipt")
    form: str = Field("", description="money or goods")
    donor_type: str = Field("", description="individual, enterprise, social_org, unit, other")
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def filters(self) -> donations.DonationFilter:
        return donations.DonationFilter(
            pairing=self.pairing,
            campaign=self.campaign,
            kind=self.kind,
            form=self.form,
            donor_type=self.donor_type,
            date_from=self.date_from,
            date_to=self.date_to,
        )


class PageQuery(Schema):
    page: int = 1
    page_size: int = Field(100, description="at most 1000")


class DonationIn(Schema):
    pairing_id: int | None = Field(None, description="the social pairing; or give campaign_id")
    campaign_id: int | None = Field(None, description="taken from the pairing when empty")
    kind: str = Field(description="pledge or receipt")
    form: str = Field(description="money or goods")
    donor_name: str
    donor_type: str = Field(description="individual, enterprise, social_org, unit or other")
    amount: str | int | float = Field(
        description='yuan as a decimal string ("1500.00") or a whole number; more than 0, at '
        "most two decimal places; a number with a fraction is refused (a float)"
    )
    goods: str = Field("", description="required for goods, empty for money")
    receipt_no: str = Field("", description="required for a receipt, empty for a pledge")
    entry_date: dt.date
    note: str = ""


class ReverseIn(Schema):
    reason: str


class Figures(Schema):
    pledged: str
    received: str
    pledged_money: str
    pledged_goods: str
    received_money: str
    received_goods: str

    @staticmethod
    def of(values: dict[str, Any]) -> Figures:
        return Figures(**{name: _money(values[name]) for name in donations.FIGURES})


class TotalsOut(Figures):
    entries: int
    by_donor_type: dict[str, Figures] = Field(description="the same figures for each donor type")


def _reversals(entries: list[DonationEntry]) -> dict[int, int]:
    """For the entries given, which of them are reversed, and by which entry (one query)."""
    pairs = DonationEntry.objects.filter(reverses__in=[e.pk for e in entries]).values_list(
        "reverses", "pk"
    )
    return {original: reversal for original, reversal in pairs if original is not None}


@router.get(
    "/donations",
    response=DonationPage,
    summary="Ledger entries of the pairings and campaigns you see, newest first",
)
def donation_list(
    request: HttpRequest, filters: Query[DonationQuery], paging: Query[PageQuery]
) -> DonationPage:
    entries = donations.donation_list(user=request.user, filters=filters.filters())
    paginator = Paginator(entries, max(1, min(paging.page_size, 1000)))
    current = paginator.get_page(paging.page)
    items = list(current.object_list)
    reversed_by = _reversals(items)
    return DonationPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[DonationOut.of(e, reversed_by.get(e.pk)) for e in items],
    )


@router.get(
    "/donations/totals",
    response=TotalsOut,
    summary="Pledged and received, money and goods, by donor type, of the filtered entries",
)
def donation_totals(request: HttpRequest, filters: Query[DonationQuery]) -> TotalsOut:
    totals = donations.donation_totals(
        donations.donation_list(user=request.user, filters=filters.filters())
    )
    by_type = totals["by_donor_type"]
    return TotalsOut(
        entries=totals["entries"],
        by_donor_type={t: Figures.of(by_type[t]) for t in DonorType.values},
        **Figures.of(totals).model_dump(),
    )


@router.get(
    "/donations/{donation_id}",
    response={200: DonationOut, **ERRORS},
    summary="One entry (404 when absent or outside your view scope)",
)
def donation_detail(request: HttpRequest, donation_id: int) -> Any:
    entry = donations.donation_get(user=request.user, pk=donation_id)
    reversal = donations.reversal_of(entry)
    return DonationOut.of(entry, reversal.pk if reversal else None)


@router.post(
    "/donations",
    response={201: DonationOut, **ERRORS},
    summary="Record a pledge or a receipt (capture scope over the pairing or campaign)",
)
def donation_create(request: HttpRequest, payload: DonationIn) -> Any:
    entry = donations.donation_record(
        actor=request.user,
        pairing=payload.pairing_id,
        campaign=payload.campaign_id,
        kind=payload.kind,
        form=payload.form,
        donor_name=payload.donor_name,
        donor_type=payload.donor_type,
        amount=payload.amount,
        goods=payload.goods,
        receipt_no=payload.receipt_no,
        entry_date=payload.entry_date,
        note=payload.note,
    )
    return Status(201, DonationOut.of(donations.donation_get(user=request.user, pk=entry.pk)))


@router.post(
    "/donations/{donation_id}/reverse",
    response={201: DonationOut, **ERRORS},
    summary="Reverse an entry: a new entry of the opposite amount (409 if not possible)",
)
def donation_reverse(request: HttpRequest, donation_id: int, payload: ReverseIn) -> Any:
    reversal = donations.donation_reverse(actor=request.user, pk=donation_id, reason=payload.reason)
    return Status(201, DonationOut.of(donations.donation_get(user=request.user, pk=reversal.pk)))
