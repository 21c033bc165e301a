"""Sections that apps above the registry add to the household page (monitoring cases,
assistance plans and visits…): the registry cannot import them (apps depend downward only),
so they register a panel here in their ``AppConfig.ready`` and the page renders what each
returns. A panel gets the request and a household the user may see (from a scoped selector)
and returns rendered HTML, or None to show nothing."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

from bangfu.registry.models import Household

HouseholdPanel = Callable[[HttpRequest, Household], SafeString | None]

_panels: list[tuple[int, str, HouseholdPanel]] = []


def register_household_panel(name: str, panel: HouseholdPanel, *, order: int = 100) -> None:
    """Add (or replace, by ``name``) a section of the household page; lower ``order`` first."""
    _panels[:] = [p for p in _panels if p[1] != name]
    _panels.append((order, name, panel))
    _panels.sort(key=lambda p: (p[0], p[1]))


def household_panels(request: HttpRequest, household: Household) -> list[SafeString]:
    return [html for _, _, panel in _panels if (html := panel(request, household)) is not None]
