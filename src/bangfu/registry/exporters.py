"""Household exports: any filtered household list as .xlsx or .csv, one row per person (the
Bangfu template's columns, so an export imports again) or one row per household, and the
national 26-column layout (one row per person).

* Scoped and filtered by ``selectors.household_list`` — an export shows what the list shows.
* ID numbers and bank accounts are masked unless an unmasked export is asked for *and* the
  user may see them for that household (``accounts.scopes.can_see_personal_data``); every
  unmasked export is written to the access log (kind EXPORT) with the members it revealed.
* ID numbers, household numbers and other codes are always text: in .xlsx as text cells, in
  .csv behind a tab, which Excel keeps as text (the importers strip it again).
* Streamed: households are read ``chunk_size`` at a time with their members prefetched, and
  rows are written as they come (xlsxwriter's constant-memory mode), so a million rows take no
  more memory than a thousand.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from bangfu.accounts.models import Role
from bangfu.accounts.scopes import PERSONAL_DATA_ROLES, can_see_personal_data
from bangfu.audit.models import AccessKind
from bangfu.audit.services import access_record
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.protect import decrypt_text
from bangfu.core.spreadsheets import Column, write_xlsx
from bangfu.registry.codelists import code_list
from bangfu.registry.importers import (
    BANGFU,
    BOOL,
    CAUSES,
    CODE,
    DATE,
    EXIT_STATUS,
    EXIT_STATUS_OF,
    ID,
    IDENT,
    INT,
    KEY,
    MONEY,
    NATIONAL,
    PHONE,
    STATUS,
    STATUS_LABELS_ZH,
    Col,
    Layout,
)
from bangfu.registry.models import GuaranteeAssessment, Household, Member
from bangfu.registry.selectors import HouseholdFilter, household_list
from bangfu.registry.services import own_figures

FORMATS = ("xlsx", "csv", "national")
TEXT_KINDS = frozenset({ID, KEY, IDENT, PHONE})  # long digit strings Excel would mangle
SEX_ZH = {"M": "男", "F": "女"}


def export_households(
    *,
    user: Any,
    target: str | os.PathLike[str] | IO[bytes],
    fmt: str = "xlsx",
    filters: HouseholdFilter | None = None,
    unmasked: bool = False,
    rows: str = "persons",
    purpose: str = "",
    chunk_size: int = 2000,
) -> int:
    """Write the households ``user`` may see (``filters`` applied) to ``target``; return the
    number of rows written. ``fmt`` is "xlsx", "csv" or "national" (the national layout, as
    .csv when ``target`` is a path ending in .csv, else .xlsx). ``rows`` is "persons" or
    "households" (not for the national layout, which is one row per person)."""
    if fmt not in FORMATS:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("Unknown export format {fmt!r}; use xlsx, csv or national.").format(fmt=fmt),
        )
    if rows not in {"persons", "households"}:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("Rows are per person or per household, not {rows!r}.").format(rows=rows),
        )
    if unmasked and not _may_unmask(user):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Your role may export masked ID numbers only."),
        )
    layout = NATIONAL if fmt == "national" else BANGFU
    per_household = rows == "households" and fmt != "national"
    columns = HOUSEHOLD_COLUMNS if per_household else list(layout.columns)
    writer = _Rows(user, layout, unmasked=unmasked, purpose=purpose)
    households = _households(user, filters, national=fmt == "national", chunk_size=chunk_size)
    lines = writer.households(households) if per_household else writer.persons(households)
    as_csv = fmt == "csv" or (
        fmt == "national"
        and isinstance(target, str | os.PathLike)
        and str(target).lower().endswith(".csv")
    )
    try:
        if as_csv:
            return _write_csv(target, columns, lines)
        return write_xlsx(
            str(target) if isinstance(target, str | os.PathLike) else target,
            sheet=_("households") if per_household else layout.label,
            columns=[Column(c.header, c.width, text=c.kind not in {INT, MONEY}) for c in columns],
            rows=lines,
        )
    finally:
        writer.flush_log()


def _may_unmask(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.role in PERSONAL_DATA_ROLES or user.role == Role.ADMIN)


def _households(
    user: Any, filters: HouseholdFilter | None, *, national: bool, chunk_size: int
) -> Iterator[Household]:
    qs = (
        household_list(user=user, filters=filters)
        .select_related("village__parent__parent", "natural_village")
        .prefetch_related(Prefetch("members", queryset=Member.objects.order_by("id")))
    )
    if national:
        qs = qs.prefetch_related(
            Prefetch("guarantees", queryset=GuaranteeAssessment.objects.order_by("-year"))
        )
    return qs.iterator(chunk_size=chunk_size)


# Columns of the one-row-per-household list.
HOUSEHOLD_COLUMNS = [
    *[c for c in BANGFU.columns if c.key in {"county", "township", "village", "natural_village"}],
    BANGFU.col("household_no"),
    Col("head_name", "户主姓名", "name", "household", width=10),
    Col("head_id", "户主证件号码", ID, "household", width=21),
    Col("size", "人数", INT, "household", width=6),
    *[
        c
        for c in BANGFU.columns
        if c.level == "household"
        and c.key not in {"county", "township", "village", "natural_village", "household_no"}
    ],
    Col("latest_income", "最新人均纯收入", MONEY, "household", width=12),
    Col("guarantee_problems", "未达标保障项", INT, "household", width=10),
]


class _Rows:
    """The cells of each row, masked or not, and the access log of what was shown in clear."""

    LOG_EVERY = 5000  # members per access-log entry

    def __init__(self, user: Any, layout: Layout, *, unmasked: bool, purpose: str) -> None:
        self.user = user
        self.layout = layout
        self.unmasked = unmasked
        self.purpose = purpose or _("export")
        self.revealed: list[int] = []
        self.labels: dict[tuple[str, str], str] = {}
        self.household_columns = [c for c in layout.columns if c.level == "household"]

    # -- the access log

    def reveal(self, household: Household) -> bool:
        return self.unmasked and can_see_personal_data(self.user, household.village.code)

    def logged(self, members: Sequence[Member]) -> None:
        self.revealed.extend(m.pk for m in members)
        if len(self.revealed) >= self.LOG_EVERY:
            self.flush_log()

    def flush_log(self) -> None:
        if self.revealed:
            access_record(
                actor=self.user,
                kind=AccessKind.EXPORT,
                model=Member,
                object_ids=self.revealed,
                fields=["id_number", "bank_account"],
                purpose=self.purpose,
            )
            self.revealed = []

    # -- rows

    def persons(self, households: Iterator[Household]) -> Iterator[list[Any]]:
        for household in households:
            members = list(household.members.all())
            clear = self.reveal(household)
            if clear:
                self.logged(members)
            common = self._household_cells(household, clear)
            for member in members:
                yield [
                    self._person_cell(col, household, member, common, clear)
                    for col in self.layout.columns
                ]

    def households(self, households: Iterator[Household]) -> Iterator[list[Any]]:
        for household in households:
            members = list(household.members.all())
            head = next((m for m in members if m.relation == "head"), None)
            clear = self.reveal(household)
            if clear and head is not None:
                self.logged([head])
            common = self._household_cells(household, clear)
            cells: list[Any] = []
            for col in HOUSEHOLD_COLUMNS:
                if col.key == "head_name":
                    cells.append(household.head_name)
                elif col.key == "head_id":
                    cells.append(self._id_number(head, clear) if head else "")
                elif col.key == "size":
                    cells.append(household.size)
                elif col.key == "latest_income":
                    cells.append(household.latest_net_income_pc)
                elif col.key == "guarantee_problems":
                    cells.append(household.open_guarantee_problems)
                else:
                    cells.append(common.get(col.key, ""))
            yield cells

    def _household_cells(self, household: Household, clear: bool) -> dict[str, Any]:
        village = household.village
        township = village.parent
        county = township.parent if township else None
        natural = household.natural_village
        cells: dict[str, Any] = {
            "county": county.name_zh if county else "",
            "township": township.name_zh if township else "",
            "village": village.name_zh,
            "natural_village": natural.name_zh if natural else "",
            "household_no": household.household_no,
        }
        for col in self.household_columns:
            if col.key not in cells:
                cells[col.key] = self._household_value(col, household, clear)
        return cells

    def _household_value(self, col: Col, household: Household, clear: bool) -> Any:
        key = col.key
        if key == "size":
            return household.size
        if key == "exit_status":
            exit_code = EXIT_STATUS_OF.get(household.status, "")
            return self._label("exit_status", exit_code) if exit_code else ""
        if key == "status":
            return STATUS_LABELS_ZH.get(household.status, household.status)
        if key == "household_phone":
            return household.phone
        if key == "bank_account":
            if not household.bank_account_enc:
                return ""
            if clear:
                return decrypt_text(household.bank_account_enc)
            return "*" * 12 + household.bank_account_last4
        if key in {"dangerous_house", "water_safe", "water_difficult", "net_income_pc"}:
            # Bangfu's own figures, never what an imported file reported (reported_*)
            assert col.target is not None
            value = own_figures(household, _latest_guarantee(household))[col.target]
            if value is None:
                return ""
            return value if key == "net_income_pc" else _yes_no(value)
        if col.target is None:
            return ""
        value = getattr(household, col.target)
        if col.kind == CODE:
            return self._label(col.code_list, value)
        if col.kind == CAUSES:
            return "、".join(self._label(col.code_list, c) for c in value or [])
        if col.kind == BOOL:
            return _yes_no(value)
        if col.kind == DATE:
            return value.isoformat() if value else ""
        if col.kind == INT:
            return value if value is not None else ""
        if col.kind == STATUS:
            return STATUS_LABELS_ZH.get(value, value)
        if col.kind == EXIT_STATUS:
            return ""
        return value if value is not None else ""

    def _person_cell(
        self, col: Col, household: Household, member: Member, common: dict[str, Any], clear: bool
    ) -> Any:
        if col.level == "household":
            if col.key == "size":  # 人数 goes on the head's row
                return household.size if member.relation == "head" else ""
            return common.get(col.key, "")
        if col.key == "id_number":
            return self._id_number(member, clear)
        if col.key == "sex":
            return SEX_ZH.get(member.sex, member.sex)
        if col.key == "birth_date":
            return member.birth_date.isoformat() if member.birth_date else ""
        assert col.target is not None
        value = getattr(member, col.target)
        if col.kind == CODE:
            return self._label(col.code_list, value)
        if col.kind == BOOL:
            return _yes_no(value)
        return value

    def _id_number(self, member: Member, clear: bool) -> str:
        return decrypt_text(member.id_number_enc) if clear else member.id_number_masked

    def _label(self, list_name: str, code: str) -> str:
        """The Chinese label of a code (exports are read by the national system's users)."""
        if not code:
            return ""
        key = (list_name, code)
        if key not in self.labels:
            items = code_list(list_name).items
            self.labels[key] = next((i.label_zh for i in items if i.code == code), code)
        return self.labels[key]


def _latest_guarantee(household: Household) -> GuaranteeAssessment | None:
    assessments = list(household.guarantees.all())
    return assessments[0] if assessments else None


def _yes_no(value: object) -> str:
    return "是" if value else "否"


def _write_csv(
    target: str | os.PathLike[str] | IO[bytes], columns: Sequence[Col], rows: Iterator[list[Any]]
) -> int:
    """UTF-8 with BOM (Excel then reads Chinese right); long numbers behind a tab (text)."""
    if isinstance(target, str | os.PathLike):
        with Path(target).open("wb") as raw:
            return _write_csv(raw, columns, rows)
    texts = [c.kind in TEXT_KINDS for c in columns]
    count = 0
    stream = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    writer = csv.writer(stream)
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(v, t) for v, t in zip(row, texts, strict=True)])
        count += 1
    stream.flush()
    stream.detach()  # the caller's stream stays open
    return count


def _csv_cell(value: Any, text: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    shown = str(value)
    return "\t" + shown if text and shown else shown
