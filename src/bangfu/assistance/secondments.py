"""Secondments (人才支援: 挂职干部, 支教, 支医, agronomists): people posted from one side of a
district pairing (``regions.Pairing``) to the other, and the counts the assessment asks for.

Rules (each refusal a ``BangfuError`` naming the field):

* **Who.** Writes need either side of the district pairing in the actor's capture scope (the
  rule ``selectors.secondments_for`` reads with ``purpose="capture"``).
* **Where.** The posting region lies on the pairing's receiving side for the direction:
  east → west postings inside the pairing's western side (Qingpu ↔ Dehong Prefecture: any
  county of Dehong, e.g. Mangshi), west → east postings inside its eastern side.
* **When.** Dates are ordered. A secondment recorded as serving has started (not after today);
  one recorded as completed has ended (an end date, not after today).
* **Status.** planned → serving → completed; planned or serving → withdrawn (with a reason).
  Starting to serve may set the actual start date; completing or withdrawing a serving
  secondment sets its end date (default today). A planned secondment withdrawn never served:
  its end date is cleared and it is counted nowhere. Completed and withdrawn are final.

**Counting** (``secondment_counts``, the pages, the API and ``bangfu stats assistance``): a
secondment counts in a year when it served and its span overlaps the year: status serving or
completed, or withdrawn after serving (it has an end date); planned ones are not counted. The
span is [start date, end date]; an open span (serving, no end date yet) runs until today, so it
counts up to the current year and not in years to come.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bangfu.accounts.scopes import Purpose, scope_for
from bangfu.assistance.models import (
    Direction,
    Secondment,
    SecondmentField,
    SecondmentStatus,
)
from bangfu.assistance.pairings import check_dates, clean_text, invalid, within
from bangfu.assistance.selectors import secondments_for
from bangfu.audit.services import save_with_history, snapshot
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope

FIELDS: tuple[str, ...] = tuple(SecondmentField.values)

# status → the statuses it may move to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    SecondmentStatus.PLANNED: (SecondmentStatus.SERVING, SecondmentStatus.WITHDRAWN),
    SecondmentStatus.SERVING: (SecondmentStatus.COMPLETED, SecondmentStatus.WITHDRAWN),
    SecondmentStatus.COMPLETED: (),
    SecondmentStatus.WITHDRAWN: (),
}
# statuses a secondment may be recorded with (history is entered as it happened)
CREATE_STATUSES = (SecondmentStatus.PLANNED, SecondmentStatus.SERVING, SecondmentStatus.COMPLETED)


def served_q(prefix: str = "") -> Q:
    """Secondments that served (or serve): the ones counted."""
    return Q(**{f"{prefix}status__in": [SecondmentStatus.SERVING, SecondmentStatus.COMPLETED]}) | Q(
        **{f"{prefix}status": SecondmentStatus.WITHDRAWN, f"{prefix}end_date__isnull": False}
    )


def in_year_q(year: int, *, today: dt.date | None = None, prefix: str = "") -> Q:
    """Counted secondments whose span overlaps ``year`` (open spans run until today)."""
    today = today or timezone.localdate()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    ends = Q(**{f"{prefix}end_date__gte": first})
    if first <= today:
        ends |= Q(**{f"{prefix}end_date__isnull": True})
    return served_q(prefix) & Q(**{f"{prefix}start_date__lte": last}) & ends


# ---------------------------------------------------------------------------- reads


def secondment_get(*, user: Any, pk: Any, purpose: Purpose = "view") -> Secondment:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        key = 0
    found = secondments_for(user, purpose).filter(pk=key).first()
    if found is None:
        raise not_found(ErrorCode.SECONDMENT_NOT_FOUND, _("secondment"))
    return found


def secondment_list(
    *,
    user: Any,
    pairing: int | None = None,
    field: str = "",
    year: int | None = None,
    status: str = "",
    direction: str = "",
) -> QuerySet[Secondment]:
    """Secondments the user sees; ``year`` keeps those counted in that year."""
    found = secondments_for(user)
    if pairing:
        found = found.filter(pairing=pairing)
    if field:
        found = found.filter(field=field)
    if status:
        found = found.filter(status=status)
    if direction:
        found = found.filter(direction=direction)
    if year is not None:
        found = found.filter(in_year_q(year))
    return found.order_by("pairing__east__code", "pairing__west__code", "field", "start_date", "pk")


@dataclass
class CountRow:
    """Secondments counted in one year under one district pairing, by field."""

    year: int
    pairing: Pairing
    by_field: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    long_term: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_field.values())

    @property
    def cells(self) -> list[int]:
        return [self.by_field[f] for f in FIELDS]


def secondment_counts(
    *, secondments: QuerySet[Secondment], year: int | None = None, today: dt.date | None = None
) -> list[CountRow]:
    """Counts per year and district pairing by field, of the given (already scoped) secondments:
    every year each counted secondment overlaps, or only ``year``. Newest year first. One query;
    the years are spread in Python (secondments number in the hundreds, not millions)."""
    today = today or timezone.localdate()
    rows: dict[tuple[int, int], CountRow] = {}
    pairings: dict[int, Pairing] = {}
    found = secondments.filter(served_q()).select_related("pairing__east", "pairing__west")
    if year is not None:
        found = found.filter(in_year_q(year, today=today))
    for s in found:
        pairings.setdefault(s.pairing_id, s.pairing)
        last = s.end_date.year if s.end_date is not None else today.year
        for y in range(s.start_date.year, last + 1):
            if year is not None and y != year:
                continue
            row = rows.get((y, s.pairing_id))
            if row is None:
                row = rows[(y, s.pairing_id)] = CountRow(year=y, pairing=pairings[s.pairing_id])
            row.by_field[s.field] += 1
            row.long_term += int(s.long_term)
    return sorted(rows.values(), key=lambda r: (-r.year, r.pairing.east.code, r.pairing.west.code))


def field_totals(rows: list[CountRow]) -> dict[int, dict[str, int]]:
    """Per year, the counts by field summed over pairings."""
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for row in rows:
        for name, n in row.by_field.items():
            totals[row.year][name] += n
    return dict(totals)


# ---------------------------------------------------------------------------- writes


@dataclass(frozen=True)
class SecondmentIn:
    person: str
    field: str
    direction: str
    pairing: Pairing
    posting_unit: str
    posting_region: Region
    start_date: dt.date
    end_date: dt.date | None = None
    home_unit: str = ""
    post: str = ""
    long_term: bool = True
    note: str = ""
    status: str = SecondmentStatus.PLANNED  # only read on creation; later: secondment_set_status


def _capture(actor: Any, capture: RegionScope | None) -> RegionScope:
    return capture if capture is not None else scope_for(actor, "capture")


def may_change_secondment(scope: RegionScope, pairing: Pairing) -> bool:
    return scope.covers(pairing.east.code) or scope.covers(pairing.west.code)


def _denied() -> BangfuError:
    return BangfuError(
        ErrorCode.PERMISSION_DENIED,
        _("You may record secondments only for pairings with a side in your capture scope."),
    )


def _values(data: SecondmentIn, status: str, today: dt.date) -> dict[str, Any]:
    if data.field not in SecondmentField.values:
        raise invalid(_("Choose the field from the list."), "field")
    if data.direction not in Direction.values:
        raise invalid(_("Choose the direction from the list."), "direction")
    receiving = data.pairing.west if data.direction == Direction.EAST_TO_WEST else data.pairing.east
    if not within(data.posting_region.code, receiving.code):
        raise invalid(
            _(
                "Posted {direction}, the person works inside {side} ({code}); "
                "{region} is not there."
            ).format(
                direction=Direction(data.direction).label,
                side=receiving.name_zh,
                code=receiving.code,
                region=data.posting_region.name_zh,
            ),
            "posting_region",
        )
    start = check_dates(data.start_date, data.end_date)
    if status == SecondmentStatus.SERVING and start > today:
        raise invalid(
            _("A secondment that is serving has started: the start date is in the future."),
            "start_date",
        )
    if status == SecondmentStatus.COMPLETED and (data.end_date is None or data.end_date > today):
        raise invalid(
            _("A completed secondment has ended: give an end date, not after today."), "end_date"
        )
    return {
        "person": clean_text(data.person, "person", 100, required=True),
        "field": data.field,
        "direction": data.direction,
        "pairing": data.pairing,
        "home_unit": clean_text(data.home_unit, "home_unit", 200),
        "posting_unit": clean_text(data.posting_unit, "posting_unit", 200, required=True),
        "posting_region": data.posting_region,
        "post": clean_text(data.post, "post", 100),
        "start_date": start,
        "end_date": data.end_date,
        "long_term": bool(data.long_term),
        "note": clean_text(data.note, "note", 300),
    }


@transaction.atomic
def secondment_create(
    *, actor: Any, data: SecondmentIn, capture: RegionScope | None = None
) -> Secondment:
    if not may_change_secondment(_capture(actor, capture), data.pairing):
        raise _denied()
    if data.status not in CREATE_STATUSES:
        raise invalid(_("A new secondment is planned, serving or completed."), "status")
    values = _values(data, data.status, timezone.localdate())
    secondment = Secondment(status=data.status, **values)
    save_with_history(
        actor=actor, obj=secondment, before=None, reason=gettext_noop("secondment recorded")
    )
    return secondment


def _lock(secondment: Secondment) -> Secondment:
    return (
        Secondment.objects.select_for_update(of=("self",))
        .select_related("pairing__east", "pairing__west", "posting_region")
        .get(pk=secondment.pk)
    )


@transaction.atomic
def secondment_update(
    *,
    actor: Any,
    secondment: Secondment,
    data: SecondmentIn,
    reason: str = "",
    capture: RegionScope | None = None,
) -> Secondment:
    """Change the details (not the status: ``secondment_set_status``); the new details must fit
    the current status."""
    scope = _capture(actor, capture)
    secondment = _lock(secondment)
    if not may_change_secondment(scope, secondment.pairing):
        raise _denied()
    if not may_change_secondment(scope, data.pairing):
        raise _denied()
    values = _values(data, secondment.status, timezone.localdate())
    if secondment.status == SecondmentStatus.WITHDRAWN and (
        (secondment.end_date is None) != (values["end_date"] is None)
    ):
        raise invalid(
            _("Whether a withdrawn secondment served is fixed when it is withdrawn."), "end_date"
        )
    before = snapshot(secondment)
    for name, value in values.items():
        setattr(secondment, name, value)
    save_with_history(actor=actor, obj=secondment, before=before, reason=reason.strip()[:500])
    return secondment


STATUS_REASONS = {
    SecondmentStatus.SERVING: gettext_noop("secondment: started serving"),
    SecondmentStatus.COMPLETED: gettext_noop("secondment: completed"),
    SecondmentStatus.WITHDRAWN: gettext_noop("secondment: withdrawn"),
}


@transaction.atomic
def secondment_set_status(
    *,
    actor: Any,
    secondment: Secondment,
    status: str,
    on: dt.date | None = None,
    reason: str = "",
    capture: RegionScope | None = None,
) -> Secondment:
    """Move along planned → serving → completed, or to withdrawn. ``on``: the day it happened
    (default today; not in the future)."""
    secondment = _lock(secondment)
    if not may_change_secondment(_capture(actor, capture), secondment.pairing):
        raise _denied()
    if status not in TRANSITIONS.get(secondment.status, ()):
        raise BangfuError(
            ErrorCode.WORKFLOW_TRANSITION_INVALID,
            _("A secondment that is “{now}” cannot become “{to}”.").format(
                now=secondment.get_status_display(),
                to=SecondmentStatus(status).label if status in SecondmentStatus.values else status,
            ),
            field="status",
        )
    today = timezone.localdate()
    day = on or today
    if day > today:
        raise invalid(_("The date cannot be in the future."), "on")
    note = reason.strip()
    if status == SecondmentStatus.WITHDRAWN and not note:
        raise invalid(_("Say why the secondment was withdrawn."), "reason")
    before = snapshot(secondment)
    was = secondment.status
    if status == SecondmentStatus.SERVING:
        if on is not None:
            secondment.start_date = on
        if secondment.start_date > today:
            raise invalid(_("It cannot start serving before its start date."), "on")
        if secondment.end_date is not None and secondment.end_date < secondment.start_date:
            raise invalid(_("The start date would be after the end date."), "on")
    elif was == SecondmentStatus.PLANNED:  # withdrawn before serving: never served
        secondment.end_date = None
    else:  # completed or withdrawn while serving: it ended on that day
        if on is not None or secondment.end_date is None or secondment.end_date > today:
            secondment.end_date = day
        if secondment.end_date < secondment.start_date:
            raise invalid(
                _("It ended before it started ({start}).").format(start=secondment.start_date),
                "on",
            )
    secondment.status = status
    why = STATUS_REASONS[SecondmentStatus(status)]
    save_with_history(
        actor=actor, obj=secondment, before=before, reason=f"{why}: {note}" if note else why
    )
    return secondment
