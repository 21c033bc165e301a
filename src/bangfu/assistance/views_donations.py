"""Pages of the donations ledger."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
