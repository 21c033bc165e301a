"""The logs in the admin: readable, never changeable or deletable (the admin included)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from bangfu.audit.models import AccessLogEntry, AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "actor",
        "action",
        "object_type",
        "object_repr",
        "client_ip",
        "request_id",
    )
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id", "request_id")


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "kind", "object_type", "purpose", "client_ip")
    list_filter = ("kind", "object_type")
