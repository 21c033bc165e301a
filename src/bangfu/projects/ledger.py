"""Writes of the fund ledger, and its verification (see ``models`` for the bookkeeping).

``ledger_post`` records one movement — money moved from one account to another, of one fund
source — checking, in one transaction, with the accounts it takes money from locked:

* the direction fits the kind: funding external → source (of itself), allocation source →
  project, transfer and disbursement project → project, payment project → payee;
* amounts are whole fen above zero;
* the entry's month is open;
* no account (but the external one) holds less than nothing of any source afterwards — which
  also keeps every project's payments within what was allocated to it;
* the idempotency key: a repeated submission (same key, same movement) returns the entry
  already recorded instead of a second one — also when two arrive at the same moment (the
  unique index decides, the loser reads the winner's entry); the same key with a different
  movement is refused.

``ledger_reverse`` records the opposite postings in an open month; ``month_close`` closes a
month for good. ``ledger_verify`` replays the whole ledger and names every breach of the
invariants (``bangfu ledger verify``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from bangfu.accounts.models import Role
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.money import sum_fen
from bangfu.projects.models import (
    Account,
    AccountKind,
    Benefit,
    ClosedMonth,
    Entry,
    EntryKind,
    FundSource,
    Posting,
    ShareCapital,
)

MAX_VOUCHER = 60  # Entry.voucher

# The accounts each kind of movement goes from and to.
DIRECTIONS: dict[str, tuple[str, str]] = {
    EntryKind.FUNDING: (AccountKind.EXTERNAL, AccountKind.SOURCE),
    EntryKind.ALLOCATION: (AccountKind.SOURCE, AccountKind.PROJECT),
    EntryKind.TRANSFER: (AccountKind.PROJECT, AccountKind.PROJECT),
    EntryKind.DISBURSEMENT: (AccountKind.PROJECT, AccountKind.PROJECT),
    EntryKind.PAYMENT: (AccountKind.PROJECT, AccountKind.PAYEE),
    # A cooperative's dividend: its declared profit (a source) to its members' account.
    EntryKind.DIVIDEND: (AccountKind.SOURCE, AccountKind.PAYEE),
}


@dataclass(frozen=True)
class Move:
    """``amount_fen`` of ``source``'s money from one account to another."""

    from_account: Account
    to_account: Account
    source: Account
    amount_fen: int


def _refuse(code: ErrorCode, message: str, field: str | None = None) -> BangfuError:
    return BangfuError(code, message, field=field)


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _check_month_open(day: dt.date) -> None:
    if ClosedMonth.objects.filter(month=month_of(day)).exists():
        raise _refuse(
            ErrorCode.LEDGER_MONTH_CLOSED,
            _("{month} is closed: date the entry (or its reversal) in an open month.").format(
                month=month_of(day)
            ),
            "entry_date",
        )


def _check_move(kind: str, move: Move) -> None:
    if kind not in DIRECTIONS:
        raise _refuse(ErrorCode.LEDGER_MOVE_INVALID, _("Unknown kind of movement."), "kind")
    giver, taker = DIRECTIONS[kind]
    if move.from_account.kind != giver or move.to_account.kind != taker:
        raise _refuse(
            ErrorCode.LEDGER_MOVE_INVALID,
            _("A {kind} moves money from a {giver} account to a {taker} account.").format(
                kind=EntryKind(kind).label,
                giver=AccountKind(giver).label,
                taker=AccountKind(taker).label,
            ),
            "account",
        )
    if move.from_account.pk == move.to_account.pk:
        raise _refuse(ErrorCode.LEDGER_MOVE_INVALID, _("From and to are one account."), "account")
    if move.source.kind != AccountKind.SOURCE:
        raise _refuse(ErrorCode.LEDGER_MOVE_INVALID, _("Name the fund source."), "source")
    if (
        kind == EntryKind.DIVIDEND
        and move.from_account.fund_source != FundSource.COOPERATIVE_PROFIT
    ):
        raise _refuse(
            ErrorCode.LEDGER_MOVE_INVALID,
            _("Dividends are paid from a cooperative's profit."),
            "source",
        )
    if (
        kind in (EntryKind.FUNDING, EntryKind.DIVIDEND)
        and move.from_account.kind == AccountKind.SOURCE
        and move.from_account.pk != move.source.pk
    ):
        raise _refuse(
            ErrorCode.LEDGER_MOVE_INVALID, _("A source pays out its own money."), "source"
        )
    if kind == EntryKind.FUNDING and move.to_account.pk != move.source.pk:
        raise _refuse(
            ErrorCode.LEDGER_MOVE_INVALID, _("A source is funded with its own money."), "source"
        )
    if isinstance(move.amount_fen, bool) or not isinstance(move.amount_fen, int):
        raise _refuse(ErrorCode.LEDGER_MOVE_INVALID, _("Amounts are whole fen."), "amount")
    if move.amount_fen <= 0:
        raise _refuse(ErrorCode.LEDGER_MOVE_INVALID, _("Amounts are above zero."), "amount")


