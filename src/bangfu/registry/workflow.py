"""The identification, exit and return workflow (POLICY.md §6.3): which step may follow which.

Identification: applied → village review → first posting → township approval → second
posting → county approval → announcement → registered ("两公示一公告"). Exit: registered →
proposed → verified → posted → exited. Return: exited → returned. An objection during a
posting sends the case back one step; any open step may end in rejection.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.registry.models import HouseholdStatus as S

FORWARD: dict[str, tuple[str, ...]] = {
    S.APPLIED: (S.VILLAGE_REVIEWED, S.REJECTED),
    S.VILLAGE_REVIEWED: (S.POSTED_1, S.REJECTED),
    S.POSTED_1: (S.TOWNSHIP_APPROVED, S.REJECTED),
    S.TOWNSHIP_APPROVED: (S.POSTED_2, S.REJECTED),
    S.POSTED_2: (S.COUNTY_APPROVED, S.REJECTED),
    S.COUNTY_APPROVED: (S.ANNOUNCED, S.REJECTED),
    S.ANNOUNCED: (S.REGISTERED,),
    S.REGISTERED: (S.EXIT_PROPOSED,),
    S.EXIT_PROPOSED: (S.EXIT_VERIFIED, S.REGISTERED),
    S.EXIT_VERIFIED: (S.EXIT_POSTED, S.REGISTERED),
    S.EXIT_POSTED: (S.EXITED,),
    S.EXITED: (S.RETURNED,),
    S.RETURNED: (S.EXIT_PROPOSED,),
    S.ORDINARY: (S.APPLIED,),
    S.REJECTED: (S.APPLIED,),
}
# An objection raised during a posting sends the case back to the review before it.
OBJECTION_BACK: dict[str, str] = {
    S.POSTED_1: S.VILLAGE_REVIEWED,
    S.POSTED_2: S.TOWNSHIP_APPROVED,
    S.EXIT_POSTED: S.EXIT_VERIFIED,
}
POSTINGS = frozenset({S.POSTED_1, S.POSTED_2, S.EXIT_POSTED, S.ANNOUNCED})
NEEDS_REASON = frozenset({S.REJECTED, S.RETURNED})


def allowed_next(status: str) -> tuple[str, ...]:
    back = (OBJECTION_BACK[status],) if status in OBJECTION_BACK else ()
    return FORWARD.get(status, ()) + back


def check_transition(
    current: str,
    target: str,
    *,
    objection: bool = False,
    posting_start: dt.date | None = None,
    posting_end: dt.date | None = None,
    reason: str = "",
) -> None:
    """Refuse a step the workflow does not allow, a posting without its period, an objection
    outside a posting, or a rejection or return without a reason."""
    if objection:
        if OBJECTION_BACK.get(current) != target:
            raise BangfuError(
                ErrorCode.WORKFLOW_TRANSITION_INVALID,
                _("An objection during a public posting sends the case back one step."),
                field="to_status",
            )
    elif target not in FORWARD.get(current, ()):
        raise BangfuError(
            ErrorCode.WORKFLOW_TRANSITION_INVALID,
            _("A household in status {current} cannot move to {target}.").format(
                current=S(current).label,
                target=S(target).label if target in S.values else target,
            ),
            field="to_status",
        )
    period_missing = posting_start is None or posting_end is None
    if target in POSTINGS and (period_missing or posting_end < posting_start):  # type: ignore[operator]
        raise BangfuError(
            ErrorCode.WORKFLOW_POSTING_PERIOD,
            _("A public posting needs its first and last day, the last not before the first."),
            field="posting_start",
        )
    if (target in NEEDS_REASON or objection) and not reason.strip():
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, _("Give the reason for this step."), field="reason"
        )
