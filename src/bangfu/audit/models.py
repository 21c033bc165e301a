"""Audit and access-log entries. Append-only three times over: the model refuses updates and
deletes, the queryset refuses bulk updates and deletes, and database triggers (see the
migration) refuse UPDATE and DELETE from any client, the admin and raw SQL included."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from bangfu.core.errors import BangfuError, ErrorCode


def _refuse(model: type[models.Model]) -> NoReturn:
    code, message = getattr(model, "append_only_refusal", APPEND_ONLY_LOG)
    raise BangfuError(code, gettext(message))


# What a change to a log entry answers; a subclass of AppendOnlyModel names its own.
APPEND_ONLY_LOG = (ErrorCode.AUDIT_APPEND_ONLY, "Log entries cannot be changed or deleted.")
# What the money ledgers (donations, project funds) answer: corrections are reversing entries.
APPEND_ONLY_LEDGER = (
    ErrorCode.LEDGER_APPEND_ONLY,
    gettext_noop("Ledger entries cannot be changed or deleted: reverse the entry instead."),
)


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        _refuse(self.model)

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse(self.model)


class AppendOnlyModel(models.Model):
    """Rows that are written once: saving an existing row, deleting one, and the queryset's
    bulk update and delete raise ``append_only_refusal`` (an error code and its message; the
    message is translated when raised). Pair it with the database triggers of
    ``bangfu.core.append_only`` so that other clients are refused too."""

    append_only_refusal: tuple[ErrorCode, str] = APPEND_ONLY_LOG
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse(type(self))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _refuse(type(self))


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    ACTION = "action", _("action")


class AuditEntry(AppendOnlyModel):
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    request_id = models.CharField(_("request id"), max_length=64)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for every field whose value differs."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class AccessKind(models.TextChoices):
    VIEW = "view", _("viewed unmasked")
    EXPORT = "export", _("exported unmasked")


class AccessLogEntry(AppendOnlyModel):
    """One view or export of personal data (ID numbers, names, phones, health) in clear."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AccessKind.choices)
    object_type = models.CharField(_("object type"), max_length=100)
    object_ids = models.JSONField(_("object ids"), default=list)
    fields = models.JSONField(_("fields"), default=list)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.object_type} ×{len(self.object_ids)}"
