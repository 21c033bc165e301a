"""Households over HTTP (``/api/v1/households``), through the same scoped selectors and services
as the pages.

ID numbers are always masked in what the API returns, unless an allowed user asks with
``?reveal=1`` (the selector refuses other roles and writes the access log). Roles that may not
see personal data get the birth year instead of the birth date and masked phone numbers.

Refusals are problem+json through the API's handlers (``BangfuError``). A ``ValidationFailed``
names every problem; the shared handler keeps only the first one's field, so the endpoints that
validate a whole household answer it here, with all problems in ``errors`` (field, code,
message and, for member fields, the member's index).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from bangfu.accounts.scopes import can_see_personal_data, scope_for
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.codes import LEVEL_NAMES
from bangfu.registry import selectors
from bangfu.registry.forms import household_in, member_in, stored_member_in
from bangfu.registry.models import (
    GuaranteeAssessment,
    Household,
    HouseholdStatus,
    IncomeRecord,
    LivingConditions,
    Member,
    ProductionAssets,
    StatusChange,
)
from bangfu.registry.selectors import HouseholdFilter
from bangfu.registry.services import (
    GUARANTEE_EVIDENCE_FIELDS,
    INCOME_FIELDS,
    LIVING_FIELDS,
    PRODUCTION_FIELDS,
    MemberIn,
    guarantee_assess,
    household_conditions_save,
    household_save,
    household_transition,
    income_record_save,
)
from bangfu.registry.views import guarantee_problem_text, mask_phone, status_label
from bangfu.registry.workflow import allowed_next

households_router = Router(tags=["households"])

PROBLEM_TYPE = "urn:bangfu:problem:"  # as bangfu.api.problems, which this layer may not import


# --- problems ----------------------------------------------------------------------------------


class ProblemItem(Schema):
    field: str
    code: str
    message: str
    member: int | None = Field(None, description="index of the member in `members`, from 0")


class ProblemOut(Schema):
    """RFC 9457 problem details, as every API error."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    request_id: str
    field: str | None = None
    errors: list[ProblemItem] | None = Field(None, description="every problem found in the input")


ERRORS: dict[int, Any] = {400: ProblemOut, 403: ProblemOut, 404: ProblemOut, 409: ProblemOut}


# --- output ------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    person_no: str
    name: str
    id_number: str = Field(
        description="masked (first 6 and last 2 characters) unless revealed with ?reveal=1"
    )
    id_number_clear: bool
    sex: str
    birth_year: int
    birth_date: dt.date | None = Field(
        description="null for roles that may not see personal data (it would unmask the number)"
    )
    relation: str
    ethnicity: str
    education: str
    student_status: str
    health: str
    disability_grade: str
    labour_skill: str
    employment_status: str
    months_worked_away: int
    insured_basic_medical: bool
    insured_critical_illness: bool
    insured_pension: bool
    dibao: bool
    tekun: bool
    speaks_mandarin: bool
    phone: str = Field(description="masked but for the last 4 digits for roles without access")

    @staticmethod
    def of(member: Member, *, personal: bool, clear: dict[int, str] | None = None) -> MemberOut:
        number = (clear or {}).get(member.pk)
        return MemberOut(
            id=member.pk,
            person_no=member.person_no,
            name=member.name,
            id_number=number or member.id_number_masked,
            id_number_clear=number is not None,
            sex=member.sex,
            birth_year=member.birth_date.year,
            birth_date=member.birth_date if personal else None,
            relation=member.relation,
            ethnicity=member.ethnicity,
            education=member.education,
            student_status=member.student_status,
            health=member.health,
            disability_grade=member.disability_grade,
            labour_skill=member.labour_skill,
            employment_status=member.employment_status,
            months_worked_away=member.months_worked_away,
            insured_basic_medical=member.insured_basic_medical,
            insured_critical_illness=member.insured_critical_illness,
            insured_pension=member.insured_pension,
            dibao=member.dibao,
            tekun=member.tekun,
            speaks_mandarin=member.speaks_mandarin,
            phone=member.phone if personal else mask_phone(member.phone),
        )


