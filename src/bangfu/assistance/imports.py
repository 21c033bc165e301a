"""Importing the assistance tables from spreadsheets (.xlsx, or .csv in UTF-8 or GB18030):
helpers, helper assignments, measures, visits, partners, social pairings, the donations ledger
and secondments. See docs/assistance.md, "Importing from Excel" (the ledger's columns:
docs/donations.md, "Import").

Each table is a ``Table`` in ``TABLES``: its columns (a ``sheets.SheetSpec``, Chinese headers
first), a row check (``validate``: finds the household, helper, partner, region, district
pairing or campaign each row names, among those the importing user sees, and refuses a row
given twice or already recorded) and a writer (``write``: the table's own services —
``services.helper_create``, ``assignment_start`` / ``assignment_reassign``, ``measure_add`` /
``measure_deliver``, ``visit_record``, ``pairings.partner_create``,
``pairings.social_pairing_create``, ``donations.donation_record``,
``secondments.secondment_create`` — so every rule and every permission is the services' own,
and every row has its audit history). ``sheets.import_sheet`` runs them: all or nothing, every
problem as row, column, value and reason. The ledger's columns and row check are its own
(``donations.donation_sheet``, ``donations.DonationRows``); this module only lists it.

A household is named by its number (户编号) and looked up through
``selectors.households_for``: a number the user does not see is "no household with that number
is visible to you", whether it exists elsewhere or not. A helper is named by its number in
Bangfu (帮扶责任人编号), or by name and the code of the region they work in (the name alone
when it is unique among the helpers the user sees); a partner by name and home region code (the
name alone when unique); a district pairing (对口关系) by its eastern and western region codes
and, when two pairings share them, its start year.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.accounts.scopes import scope_for
from bangfu.assistance import donations, services
from bangfu.assistance import secondments as sec
from bangfu.assistance.models import (
    Campaign,
    Direction,
    Helper,
    HelperOrigin,
    MeasureKind,
    MeasureStatus,
    Partner,
    PartnerKind,
    SecondmentField,
    SecondmentStatus,
    SocialPairingKind,
)
from bangfu.assistance.pairings import (
    PartnerIn,
    SocialPairingIn,
    clean_text,
    invalid,
    partner_create,
    social_pairing_create,
)
from bangfu.assistance.selectors import (
    campaigns_for,
    helper_of,
    helpers_for,
    households_for,
    measures_for,
    pairings_for,
    partners_for,
    secondments_for,
    visits_for,
)
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Pairing
from bangfu.regions.selectors import pairing_list
from bangfu.registry.importers import IDENT, PHONE, REGION, CellError
from bangfu.registry.importers.cells import (
    convert_bool,
    convert_code,
    convert_ident,
    convert_int,
    convert_name,
    convert_phone,
    convert_region,
)
from bangfu.registry.models import Household
from bangfu.registry.sheet_tables import (
    RecordFinder,
    RowChecks,
    Seen,
    Table,
    at,
    date_column,
    household_column,
    listing,
    options,
)
from bangfu.registry.sheets import (
    SheetColumn,
    SheetResult,
    SheetRow,
    SheetSpec,
    choice,
    convert_plain,
    convert_yuan,
    spellings_of,
)

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number names nothing

# ---------------------------------------------------------------------------- spellings

# The Chinese spellings of each code (the first is the template's); the English labels of the
# models' choices are accepted too, with and without their Chinese gloss in brackets.
ORIGIN_ZH: dict[str, tuple[str, ...]] = {
    HelperOrigin.LOCAL_CADRE: ("本地干部", "驻村干部"),
    HelperOrigin.EAST_VOLUNTEER: ("东部志愿者", "千人联千户"),
    HelperOrigin.ENTERPRISE: ("企业",),
    HelperOrigin.OTHER: ("其他",),
}
MEASURE_ZH: dict[str, tuple[str, ...]] = {
    MeasureKind.INDUSTRY: ("产业帮扶",),
    MeasureKind.EMPLOYMENT: ("就业帮扶",),
    MeasureKind.SKILLS_TRAINING: ("技能培训",),
    MeasureKind.MICRO_CREDIT: ("小额信贷",),
    MeasureKind.RELOCATION: ("易地搬迁",),
    MeasureKind.EDUCATION_AID: ("教育资助",),
    MeasureKind.DIBAO: ("低保", "最低生活保障"),
    MeasureKind.TEKUN: ("特困供养",),
    MeasureKind.MEDICAL_ASSISTANCE: ("医疗救助",),
    MeasureKind.PUBLIC_WELFARE_JOB: ("公益岗位",),
}
MEASURE_STATUS_ZH: dict[str, tuple[str, ...]] = {
    MeasureStatus.PLANNED: ("计划", "计划中"),
    MeasureStatus.DELIVERED: ("已落实", "已兑现", "落实"),
}
PARTNER_KIND_ZH: dict[str, tuple[str, ...]] = {
    PartnerKind.ENTERPRISE: ("企业",),
    PartnerKind.SOCIAL_ORG: ("社会组织",),
    PartnerKind.SCHOOL: ("学校",),
    PartnerKind.HOSPITAL: ("医院",),
    PartnerKind.UNIT: ("机关单位", "单位"),
    PartnerKind.OTHER: ("其他",),
}
PAIRING_KIND_ZH: dict[str, tuple[str, ...]] = {
    SocialPairingKind.ENTERPRISE_VILLAGE: ("企业结对村", "百企联百村"),
    SocialPairingKind.ORG_VILLAGE: ("社会组织结对村",),
    SocialPairingKind.UNIT_VILLAGE: ("单位结对村",),
    SocialPairingKind.SCHOOL_SCHOOL: ("学校结对", "校校结对"),
    SocialPairingKind.HOSPITAL_HOSPITAL: ("医院结对", "院院结对"),
    SocialPairingKind.OTHER: ("其他结对",),
}
FIELD_ZH: dict[str, tuple[str, ...]] = {
    SecondmentField.CADRE: ("挂职干部",),
    SecondmentField.TEACHER: ("支教教师", "教师"),
    SecondmentField.DOCTOR: ("支医医生", "医生"),
    SecondmentField.AGRONOMIST: ("农技人员",),
    SecondmentField.OTHER: ("其他专业人才",),
}
DIRECTION_ZH: dict[str, tuple[str, ...]] = {
    Direction.EAST_TO_WEST: ("东部到西部", "东→西"),
    Direction.WEST_TO_EAST: ("西部到东部", "西→东"),
}
SECONDMENT_STATUS_ZH: dict[
    str, tuple[str, ...]
] = {  # the statuses a secondment may be recorded with
    SecondmentStatus.PLANNED: ("计划", "拟派"),
    SecondmentStatus.SERVING: ("在岗",),
    SecondmentStatus.COMPLETED: ("已期满", "已完成"),
}


# ---------------------------------------------------------------------------- cells


def coordinate(limit: int) -> Callable[[str, bool], Decimal]:
    """A latitude (``limit`` 90) or longitude (180) in decimal degrees."""

    def convert(raw: str, numeric: bool) -> Decimal:
        text = unicodedata.normalize("NFKC", raw).strip().removesuffix("°").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not -limit <= value <= limit:
            raise CellError(
                ErrorCode.IMPORT_CELL_INVALID,
                _("{value!r} is not a coordinate in decimal degrees from −{n} to {n}.").format(
                    value=raw.strip()[:30], n=limit
                ),
            )
        return value

    return convert


def _helper_columns(note: Any) -> tuple[SheetColumn, ...]:
    return (
        SheetColumn(
            "helper_id",
            ("帮扶责任人编号", "helper id", "helper number"),
            convert_int,
            width=10,
            note=gettext_lazy("The helper's number in Bangfu; or give the name and region code."),
        ),
        SheetColumn("helper", ("帮扶责任人", "helper", "helper name"), convert_name, note=note),
        SheetColumn(
            "helper_region",
            ("帮扶责任人地区代码", "helper region code", "helper region"),
            convert_region,
            kind=REGION,
            width=16,
            note=gettext_lazy(
                "The 12-digit code of the region the helper works in (as on the helper's page); "
                "may be left empty when the name is unique."
            ),
        ),
    )


def _pairing_columns(required: bool) -> tuple[SheetColumn, ...]:
    """A district pairing (对口关系, ``regions.Pairing``) by its two sides and start year."""
    return (
        SheetColumn(
            "pairing_east",
            ("对口关系东部代码", "district pairing east code", "east code"),
            convert_region,
            required=required,
            kind=REGION,
            width=16,
            note=gettext_lazy(
                "The district pairing: the 12-digit code of its eastern side (e.g. 310118000000)."
            ),
        ),
        SheetColumn(
            "pairing_west",
            ("对口关系西部代码", "district pairing west code"),
            convert_region,
            required=required,
            kind=REGION,
            width=16,
            note=gettext_lazy("The district pairing: the code of its western side."),
        ),
        SheetColumn(
            "pairing_year",
            ("对口关系起始年份", "district pairing start year", "pairing start year"),
            convert_int,
            width=10,
            note=gettext_lazy(
                "The district pairing's start year; needed only when two pairings join the same "
                "two regions."
            ),
        ),
    )


# ---------------------------------------------------------------------------- checks


class Finder(RecordFinder):
    """The records a file's rows name (see ``RecordFinder``)."""

    def households(self) -> QuerySet[Household]:
        return households_for(self.actor)

    def helper(self, row: SheetRow, *, required: bool) -> Helper | None:
        pk, name, code = row.get("helper_id"), row.get("helper"), row.get("helper_region")
        if pk is None and not name:
            if code:
                raise invalid(_("Give the helper's name with the region code."), "helper")
            if required:
                raise invalid(
                    _("Give the helper: the name and region code, or the helper's number."),
                    "helper",
                )
            return None
        return self._once(("helper", pk, name, code), lambda: self._helper(pk, name, code))

    def _helper(self, pk: int | None, name: str, code: str) -> Helper:
        visible = helpers_for(self.actor)
        if pk is not None:
            found = visible.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
            if found is None:
                raise BangfuError(
                    ErrorCode.HELPER_NOT_FOUND,
                    _("No helper with the number {pk} is visible to you.").format(pk=pk),
                    field="helper_id",
                )
            if name and name != found.name:
                raise invalid(
                    _("Helper {pk} is {name}, not {given}.").format(
                        pk=pk, name=found.name, given=name
                    ),
                    "helper",
                )
            if code and code != found.region.code:
                raise invalid(
                    _("Helper {pk} works in {code}, not in {given}.").format(
                        pk=pk, code=found.region.code, given=code
                    ),
                    "helper_region",
                )
            return found
        matches = visible.filter(name__in=spellings_of(name))
        if code:
            matches = matches.filter(region__code=code)
        found_all = list(matches[:3])
        if not found_all:
            message = (
                _("No helper named {name} working in {code} is visible to you.")
                if code
                else _("No helper named {name} is visible to you.")
            )
            raise BangfuError(
                ErrorCode.HELPER_NOT_FOUND, message.format(name=name, code=code), field="helper"
            )
        if len(found_all) > 1:
            raise invalid(
                _(
                    "More than one helper named {name} is visible to you; give the region code "
                    "or the helper's number (帮扶责任人编号)."
                ).format(name=name)
                if not code
                else _(
                    "More than one helper named {name} works in {code}; give the helper's "
                    "number (帮扶责任人编号)."
                ).format(name=name, code=code),
                "helper",
            )
        return found_all[0]

    def partner(self, name: str, code: str | None) -> Partner:
        def find() -> Partner:
            matches = partners_for(self.actor).filter(name__in=spellings_of(name))
            if code:
                matches = matches.filter(region__code=code)
            found = list(matches[:2])
            if not found:
                raise BangfuError(
                    ErrorCode.PARTNER_NOT_FOUND,
                    (
                        _("No partner named {name} registered in {code} is visible to you.")
                        if code
                        else _("No partner named {name} is visible to you.")
                    ).format(name=name, code=code),
                    field="partner",
                )
            if len(found) > 1:
                raise invalid(
                    _(
                        "More than one partner named {name} is visible to you; give its home "
                        "region code."
                    ).format(name=name),
                    "partner_region",
                )
            return found[0]

        return self._once(("partner", name, code), find)

    def campaign(self, code: str) -> Campaign:
        def find() -> Campaign:
            found = campaigns_for(self.actor).filter(code=code).first()
            if found is None:
                raise BangfuError(
                    ErrorCode.CAMPAIGN_NOT_FOUND,
                    _("No campaign with the code {code} is visible to you.").format(code=code),
                    field="campaign",
                )
            return found

        return self._once(("campaign", code), find)

    def district_pairing(self, row: SheetRow, *, required: bool) -> Pairing | None:
        east, west, year = row.get("pairing_east"), row.get("pairing_west"), row.get("pairing_year")
        if not east and not west:
            if year is not None or required:
                raise invalid(
                    _("Give the district pairing: its eastern and western region codes."),
                    "pairing_east",
                )
            return None
        if not east or not west:
            raise invalid(
                _("Give both region codes of the district pairing."),
                "pairing_east" if not east else "pairing_west",
            )
        return self._once(("pairing", east, west, year), lambda: self._pairing(east, west, year))

    def _pairing(self, east: str, west: str, year: int | None) -> Pairing:
        matches = pairing_list(scope=scope_for(self.actor, "view")).filter(
            east__code=east, west__code=west
        )
        if year is not None:
            matches = matches.filter(start_year=year)
        found = list(matches[:2])
        if not found:
            raise BangfuError(
                ErrorCode.PAIRING_NOT_FOUND,
                (
                    _("No district pairing of {east} with {west} from {year} is visible to you.")
                    if year is not None
                    else _("No district pairing of {east} with {west} is visible to you.")
                ).format(east=east, west=west, year=year),
                field="pairing_east",
            )
        if len(found) > 1:
            raise invalid(
                _("{east} and {west} have more than one pairing: give its start year.").format(
                    east=east, west=west
                ),
                "pairing_year",
            )
        return found[0]


