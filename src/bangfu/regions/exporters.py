"""Rows for region and pairing spreadsheets, with one definition of each column."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bangfu.core.spreadsheets import Column
from bangfu.regions.models import Pairing, Region, RegionLevel


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def region_columns() -> list[Column]:
    return [
        Column(_("Code"), 16),
        Column(_("Chinese name"), 24),
        Column(_("English name"), 30),
        Column(_("Level"), 12),
        Column(_("Parent code"), 16),
        Column(_("Western (assisted)"), 10),
        Column(_("Former poor county"), 10),
        Column(_("National key assisted county"), 10),
    ]


def region_rows(regions: QuerySet[Region]) -> Iterator[Sequence[Any]]:
    labels = dict(RegionLevel.choices)
    for region in regions.select_related("parent").order_by("code").iterator(chunk_size=2000):
        yield (
            region.code,
            region.name_zh,
            region.name_en,
            str(labels[region.level]),
            region.parent.code if region.parent else "",
            _yes_no(region.is_west),
            _yes_no(region.former_poor_county),
            _yes_no(region.key_county),
        )


def pairing_columns() -> list[Column]:
    return [
        Column(_("Eastern code"), 16),
        Column(_("Eastern side"), 20),
        Column(_("Western code"), 16),
        Column(_("Western side"), 28),
        Column(_("Start year"), 10, text=False),
        Column(_("End year"), 10, text=False),
        Column(_("Note"), 60),
    ]


def pairing_rows(pairings: QuerySet[Pairing]) -> Iterator[Sequence[Any]]:
    for p in pairings.select_related("east", "west"):
        yield (
            p.east.code,
            p.east.name_zh,
            p.west.code,
            p.west.name_zh,
            p.start_year,
            p.end_year,
            p.note,
        )
