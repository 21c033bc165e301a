"""Template helpers: region names in the active language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from bangfu.regions.models import Region

register = template.Library()


@register.filter
def rname(region: Region | None) -> str:
    """``{{ region|rname }}``: the English name under English when known, else the Chinese."""
    return region.display_name(get_language()) if region is not None else ""