# ---------------------------------------------------------------------------- helpers


def helper_sheet() -> SheetSpec:
    return SheetSpec(
        name="帮扶责任人",
        columns=(
            SheetColumn(
                "name", ("姓名", "name", "helper name"), convert_name, required=True, width=12
            ),
            SheetColumn("unit", ("工作单位", "unit", "work unit"), convert_plain, width=24),
            SheetColumn("post", ("职务", "post", "position"), convert_plain, width=12),
            SheetColumn(
                "phone",
                ("联系电话", "phone", "手机号码", "电话"),
                convert_phone,
                kind=PHONE,
                width=14,
            ),
            SheetColumn(
                "origin",
                ("来源", "origin"),
                choice(options(HelperOrigin, ORIGIN_ZH), str(_("origin"))),
                required=True,
                width=12,
                note=listing(ORIGIN_ZH),
            ),
            SheetColumn(
                "region",
                ("工作地区代码", "region code", "地区代码"),
                convert_region,
                required=True,
                kind=REGION,
                width=16,
                note=gettext_lazy(
                    "The 12-digit code of the village (or township, county) the helper works "
                    "in; it must be in your capture scope."
                ),
            ),
            SheetColumn(
                "visit_every_days",
                ("走访周期(天)", "visit every (days)", "visit interval", "走访周期"),
                convert_int,
                width=10,
                note=gettext_lazy("Days between visits, 1 to 366; empty: 30."),
            ),
        ),
    )


