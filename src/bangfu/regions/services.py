"""Every write to regions and pairings: permission, validation, write and audit in one
transaction. Callers pass the actor and the actor's capture/view scopes (computed by
``bangfu.accounts.scopes``); a service never trusts a caller's claim of what exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record, save_if_changed, snapshot
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.regions.codes import (
    Level,
    check_code_for_level,
    check_code_shape,
    is_descendant_code,
    level_label,
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
        raise not_found(ErrorCode.REGION_NOT_FOUND, _("region"))
    if not capture.covers(code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("You may view region {code} but not create or change data there.").format(code=code),
        )


def _clean_name(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise BangfuError(ErrorCode.VALIDATION_ERROR, _("A name is required."), field=field)
    if len(value) > 100:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, _("Names are at most 100 characters."), field=field
        )
    return value


def _resolve_parent(data: RegionIn, level: Level, view: RegionScope) -> Region | None:
    if not data.parent_code:
        if level is not Level.PROVINCE:
            raise BangfuError(
                ErrorCode.REGION_PARENT_INVALID,
                _("A {level} needs a parent region.").format(level=level_label(level)),
                field="parent_code",
            )
        return None
    parent = _visible_parent(data.parent_code, view)
    check_parent_fits(child_code=data.code, child_level=level, parent=parent)
    return parent


def _visible_parent(parent_code: str, view: RegionScope) -> Region:
    """The parent region by code; absent and hidden parents are refused alike."""
    check_code_shape(parent_code, field="parent_code")
    parent = Region.objects.filter(code=parent_code).first()
    if parent is None or not view.covers(parent.code):
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            _("Parent region {code} does not exist or is not visible to you.").format(
                code=parent_code
            ),
            field="parent_code",
        )
    return parent


def check_parent_fits(*, child_code: str, child_level: Level, parent: Region) -> None:
    """A parent must sit at a higher level and its code must be a prefix-ancestor of the child's
    (a county may hang directly under a province, as Shanghai's districts do)."""
    if parent.level >= child_level:
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            _(
                "A {child} cannot sit under a {parent} ({code}): parents are of a higher level."
            ).format(
                child=level_label(child_level), parent=level_label(parent.level), code=parent.code
            ),
            field="parent_code",
        )
    if not is_descendant_code(child_code, parent.code):
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            _(
                "Code {code} does not lie under parent {parent}: it must start with {prefix}."
            ).format(code=child_code, parent=parent.code, prefix=parent.prefix),
            field="parent_code",
        )


@transaction.atomic
def region_create(*, actor: Any, capture: RegionScope, view: RegionScope, data: RegionIn) -> Region:
    level = parse_level(data.level)
    code = check_code_for_level(check_code_shape(data.code), level)
    parent = _resolve_parent(data, level, view)
    if parent is None:
        if not capture.unrestricted:
            raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Only administrators add provinces."))
    else:
        require_capture(capture=capture, view=view, code=parent.code)
    if Region.objects.filter(code=code).exists():
        raise BangfuError(
            ErrorCode.REGION_CODE_TAKEN,
            _("Region code {code} is already in use.").format(code=code),
            field="code",
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
            ErrorCode.VALIDATION_ERROR,
            _("Field {field!r} cannot be changed here.").format(field=field),
            field=field,
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
    save_if_changed(actor=actor, obj=region, before=before, reason=reason)
    return region


def _new_parent(
    region: Region, parent_code: str | None, capture: RegionScope, view: RegionScope
) -> Region:
    if not parent_code:
        raise BangfuError(
            ErrorCode.REGION_PARENT_INVALID,
            _("Only provinces stand without a parent."),
            field="parent_code",
        )
    parent = _visible_parent(parent_code, view)
    if (
        parent.pk == region.pk
        or is_descendant_code(parent.code, region.code)
        or _is_below(parent, region)
    ):
        raise BangfuError(
            ErrorCode.REGION_PARENT_CYCLE,
            _("Region {inner} lies inside {outer}; a region cannot move under itself.").format(
                inner=parent.code, outer=region.code
            ),
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
                _("Year {year} is outside {low}–{high}.").format(
                    year=year, low=MIN_YEAR, high=MAX_YEAR
                ),
                field=field,
            )
    if end is not None and end < start:
        raise BangfuError(
            ErrorCode.PAIRING_YEARS_INVALID,
            _("End year {end} is before start year {start}.").format(end=end, start=start),
            field="end_year",
        )


def _pairing_side(code: str, field: str, view: RegionScope) -> Region:
    check_code_shape(code, field=field)
    region = Region.objects.filter(code=code).first()
    if region is None or not view.covers(code):
        raise BangfuError(
            ErrorCode.REGION_NOT_FOUND,
            _("Region {code} does not exist or is not visible to you.").format(code=code),
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
            _(
                "{east} and {west} are already paired for {start}–{end}; the periods would overlap."
            ).format(
                east=east.name_zh,
                west=west.name_zh,
                start=clash.start_year,
                end=clash.end_year or "…",
            ),
            field="start_year",
        )


def _side(region: Region) -> str:
    return _("western") if region.is_west else _("eastern")


@transaction.atomic
def pairing_create(
    *, actor: Any, capture: RegionScope, view: RegionScope, data: PairingIn
) -> Pairing:
    east = _pairing_side(data.east_code, "east_code", view)
    west = _pairing_side(data.west_code, "west_code", view)
    if east.is_west or not west.is_west:
        raise BangfuError(
            ErrorCode.PAIRING_SIDES_INVALID,
            _(
                "A pairing joins an eastern region with a western one; "
                "{east} is {east_side} and {west} is {west_side}."
            ).format(east=east.code, east_side=_side(east), west=west.code, west_side=_side(west)),
            field="west_code" if east.is_west is False else "east_code",
        )
    if not (capture.covers(east.code) or capture.covers(west.code)):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("You may record pairings only for regions in your capture scope."),
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
            _("You may change pairings only for regions in your capture scope."),
        )
    _check_years(start_year, end_year)
    _check_no_overlap(pairing.east, pairing.west, start_year, end_year, exclude=pairing.pk)
    before = snapshot(pairing)
    pairing.start_year, pairing.end_year, pairing.note = start_year, end_year, note.strip()[:300]
    save_if_changed(actor=actor, obj=pairing, before=before, reason=reason)
    return pairing
