"""User administration. Changes made here are audited like every service write."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from bangfu.accounts.models import User
from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record, snapshot


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Bangfu", {"fields": ("role", "display_name", "capture_regions", "view_regions")}),
    )
    filter_horizontal = ("capture_regions", "view_regions", "groups", "user_permissions")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        action = AuditAction.UPDATE if change else AuditAction.CREATE
        audit_record(
            actor=request.user,
            action=action,
            obj=obj,
            before=before,
            after=snapshot(obj),
            reason=gettext_noop("admin"),
        )
