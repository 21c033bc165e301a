"""Benefit-linking (联农带农): what projects and cooperatives bring households and villages,
recorded once and carried into the households' income records.

* ``benefit_pay``: the project pays households through the ledger — one payment entry from the
  project's account to its households' account, split per household into benefits whose
  amounts add up to the payment exactly; each household's benefit is a linked income of its
  income record for the year (wages → wage income, produce → business income, dividends and
  land rent → property income, a training allowance → transfer income), shown with its origin.
* ``benefit_record``: benefits not paid from the ledger (wages an enterprise pays, produce a
  company buys at a stated price, training) — recorded the same way, without an entry.
* ``payment_reverse``: the payment reversed in the ledger, its linked incomes taken back out.

A repeated submission (same idempotency key, same split) records nothing new; the same key
with another split is refused by the ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode, invalid
from bangfu.core.money import parse_figure, parse_yuan
from bangfu.projects import ledger
from bangfu.projects.models import (
    MECHANISM_INCOME,
    Account,
    Benefit,
    Cooperative,
    Entry,
    EntryKind,
    Mechanism,
    Project,
)
from bangfu.projects.selectors import REGISTERED_POOR_STATUSES
from bangfu.projects.services import (
    beneficiaries_account,
    check_year,
    project_account,
    record_action,
    require_project,
)
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.linked_income import LinkedIncomeIn, linked_income_add, linked_income_withdraw
from bangfu.registry.models import Household

T = TypeVar("T")
MAX_QUANTITY = Decimal("999999999999.99")  # Benefit.quantity: 14 digits, 2 of them decimals
MAX_PRICE = Decimal("9999999999.99")  # Benefit.unit_price: 12 digits


@dataclass(frozen=True)
class BenefitIn:
    """One household's (or, without one, a village's) benefit."""

    amount: Any
    household: Household | None = None
    village: Region | None = None
    quantity: Any = None
    unit: str = ""
    unit_price: Any = None
    note: str = ""


def origin_label(benefit: Benefit) -> str:
    """What a linked income shows as its origin: the project or cooperative (the income type
    beside it says what kind of income it was; no translated text is stored)."""
    return str(benefit.project or benefit.cooperative)


def origin_url(benefit: Benefit) -> str:
    if benefit.project_id:
        return reverse("projects-detail", args=[benefit.project_id])
    return reverse("projects-coop", args=[benefit.cooperative_id])


def origin_key(benefit: Benefit) -> str:
    return f"projects.benefit:{benefit.pk}"


def _in_row(row: int, check: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A check of one row of a batch, its refusal naming the row."""
    try:
        return check(*args, **kwargs)
    except BangfuError as refusal:
        refusal.message = _("Row {row}: {why}").format(row=row, why=refusal.message)
        raise


def _clean(
    rows: Sequence[BenefitIn], area: Region, mechanism: str, *, positive: bool
) -> list[BenefitIn]:
    """Each row checked: an amount in yuan, a household or village inside ``area``, produce
    with its quantity and price adding up to the amount."""
    if mechanism not in Mechanism.values:
        raise invalid(_("{value!r} is not a mechanism.").format(value=mechanism), "mechanism")
    if not rows:
        raise invalid(_("Name at least one household or village."), "households")
    inside = RegionScope.of([area.code])
    seen: set[int] = set()
    clean = []
    for number, row in enumerate(rows, start=1):
        amount = _in_row(number, parse_yuan, row.amount, field="amount", positive=positive)
        village = row.household.village if row.household else row.village
        if village is None:
            raise invalid(
                _("Row {row}: name the household or the village.").format(row=number), "household"
            )
        if not inside.covers(village.code):
            raise invalid(
                _("Row {row}: {village} is outside {area}.").format(
                    row=number, village=village.name_zh, area=area.name_zh
                ),
                "household",
            )
        if row.household is not None:
            if row.household.pk in seen:
                raise invalid(
                    _("Row {row}: household {number} is named twice.").format(
                        row=number, number=row.household.household_no
                    ),
                    "household",
                )
            seen.add(row.household.pk)
        quantity = _in_row(
            number, parse_figure, row.quantity, field="quantity", maximum=MAX_QUANTITY
        )
        price = _in_row(number, parse_figure, row.unit_price, field="unit_price", maximum=MAX_PRICE)
        if mechanism == Mechanism.PRODUCE:
            if quantity is None or price is None:
                raise invalid(
                    _("Row {row}: produce bought needs its quantity and unit price.").format(
                        row=number
                    ),
                    "quantity",
                )
            if (quantity * price).quantize(Decimal("0.01")) != amount:
                raise invalid(
                    _("Row {row}: {quantity} × {price} is {product}, not {amount}.").format(
                        row=number,
                        quantity=quantity,
                        price=price,
                        product=(quantity * price).quantize(Decimal("0.01")),
                        amount=amount,
                    ),
                    "amount",
                )
        clean.append(
            BenefitIn(
                amount, row.household, village, quantity, row.unit.strip()[:20], price, row.note
            )
        )
    return clean


