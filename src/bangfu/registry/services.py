"""Every write to the registry: validation with every problem named (field, member, code),
permission by capture scope, the write, and an audit entry — in one transaction.

Validation is separate from writing (``household_validate``) so that the importers can report
every bad cell of a file before anything is written, and the forms and API show every problem
at once. ``household_save`` upserts by household number: a second save of the same data
changes nothing and records nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record, save_if_changed, save_with_history, snapshot
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.protect import Sealer, decrypt_text, encrypt_text, lookup_hash
from bangfu.engine.guarantees import Evidence, MemberFacts, assess
from bangfu.regions.codes import Level, level_label
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.codelists import code_list
from bangfu.registry.idnumber import check_consistency, mask_id_number, parse_id_number
from bangfu.registry.linked_income import linked_by_type, lock_households, recompute
from bangfu.registry.models import (
    GuaranteeAssessment,
    Household,
    HouseholdStatus,
    IncomeRecord,
    Member,
)
from bangfu.registry.policy import guarantee_params


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (field, and member index for member fields)."""

    field: str
    code: str
    message: str
    member: int | None = None


class ValidationFailed(BangfuError):
    """All problems found in one input; ``problems`` lists them, the message names the first."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(ErrorCode(first.code), first.message, field=first.field)
        self.problems = problems


CODED_MEMBER_FIELDS = {
    "relation": "relation",
    "ethnicity": "ethnicity",
    "education": "education",
    "student_status": "student_status",
    "health": "health",
    "disability_grade": "disability_grade",
    "labour_skill": "labour_skill",
    "employment_status": "employment_status",
}
CODED_HOUSEHOLD_FIELDS = {
    "household_type": "household_type",
    "poverty_attribute": "poverty_attribute",
    "identification_standard": "identification_standard",
    "relocation_mode": "relocation_mode",
    "main_cause": "poverty_cause",
}
MEMBER_FLAGS = (
    "insured_basic_medical",
    "insured_critical_illness",
    "insured_pension",
    "dibao",
    "tekun",
    "speaks_mandarin",
)
STATUS_VALUES = frozenset(HouseholdStatus.values)
HOUSEHOLD_FLAGS = ("relocated", "military_family", "only_child", "two_daughters")


@dataclass
class MemberIn:
    """A member as given. ``member_id`` names a stored member; with an empty ``id_number`` it
    keeps that member's stored ID number (so edits need not show or resend it)."""

    name: str
    id_number: object
    relation: str
    member_id: int | None = None
    person_no: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
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
    phone: str = ""


@dataclass
class HouseholdIn:
    household_no: str
    village_code: str
    members: list[MemberIn]
    natural_village_code: str = ""
    address: str = ""
    phone: str = ""
    status: str = HouseholdStatus.REGISTERED
    household_type: str = ""
    poverty_attribute: str = ""
    identification_standard: str = ""
    identified_on: dt.date | None = None
    planned_exit_year: int | None = None
    exit_year: int | None = None
    returned_year: int | None = None
    return_reason: str = ""
    relocated: bool = False
    relocation_mode: str = ""
    relocation_address: str = ""
    main_cause: str = ""
    secondary_causes: list[str] = field(default_factory=list)
    military_family: bool = False
    only_child: bool = False
    two_daughters: bool = False
    bank_name: str = ""
    bank_account: str | None = None  # None keeps the stored account; "" removes it
    # As an imported file reports them (national layout); None: not reported.
    reported_dangerous_house: bool | None = None
    reported_water_safe: bool | None = None
    reported_water_difficult: bool | None = None
    reported_net_income_pc: Decimal | None = None


@dataclass
class CleanMember:
    values: dict[str, Any]
    id_number: str


@dataclass
class CleanHousehold:
    values: dict[str, Any]
    village: Region
    natural_village: Region | None
    members: list[CleanMember]
    bank_account: str | None


# --- validation ---------------------------------------------------------------------------


