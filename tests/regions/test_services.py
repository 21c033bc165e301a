"""Region and pairing writes: validation with codes and fields, audit, nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest

from bangfu.audit.models import AuditEntry
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope
from bangfu.regions.services import (
    PairingIn,
    RegionIn,
    pairing_create,
    pairing_update,
    region_create,
    region_update,
)

pytestmark = pytest.mark.django_db
ALL = RegionScope.everything()
MENGA = RegionScope.of(["532822106000"])
MENGHAI = RegionScope.of(["532822000000"])


def create(data: RegionIn, capture: RegionScope = ALL, view: RegionScope = ALL) -> Region:
    return region_create(actor=None, capture=capture, view=view, data=data)


def refused(code: ErrorCode, call: Any, *args: Any, **kwargs: Any) -> BangfuError:
    """Assert the call is refused with ``code`` and writes nothing at all."""
    counts = (Region.objects.count(), Pairing.objects.count(), AuditEntry.objects.count())
    with pytest.raises(BangfuError) as caught:
        call(*args, **kwargs)
    assert caught.value.code is code, caught.value
    assert counts == (Region.objects.count(), Pairing.objects.count(), AuditEntry.objects.count())
    return caught.value


def test_a_village_is_created_under_its_township_and_audited(users: dict[str, Any]) -> None:
    actor = users["menga-township"]
    data = RegionIn(
        code="532822106299", name_zh="新村", level="village", parent_code="532822106000"
    )
    village = region_create(actor=actor, capture=MENGA, view=MENGA, data=data)
    assert village.parent is not None and village.parent.code == "532822106000"
    assert village.is_west, "inherits the western flag of its parent"
    entry = AuditEntry.objects.get(object_type="regions.region", object_id=str(village.pk))
    assert entry.actor == actor and entry.action == "create"
    assert entry.after is not None and entry.after["code"] == "532822106299"
    assert len(entry.request_id) == 32


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (
            RegionIn("5328221062", "甲", "village", "532822106000"),
            ErrorCode.REGION_CODE_MALFORMED,
            "code",
        ),
        (
            RegionIn("532822107000", "乙", "village", "532822106000"),
            ErrorCode.REGION_CODE_LEVEL_MISMATCH,
            "code",
        ),
        (
            RegionIn("532822107201", "丙", "village", "532822106000"),
            ErrorCode.REGION_PARENT_INVALID,
            "parent_code",
        ),
        (
            RegionIn("532822106298", "丁", "village", "532822106999"),
            ErrorCode.REGION_PARENT_INVALID,
            "parent_code",
        ),
        (
            RegionIn("532822106298", "戊", "village", None),
            ErrorCode.REGION_PARENT_INVALID,
            "parent_code",
        ),
        (
            RegionIn("532822106207", "己", "village", "532822106000"),
            ErrorCode.REGION_CODE_TAKEN,
            "code",
        ),
        (
            RegionIn("532822106298", " ", "village", "532822106000"),
            ErrorCode.VALIDATION_ERROR,
            "name_zh",
        ),
        (
            RegionIn("532822106298", "庚", "hamlet", "532822106000"),
            ErrorCode.VALIDATION_ERROR,
            "level",
        ),
    ],
)
def test_bad_regions_are_refused_with_code_and_field(
    data: RegionIn, code: ErrorCode, field: str
) -> None:
    error = refused(code, create, data)
    assert error.field == field


def test_a_parent_must_be_of_a_higher_level() -> None:
    error = refused(
        ErrorCode.REGION_PARENT_INVALID,
        create,
        RegionIn("532822998000", "壬", "township", "532822106207"),
    )
    assert "cannot sit under a village" in error.message


def test_a_parent_outside_the_view_scope_is_reported_as_unknown() -> None:
    error = refused(
        ErrorCode.REGION_PARENT_INVALID,
        create,
        RegionIn("533103998000", "癸", "township", "533103000000"),
        MENGHAI,
        MENGHAI,
    )
    assert "does not exist or is not visible" in error.message


def test_a_visible_but_not_capturable_parent_is_forbidden() -> None:
    refused(
        ErrorCode.PERMISSION_DENIED,
        create,
        RegionIn("532822101998", "子", "village", "532822101000"),
        MENGA,
        MENGHAI,
    )


def test_update_keeps_history_with_reason(users: dict[str, Any], region: Any) -> None:
    nabing = region("532822106207")
    region_update(
        actor=users["admin"],
        capture=ALL,
        view=ALL,
        region=nabing,
        changes={"name_en": "Nabing Village Committee"},
        reason="official English name",
    )
    entry = AuditEntry.objects.filter(object_id=str(nabing.pk), action="update").get()
    assert entry.changes() == [("name_en", "Nabing Village", "Nabing Village Committee")]
    assert entry.reason == "official English name"


def test_an_unchanged_update_writes_nothing(region: Any) -> None:
    nabing = region("532822106207")
    before = AuditEntry.objects.count()
    region_update(actor=None, capture=ALL, view=ALL, region=nabing, changes={"name_zh": "纳丙村"})
    assert AuditEntry.objects.count() == before


def test_moving_a_region_under_its_own_descendant_is_a_cycle(region: Any) -> None:
    refused(
        ErrorCode.REGION_PARENT_CYCLE,
        region_update,
        actor=None,
        capture=ALL,
        view=ALL,
        region=region("532822000000"),
        changes={"parent_code": "532822106000"},
    )


def test_moving_to_a_parent_whose_code_does_not_enclose_it_is_refused(region: Any) -> None:
    error = refused(
        ErrorCode.REGION_PARENT_INVALID,
        region_update,
        actor=None,
        capture=ALL,
        view=ALL,
        region=region("532822106207"),
        changes={"parent_code": "532822101000"},
    )
    assert "must start with 532822101" in error.message


def test_codes_cannot_be_edited(region: Any) -> None:
    refused(
        ErrorCode.VALIDATION_ERROR,
        region_update,
        actor=None,
        capture=ALL,
        view=ALL,
        region=region("532822106207"),
        changes={"code": "532822106208"},
    )


def pairing(east: str, west: str, start: int, end: int | None = None) -> Pairing:
    return pairing_create(actor=None, capture=ALL, view=ALL, data=PairingIn(east, west, start, end))


def test_pairings_refuse_overlapping_periods_for_the_same_parties() -> None:
    error = refused(ErrorCode.PAIRING_OVERLAP, pairing, "310117000000", "532800000000", 2019, 2021)
    assert "2017–…" in error.message
    closed = pairing("310118000000", "533103000000", 2010, 2012)
    refused(ErrorCode.PAIRING_OVERLAP, pairing, "310118000000", "533103000000", 2012, None)
    later = pairing("310118000000", "533103000000", 2013, None)
    assert closed.pk != later.pk


@pytest.mark.parametrize(
    ("east", "west", "start", "end", "code"),
    [
        ("532822000000", "533103000000", 2020, None, ErrorCode.PAIRING_SIDES_INVALID),
        ("310117000000", "310118000000", 2020, None, ErrorCode.PAIRING_SIDES_INVALID),
        ("310117000000", "533103000000", 2021, 2020, ErrorCode.PAIRING_YEARS_INVALID),
        ("310117000000", "533103000000", 1900, None, ErrorCode.PAIRING_YEARS_INVALID),
        ("310117000000", "999999000000", 2020, None, ErrorCode.REGION_NOT_FOUND),
        ("31011700000", "533103000000", 2020, None, ErrorCode.REGION_CODE_MALFORMED),
    ],
)
def test_bad_pairings_are_refused(
    east: str, west: str, start: int, end: int | None, code: ErrorCode
) -> None:
    refused(code, pairing, east, west, start, end)


def test_pairing_update_checks_overlap_and_audits() -> None:
    first = pairing("310118000000", "533103000000", 2010, 2012)
    pairing("310118000000", "533103000000", 2014, None)
    refused(
        ErrorCode.PAIRING_OVERLAP,
        pairing_update,
        actor=None,
        capture=ALL,
        pairing=first,
        start_year=2010,
        end_year=2015,
        note="",
    )
    pairing_update(
        actor=None, capture=ALL, pairing=first, start_year=2010, end_year=2013, note="延长"
    )
    assert AuditEntry.objects.filter(
        object_type="regions.pairing", object_id=str(first.pk), action="update"
    ).exists()
