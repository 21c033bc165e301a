"""Recording audit and access entries. Called by every service that writes."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from bangfu.audit.models import AccessKind, AccessLogEntry, AuditAction, AuditEntry
from bangfu.core import context


def json_value(value: Any) -> Any:
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's concrete field values (foreign keys as ids), JSON-ready, for before/after."""
    return {
        f.attname: json_value(getattr(obj, f.attname))
        for f in obj._meta.concrete_fields
        if f.attname not in {"password"}
    }


def object_type(obj: models.Model | type[models.Model]) -> str:
    return obj._meta.label_lower


def audit_record(
    *,
    actor: Any,
    action: AuditAction,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    entry = audit_entry(
        actor=actor, action=action, obj=obj, before=before, after=after, reason=reason
    )
    entry.save()
    return entry


def audit_entry(
    *,
    actor: Any,
    action: AuditAction,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """The history entry of a change, not yet saved (for ``bulk_create`` of many)."""
    ctx = context.current()
    return AuditEntry(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        reason=reason[:500],
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
    )


def access_record(
    *,
    actor: Any,
    kind: AccessKind,
    model: type[models.Model],
    object_ids: list[Any],
    fields: list[str],
    purpose: str = "",
) -> AccessLogEntry:
    ctx = context.current()
    return AccessLogEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        object_type=object_type(model),
        object_ids=[str(i) for i in object_ids],
        fields=fields,
        purpose=purpose[:300],
        request_id=ctx.request_id,
        client_ip=ctx.client_ip,
    )


def save_if_changed(
    *, actor: Any, obj: models.Model, before: dict[str, Any], reason: str = ""
) -> bool:
    """Save ``obj`` and record the update, only if a field differs from ``before``; the caller
    holds the transaction. Returns whether anything was written."""
    after = snapshot(obj)
    if after == before:
        return False
    obj.save()
    audit_record(
        actor=actor, action=AuditAction.UPDATE, obj=obj, before=before, after=after, reason=reason
    )
    return True


def save_with_history(
    *, actor: Any, obj: models.Model, before: dict[str, Any] | None, reason: str = ""
) -> bool:
    """Save a new object (``before`` is None) with a create entry, or an existing one only if it
    changed, with an update entry. Returns whether anything was written."""
    if before is None:
        obj.save()
        audit_record(
            actor=actor, action=AuditAction.CREATE, obj=obj, after=snapshot(obj), reason=reason
        )
        return True
    return save_if_changed(actor=actor, obj=obj, before=before, reason=reason)