def household_validate(
    *, data: HouseholdIn, capture: RegionScope, regions: dict[str, Region] | None = None
) -> CleanHousehold:
    """Check everything and return clean values, or raise ValidationFailed listing every problem.
    ``regions`` (code → Region) lets bulk importers avoid a query per row."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def attempt(name: str, member: int | None, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except BangfuError as error:
            problems.append(Problem(error.field or name, str(error.code), error.message, member))
            return None

    household_no = (data.household_no or "").strip()
    if not household_no:
        problems.append(
            Problem(
                "household_no", ErrorCode.VALIDATION_ERROR, _("A household number is required.")
            )
        )
    values["household_no"] = household_no
    village = attempt(
        "village_code",
        None,
        _region,
        data.village_code,
        Level.VILLAGE,
        "village_code",
        capture,
        regions,
    )
    natural = None
    if data.natural_village_code:
        natural = attempt(
            "natural_village_code",
            None,
            _region,
            data.natural_village_code,
            Level.NATURAL_VILLAGE,
            "natural_village_code",
            capture,
            regions,
        )
        if natural is not None and village is not None and natural.parent_id != village.pk:
            problems.append(
                Problem(
                    "natural_village_code",
                    ErrorCode.REGION_PARENT_INVALID,
                    _("Natural village {code} does not belong to village {village}.").format(
                        code=natural.code, village=village.code
                    ),
                )
            )
    for name, list_name in CODED_HOUSEHOLD_FIELDS.items():
        values[name] = attempt(name, None, _coded, list_name, getattr(data, name), name) or ""
    causes = [
        attempt("secondary_causes", None, _coded, "poverty_cause", c, "secondary_causes")
        for c in data.secondary_causes
    ]
    values["secondary_causes"] = [c for c in causes if c]
    for name in ("planned_exit_year", "exit_year", "returned_year"):
        values[name] = attempt(name, None, _year, getattr(data, name), name)
    if data.status not in STATUS_VALUES:
        problems.append(
            Problem(
                "status",
                ErrorCode.VALIDATION_ERROR,
                _("Unknown status {status!r}.").format(status=data.status),
            )
        )
    values["status"] = data.status
    for name in ("address", "phone", "return_reason", "relocation_address", "bank_name"):
        values[name] = (getattr(data, name) or "").strip()
    for name in HOUSEHOLD_FLAGS:
        values[name] = bool(getattr(data, name))
    values["identified_on"] = data.identified_on
    for name in REPORTED_FIELDS:
        values[name] = getattr(data, name)
    if data.reported_net_income_pc is not None:
        values["reported_net_income_pc"] = attempt(
            "reported_net_income_pc",
            None,
            _reported_income,
            data.reported_net_income_pc,
        )
    members = _validate_members(_with_kept_ids(data.members, household_no, problems), problems)
    heads = [m for m in members if m.values["relation"] == "head"]
    if members and len(heads) != 1:
        problems.append(
            Problem(
                "relation",
                ErrorCode.HOUSEHOLD_HEAD_COUNT,
                _("A household has exactly one head (户主); this one has {n}.").format(
                    n=len(heads)
                ),
            )
        )
    if not data.members:
        problems.append(
            Problem(
                "members",
                ErrorCode.HOUSEHOLD_NO_MEMBERS,
                _("A household needs at least one member."),
            )
        )
    if problems:
        raise ValidationFailed(problems)
    assert village is not None
    values["head_name"] = heads[0].values["name"]
    values["size"] = len(members)
    _check_lengths(values, problems)
    if problems:
        raise ValidationFailed(problems)
    bank = None if data.bank_account is None else "".join(data.bank_account.split())
    if bank is not None:
        values["bank_account_last4"] = bank[-4:]
    return CleanHousehold(
        values=values, village=village, natural_village=natural, members=members, bank_account=bank
    )


def _with_kept_ids(
    members: list[MemberIn], household_no: str, problems: list[Problem]
) -> list[MemberIn]:
    """Fill in the stored ID number of members kept by ``member_id`` without a new number.
    Decrypted only to be written back: nobody sees it, so nothing is logged."""
    kept = {m.member_id for m in members if m.member_id and not str(m.id_number or "").strip()}
    if not kept:
        return members
    stored = {
        m.pk: m.id_number_enc
        for m in Member.objects.filter(pk__in=kept, household__household_no=household_no)
    }
    result = []
    for index, member in enumerate(members):
        if member.member_id in kept:
            if member.member_id not in stored:
                message = _("Member {id} is not a member of this household.").format(
                    id=member.member_id
                )
                problems.append(Problem("member_id", ErrorCode.VALIDATION_ERROR, message, index))
                continue
            member = replace(member, id_number=decrypt_text(stored[member.member_id]))
        result.append(member)
    return result


def _too_long(value: object, limit: int | None) -> str | None:
    if isinstance(value, str) and limit and len(value) > limit:
        return _("At most {limit} characters (this has {n}).").format(limit=limit, n=len(value))
    return None


@lru_cache(maxsize=2)
def _max_lengths(model: type[models.Model]) -> dict[str, int]:
    """Widths of the model's text columns by field name (looked up once: imports check
    millions of values)."""
    widths = {f.name: getattr(f, "max_length", None) for f in model._meta.concrete_fields}
    return {name: width for name, width in widths.items() if width}


def _check_lengths(values: dict[str, Any], problems: list[Problem]) -> None:
    """Text longer than its column is refused here, not by the database."""
    for name, width in _max_lengths(Household).items():
        message = _too_long(values.get(name), width)
        if message:
            problems.append(Problem(name, ErrorCode.VALIDATION_ERROR, message))


def _validate_members(members: list[MemberIn], problems: list[Problem]) -> list[CleanMember]:
    today = dt.date.today()
    clean: list[CleanMember] = []
    seen: dict[str, int] = {}
    for index, member in enumerate(members):
        before = len(problems)
        values: dict[str, Any] = {
            "person_no": (member.person_no or "").strip(),
            "phone": (member.phone or "").strip(),
        }
        name = (member.name or "").strip()
        if not name:
            problems.append(
                Problem("name", ErrorCode.VALIDATION_ERROR, _("A name is required."), index)
            )
        values["name"] = name
        idn = None
        try:
            idn = parse_id_number(member.id_number, field="id_number", today=today)
            check_consistency(idn, birth_date=member.birth_date, sex=member.sex or None)
        except BangfuError as error:
            problems.append(
                Problem(error.field or "id_number", str(error.code), error.message, index)
            )
        for field_name, list_name in CODED_MEMBER_FIELDS.items():
            try:
                values[field_name] = code_list(list_name).resolve(
                    getattr(member, field_name) or "", field=field_name
                )
            except BangfuError as error:
                problems.append(Problem(field_name, str(error.code), error.message, index))
        if not values.get("relation") and not any(
            p.field == "relation" and p.member == index for p in problems
        ):
            problems.append(
                Problem(
                    "relation",
                    ErrorCode.VALIDATION_ERROR,
                    _("The relation to the head is required."),
                    index,
                )
            )
        months = member.months_worked_away or 0
        if not 0 <= months <= 12:
            problems.append(
                Problem(
                    "months_worked_away",
                    ErrorCode.VALIDATION_ERROR,
                    _("Months worked away must be between 0 and 12, not {n}.").format(n=months),
                    index,
                )
            )
        values["months_worked_away"] = months
        for flag in MEMBER_FLAGS:
            values[flag] = bool(getattr(member, flag))
        if idn is not None:
            if idn.number in seen:
                problems.append(
                    Problem(
                        "id_number",
                        ErrorCode.ID_NUMBER_DUPLICATE,
                        _("The same ID number is given for members {a} and {b}.").format(
                            a=seen[idn.number] + 1, b=index + 1
                        ),
                        index,
                    )
                )
            seen[idn.number] = index
            values["sex"], values["birth_date"] = idn.sex, idn.birth_date
        widths = _max_lengths(Member)
        for name in ("name", "person_no", "phone"):
            message = _too_long(values[name], widths.get(name))
            if message:
                problems.append(Problem(name, ErrorCode.VALIDATION_ERROR, message, index))
        if len(problems) == before and idn is not None:
            clean.append(CleanMember(values=values, id_number=idn.number))
    return clean


def _region(
    code: str,
    level: Level,
    field_name: str,
    capture: RegionScope,
    regions: dict[str, Region] | None,
) -> Region:
    code = (code or "").strip()
    region = regions.get(code) if regions is not None else Region.objects.filter(code=code).first()
    if region is None or region.level != level:
        raise BangfuError(
            ErrorCode.REGION_NOT_FOUND,
            _("No {level} with code {code!r}.").format(level=level_label(level), code=code),
            field=field_name,
        )
    if not capture.covers(region.code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Region {code} is outside your capture scope.").format(code=region.code),
            field=field_name,
        )
    return region


def _coded(list_name: str, value: str, field_name: str) -> str:
    return code_list(list_name).resolve(value or "", field=field_name)


# Guarantee problems (engine.guarantees reason codes) that make water access "difficult" (饮水困难).
WATER_ACCESS_PROBLEMS = frozenset({"water_inconvenient", "water_unreliable"})


def own_figures(household: Household, latest: GuaranteeAssessment | None) -> dict[str, Any]:
    """Bangfu's own figure for each fact the national layout reports (columns 22-25), by the
    name of the household's ``reported_*`` field: the latest income per person and, from the
    latest guarantee assessment, dangerous house, safe water and difficult water access.
    None where Bangfu has no figure. One definition for the national export, the importer
    (which keeps a reported figure only where it adds to these) and the household page."""
    problems = {p.get("code") for p in latest.problems or []} if latest is not None else set()
    return {
        "reported_net_income_pc": household.latest_net_income_pc,
        "reported_dangerous_house": None if latest is None else not latest.housing_ok,
        "reported_water_safe": None if latest is None else latest.water_ok,
        "reported_water_difficult": (
            None if latest is None else bool(problems & WATER_ACCESS_PROBLEMS)
        ),
    }


def _reported_income(value: Decimal) -> Decimal:
    if not Decimal("-1e12") < value < Decimal("1e12"):
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("{value} is implausibly large.").format(value=value),
            field="reported_net_income_pc",
        )
    return value.quantize(Decimal("0.01"))


def _year(value: int | None, field_name: str) -> int | None:
    if value is None:
        return None
    if not 1978 <= int(value) <= 2100:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("Year {year} is outside 1978–2100.").format(year=value),
            field=field_name,
        )
    return int(value)


# --- writing ------------------------------------------------------------------------------

REPORTED_FIELDS = (
    "reported_dangerous_house",
    "reported_water_safe",
    "reported_water_difficult",
    "reported_net_income_pc",
)
SAVED_HOUSEHOLD_FIELDS = (
    *REPORTED_FIELDS,
    "household_no",
    "address",
    "head_name",
    "size",
    "phone",
    "status",
    "household_type",
    "poverty_attribute",
    "identification_standard",
    "identified_on",
    "planned_exit_year",
    "exit_year",
    "returned_year",
    "return_reason",
    "relocated",
    "relocation_mode",
    "relocation_address",
    "main_cause",
    "secondary_causes",
    "military_family",
    "only_child",
    "two_daughters",
    "bank_name",
    "bank_account_last4",
)


def household_snapshot(household: Household) -> dict[str, Any]:
    """What history shows of a household: its fields and its members (IDs masked, never clear)."""
    data = snapshot(household)
    data.pop("bank_account_enc", None)
    for key in (
        "created_at",
        "updated_at",
        "latest_income_year",
        "latest_net_income_pc",
        "open_guarantee_problems",
    ):
        data.pop(key, None)
    data["members"] = [
        {
            k: v
            for k, v in snapshot(m).items()
            if k not in {"id", "household_id", "id_number_enc", "id_number_hash"}
        }
        for m in household.members.order_by("id")
    ]
    return data


@transaction.atomic
def household_save(
    *,
    actor: Any,
    capture: RegionScope,
    data: HouseholdIn,
    reason: str = "",
    clean: CleanHousehold | None = None,
) -> tuple[Household, str]:
    """Create or update the household with this number. Returns it and "created", "updated" or
    "unchanged". Members are matched by ID number; members absent from ``data`` are removed."""
    clean = clean or household_validate(data=data, capture=capture)
    existing = (
        Household.objects.select_for_update()
        .filter(household_no=clean.values["household_no"])
        .first()
    )
    if existing is not None and not capture.covers(existing.village.code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            # a unique number cannot hide that it is taken; where it is taken stays hidden
            _("Household number {no} is already used outside your capture scope.").format(
                no=existing.household_no
            ),
            field="household_no",
        )
    _check_ids_free(clean, existing)
    if existing is None:
        household = _create(clean)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=household,
            after=household_snapshot(household),
            reason=reason,
        )
        return household, "created"
    before = household_snapshot(existing)
    _apply(existing, clean)
    after = household_snapshot(existing)
    if after == before:
        return existing, "unchanged"
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=existing,
        before=before,
        after=after,
        reason=reason,
    )
    return existing, "updated"


def _check_ids_free(clean: CleanHousehold, existing: Household | None) -> None:
    hashes = {lookup_hash(m.id_number): i for i, m in enumerate(clean.members)}
    taken = Member.objects.filter(id_number_hash__in=hashes)
    if existing is not None:
        taken = taken.exclude(household=existing)
    clash = taken.select_related("household").first()
    if clash is not None:
        index = hashes[clash.id_number_hash]
        raise ValidationFailed(
            [
                Problem(
                    "id_number",
                    ErrorCode.ID_NUMBER_DUPLICATE,
                    _("ID number {masked} already belongs to a member of household {no}.").format(
                        masked=clash.id_number_masked, no=clash.household.household_no
                    ),
                    index,
                )
            ]
        )


def household_row_values(clean: CleanHousehold) -> dict[str, Any]:
    """A new household's column values: the clean values, its places, the account encrypted.
    One definition for this service and the bulk importer (``registry.bulk``)."""
    values = dict(clean.values)
    values["village_id"] = clean.village.pk
    values["natural_village_id"] = clean.natural_village.pk if clean.natural_village else None
    values["bank_account_enc"] = encrypt_text(clean.bank_account) if clean.bank_account else ""
    values["bank_account_last4"] = (clean.bank_account or "")[-4:]
    return values


def member_row_values(
    clean: CleanMember, id_hash: str | None = None, sealer: Sealer | None = None
) -> dict[str, Any]:
    """A new member's column values: its ID number encrypted, hashed and masked."""
    sealer = sealer or Sealer()
    return {
        **clean.values,
        "id_number_enc": sealer.encrypt(clean.id_number),
        "id_number_hash": id_hash or sealer.lookup_hash(clean.id_number),
        "id_number_masked": mask_id_number(clean.id_number),
    }