class HelperRows:
    """A helper per row; a helper of the same name already working in the same region (or
    given twice) is refused: name and region identify a helper in the other files."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.find = Finder(actor)
        self.seen = Seen()

    def __call__(self, row: SheetRow) -> dict[str, Any]:
        c = RowChecks()
        region = c(self.find.region, row.get("region"), "region")
        name = c(clean_text, row.get("name"), "name", 100, required=True)
        data = {
            "name": name,
            "unit": c(clean_text, row.get("unit"), "unit", 200),
            "post": c(clean_text, row.get("post"), "post", 100),
            "phone": c(clean_text, row.get("phone"), "phone", 40),
            "origin": row.get("origin", ""),
            "region": region,
            "visit_every_days": row.get("visit_every_days", 30),
        }
        if name and region is not None:
            c(self.seen.check, (name, region.pk), row.number, "name", name)
            existing = helpers_for(self.actor).filter(name=name, region=region).first()
            if existing is not None:
                c.refuse(
                    "name",
                    _(
                        "{name} already works in {region} (helper number {pk}); a helper is "
                        "added once."
                    ).format(name=name, region=region.code, pk=existing.pk),
                )
        c.done()
        return data


def helper_writer(actor: Any) -> Callable[[dict[str, Any]], str]:
    def write(data: dict[str, Any]) -> str:
        with at("region"):
            services.helper_create(actor=actor, data=data)
        return _("helpers added")

    return write


# ---------------------------------------------------------------------------- assignments


def assignment_sheet() -> SheetSpec:
    return SheetSpec(
        name="帮扶责任人结对",
        columns=(
            household_column(),
            *_helper_columns(
                gettext_lazy("The helper's name, with the region code (or the helper's number).")
            ),
            date_column(
                "start_date",
                ("开始日期", "start date", "from", "结对日期"),
                required=True,
                note=gettext_lazy(
                    "From when the helper helps the household; for a household that has a "
                    "helper, the day the new helper takes over."
                ),
            ),
            SheetColumn(
                "visit_every_days",
                ("走访周期(天)", "visit every (days)", "visit interval", "走访周期"),
                convert_int,
                width=10,
                note=gettext_lazy(
                    "Days between visits, 1 to 366; empty: the helper's own interval."
                ),
            ),
            SheetColumn(
                "reason",
                ("调整原因", "reason", "reason for reassigning"),
                convert_plain,
                width=24,
                note=gettext_lazy(
                    "Required when the household already has a helper: the row then reassigns "
                    "the household (the current helper's assignment ends that day)."
                ),
            ),
        ),
        fields={
            "helper": ("helper_id", "helper_region"),
            "helper_id": ("helper",),
            "end_date": ("start_date",),
            "on_date": ("start_date",),
            "reason": ("start_date",),
        },
    )


@dataclass(frozen=True)
class AssignmentIn:
    household: Household
    helper: Helper
    start_date: dt.date
    visit_every_days: int | None
    reason: str


class AssignmentRows:
    """A household's helper per row: started, or — when the household has one — reassigned
    with the reason given. A household is named once per file."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.find = Finder(actor)
        self.seen = Seen()

    def __call__(self, row: SheetRow) -> AssignmentIn:
        c = RowChecks()
        household = c(self.find.household, row.get("household"))
        helper = c(self.find.helper, row, required=True)
        reason = c(clean_text, row.get("reason"), "reason", 300) or ""
        every = row.get("visit_every_days")
        if household is not None:
            c(self.seen.check, household.pk, row.number, "household", household.household_no)
            current = services.current_assignment(household)
            if current is not None and helper is not None:
                if current.helper_id == helper.pk:
                    c.refuse("helper", _("This helper already helps the household."))
                else:
                    if not reason:
                        c.refuse(
                            "reason",
                            _(
                                "The household has a helper ({name}, since {date}): give the "
                                "reason for reassigning it (调整原因)."
                            ).format(name=current.helper.name, date=current.start_date),
                        )
        c.done()
        return AssignmentIn(household, helper, row.get("start_date"), every, reason)


