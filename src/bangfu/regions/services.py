"""Every write to regions and pairings: permission, validation, write and audit in one
transaction. Callers pass the actor and the actor's capture/view scopes (computed by
``bangfu.accounts.scopes``); a service never trusts a caller's claim of what exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record, snapshot
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.regions.codes import (
    Level,
    check_code_for_level,
    check_code_shape,
    is_descendant_code,
    parse_level,
)
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope

MIN_YEAR, MAX_YEAR = 1978, 2100


@dataclass(frozen=True)
class RegionIn:
    code: str
    name_zh: str
    level: Level | str | int
    parent_code: str | None = None
    name_en: str = ""
    is_west: bool | None = None
    former_poor_county: bool = False
    key_county: bool = False


def require_capture(*, capture: RegionScope, view: RegionScope, code: str) -> None:
    """404 when the region is outside the view scope (its existence is not revealed),
    403 when it is visible but outside the capture scope."""
    if not view.covers(code):
        raise not_found(ErrorCode.REGION_NOT_FOUND, "region")
    if not capture.covers(code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            f"You may view region {code} but not create or change data there.",
        )


def _clean_name(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise BangfuError(ErrorCode.VALIDATION_ERROR, "A name is required.", field=field)
    if len(value) > 100:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, "Names are at most 100 characters.", field=field
        )
    return value


def _resolve_parent(data: RegionIn, level: Level, view: RegionScope) -> Region | None:
    if not data.parent_code:
        if level is not Level.PROVINCE:
            raise BangfuError(
                ErrorCode.REGION_PARENT_INVALID,
                f"A {level.name.lower()} needs a parent region.",
                field="parent_code",
            )
        return None
    check_code_shape(data.parent_code, field="parent_code")
    parent = Region.objects.filter(code=data.parent_code).first()
    if parent is None or not view.covers(parent.code):
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            f"Parent region {data.parent_code} does not exist or is not visible to you.",
            field="parent_code",
        )
    check_parent_fits(child_code=data.code, child_level=level, parent=parent)
    return parent


def check_parent_fits(*, child_code: str, child_level: Level, parent: Region) -> None:
    """A parent must sit at a higher level and its code must be a prefix-ancestor of the child's
    (a county may hang directly under a province, as Shanghai's districts do)."""
    if parent.level >= child_level:
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            f"A {child_level.name.lower()} cannot sit under a "
            f"{Level(parent.level).name.lower()} ({parent.code}): parents are of a higher level.",
            field="parent_code",
        )
    if not is_descendant_code(child_code, parent.code):
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            f"Code {child_code} does not lie under parent {parent.code}: "
            f"it must start with {parent.prefix}.",
            field="parent_code",
        )


@transaction.atomic
def region_create(*, actor: Any, capture: RegionScope, view: RegionScope, data: RegionIn) -> Region:
    level = parse_level(data.level)
    code = check_code_for_level(check_code_shape(data.code), level)
    parent = _resolve_parent(data, level, view)
    if parent is None:
        if not capture.unrestricted:
            raise BangfuError(ErrorCode.PERMISSION_DENIED, "Only administrators add provinces.")
    else:
        require_capture(capture=capture, view=view, code=parent.code)
    if Region.objects.filter(code=code).exists():
        raise BangfuError(
            ErrorCode.REGION_CODE_TAKEN, f"Region code {code} is already in use.", field="code"
        )
    region = Region.objects.create(
        code=code,
        name_zh=_clean_name(data.name_zh, "name_zh", required=True),
        name_en=_clean_name(data.name_en, "name_en", required=False),
        level=level,
        parent=parent,
        is_west=parent.is_west if data.is_west is None and parent else bool(data.is_west),
        former_poor_county=data.former_poor_county,
        key_county=data.key_county,
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=region, after=snapshot(region))
    return region


EDITABLE_REGION_FIELDS = ("name_zh", "name_en", "is_west", "former_poor_county", "key_county")


@transaction.atomic
def region_update(
    *,
    actor: Any,
    capture: RegionScope,
    view: RegionScope,
    region: Region,
    changes: dict[str, Any],
    reason: str = "",
) -> Region:
    """Change names and flags, or move the region under another parent. Codes never change
    here: a re-coded place is a new region (history and every record pointing at it stay)."""
    require_capture(capture=capture, view=view, code=region.code)
    unknown = set(changes) - {*EDITABLE_REGION_FIELDS, "parent_code"}
    if unknown:
        field = sorted(unknown)[0]
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, f"Field {field!r} cannot be changed here.", field=field
        )
    region = Region.objects.select_for_update().get(pk=region.pk)
    before = snapshot(region)
    for name in ("name_zh", "name_en"):
        if name in changes:
            setattr(region, name, _clean_name(changes[name], name, required=name == "name_zh"))
    for flag in ("is_west", "former_poor_county", "key_county"):
        if flag in changes:
            setattr(region, flag, bool(changes[flag]))
    if "parent_code" in changes and changes["parent_code"] != (
        region.parent and region.parent.code
    ):
        region.parent = _new_parent(region, changes["parent_code"], capture, view)
    after = snapshot(region)
    if after == before:
        return region
    region.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=region,
        before=before,
        after=after,
        reason=reason,
    )
    return region