def household_differs(
    existing: Household, members: Iterable[Member], clean: CleanHousehold, hashes: Sequence[str]
) -> bool:
    """Whether saving ``clean`` would change ``existing`` and its ``members`` (read, not written):
    the test ``household_save`` and the bulk importer both use to skip unchanged households."""
    values = clean.values
    if any(
        name in values and getattr(existing, name) != values[name]
        for name in SAVED_HOUSEHOLD_FIELDS
    ):
        return True
    natural = clean.natural_village.pk if clean.natural_village else None
    if existing.village_id != clean.village.pk or existing.natural_village_id != natural:
        return True
    if clean.bank_account is not None:
        stored = decrypt_text(existing.bank_account_enc) if existing.bank_account_enc else ""
        if stored != clean.bank_account:
            return True
    current = {m.id_number_hash: m for m in members}
    if set(current) != set(hashes):
        return True
    return any(
        any(getattr(current[key], k) != v for k, v in member.values.items())
        for key, member in zip(hashes, clean.members, strict=True)
    )


def _create(clean: CleanHousehold) -> Household:
    household = Household.objects.create(**household_row_values(clean))
    Member.objects.bulk_create([_new_member(household, m) for m in clean.members])
    return household


def _new_member(household: Household, clean: CleanMember) -> Member:
    return Member(household=household, **member_row_values(clean))


