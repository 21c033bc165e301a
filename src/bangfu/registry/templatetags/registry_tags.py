"""Template helpers for registry pages: code-list labels, amounts of money, and the household
page's production assets and living conditions."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import template
from django.db import models
from django.template.defaultfilters import floatformat
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from bangfu.registry import selectors
from bangfu.registry.codelists import code_list
from bangfu.registry.models import Household
from bangfu.registry.services import LIVING_FIELDS, PRODUCTION_FIELDS, own_figures

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


def _facts(row: models.Model | None, names: Sequence[str]) -> list[tuple[str, str]] | None:
    """(label, value) for each named column of ``row``; None while it is not recorded."""
    if row is None:
        return None
    facts = []
    for name in names:
        value = getattr(row, name)
        if isinstance(value, bool):
            shown = _("yes") if value else _("no")
        elif isinstance(value, Decimal):
            shown = floatformat(value, -2)  # 4.50 stays 4.50, 12.00 shows as 12
        else:
            shown = str(value) if value not in (None, "") else "—"
        label = getattr(row._meta.get_field(name), "verbose_name", name)
        facts.append((capfirst(str(label)), shown))
    return facts


@register.inclusion_tag("registry/_conditions.html", takes_context=True)
def household_conditions(context: template.Context, household: Household) -> dict[str, Any]:
    """``{% household_conditions household %}``: the household page's section on production
    assets and living conditions, read in one query, with the edit link for the capture scope
    (the page's ``can_capture``)."""
    production, living = selectors.household_conditions(household=household)
    return {
        "household": household,
        "can_capture": context.get("can_capture", False),
        "production": _facts(production, PRODUCTION_FIELDS),
        "living": _facts(living, LIVING_FIELDS),
    }


@register.inclusion_tag("registry/_reported.html")
def reported_figures(household: Household, guarantees: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``{% reported_figures household guarantees %}``: what the last imported file reported
    (national layout columns 22-25) beside Bangfu's own figure for the same fact — the latest
    income per person and the latest guarantee assessment (``guarantees``, newest first, as
    the page lists them) — each pair marked where they disagree. Empty when nothing was
    reported."""
    own = own_figures(household, guarantees[0]["row"] if guarantees else None)
    income = "reported_net_income_pc"
    rows = [
        _reported_row(
            _("Net income per person"),
            household.reported_net_income_pc,
            own[income],
            yuan(household.reported_net_income_pc),
            yuan(own[income]),
        ),
        *(
            _reported_flag(label, getattr(household, name), own[name])
            for name, label in (
                ("reported_dangerous_house", _("Dangerous house")),
                ("reported_water_safe", _("Safe drinking water")),
                ("reported_water_difficult", _("Difficult water access")),
            )
        ),
    ]
    return {"rows": [row for row in rows if row is not None]}


def _reported_flag(label: str, reported: bool | None, own: bool | None) -> dict[str, Any] | None:
    def shown(value: bool | None) -> str:
        return "—" if value is None else (_("yes") if value else _("no"))

    return _reported_row(label, reported, own, shown(reported), shown(own))


def _reported_row(
    label: str, reported: object, own: object, reported_text: str, own_text: str
) -> dict[str, Any] | None:
    if reported is None:
        return None
    differs = own is not None and own != reported
    return {"label": label, "reported": reported_text, "own": own_text or "—", "differs": differs}
