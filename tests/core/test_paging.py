"""The capped paginator: exact below its bound, "more than" above, pages and their controls
right either way, one bounded COUNT query."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bangfu.core.paging import CappedPaginator
from bangfu.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def regions(db: Any) -> Any:
    qs = Region.objects.order_by("code")
    assert qs.count() > 60, "the reference regions are loaded"
    return qs


def test_exact_when_the_list_fits_under_the_bound(regions: Any) -> None:
    total = regions.count()
    paginator = CappedPaginator(regions, 10, cap=total)
    page = paginator.get_page(1)
    assert paginator.exact and paginator.count == total
    assert paginator.num_pages == paginator.known_pages == -(-total // 10)
    assert [r.code for r in page] == [r.code for r in regions[:10]]
    last = CappedPaginator(regions, 10, cap=total).get_page(10**9)  # past the end: the last page
    assert last.number == paginator.num_pages and not last.has_next()


def test_more_than_the_bound(regions: Any) -> None:
    total = regions.count()
    paginator = CappedPaginator(regions, 10, cap=30)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page("1")
        assert not paginator.exact
    assert len(queries) == 1 and "LIMIT 31" in queries[0]["sql"]
    assert "ORDER BY" not in queries[0]["sql"], "counted unordered"
    assert paginator.count == 31 and paginator.bound == 30 and paginator.known_pages == 3
    assert page.has_next() and not page.has_previous()
    # A page past the cap counts to its own end: it exists, and knows whether one follows.
    deep = CappedPaginator(regions, 10, cap=30)
    page5 = deep.get_page(5)
    assert page5.number == 5 and deep.bound == 50 and page5.has_next() == (total > 50)
    assert [r.code for r in page5] == [r.code for r in regions[40:50]]
    # Invalid numbers are page 1, as with Django's paginator; so are numbers below 1 (Django
    # gives the last page, which is not known here without counting to the end).
    for number in (None, "", "x", "2.5", "0", "-3"):
        assert CappedPaginator(regions, 10, cap=30).get_page(number).number == 1
    # page() itself counts far enough too, and takes a short count again.
    again = CappedPaginator(regions, 10, cap=30)
    assert not again.exact and again.num_pages == 4
    page6 = again.page(6)
    assert again.bound == 60 and len(page6) == 10 and page6.has_next() == (total > 60)


def test_the_bound_follows_the_page_asked_for(regions: Any) -> None:
    total = regions.count()
    paginator = CappedPaginator(regions, 10, cap=20)
    last_number = -(-total // 10)
    page = paginator.get_page(last_number)
    assert paginator.exact and paginator.count == total
    assert page.number == last_number and not page.has_next()
    assert len(page) == total - (last_number - 1) * 10
