"""The fund ledger: movements from source to use, refusals naming the field, idempotency,
closed months, reversals, append-only, ``bangfu ledger verify`` — and hypothesis runs of random
sequences of operations after which every invariant still holds."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.projects.ledger import Move, ledger_post, ledger_reverse, ledger_verify, month_close
from bangfu.projects.models import (
    Account,
    AccountKind,
    Entry,
    EntryKind,
    Posting,
    Project,
)
from bangfu.regions.models import Region

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 15)


@pytest.fixture
def books(users: dict[str, Any]) -> dict[str, Any]:
    project = Project.objects.create(
        code="nabing-tea",
        name="纳丙村茶叶精制厂",
        kind="industry",
        region=Region.objects.get(code="532822106207"),
        implementer="纳丙村合作社",
        year=2025,
    )
    made = {
        "external": Account.objects.create(code="external", name="外部", kind="external"),
        "aid": Account.objects.create(
            code="hudian-2025", name="沪滇合作资金2025", kind="source", fund_source="east_aid"
        ),
        "local": Account.objects.create(
            code="local-2025", name="县级财政2025", kind="source", fund_source="local_fiscal"
        ),
        "project": Account.objects.create(
            code="tea-county", name="项目（县）", kind="project", project=project
        ),
        "implementer": Account.objects.create(
            code="tea-coop", name="项目（合作社）", kind="project", project=project
        ),
        "contractor": Account.objects.create(code="builder", name="施工单位", kind="payee"),
    }
    return made | {"admin": users["admin"], "project_row": project}


def post(b: dict[str, Any], kind: str, frm: str, to: str, src: str, fen: int, key: str, **kw: Any):
    return ledger_post(
        actor=b["admin"],
        kind=kind,
        entry_date=kw.pop("day", DAY),
        voucher=kw.pop("voucher", f"V-{key}"),
        idempotency_key=key,
        moves=[Move(b[frm], b[to], b[src], fen)],
        **kw,
    )


def held(account: Account, source: Account) -> int:
    return sum(
        Posting.objects.filter(account=account, source=source).values_list("amount_fen", flat=True)
    )


def test_money_moves_from_source_to_use_and_stays_traceable(books):
    post(books, EntryKind.FUNDING, "external", "aid", "aid", 1_000_000_00, "f1")
    post(books, EntryKind.ALLOCATION, "aid", "project", "aid", 600_000_00, "a1")
    post(books, EntryKind.TRANSFER, "project", "implementer", "aid", 200_000_00, "t1")
    post(books, EntryKind.PAYMENT, "implementer", "contractor", "aid", 150_000_00, "p1")
    assert held(books["aid"], books["aid"]) == 400_000_00
    assert held(books["project"], books["aid"]) == 400_000_00
    assert held(books["implementer"], books["aid"]) == 50_000_00
    assert held(books["contractor"], books["aid"]) == 150_000_00  # reached its use, from 沪滇
    assert ledger_verify() == []


@pytest.mark.parametrize(
    ("kind", "frm", "to", "src", "fen", "field"),
    [
        (EntryKind.PAYMENT, "aid", "contractor", "aid", 100, "account"),  # source → payee
        (EntryKind.ALLOCATION, "project", "implementer", "aid", 100, "account"),
        (EntryKind.ALLOCATION, "aid", "project", "project", 100, "source"),
        (EntryKind.FUNDING, "external", "aid", "local", 100, "source"),
        (EntryKind.ALLOCATION, "aid", "project", "aid", 0, "amount"),
        (EntryKind.ALLOCATION, "aid", "project", "aid", -5, "amount"),
        (EntryKind.ALLOCATION, "aid", "project", "aid", 1.5, "amount"),
    ],
)
def test_bad_movements_are_refused_naming_the_field(books, kind, frm, to, src, fen, field):
    with pytest.raises(BangfuError) as refusal:
        post(books, kind, frm, to, src, fen, "bad")
    assert refusal.value.code == ErrorCode.LEDGER_MOVE_INVALID and refusal.value.field == field
    assert not Entry.objects.exists()


def test_no_account_pays_out_more_than_it_holds_of_a_source(books):
    post(books, EntryKind.FUNDING, "external", "aid", "aid", 10_000, "f1")
    post(books, EntryKind.FUNDING, "external", "local", "local", 10_000, "f2")
    post(books, EntryKind.ALLOCATION, "aid", "project", "aid", 6_000, "a1")
    with pytest.raises(BangfuError) as short:
        post(books, EntryKind.PAYMENT, "project", "contractor", "aid", 6_001, "p1")
    assert short.value.code == ErrorCode.LEDGER_INSUFFICIENT_FUNDS
    assert "6000" in short.value.message
    # The local funds are not in the project: its payment from them is refused too.
    with pytest.raises(BangfuError):
        post(books, EntryKind.PAYMENT, "project", "contractor", "local", 1, "p2")
    post(books, EntryKind.PAYMENT, "project", "contractor", "aid", 6_000, "p3")
    assert ledger_verify() == []


def test_a_repeated_submission_pays_once_and_a_reused_key_is_refused(books):
    post(books, EntryKind.FUNDING, "external", "aid", "aid", 10_000, "f1")
    first = post(books, EntryKind.ALLOCATION, "aid", "project", "aid", 4_000, "same")
    again = post(books, EntryKind.ALLOCATION, "aid", "project", "aid", 4_000, "same")
    assert again.pk == first.pk and Entry.objects.count() == 2
    assert held(books["project"], books["aid"]) == 4_000
    with pytest.raises(BangfuError) as reused:
        post(books, EntryKind.ALLOCATION, "aid", "project", "aid", 5_000, "same")
    assert reused.value.code == ErrorCode.LEDGER_IDEMPOTENCY_CONFLICT


def test_a_closed_month_takes_no_entry_and_corrections_are_reversals(books):
    post(books, EntryKind.FUNDING, "external", "aid", "aid", 10_000, "f1")
    wrong = post(books, EntryKind.ALLOCATION, "aid", "project", "aid", 7_000, "a1")
    month_close(actor=books["admin"], month="2025-03")
    with pytest.raises(BangfuError) as closed:
        post(books, EntryKind.ALLOCATION, "aid", "project", "aid", 1_000, "a2")
    assert closed.value.code == ErrorCode.LEDGER_MONTH_CLOSED
    assert closed.value.field == "entry_date"
    with pytest.raises(BangfuError):  # not even a reversal dated in it
        ledger_reverse(
            actor=books["admin"],
            entry=wrong,
            entry_date=DAY,
            voucher="R1",
            idempotency_key="r0",
            reason="金额有误",
        )
    april = dt.date(2025, 4, 2)
    reversal = ledger_reverse(
        actor=books["admin"],
        entry=wrong,
        entry_date=april,
        voucher="R1",
        idempotency_key="r1",
        reason="金额有误",
    )
    assert held(books["project"], books["aid"]) == 0
    assert reversal.reverses == wrong
    with pytest.raises(BangfuError) as twice:
        ledger_reverse(
            actor=books["admin"],
            entry=wrong,
            entry_date=april,
            voucher="R2",
            idempotency_key="r2",
            reason="x",
        )
    assert twice.value.code == ErrorCode.LEDGER_REVERSAL_INVALID
    with pytest.raises(BangfuError):
        ledger_reverse(
            actor=books["admin"],
            entry=reversal,
            entry_date=april,
            voucher="R3",
            idempotency_key="r3",
            reason="x",
        )
    assert ledger_verify() == []


def test_a_reversal_cannot_take_back_money_that_moved_on(books):
    post(books, EntryKind.FUNDING, "external", "aid", "aid", 10_000, "f1")
    allocation = post(books, EntryKind.ALLOCATION, "aid", "project", "aid", 5_000, "a1")
    post(books, EntryKind.PAYMENT, "project", "contractor", "aid", 5_000, "p1")
    with pytest.raises(BangfuError) as gone:
        ledger_reverse(
            actor=books["admin"],
            entry=allocation,
            entry_date=DAY,
            voucher="R",
            idempotency_key="r1",
            reason="x",
        )
    assert gone.value.code == ErrorCode.LEDGER_INSUFFICIENT_FUNDS


def test_only_administrators_close_months(books, users):
    with pytest.raises(BangfuError) as refused:
        month_close(actor=users["menghai-county"], month="2025-03")
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    with pytest.raises(BangfuError):
        month_close(actor=books["admin"], month="2025-13")


def test_entries_are_never_changed_or_deleted(books):
    entry = post(books, EntryKind.FUNDING, "external", "aid", "aid", 10_000, "f1")
    for attempt in (
        entry.save,
        entry.delete,
        lambda: Entry.objects.filter(pk=entry.pk).update(voucher="X"),
        lambda: Posting.objects.filter(entry=entry).delete(),
    ):
        with pytest.raises(BangfuError) as refusal, transaction.atomic():
            attempt()
        assert refusal.value.code == ErrorCode.LEDGER_APPEND_ONLY
    for sql in (
        "UPDATE projects_posting SET amount_fen = 1 WHERE entry_id = %s",
        "DELETE FROM projects_entry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="ledger_append_only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])


def test_verify_names_each_breach_and_the_command_fails(books):
    post(books, EntryKind.FUNDING, "external", "aid", "aid", 10_000, "f1")
    out = StringIO()
    call_command("ledger", "verify", stdout=out)
    assert "no breach" in out.getvalue()
    # Written past the services (as a faulty import or a hand edit could): unbalanced, and an
    # account overdrawn.
    bad = Entry.objects.create(
        kind=EntryKind.PAYMENT,
        entry_date=DAY,
        voucher="X",
        idempotency_key="x",
        fingerprint="x",
        actor=books["admin"],
    )
    Posting.objects.create(entry=bad, account=books["project"], source=books["aid"], amount_fen=-9)
    breaches = ledger_verify()
    assert any("add up to -9" in b for b in breaches)
    assert any("fewer than two" in b for b in breaches)
    assert any("tea-county holds -9 fen" in b for b in breaches)
    with pytest.raises(CommandError, match="breach"):
        call_command("ledger", "verify", stdout=StringIO())


# ---------------------------------------------------------------------------- properties

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["fund", "allocate", "transfer", "pay", "reverse", "repeat"]),
        st.sampled_from(["aid", "local"]),
        st.integers(min_value=1, max_value=50_000),
        st.integers(min_value=0, max_value=1_000),  # which earlier entry (reverse / repeat)
    ),
    min_size=1,
    max_size=25,
)
ROUTES = {
    "fund": (EntryKind.FUNDING, "external", None),
    "allocate": (EntryKind.ALLOCATION, None, "project"),
    "transfer": (EntryKind.TRANSFER, "project", "implementer"),
    "pay": (EntryKind.PAYMENT, "implementer", "contractor"),
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_random_operations_keep_every_invariant(books, operations):
    accepted: list[tuple[str, Any]] = []  # (key, the submission) of the entries recorded
    with transaction.atomic():
        sid = transaction.savepoint()
        for n, (op, src, fen, pick) in enumerate(operations):
            _apply(books, n, op, src, fen, pick, accepted)
        _check_invariants(books, accepted)
        transaction.savepoint_rollback(sid)


def _apply(books, n, op, src, fen, pick, accepted) -> None:
    entries = list(Entry.objects.order_by("pk"))
    try:
        if op == "reverse" and entries:
            target = entries[pick % len(entries)]
            ledger_reverse(
                actor=books["admin"],
                entry=target,
                entry_date=DAY,
                voucher=f"R{n}",
                idempotency_key=f"k{n}",
                reason="x",
            )
        elif op == "repeat" and accepted:
            key, submission = accepted[pick % len(accepted)]
            again = post(books, *submission, key)
            assert again.idempotency_key == key  # the same entry, not a second one
            return
        elif op in ROUTES:
            kind, frm, to = ROUTES[op]
            submission = (kind, frm or src, to or src, src, fen)
            post(books, *submission, f"k{n}")
            accepted.append((f"k{n}", submission))
    except BangfuError as refusal:
        assert refusal.code in (
            ErrorCode.LEDGER_INSUFFICIENT_FUNDS,
            ErrorCode.LEDGER_REVERSAL_INVALID,
        ), refusal


def _check_invariants(books, accepted) -> None:
    assert ledger_verify() == []
    balances: dict[tuple[int, int], int] = defaultdict(int)
    for account, source, amount in Posting.objects.values_list("account", "source", "amount_fen"):
        balances[(account, source)] += amount
    external = books["external"].pk
    assert all(v >= 0 for (a, _s), v in balances.items() if a != external)
    assert sum(balances.values()) == 0  # double entry: nothing created or lost
    keys = list(Entry.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))  # a repeated submission never recorded twice
    # Disbursed ≤ allocated: of each source, what reached payees never exceeds what left the
    # source for projects (allocations net of their reversals).
    for src in ("aid", "local"):
        source = books[src]
        reached = Posting.objects.filter(source=source)
        allocated = sum(
            reached.filter(account__kind__in=[AccountKind.PROJECT, AccountKind.PAYEE]).values_list(
                "amount_fen", flat=True
            )
        )
        paid = sum(
            reached.filter(account__kind=AccountKind.PAYEE).values_list("amount_fen", flat=True)
        )
        assert 0 <= paid <= allocated
