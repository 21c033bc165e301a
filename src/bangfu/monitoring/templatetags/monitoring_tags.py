"""Money kept in fen shown in yuan; shares as percentages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from bangfu.monitoring import labels

register = template.Library()


@register.filter
def yuan(fen: Any) -> str:
    """12345 → "123.45" (exact: integer fen to Decimal, never through float)."""
    if fen is None or fen == "":
        return "—"
    return f"{(Decimal(int(fen)) / 100):,.2f}"


@register.filter
def percent(share: Any, digits: int = 2) -> str:
    if share is None or share == "":
        return "—"
    return f"{float(share) * 100:.{int(digits)}f}%"


@register.filter
def reasons(text: str) -> str:
    """Reason codes (comma-separated) as their labels."""
    return labels.label_codes(text, labels.REASONS)


@register.filter
def guarantees(text: str) -> str:
    return labels.label_codes(text, labels.GUARANTEES)


@register.filter
def category(code: str) -> str:
    return labels.category_label(code) if code else "—"
