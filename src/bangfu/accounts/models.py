"""Users with a role and two region scopes, modelled on DHIS2's capture and view org units."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.regions.models import Region


class Role(models.TextChoices):
    ADMIN = "admin", _("System administrator")
    EAST_OFFICE = "east_office", _("Eastern cooperation office")
    COUNTY = "county", _("County staff")
    TOWNSHIP = "township", _("Township staff")
    VILLAGE = "village", _("Village staff")
    AUDITOR = "auditor", _("Auditor (read-only)")
    HELPER = "helper", _("Helper (帮扶责任人)")


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VILLAGE)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    capture_regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="capture_users",
        verbose_name=_("capture scope"),
        help_text=_("Regions (with all their descendants) where the user creates and edits data."),
    )
    view_regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="view_users",
        verbose_name=_("view scope"),
        help_text=_("Regions (with all their descendants) whose data the user may read."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class LoginFailure(models.Model):
    """Failed sign-ins, counted per username and per address to throttle guessing."""

    username = models.CharField(max_length=150, db_index=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"
