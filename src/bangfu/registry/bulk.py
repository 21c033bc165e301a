"""The bulk write path of the registry: many new households at once, for the importers.

What a household write *means* is defined once, in ``services``: ``household_validate`` says
what is valid, ``_create``/``_new_member`` what rows a new household becomes (members' ID numbers
encrypted, with a keyed lookup hash and a masked copy), ``household_snapshot`` what its history
records, and ``_apply`` what counts as a change. ``household_save`` writes one household with a
few statements and an audit entry; an import of 100,000 households cannot afford that.

This module writes exactly the same rows, a thousand households per handful of statements:
households, then their members, then one ``create`` audit entry per household with the snapshot
``household_snapshot`` would take — all inside the caller's transaction. Inserts bypass
``Model.save()`` (and so the audit log's save guard, which refuses only changes to existing
entries; the database triggers refuse UPDATE and DELETE, never INSERT). Updates of existing
households stay with ``household_save``: they are rare, and their history needs the before/after
comparison it makes.

A household waiting to be written is kept as tuples (``NewHousehold``), not model instances or
dicts: an import holds 100,000 of them between validation and the write.

``tests/registry/test_importers.py`` checks that a household written here and one written by
``household_save`` are identical, row for row and snapshot for snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from django.db import connection, models
from django.utils import timezone

from bangfu.audit.models import AuditAction, AuditEntry
from bangfu.audit.services import json_value, object_type
from bangfu.core import context
from bangfu.core.protect import Sealer
from bangfu.registry.models import Household, Member
from bangfu.registry.services import (
    CleanHousehold,
    household_row_values,
    member_row_values,
)

# What household_snapshot leaves out (services.household_snapshot).
SNAPSHOT_DROPPED_HOUSEHOLD = frozenset(
    {
        "bank_account_enc",
        "created_at",
        "updated_at",
        "latest_income_year",
        "latest_net_income_pc",
        "open_guarantee_problems",
    }
)
SNAPSHOT_DROPPED_MEMBER = frozenset({"id", "household_id", "id_number_enc", "id_number_hash"})
# Largest IN (...) list sent at once (SQLite before 3.32 allows 999 parameters).
LOOKUP_CHUNK = 500


def member_hashes(clean: CleanHousehold, sealer: Sealer | None = None) -> list[str]:
    """The keyed lookup hash of each member's ID number, in member order."""
    hash_of = (sealer or Sealer()).lookup_hash
    return [hash_of(m.id_number) for m in clean.members]


def ids_taken(hashes: Collection[str]) -> dict[str, tuple[str, str]]:
    """Which of these ID-number hashes already belong to a member in the database:
    hash → (that member's household number, masked ID number)."""
    found: dict[str, tuple[str, str]] = {}
    pending = list(hashes)
    for start in range(0, len(pending), LOOKUP_CHUNK):
        rows = Member.objects.filter(
            id_number_hash__in=pending[start : start + LOOKUP_CHUNK]
        ).values_list("id_number_hash", "household__household_no", "id_number_masked")
        for key, household_no, masked in rows:
            found[key] = (household_no, masked)
    return found


