"""The review queue for ID numbers that arrive by import but already belong to a member of
another household (POLICY: the same person is registered once).

A form or the API refuses such a household at once: the person typing can correct it. An
import cannot ask, and refusing the whole file for one person who married into another
village would block a county's update. So the importer holds the household back as an
``IdConflict``: the household as the file gives it (encrypted: it holds ID numbers), the rows
it came from and, for each clashing ID number, the household that holds it now. The rest of
the file imports as usual.

Someone who may capture both households then decides:

* **accept** — the person really moved: each clashing member leaves the household that holds
  them (with history there), then the imported household is saved through
  ``services.household_save``, validated again against the registry as it is now;
* **dismiss** — the file was wrong: nothing changes in the registry.

Both decisions are audited on the conflict; accepting also writes the households' history.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.scopes import scope_for
from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record, snapshot
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.core.protect import Sealer, decrypt_text
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.models import (
    Household,
    IdConflict,
    IdConflictStatus,
    ImportBatch,
    Member,
)
from bangfu.registry.services import HouseholdIn, MemberIn, household_save, household_snapshot

HEAD = "head"


@dataclasses.dataclass(frozen=True)
class Clash:
    """One ID number of an imported household that another household holds."""

    member: int  # index of the member in the imported household
    masked: str
    hash: str
    other: str  # the household number that holds it now

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- the household as imported, sealed --------------------------------------------------


def seal_household(data: HouseholdIn, sealer: Sealer) -> str:
    """``data`` as encrypted JSON (it holds ID numbers in clear)."""
    plain = dataclasses.asdict(data)
    plain["identified_on"] = _iso(data.identified_on)
    income = data.reported_net_income_pc
    plain["reported_net_income_pc"] = None if income is None else str(income)
    for member, given in zip(plain["members"], data.members, strict=True):
        member["birth_date"] = _iso(given.birth_date)
        member["id_number"] = str(given.id_number or "")
    return sealer.encrypt(json.dumps(plain, ensure_ascii=False))


def open_household(token: str) -> HouseholdIn:
    """The ``HouseholdIn`` that :func:`seal_household` sealed."""
    plain = json.loads(decrypt_text(token))
    members = [
        MemberIn(**{**m, "birth_date": _date(m.get("birth_date"))}) for m in plain.pop("members")
    ]
    income = plain.get("reported_net_income_pc")
    return HouseholdIn(
        **{
            **plain,
            "members": members,
            "identified_on": _date(plain.get("identified_on")),
            "reported_net_income_pc": None if income is None else Decimal(income),
        }
    )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# --- queueing (the importer) ------------------------------------------------------------


@dataclasses.dataclass
class Held:
    """A household the importer holds back for review."""

    data: HouseholdIn
    village: Region
    head_name: str
    rows: list[int]
    clashes: list[Clash]


def queue_households(
    held: Sequence[Held], *, batch: ImportBatch | None, actor: Any, sealer: Sealer
) -> list[IdConflict]:
    """Store the held households as open conflicts (inside the caller's transaction). A
    household already waiting is not queued twice: importing the same file again leaves its
    conflict as it is; an edited file replaces what waits (with history)."""
    reason = f"import:{batch.pk if batch else '-'}"
    waiting = {
        c.household_no: c
        for c in IdConflict.objects.select_for_update().filter(
            status=IdConflictStatus.OPEN, household_no__in=[h.data.household_no for h in held]
        )
    }
    queued = []
    for item in held:
        clashes = [c.as_dict() for c in item.clashes]
        conflict = waiting.get(item.data.household_no)
        if conflict is None:
            conflict = IdConflict.objects.create(
                batch=batch,
                household_no=item.data.household_no,
                village=item.village,
                head_name=item.head_name[:50],
                rows=item.rows,
                conflicts=clashes,
                payload_enc=seal_household(item.data, sealer),
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=conflict,
                after=_conflict_snapshot(conflict),
                reason=reason,
            )
        elif open_household(conflict.payload_enc) != item.data or conflict.conflicts != clashes:
            before = _conflict_snapshot(conflict)
            conflict.batch, conflict.village, conflict.rows = batch, item.village, item.rows
            conflict.head_name, conflict.conflicts = item.head_name[:50], clashes
            conflict.payload_enc = seal_household(item.data, sealer)
            conflict.save()
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                obj=conflict,
                before=before,
                after=_conflict_snapshot(conflict),
                reason=reason,
            )
        queued.append(conflict)
    return queued


# --- reading -----------------------------------------------------------------------------


def conflict_list(*, user: Any, status: str | None = IdConflictStatus.OPEN) -> QuerySet[IdConflict]:
    """Conflicts about households in the user's view scope, newest first."""
    scope = scope_for(user, "view")
    qs = IdConflict.objects.filter(scope.q("village__code")).select_related("village", "batch")
    return qs.filter(status=status) if status else qs


def conflict_get(*, user: Any, pk: int) -> IdConflict:
    conflict = conflict_list(user=user, status=None).filter(pk=pk).first()
    if conflict is None:
        raise not_found(ErrorCode.NOT_FOUND, _("ID-number conflict"))
    return conflict


def holders(conflict: IdConflict, *, user: Any = None) -> dict[str, Member]:
    """The members that hold the clashing ID numbers now (hash → member); with ``user``, only
    those in households the user may see (a page shows their names)."""
    hashes = [c["hash"] for c in conflict.conflicts]
    members = Member.objects.filter(id_number_hash__in=hashes).select_related("household__village")
    if user is not None:
        members = members.filter(scope_for(user, "view").q("household__village__code"))
    return {m.id_number_hash: m for m in members}


# --- deciding ----------------------------------------------------------------------------


@transaction.atomic
def conflict_accept(
    *, actor: Any, capture: RegionScope, pk: int, note: str = ""
) -> tuple[Household, str]:
    """The people really moved: take each clashing member out of the household that holds
    them, then save the imported household. Refused, with nothing changed, when a holder is
    outside the actor's capture scope, is that household's head or its only member, or when
    the imported household no longer validates."""
    conflict = _open_for_decision(capture, pk)
    reason = _("ID-number conflict {id} accepted").format(id=conflict.pk)
    if note:
        reason += f": {note}"
    holding = holders(conflict)
    for clash in conflict.conflicts:
        member = holding.get(clash["hash"])
        if member is not None and member.household.household_no != conflict.household_no:
            _leave(actor, capture, member, reason)
    household, outcome = household_save(
        actor=actor, capture=capture, data=open_household(conflict.payload_enc), reason=reason
    )
    _decide(actor, conflict, IdConflictStatus.ACCEPTED, note)
    return household, outcome


@transaction.atomic
def conflict_dismiss(*, actor: Any, capture: RegionScope, pk: int, note: str = "") -> None:
    """The file was wrong: drop the held household; the registry stays as it is."""
    _decide(actor, _open_for_decision(capture, pk), IdConflictStatus.DISMISSED, note)


def _open_for_decision(capture: RegionScope, pk: int) -> IdConflict:
    conflict = (
        IdConflict.objects.select_for_update().select_related("village").filter(pk=pk).first()
    )
    if conflict is None:
        raise not_found(ErrorCode.NOT_FOUND, _("ID-number conflict"))
    if not capture.covers(conflict.village.code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Village {code} is outside your capture scope.").format(code=conflict.village.code),
        )
    if conflict.status != IdConflictStatus.OPEN:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("This conflict was already decided ({status}).").format(
                status=conflict.get_status_display()
            ),
        )
    return conflict


