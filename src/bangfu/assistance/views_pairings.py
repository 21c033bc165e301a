"""Pages of partners, campaigns, social pairings and secondments."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
