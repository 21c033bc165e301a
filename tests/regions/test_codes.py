"""Region codes: shapes, levels, prefixes and bounds (pure functions, no database)."""

from __future__ import annotations

import pytest

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.codes import (
    Level,
    ancestor_codes,
    check_code_for_level,
    check_code_shape,
    infer_level,
    is_descendant_code,
    parse_level,
    prefix_bounds,
    significant_prefix,
)
from bangfu.regions.scope import RegionScope


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("530000000000", Level.PROVINCE, "53"),
        ("532800000000", Level.PREFECTURE, "5328"),
        ("532822000000", Level.COUNTY, "532822"),
        ("310117000000", Level.COUNTY, "310117"),
        ("532822106000", Level.TOWNSHIP, "532822106"),
        ("532822106207", Level.VILLAGE, "532822106207"),
        ("532822106207001", Level.NATURAL_VILLAGE, "532822106207001"),
    ],
)
def test_level_and_prefix_follow_from_the_code(code: str, level: Level, prefix: str) -> None:
    assert infer_level(code) is level
    assert significant_prefix(code) == prefix
    assert check_code_for_level(code, level) == code


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("53282210620", "has 11 digits"),
        ("5328221062070", "has 13 digits"),
        ("5328221062O7", "digits 0-9 only"),  # letter O typed for zero
        ("５３２８２２１０６２０７", "digits 0-9 only"),  # full-width digits from an IME
        ("532822 06207", "digits 0-9 only"),
        ("", "digits 0-9 only"),
        ("000000000000", "no province digits"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(code: str, fragment: str) -> None:
    with pytest.raises(BangfuError) as caught:
        infer_level(code)
    assert caught.value.code is ErrorCode.REGION_CODE_MALFORMED
    assert fragment in caught.value.message


def test_a_code_of_another_level_is_refused() -> None:
    with pytest.raises(BangfuError) as caught:
        check_code_for_level("532822000000", Level.VILLAGE)
    assert caught.value.code is ErrorCode.REGION_CODE_LEVEL_MISMATCH
    assert "county code, not a village code" in caught.value.message


def test_shape_check_names_the_field() -> None:
    with pytest.raises(BangfuError) as caught:
        check_code_shape("12", field="parent_code")
    assert caught.value.field == "parent_code"


def test_levels_parse_from_names_and_numbers() -> None:
    assert parse_level("county") is Level.COUNTY
    assert parse_level(5) is Level.VILLAGE
    assert parse_level("6") is Level.NATURAL_VILLAGE
    with pytest.raises(BangfuError, match="Unknown level 'city'"):
        parse_level("city")


def test_ancestors_and_descendants() -> None:
    assert ancestor_codes("310117001000") == ["310000000000", "310100000000", "310117000000"]
    assert ancestor_codes("532822106207") == [
        "530000000000",
        "532800000000",
        "532822000000",
        "532822106000",
    ]
    assert ancestor_codes("530000000000") == []
    assert is_descendant_code("532822106207", "532822000000")
    assert not is_descendant_code("532822000000", "532822000000")
    assert not is_descendant_code("532823000000", "532822000000")


def test_prefix_bounds_cover_exactly_the_subtree() -> None:
    low, high = prefix_bounds("532822")
    inside = ["532822000000", "532822106207", "532822106207999", "532822999999"]
    outside = ["532821999999", "532823000000", "5328229", "532800000000"]
    assert all(low <= c <= high for c in inside)
    assert not any(low <= c <= high and len(c) in (12, 15) for c in outside)


def test_scopes_drop_covered_roots_and_answer_covers() -> None:
    scope = RegionScope.of(["532822106207", "532822000000", "533103000000"])
    assert scope.roots == {"532822000000", "533103000000"}
    assert scope.covers("532822106207")
    assert not scope.covers("532823000000")
    assert RegionScope.nothing().is_empty and not RegionScope.nothing().covers("532822000000")
    assert RegionScope.everything().covers("110000000000")
    assert scope.union(RegionScope.everything()).unrestricted
    assert scope.ancestor_codes() >= {"530000000000", "532800000000", "533100000000"}
