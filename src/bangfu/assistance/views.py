"""Pages of the household loop: helpers, assignments, plans, measures, visits."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
