"""Reads of the logs. Callers decide who may read (see bangfu.accounts.permissions)."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from bangfu.audit.models import AccessLogEntry, AuditEntry
from bangfu.audit.services import object_type


def object_history(*, obj: models.Model) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        object_type=object_type(obj), object_id=str(obj.pk)
    ).select_related("actor")


def audit_list() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.select_related("actor")


def access_list() -> QuerySet[AccessLogEntry]:
    return AccessLogEntry.objects.select_related("actor")