def assignment_writer(actor: Any) -> Callable[[AssignmentIn], str]:
    def write(item: AssignmentIn) -> str:
        with at("household"):
            if services.current_assignment(item.household) is None:
                services.assignment_start(
                    actor=actor,
                    helper=item.helper,
                    household=item.household,
                    start_date=item.start_date,
                    visit_every_days=item.visit_every_days,
                )
                return _("helpers assigned")
            services.assignment_reassign(
                actor=actor,
                household=item.household,
                helper=item.helper,
                on_date=item.start_date,
                reason=item.reason,
                visit_every_days=item.visit_every_days,
            )
            return _("households reassigned")

    return write


# ---------------------------------------------------------------------------- measures


def measure_sheet() -> SheetSpec:
    return SheetSpec(
        name="帮扶措施",
        columns=(
            household_column(),
            SheetColumn(
                "kind",
                ("措施", "measure", "kind", "措施类型"),
                choice(options(MeasureKind, MEASURE_ZH), str(_("measure"))),
                required=True,
                width=14,
                note=listing(MEASURE_ZH),
            ),
            SheetColumn(
                "amount",
                (
                    "计划金额(元)",
                    "金额(元)",
                    "金额",
                    "amount planned (yuan)",
                    "amount (yuan)",
                    "amount",
                ),
                convert_yuan,
                width=14,
                note=gettext_lazy("Yuan, at most two decimal places; empty: 0."),
            ),
            SheetColumn("funder", ("资金来源", "funder"), convert_plain, width=16),
            date_column("start_date", ("开始日期", "start date", "from"), required=True),
            date_column("end_date", ("结束日期", "end date", "until")),
            SheetColumn(
                "expected_effect", ("预期效果", "expected effect"), convert_plain, width=24
            ),
            SheetColumn(
                "status",
                ("状态", "status"),
                choice(options(MeasureStatus, MEASURE_STATUS_ZH), str(_("status"))),
                width=8,
                note=gettext_lazy(
                    "计划 (planned) / 已落实 (delivered); empty: delivered when a delivery date "
                    "is given, planned otherwise."
                ),
            ),
            date_column(
                "delivered_on",
                ("落实日期", "delivered on", "delivery date"),
                note=gettext_lazy("For a delivered measure: the day it reached the household."),
            ),
            SheetColumn(
                "delivered_amount",
                ("落实金额(元)", "amount delivered (yuan)", "delivered amount"),
                convert_yuan,
                width=14,
                note=gettext_lazy("For a delivered measure; empty: the amount planned."),
            ),
            SheetColumn(
                "outcome",
                ("落实效果", "outcome"),
                convert_plain,
                width=24,
                note=gettext_lazy("For a delivered measure: what it achieved."),
            ),
        ),
        fields={"year": ("start_date",)},
    )


