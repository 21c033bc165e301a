"""Linked income: what a household received through a record kept elsewhere (a project's
wages, a cooperative's dividend…), counted in the household's income record for the year.

The record's four income types hold what was entered for the year *plus* the linked incomes
of that type, so the engine, the monitoring rules and every report see one figure; the part
entered by hand is always ``total − linked`` (``entered_amounts``), which the income form shows
and ``income_record_save`` adds the linked part back to. A linked income whose year has no
income record yet waits for it (the household page lists it) and is added when the record is
entered. Withdrawing one (its payment reversed) takes it out again. Every change of an income
record is in its history, with the origin as the reason.

Higher apps call these functions; the registry never imports them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from bangfu.audit.models import AuditAction, AuditEntry
from bangfu.audit.services import audit_entry, snapshot
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.engine.income import IncomeInputs, income_figures
from bangfu.registry.models import Household, IncomeRecord, IncomeType, LinkedIncome

HouseholdYear = tuple[int, int]


@dataclass(frozen=True)
class LinkedIncomeIn:
    """One linked income to record: ``amount`` yuan of ``income_type`` for the household's
    ``year``, from the record named by ``origin_key`` (shown as ``origin``)."""

    household_id: int
    year: int
    income_type: str
    amount: Decimal
    origin: str
    origin_key: str
    origin_url: str = ""


def linked_by_type(keys: Iterable[HouseholdYear]) -> dict[HouseholdYear, dict[str, Decimal]]:
    """The linked incomes of each (household, year), summed by income type."""
    wanted = set(keys)
    totals: dict[HouseholdYear, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    if not wanted:
        return {}
    households = {h for h, _y in wanted}
    rows = LinkedIncome.objects.filter(household_id__in=households).values_list(
        "household_id", "year", "income_type", "amount"
    )
    for household_id, year, income_type, amount in rows.iterator(chunk_size=5000):
        if (household_id, year) in wanted:
            totals[(household_id, year)][income_type] += amount
    return {key: dict(by_type) for key, by_type in totals.items()}


def entered_amounts(record: IncomeRecord) -> dict[str, Decimal]:
    """The part of each income type entered by hand: the total less the linked incomes."""
    linked = linked_by_type([(record.household_id, record.year)]).get(
        (record.household_id, record.year), {}
    )
    return {t: getattr(record, t) - linked.get(t, Decimal(0)) for t in IncomeType.values}


def _check(row: LinkedIncomeIn) -> None:
    if row.income_type not in IncomeType.values:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("{value!r} is not an income type.").format(value=row.income_type),
            field="income_type",
        )
    if not row.amount.is_finite() or row.amount < 0 or row.amount != round(row.amount, 2):
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("A linked income is a whole number of fen, not below zero ({value}).").format(
                value=row.amount
            ),
            field="amount",
        )


def lock_households(household_ids: Iterable[int]) -> None:
    """Hold the households' rows until the transaction ends, in one order (no deadlock): every
    change of a household's income record — entered by hand, or a linked income added or
    withdrawn — takes this lock first, so none reads a total another is about to change (two
    payments to one household at once both count)."""
    ids = sorted(set(household_ids))
    list(Household.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))


@transaction.atomic
def linked_income_add(*, actor: Any, rows: Sequence[LinkedIncomeIn]) -> int:
    """Record linked incomes and add them to the income records of their years (those that
    exist). A row whose ``origin_key`` is recorded already is skipped (a repeated call adds
    nothing). Returns how many were recorded."""
    for row in rows:
        _check(row)
    lock_households(row.household_id for row in rows)
    keys = [row.origin_key for row in rows]
    known = set(
        LinkedIncome.objects.filter(origin_key__in=keys).values_list("origin_key", flat=True)
    )
    new = [row for row in rows if row.origin_key not in known]
    LinkedIncome.objects.bulk_create(
        LinkedIncome(
            household_id=row.household_id,
            year=row.year,
            income_type=row.income_type,
            amount=row.amount,
            origin=row.origin[:200],
            origin_key=row.origin_key,
            origin_url=row.origin_url[:200],
        )
        for row in new
    )
    _apply(actor, _deltas((row, 1) for row in new), _("linked income recorded"))
    return len(new)


@transaction.atomic
def linked_income_withdraw(*, actor: Any, origin_keys: Sequence[str]) -> int:
    """Take linked incomes out again (their payment reversed); returns how many."""
    lock_households(
        LinkedIncome.objects.filter(origin_key__in=origin_keys).values_list(
            "household_id", flat=True
        )
    )
    found = list(LinkedIncome.objects.filter(origin_key__in=origin_keys))
    rows = [
        LinkedIncomeIn(f.household_id, f.year, f.income_type, f.amount, f.origin, f.origin_key)
        for f in found
    ]
    LinkedIncome.objects.filter(pk__in=[f.pk for f in found]).delete()
    _apply(actor, _deltas((row, -1) for row in rows), _("linked income withdrawn"))
    return len(found)


def _deltas(
    signed: Iterable[tuple[LinkedIncomeIn, int]],
) -> dict[HouseholdYear, dict[str, Decimal]]:
    deltas: dict[HouseholdYear, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row, sign in signed:
        deltas[(row.household_id, row.year)][row.income_type] += sign * row.amount
    return deltas


def recompute(record: IncomeRecord) -> None:
    """The record's derived figures from its amounts (the registry's one formula)."""
    figures = income_figures(
        IncomeInputs(
            persons=record.persons,
            wage_income=record.wage_income,
            business_income=record.business_income,
            business_costs=record.business_costs,
            property_income=record.property_income,
            transfer_income=record.transfer_income,
            medical_spending=record.medical_spending,
            education_spending=record.education_spending,
            rehabilitation_spending=record.rehabilitation_spending,
            disaster_spending=record.disaster_spending,
        )
    )
    record.net_income, record.net_income_pc = figures.net_income, figures.net_income_pc
    record.net_income_pc_after_rigid = figures.net_income_pc_after_rigid


_DERIVED = ("net_income", "net_income_pc", "net_income_pc_after_rigid")


def _apply(actor: Any, deltas: dict[HouseholdYear, dict[str, Decimal]], reason: str) -> None:
    """Add ``deltas`` to the existing income records, in bulk, each change in its history."""
    if not deltas:
        return
    households, years = {h for h, _y in deltas}, {y for _h, y in deltas}
    found = IncomeRecord.objects.filter(household_id__in=households, year__in=years)
    records = [r for r in found if (r.household_id, r.year) in deltas]
    history = []
    for record in records:
        before = snapshot(record)
        for income_type, delta in deltas[(record.household_id, record.year)].items():
            setattr(record, income_type, getattr(record, income_type) + delta)
        recompute(record)
        history.append(
            audit_entry(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=record,
                before=before,
                after=snapshot(record),
                reason=reason,
            )
        )
    _write(IncomeRecord, records, [*IncomeType.values, *_DERIVED])
    AuditEntry.objects.bulk_create(history, batch_size=2000)
    _refresh_latest(records)


def _refresh_latest(records: list[IncomeRecord]) -> None:
    """Keep the household's latest income per person (for lists) in step."""
    by_key = {(r.household_id, r.year): r for r in records}
    households = Household.objects.filter(pk__in={h for h, _y in by_key})
    changed = []
    for household in households.only("pk", "latest_income_year"):
        record = by_key.get((household.pk, household.latest_income_year or 0))
        if record is not None:
            household.latest_net_income_pc = record.net_income_pc
            changed.append(household)
    _write(Household, changed, ["latest_net_income_pc"])


def _write(model: Any, rows: Sequence[Any], fields: list[str]) -> None:
    """UPDATE each row's ``fields`` by its key in one executemany: Django's ``bulk_update``
    builds a CASE per field and row, which took ~2 ms a row (a payment to thousands of
    households)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name).column for name in fields]
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608 (names from the model)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[getattr(row, f) for f in fields] + [row.pk] for row in rows])
