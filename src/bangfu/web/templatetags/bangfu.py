"""Template helpers: region names in the active language, audit changes and reasons for
people."""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.db.models import Field, Model
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bangfu.audit.models import AuditEntry
from bangfu.regions.models import Region

register = template.Library()


@register.filter
def rname(region: Region | None) -> str:
    """``{{ region|rname }}``: the English name under English when known, else the Chinese."""
    return region.display_name(get_language()) if region is not None else ""


@register.filter
def audit_changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """An audit entry's changes for people: field labels, yes/no, names instead of ids,
    and no surrogate keys."""
    model = _model_of(entry.object_type)
    rows = []
    for attname, before, after in entry.changes():
        if attname == "id":
            continue
        field = _field(model, attname)
        label = str(field.verbose_name) if field is not None else attname
        rows.append((label, _shown(field, before), _shown(field, after)))
    return rows


@register.filter
def history_reason(reason: str) -> str:
    """An audit entry's reason in the reader's language. The system writes its reasons as the
    catalogue's English keys ("alert assigned", "objection: <what was said>"), so a record
    reads the same whatever the writer's language; people's own words are shown as written."""
    if not reason:
        return ""
    translated = _(reason)
    if translated != reason:
        return translated
    head, sep, rest = reason.partition(": ")
    return f"{_(head)}{sep}{rest}" if sep else reason


def _model_of(label: str) -> type[Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model: type[Model] | None, attname: str) -> Field[Any, Any] | None:
    if model is None:
        return None
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field
    return None


def _shown(field: Field[Any, Any] | None, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if field is not None and field.is_relation and field.related_model is not None:
        target = field.related_model._default_manager.filter(pk=value).first()
        return str(target) if target is not None else str(value)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)
