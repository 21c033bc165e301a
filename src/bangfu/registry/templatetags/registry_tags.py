"""Template helpers for registry pages: code-list labels and amounts of money."""

from __future__ import annotations

from decimal import Decimal

from django import template

from bangfu.registry.codelists import code_list

register = template.Library()


@register.filter
def codelabel(code: str | None, list_name: str) -> str:
    """``{{ household.main_cause|codelabel:"poverty_cause" }}``: the label in the active
    language; empty stays empty, an unknown code shows as itself."""
    if not code:
        return ""
    try:
        return code_list(list_name).label(code)
    except LookupError:
        return code


@register.filter
def codelabels(codes: list[str] | None, list_name: str) -> str:
    """Several codes of one list, labelled and joined with 、."""
    return "、".join(codelabel(code, list_name) for code in codes or [])


@register.filter
def yuan(value: Decimal | int | float | None) -> str:
    """``12,345.67``; empty for no value."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


@register.filter
def levellabel(level: str) -> str:
    """A workflow step's level (``village``, ``township``, ``county``) in the active language."""
    from bangfu.regions.codes import LEVEL_LABELS, LEVEL_NAMES

    found = LEVEL_NAMES.get(level or "")
    return str(LEVEL_LABELS[found]) if found is not None else level
