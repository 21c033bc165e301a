"""Keeping the shipped code lists and policy parameters in the database (after every migrate).

Shipped rows are added or brought up to date; rows a province added itself are left alone.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from bangfu.registry.codelists import clear_cache, shipped_items
from bangfu.registry.models import CodeItem, PolicyParameter
from bangfu.registry.policy import shipped_parameters


@transaction.atomic
def sync_reference_data() -> tuple[int, int]:
    """Upsert the shipped code items and parameters; returns how many rows were written."""
    items = _upsert(CodeItem, shipped_items(), ("list_name", "version", "code"))
    params = _upsert(PolicyParameter, shipped_parameters(), ("key", "year", "province_code"))
    clear_cache()
    return items, params


def _upsert(model: Any, rows: list[dict[str, Any]], key_fields: tuple[str, ...]) -> int:
    existing = {tuple(getattr(o, k) for k in key_fields): o for o in model.objects.all()}
    written = 0
    for row in rows:
        values = {k: v for k, v in row.items() if k in {f.name for f in model._meta.fields}}
        key = tuple(values[k] for k in key_fields)
        current = existing.get(key)
        if current is None:
            model.objects.create(**values)
            written += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            current.save()
            written += 1
    return written
