"""Assistance pages, mounted under ``assistance/`` by ``bangfu.urls``. Each area keeps its own
routes beside its views."""

from __future__ import annotations

from bangfu.assistance import views, views_donations, views_imports, views_pairings

urlpatterns = [
    *views.urlpatterns,
    *views_donations.urlpatterns,
    *views_pairings.urlpatterns,
    *views_imports.urlpatterns,
]
