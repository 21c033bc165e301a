"""Scoped reads: subtrees by code range, ancestors, pairings that concern a scope."""

from __future__ import annotations

from typing import Any

import pytest

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions import selectors
from bangfu.regions.codes import Level
from bangfu.regions.scope import RegionScope

pytestmark = pytest.mark.django_db
ALL = RegionScope.everything()


def test_subtree_and_counts(region: Any) -> None:
    menga = region("532822106000")
    codes = set(selectors.region_subtree(scope=ALL, region=menga).values_list("code", flat=True))
    assert "532822106207" in codes and len(codes) == 8
    counts = selectors.region_descendant_counts(scope=ALL, region=region("532822000000"))
    assert counts[Level.VILLAGE] == 14  # all of 勐阿镇 and 勐往乡 are shipped
    assert counts[Level.TOWNSHIP] >= 11


def test_scope_hides_regions_as_not_found() -> None:
    menghai = RegionScope.of(["532822000000"])
    assert selectors.region_get(scope=menghai, code="532822106207").name_zh == "纳丙村"
    for code in ("533103000000", "999999999999", "not-a-code"):
        with pytest.raises(BangfuError) as caught:
            selectors.region_get(scope=menghai, code=code)
        assert caught.value.code is ErrorCode.REGION_NOT_FOUND


def test_ancestors_are_listed_top_first(region: Any) -> None:
    names = [r.name_zh for r in selectors.region_ancestors(region=region("532822106207"))]
    assert names == ["云南省", "西双版纳傣族自治州", "勐海县", "勐阿镇"]


def test_a_county_sees_the_pairings_of_its_prefecture_and_its_own() -> None:
    menghai = RegionScope.of(["532822000000"])
    pairs = {(p.east.code, p.west.code) for p in selectors.pairing_list(scope=menghai)}
    assert ("310117000000", "532800000000") in pairs  # Songjiang ↔ Xishuangbanna
    assert ("310117000000", "532822000000") in pairs  # Songjiang ↔ Menghai
    assert ("310117000000", "532823000000") not in pairs  # Songjiang ↔ Mengla: not Menghai's
    assert ("310118000000", "533100000000") not in pairs  # Qingpu ↔ Dehong


def test_pairings_filter_by_year(region: Any) -> None:
    in_2000 = {p.west.code for p in selectors.pairing_list(scope=ALL, year=2000)}
    assert in_2000 == {"540223000000"}  # only Songjiang ↔ Dingri (since 1995) was running
    touching = selectors.pairing_list(scope=ALL, region=region("532822106207"))
    assert {p.west.code for p in touching} == {"532800000000", "532822000000"}


def test_q_any_keeps_an_unrestricted_scope_unrestricted(db: Any) -> None:
    """``Q() | x`` is ``x`` in Django: OR-ing ``q`` results would turn "everything" into
    "only x". ``q_any`` keeps every row for the unrestricted scope and ORs the fields else."""
    from bangfu.regions.models import Pairing
    from bangfu.regions.scope import RegionScope

    everything = RegionScope.everything()
    assert Pairing.objects.filter(everything.q_any("east__code", "west__code")).count() == (
        Pairing.objects.count()
    )
    menghai = RegionScope.of(["532822000000"])
    songjiang = RegionScope.of(["310117000000"])
    by_west = set(Pairing.objects.filter(menghai.q("west__code")))
    by_either = set(Pairing.objects.filter(menghai.q_any("east__code", "west__code")))
    assert by_west and by_either == by_west
    assert set(Pairing.objects.filter(songjiang.q_any("east__code", "west__code"))) == set(
        Pairing.objects.filter(east__code="310117000000")
    )
    assert not Pairing.objects.filter(RegionScope.nothing().q_any("east__code", "west__code"))