class _Table:
    """INSERT of many rows into one model's table with ``executemany``.

    A row is a tuple in ``columns`` order (every concrete field but the primary key). Values go
    to the database as ``Field.get_db_prep_save`` would send them; the types every driver takes
    as they are (text, numbers, booleans, ids, None) skip that call, which is most of the cost
    of ``bulk_create``."""

    PLAIN_TYPES = frozenset(
        {
            "AutoField",
            "BigAutoField",
            "BigIntegerField",
            "BooleanField",
            "CharField",
            "ForeignKey",
            "GenericIPAddressField",
            "IntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "SmallIntegerField",
            "TextField",
        }
    )

    def __init__(self, model: type[models.Model]) -> None:
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.columns = [f.attname for f in self.fields]
        self.index = {name: i for i, name in enumerate(self.columns)}
        self.defaults = tuple(f.get_default() for f in self.fields)
        self.plain = [f.get_internal_type() in self.PLAIN_TYPES for f in self.fields]
        self.model = model

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """A row from values by attname; missing columns get the field's default."""
        return tuple(map(values.get, self.columns, self.defaults))

    def insert(self, rows: Sequence[Sequence[Any]], *, owned: bool = False) -> None:
        """Insert the rows; ``owned`` rows are lists that may be changed in place."""
        if not rows:
            return
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = ", ".join(quote(str(f.column)) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (model names; values bound)
        special = [(i, self.fields[i]) for i, plain in enumerate(self.plain) if not plain]
        prepared: dict[tuple[int, Any], Any] = {}  # dates and times repeat; prepare each once
        params = []
        for row in rows:
            values = row if owned and isinstance(row, list) else list(row)
            for i, f in special:
                value = values[i]
                if value is None:
                    continue
                if isinstance(value, list | dict):
                    values[i] = f.get_db_prep_save(value, connection)
                    continue
                key = (i, value)
                if key not in prepared:
                    prepared[key] = f.get_db_prep_save(value, connection)
                values[i] = prepared[key]
            params.append(values)
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


HOUSEHOLDS = _Table(Household)
MEMBERS = _Table(Member)
AUDIT = _Table(AuditEntry)


@dataclass(slots=True)
class NewHousehold:
    """A validated new household, ready to insert: its row and its members' rows as tuples
    (``HOUSEHOLDS.columns`` and ``MEMBERS.columns`` order; ids and timestamps left empty)."""

    household_no: str
    row: tuple[Any, ...]
    members: list[tuple[Any, ...]]


def prepare(
    clean: CleanHousehold, hashes: Sequence[str] | None = None, sealer: Sealer | None = None
) -> NewHousehold:
    """A clean household as rows to insert: the values ``services.household_save`` would write
    (``hashes``: the members' lookup hashes, if the caller has them)."""
    sealer = sealer or Sealer()
    members = [
        MEMBERS.row(
            member_row_values(member, hashes[index] if hashes is not None else None, sealer)
        )
        for index, member in enumerate(clean.members)
    ]
    return NewHousehold(
        clean.values["household_no"], HOUSEHOLDS.row(household_row_values(clean)), members
    )


def create_households(
    items: Sequence[NewHousehold],
    *,
    actor: Any,
    reason: str = "",
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Insert new households with their members and a ``create`` audit entry each, in batches.
    Their numbers and members' ID numbers must be free (the caller checked); the caller holds
    the transaction. Returns the new households' primary keys, in order."""
    now = timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    ctx = context.current()
    kind = object_type(Household)
    h_at = HOUSEHOLDS.index
    household_col, created_col, updated_col, head_col = (
        MEMBERS.index["household_id"],
        h_at["created_at"],
        h_at["updated_at"],
        h_at["head_name"],
    )
    pks: list[int] = []
    with _large_page_cache():
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            rows = []
            for item in batch:
                row = list(item.row)
                row[created_col] = row[updated_col] = now
                rows.append(row)
            HOUSEHOLDS.insert(rows)  # not owned: the snapshots below read the rows as they are
            by_no = _pks_by_number([item.household_no for item in batch])
            member_rows: list[list[Any]] = []
            audit_rows: list[tuple[Any, ...]] = []
            for item, row in zip(batch, rows, strict=True):
                pk = by_no[item.household_no]
                pks.append(pk)
                own = []
                for member in item.members:
                    member_row = list(member)
                    member_row[household_col] = pk
                    own.append(member_row)
                member_rows.extend(own)
                audit_rows.append(
                    AUDIT.row(
                        {
                            "at": now,
                            "actor_id": actor_id,
                            "action": AuditAction.CREATE,
                            "object_type": kind,
                            "object_id": str(pk),
                            # str(Household): "{household_no} {head_name}"
                            "object_repr": f"{item.household_no} {row[head_col]}"[:200],
                            "before": None,
                            "after": snapshot_of(pk, row, own),
                            "reason": reason[:500],
                            "request_id": ctx.request_id,
                            "client_ip": ctx.client_ip,
                        }
                    )
                )
            MEMBERS.insert(member_rows, owned=True)
            AUDIT.insert(audit_rows)
            if progress is not None:
                progress(len(pks))
    return pks


class _Snapshot:
    """Which columns of a table's rows a snapshot keeps, and which of those need turning into
    JSON (dates, decimals: what ``audit.services.snapshot`` converts)."""

    JSON_READY_TYPES = _Table.PLAIN_TYPES | {"JSONField"}

    def __init__(self, table: _Table, dropped: frozenset[str]) -> None:
        kept = [i for i, name in enumerate(table.columns) if name not in dropped]
        self.names = [table.columns[i] for i in kept]
        self.get = itemgetter(*kept)
        self.convert = [
            table.columns[i]
            for i in kept
            if table.fields[i].get_internal_type() not in self.JSON_READY_TYPES
        ]

    def __call__(self, row: Sequence[Any]) -> dict[str, Any]:
        data = dict(zip(self.names, self.get(row), strict=True))
        for name in self.convert:
            data[name] = json_value(data[name])
        return data


_HOUSEHOLD_SNAPSHOT = _Snapshot(HOUSEHOLDS, SNAPSHOT_DROPPED_HOUSEHOLD)
_MEMBER_SNAPSHOT = _Snapshot(MEMBERS, SNAPSHOT_DROPPED_MEMBER)


def snapshot_of(
    pk: int, household: Sequence[Any], members: Iterable[Sequence[Any]]
) -> dict[str, Any]:
    """``services.household_snapshot`` of a household given as the rows being inserted."""
    data = {"id": pk, **_HOUSEHOLD_SNAPSHOT(household)}
    data["members"] = [_MEMBER_SNAPSHOT(member) for member in members]
    return data


@contextmanager
def _large_page_cache() -> Iterator[None]:
    """SQLite's default page cache (2 MB) makes inserts into the members' random-keyed unique
    index (ID-number hashes) re-read pages; a larger one for the duration of the write helps."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -131072")  # 128 MiB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _pks_by_number(numbers: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        found.update(
            Household.objects.filter(
                household_no__in=numbers[start : start + LOOKUP_CHUNK]
            ).values_list("household_no", "id")
        )
    return found