def _fingerprint(
    kind: str, day: dt.date, voucher: str, lines: Sequence[tuple[int, int, int]], detail: str
) -> str:
    text = json.dumps([kind, day.isoformat(), voucher, sorted(lines), detail])
    return hashlib.sha256(text.encode()).hexdigest()


def _balance(account: Account, source: Account) -> int:
    total = Posting.objects.filter(account=account, source=source).aggregate(t=Sum("amount_fen"))
    return int(total["t"] or 0)


def _takes(lines: Sequence[tuple[Account, Account, int]]) -> dict[tuple[int, int], int]:
    takes: dict[tuple[int, int], int] = defaultdict(int)
    for account, source, amount in lines:
        takes[(account.pk, source.pk)] += amount
    return takes


def _lock_givers(lines: Sequence[tuple[Account, Account, int]]) -> None:
    """Lock the accounts money leaves, in one order (no deadlock): movements out of one
    account wait for each other, so each sees the balance the previous one left."""
    givers = sorted({a for (a, _s), delta in _takes(lines).items() if delta < 0})
    list(Account.objects.select_for_update().filter(pk__in=givers).order_by("pk"))


def _check_funds(lines: Sequence[tuple[Account, Account, int]]) -> None:
    """After the postings, no account (but the external one) holds less than nothing of a
    source (the caller holds the locks of ``_lock_givers``)."""
    accounts: dict[int, Account] = {}
    for account, source, _amount in lines:
        accounts[account.pk] = account
        accounts[source.pk] = source
    for (account_pk, source_pk), delta in sorted(_takes(lines).items()):
        account = accounts[account_pk]
        if delta >= 0 or account.kind == AccountKind.EXTERNAL:
            continue
        held = _balance(account, accounts[source_pk])
        if held + delta < 0:
            raise _refuse(
                ErrorCode.LEDGER_INSUFFICIENT_FUNDS,
                _("{account} holds {held} fen of {source}; {needed} fen cannot leave it.").format(
                    account=account.code, held=held, source=accounts[source_pk].code, needed=-delta
                ),
                "amount",
            )


def _existing(key: str, fingerprint: str) -> Entry | None:
    found = Entry.objects.filter(idempotency_key=key).first()
    if found is not None and found.fingerprint != fingerprint:
        raise _refuse(
            ErrorCode.LEDGER_IDEMPOTENCY_CONFLICT,
            _("The key {key} was used for another movement (entry #{pk}).").format(
                key=key, pk=found.pk
            ),
            "idempotency_key",
        )
    return found