def _leave(actor: Any, capture: RegionScope, member: Member, reason: str) -> None:
    """``member`` leaves their household, with history there."""
    household = member.household
    if not capture.covers(household.village.code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _(
                "ID number {masked} belongs to a member of household {no}, outside your capture "
                "scope: ask the staff of that village to take the person out first."
            ).format(masked=member.id_number_masked, no=household.household_no),
        )
    others = household.members.exclude(pk=member.pk).count()
    if member.relation == HEAD or not others:
        raise BangfuError(
            ErrorCode.HOUSEHOLD_HEAD_COUNT,
            _(
                "ID number {masked} belongs to the head or the only member of household {no}: "
                "record a new head there (or close that household) before accepting."
            ).format(masked=member.id_number_masked, no=household.household_no),
        )
    before = household_snapshot(household)
    member.delete()
    household.size = others
    household.save(update_fields=["size", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=household,
        before=before,
        after=household_snapshot(household),
        reason=reason,
    )


def _decide(actor: Any, conflict: IdConflict, status: str, note: str) -> None:
    before = _conflict_snapshot(conflict)
    conflict.status = status
    conflict.decided_by = actor if getattr(actor, "pk", None) else None
    conflict.decided_at = timezone.now()
    conflict.decision_note = note[:500]
    conflict.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=conflict,
        before=before,
        after=_conflict_snapshot(conflict),
        reason=note,
    )


def _conflict_snapshot(conflict: IdConflict) -> dict[str, Any]:
    data = snapshot(conflict)
    data.pop("payload_enc", None)  # ID numbers in clear, sealed: history never shows them
    data["conflicts"] = [
        {k: v for k, v in clash.items() if k != "hash"} for clash in conflict.conflicts
    ]
    return data
