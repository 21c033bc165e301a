"""RegionScope: the set of subtrees a user may read or change, as a value.

``bangfu.accounts.scopes`` computes a user's scopes (the one place that knows roles, assigned
regions and pairings); every selector, service, view, API endpoint and export filters with the
scope it is handed. Kept here, below accounts, because region selectors need it and the
dependency rule lets regions import nothing above them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q

from bangfu.core.errors import BangfuError
from bangfu.regions.codes import ancestor_codes, prefix_bounds, significant_prefix


@dataclass(frozen=True)
class RegionScope:
    """All regions under ``roots`` (codes), or every region when ``unrestricted``."""

    roots: frozenset[str] = field(default_factory=frozenset)
    unrestricted: bool = False

    @classmethod
    def everything(cls) -> RegionScope:
        return cls(unrestricted=True)

    @classmethod
    def nothing(cls) -> RegionScope:
        return cls()

    @classmethod
    def of(cls, codes: Iterable[str]) -> RegionScope:
        """A scope of the given subtrees, dropping roots already covered by another root."""
        unique = sorted(set(codes), key=lambda c: (len(significant_prefix(c)), c))
        kept: list[str] = []
        for code in unique:
            if not any(code.startswith(significant_prefix(root)) for root in kept):
                kept.append(code)
        return cls(roots=frozenset(kept))

    def union(self, other: RegionScope) -> RegionScope:
        if self.unrestricted or other.unrestricted:
            return RegionScope.everything()
        return RegionScope.of(self.roots | other.roots)

    @property
    def is_empty(self) -> bool:
        return not self.unrestricted and not self.roots

    @property
    def prefixes(self) -> list[str]:
        return sorted(significant_prefix(root) for root in self.roots)

    def covers(self, code: str) -> bool:
        """True when the region with this code is a root or a descendant of one."""
        return self.unrestricted or any(code.startswith(p) for p in self.prefixes)

    def q(self, field: str = "code") -> Q:
        """A filter on a region-code field (``code``, ``village__code``…): one range per root."""
        if self.unrestricted:
            return Q()
        if not self.roots:
            return Q(pk__in=[])
        ranges = [Q(**{f"{field}__range": prefix_bounds(p)}) for p in self.prefixes]
        return reduce(or_, ranges)

    def q_any(self, *fields: str) -> Q:
        """Rows whose region in any of ``fields`` is in scope. Use this rather than OR-ing
        ``q`` results: the unrestricted scope's ``Q()`` vanishes in an OR (``Q() | x`` is
        ``x``), which would turn "everything" into "only x"."""
        if self.unrestricted:
            return Q()
        return reduce(or_, (self.q(field) for field in fields))

    def ancestor_codes(self) -> set[str]:
        """Codes strictly above the roots: regions whose pairings concern this scope too."""
        return {a for root in self.roots for a in ancestor_codes(root)}


def typed_region(text: str) -> RegionScope | None:
    """The regions a list's "region" filter means: a code typed in full (12 or 15 digits) or
    its start (``5328``, ``532822``), with everything below it; None when nothing was typed; a
    scope of nothing for what is not a region code (the list shows nothing, not an error)."""
    code = (text or "").strip()
    if not code:
        return None
    if not (code.isascii() and code.isdigit()) or len(code) > 15:
        return RegionScope.nothing()
    try:
        return RegionScope.of([code if len(code) >= 12 else code.ljust(12, "0")])
    except BangfuError:
        return RegionScope.nothing()
