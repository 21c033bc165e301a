"""Every read of regions and pairings, always filtered by the caller's RegionScope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.regions.codes import Level, ancestor_codes, check_code_shape, prefix_bounds
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope


def region_get(*, scope: RegionScope, code: str) -> Region:
    """The region with this code if the scope covers it; 404 alike when absent or hidden."""
    if not isinstance(code, str) or not scope.covers(code):
        raise not_found(ErrorCode.REGION_NOT_FOUND, _("region"))
    region = Region.objects.select_related("parent").filter(code=code).first()
    if region is None:
        raise not_found(ErrorCode.REGION_NOT_FOUND, _("region"))
    return region


def region_by_code(code: Any, field: str) -> Region:
    """A region by its 12-digit code typed into a form or a file, refused naming ``field``
    (regions are reference data: that one exists is no secret, so no scope applies)."""
    text = str(code or "").strip()
    if not text:
        raise BangfuError(ErrorCode.VALIDATION_ERROR, _("Give a region code."), field=field)
    check_code_shape(text, field=field)
    region = Region.objects.filter(code=text).first()
    if region is None:
        raise BangfuError(
            ErrorCode.REGION_NOT_FOUND,
            _("There is no region with code {code}.").format(code=text),
            field=field,
        )
    return region


def region_roots(*, scope: RegionScope) -> QuerySet[Region]:
    """The top of what the scope shows: provinces for the unrestricted, else the scope's roots."""
    if scope.unrestricted:
        return Region.objects.filter(parent__isnull=True)
    return Region.objects.filter(code__in=scope.roots)


def region_children(*, scope: RegionScope, region: Region) -> QuerySet[Region]:
    return (
        Region.objects.filter(scope.q("code"), parent=region)
        .annotate(child_count=Count("children"))
        .order_by("code")
    )


def region_subtree(*, scope: RegionScope, region: Region) -> QuerySet[Region]:
    """All visible descendants of ``region`` (not the region itself): one index range scan."""
    return Region.objects.filter(scope.q("code"), code__range=prefix_bounds(region.prefix)).exclude(
        pk=region.pk
    )


def region_descendant_counts(*, scope: RegionScope, region: Region) -> dict[Level, int]:
    rows = region_subtree(scope=scope, region=region).values("level").annotate(n=Count("id"))
    return {Level(row["level"]): row["n"] for row in rows}


def region_ancestors(*, region: Region) -> list[Region]:
    """The chain above a region, top first. Names of enclosing regions are public knowledge."""
    by_code = {r.code: r for r in Region.objects.filter(code__in=ancestor_codes(region.code))}
    return [by_code[c] for c in ancestor_codes(region.code) if c in by_code]


def region_search(*, scope: RegionScope, text: str, limit: int = 50) -> QuerySet[Region]:
    text = text.strip()
    match = Q(name_zh__contains=text) | Q(name_en__icontains=text) | Q(code__startswith=text)
    return Region.objects.filter(scope.q("code")).filter(match).order_by("level", "code")[:limit]


def pairing_list(
    *, scope: RegionScope, year: int | None = None, region: Region | None = None
) -> QuerySet[Pairing]:
    """Pairings the scope may see: either party inside it, or enclosing it (a county sees its
    prefecture's pairing). Optionally those active in ``year`` or touching ``region``'s line."""
    qs = Pairing.objects.select_related("east", "west")
    if not scope.unrestricted:
        above = scope.ancestor_codes()
        qs = qs.filter(
            scope.q("east__code")
            | scope.q("west__code")
            | Q(east__code__in=above)
            | Q(west__code__in=above)
        )
    if year is not None:
        qs = qs.filter(start_year__lte=year).filter(
            Q(end_year__isnull=True) | Q(end_year__gte=year)
        )
    if region is not None:
        line = [*ancestor_codes(region.code), region.code]
        inside = prefix_bounds(region.prefix)
        qs = qs.filter(
            Q(east__code__in=line)
            | Q(west__code__in=line)
            | Q(east__code__range=inside)
            | Q(west__code__range=inside)
        )
    return qs.order_by("east__code", "west__code", "start_year")


def pairing_get(*, scope: RegionScope, pk: int) -> Pairing:
    pairing = pairing_list(scope=scope).filter(pk=pk).first()
    if pairing is None:
        raise not_found(ErrorCode.PAIRING_NOT_FOUND, _("pairing"))
    return pairing