class HouseholdSummaryOut(Schema):
    id: int
    household_no: str
    village_code: str
    village_name: str
    head_name: str
    size: int
    status: str
    status_label: str
    household_type: str
    poverty_attribute: str
    main_cause: str
    latest_income_year: int | None
    latest_net_income_pc: Decimal | None = Field(description="yuan per person, latest year")
    open_guarantee_problems: int

    @staticmethod
    def fields_of(h: Household) -> dict[str, Any]:
        return {
            "id": h.pk,
            "household_no": h.household_no,
            "village_code": h.village.code,
            "village_name": h.village.name_zh,
            "head_name": h.head_name,
            "size": h.size,
            "status": h.status,
            "status_label": status_label(h.status),
            "household_type": h.household_type,
            "poverty_attribute": h.poverty_attribute,
            "main_cause": h.main_cause,
            "latest_income_year": h.latest_income_year,
            "latest_net_income_pc": h.latest_net_income_pc,
            "open_guarantee_problems": h.open_guarantee_problems,
        }

    @staticmethod
    def of(h: Household) -> HouseholdSummaryOut:
        return HouseholdSummaryOut(**HouseholdSummaryOut.fields_of(h))


class HouseholdOut(HouseholdSummaryOut):
    natural_village_code: str | None
    address: str
    phone: str
    identification_standard: str
    identified_on: dt.date | None
    planned_exit_year: int | None
    exit_year: int | None
    returned_year: int | None
    return_reason: str
    relocated: bool
    relocation_mode: str
    relocation_address: str
    secondary_causes: list[str]
    military_family: bool
    only_child: bool
    two_daughters: bool
    bank_name: str
    bank_account_last4: str
    reported_dangerous_house: bool | None = Field(
        description="危房户 as the last imported national file reported it (read-only; Bangfu's "
        "own figure is in the guarantee assessments); null: not reported or equal to Bangfu's"
    )
    reported_water_safe: bool | None = Field(description="饮水安全 as reported (read-only)")
    reported_water_difficult: bool | None = Field(description="饮水困难 as reported (read-only)")
    reported_net_income_pc: Decimal | None = Field(
        description="人均纯收入 as reported (read-only; Bangfu's own is latest_net_income_pc)"
    )
    allowed_next: list[str] = Field(description="statuses the workflow allows next")
    members: list[MemberOut]

    @staticmethod
    def build(
        request: HttpRequest, h: Household, *, clear: dict[int, str] | None = None
    ) -> HouseholdOut:
        personal = can_see_personal_data(request.user, h.village.code)
        return HouseholdOut(
            **HouseholdSummaryOut.fields_of(h),
            natural_village_code=h.natural_village.code if h.natural_village else None,
            address=h.address,
            phone=h.phone if personal else mask_phone(h.phone),
            identification_standard=h.identification_standard,
            identified_on=h.identified_on,
            planned_exit_year=h.planned_exit_year,
            exit_year=h.exit_year,
            returned_year=h.returned_year,
            return_reason=h.return_reason,
            relocated=h.relocated,
            relocation_mode=h.relocation_mode,
            relocation_address=h.relocation_address,
            secondary_causes=list(h.secondary_causes or []),
            military_family=h.military_family,
            only_child=h.only_child,
            two_daughters=h.two_daughters,
            bank_name=h.bank_name,
            bank_account_last4=h.bank_account_last4,
            reported_dangerous_house=h.reported_dangerous_house,
            reported_water_safe=h.reported_water_safe,
            reported_water_difficult=h.reported_water_difficult,
            reported_net_income_pc=h.reported_net_income_pc,
            allowed_next=list(allowed_next(h.status)),
            members=[
                MemberOut.of(m, personal=personal, clear=clear) for m in h.members.order_by("id")
            ],
        )


class HouseholdPage(Schema):
    count: int
    page: int
    pages: int
    items: list[HouseholdSummaryOut]


class LinkedIncomeOut(Schema):
    income_type: str = Field(
        description="wage_income, business_income, property_income or transfer_income"
    )
    amount: Decimal
    origin: str = Field(description="what paid it: a project's wages, a cooperative's dividend …")
    origin_url: str