@dataclass(frozen=True)
class MeasureIn:
    household: Household
    kind: str
    start_date: dt.date
    amount: Decimal
    funder: str
    end_date: dt.date | None
    expected_effect: str
    delivered_on: dt.date | None
    delivered_amount: Decimal | None
    outcome: str


class MeasureRows:
    """A measure per row in the household's plan for its start year, delivered at once when
    the row says so. The same measure (household, kind, start date) twice, in the file or
    already planned, is refused."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.find = Finder(actor)
        self.seen = Seen()

    def __call__(self, row: SheetRow) -> MeasureIn:
        c = RowChecks()
        household = c(self.find.household, row.get("household"))
        kind, start = row.get("kind"), row.get("start_date")
        status, delivered_on = row.get("status"), row.get("delivered_on")
        delivering = status == MeasureStatus.DELIVERED or (status is None and delivered_on)
        if delivering and delivered_on is None:
            c.refuse("delivered_on", _("A delivered measure needs its delivery date."))
        if not delivering:
            for name in ("delivered_on", "delivered_amount", "outcome"):
                if row.get(name) is not None:
                    c.refuse(
                        name, _("Only a delivered measure has this; set the status to 已落实.")
                    )
        texts = {
            "funder": c(clean_text, row.get("funder"), "funder", 200),
            "expected_effect": c(clean_text, row.get("expected_effect"), "expected_effect", 300),
            "outcome": c(clean_text, row.get("outcome"), "outcome", 300),
        }
        if household is not None:
            key = (household.pk, kind, start)
            what = _("The measure {kind} of household {no} from {date}").format(
                kind=MeasureKind(kind).label, no=household.household_no, date=start
            )
            c(self.seen.check, key, row.number, "kind", what)
            already = measures_for(self.actor).filter(
                plan__household=household, kind=kind, start_date=start
            )
            if already.exclude(status=MeasureStatus.CANCELLED).exists():
                c.refuse("kind", _("{what} is already in the plan.").format(what=what))
        c.done()
        return MeasureIn(
            household=household,
            kind=kind,
            start_date=start,
            amount=row.get("amount", Decimal("0.00")),
            funder=texts["funder"] or "",
            end_date=row.get("end_date"),
            expected_effect=texts["expected_effect"] or "",
            delivered_on=delivered_on if delivering else None,
            delivered_amount=row.get("delivered_amount"),
            outcome=texts["outcome"] or "",
        )


def measure_writer(actor: Any) -> Callable[[MeasureIn], str]:
    def write(item: MeasureIn) -> str:
        with transaction.atomic(), at("household"):
            measure = services.measure_add(
                actor=actor,
                household=item.household,
                kind=item.kind,
                start_date=item.start_date,
                amount=item.amount,
                funder=item.funder,
                end_date=item.end_date,
                expected_effect=item.expected_effect,
            )
            if item.delivered_on is None:
                return _("measures planned")
            services.measure_deliver(
                actor=actor,
                measure=measure,
                delivered_on=item.delivered_on,
                amount=item.delivered_amount,
                outcome=item.outcome,
            )
            return _("measures delivered")

    return write


# ---------------------------------------------------------------------------- visits


def visit_sheet() -> SheetSpec:
    return SheetSpec(
        name="走访记录",
        columns=(
            household_column(),
            date_column(
                "visited_on", ("走访日期", "visited on", "visit date", "date"), required=True
            ),
            SheetColumn(
                "findings",
                ("走访情况", "findings", "走访内容"),
                convert_plain,
                required=True,
                width=50,
                note=gettext_lazy("What was found. Photos are added on the visit's page."),
            ),
            *_helper_columns(
                gettext_lazy(
                    "Optional: who visited (name, with the region code or the helper's number)."
                )
            ),
            SheetColumn(
                "latitude",
                ("纬度", "latitude", "lat"),
                coordinate(90),
                width=12,
                note=gettext_lazy("Decimal degrees (e.g. 21.958); with the longitude, or neither."),
            ),
            SheetColumn(
                "longitude",
                ("经度", "longitude", "lng", "lon"),
                coordinate(180),
                width=12,
                note=gettext_lazy("Decimal degrees (e.g. 100.452)."),
            ),
        ),
        fields={"helper": ("helper_id", "helper_region"), "helper_id": ("helper",)},
    )


class VisitRows:
    """A visit per row; the same visit (household, date, findings) twice, in the file or
    already recorded, is refused."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.find = Finder(actor)
        self.seen = Seen()

    def __call__(self, row: SheetRow) -> dict[str, Any]:
        c = RowChecks()
        household = c(self.find.household, row.get("household"))
        helper = c(self.find.helper, row, required=False)
        visited_on, findings = row.get("visited_on"), row.get("findings", "")
        if household is not None:
            what = _("The visit to household {no} on {date}").format(
                no=household.household_no, date=visited_on
            )
            c(self.seen.check, (household.pk, visited_on, findings), row.number, "findings", what)
            already = visits_for(self.actor).filter(
                household=household, visited_on=visited_on, findings=findings
            )
            if already.exists():
                c.refuse(
                    "findings",
                    _("{what} is already recorded with the same findings.").format(what=what),
                )
        c.done()
        return {
            "household": household,
            "visited_on": visited_on,
            "findings": findings,
            "helper": helper,
            "latitude": row.get("latitude"),
            "longitude": row.get("longitude"),
        }