def _apply(household: Household, clean: CleanHousehold) -> None:
    changed = [
        f
        for f in SAVED_HOUSEHOLD_FIELDS
        if f in clean.values and getattr(household, f) != clean.values[f]
    ]
    for name in changed:
        setattr(household, name, clean.values[name])
    if household.village_id != clean.village.pk or household.natural_village_id != (
        clean.natural_village.pk if clean.natural_village else None
    ):
        household.village, household.natural_village = clean.village, clean.natural_village
        changed.append("village")
    if clean.bank_account is not None:
        stored = decrypt_text(household.bank_account_enc) if household.bank_account_enc else ""
        if stored != clean.bank_account:
            household.bank_account_enc = (
                encrypt_text(clean.bank_account) if clean.bank_account else ""
            )
            household.bank_account_last4 = clean.bank_account[-4:]
            changed.append("bank_account_enc")
    if changed:
        household.save()
    current = {m.id_number_hash: m for m in household.members.all()}
    wanted = {lookup_hash(m.id_number): m for m in clean.members}
    Member.objects.filter(household=household).exclude(id_number_hash__in=wanted).delete()
    for key, member in wanted.items():
        row = current.get(key)
        if row is None:
            _new_member(household, member).save()
            continue
        diff = {k: v for k, v in member.values.items() if getattr(row, k) != v}
        if diff:
            for k, v in diff.items():
                setattr(row, k, v)
            row.save(update_fields=list(diff))


