"""Pages to import the assistance tables from Excel (helpers, assignments, measures, visits,
partners, social pairings, secondments)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
