"""Properties of the donations ledger over random sequences of record and reverse operations:

* the totals (by the database) always equal the sums of the entries computed here in Python
  with ``Decimal`` — overall, per pairing, per campaign and under any filter;
* an entry and its reversal sum to zero, and neither a reversal nor a reversed entry can be
  reversed again;
* no entry can be changed or deleted: not by the model, not by a QuerySet, not through the
  base manager that bypasses the model's guard, not by raw SQL through ``django.db.connection``
  (the database's triggers refuse it — on SQLite as on PostgreSQL: this module runs on both).

Each example runs in a savepoint that is rolled back, so examples do not see each other's
entries (the ledger cannot be emptied otherwise: that is the point).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bangfu.accounts.models import User
from bangfu.assistance import donations
from bangfu.assistance.models import (
    Campaign,
    DonationEntry,
    DonationForm,
    DonationKind,
    DonorType,
    Partner,
    PartnerKind,
    SocialPairing,
    SocialPairingKind,
)
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Region

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIRST_DAY = dt.date(2023, 1, 1)
TABLE = DonationEntry._meta.db_table

# Small amounts and amounts at the top of the column, so that exactness is tested where a
# binary float would drift (SQLite keeps decimals as floats).
AMOUNTS = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2),
    st.decimals(min_value=Decimal("0.01"), max_value=donations.MAX_AMOUNT, places=2),
    st.sampled_from([Decimal("0.01"), Decimal("0.1"), Decimal("0.2"), donations.MAX_AMOUNT]),
)
RECORD = st.tuples(
    st.just("record"),
    st.integers(min_value=0, max_value=3),  # where: 3 pairings, or the campaign alone
    st.sampled_from(DonationKind.values),
    st.sampled_from(DonationForm.values),
    st.sampled_from(DonorType.values),
    AMOUNTS,
    st.integers(min_value=0, max_value=400),  # days after FIRST_DAY
)
REVERSE = st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50))
OPERATIONS = st.lists(st.one_of(RECORD, RECORD, REVERSE), min_size=1, max_size=14)


@dataclass
class World:
    admin: Any
    pairings: list[SocialPairing]
    campaign: Campaign


def make_world() -> World:
    """Two pairings outside any campaign and one in Fengxian's campaign, for entries."""
    songjiang = Region.objects.get(code="310117000000")
    fengxian = Region.objects.get(code="310120000000")
    nabing = Region.objects.get(code="532822106207")
    fenggang = Region.objects.get(code="520327000000")
    sj = Partner.objects.create(name="性质测试松江", kind=PartnerKind.ENTERPRISE, region=songjiang)
    fx = Partner.objects.create(name="性质测试奉贤", kind=PartnerKind.ENTERPRISE, region=fengxian)
    campaign = Campaign.objects.create(
        code="prop-campaign", name="性质测试活动", district=fengxian, start_year=2017
    )
    kind, start = SocialPairingKind.ENTERPRISE_VILLAGE, dt.date(2018, 1, 1)
    pairings = [
        SocialPairing.objects.create(kind=kind, partner=sj, west=nabing, start_date=start),
        SocialPairing.objects.create(kind=kind, partner=sj, west=fenggang, start_date=start),
        SocialPairing.objects.create(
            kind=kind, partner=fx, west=fenggang, campaign=campaign, start_date=start
        ),
    ]
    return World(User.objects.get(username="admin"), pairings, campaign)


@dataclass
class Line:
    """What the test itself knows of an entry it wrote."""

    pk: int
    pairing: int | None
    campaign: int | None
    kind: str
    form: str
    donor_type: str
    amount: Decimal
    day: dt.date
    reverses: int | None = None
    reversed_by: int | None = None


def run(world: World, operations: list[tuple[Any, ...]]) -> list[Line]:
    """Apply the operations through the services; a reverse of a reversal or of an entry
    already reversed must be refused with DONATION_REVERSAL_INVALID and change nothing."""
    lines: list[Line] = []
    for number, op in enumerate(operations):
        if op[0] == "record":
            _op, where, kind, form, donor_type, amount, days = op
            pairing = world.pairings[where] if where < 3 else None
            entry = donations.donation_record(
                actor=world.admin,
                pairing=pairing,
                campaign=None if pairing else world.campaign,
                kind=kind,
                form=form,
                donor_name=f"捐赠方{number}",
                donor_type=donor_type,
                amount=amount,
                goods="物资" if form == DonationForm.GOODS else "",
                receipt_no=f"P-{number}" if kind == DonationKind.RECEIPT else "",
                entry_date=FIRST_DAY + dt.timedelta(days=days),
            )
            campaign = pairing.campaign_id if pairing else world.campaign.pk
            lines.append(
                Line(
                    entry.pk,
                    pairing.pk if pairing else None,
                    campaign,
                    kind,
                    form,
                    donor_type,
                    amount,
                    entry.entry_date,
                )
            )
            continue
        if not lines:
            continue
        target = lines[op[1] % len(lines)]
        before = DonationEntry.objects.count()
        if target.reverses is not None or target.reversed_by is not None:
            with pytest.raises(BangfuError) as caught:
                donations.donation_reverse(actor=world.admin, pk=target.pk, reason="再次冲销")
            assert caught.value.code == ErrorCode.DONATION_REVERSAL_INVALID
            assert DonationEntry.objects.count() == before
            continue
        reversal = donations.donation_reverse(actor=world.admin, pk=target.pk, reason="冲销")
        target.reversed_by = reversal.pk
        lines.append(
            Line(
                reversal.pk,
                target.pairing,
                target.campaign,
                target.kind,
                target.form,
                target.donor_type,
                -target.amount,
                target.day,
                reverses=target.pk,
            )
        )
    return lines


