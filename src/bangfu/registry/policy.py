"""Policy parameters in the database: the shipped files plus a province's own rows.

The definitions — which keys exist, their kinds, how the value in force is chosen (latest year
≤ Y, a province's own value winning over the national one of the same year or earlier) — are
the engine's (``bangfu.engine.policy``); this module only reads the table. The shipped files
(``bangfu/engine/policies/*.toml``) are written into the table after every migrate
(``reference.sync_reference_data``), so a deployment can add or override rows without code.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from bangfu.audit.services import save_with_history, snapshot
from bangfu.engine import policy as engine_policy
from bangfu.engine.guarantees import GuaranteeParams
from bangfu.engine.policy import MissingParameter, Parameter, RulePolicy
from bangfu.registry.models import PolicyParameter

__all__ = [
    "MissingParameter",
    "guarantee_params",
    "parameter",
    "parameters_load",
    "rule_policy",
    "shipped_parameters",
]


def _db_code(province: str) -> str:
    """The table keeps a province as its 12-digit region code, the nation as ''."""
    return province[:2].ljust(12, "0") if province else ""


def _row(p: Parameter) -> dict[str, Any]:
    return {
        "key": p.key,
        "year": p.year,
        "province_code": _db_code(p.province),
        "value": p.as_json(),
        "source": p.source,
        "confidence": p.confidence,
    }


def shipped_parameters() -> list[dict[str, Any]]:
    """The shipped files' parameters as table rows."""
    return [_row(p) for p in engine_policy.shipped()]


@transaction.atomic
def parameters_load(*, actor: Any, params: list[Parameter], reason: str = "") -> tuple[int, int]:
    """Add a deployment's own parameters (from policy files checked by the engine) to the
    table, or bring the rows of the same key, year and province up to date; every change is
    in the audit log. Returns (created, updated). A shipped row changed here is put back by the
    next ``migrate``: give a province's own value its own row (its province and year) instead."""
    created = updated = 0
    for p in params:
        row = _row(p)
        current = PolicyParameter.objects.filter(
            key=p.key, year=p.year, province_code=row["province_code"]
        ).first()
        before = snapshot(current) if current else None
        target = current or PolicyParameter()
        for name, value in row.items():
            setattr(target, name, value)
        if save_with_history(actor=actor, obj=target, before=before, reason=reason):
            created, updated = (created + 1, updated) if before is None else (created, updated + 1)
    return created, updated


def _parameters(keys: Any = None) -> list[Parameter]:
    rows = PolicyParameter.objects.all()
    if keys is not None:
        rows = rows.filter(key__in=list(keys))
    return [
        Parameter(
            key=row.key,
            year=row.year,
            province=row.province_code[:2],
            value=engine_policy.convert(row.key, row.value, f"policy table row {row.pk}"),
            source=row.source,
            confidence=row.confidence,
        )
        for row in rows
    ]


def parameter(key: str, year: int, province_code: str = "") -> Any:
    """The typed value in force; raises MissingParameter naming the key, year and province."""
    found = engine_policy.resolve(_parameters([key]), key, year, province_code[:2])
    if found is None:
        raise MissingParameter([key], year, province_code[:2])
    return found.value


def rule_policy(year: int, province_code: str, overrides: Mapping[str, Any] = {}) -> RulePolicy:
    """The monitoring rules in force (MissingParameter lists every parameter missing)."""
    return engine_policy.rule_policy(
        _parameters(engine_policy.RULE_KEYS), year, province_code[:2], overrides
    )


def guarantee_params(year: int, province_code: str) -> GuaranteeParams:
    """The guarantee thresholds in force for a year and province, as the engine takes them."""

    def get(key: str) -> Any:
        return parameter(key, year, province_code)

    return GuaranteeParams(
        safe_house_grades=frozenset(get("housing.safe_grades")),
        water_min_litres_rich=Decimal(get("water.min_litres_rich")),
        water_min_litres_scarce=Decimal(get("water.min_litres_scarce")),
        water_max_trip_minutes=int(get("water.max_trip_minutes")),
        water_max_horizontal_m=int(get("water.max_horizontal_m")),
        water_max_vertical_m=int(get("water.max_vertical_m")),
        water_max_interruption_days=int(get("water.max_interruption_days")),
        school_age_from=int(get("education.school_age_from")),
        school_age_to=int(get("education.school_age_to")),
        required_insurance=frozenset(get("medical.required_insurance")),
    )
