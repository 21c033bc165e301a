"""Regions in the admin are read-only: every change goes through the services (validated and
audited) via the region pages, the API or the reference-data loader."""

from __future__ import annotations

from django.contrib import admin

from bangfu.audit.admin import ReadOnlyAdmin
from bangfu.regions.models import Pairing, Region


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "name_zh",
        "name_en",
        "level",
        "is_west",
        "former_poor_county",
        "key_county",
    )
    list_filter = ("level", "is_west", "former_poor_county", "key_county")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Pairing)
class PairingAdmin(ReadOnlyAdmin):
    list_display = ("east", "west", "start_year", "end_year")