def expected(lines: list[Line]) -> dict[str, Any]:
    """The totals, computed here from what was written, in Python with Decimal."""
    zero = Decimal("0.00")
    cell: dict[tuple[str, str, str], Decimal] = defaultdict(lambda: zero)
    for line in lines:
        cell[(line.kind, line.form, line.donor_type)] += line.amount

    def figures(types: list[str]) -> dict[str, Decimal]:
        def total(kind: str, form: str) -> Decimal:
            return sum((cell[(kind, form, t)] for t in types), zero)

        pm, pg = total("pledge", "money"), total("pledge", "goods")
        rm, rg = total("receipt", "money"), total("receipt", "goods")
        return {
            "pledged": pm + pg,
            "received": rm + rg,
            "pledged_money": pm,
            "pledged_goods": pg,
            "received_money": rm,
            "received_goods": rg,
        }

    return {
        "entries": len(lines),
        **figures(DonorType.values),
        "by_donor_type": {t: figures([t]) for t in DonorType.values},
    }


def in_savepoint(body: Any) -> None:
    """Run ``body`` in a savepoint that is always rolled back."""
    with transaction.atomic():
        body()
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------- totals


def test_totals_always_equal_the_sum_of_the_entries(db: Any) -> None:
    @PROPERTY
    @given(operations=OPERATIONS)
    def check(operations: list[tuple[Any, ...]]) -> None:
        def body() -> None:
            world = make_world()
            lines = run(world, operations)
            ours = DonationEntry.objects.filter(pk__in=[line.pk for line in lines])
            assert donations.donation_totals(ours) == expected(lines)
            # The database agrees with what was written, amount by amount.
            stored = dict(ours.values_list("pk", "amount"))
            assert stored == {line.pk: line.amount for line in lines}
            by_pairing = donations.totals_by_pairing(ours)
            pairings = {line.pairing for line in lines if line.pairing is not None}
            assert set(by_pairing) == pairings
            for pk in pairings:
                assert by_pairing[pk] == expected([x for x in lines if x.pairing == pk])
            by_campaign = donations.totals_by_campaign(ours)
            campaigns = {line.campaign for line in lines if line.campaign is not None}
            assert set(by_campaign) == campaigns
            for pk in campaigns:
                assert by_campaign[pk] == expected([x for x in lines if x.campaign == pk])

        in_savepoint(body)

    check()


FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(DonationKind.values),
        "form": st.sampled_from(DonationForm.values),
        "donor_type": st.sampled_from(DonorType.values),
        "date_from": st.integers(0, 400).map(lambda d: FIRST_DAY + dt.timedelta(days=d)),
        "date_to": st.integers(0, 400).map(lambda d: FIRST_DAY + dt.timedelta(days=d)),
        "pairing": st.integers(0, 2),
    },
)


def test_totals_of_any_filter_equal_the_sum_of_its_entries(db: Any) -> None:
    @PROPERTY
    @given(operations=OPERATIONS, chosen=FILTERS)
    def check(operations: list[tuple[Any, ...]], chosen: dict[str, Any]) -> None:
        def body() -> None:
            world = make_world()
            lines = run(world, operations)
            wanted = dict(chosen)
            if "pairing" in wanted:
                wanted["pairing"] = world.pairings[wanted["pairing"]].pk
            listed = donations.donation_list(
                user=world.admin, filters=donations.DonationFilter(**wanted)
            ).filter(pk__in=[line.pk for line in lines])

            def kept(line: Line) -> bool:
                return (
                    line.kind == wanted.get("kind", line.kind)
                    and line.form == wanted.get("form", line.form)
                    and line.donor_type == wanted.get("donor_type", line.donor_type)
                    and line.day >= wanted.get("date_from", line.day)
                    and line.day <= wanted.get("date_to", line.day)
                    and line.pairing == wanted.get("pairing", line.pairing)
                )

            mine = [line for line in lines if kept(line)]
            assert sorted(listed.values_list("pk", flat=True)) == sorted(x.pk for x in mine)
            assert donations.donation_totals(listed) == expected(mine)

        in_savepoint(body)

    check()