class IncomeOut(Schema):
    """The year's income; each income type includes the linked incomes listed in ``linked``
    (recorded where they arose, never typed in twice)."""

    year: int
    persons: int
    wage_income: Decimal
    business_income: Decimal
    business_costs: Decimal
    property_income: Decimal
    transfer_income: Decimal
    medical_spending: Decimal
    education_spending: Decimal
    rehabilitation_spending: Decimal
    disaster_spending: Decimal
    items: dict[str, Any]
    net_income: Decimal = Field(
        description="derived: wages + business + property + transfers − costs"
    )
    net_income_pc: Decimal = Field(description="derived: net income ÷ persons")
    net_income_pc_after_rigid: Decimal = Field(description="derived: after rigid spending")
    linked: list[LinkedIncomeOut] = Field(
        default_factory=list, description="linked incomes included in the amounts above"
    )

    @staticmethod
    def of(r: IncomeRecord) -> IncomeOut:
        names = [*INCOME_FIELDS, "year", "persons", "items", "net_income", "net_income_pc"]
        linked = r.household.linked_incomes.filter(year=r.year).order_by("pk")
        return IncomeOut(
            **{n: getattr(r, n) for n in names},
            net_income_pc_after_rigid=r.net_income_pc_after_rigid,
            linked=[
                LinkedIncomeOut(
                    income_type=x.income_type,
                    amount=x.amount,
                    origin=x.origin,
                    origin_url=x.origin_url,
                )
                for x in linked
            ],
        )


class GuaranteeProblemOut(Schema):
    guarantee: str = Field(description="food, clothing, education, medical, housing or water")
    code: str
    detail: dict[str, str]
    message: str


class GuaranteeOut(Schema):
    year: int
    assessed_on: dt.date
    food_secure: bool
    clothing_secure: bool
    house_grade: str
    water_litres_per_day: Decimal | None
    water_quality_ok: bool | None
    water_trip_minutes: int | None
    water_horizontal_m: int | None
    water_vertical_m: int | None
    water_interruption_days: int | None
    water_scarce_area: bool
    notes: str
    results: dict[str, bool] = Field(description="derived result per guarantee: true when met")
    problems: list[GuaranteeProblemOut]
    policy_year: int | None

    @staticmethod
    def of(row: GuaranteeAssessment) -> GuaranteeOut:
        guarantees = ("food", "clothing", "education", "medical", "housing", "water")
        evidence = row.evidence if isinstance(row.evidence, dict) else {}
        return GuaranteeOut(
            year=row.year,
            assessed_on=row.assessed_on,
            **{name: getattr(row, name) for name in GUARANTEE_EVIDENCE_FIELDS},
            notes=str(evidence.get("text", "")),
            results={g: getattr(row, f"{g}_ok") for g in guarantees},
            problems=[
                GuaranteeProblemOut(
                    guarantee=str(p.get("guarantee", "")),
                    code=str(p.get("code", "")),
                    detail={k: str(v) for k, v in p.items() if k not in {"guarantee", "code"}},
                    message=guarantee_problem_text(p),
                )
                for p in row.problems
            ],
            policy_year=row.policy_year,
        )


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    level: str
    on_date: dt.date
    posting_start: dt.date | None
    posting_end: dt.date | None
    reason: str
    objection: bool
    actor: str | None
    at: dt.datetime

    @staticmethod
    def of(c: StatusChange) -> StatusChangeOut:
        return StatusChangeOut(
            from_status=c.from_status,
            to_status=c.to_status,
            level=c.level,
            on_date=c.on_date,
            posting_start=c.posting_start,
            posting_end=c.posting_end,
            reason=c.reason,
            objection=c.objection,
            actor=c.actor.username if c.actor else None,
            at=c.at,
        )


class TransitionOut(Schema):
    status: str
    status_label: str
    allowed_next: list[str]
    change: StatusChangeOut


