"""Policy parameters as data: the value in force for a year and province, with its source.

A parameter's value for year Y and province P is the row with the latest year ≤ Y, the
province's own row winning over the national one (empty province code) of the same year or
earlier. Shipped defaults are in data/policy.csv (POLICY.md §8) and loaded by migration.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from importlib import resources
from typing import Any

from bangfu.engine.guarantees import GuaranteeParams
from bangfu.registry.models import PolicyParameter


class MissingParameter(LookupError):
    pass


def shipped_parameters() -> list[dict[str, Any]]:
    text = resources.files("bangfu.registry").joinpath("data", "policy.csv").read_text("utf-8")
    return [
        {**row, "year": int(row["year"]), "value": json.loads(row["value"])}
        for row in csv.DictReader(text.splitlines())
    ]


def parameter(key: str, year: int, province_code: str = "") -> Any:
    """The value in force; raises MissingParameter naming the key, year and province."""
    province = province_code[:2].ljust(12, "0") if province_code else ""
    rows = PolicyParameter.objects.filter(key=key, year__lte=year, province_code__in=["", province])
    best = max(rows, key=lambda r: (r.year, r.province_code != ""), default=None)
    if best is None:
        raise MissingParameter(
            f"No policy parameter {key!r} in force for {year} ({province or 'national'})."
        )
    return best.value


def guarantee_params(year: int, province_code: str) -> GuaranteeParams:
    """The guarantee thresholds in force for a year and province, as the engine takes them."""

    def get(key: str) -> Any:
        return parameter(key, year, province_code)

    return GuaranteeParams(
        safe_house_grades=frozenset(get("housing.safe_grades")),
        water_min_litres_rich=Decimal(str(get("water.min_litres_rich"))),
        water_min_litres_scarce=Decimal(str(get("water.min_litres_scarce"))),
        water_max_trip_minutes=int(get("water.max_trip_minutes")),
        water_max_horizontal_m=int(get("water.max_horizontal_m")),
        water_max_vertical_m=int(get("water.max_vertical_m")),
        water_max_interruption_days=int(get("water.max_interruption_days")),
        school_age_from=int(get("education.school_age_from")),
        school_age_to=int(get("education.school_age_to")),
        required_insurance=frozenset(get("medical.required_insurance")),
    )
