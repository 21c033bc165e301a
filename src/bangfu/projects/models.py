"""Projects and the fund ledger (项目资金台账): every yuan from its source to its use.

The ledger is **double-entry and append-only**. An *entry* (a movement: allocation, transfer,
disbursement, payment, or the reversal of one) has *postings* on accounts, in whole **fen**,
that add up to zero: money leaves one account (a negative posting) and arrives at another
(positive). Every posting carries the *fund source* the money came from (沪滇合作资金 of a
year, local fiscal funds, social donations, enterprise investment), so a payment to a
contractor or a household is traceable to its source, and no account may hold a negative
amount of any source.

Accounts: the **external** account stands for the world outside the ledger (it funds the
sources and may go negative — it is what came in); a **source** account holds a fund source's
money; a **project** account a project's; a **payee** account receives payments (a contractor,
a cooperative, a household) — money that has reached its use.

Entries are never changed or deleted (the database refuses it); a wrong one is reversed by an
entry of opposite postings in an open month. A **closed month** accepts no entry dated in it.
Each entry has an **idempotency key**, unique: submitting the same movement twice records it
once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import APPEND_ONLY_LEDGER, AppendOnlyModel
from bangfu.regions.models import Region


class ProjectKind(models.TextChoices):
    INDUSTRY = "industry", _("Industry")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    EMPLOYMENT = "employment", _("Employment")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    HOUSING = "housing", _("Housing")
    WATER = "water", _("Water")
    CONSUMPTION = "consumption", _("Consumption assistance")
    ECOLOGY = "ecology", _("Ecology")
    TRAINING = "training", _("Training")


class Project(models.Model):
    """A cooperation project (协作项目). The library's other fields (milestones, targets,
    acceptance, documents) come with the project pages."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ProjectKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="projects"
    )
    implementer = models.CharField(_("implementer"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FundSource(models.TextChoices):
    EAST_AID = "east_aid", _("Eastern fiscal aid (e.g. 沪滇合作资金)")
    LOCAL_FISCAL = "local_fiscal", _("Local fiscal funds")
    DONATION = "donation", _("Social donations")
    ENTERPRISE = "enterprise", _("Enterprise investment")


class AccountKind(models.TextChoices):
    EXTERNAL = "external", _("External (funds the sources)")
    SOURCE = "source", _("Fund source")
    PROJECT = "project", _("Project")
    PAYEE = "payee", _("Payee (contractor, cooperative, household)")


class Account(models.Model):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    fund_source = models.CharField(
        _("fund source"), max_length=20, choices=FundSource.choices, blank=True
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="source") | ~models.Q(fund_source=""),
                name="source_account_has_a_fund_source",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="project") | models.Q(project__isnull=False),
                name="project_account_has_a_project",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class EntryKind(models.TextChoices):
    FUNDING = "funding", _("Funding of a source")
    ALLOCATION = "allocation", _("Allocation to a project")
    TRANSFER = "transfer", _("Transfer")
    DISBURSEMENT = "disbursement", _("Disbursement")
    PAYMENT = "payment", _("Payment to a contractor or beneficiary")
    REVERSAL = "reversal", _("Reversal")




class Entry(AppendOnlyModel):
    """One movement of money: its postings add up to zero."""

    append_only_refusal = APPEND_ONLY_LEDGER

    kind = models.CharField(_("kind"), max_length=14, choices=EntryKind.choices)
    entry_date = models.DateField(_("date"))
    voucher = models.CharField(_("voucher"), max_length=60)
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of what was submitted
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_date", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.entry_date} {self.get_kind_display()} {self.voucher}"


class Posting(AppendOnlyModel):
    """One line of an entry: ``amount_fen`` into the account (negative: out of it), of the
    money of ``source``."""

    append_only_refusal = APPEND_ONLY_LEDGER

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    source = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="traced_postings")
    amount_fen = models.BigIntegerField()

    class Meta:
        ordering = ["entry", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_fen=0), name="posting_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_fen:+d}"


class ClosedMonth(AppendOnlyModel):
    """A month closed for entries (its figures reported); never reopened."""

    append_only_refusal = APPEND_ONLY_LEDGER

    month = models.CharField(_("month"), max_length=7, unique=True)  # YYYY-MM
    closed_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["month"]
        verbose_name = _("closed month")
        verbose_name_plural = _("closed months")

    def __str__(self) -> str:
        return self.month