class ProductionOut(Schema):
    arable_mu: Decimal = Field(description="arable land, mu (亩)")
    irrigated_mu: Decimal = Field(description="irrigated land, mu")
    forest_mu: Decimal = Field(description="forest land, mu")
    returned_forest_mu: Decimal = Field(description="land returned to forest, mu")
    orchard_mu: Decimal = Field(description="orchards, mu")
    pasture_mu: Decimal = Field(description="pasture, mu")
    water_surface_mu: Decimal = Field(description="water surface, mu")
    cattle: int
    pigs: int
    sheep: int = Field(description="sheep and goats")
    poultry: int
    cooperative_member: bool = Field(description="member of a farmers' cooperative")

    @staticmethod
    def of(row: ProductionAssets | None) -> ProductionOut | None:
        if row is None:
            return None
        return ProductionOut(**{name: getattr(row, name) for name in PRODUCTION_FIELDS})


class LivingOut(Schema):
    house_area_m2: Decimal = Field(description="house area, m²")
    electricity: bool = Field(description="grid electricity")
    road_type: str = Field(description="access road, as recorded (free text)")
    road_distance_km: Decimal = Field(description="distance to the main road, km")
    fuel: str = Field(description="main fuel, as recorded (free text)")
    sanitary_toilet: bool

    @staticmethod
    def of(row: LivingConditions | None) -> LivingOut | None:
        if row is None:
            return None
        return LivingOut(**{name: getattr(row, name) for name in LIVING_FIELDS})


class ConditionsOut(Schema):
    production: ProductionOut | None = Field(description="null while not recorded")
    living: LivingOut | None = Field(description="null while not recorded")


# --- input -------------------------------------------------------------------------------------


class MemberInput(Schema):
    id: int | None = Field(
        None,
        description="an existing member's id (PATCH): without `id_number`, its stored number "
        "is kept",
    )
    name: str = Field("", max_length=50)
    id_number: str | None = Field(
        None, max_length=30, description="18 characters (15 for a first-generation card)"
    )
    relation: str = Field("", description="code or label of the `relation` code list")
    person_no: str = Field("", max_length=32)
    sex: str = Field("", description="M or F; checked against the ID number when given")
    birth_date: dt.date | None = Field(None, description="checked against the ID number")
    ethnicity: str = ""
    education: str = ""
    student_status: str = ""
    health: str = ""
    disability_grade: str = ""
    labour_skill: str = ""
    employment_status: str = ""
    months_worked_away: int = 0
    insured_basic_medical: bool = False
    insured_critical_illness: bool = False
    insured_pension: bool = False
    dibao: bool = False
    tekun: bool = False
    speaks_mandarin: bool = True
    phone: str = Field("", max_length=40)

    def to_service(self, number: object) -> MemberIn:
        data = member_in(self.dict(), number)
        data.sex, data.birth_date = self.sex, self.birth_date
        return data


class HouseholdFields(Schema):
    natural_village_code: str | None = None
    address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=40)
    household_type: str | None = Field(None, description="code or label (code list)")
    poverty_attribute: str | None = None
    identification_standard: str | None = None
    identified_on: dt.date | None = None
    planned_exit_year: int | None = None
    exit_year: int | None = None
    returned_year: int | None = None
    return_reason: str | None = Field(None, max_length=200)
    relocated: bool | None = None
    relocation_mode: str | None = None
    relocation_address: str | None = Field(None, max_length=200)
    main_cause: str | None = Field(None, description="code or label of `poverty_cause`")
    secondary_causes: list[str] | None = None
    military_family: bool | None = None
    only_child: bool | None = None
    two_daughters: bool | None = None
    bank_name: str | None = Field(None, max_length=60)


class HouseholdCreateIn(HouseholdFields):
    household_no: str = Field(max_length=32)
    village_code: str = Field(max_length=12)
    status: str = Field(HouseholdStatus.REGISTERED, description="initial status")
    members: list[MemberInput]
    bank_account: str = Field("", max_length=40)
    reason: str = ""


class HouseholdPatchIn(HouseholdFields):
    village_code: str | None = None
    members: list[MemberInput] | None = Field(
        None,
        description="the complete new list of members; members left out are removed. Omit to "
        "keep the members as they are",
    )
    bank_account: str | None = Field(
        None,
        max_length=40,
        description="omit to keep the stored account; an empty string removes it",
    )
    reason: str = ""