@transaction.atomic
def household_transition(
    *,
    actor: Any,
    capture: RegionScope,
    household: Household,
    to_status: str,
    level: str,
    on_date: dt.date,
    reason: str = "",
    posting_start: dt.date | None = None,
    posting_end: dt.date | None = None,
    objection: bool = False,
    attachments: list[str] | None = None,
) -> Household:
    """Move a household along the workflow (POLICY.md §6.3), recording who, at which level,
    when, the posting period and why. Only the transitions in ``workflow.ALLOWED`` are possible."""
    from bangfu.registry.workflow import check_transition

    if not capture.covers(household.village.code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    check_transition(
        household.status,
        to_status,
        objection=objection,
        posting_start=posting_start,
        posting_end=posting_end,
        reason=reason,
    )
    before = snapshot(household)
    household.status_changes.create(
        from_status=household.status,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        level=level,
        on_date=on_date,
        posting_start=posting_start,
        posting_end=posting_end,
        reason=reason,
        objection=objection,
        attachments=attachments or [],
    )
    household.status = to_status
    if to_status == HouseholdStatus.EXITED:
        household.exit_year = on_date.year
    if to_status == HouseholdStatus.RETURNED:
        household.returned_year, household.return_reason = on_date.year, reason
    save_if_changed(actor=actor, obj=household, before=before, reason=reason)
    return household


# --- incomes and guarantees ------------------------------------------------------------------

# The income and spending fields of IncomeRecord, in the order of engine.income.IncomeInputs
# after ``persons`` (the demo builds IncomeInputs positionally from them).
INCOME_FIELDS = (
    "wage_income",
    "business_income",
    "business_costs",
    "property_income",
    "transfer_income",
    "medical_spending",
    "education_spending",
    "rehabilitation_spending",
    "disaster_spending",
)


def _number(
    value: object,
    field_name: str,
    parse: Any,
    not_a_number: str,
    negative: str,
    maximum: Decimal | int | None = None,
) -> Any:
    """A form, API or file value as a number ``parse`` makes of it (empty is 0), refused
    with the given messages when it is not one or is negative, and when above ``maximum``.
    The one check behind money, areas and distances, and counts."""
    try:
        number = parse(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        raise _invalid(field_name, not_a_number.format(value=value)) from None
    if isinstance(number, Decimal) and not number.is_finite():  # "NaN", "Infinity"
        raise _invalid(field_name, not_a_number.format(value=value))
    if number < 0:
        raise _invalid(field_name, negative.format(value=number))
    if maximum is not None and number > maximum:
        raise _invalid(field_name, _("{value} is implausibly large.").format(value=number))
    return number


def _invalid(field_name: str, message: str) -> BangfuError:
    return BangfuError(ErrorCode.VALIDATION_ERROR, message, field=field_name)


def _cents(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


def _money(value: object, field_name: str) -> Decimal:
    amount: Decimal = _number(
        value,
        field_name,
        _cents,
        _("{value!r} is not an amount of money."),
        _("Amounts cannot be negative ({value})."),
    )
    return amount


@transaction.atomic
def income_record_save(
    *,
    actor: Any,
    capture: RegionScope,
    household: Household,
    year: int,
    amounts: dict[str, object],
    persons: int | None = None,
    items: dict[str, Any] | None = None,
    reason: str = "",
) -> IncomeRecord:
    """Record a year's income; the per-person figures are derived, never typed in."""
    if not capture.covers(household.village.code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    _year(year, "year")
    clean = {name: _money(amounts.get(name), name) for name in INCOME_FIELDS}
    persons = persons or household.size or 1
    lock_households([household.pk])  # linked incomes may be added at the same moment
    record = IncomeRecord.objects.filter(household=household, year=year).first()
    before = snapshot(record) if record else None
    record = record or IncomeRecord(household=household, year=year, persons=persons)
    record.persons = persons
    # The amounts entered are the income besides the linked incomes (project wages, dividends
    # …), which are recorded where they arise and added here: see registry.linked_income.
    linked = linked_by_type([(household.pk, year)]).get((household.pk, year), {})
    for name, value in clean.items():
        setattr(record, name, value + linked.get(name, Decimal(0)))
    record.items = items or {}
    recompute(record)
    save_with_history(actor=actor, obj=record, before=before, reason=reason)
    _refresh_latest_income(household)
    return record


def _refresh_latest_income(household: Household) -> None:
    latest = household.incomes.order_by("-year").first()
    Household.objects.filter(pk=household.pk).update(
        latest_income_year=latest.year if latest else None,
        latest_net_income_pc=latest.net_income_pc if latest else None,
    )


GUARANTEE_EVIDENCE_FIELDS = (
    "food_secure",
    "clothing_secure",
    "house_grade",
    "water_litres_per_day",
    "water_quality_ok",
    "water_trip_minutes",
    "water_horizontal_m",
    "water_vertical_m",
    "water_interruption_days",
    "water_scarce_area",
)


@transaction.atomic
def guarantee_assess(
    *,
    actor: Any,
    capture: RegionScope,
    household: Household,
    year: int,
    assessed_on: dt.date,
    evidence: dict[str, Any],
    reason: str = "",
) -> GuaranteeAssessment:
    """Record a year's guarantee evidence and derive each result from it by the policy in force
    for that year and the household's province (POLICY.md §2)."""
    if not capture.covers(household.village.code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    grade = (evidence.get("house_grade") or "").strip().upper()
    if grade and grade not in {"A", "B", "C", "D"}:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("House safety grade is A, B, C or D, not {g!r}.").format(g=grade),
            field="house_grade",
        )
    row = GuaranteeAssessment.objects.filter(household=household, year=year).first()
    before = snapshot(row) if row else None
    row = row or GuaranteeAssessment(household=household, year=year, assessed_on=assessed_on)
    row.assessed_on = assessed_on
    for name in GUARANTEE_EVIDENCE_FIELDS:
        if name in evidence:
            setattr(row, name, evidence[name])
    row.house_grade = grade
    row.evidence = evidence.get("notes", row.evidence or {})
    result = assess(
        _evidence(row, household),
        _member_facts(household),
        guarantee_params(year, household.village.code),
    )
    for guarantee in ("food", "clothing", "education", "medical", "housing", "water"):
        setattr(row, f"{guarantee}_ok", result.ok(guarantee))
    row.problems = [{"guarantee": p.guarantee, "code": p.code, **p.detail} for p in result.problems]
    row.policy_year = year
    save_with_history(actor=actor, obj=row, before=before, reason=reason)
    latest = household.guarantees.order_by("-year").first()
    Household.objects.filter(pk=household.pk).update(
        open_guarantee_problems=len(latest.problems) if latest else 0
    )
    return row


def _evidence(row: GuaranteeAssessment, household: Household) -> Evidence:
    return Evidence(
        assessed_on=row.assessed_on,
        food_secure=row.food_secure,
        clothing_secure=row.clothing_secure,
        house_grade=row.house_grade,
        relocated=household.relocated,
        water_litres_per_day=Decimal(str(row.water_litres_per_day))
        if row.water_litres_per_day is not None
        else None,
        water_quality_ok=row.water_quality_ok,
        water_trip_minutes=row.water_trip_minutes,
        water_horizontal_m=row.water_horizontal_m,
        water_vertical_m=row.water_vertical_m,
        water_interruption_days=row.water_interruption_days,
        water_scarce_area=row.water_scarce_area,
    )


def _member_facts(household: Household) -> list[MemberFacts]:
    return [
        MemberFacts(
            name=m.name,
            birth_date=m.birth_date,
            student_status=m.student_status,
            health=m.health,
            insured=frozenset(
                name
                for name, flag in (
                    ("basic_medical", m.insured_basic_medical),
                    ("critical_illness", m.insured_critical_illness),
                )
                if flag
            ),
        )
        for m in household.members.all()
    ]


def member_in_fields() -> list[str]:
    return [f.name for f in fields(MemberIn)]


# --- production assets and living conditions ----------------------------------------------

PRODUCTION_DECIMALS = (
    "arable_mu",
    "irrigated_mu",
    "forest_mu",
    "returned_forest_mu",
    "orchard_mu",
    "pasture_mu",
    "water_surface_mu",
)
PRODUCTION_COUNTS = ("cattle", "pigs", "sheep", "poultry")
LIVING_DECIMALS = ("house_area_m2", "road_distance_km")
LIVING_TEXT = ("road_type", "fuel")
# Every field of each, in the order the forms and the API show them.
PRODUCTION_FIELDS = (*PRODUCTION_DECIMALS, *PRODUCTION_COUNTS, "cooperative_member")
LIVING_FIELDS = (
    "house_area_m2",
    "electricity",
    "road_type",
    "road_distance_km",
    "fuel",
    "sanitary_toilet",
)
# Areas and distances: what their columns hold (far more than any household has); counts: the
# same bound, well inside their column (a larger number would fail on PostgreSQL).
MEASURE_MAX = Decimal("99999999")
COUNT_MAX = 99_999_999


def _measure(value: object, field_name: str) -> Decimal:
    """An area (mu, m²) or a distance (km), to two decimals; empty is 0."""
    amount: Decimal = _number(
        value,
        field_name,
        _cents,
        _("{value!r} is not a number."),
        _("Areas and distances cannot be negative ({value})."),
        MEASURE_MAX,
    )
    return amount


def _count(value: object, field_name: str) -> int:
    number: int = _number(
        value,
        field_name,
        int,
        _("{value!r} is not a whole number."),
        _("Counts cannot be negative ({value})."),
        COUNT_MAX,
    )
    return number


@transaction.atomic
def household_conditions_save(
    *,
    actor: Any,
    capture: RegionScope,
    household: Household,
    production: dict[str, Any],
    living: dict[str, Any],
    reason: str = "",
) -> None:
    """Record the household's production assets (land in mu, livestock) and living conditions."""
    from bangfu.registry.models import LivingConditions, ProductionAssets

    if not capture.covers(household.village.code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    assets = ProductionAssets.objects.filter(household=household).first() or ProductionAssets(
        household=household
    )
    conditions = LivingConditions.objects.filter(household=household).first() or LivingConditions(
        household=household
    )
    updates = [
        (
            assets,
            {
                **{f: _measure(production.get(f), f) for f in PRODUCTION_DECIMALS},
                **{f: _count(production.get(f), f) for f in PRODUCTION_COUNTS},
                "cooperative_member": bool(production.get("cooperative_member")),
            },
        ),
        (
            conditions,
            {
                **{f: _measure(living.get(f), f) for f in LIVING_DECIMALS},
                **{f: str(living.get(f) or "").strip()[:40] for f in LIVING_TEXT},
                "electricity": bool(living.get("electricity", True)),
                "sanitary_toilet": bool(living.get("sanitary_toilet")),
            },
        ),
    ]
    for row, values in updates:
        before = snapshot(row) if row.pk is not None else None
        for k, v in values.items():
            setattr(row, k, v)
        save_with_history(actor=actor, obj=row, before=before, reason=reason)
