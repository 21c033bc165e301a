"""Pages to import the project tables from Excel (projects, budget lines, milestones,
performance targets, benefits, cooperatives, members, share capital): the registry's generic
import pages (``registry.sheet_pages``) over ``imports.TABLES``, mounted at /projects/import/."""

from __future__ import annotations

from django.urls import URLPattern
from django.utils.translation import gettext_lazy

from bangfu.projects.imports import TABLES
from bangfu.registry.sheet_pages import SheetImportPages

PAGES = SheetImportPages(
    app="projects",
    tables=TABLES,
    title=gettext_lazy("Import projects and cooperatives from Excel"),
    nav="projects/_nav.html",
    denied=gettext_lazy("Importing {table} needs a region in your capture scope."),
)

urlpatterns: list[URLPattern] = PAGES.urls()