class HouseholdQuery(Schema):
    region: str | None = Field(None, description="region code: households in its subtree")
    status: str | None = None
    household_type: str | None = None
    cause: str | None = Field(None, description="main poverty cause (code)")
    income_below: Decimal | None = Field(None, description="latest income per person below")
    income_at_least: Decimal | None = None
    guarantee_problems: bool | None = Field(
        None, description="with (true) or without open problems"
    )
    q: str | None = Field(None, description="name, household number, or a whole ID number")
    page: int = 1
    page_size: int = Field(50, description="at most 500")


class IncomeIn(Schema):
    """The amounts entered for the year, besides its linked incomes (which are added)."""

    year: int
    persons: int | None = Field(None, description="default: the household size")
    wage_income: Decimal = Decimal(0)
    business_income: Decimal = Decimal(0)
    business_costs: Decimal = Decimal(0)
    property_income: Decimal = Decimal(0)
    transfer_income: Decimal = Decimal(0)
    medical_spending: Decimal = Decimal(0)
    education_spending: Decimal = Decimal(0)
    rehabilitation_spending: Decimal = Decimal(0)
    disaster_spending: Decimal = Decimal(0)
    items: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""


class GuaranteeIn(Schema):
    year: int
    assessed_on: dt.date
    food_secure: bool = True
    clothing_secure: bool = True
    house_grade: str = Field("", description="A, B, C or D; empty when not assessed")
    water_litres_per_day: Decimal | None = None
    water_quality_ok: bool | None = None
    water_trip_minutes: int | None = None
    water_horizontal_m: int | None = None
    water_vertical_m: int | None = None
    water_interruption_days: int | None = None
    water_scarce_area: bool = False
    notes: str = ""
    reason: str = ""


class TransitionIn(Schema):
    to_status: str
    level: str = Field(description="the level that decided: village, township, county, …")
    on_date: dt.date
    posting_start: dt.date | None = None
    posting_end: dt.date | None = None
    reason: str = Field("", max_length=500)
    objection: bool = False


class ProductionIn(Schema):
    """Areas in mu (亩) and counts of animals; each at least 0 and at most 99,999,999."""

    arable_mu: Decimal = Decimal(0)
    irrigated_mu: Decimal = Decimal(0)
    forest_mu: Decimal = Decimal(0)
    returned_forest_mu: Decimal = Decimal(0)
    orchard_mu: Decimal = Decimal(0)
    pasture_mu: Decimal = Decimal(0)
    water_surface_mu: Decimal = Decimal(0)
    cattle: int = 0
    pigs: int = 0
    sheep: int = Field(0, description="sheep and goats")
    poultry: int = 0
    cooperative_member: bool = False


class LivingIn(Schema):
    house_area_m2: Decimal = Field(Decimal(0), description="m², at least 0")
    electricity: bool = Field(True, description="grid electricity")
    road_type: str = Field("", max_length=40, description="access road, free text")
    road_distance_km: Decimal = Field(Decimal(0), description="km to the main road, at least 0")
    fuel: str = Field("", max_length=40, description="main fuel, free text")
    sanitary_toilet: bool = False


class ConditionsIn(Schema):
    production: ProductionIn = Field(
        description="the whole record: a property left out takes its default (0, false)"
    )
    living: LivingIn = Field(
        description="the whole record: a property left out takes its default (0, empty, "
        "`electricity` true)"
    )
    reason: str = Field("", max_length=500)


# --- helpers -----------------------------------------------------------------------------------


def _clear_numbers(request: HttpRequest, household: Household, reveal: bool) -> dict[int, str]:
    if not reveal:
        return {}
    return selectors.member_reveal_id_numbers(
        user=request.user, household=household, purpose="API ?reveal=1"
    )


def _members_for_patch(
    request: HttpRequest, household: Household, given: list[MemberInput] | None
) -> list[MemberIn]:
    """The new member list: the given one, or the stored one. A member given by ``id`` without
    a number keeps its stored number (the service reads it; nobody sees it)."""
    if given is None:
        return [stored_member_in(m) for m in household.members.order_by("id")]
    members = []
    for m in given:
        member = m.to_service(m.id_number or "")
        member.member_id = m.id
        members.append(member)
    return members


# --- endpoints ---------------------------------------------------------------------------------