def visit_writer(actor: Any) -> Callable[[dict[str, Any]], str]:
    def write(data: dict[str, Any]) -> str:
        with at("household"):
            services.visit_record(actor=actor, **data)
        return _("visits recorded")

    return write


# ---------------------------------------------------------------------------- partners


def partner_sheet() -> SheetSpec:
    return SheetSpec(
        name="帮扶主体",
        columns=(
            SheetColumn(
                "name",
                ("名称", "name", "partner", "partner name"),
                convert_plain,
                required=True,
                width=30,
            ),
            SheetColumn(
                "kind",
                ("类型", "kind", "partner kind"),
                choice(options(PartnerKind, PARTNER_KIND_ZH), str(_("kind"))),
                required=True,
                width=12,
                note=listing(PARTNER_KIND_ZH),
            ),
            SheetColumn(
                "region",
                ("所在地区代码", "home region code", "region code"),
                convert_region,
                required=True,
                kind=REGION,
                width=16,
                note=gettext_lazy(
                    "The 12-digit code of where the partner is registered; it must be in your "
                    "capture scope. A name is used once per region."
                ),
            ),
            SheetColumn(
                "credit_code",
                ("统一社会信用代码", "credit code", "unified social credit code"),
                convert_ident("统一社会信用代码"),
                kind=IDENT,
                width=22,
                note=gettext_lazy("18 characters, checked (GB 32100-2015); may be empty."),
            ),
            SheetColumn("contact_name", ("联系人", "contact person", "contact"), convert_name),
            SheetColumn(
                "contact_phone",
                ("联系电话", "contact phone", "phone"),
                convert_phone,
                kind=PHONE,
            ),
            SheetColumn("note", ("备注", "note"), convert_plain, width=24),
        ),
    )


class PartnerRows:
    def __init__(self, actor: Any) -> None:
        self.find = Finder(actor)
        self.seen = Seen()

    def __call__(self, row: SheetRow) -> PartnerIn:
        c = RowChecks()
        region = c(self.find.region, row.get("region"), "region")
        name = row.get("name", "")
        if region is not None:
            c(self.seen.check, (name, region.pk), row.number, "name", name)
        c.done()
        return PartnerIn(
            name=name,
            kind=row.get("kind", ""),
            region=region,
            credit_code=row.get("credit_code", ""),
            contact_name=row.get("contact_name", ""),
            contact_phone=row.get("contact_phone", ""),
            note=row.get("note", ""),
        )


def partner_writer(actor: Any) -> Callable[[PartnerIn], str]:
    def write(data: PartnerIn) -> str:
        with at("region"):
            partner_create(actor=actor, data=data)
        return _("partners added")

    return write


# ---------------------------------------------------------------------------- social pairings


def _money(key: str, headers: tuple[str, ...], note: Any = "") -> SheetColumn:
    return SheetColumn(
        key,
        headers,
        convert_yuan,
        width=16,
        note=note or gettext_lazy("Yuan, at most two decimal places; empty: 0."),
    )


def social_pairing_sheet() -> SheetSpec:
    return SheetSpec(
        name="社会结对",
        columns=(
            SheetColumn(
                "kind",
                ("结对类型", "kind", "pairing kind"),
                choice(options(SocialPairingKind, PAIRING_KIND_ZH), str(_("kind"))),
                required=True,
                width=14,
                note=listing(PAIRING_KIND_ZH),
            ),
            SheetColumn(
                "partner",
                ("帮扶主体", "partner", "partner name"),
                convert_plain,
                required=True,
                width=30,
                note=gettext_lazy("The partner's name (import the partners first)."),
            ),
            SheetColumn(
                "partner_region",
                ("帮扶主体地区代码", "partner region code", "partner's home region code"),
                convert_region,
                kind=REGION,
                width=16,
                note=gettext_lazy(
                    "The partner's home region code; may be empty when the name is unique."
                ),
            ),
            SheetColumn(
                "west",
                ("结对地区代码", "western region code", "west code"),
                convert_region,
                required=True,
                kind=REGION,
                width=16,
                note=gettext_lazy(
                    "The 12-digit code of the western village (or township, county) paired."
                ),
            ),
            SheetColumn(
                "counterpart",
                ("结对单位", "counterpart"),
                convert_plain,
                width=24,
                note=gettext_lazy("The western school or hospital (for those kinds)."),
            ),
            *_pairing_columns(required=False),
            SheetColumn(
                "campaign",
                ("活动代码", "campaign code"),
                convert_code,
                width=16,
                note=gettext_lazy("The campaign's code, if the pairing belongs to one."),
            ),
            SheetColumn("sector", ("领域", "sector"), convert_plain, width=12),
            date_column("start_date", ("开始日期", "start date", "from"), required=True),
            date_column("end_date", ("结束日期", "end date", "until")),
            _money("committed_money", ("承诺资金(元)", "money committed (yuan)")),
            SheetColumn(
                "committed_goods",
                ("承诺物资", "goods committed"),
                convert_plain,
                width=20,
            ),
            _money(
                "committed_goods_value",
                ("物资价值(元)", "value of goods committed (yuan)"),
            ),
            SheetColumn(
                "committed_jobs",
                ("承诺岗位数", "jobs committed"),
                convert_int,
                width=10,
                note=gettext_lazy("A whole number; empty: 0."),
            ),
            _money("committed_purchases", ("承诺采购(元)", "purchases committed (yuan)")),
            SheetColumn("note", ("备注", "note"), convert_plain, width=24),
        ),
        fields={
            "regional_pairing": ("pairing_east", "pairing_west", "pairing_year"),
            "partner_region": ("partner",),
        },
    )


