"""The household registry (建档立卡): households, members, yearly incomes and guarantee checks,
workflow history, and the versioned code lists their coded fields draw from.

Writes go through ``services``; reads through ``selectors`` (always scoped). Derived figures
(per-capita incomes, guarantee results, household size) are computed by the services and
stored only so that lists of a million households can filter and sort on them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from bangfu.core.money import money_field
from bangfu.regions.models import Region


def money(label: str | Any, **options: Any) -> models.DecimalField[Decimal, Decimal]:
    """A yuan amount to the fen (``core.money.money_field``), 0.00 until entered."""
    field: models.DecimalField[Decimal, Decimal] = money_field(
        label, default=Decimal("0.00"), **options
    )
    return field


def area(label: str | Any) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(label, max_digits=10, decimal_places=2, default=Decimal("0.00"))


class CodeItem(models.Model):
    """One entry of a versioned official code list (致贫原因, 民族, 与户主关系, …)."""

    list_name = models.CharField(_("list"), max_length=40)
    version = models.CharField(_("version"), max_length=10)
    code = models.CharField(_("code"), max_length=40)
    label_zh = models.CharField(_("Chinese label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    sort = models.PositiveIntegerField(default=0)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["list_name", "version", "sort", "code"]
        constraints = [
            models.UniqueConstraint(fields=["list_name", "version", "code"], name="codeitem_unique")
        ]

    def __str__(self) -> str:
        return f"{self.list_name}:{self.code} {self.label_zh}"


class PolicyParameter(models.Model):
    """A rule parameter (threshold, limit) for a year and province, with its source.

    ``province_code`` empty means the national value; a province's own value wins.
    """

    key = models.CharField(_("key"), max_length=80)
    year = models.PositiveSmallIntegerField(_("year"))
    province_code = models.CharField(_("province code"), max_length=12, blank=True)
    value = models.JSONField(_("value"))
    source = models.CharField(_("source"), max_length=300)
    confidence = models.CharField(_("confidence"), max_length=20, default="confirmed")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "year", "province_code"], name="policy_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key}[{self.year}/{self.province_code or 'national'}] = {self.value}"


class HouseholdStatus(models.TextChoices):
    """Lifecycle of a household in the registry (POLICY.md §6.3)."""

    APPLIED = "applied", _("Applied")
    VILLAGE_REVIEWED = "village_reviewed", _("Reviewed by the village")
    POSTED_1 = "posted_1", _("First public posting")
    TOWNSHIP_APPROVED = "township_approved", _("Approved by the township")
    POSTED_2 = "posted_2", _("Second public posting")
    COUNTY_APPROVED = "county_approved", _("Approved by the county")
    ANNOUNCED = "announced", _("Announced")
    REGISTERED = "registered", _("Registered poor (not exited)")
    EXIT_PROPOSED = "exit_proposed", _("Exit proposed")
    EXIT_VERIFIED = "exit_verified", _("Exit verified")
    EXIT_POSTED = "exit_posted", _("Exit publicly posted")
    EXITED = "exited", _("Exited poverty")
    RETURNED = "returned", _("Returned to poverty")
    ORDINARY = "ordinary", _("Ordinary rural household")
    REJECTED = "rejected", _("Rejected")


class Household(models.Model):
    household_no = models.CharField(_("household number"), max_length=32, unique=True)
    village = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("village"),
        db_index=False,  # the index household_list starts with it
    )
    natural_village = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="natural_village_households",
        verbose_name=_("natural village"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    head_name = models.CharField(_("head of household"), max_length=50, blank=True)
    size = models.PositiveSmallIntegerField(_("household size"), default=0)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.REGISTERED,
    )
    household_type = models.CharField(_("household type"), max_length=40, blank=True)
    poverty_attribute = models.CharField(_("poverty attribute"), max_length=40, blank=True)
    identification_standard = models.CharField(
        _("identification standard"), max_length=40, blank=True
    )
    identified_on = models.DateField(_("identification date"), null=True, blank=True)
    planned_exit_year = models.PositiveSmallIntegerField(
        _("planned exit year"), null=True, blank=True
    )
    exit_year = models.PositiveSmallIntegerField(_("exit year"), null=True, blank=True)
    returned_year = models.PositiveSmallIntegerField(
        _("return-to-poverty year"), null=True, blank=True
    )
    return_reason = models.CharField(_("return reason"), max_length=200, blank=True)
    relocated = models.BooleanField(_("relocated (易地扶贫搬迁)"), default=False)
    relocation_mode = models.CharField(_("relocation mode"), max_length=40, blank=True)
    relocation_address = models.CharField(_("relocation address"), max_length=200, blank=True)
    main_cause = models.CharField(_("main poverty cause"), max_length=40, blank=True)
    secondary_causes = models.JSONField(_("other poverty causes"), default=list, blank=True)
    military_family = models.BooleanField(_("military or martyr family"), default=False)
    only_child = models.BooleanField(_("one-child family"), default=False)
    two_daughters = models.BooleanField(_("two-daughter family"), default=False)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    bank_account_enc = models.TextField(_("bank account (encrypted)"), blank=True)
    bank_account_last4 = models.CharField(_("bank account, last 4"), max_length=4, blank=True)
    # As the last imported file reported them (national layout columns 22-25), kept beside
    # Bangfu's own figures, which come from guarantee assessments and income records: a
    # first import keeps what the county knew, and later the household page shows where the
    # two disagree. None: the file said nothing. Never typed in, never used in calculations.
    reported_dangerous_house = models.BooleanField(_("dangerous house (reported)"), null=True)
    reported_water_safe = models.BooleanField(_("safe drinking water (reported)"), null=True)
    reported_water_difficult = models.BooleanField(
        _("difficult water access (reported)"), null=True
    )
    reported_net_income_pc = models.DecimalField(
        _("net income per person (reported)"), max_digits=14, decimal_places=2, null=True
    )
    # Derived by services from the latest IncomeRecord, for filtering and sorting large lists.
    latest_income_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    latest_net_income_pc = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    open_guarantee_problems = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household_no"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [
            # The list's index. Within a scope (region codes -> villages) it gives the list's
            # order, (village code, number), with no sort, and every filter of the list but the
            # search (status, latest income per person, main cause, type, open guarantee
            # problems) is tested on the index entry before the row is read; a filtered count
            # reads the index alone. It replaces (village, number), the foreign key's own index
            # on village and the index on status (which led SQLite, without statistics, to
            # visit every exited household of the country for one county's filtered page).
            # See bench/README.md, registry.household_list.
            models.Index(
                fields=[
                    "village",
                    "household_no",
                    "status",
                    "latest_net_income_pc",
                    "main_cause",
                    "household_type",
                    "open_guarantee_problems",
                ],
                name="household_list",
            ),
            models.Index(fields=["head_name"], name="household_head"),
            models.Index(fields=["latest_net_income_pc"], name="household_income"),
        ]

    def __str__(self) -> str:
        return f"{self.household_no} {self.head_name}"


class Member(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("household")
    )
    person_no = models.CharField(_("person number"), max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=50)
    id_number_enc = models.TextField(_("ID number (encrypted)"))
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=22, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("male")), ("F", _("female"))])
    birth_date = models.DateField(_("birth date"))
    relation = models.CharField(_("relation to the head"), max_length=40)
    ethnicity = models.CharField(_("ethnicity"), max_length=40, blank=True)
    education = models.CharField(_("education"), max_length=40, blank=True)
    student_status = models.CharField(_("student status"), max_length=40, blank=True)
    health = models.CharField(_("health"), max_length=40, blank=True)
    disability_grade = models.CharField(_("disability grade"), max_length=20, blank=True)
    labour_skill = models.CharField(_("labour capacity and skill"), max_length=40, blank=True)
    employment_status = models.CharField(_("employment status"), max_length=40, blank=True)
    months_worked_away = models.PositiveSmallIntegerField(_("months worked away"), default=0)
    insured_basic_medical = models.BooleanField(_("basic medical insurance"), default=False)
    insured_critical_illness = models.BooleanField(_("critical-illness insurance"), default=False)
    insured_pension = models.BooleanField(_("basic pension insurance"), default=False)
    dibao = models.BooleanField(_("minimum living allowance (低保)"), default=False)
    tekun = models.BooleanField(_("extreme-poverty support (特困)"), default=False)
    speaks_mandarin = models.BooleanField(_("speaks Mandarin"), default=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["household", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [models.Index(fields=["name"], name="member_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"


class ProductionAssets(models.Model):
    household = models.OneToOneField(Household, on_delete=models.CASCADE, related_name="production")
    arable_mu = area(_("arable land (mu)"))
    irrigated_mu = area(_("irrigated land (mu)"))
    forest_mu = area(_("forest land (mu)"))
    returned_forest_mu = area(_("land returned to forest (mu)"))
    orchard_mu = area(_("orchards (mu)"))
    pasture_mu = area(_("pasture (mu)"))
    water_surface_mu = area(_("water surface (mu)"))
    cattle = models.PositiveIntegerField(_("cattle"), default=0)
    pigs = models.PositiveIntegerField(_("pigs"), default=0)
    sheep = models.PositiveIntegerField(_("sheep and goats"), default=0)
    poultry = models.PositiveIntegerField(_("poultry"), default=0)
    cooperative_member = models.BooleanField(_("member of a cooperative"), default=False)

    def __str__(self) -> str:
        return f"{self.household_id} production"


class LivingConditions(models.Model):
    household = models.OneToOneField(Household, on_delete=models.CASCADE, related_name="living")
    house_area_m2 = area(_("house area (m²)"))
    electricity = models.BooleanField(_("grid electricity"), default=True)
    road_type = models.CharField(_("access road"), max_length=40, blank=True)
    road_distance_km = area(_("distance to the main road (km)"))
    fuel = models.CharField(_("main fuel"), max_length=40, blank=True)
    sanitary_toilet = models.BooleanField(_("sanitary toilet"), default=False)

    def __str__(self) -> str:
        return f"{self.household_id} living"


class IncomeRecord(models.Model):
    """A household's income for one year. The four income types are sums of their items; the
    per-capita figures are derived by the services (人均纯收入 = (wages + business income +
    property + transfers − business costs) ÷ persons; POLICY.md §1.4)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="incomes")
    year = models.PositiveSmallIntegerField(_("year"))
    persons = models.PositiveSmallIntegerField(_("persons counted"))
    wage_income = money(_("wage income"))
    business_income = money(_("business income (gross)"))
    business_costs = money(_("business costs"))
    property_income = money(_("property income"))
    transfer_income = money(_("transfer income"))
    medical_spending = money(_("medical spending"))
    education_spending = money(_("education spending"))
    rehabilitation_spending = money(_("rehabilitation spending"))
    disaster_spending = money(_("disaster and accident spending"))
    items = models.JSONField(_("sub-items"), default=dict, blank=True)
    net_income = money(_("net income"), editable=False)
    net_income_pc = money(_("net income per person"), editable=False)
    net_income_pc_after_rigid = money(_("income per person after rigid spending"), editable=False)

    class Meta:
        ordering = ["household", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="income_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}: {self.net_income_pc}"


class IncomeType(models.TextChoices):
    """The four income types of an income record another record may add to."""

    WAGE = "wage_income", _("wage income")
    BUSINESS = "business_income", _("business income (gross)")
    PROPERTY = "property_income", _("property income")
    TRANSFER = "transfer_income", _("transfer income")


class LinkedIncome(models.Model):
    """Income a household received through a record kept elsewhere in Bangfu — a project's
    wages or produce purchase, a cooperative's dividend (联农带农) — entered there once and
    counted here: the year's income record holds what was entered for it *plus* its linked
    incomes, and shows each one with its origin. Written only by ``linked_income``."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="linked_incomes"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    income_type = models.CharField(_("income type"), max_length=20, choices=IncomeType.choices)
    amount = money(_("amount"))
    origin = models.CharField(_("origin"), max_length=200)
    # The record it comes from ("projects.benefit:17"): one linked income per record.
    origin_key = models.CharField(_("origin key"), max_length=100, unique=True)
    origin_url = models.CharField(_("origin page"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["household", "-year", "pk"]
        verbose_name = _("linked income")
        verbose_name_plural = _("linked incomes")
        indexes = [models.Index(fields=["household", "year"], name="linked_income_year")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="linked_income_amount")
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year} {self.income_type} {self.amount}"


class GuaranteeAssessment(models.Model):
    """两不愁三保障 + 饮水安全 for one year: evidence items, and results derived from them by the
    policy parameters in force for that year and province (never typed in)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="guarantees")
    year = models.PositiveSmallIntegerField(_("year"))
    assessed_on = models.DateField(_("assessment date"))
    food_secure = models.BooleanField(_("enough food"), default=True)
    clothing_secure = models.BooleanField(_("enough clothing"), default=True)
    house_grade = models.CharField(_("house safety grade"), max_length=1, blank=True)
    water_litres_per_day = models.DecimalField(
        _("water quantity (L/person/day)"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    water_quality_ok = models.BooleanField(
        _("water quality evidence passed"), null=True, blank=True
    )
    water_trip_minutes = models.PositiveSmallIntegerField(
        _("water trip (minutes)"), null=True, blank=True
    )
    water_horizontal_m = models.PositiveIntegerField(
        _("water horizontal distance (m)"), null=True, blank=True
    )
    water_vertical_m = models.PositiveIntegerField(
        _("water vertical distance (m)"), null=True, blank=True
    )
    water_interruption_days = models.PositiveSmallIntegerField(
        _("water interruption (days/year)"), null=True, blank=True
    )
    water_scarce_area = models.BooleanField(_("water-scarce area"), default=False)
    evidence = models.JSONField(_("evidence notes"), default=dict, blank=True)
    # Derived results and the reasons behind each failed one.
    food_ok = models.BooleanField(editable=False, default=True)
    clothing_ok = models.BooleanField(editable=False, default=True)
    education_ok = models.BooleanField(editable=False, default=True)
    medical_ok = models.BooleanField(editable=False, default=True)
    housing_ok = models.BooleanField(editable=False, default=True)
    water_ok = models.BooleanField(editable=False, default=True)
    problems = models.JSONField(editable=False, default=list)
    policy_year = models.PositiveSmallIntegerField(editable=False, null=True)

    class Meta:
        ordering = ["household", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="guarantee_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year} guarantees"


class StatusChange(models.Model):
    """One workflow step of a household: who, at which level, when, the posting period, why."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=HouseholdStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=HouseholdStatus.choices)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    level = models.CharField(_("level"), max_length=20)
    on_date = models.DateField(_("date"))
    posting_start = models.DateField(_("posting from"), null=True, blank=True)
    posting_end = models.DateField(_("posting until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    objection = models.BooleanField(_("objection"), default=False)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["household", "at", "id"]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.from_status} → {self.to_status}"


class ImportBatch(models.Model):
    """One import of a file: what came in, what was accepted, and the report of every bad cell."""

    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    layout = models.CharField(max_length=20)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)
    status = models.CharField(max_length=20, default="running")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    households_created = models.PositiveIntegerField(default=0)
    households_updated = models.PositiveIntegerField(default=0)
    households_unchanged = models.PositiveIntegerField(default=0)
    households_rejected = models.PositiveIntegerField(default=0)
    households_queued = models.PositiveIntegerField(default=0)  # held: ID conflicts
    errors = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


class IdConflictStatus(models.TextChoices):
    OPEN = "open", _("waiting for review")
    ACCEPTED = "accepted", _("accepted: members moved here")
    DISMISSED = "dismissed", _("dismissed: not imported")


class IdConflict(models.Model):
    """A household from an import held back because an ID number in it already belongs to a
    member of another household (a person who married, moved or split off, or a typing
    error). Someone who knows both households decides: accept (the members move to the
    imported household, with history on both) or dismiss (the import row is dropped). The
    household as imported is kept encrypted: it holds ID numbers in clear."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, related_name="conflicts"
    )
    household_no = models.CharField(_("household number"), max_length=32, db_index=True)
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    head_name = models.CharField(_("head of household"), max_length=50)
    rows = models.JSONField(_("file rows"), default=list)
    # [{"member": index in the household, "masked": "532822**********12",
    #   "hash": lookup hash, "other": household number holding it now}]
    conflicts = models.JSONField(_("conflicting ID numbers"), default=list)
    payload_enc = models.TextField(editable=False)  # the HouseholdIn as JSON, encrypted
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IdConflictStatus.choices,
        default=IdConflictStatus.OPEN,
        db_index=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.household_no} {self.head_name} ({self.status})"
