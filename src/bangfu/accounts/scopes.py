"""The one scoping function: which regions a user may read and which they may change.

Every selector, view, API endpoint and export asks here and nowhere else.
- Administrators: everything.
- Auditors: read their view regions (everything when none are assigned); change nothing.
- Eastern cooperation offices: change their capture regions; read those, their view regions and
  every western region paired with one of their regions (any year: history stays readable).
- County, township and village staff: change their capture regions; read those and their
  view regions. A scope always covers all descendants.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q, QuerySet

from bangfu.accounts.models import Role, User
from bangfu.regions.codes import ancestor_codes, significant_prefix
from bangfu.regions.models import Pairing
from bangfu.regions.scope import RegionScope

Purpose = Literal["view", "capture"]


def scope_for(user: Any, purpose: Purpose = "view") -> RegionScope:
    """The user's scope for reading (``view``) or writing (``capture``). Cached per user object."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return RegionScope.nothing()
    cache: dict[str, RegionScope] = user.__dict__.setdefault("_bangfu_scopes", {})
    if purpose not in cache:
        cache[purpose] = _compute(user, purpose)
    return cache[purpose]


def _compute(user: Any, purpose: Purpose) -> RegionScope:
    if user.role == Role.ADMIN or user.is_superuser:
        return RegionScope.everything()
    if user.role == Role.AUDITOR:
        if purpose == "capture":
            return RegionScope.nothing()
        assigned = list(user.view_regions.values_list("code", flat=True))
        return RegionScope.of(assigned) if assigned else RegionScope.everything()
    capture = RegionScope.of(user.capture_regions.values_list("code", flat=True))
    if purpose == "capture":
        return capture
    view = capture.union(RegionScope.of(user.view_regions.values_list("code", flat=True)))
    if user.role == Role.EAST_OFFICE:
        view = view.union(RegionScope.of(_paired_west_codes(capture)))
    return view


def users_who_may_capture(code: str) -> QuerySet[Any]:
    """Active users whose capture scope covers the region ``code``, in one query: the rules of
    ``_compute`` for ``capture`` (administrators everything, auditors nothing, everyone else
    the subtrees of their capture regions), so a county's worklist need not compute every
    user's scope."""
    roots = [code, *ancestor_codes(code)]
    everything = Q(is_superuser=True) | Q(role=Role.ADMIN)
    own = ~Q(role=Role.AUDITOR) & Q(capture_regions__code__in=roots)
    return User.objects.filter(everything | own, is_active=True).distinct()


def _paired_west_codes(own: RegionScope) -> list[str]:
    if own.is_empty:
        return []
    return list(
        Pairing.objects.filter(own.q("east__code")).values_list("west__code", flat=True).distinct()
    )


def can_read_logs(user: Any) -> bool:
    """Who may read the whole audit and access logs (object pages show their own history)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.role in {Role.ADMIN, Role.AUDITOR}
    )


def home_code(user: Any) -> str | None:
    """The first region of the user's capture scope (else view scope): where the UI opens."""
    scope = scope_for(user, "capture")
    if scope.is_empty:
        scope = scope_for(user, "view")
    if scope.unrestricted or not scope.roots:
        return None
    return min(scope.roots, key=lambda c: (len(significant_prefix(c)), c))


PERSONAL_DATA_ROLES = frozenset({Role.ADMIN, Role.COUNTY, Role.TOWNSHIP, Role.VILLAGE})


def can_see_personal_data(user: Any, region_code: str) -> bool:
    """Whether the user may see ID numbers and bank accounts in clear for a record of this
    region: administrators, and western staff whose capture scope covers it. Eastern offices and
    auditors see masked values only. Every clear view is logged by the caller."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return user.role in PERSONAL_DATA_ROLES and scope_for(user, "capture").covers(region_code)
