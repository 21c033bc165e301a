"""Human labels of the rules' codes (``bangfu.engine.rules``), for pages and spreadsheets."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from bangfu.monitoring.models import Category

REASONS = {
    "income_below_threshold": _("Income below the monitoring threshold"),
    "guarantee_failure": _("A guarantee is not met"),
    "rigid_spending_shock": _("Rigid spending jumped"),
    "income_collapse": _("Income collapsed"),
    # elimination and exit checks
    "income_missing": _("No income record for the year"),
    "income_below_line": _("Income below the poverty line"),
    "rigid_spending": _("Rigid spending not resolved"),
    "too_recent": _("Not yet stable for the required months"),
    "guarantees_not_assessed": _("Guarantees not assessed this year"),
    "eligible": _("Eligible"),
    "not_yet": _("Not yet"),
    "deferred_no_labour": _("Deferred: no member can work"),
}
GUARANTEES = {
    "food": _("food"),
    "clothing": _("clothing"),
    "education": _("compulsory education"),
    "medical": _("basic medical care"),
    "housing": _("safe housing"),
    "water": _("safe drinking water"),
}


def label_codes(text: str, labels: Mapping[str, object]) -> str:
    """'a,b' → 'label a、label b' (unknown codes as they are)."""
    return "、".join(str(labels.get(c, c)) for c in (text or "").split(",") if c)


def category_label(code: str) -> str:
    return str(Category(code).label) if code in Category.values else code