class SocialPairingRows:
    """A social pairing per row; the same pairing (partner, western region, counterpart, kind,
    start date) twice, in the file or already recorded, is refused."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.find = Finder(actor)
        self.seen = Seen()

    def __call__(self, row: SheetRow) -> SocialPairingIn:
        c = RowChecks()
        partner = c(self.find.partner, row.get("partner", ""), row.get("partner_region"))
        west = c(self.find.region, row.get("west"), "west")
        regional = c(self.find.district_pairing, row, required=False)
        campaign = c(self.find.campaign, row.get("campaign")) if row.get("campaign") else None
        kind, start = row.get("kind", ""), row.get("start_date")
        counterpart = row.get("counterpart", "")
        if partner is not None and west is not None:
            key = (partner.pk, west.pk, counterpart, kind, start)
            what = _("The pairing of {partner} with {west} from {date}").format(
                partner=partner.name, west=west.code, date=start
            )
            c(self.seen.check, key, row.number, "partner", what)
            already = pairings_for(self.actor).filter(
                partner=partner, west=west, counterpart=counterpart, kind=kind, start_date=start
            )
            if already.exists():
                c.refuse("partner", _("{what} is already recorded.").format(what=what))
        c.done()
        return SocialPairingIn(
            kind=kind,
            partner=partner,
            west=west,
            start_date=start,
            end_date=row.get("end_date"),
            counterpart=counterpart,
            regional_pairing=regional,
            campaign=campaign,
            sector=row.get("sector", ""),
            committed_money=row.get("committed_money", Decimal("0.00")),
            committed_goods=row.get("committed_goods", ""),
            committed_goods_value=row.get("committed_goods_value", Decimal("0.00")),
            committed_jobs=row.get("committed_jobs", 0),
            committed_purchases=row.get("committed_purchases", Decimal("0.00")),
            note=row.get("note", ""),
        )


def social_pairing_writer(actor: Any) -> Callable[[SocialPairingIn], str]:
    def write(data: SocialPairingIn) -> str:
        with at("west"):
            social_pairing_create(actor=actor, data=data)
        return _("social pairings recorded")

    return write


# ---------------------------------------------------------------------------- secondments


def secondment_sheet() -> SheetSpec:
    return SheetSpec(
        name="人才支援",
        columns=(
            SheetColumn(
                "person", ("姓名", "person", "name"), convert_name, required=True, width=12
            ),
            SheetColumn(
                "field",
                ("类别", "field"),
                choice(options(SecondmentField, FIELD_ZH), str(_("field"))),
                required=True,
                width=12,
                note=listing(FIELD_ZH),
            ),
            SheetColumn(
                "direction",
                ("方向", "direction"),
                choice(options(Direction, DIRECTION_ZH), str(_("direction"))),
                required=True,
                width=12,
                note=listing(DIRECTION_ZH),
            ),
            *_pairing_columns(required=True),
            SheetColumn("home_unit", ("派出单位", "home unit"), convert_plain, width=24),
            SheetColumn(
                "posting_unit",
                ("派驻单位", "posting unit", "挂职单位"),
                convert_plain,
                required=True,
                width=24,
            ),
            SheetColumn(
                "posting_region",
                ("派驻地区代码", "posted to (code)", "posting region code"),
                convert_region,
                required=True,
                kind=REGION,
                width=16,
                note=gettext_lazy(
                    "The 12-digit code of where the person works: inside the pairing's western "
                    "side when posted east → west, its eastern side when west → east."
                ),
            ),
            SheetColumn("post", ("职务", "post"), convert_plain, width=14),
            date_column("start_date", ("开始日期", "start date", "from"), required=True),
            date_column("end_date", ("结束日期", "end date", "until")),
            SheetColumn(
                "status",
                ("状态", "status"),
                choice(options(SecondmentStatus, SECONDMENT_STATUS_ZH), str(_("status"))),
                width=8,
                note=listing(SECONDMENT_STATUS_ZH) + "; " + str(gettext_lazy("empty: planned.")),
            ),
            SheetColumn(
                "long_term",
                ("一年以上", "long term"),
                convert_bool,
                width=8,
                note=gettext_lazy("是 / 否 (posted for a year or more); empty: 是."),
            ),
            SheetColumn("note", ("备注", "note"), convert_plain, width=24),
        ),
        fields={"pairing": ("pairing_east", "pairing_west", "pairing_year")},
    )


class SecondmentRows:
    """A secondment per row; the same person under the same pairing from the same day twice,
    in the file or already recorded, is refused."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.find = Finder(actor)
        self.seen = Seen()

    def __call__(self, row: SheetRow) -> sec.SecondmentIn:
        c = RowChecks()
        pairing = c(self.find.district_pairing, row, required=True)
        posting = c(self.find.region, row.get("posting_region"), "posting_region")
        person, start = row.get("person", ""), row.get("start_date")
        if pairing is not None:
            what = _("The secondment of {person} from {date}").format(person=person, date=start)
            c(self.seen.check, (person, pairing.pk, start), row.number, "person", what)
            already = secondments_for(self.actor).filter(
                person=person, pairing=pairing, start_date=start
            )
            if already.exists():
                c.refuse("person", _("{what} is already recorded.").format(what=what))
        c.done()
        long_term = row.get("long_term")
        return sec.SecondmentIn(
            person=person,
            field=row.get("field", ""),
            direction=row.get("direction", ""),
            pairing=pairing,
            posting_unit=row.get("posting_unit", ""),
            posting_region=posting,
            start_date=start,
            end_date=row.get("end_date"),
            home_unit=row.get("home_unit", ""),
            post=row.get("post", ""),
            long_term=True if long_term is None else bool(long_term),
            note=row.get("note", ""),
            status=row.get("status", SecondmentStatus.PLANNED),
        )


