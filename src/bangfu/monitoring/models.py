"""Monitoring runs, their results, the alerts worklist and monitoring cases (POLICY.md §4).

A *run* applies the rules in force (``bangfu.engine.rules``) to every household of a region for
one year and records what it used: the policy version of each province and a hash of the input
read from the registry. Its *results* keep, per household, what the rules said — only for the
households the rules single out (a category, an open case, registered poor) and those singled
out by the previous run of the same scope, so that two runs can be compared.

An *alert* is the worklist item a run raises for a categorised household without an open case:
assigned to a staff member, verified at home, then admitted as a *case* or dismissed with a
reason (§4.4). A case closes through risk elimination (§4.5).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.regions.models import Region
from bangfu.registry.models import Household


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Category(models.TextChoices):
    UNSTABLE_EXITED = "unstable_exited", _("Unstable exited household (脱贫不稳定户)")
    MARGINAL = "marginal", _("Marginal household prone to poverty (边缘易致贫户)")
    SUDDEN_HARDSHIP = "sudden_hardship", _("Household in sudden severe hardship (突发严重困难户)")


class MonitoringRun(models.Model):
    year = models.PositiveSmallIntegerField(_("year"))
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    engine = models.CharField(_("engine"), max_length=10, default="polars")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stage = models.CharField(max_length=40, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # per cent
    error = models.TextField(blank=True)
    # What the run used: {province: version} and {province: {key: value, source, …}}.
    policy_versions = models.JSONField(default=dict)
    policy = models.JSONField(default=dict)
    input_hash = models.CharField(max_length=64, blank=True)
    households = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict)  # counts: categories, flags, alerts, per county
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.year})"


class RunResult(models.Model):
    """What one run said about one household, with the values behind it (money in fen)."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.CASCADE, related_name="results")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    reasons = models.CharField(max_length=200, blank=True)
    risk_types = models.CharField(max_length=300, blank=True)
    guarantees_failed = models.CharField(max_length=100, blank=True)
    income_fen = models.BigIntegerField(null=True)
    threshold_fen = models.BigIntegerField(null=True)
    line_fen = models.BigIntegerField(null=True)
    rigid_fen = models.BigIntegerField(null=True)
    prev_income_fen = models.BigIntegerField(null=True)
    alert = models.BooleanField(default=False)
    elimination = models.CharField(max_length=20, blank=True)
    elimination_reasons = models.CharField(max_length=200, blank=True)
    exit_ok = models.BooleanField(null=True)
    exit_reasons = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "household"], name="result_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.household_id}: {self.category or '-'}"


class AlertStatus(models.TextChoices):
    OPEN = "open", _("New")
    ASSIGNED = "assigned", _("Assigned")
    VERIFIED = "verified", _("Verified at home")
    ADMITTED = "admitted", _("Admitted as a case")
    DISMISSED = "dismissed", _("Dismissed")


OPEN_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ASSIGNED, AlertStatus.VERIFIED)


class Alert(models.Model):
    # Scoped through the household's village (never a copy of it: a household that moves
    # takes its alerts and cases to the staff of its new village).
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="alerts")
    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="raised")
    last_run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="+")
    still_flagged = models.BooleanField(_("flagged by the latest run"), default=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    reasons = models.CharField(_("reasons"), max_length=200)
    risk_types = models.JSONField(_("suggested risk types"), default=list)
    values = models.JSONField(_("values behind the alert"), default=dict)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    raised_on = models.DateField(_("raised on"))
    due_on = models.DateField(_("decide by"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_on = models.DateField(null=True, blank=True)
    visited_on = models.DateField(_("home visit"), null=True, blank=True)
    visit_notes = models.TextField(_("findings"), blank=True)
    consent = models.BooleanField(_("household consented to data checks"), default=False)
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dismiss_reason = models.CharField(_("reason for dismissal"), max_length=500, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            # At most one alert waiting per household: a new run updates it, never duplicates.
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(status__in=["open", "assigned", "verified"]),
                name="one_open_alert_per_household",
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="alert_status_due")]

    def __str__(self) -> str:
        return f"alert {self.pk} {self.household_id} {self.category}"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Monitored (risk not eliminated)")
    ELIMINATION_VERIFIED = "elimination_verified", _("Elimination verified at home")
    ELIMINATION_POSTED = "elimination_posted", _("Elimination publicly posted")
    ELIMINATED = "eliminated", _("Risk eliminated")


OPEN_CASE_STATUSES = (
    CaseStatus.OPEN,
    CaseStatus.ELIMINATION_VERIFIED,
    CaseStatus.ELIMINATION_POSTED,
)


class EliminationMode(models.TextChoices):
    ASSISTED = "assisted", _("Eliminated with assistance (帮扶消除)")
    NATURAL = "natural", _("Eliminated naturally (自然消除)")


class Case(models.Model):
    """A monitoring object (监测对象). The household's registry record stays as it is."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="cases")
    alert = models.OneToOneField(Alert, null=True, blank=True, on_delete=models.PROTECT)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    risk_types = models.JSONField(_("risk types"), default=list)
    admitted_on = models.DateField(_("admitted on"))
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    measure_due_on = models.DateField(_("support measure due by"))
    status = models.CharField(max_length=24, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    posting_start = models.DateField(_("posting from"), null=True, blank=True)
    posting_end = models.DateField(_("posting until"), null=True, blank=True)
    elimination_mode = models.CharField(
        _("elimination"), max_length=10, choices=EliminationMode.choices, blank=True
    )
    eliminated_on = models.DateField(_("risk eliminated on"), null=True, blank=True)

    class Meta:
        ordering = ["-admitted_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(
                    status__in=["open", "elimination_verified", "elimination_posted"]
                ),
                name="one_open_case_per_household",
            )
        ]

    def __str__(self) -> str:
        return f"case {self.pk} {self.household_id} {self.category}"