@households_router.get(
    "", response=HouseholdPage, summary="Households visible to you, filtered and paginated"
)
def household_list(request: HttpRequest, filters: Query[HouseholdQuery]) -> HouseholdPage:
    query = HouseholdFilter(
        region=filters.region or None,
        status=filters.status or None,
        household_type=filters.household_type or None,
        cause=filters.cause or None,
        income_below=filters.income_below,
        income_at_least=filters.income_at_least,
        guarantee_problems=filters.guarantee_problems,
        q=filters.q or None,
    )
    households = selectors.household_list(user=request.user, filters=query)
    paginator = Paginator(households, max(1, min(filters.page_size, 500)))
    current = paginator.get_page(filters.page)
    return HouseholdPage(
        count=paginator.count,
        page=current.number,
        pages=paginator.num_pages,
        items=[HouseholdSummaryOut.of(h) for h in current.object_list],
    )


@households_router.post(
    "",
    response={200: HouseholdOut, 201: HouseholdOut, **ERRORS},
    summary="Create a household (201), or update the one with this household number (200)",
)
def household_create(request: HttpRequest, payload: HouseholdCreateIn) -> Any:
    values = payload.dict(exclude={"members", "reason"})
    values = {k: v for k, v in values.items() if v is not None}
    members = [m.to_service(m.id_number) for m in payload.members]
    household, outcome = household_save(
        actor=request.user,
        capture=scope_for(request.user, "capture"),
        data=household_in(values, members),
        reason=payload.reason,
    )
    household = selectors.household_get(user=request.user, pk=household.pk)
    return Status(201 if outcome == "created" else 200, HouseholdOut.build(request, household))


@households_router.get(
    "/{household_id}",
    response={200: HouseholdOut, **ERRORS},
    summary="One household with its members (404 when absent or outside your view scope)",
)
def household_detail(request: HttpRequest, household_id: int, reveal: bool = False) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    clear = _clear_numbers(request, household, reveal)
    return HouseholdOut.build(request, household, clear=clear)


@households_router.patch(
    "/{household_id}",
    response={200: HouseholdOut, **ERRORS},
    summary="Change a household: the fields given change, the others keep their values",
)
def household_patch(request: HttpRequest, household_id: int, payload: HouseholdPatchIn) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    capture = selectors.capture_for(user=request.user, household=household)
    values = payload.dict(exclude_unset=True, exclude={"members", "reason"})
    if values.get("bank_account") == "":
        values["remove_bank_account"] = True
    members = _members_for_patch(request, household, payload.members)
    household_save(
        actor=request.user,
        capture=capture,
        data=household_in(values, members, household=household),
        reason=payload.reason,
    )
    return HouseholdOut.build(request, selectors.household_get(user=request.user, pk=household_id))


@households_router.get(
    "/{household_id}/members",
    response={200: list[MemberOut], **ERRORS},
    summary="A household's members; ID numbers masked unless ?reveal=1 (allowed roles, logged)",
)
def member_list(request: HttpRequest, household_id: int, reveal: bool = False) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    clear = _clear_numbers(request, household, reveal)
    personal = can_see_personal_data(request.user, household.village.code)
    return [
        MemberOut.of(m, personal=personal, clear=clear) for m in household.members.order_by("id")
    ]


@households_router.get(
    "/{household_id}/incomes",
    response={200: list[IncomeOut], **ERRORS},
    summary="A household's incomes by year, newest first",
)
def income_list(request: HttpRequest, household_id: int) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    return [IncomeOut.of(r) for r in household.incomes.order_by("-year")]


@households_router.post(
    "/{household_id}/incomes",
    response={200: IncomeOut, 201: IncomeOut, **ERRORS},
    summary="Record a year's income (201), or replace that year's (200); per-person figures "
    "are derived",
)
def income_add(request: HttpRequest, household_id: int, payload: IncomeIn) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    capture = selectors.capture_for(user=request.user, household=household)
    existed = household.incomes.filter(year=payload.year).exists()
    record = income_record_save(
        actor=request.user,
        capture=capture,
        household=household,
        year=payload.year,
        persons=payload.persons,
        amounts={name: getattr(payload, name) for name in INCOME_FIELDS},
        items=payload.items,
        reason=payload.reason,
    )
    return Status(200 if existed else 201, IncomeOut.of(record))


