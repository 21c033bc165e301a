"""Pages to import the assistance tables from Excel (helpers, assignments, measures, visits,
partners, social pairings, the donations ledger, secondments): the registry's generic import
pages (``registry.sheet_pages``) over ``imports.TABLES``, mounted at /assistance/import/."""

from __future__ import annotations

from django.urls import URLPattern
from django.utils.translation import gettext_lazy

from bangfu.assistance.imports import TABLES
from bangfu.registry.sheet_pages import SheetImportPages

PAGES = SheetImportPages(
    app="assistance",
    tables=TABLES,
    title=gettext_lazy("Import from Excel"),
    nav="assistance/_nav.html",
    denied=gettext_lazy(
        "Importing {table} needs a region in your capture scope (for measures and visits, "
        "households assigned to you as a helper will do)."
    ),
)

urlpatterns: list[URLPattern] = PAGES.urls()
