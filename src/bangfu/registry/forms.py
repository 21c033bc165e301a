"""Registry forms: parse and show input. The rules live in the services; their problems land
beside the fields (and the member rows) they name.

Also the conversion between a stored household and the services' input (``HouseholdIn``), which
the edit page and the API's PATCH both need: ``household_save`` replaces a household as a whole.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from bangfu.core.errors import BangfuError
from bangfu.regions.codes import LEVEL_LABELS, Level, check_code_shape
from bangfu.registry.codelists import code_list
from bangfu.registry.models import (
    Household,
    HouseholdStatus,
    LivingConditions,
    Member,
    ProductionAssets,
)
from bangfu.registry.services import (
    CODED_HOUSEHOLD_FIELDS,
    CODED_MEMBER_FIELDS,
    HOUSEHOLD_FLAGS,
    LIVING_FIELDS,
    MEMBER_FLAGS,
    PRODUCTION_FIELDS,
    HouseholdIn,
    MemberIn,
    Problem,
)

BLANK = ("", "—")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def year_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1978, max_value=2100, required=False)


def amount_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, min_value=0, max_digits=14, decimal_places=2
    )


def set_choices(field: forms.Field, choices: list[tuple[str, Any]]) -> None:
    field.choices = choices  # type: ignore[attr-defined]


def coded(list_name: str) -> list[tuple[str, str]]:
    """A code list as <select> choices, blank first."""
    return [BLANK, *code_list(list_name).choices()]


def attach_error(form: forms.Form, error: BangfuError | Problem) -> None:
    """Show a refusal beside its field (or above the form when the form has no such field)."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, f"{error.message} [{error.code}]")


