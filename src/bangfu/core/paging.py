"""Paging long lists without counting them to the end.

Django's ``Paginator`` counts every matching row (``COUNT(*)``) for every page. On a list of a
million households filtered by a column no index holds, that count reads every row in scope,
though the page itself needs only the first fifty. ``CappedPaginator`` counts no further than
it needs: up to ``cap`` rows, or to the end of the page asked for when that lies further. The
page then still knows whether there is a next page (and so do its controls), and the list
knows its exact size and number of pages whenever it has at most that many rows; beyond, it
says "more than N" (``exact`` is false, ``bound`` is N).

Pages are still found with ``OFFSET``: a page far down costs what the rows before it cost to
skip, and its count grows with it (``bound`` is at least the end of the asked page).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

COUNT_CAP = 10_000
MAX_PAGE = 10_000_000  # a larger page number is taken as this one (keeps LIMIT in 64 bits)

if TYPE_CHECKING:  # generic in django-stubs only
    _Paginator = Paginator[Any]
else:
    _Paginator = Paginator


class CappedPaginator(_Paginator):
    """A ``Paginator`` over a queryset that counts at most ``bound`` + 1 rows (one more than
    it will claim, to know whether there are more)."""

    object_list: QuerySet[Any]

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, cap: int = COUNT_CAP):
        super().__init__(object_list, per_page)
        self.cap = cap
        self.bound = cap

    def validate_number(self, number: Any) -> int:
        """As ``Paginator.validate_number``, counting first far enough to place the page:
        ``bound`` grows to the end of the page asked for (and a count that stopped short of
        it is taken again)."""
        try:
            wanted = min(int(number), MAX_PAGE)
        except (TypeError, ValueError):
            return super().validate_number(number)  # PageNotAnInteger, as Django says it
        if wanted * self.per_page > self.bound:
            stopped_short = "count" in self.__dict__ and not self.exact
            self.bound = wanted * self.per_page
            if stopped_short:
                self.__dict__.pop("count", None)
                self.__dict__.pop("num_pages", None)
        return super().validate_number(wanted)

    def get_page(self, number: Any) -> Page[Any]:
        """The page, as ``Paginator.get_page`` finds it (1 for a missing or invalid number,
        the last page for a number past the end), except that a number below 1 is page 1:
        the last page is not known until counted to the end."""
        try:
            if int(number) < 1:
                number = 1
        except (TypeError, ValueError):
            pass
        return super().get_page(number)

    @cached_property
    def count(self) -> int:
        """The rows, when at most ``bound``; else ``bound`` + 1. The rows are counted
        unordered, by primary key only, so the database needs neither a sort nor the rows'
        other columns."""
        return self.object_list.order_by().values("pk")[: self.bound + 1].count()

    @property
    def exact(self) -> bool:
        return self.count <= self.bound

    @property
    def known_pages(self) -> int:
        """The number of pages when ``exact``; else the number of pages known to be full."""
        return self.num_pages if self.exact else self.bound // self.per_page
