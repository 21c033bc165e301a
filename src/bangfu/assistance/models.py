"""Assistance (帮扶): who helps whom, with what, and what reached the household.

* **Partners** (帮扶主体): enterprises, social organisations, schools, hospitals and units of
  the eastern side (or local ones) that pair with a western village, school or hospital.
* **Campaigns** (e.g. Fengxian's "千百十": 1,000 people ↔ 1,000 households, 100 enterprises ↔
  100 villages, 10 sectors) group pairings and helpers under one district's targets.
* **Social pairings** (社会结对: 百企联百村, 携手奔小康, school ↔ school, hospital ↔ hospital)
  extend the regions' district ↔ county pairings (``regions.Pairing``) down to a partner and
  a western region or counterpart, with commitments (money, goods, jobs, purchases).
* **Helpers** (帮扶责任人) and their **assignments** to households (千人联千户): one helper
  per household at a time; reassignment ends one assignment and starts the next.
* **Household plans** (一户一策) per household and year, with **measures** from a typed
  catalogue (developmental or protective), planned and delivered.
* **Visits** (走访) with photos stored outside the web root.
* **Donations** (社会帮扶资金): an append-only ledger of pledges and receipts per pairing or
  campaign; corrections only by reversing entries (the database refuses changes and deletes).
* **Secondments** (人才支援): cadres, teachers, doctors and agronomists posted east → west or
  west → east.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import APPEND_ONLY_LEDGER, AppendOnlyModel
from bangfu.core.money import money_field
from bangfu.monitoring.models import Case
from bangfu.regions.models import Pairing, Region
from bangfu.registry.models import Household


def dates_ordered(name: str) -> models.CheckConstraint:
    """The database's own check that a span ends (``end_date``) no earlier than it starts
    (``start_date``); an open span (no end) passes."""
    return models.CheckConstraint(
        condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
        name=name,
    )


# ---------------------------------------------------------------------------- partners, campaigns


class PartnerKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    SOCIAL_ORG = "social_org", _("Social organisation")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    UNIT = "unit", _("Government unit")
    OTHER = "other", _("Other")


class Partner(models.Model):
    """An enterprise, organisation, school, hospital or unit that gives assistance."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("home region"),
        on_delete=models.PROTECT,
        related_name="assistance_partners",
        help_text=_("Where the partner is registered (an eastern district for most)."),
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(fields=["name", "region"], name="partner_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A district's pairing campaign with its targets (Fengxian's 千百十)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    district = models.ForeignKey(
        Region, verbose_name=_("district"), on_delete=models.PROTECT, related_name="campaigns"
    )
    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"), null=True, blank=True)
    target_helpers = models.PositiveIntegerField(_("target: people paired"), default=0)
    target_households = models.PositiveIntegerField(_("target: households paired"), default=0)
    target_enterprises = models.PositiveIntegerField(_("target: enterprises paired"), default=0)
    target_villages = models.PositiveIntegerField(_("target: villages paired"), default=0)
    target_sectors = models.PositiveIntegerField(_("target: sectors"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["district__code", "start_year", "code"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class SocialPairingKind(models.TextChoices):
    ENTERPRISE_VILLAGE = "enterprise_village", _("Enterprise ↔ village (百企联百村)")
    ORG_VILLAGE = "org_village", _("Social organisation ↔ village")
    UNIT_VILLAGE = "unit_village", _("Unit ↔ village")
    SCHOOL_SCHOOL = "school_school", _("School ↔ school")
    HOSPITAL_HOSPITAL = "hospital_hospital", _("Hospital ↔ hospital")
    OTHER = "other", _("Other pairing")


class SocialPairing(models.Model):
    """A partner paired with a western region or counterpart, with what it committed."""

    kind = models.CharField(_("kind"), max_length=24, choices=SocialPairingKind.choices)
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="pairings"
    )
    west = models.ForeignKey(
        Region,
        verbose_name=_("western region"),
        on_delete=models.PROTECT,
        related_name="social_pairings",
        help_text=_("The village (or township, county) paired, or where the counterpart is."),
    )
    counterpart = models.CharField(
        _("counterpart"),
        max_length=200,
        blank=True,
        help_text=_("The western school, hospital or organisation, when not a region."),
    )
    regional_pairing = models.ForeignKey(
        Pairing,
        verbose_name=_("district pairing"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="social_pairings",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    committed_money = money_field(_("money committed (yuan)"), default=Decimal(0))
    committed_goods = models.CharField(_("goods committed"), max_length=300, blank=True)
    committed_goods_value = money_field(_("value of goods committed (yuan)"), default=Decimal(0))
    committed_jobs = models.PositiveIntegerField(_("jobs committed"), default=0)
    committed_purchases = money_field(_("purchases committed (yuan)"), default=Decimal(0))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["west__code", "partner__name", "start_date", "pk"]
        verbose_name = _("social pairing")
        verbose_name_plural = _("social pairings")
        constraints = [
            dates_ordered("social_pairing_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} ↔ {self.counterpart or self.west.name_zh}"


# ---------------------------------------------------------------------------- helpers


class HelperOrigin(models.TextChoices):
    LOCAL_CADRE = "local_cadre", _("Local cadre")
    EAST_VOLUNTEER = "east_volunteer", _("Eastern volunteer (千人联千户)")
    ENTERPRISE = "enterprise", _("Enterprise")
    OTHER = "other", _("Other")


class Helper(models.Model):
    """A person responsible for helping households (帮扶责任人)."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=200, blank=True)
    post = models.CharField(_("post"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    origin = models.CharField(_("origin"), max_length=20, choices=HelperOrigin.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="helpers",
        help_text=_("Where the helper works: the village, township or county they help in."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="helper",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="helpers",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="helpers",
    )
    visit_every_days = models.PositiveSmallIntegerField(
        _("visit every (days)"),
        default=30,
        help_text=_("How often each assigned household must be visited."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["region__code", "name", "pk"]
        verbose_name = _("helper")
        verbose_name_plural = _("helpers")

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """A helper responsible for a household over a span of dates (结对关系)."""

    helper = models.ForeignKey(
        Helper, verbose_name=_("helper"), on_delete=models.PROTECT, related_name="assignments"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="assistance_assignments",
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    visit_every_days = models.PositiveSmallIntegerField(_("visit every (days)"))
    end_reason = models.CharField(_("reason for ending"), max_length=300, blank=True)

    class Meta:
        ordering = ["household__household_no", "-start_date", "pk"]
        verbose_name = _("helper assignment")
        verbose_name_plural = _("helper assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(end_date__isnull=True),
                name="one_current_helper_per_household",
            ),
            dates_ordered("assignment_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.helper} → {self.household.household_no}"


# ---------------------------------------------------------------------------- plans, measures


class MeasureNature(models.TextChoices):
    DEVELOPMENTAL = "developmental", _("Developmental (开发式)")
    PROTECTIVE = "protective", _("Protective (保障性)")


class MeasureKind(models.TextChoices):
    INDUSTRY = "industry", _("Industry support (产业帮扶)")
    EMPLOYMENT = "employment", _("Employment (就业帮扶)")
    SKILLS_TRAINING = "skills_training", _("Skills training (技能培训)")
    MICRO_CREDIT = "micro_credit", _("Micro-credit (小额信贷)")
    RELOCATION = "relocation", _("Relocation (易地搬迁)")
    EDUCATION_AID = "education_aid", _("Education aid (教育资助)")
    DIBAO = "dibao", _("Minimum living allowance (低保)")
    TEKUN = "tekun", _("Support for the extremely poor (特困供养)")
    MEDICAL_ASSISTANCE = "medical_assistance", _("Medical assistance (医疗救助)")
    PUBLIC_WELFARE_JOB = "public_welfare_job", _("Public-welfare job (公益岗位)")


# The catalogue: each kind is developmental or protective (POLICY.md §7, SupportMeasure).
MEASURE_NATURE: dict[str, str] = {
    MeasureKind.INDUSTRY: MeasureNature.DEVELOPMENTAL,
    MeasureKind.EMPLOYMENT: MeasureNature.DEVELOPMENTAL,
    MeasureKind.SKILLS_TRAINING: MeasureNature.DEVELOPMENTAL,
    MeasureKind.MICRO_CREDIT: MeasureNature.DEVELOPMENTAL,
    MeasureKind.RELOCATION: MeasureNature.DEVELOPMENTAL,
    MeasureKind.EDUCATION_AID: MeasureNature.DEVELOPMENTAL,
    MeasureKind.DIBAO: MeasureNature.PROTECTIVE,
    MeasureKind.TEKUN: MeasureNature.PROTECTIVE,
    MeasureKind.MEDICAL_ASSISTANCE: MeasureNature.PROTECTIVE,
    MeasureKind.PUBLIC_WELFARE_JOB: MeasureNature.PROTECTIVE,
}


class HouseholdPlan(models.Model):
    """One plan per household and year (一户一策)."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="assistance_plans",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    goal = models.TextField(_("goal"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["household__household_no", "-year"]
        verbose_name = _("household plan")
        verbose_name_plural = _("household plans")
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="one_plan_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.household.household_no} {self.year}"


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class Measure(models.Model):
    """A support measure of a household plan: planned, then delivered (or cancelled)."""

    plan = models.ForeignKey(
        HouseholdPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="measures"
    )
    kind = models.CharField(_("measure"), max_length=24, choices=MeasureKind.choices)
    amount = money_field(_("amount planned (yuan)"), default=Decimal(0))
    funder = models.CharField(_("funder"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    expected_effect = models.CharField(_("expected effect"), max_length=300, blank=True)
    case = models.ForeignKey(
        Case,
        verbose_name=_("monitoring case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assistance_measures",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    delivered_amount = money_field(_("amount delivered (yuan)"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "start_date", "pk"]
        verbose_name = _("support measure")
        verbose_name_plural = _("support measures")
        constraints = [
            dates_ordered("measure_dates_ordered"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="measure_amount_ge_0"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.plan})"

    @property
    def nature(self) -> str:
        return MEASURE_NATURE[self.kind]


# ---------------------------------------------------------------------------- visits


class Visit(models.Model):
    """A home visit (走访) with what was found."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="visits"
    )
    helper = models.ForeignKey(
        Helper,
        verbose_name=_("helper"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    visited_on = models.DateField(_("visited on"))
    findings = models.TextField(_("findings"))
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.household.household_no} {self.visited_on}"


class VisitPhoto(models.Model):
    """A photo of a visit: the file lives under ``BANGFU_MEDIA_DIR`` (outside the web root)
    under a random name; it is served only through a view that checks the reader's scope."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="photos"
    )
    stored_name = models.CharField(max_length=80, unique=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["visit", "pk"]
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")

    def __str__(self) -> str:
        return self.original_name


# ---------------------------------------------------------------------------- donations


class DonationKind(models.TextChoices):
    PLEDGE = "pledge", _("Pledged")
    RECEIPT = "receipt", _("Received")


class DonationForm(models.TextChoices):
    MONEY = "money", _("Money")
    GOODS = "goods", _("Goods")


class DonorType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ENTERPRISE = "enterprise", _("Enterprise")
    SOCIAL_ORG = "social_org", _("Social organisation")
    UNIT = "unit", _("Government unit")
    OTHER = "other", _("Other")


class DonationEntry(AppendOnlyModel):
    """One line of the donations ledger. Never changed or deleted (the database refuses it);
    a wrong line is corrected by a reversing line of the opposite amount (``reverses``)."""

    pairing = models.ForeignKey(
        SocialPairing,
        verbose_name=_("pairing"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=DonationKind.choices)
    form = models.CharField(_("form"), max_length=10, choices=DonationForm.choices)
    donor_name = models.CharField(_("donor"), max_length=200)
    donor_type = models.CharField(_("donor type"), max_length=20, choices=DonorType.choices)
    amount = money_field(
        _("amount (yuan)"),
        help_text=_("Money, or the assessed value of goods; negative only in a reversal."),
    )
    goods = models.CharField(_("goods"), max_length=300, blank=True)
    receipt_no = models.CharField(_("receipt number"), max_length=60, blank=True)
    entry_date = models.DateField(_("date"))
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    append_only_refusal = APPEND_ONLY_LEDGER

    class Meta:
        ordering = ["entry_date", "pk"]
        verbose_name = _("donation entry")
        verbose_name_plural = _("donation entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pairing__isnull=False) | models.Q(campaign__isnull=False),
                name="donation_has_pairing_or_campaign",
            ),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=False) | models.Q(amount__gt=0),
                name="donation_amount_positive_unless_reversal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_date} {self.donor_name} {self.amount}"


# ---------------------------------------------------------------------------- secondments


class SecondmentField(models.TextChoices):
    CADRE = "cadre", _("Cadre (挂职干部)")
    TEACHER = "teacher", _("Teacher")
    DOCTOR = "doctor", _("Doctor")
    AGRONOMIST = "agronomist", _("Agronomist")
    OTHER = "other", _("Other professional")


class Direction(models.TextChoices):
    EAST_TO_WEST = "east_to_west", _("East → west")
    WEST_TO_EAST = "west_to_east", _("West → east")


class SecondmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SERVING = "serving", _("Serving")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Secondment(models.Model):
    """A person posted from one side of a pairing to the other (人才支援)."""

    person = models.CharField(_("person"), max_length=100)
    field = models.CharField(_("field"), max_length=12, choices=SecondmentField.choices)
    direction = models.CharField(_("direction"), max_length=14, choices=Direction.choices)
    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="secondments"
    )
    home_unit = models.CharField(_("home unit"), max_length=200, blank=True)
    posting_unit = models.CharField(_("posting unit"), max_length=200)
    posting_region = models.ForeignKey(
        Region,
        verbose_name=_("posted to"),
        on_delete=models.PROTECT,
        related_name="secondments_received",
    )
    post = models.CharField(_("post"), max_length=100, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SecondmentStatus.choices)
    long_term = models.BooleanField(
        _("long term"), default=True, help_text=_("Posted for a year or more.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["pairing", "field", "start_date", "pk"]
        verbose_name = _("secondment")
        verbose_name_plural = _("secondments")
        constraints = [
            dates_ordered("secondment_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_field_display()})"