def _split_fingerprint(mechanism: str, year: int, rows: Sequence[BenefitIn]) -> str:
    """What the payment's split is (households and amounts): part of its idempotency."""
    split = sorted(
        [getattr(r.household, "pk", None) or 0, getattr(r.village, "pk", 0), str(r.amount)]
        for r in rows
    )
    return hashlib.sha256(json.dumps([mechanism, year, split]).encode()).hexdigest()


def benefits_create(
    *,
    actor: Any,
    rows: Sequence[BenefitIn],
    year: int,
    mechanism: str,
    project: Project | None = None,
    cooperative: Cooperative | None = None,
    entry: Entry | None = None,
) -> list[Benefit]:
    """The benefits, and the linked incomes of those with a household and an amount."""
    benefits = [
        Benefit(
            project=project,
            cooperative=cooperative,
            household=row.household,
            village=row.village,
            year=year,
            mechanism=mechanism,
            amount=row.amount,
            quantity=row.quantity,
            unit=row.unit,
            unit_price=row.unit_price,
            registered_poor=bool(
                row.household and row.household.status in REGISTERED_POOR_STATUSES
            ),
            entry=entry,
            note=(row.note or "")[:300],
            recorded_by=actor,
        )
        for row in rows
    ]
    Benefit.objects.bulk_create(benefits, batch_size=2000)  # sets pk (SQLite ≥ 3.35, PG)
    _link_incomes(actor, benefits)
    return benefits


def _link_incomes(actor: Any, benefits: Sequence[Benefit]) -> None:
    origins: dict[tuple[int | None, int | None], tuple[str, str]] = {}  # one giver per call
    linked = []
    for b in benefits:
        if not (b.household_id and b.amount > 0):
            continue
        giver = (b.project_id, b.cooperative_id)
        if giver not in origins:
            origins[giver] = (origin_label(b), origin_url(b))
        label, url = origins[giver]
        linked.append(
            LinkedIncomeIn(
                household_id=b.household_id,
                year=b.year,
                income_type=MECHANISM_INCOME[Mechanism(b.mechanism)],
                amount=b.amount,
                origin=label,
                origin_key=origin_key(b),
                origin_url=url,
            )
        )
    linked_income_add(actor=actor, rows=linked)


@transaction.atomic
def benefit_pay(
    *,
    actor: Any,
    project: Project,
    source: Account,
    mechanism: str,
    year: int,
    rows: Sequence[BenefitIn],
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
    memo: str = "",
) -> Entry:
    """Pay households from the project's money of ``source``: one ledger payment, split into
    benefits that add up to it, each flowing into the household's income for ``year``."""
    require_project(actor, project)
    year = check_year(year)
    clean = _clean(rows, project.region, mechanism, positive=True)
    total_fen = sum(int(Decimal(row.amount) * 100) for row in clean)
    entry = ledger.ledger_post(
        actor=actor,
        kind=EntryKind.PAYMENT,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=idempotency_key,
        moves=[
            ledger.Move(project_account(project), beneficiaries_account(project), source, total_fen)
        ],
        memo=memo,
        detail=_split_fingerprint(mechanism, year, clean),
    )
    if entry.benefits.exists():  # the same payment submitted again
        return entry
    benefits_create(
        actor=actor, rows=clean, year=year, mechanism=mechanism, project=project, entry=entry
    )
    record_action(
        actor, project, _("paid {n} households ({voucher})").format(n=len(clean), voucher=voucher)
    )
    return entry


@transaction.atomic
def benefit_record(
    *, actor: Any, project: Project, mechanism: str, year: int, rows: Sequence[BenefitIn]
) -> list[Benefit]:
    """Benefits the project brought without a payment from the ledger (an enterprise's wages,
    produce bought by a company, training)."""
    require_project(actor, project)
    year = check_year(year)
    positive = mechanism != Mechanism.TRAINING  # training may bring no money
    clean = _clean(rows, project.region, mechanism, positive=positive)
    return benefits_create(actor=actor, rows=clean, year=year, mechanism=mechanism, project=project)


@transaction.atomic
def payment_reverse(
    *,
    actor: Any,
    entry: Entry,
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
    reason: str,
) -> Entry:
    """Reverse a project's payment to households: the ledger's reversal, and its linked
    incomes taken out of the households' income records. Only the project's staff may; other
    entries (a cooperative's dividend closes its year; contractors, awards, shares) are not
    reversed here."""
    benefits = list(entry.benefits.select_related("project"))
    projects = {b.project for b in benefits}
    giver = next(iter(projects)) if len(projects) == 1 else None
    if entry.kind != EntryKind.PAYMENT or giver is None:
        raise BangfuError(
            ErrorCode.LEDGER_REVERSAL_INVALID,
            _("Only a project's payment to households is reversed here."),
        )
    require_project(actor, giver)
    reversal = ledger.ledger_reverse(
        actor=actor,
        entry=entry,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=idempotency_key,
        reason=reason,
    )
    linked_income_withdraw(actor=actor, origin_keys=[origin_key(b) for b in benefits])
    return reversal