# --- the household list's filters ----------------------------------------------------------


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        help_text=_("Name, household number, or a whole ID number"),
    )
    region = forms.CharField(label=_("Region code"), required=False, max_length=15)
    status = forms.ChoiceField(label=_("Status"), required=False)
    household_type = forms.ChoiceField(label=_("Household type"), required=False)
    cause = forms.ChoiceField(label=_("Main poverty cause"), required=False)
    income_below = forms.DecimalField(
        label=_("Income per person below (yuan)"), required=False, min_value=0, decimal_places=2
    )
    income_at_least = forms.DecimalField(
        label=_("Income per person at least (yuan)"),
        required=False,
        min_value=0,
        decimal_places=2,
    )
    guarantee_problems = forms.ChoiceField(
        label=_("Open guarantee problems"),
        required=False,
        choices=[("", _("any")), ("yes", _("with problems")), ("no", _("without problems"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_ = ("", _("any"))
        set_choices(self.fields["status"], [any_, *HouseholdStatus.choices])
        set_choices(self.fields["household_type"], [any_, *code_list("household_type").choices()])
        set_choices(self.fields["cause"], [any_, *code_list("poverty_cause").choices()])
        for name in ("region", "income_below", "income_at_least"):
            self.fields[name].widget.attrs["inputmode"] = (
                "decimal" if "income" in name else "numeric"
            )

    def clean_region(self) -> str:
        code = str(self.cleaned_data["region"]).strip()
        if code:
            try:
                check_code_shape(code, field="region")
            except BangfuError as error:
                raise forms.ValidationError(error.message) from None
        return code

    @property
    def advanced_used(self) -> bool:
        """Whether a filter other than the search box is set (the filter panel then opens)."""
        return any(self.data.get(name) for name in self.fields if name != "q")


# --- create and edit -----------------------------------------------------------------------


class HouseholdForm(forms.Form):
    household_no = forms.CharField(label=_("Household number"), max_length=32, required=False)
    village_code = forms.CharField(label=_("Village"), max_length=12, required=False)
    natural_village_code = forms.CharField(
        label=_("Natural village code"), max_length=15, required=False
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=HouseholdStatus.choices)
    household_type = forms.ChoiceField(label=_("Household type"), required=False)
    poverty_attribute = forms.ChoiceField(label=_("Poverty attribute"), required=False)
    identification_standard = forms.ChoiceField(label=_("Identification standard"), required=False)
    identified_on = forms.DateField(label=_("Identification date"), required=False, widget=DATE)
    main_cause = forms.ChoiceField(label=_("Main poverty cause"), required=False)
    secondary_causes = forms.MultipleChoiceField(
        label=_("Other poverty causes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    planned_exit_year = year_field(_("Planned exit year"))
    exit_year = year_field(_("Exit year"))
    returned_year = year_field(_("Return-to-poverty year"))
    return_reason = forms.CharField(label=_("Return reason"), max_length=200, required=False)
    relocated = forms.BooleanField(label=_("Relocated (易地扶贫搬迁)"), required=False)
    relocation_mode = forms.ChoiceField(label=_("Relocation mode"), required=False)
    relocation_address = forms.CharField(
        label=_("Relocation address"), max_length=200, required=False
    )
    military_family = forms.BooleanField(label=_("Military or martyr family"), required=False)
    only_child = forms.BooleanField(label=_("One-child family"), required=False)
    two_daughters = forms.BooleanField(label=_("Two-daughter family"), required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=60, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)
    remove_bank_account = forms.BooleanField(label=_("Remove the bank account"), required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)

    def __init__(
        self,
        *args: Any,
        household: Household | None = None,
        villages: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.household = household
        for name, list_name in CODED_HOUSEHOLD_FIELDS.items():
            set_choices(self.fields[name], coded(list_name))
        set_choices(self.fields["secondary_causes"], code_list("poverty_cause").choices())
        if villages is not None:  # few enough villages in the capture scope for a <select>
            self.fields["village_code"] = forms.ChoiceField(
                label=_("Village"), choices=[BLANK, *villages], required=False
            )
        else:
            self.fields["village_code"].widget.attrs.update(
                inputmode="numeric", placeholder=_("12-digit village code")
            )
        self.fields["natural_village_code"].widget.attrs["inputmode"] = "numeric"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        self.fields["bank_account"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        if household is None:
            del self.fields["remove_bank_account"]
            del self.fields["reason"]
            self.fields["status"].initial = HouseholdStatus.APPLIED
            return
        # The number identifies the household (saving upserts by it) and the status moves
        # only through the workflow: neither changes here.
        self.fields["household_no"].disabled = True
        del self.fields["status"]
        if household.bank_account_last4:
            self.fields["bank_account"].help_text = _(
                "Stored account ends in {last4}; leave empty to keep it."
            ).format(last4=household.bank_account_last4)
        else:
            del self.fields["remove_bank_account"]

    PRIMARY = (
        "household_no",
        "village_code",
        "natural_village_code",
        "address",
        "phone",
        "status",
        "household_type",
        "poverty_attribute",
        "main_cause",
    )
    SEPARATE = ("secondary_causes", "reason")

    @property
    def primary_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.PRIMARY if name in self.fields]

    @property
    def more_fields(self) -> list[forms.BoundField]:
        skip = {*self.PRIMARY, *self.SEPARATE}
        return [self[name] for name in self.fields if name not in skip]

    @property
    def more_have_errors(self) -> bool:
        return any(field.errors for field in self.more_fields)

    @staticmethod
    def initial_for(household: Household) -> dict[str, Any]:
        names = [
            "household_no",
            "address",
            "phone",
            "identified_on",
            "planned_exit_year",
            "exit_year",
            "returned_year",
            "return_reason",
            "relocation_address",
            "secondary_causes",
            "bank_name",
            *CODED_HOUSEHOLD_FIELDS,
            *HOUSEHOLD_FLAGS,
        ]
        initial = {name: getattr(household, name) for name in names}
        initial["village_code"] = household.village.code
        initial["natural_village_code"] = (
            household.natural_village.code if household.natural_village else ""
        )
        return initial


class MemberForm(forms.Form):
    """One member row. Everything optional here: the service names what is missing, per row."""

    member = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Name"), max_length=50, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=30, required=False)
    relation = forms.ChoiceField(label=_("Relation to the head"), required=False)
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), required=False)
    education = forms.ChoiceField(label=_("Education"), required=False)
    student_status = forms.ChoiceField(label=_("Student status"), required=False)
    health = forms.ChoiceField(label=_("Health"), required=False)
    disability_grade = forms.ChoiceField(label=_("Disability grade"), required=False)
    labour_skill = forms.ChoiceField(label=_("Labour capacity and skill"), required=False)
    employment_status = forms.ChoiceField(label=_("Employment status"), required=False)
    months_worked_away = forms.IntegerField(
        label=_("Months worked away"), required=False, min_value=0, max_value=12, initial=0
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    person_no = forms.CharField(label=_("Person number"), max_length=32, required=False)
    insured_basic_medical = forms.BooleanField(label=_("Basic medical insurance"), required=False)
    insured_critical_illness = forms.BooleanField(
        label=_("Critical-illness insurance"), required=False
    )
    insured_pension = forms.BooleanField(label=_("Basic pension insurance"), required=False)
    dibao = forms.BooleanField(label=_("Minimum living allowance (低保)"), required=False)
    tekun = forms.BooleanField(label=_("Extreme-poverty support (特困)"), required=False)
    speaks_mandarin = forms.BooleanField(label=_("Speaks Mandarin"), required=False, initial=True)

    def __init__(self, *args: Any, masked: dict[int, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, list_name in CODED_MEMBER_FIELDS.items():
            set_choices(self.fields[name], coded(list_name))
        self.fields["id_number"].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        pk = self.initial.get("member")
        self.stored_masked = (masked or {}).get(pk) if pk else None
        if self.stored_masked:
            self.fields["id_number"].widget.attrs["placeholder"] = self.stored_masked
            self.fields["id_number"].help_text = _(
                "Stored: {masked}. Leave empty to keep it."
            ).format(masked=self.stored_masked)

    @property
    def flag_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in MEMBER_FLAGS]

    @property
    def detail_fields(self) -> list[forms.BoundField]:
        skip = {"member", "name", "id_number", "relation", "DELETE", *MEMBER_FLAGS}
        return [self[name] for name in self.fields if name not in skip]

    @staticmethod
    def initial_for(member: Member) -> dict[str, Any]:
        names = ["name", "months_worked_away", "phone", "person_no", *CODED_MEMBER_FIELDS]
        return {
            "member": member.pk,
            **{name: getattr(member, name) for name in names},
            **{flag: getattr(member, flag) for flag in MEMBER_FLAGS},
        }


class BaseMemberFormSet(BaseFormSet[MemberForm]):
    def filled(self) -> list[MemberForm]:
        """The rows that describe a member: stored ones not marked for removal, and new rows
        where something was entered."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
            if data.get("DELETE"):
                continue
            if data.get("member") or form.has_changed():
                rows.append(form)
        return rows


def member_formset(
    data: Any = None, *, household: Household | None = None, extra: int = 0
) -> BaseMemberFormSet:
    members = list(household.members.all()) if household is not None else []
    initial = [MemberForm.initial_for(m) for m in members]
    masked = {m.pk: m.id_number_masked for m in members}
    formset_class = formset_factory(
        MemberForm,
        formset=BaseMemberFormSet,
        extra=extra or (1 if household is not None else 3),
        can_delete=True,
    )
    return formset_class(  # type: ignore[return-value]
        data, initial=initial, prefix="members", form_kwargs={"masked": masked}
    )


def member_in(values: dict[str, Any], id_number: object) -> MemberIn:
    data = MemberIn(
        name=values.get("name") or "",
        id_number=id_number,
        relation=values.get("relation") or "",
        person_no=values.get("person_no") or "",
        months_worked_away=values.get("months_worked_away") or 0,
        phone=values.get("phone") or "",
    )
    for name in CODED_MEMBER_FIELDS:
        setattr(data, name, values.get(name) or "")
    for flag in MEMBER_FLAGS:
        setattr(data, flag, bool(values.get(flag)))
    return data


def household_in(
    values: dict[str, Any], members: list[MemberIn], *, household: Household | None = None
) -> HouseholdIn:
    """The service input from cleaned form (or API) values; for an existing household, what
    the values leave out keeps its stored value."""
    base = stored_household_in(household, members) if household is not None else None
    data = base or HouseholdIn(household_no="", village_code="", members=members)
    data.members = members
    for name in HouseholdIn.__dataclass_fields__:
        if name in {"members", "bank_account"} or name not in values:
            continue
        value = values[name]
        if name == "household_no" and household is not None:
            continue  # the number identifies the household; it never changes by an edit
        setattr(data, name, value if value is not None or name.endswith(("year", "_on")) else "")
    bank = (values.get("bank_account") or "").strip()
    if bank or household is None or values.get("remove_bank_account"):
        data.bank_account = bank
    return data


def stored_household_in(household: Household, members: list[MemberIn]) -> HouseholdIn:
    """The household as the service would receive it to leave it unchanged.

    The bank account is left as ``None`` (keep the stored one); members are passed in.
    """
    return HouseholdIn(
        household_no=household.household_no,
        village_code=household.village.code,
        natural_village_code=household.natural_village.code if household.natural_village else "",
        members=members,
        address=household.address,
        phone=household.phone,
        status=household.status,
        household_type=household.household_type,
        poverty_attribute=household.poverty_attribute,
        identification_standard=household.identification_standard,
        identified_on=household.identified_on,
        planned_exit_year=household.planned_exit_year,
        exit_year=household.exit_year,
        returned_year=household.returned_year,
        return_reason=household.return_reason,
        relocated=household.relocated,
        relocation_mode=household.relocation_mode,
        relocation_address=household.relocation_address,
        main_cause=household.main_cause,
        secondary_causes=list(household.secondary_causes or []),
        military_family=household.military_family,
        only_child=household.only_child,
        two_daughters=household.two_daughters,
        bank_name=household.bank_name,
        bank_account=None,
        reported_dangerous_house=household.reported_dangerous_house,
        reported_water_safe=household.reported_water_safe,
        reported_water_difficult=household.reported_water_difficult,
        reported_net_income_pc=household.reported_net_income_pc,
    )


def stored_member_in(member: Member) -> MemberIn:
    """A stored member as it stands; its ID number is kept by ``member_id``, never decrypted."""
    data = member_in(MemberForm.initial_for(member), "")
    data.member_id = member.pk
    return data


# --- workflow, incomes, guarantees ---------------------------------------------------------

LEVELS = [
    (Level.VILLAGE.name.lower(), LEVEL_LABELS[Level.VILLAGE]),
    (Level.TOWNSHIP.name.lower(), LEVEL_LABELS[Level.TOWNSHIP]),
    (Level.COUNTY.name.lower(), LEVEL_LABELS[Level.COUNTY]),
]


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Next step"))
    level = forms.ChoiceField(label=_("Decided at level"), choices=LEVELS)
    on_date = forms.DateField(label=_("Date"), widget=DATE)
    posting_start = forms.DateField(label=_("Posting from"), required=False, widget=DATE)
    posting_end = forms.DateField(label=_("Posting until"), required=False, widget=DATE)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    objection = forms.BooleanField(
        label=_("An objection was raised during the public posting"), required=False
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        set_choices(self.fields["to_status"], choices)


class IncomeForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1978, max_value=2100)
    persons = forms.IntegerField(
        label=_("Persons counted"),
        required=False,
        min_value=1,
        max_value=99,
        help_text=_("Empty: the household size."),
    )
    wage_income = amount_field(_("Wage income"))
    business_income = amount_field(_("Business income (gross)"))
    business_costs = amount_field(_("Business costs"))
    property_income = amount_field(_("Property income"))
    transfer_income = amount_field(_("Transfer income"))
    medical_spending = amount_field(_("Medical spending"))
    education_spending = amount_field(_("Education spending"))
    rehabilitation_spending = amount_field(_("Rehabilitation spending"))
    disaster_spending = amount_field(_("Disaster and accident spending"))
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.DecimalField):
                field.widget.attrs.update(inputmode="decimal", step="0.01")
            elif name in {"year", "persons"}:
                field.widget.attrs["inputmode"] = "numeric"


class GuaranteeForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1978, max_value=2100)
    assessed_on = forms.DateField(label=_("Assessment date"), widget=DATE)
    food_secure = forms.BooleanField(label=_("Enough food"), required=False, initial=True)
    clothing_secure = forms.BooleanField(label=_("Enough clothing"), required=False, initial=True)
    house_grade = forms.ChoiceField(label=_("House safety grade"), required=False)
    water_litres_per_day = forms.DecimalField(
        label=_("Water quantity (L/person/day)"),
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=1,
    )
    water_quality_ok = forms.NullBooleanField(
        label=_("Water quality evidence passed"),
        required=False,
        widget=forms.Select(
            choices=[("unknown", _("not assessed")), ("true", _("yes")), ("false", _("no"))]
        ),
    )
    water_trip_minutes = forms.IntegerField(
        label=_("Water trip (minutes)"), required=False, min_value=0
    )
    water_horizontal_m = forms.IntegerField(
        label=_("Water horizontal distance (m)"), required=False, min_value=0
    )
    water_vertical_m = forms.IntegerField(
        label=_("Water vertical distance (m)"), required=False, min_value=0
    )
    water_interruption_days = forms.IntegerField(
        label=_("Water interruption (days/year)"), required=False, min_value=0, max_value=366
    )
    water_scarce_area = forms.BooleanField(label=_("Water-scarce area"), required=False)
    notes = forms.CharField(
        label=_("Evidence notes"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        grades = [
            (code.upper(), label) for code, label in code_list("house_safety_grade").choices()
        ]
        set_choices(self.fields["house_grade"], [("", _("not assessed")), *grades])
        for name, field in self.fields.items():
            if name.startswith("water_") and isinstance(
                field, forms.IntegerField | forms.DecimalField
            ):
                field.widget.attrs["inputmode"] = "decimal"

    def evidence(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        notes = data.pop("notes", "")
        for name in ("year", "assessed_on", "reason"):
            data.pop(name, None)
        data["notes"] = {"text": notes} if notes else {}
        return data


# --- production assets and living conditions ------------------------------------------------


def _condition_field(model: type[models.Model], name: str) -> forms.Field:
    """A form field for one column of ``ProductionAssets`` or ``LivingConditions``, labelled by
    the column. Numbers are only parsed here (an empty one is 0): whether they are negative or
    implausibly large is the service's to say."""
    column = model._meta.get_field(name)
    assert isinstance(column, models.Field)
    label = capfirst(column.verbose_name)
    if isinstance(column, models.BooleanField):
        return forms.BooleanField(label=label, required=False, initial=column.default)
    if isinstance(column, models.DecimalField):
        field: forms.Field = forms.DecimalField(label=label, required=False, decimal_places=2)
        field.widget.attrs.update(inputmode="decimal", step="0.01")
        return field
    if isinstance(column, models.IntegerField):
        field = forms.IntegerField(label=label, required=False)
        field.widget.attrs["inputmode"] = "numeric"
        return field
    return forms.CharField(label=label, required=False, max_length=column.max_length)


class ConditionsForm(forms.Form):
    """A household's production assets (land, livestock) and living conditions, saved together
    by ``services.household_conditions_save``; its refusals land beside their fields."""

    reason = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("reason")
        for name in PRODUCTION_FIELDS:
            self.fields[name] = _condition_field(ProductionAssets, name)
        for name in LIVING_FIELDS:
            self.fields[name] = _condition_field(LivingConditions, name)
        self.fields["reason"] = reason

    @staticmethod
    def initial_for(
        production: ProductionAssets | None, living: LivingConditions | None
    ) -> dict[str, Any]:
        """The stored values; nothing (empty numbers, the columns' defaults) while unrecorded."""
        initial: dict[str, Any] = {}
        if production is not None:
            initial |= {name: getattr(production, name) for name in PRODUCTION_FIELDS}
        if living is not None:
            initial |= {name: getattr(living, name) for name in LIVING_FIELDS}
        return initial

    def production_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in PRODUCTION_FIELDS]

    def living_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in LIVING_FIELDS]

    def production(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in PRODUCTION_FIELDS}

    def living(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in LIVING_FIELDS}
