"""Regions and pairings over HTTP, through the same scoped selectors and services as the web."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from bangfu.accounts.scopes import scope_for
from bangfu.regions import selectors
from bangfu.regions.codes import Level
from bangfu.regions.models import Pairing, Region
from bangfu.regions.services import (
    PairingIn,
    RegionIn,
    pairing_create,
    region_create,
    region_update,
)

regions_router = Router(tags=["regions"])
pairings_router = Router(tags=["pairings"])


class RegionOut(Schema):
    code: str
    name_zh: str
    name_en: str
    level: str = Field(
        description="province, prefecture, county, township, village or natural_village"
    )
    parent_code: str | None
    is_west: bool
    former_poor_county: bool
    key_county: bool

    @staticmethod
    def of(region: Region) -> RegionOut:
        return RegionOut(
            code=region.code,
            name_zh=region.name_zh,
            name_en=region.name_en,
            level=Level(region.level).name.lower(),
            parent_code=region.parent.code if region.parent else None,
            is_west=region.is_west,
            former_poor_county=region.former_poor_county,
            key_county=region.key_county,
        )


class RegionPage(Schema):
    count: int
    page: int
    pages: int
    items: list[RegionOut]


class RegionCreateIn(Schema):
    code: str
    name_zh: str
    name_en: str = ""
    level: str
    parent_code: str | None = None
    former_poor_county: bool = False
    key_county: bool = False


class RegionPatchIn(Schema):
    name_zh: str | None = None
    name_en: str | None = None
    former_poor_county: bool | None = None
    key_county: bool | None = None
    parent_code: str | None = None
    reason: str = ""


class PairingOut(Schema):
    id: int
    east: RegionOut
    west: RegionOut
    start_year: int
    end_year: int | None
    note: str

    @staticmethod
    def of(pairing: Pairing) -> PairingOut:
        return PairingOut(
            id=pairing.pk,
            east=RegionOut.of(pairing.east),
            west=RegionOut.of(pairing.west),
            start_year=pairing.start_year,
            end_year=pairing.end_year,
            note=pairing.note,
        )


class PairingCreateIn(Schema):
    east_code: str
    west_code: str
    start_year: int
    end_year: int | None = None
    note: str = ""


class PairingFilter(Schema):
    year: int | None = Field(None, description="only pairings active in this year")
    region: str | None = Field(None, description="only pairings touching this region's line")


@regions_router.get(
    "/{code}", response=RegionOut, summary="One region (404 when absent or outside your view scope)"
)
def region_detail(request: HttpRequest, code: str) -> RegionOut:
    return RegionOut.of(selectors.region_get(scope=scope_for(request.user), code=code))


@regions_router.get(
    "/{code}/children", response=RegionPage, summary="A region's children, paginated"
)
def region_children(
    request: HttpRequest, code: str, page: int = 1, page_size: int = 100
) -> RegionPage:
    scope = scope_for(request.user)
    region = selectors.region_get(scope=scope, code=code)
    paginator = Paginator(
        selectors.region_children(scope=scope, region=region).select_related("parent"),
        max(1, min(page_size, 500)),
    )
    current = paginator.get_page(page)
    return RegionPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[RegionOut.of(r) for r in current.object_list],
    )


@regions_router.post(
    "", response={201: RegionOut}, summary="Add a region under a parent in your capture scope"
)
def region_add(request: HttpRequest, payload: RegionCreateIn) -> Status[RegionOut]:
    region = region_create(
        actor=request.user,
        capture=scope_for(request.user, "capture"),
        view=scope_for(request.user, "view"),
        data=RegionIn(**payload.dict()),
    )
    return Status(201, RegionOut.of(region))


@regions_router.patch(
    "/{code}", response=RegionOut, summary="Change a region's names, flags or parent"
)
def region_patch(request: HttpRequest, code: str, payload: RegionPatchIn) -> RegionOut:
    view = scope_for(request.user, "view")
    region = selectors.region_get(scope=view, code=code)
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    updated = region_update(
        actor=request.user,
        capture=scope_for(request.user, "capture"),
        view=view,
        region=region,
        changes=changes,
        reason=reason,
    )
    return RegionOut.of(updated)


@pairings_router.get("", response=list[PairingOut], summary="Pairings visible to you")
def pairing_list(request: HttpRequest, filters: Query[PairingFilter]) -> list[PairingOut]:
    scope = scope_for(request.user)
    region = selectors.region_get(scope=scope, code=filters.region) if filters.region else None
    rows = selectors.pairing_list(scope=scope, year=filters.year, region=region)
    return [PairingOut.of(p) for p in rows.select_related("east__parent", "west__parent")]


@pairings_router.post(
    "",
    response={201: PairingOut},
    summary="Record a pairing between an eastern and a western region",
)
def pairing_add(request: HttpRequest, payload: PairingCreateIn) -> Status[PairingOut]:
    pairing = pairing_create(
        actor=request.user,
        capture=scope_for(request.user, "capture"),
        view=scope_for(request.user, "view"),
        data=PairingIn(**payload.dict()),
    )
    return Status(201, PairingOut.of(pairing))