def test_an_entry_and_its_reversal_sum_to_zero(db: Any) -> None:
    @PROPERTY
    @given(operations=OPERATIONS)
    def check(operations: list[tuple[Any, ...]]) -> None:
        def body() -> None:
            world = make_world()
            lines = run(world, operations)
            for line in lines:
                if line.reverses is None:
                    continue
                pair = DonationEntry.objects.filter(pk__in=[line.pk, line.reverses])
                totals = donations.donation_totals(pair)
                assert all(totals[name] == 0 for name in donations.FIGURES)
                original = DonationEntry.objects.get(pk=line.reverses)
                reversal = DonationEntry.objects.get(pk=line.pk)
                assert original.amount + reversal.amount == 0
                assert reversal.reverses_id == original.pk and reversal.amount < 0
                assert (reversal.entry_date, reversal.kind, reversal.form) == (
                    original.entry_date,
                    original.kind,
                    original.form,
                )
            # Every entry stands, or nets to zero with exactly one reversal.
            ours = DonationEntry.objects.filter(pk__in=[line.pk for line in lines])
            reversed_ids = list(
                ours.filter(reverses__isnull=False).values_list("reverses", flat=True)
            )
            assert len(reversed_ids) == len(set(reversed_ids))
            standing = ours.filter(reverses__isnull=True).exclude(pk__in=reversed_ids)
            assert donations.donation_totals(ours) == donations.donation_totals(standing) | {
                "entries": ours.count()
            }

        in_savepoint(body)

    check()


# ---------------------------------------------------------------------------- append-only

COLUMNS = st.sampled_from(
    [
        ("amount", "12.34"),
        ("amount", "999999999999.99"),
        ("donor_name", "篡改"),
        ("donor_type", "other"),
        ("kind", "pledge"),
        ("form", "goods"),
        ("receipt_no", "FORGED"),
        ("note", "forged"),
        ("entry_date", "2020-01-01"),
        ("reverses_id", None),
        ("campaign_id", None),
    ]
)


def _row(pk: int) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TABLE} WHERE id = %s", [pk])
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def _refused_by_the_database(sql: str, params: list[Any]) -> None:
    with (
        pytest.raises(DatabaseError, match="ledger_append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_no_entry_can_be_changed_or_deleted(db: Any) -> None:
    @PROPERTY
    @given(operations=OPERATIONS, pick=st.integers(0, 50), change=COLUMNS)
    def check(operations: list[tuple[Any, ...]], pick: int, change: tuple[str, Any]) -> None:
        def body() -> None:
            world = make_world()
            lines = run(world, operations)
            if not lines:
                return
            pk = lines[pick % len(lines)].pk
            before = {line.pk: _row(line.pk) for line in lines}
            count = DonationEntry.objects.count()
            column, value = change
            entry = DonationEntry.objects.get(pk=pk)
            # The model and its QuerySet refuse.
            setattr(entry, column, value)
            for attempt in (
                entry.save,
                entry.delete,
                lambda: DonationEntry.objects.filter(pk=pk).update(**{column: value}),
                lambda: DonationEntry.objects.filter(pk=pk).delete(),
                lambda: DonationEntry.objects.all().delete(),
                lambda: DonationEntry.objects.bulk_update([entry], [column.removesuffix("_id")]),
            ):
                # (each in its savepoint: bulk_update's own atomic block marks the enclosing
                # one for rollback when the update inside it raises)
                with pytest.raises(BangfuError) as refusal, transaction.atomic():
                    attempt()
                assert refusal.value.code == ErrorCode.LEDGER_APPEND_ONLY
            # Past the model's guard, the database refuses: the base manager, raw SQL.
            with pytest.raises(DatabaseError, match="ledger_append_only"), transaction.atomic():
                DonationEntry._base_manager.filter(pk=pk).update(**{column: value})
            _refused_by_the_database(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, pk])
            _refused_by_the_database(f"UPDATE {TABLE} SET note = %s", ["forged"])
            _refused_by_the_database(f"DELETE FROM {TABLE} WHERE id = %s", [pk])
            _refused_by_the_database(f"DELETE FROM {TABLE}", [])
            assert DonationEntry.objects.count() == count
            assert {line.pk: _row(line.pk) for line in lines} == before

        in_savepoint(body)

    check()


@pytest.mark.postgres
def test_truncate_of_the_ledger_is_refused(db: Any) -> None:
    with (
        pytest.raises(DatabaseError, match="ledger_append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"TRUNCATE {TABLE}")