def _record(
    *,
    actor: Any,
    kind: str,
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
    lines: Sequence[tuple[Account, Account, int]],
    memo: str = "",
    reverses: Entry | None = None,
    detail: str = "",
) -> Entry:
    """Write the entry and its postings; a key already recorded returns that entry."""
    if not idempotency_key.strip():
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("Give an idempotency key."), "idempotency_key")
    if not voucher.strip():
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("Give the voucher number."), "voucher")
    if len(voucher.strip()) > MAX_VOUCHER:
        raise _refuse(
            ErrorCode.VALIDATION_ERROR,
            _("A voucher number has at most {n} characters.").format(n=MAX_VOUCHER),
            "voucher",
        )
    key = idempotency_key.strip()[:100]
    fingerprint = _fingerprint(
        kind, entry_date, voucher.strip(), [(a.pk, s.pk, n) for a, s, n in lines], detail
    )
    if (found := _existing(key, fingerprint)) is not None:
        return found
    _check_month_open(entry_date)
    try:
        with transaction.atomic():
            _lock_givers(lines)
            # A submission with the same key that held the locks first has been recorded.
            if (found := _existing(key, fingerprint)) is not None:
                return found
            _check_funds(lines)
            entry = Entry.objects.create(
                kind=kind,
                entry_date=entry_date,
                voucher=voucher.strip(),
                memo=memo.strip()[:300],
                idempotency_key=key,
                fingerprint=fingerprint,
                reverses=reverses,
                actor=actor,
            )
            Posting.objects.bulk_create(
                Posting(entry=entry, account=a, source=s, amount_fen=n) for a, s, n in lines
            )
    except IntegrityError:
        # The same key recorded at the same moment by another submission: that one stands.
        found = _existing(key, fingerprint)
        if found is None:
            raise
        return found
    return entry


@transaction.atomic
def ledger_post(
    *,
    actor: Any,
    kind: str,
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
    moves: Sequence[Move],
    memo: str = "",
    detail: str = "",
) -> Entry:
    """Record a movement (see the module docstring); returns its entry. ``detail`` is what
    else the caller records with it (a payment's split among households): part of what makes
    a repeated submission the same one."""
    if not moves:
        raise _refuse(ErrorCode.LEDGER_MOVE_INVALID, _("Nothing moves."), "amount")
    for move in moves:
        _check_move(kind, move)
    lines: list[tuple[Account, Account, int]] = []
    for move in moves:
        lines.append((move.from_account, move.source, -move.amount_fen))
        lines.append((move.to_account, move.source, move.amount_fen))
    return _record(
        actor=actor,
        kind=kind,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=idempotency_key,
        lines=lines,
        memo=memo,
        detail=detail,
    )


@transaction.atomic
def ledger_reverse(
    *,
    actor: Any,
    entry: Entry,
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
    reason: str,
) -> Entry:
    """The opposite postings of ``entry``, dated in an open month. The same reversal submitted
    again (its key) returns the reversal recorded; a second reversal of the entry is refused,
    also when two arrive at the same moment."""
    again = Entry.objects.filter(idempotency_key=idempotency_key.strip()[:100], reverses=entry)
    found: Entry | None = again.first()
    if found is not None:
        return found
    if entry.kind == EntryKind.REVERSAL:
        raise _refuse(ErrorCode.LEDGER_REVERSAL_INVALID, _("A reversal is not reversed."))
    if Entry.objects.filter(reverses=entry).exists():
        raise _refuse(ErrorCode.LEDGER_REVERSAL_INVALID, _("The entry is already reversed."))
    if not reason.strip():
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("Say why the entry is reversed."), "reason")
    lines = [
        (p.account, p.source, -p.amount_fen)
        for p in entry.postings.select_related("account", "source")
    ]
    try:
        with transaction.atomic():
            return _record(
                actor=actor,
                kind=EntryKind.REVERSAL,
                entry_date=entry_date,
                voucher=voucher,
                idempotency_key=idempotency_key,
                lines=lines,
                memo=reason,
                reverses=entry,
                detail=f"reverses #{entry.pk}",
            )
    except IntegrityError:  # reversed by another request at the same moment
        raise _refuse(
            ErrorCode.LEDGER_REVERSAL_INVALID, _("The entry is already reversed.")
        ) from None