def _new_parent(
    region: Region, parent_code: str | None, capture: RegionScope, view: RegionScope
) -> Region:
    if not parent_code:
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            "Only provinces stand without a parent.",
            field="parent_code",
        )
    check_code_shape(parent_code, field="parent_code")
    parent = Region.objects.filter(code=parent_code).first()
    if parent is None or not view.covers(parent.code):
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            f"Parent region {parent_code} does not exist or is not visible to you.",
            field="parent_code",
        )
    if (
        parent.pk == region.pk
        or is_descendant_code(parent.code, region.code)
        or _is_below(parent, region)
    ):
        raise BangfuError(
            ErrorCode.REGION_PARENT_CYCLE,
            f"Region {parent.code} lies inside {region.code}; a region cannot move under itself.",
            field="parent_code",
        )
    check_parent_fits(child_code=region.code, child_level=Level(region.level), parent=parent)
    require_capture(capture=capture, view=view, code=parent.code)
    return parent


def _is_below(candidate: Region, region: Region) -> bool:
    """Walk up parent links (guards against cycles even where codes were loaded inconsistently)."""
    seen: set[int] = set()
    node: Region | None = candidate
    while node is not None and node.pk not in seen:
        if node.pk == region.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


# --- pairings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PairingIn:
    east_code: str
    west_code: str
    start_year: int
    end_year: int | None = None
    note: str = ""


def _check_years(start: int, end: int | None) -> None:
    for field, year in (("start_year", start), ("end_year", end)):
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            raise BangfuError(
                ErrorCode.PAIRING_YEARS_INVALID,
                f"Year {year} is outside {MIN_YEAR}–{MAX_YEAR}.",
                field=field,
            )
    if end is not None and end < start:
        raise BangfuError(
            ErrorCode.PAIRING_YEARS_INVALID,
            f"End year {end} is before start year {start}.",
            field="end_year",
        )


def _pairing_side(code: str, field: str, view: RegionScope) -> Region:
    check_code_shape(code, field=field)
    region = Region.objects.filter(code=code).first()
    if region is None or not view.covers(code):
        raise BangfuError(
            ErrorCode.REGION_NOT_FOUND,
            f"Region {code} does not exist or is not visible to you.",
            field=field,
        )
    return region


def _check_no_overlap(
    east: Region, west: Region, start: int, end: int | None, exclude: int | None
) -> None:
    far = MAX_YEAR + 1
    clash = (
        Pairing.objects.filter(
            east=east, west=west, start_year__lte=end if end is not None else far
        )
        .filter(Q(end_year__isnull=True) | Q(end_year__gte=start))
        .exclude(pk=exclude or 0)
        .first()
    )
    if clash is not None:
        raise BangfuError(
            ErrorCode.PAIRING_OVERLAP,
            f"{east.name_zh} and {west.name_zh} are already paired for "
            f"{clash.start_year}–{clash.end_year or '…'}; the periods would overlap.",
            field="start_year",
        )


@transaction.atomic
def pairing_create(
    *, actor: Any, capture: RegionScope, view: RegionScope, data: PairingIn
) -> Pairing:
    east = _pairing_side(data.east_code, "east_code", view)
    west = _pairing_side(data.west_code, "west_code", view)
    if east.is_west or not west.is_west:
        raise BangfuError(
            ErrorCode.PAIRING_SIDES_INVALID,
            f"A pairing joins an eastern region ({east.code} is "
            f"{'western' if east.is_west else 'eastern'}) with a western one ({west.code} is "
            f"{'western' if west.is_west else 'eastern'}).",
            field="west_code" if east.is_west is False else "east_code",
        )
    if not (capture.covers(east.code) or capture.covers(west.code)):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            "You may record pairings only for regions in your capture scope.",
        )
    _check_years(data.start_year, data.end_year)
    Region.objects.select_for_update().filter(pk=east.pk).first()  # serialise concurrent pairings
    _check_no_overlap(east, west, data.start_year, data.end_year, exclude=None)
    pairing = Pairing.objects.create(
        east=east,
        west=west,
        start_year=data.start_year,
        end_year=data.end_year,
        note=data.note.strip()[:300],
    )
    audit_record(actor=actor, action=AuditAction.CREATE, obj=pairing, after=snapshot(pairing))
    return pairing


@transaction.atomic
def pairing_update(
    *,
    actor: Any,
    capture: RegionScope,
    pairing: Pairing,
    start_year: int,
    end_year: int | None,
    note: str,
    reason: str = "",
) -> Pairing:
    if not (capture.covers(pairing.east.code) or capture.covers(pairing.west.code)):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            "You may change pairings only for regions in your capture scope.",
        )
    _check_years(start_year, end_year)
    _check_no_overlap(pairing.east, pairing.west, start_year, end_year, exclude=pairing.pk)
    before = snapshot(pairing)
    pairing.start_year, pairing.end_year, pairing.note = start_year, end_year, note.strip()[:300]
    after = snapshot(pairing)
    if after != before:
        pairing.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=pairing,
            before=before,
            after=after,
            reason=reason,
        )
    return pairing
