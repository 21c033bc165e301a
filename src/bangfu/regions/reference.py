"""Loading the shipped reference data (real codes and names, see docs/reference-data.md)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from bangfu.regions.codes import parse_level
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope
from bangfu.regions.services import (
    PairingIn,
    RegionIn,
    pairing_create,
    region_create,
    region_update,
)


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("bangfu.regions").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def reference_regions() -> list[RegionIn]:
    rows = [
        RegionIn(
            code=row["code"],
            name_zh=row["name_zh"],
            name_en=row["name_en"],
            level=parse_level(row["level"]),
            parent_code=row["parent_code"] or None,
            is_west=row["is_west"] == "1",
            former_poor_county=row["former_poor_county"] == "1",
            key_county=row["key_county"] == "1",
        )
        for row in _rows("regions.csv")
    ]
    return sorted(rows, key=lambda r: (int(r.level), r.code))


def reference_pairings() -> list[PairingIn]:
    return [
        PairingIn(
            east_code=row["east_code"],
            west_code=row["west_code"],
            start_year=int(row["start_year"]),
            end_year=int(row["end_year"]) if row["end_year"] else None,
            note=row.get("note_zh", ""),
        )
        for row in _rows("pairings.csv")
    ]


@transaction.atomic
def load_regions(*, actor: Any, regions: list[RegionIn]) -> LoadResult:
    """Upsert regions by code through the services, so every change is validated and audited
    and a second load of the same data changes nothing."""
    everything = RegionScope.everything()
    result = LoadResult()
    existing = {r.code: r for r in Region.objects.select_related("parent")}
    for data in regions:
        region = existing.get(data.code)
        if region is None:
            existing[data.code] = region_create(
                actor=actor, capture=everything, view=everything, data=data
            )
            result.created += 1
            continue
        changes = {
            "name_zh": data.name_zh,
            "name_en": data.name_en,
            "is_west": bool(data.is_west),
            "former_poor_county": data.former_poor_county,
            "key_county": data.key_county,
            "parent_code": data.parent_code,
        }
        before = (
            region.name_zh,
            region.name_en,
            region.is_west,
            region.former_poor_county,
            region.key_county,
            region.parent.code if region.parent else None,
        )
        if before == tuple(changes.values()):
            result.unchanged += 1
            continue
        region_update(
            actor=actor,
            capture=everything,
            view=everything,
            region=region,
            changes=changes,
            reason=gettext_noop("reference data"),
        )
        result.updated += 1
    return result


@transaction.atomic
def load_pairings(*, actor: Any, pairings: list[PairingIn]) -> LoadResult:
    everything = RegionScope.everything()
    result = LoadResult()
    for data in pairings:
        exists = Pairing.objects.filter(
            east__code=data.east_code, west__code=data.west_code, start_year=data.start_year
        ).exists()
        if exists:
            result.unchanged += 1
            continue
        pairing_create(actor=actor, capture=everything, view=everything, data=data)
        result.created += 1
    return result