def secondment_writer(actor: Any) -> Callable[[sec.SecondmentIn], str]:
    def write(data: sec.SecondmentIn) -> str:
        with at("pairing"):
            sec.secondment_create(actor=actor, data=data)
        return _("secondments recorded")

    return write


# ---------------------------------------------------------------------------- donations


def donation_writer(actor: Any) -> Callable[[donations.DonationIn], str]:
    """A ledger entry per row, through ``donations.donation_record`` (which checks the row
    again: ``donations.DonationRows`` ran the same checks)."""

    def write(data: donations.DonationIn) -> str:
        donations.donation_record(actor=actor, **data.kwargs())
        return _("ledger entries recorded")

    return write


# ---------------------------------------------------------------------------- the tables


def _staff(user: Any) -> bool:
    """Someone with a capture scope (village, township, county, office staff; administrators)."""
    return not scope_for(user, "capture").is_empty


def _staff_or_helper(user: Any) -> bool:
    return _staff(user) or helper_of(user) is not None


TABLES: dict[str, Table] = {
    table.key: table
    for table in (
        Table(
            "helpers",
            gettext_lazy("Helpers (帮扶责任人)"),
            helper_sheet,
            HelperRows,
            helper_writer,
            _staff,
            gettext_lazy("Name, unit, post, phone, origin, region code, visit interval."),
        ),
        Table(
            "assignments",
            gettext_lazy("Helper assignments (结对帮扶)"),
            assignment_sheet,
            AssignmentRows,
            assignment_writer,
            _staff,
            gettext_lazy(
                "Household number, helper, start date; a household that has a helper is "
                "reassigned (with the reason)."
            ),
        ),
        Table(
            "measures",
            gettext_lazy("Measures (帮扶措施)"),
            measure_sheet,
            MeasureRows,
            measure_writer,
            _staff_or_helper,
            gettext_lazy(
                "Household number, measure, amount, funder, dates, expected effect; planned or "
                "delivered."
            ),
        ),
        Table(
            "visits",
            gettext_lazy("Visits (走访记录)"),
            visit_sheet,
            VisitRows,
            visit_writer,
            _staff_or_helper,
            gettext_lazy("Household number, date, findings, helper, location (no photos)."),
        ),
        Table(
            "partners",
            gettext_lazy("Partners (帮扶主体)"),
            partner_sheet,
            PartnerRows,
            partner_writer,
            _staff,
            gettext_lazy("Name, kind, home region code, credit code, contact."),
        ),
        Table(
            "social-pairings",
            gettext_lazy("Social pairings (社会结对)"),
            social_pairing_sheet,
            SocialPairingRows,
            social_pairing_writer,
            _staff,
            gettext_lazy(
                "Kind, partner, western region, district pairing, campaign, dates, commitments."
            ),
        ),
        Table(
            "donations",
            gettext_lazy("Donations ledger (社会帮扶资金)"),
            donations.donation_sheet,
            donations.DonationRows,
            donation_writer,
            donations.may_record,
            gettext_lazy(
                "Pairing (or partner and western region) or campaign, pledged or received, "
                "money or goods, donor, amount, receipt number, date."
            ),
            denied=gettext_lazy(
                "Importing donations needs a pairing or campaign in your capture scope."
            ),
        ),
        Table(
            "secondments",
            gettext_lazy("Secondments (人才支援)"),
            secondment_sheet,
            SecondmentRows,
            secondment_writer,
            _staff,
            gettext_lazy(
                "Person, field, direction, district pairing, units, posting region, dates, status."
            ),
        ),
    )
}


def import_table(
    key: str, path: str | Path, *, name: str, actor: Any, dry_run: bool = False
) -> SheetResult:
    """Import ``path`` into the table ``key`` (one of ``TABLES``) as ``actor``."""
    return TABLES[key].run(path, name=name, actor=actor, dry_run=dry_run)