@households_router.get(
    "/{household_id}/guarantees",
    response={200: list[GuaranteeOut], **ERRORS},
    summary="A household's guarantee assessments with derived results, newest first",
)
def guarantee_list(request: HttpRequest, household_id: int) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    return [GuaranteeOut.of(g) for g in household.guarantees.order_by("-year")]


@households_router.post(
    "/{household_id}/guarantees",
    response={200: GuaranteeOut, 201: GuaranteeOut, **ERRORS},
    summary="Record a year's guarantee evidence (201, or 200 replacing it); results derived",
)
def guarantee_add(request: HttpRequest, household_id: int, payload: GuaranteeIn) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    capture = selectors.capture_for(user=request.user, household=household)
    existed = household.guarantees.filter(year=payload.year).exists()
    evidence: dict[str, Any] = payload.dict(exclude={"year", "assessed_on", "notes", "reason"})
    evidence["notes"] = {"text": payload.notes} if payload.notes else {}
    row = guarantee_assess(
        actor=request.user,
        capture=capture,
        household=household,
        year=payload.year,
        assessed_on=payload.assessed_on,
        evidence=evidence,
        reason=payload.reason,
    )
    return Status(200 if existed else 201, GuaranteeOut.of(row))


@households_router.get(
    "/{household_id}/conditions",
    response={200: ConditionsOut, **ERRORS},
    summary="A household's production assets and living conditions (null while not recorded)",
)
def conditions_get(request: HttpRequest, household_id: int) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    production, living = selectors.household_conditions(household=household)
    return ConditionsOut(production=ProductionOut.of(production), living=LivingOut.of(living))


@households_router.put(
    "/{household_id}/conditions",
    response={200: ConditionsOut, 201: ConditionsOut, **ERRORS},
    summary="Record a household's production assets and living conditions (201 the first "
    "time, 200 replacing them); every change is in the audit log",
)
def conditions_put(request: HttpRequest, household_id: int, payload: ConditionsIn) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    capture = selectors.capture_for(user=request.user, household=household)
    existed = any(selectors.household_conditions(household=household))
    try:
        household_conditions_save(
            actor=request.user,
            capture=capture,
            household=household,
            production=payload.production.dict(),
            living=payload.living.dict(),
            reason=payload.reason,
        )
    except BangfuError as error:  # the field by its path in the body: production.arable_mu
        for group, names in (("production", PRODUCTION_FIELDS), ("living", LIVING_FIELDS)):
            if error.field in names:
                field = f"{group}.{error.field}"
                raise BangfuError(error.code, error.message, field=field) from error
        raise
    production, living = selectors.household_conditions(household=household)
    body = ConditionsOut(production=ProductionOut.of(production), living=LivingOut.of(living))
    return Status(200 if existed else 201, body)


@households_router.get(
    "/{household_id}/transitions",
    response={200: list[StatusChangeOut], **ERRORS},
    summary="A household's workflow steps, oldest first",
)
def transition_list(request: HttpRequest, household_id: int) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    changes = household.status_changes.select_related("actor").order_by("at", "id")
    return [StatusChangeOut.of(c) for c in changes]


@households_router.post(
    "/{household_id}/transitions",
    response={201: TransitionOut, **ERRORS},
    summary="Move a household one step along the workflow (see `allowed_next`)",
)
def transition_add(request: HttpRequest, household_id: int, payload: TransitionIn) -> Any:
    household = selectors.household_get(user=request.user, pk=household_id)
    capture = selectors.capture_for(user=request.user, household=household)
    if payload.level not in LEVEL_NAMES:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("Unknown level {value!r}; use one of {names}.").format(
                value=payload.level, names=", ".join(LEVEL_NAMES)
            ),
            field="level",
        )
    household_transition(actor=request.user, capture=capture, household=household, **payload.dict())
    change = household.status_changes.select_related("actor").order_by("-at", "-id").first()
    assert change is not None
    return Status(
        201,
        TransitionOut(
            status=household.status,
            status_label=status_label(household.status),
            allowed_next=list(allowed_next(household.status)),
            change=StatusChangeOut.of(change),
        ),
    )