@transaction.atomic
def month_close(*, actor: Any, month: str) -> ClosedMonth:
    """Close ``month`` (YYYY-MM) for good: administrators only."""
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise _refuse(ErrorCode.PERMISSION_DENIED, _("Administrators close months."))
    try:
        dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise _refuse(ErrorCode.VALIDATION_ERROR, _("A month is YYYY-MM."), "month") from None
    found = ClosedMonth.objects.filter(month=month).first()
    return found or ClosedMonth.objects.create(month=month, closed_by=actor)


# ---------------------------------------------------------------------------- verification


def ledger_verify() -> list[str]:
    """Every breach of the ledger's invariants, replaying it in the order it was recorded;
    an empty list when it holds."""
    breaches: list[str] = []
    kinds = dict(Account.objects.values_list("pk", "kind"))
    codes = dict(Account.objects.values_list("pk", "code"))
    closed = dict(ClosedMonth.objects.values_list("month", "closed_at"))
    postings: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for entry_id, account, source, amount in Posting.objects.order_by("pk").values_list(
        "entry", "account", "source", "amount_fen"
    ):
        postings[entry_id].append((account, source, amount))
    held: dict[tuple[int, int], int] = defaultdict(int)
    for entry in Entry.objects.order_by("pk"):
        lines = postings.get(entry.pk, [])
        breaches += _entry_breaches(entry, lines, kinds, codes, closed)
        for account, source, amount in lines:
            held[(account, source)] += amount
            if kinds[account] != AccountKind.EXTERNAL and held[(account, source)] < 0:
                breaches.append(
                    f"entry #{entry.pk}: {codes[account]} holds {held[(account, source)]} fen of "
                    f"{codes[source]}"
                )
    breaches += _reversal_breaches(postings)
    breaches += _split_breaches(postings)
    return breaches


def _split_breaches(postings: dict[int, list[tuple[int, int, int]]]) -> list[str]:
    """A payment split among households (benefits) or quantified as shares adds up to what
    the payment brought its payee."""
    found = []
    for label, model in (("benefits", Benefit), ("shares", ShareCapital)):
        sums = (
            model.objects.filter(entry__isnull=False)
            .values("entry")
            .annotate(total=sum_fen("amount"))
            .values_list("entry", "total")
        )
        for entry_id, total in sums:
            paid = sum(amount for _a, _s, amount in postings.get(entry_id, []) if amount > 0)
            if total != paid:
                found.append(
                    f"entry #{entry_id}: its {label} add up to {total} fen, it paid {paid}"
                )
    return found


def _entry_breaches(
    entry: Entry,
    lines: list[tuple[int, int, int]],
    kinds: dict[int, str],
    codes: dict[int, str],
    closed: dict[str, Any],
) -> list[str]:
    found = []
    if len(lines) < 2:
        found.append(f"entry #{entry.pk}: fewer than two postings")
    if sum(amount for _a, _s, amount in lines) != 0:
        found.append(f"entry #{entry.pk}: postings add up to {sum(a for *_x, a in lines)} fen")
    for _account, source, _amount in lines:
        if kinds.get(source) != AccountKind.SOURCE:
            found.append(f"entry #{entry.pk}: {codes.get(source)} is not a fund source")
    month = month_of(entry.entry_date)
    if month in closed and entry.recorded_at > closed[month]:
        found.append(f"entry #{entry.pk}: recorded in {month} after the month was closed")
    return found


def _reversal_breaches(postings: dict[int, list[tuple[int, int, int]]]) -> list[str]:
    found = []
    for reversal, original in Entry.objects.filter(reverses__isnull=False).values_list(
        "pk", "reverses"
    ):
        net: dict[tuple[int, int], int] = defaultdict(int)
        for account, source, amount in postings.get(reversal, []) + postings.get(original, []):
            net[(account, source)] += amount
        if any(net.values()):
            found.append(f"entry #{reversal}: does not cancel entry #{original}")
    return found
