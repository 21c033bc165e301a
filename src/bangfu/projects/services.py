"""Every write of the project library, and the project office's movements of money.

Each function checks who may act (``selectors.may_change_project``: the capture scope covers
the project's region or its pairing's eastern side), validates with errors naming the field,
writes with history, in one transaction. Money moves only through ``ledger``; these functions
find or open the accounts a movement needs:

* a **source** account per fund source and year (``src-east_aid-2025``), funded from the
  external account (what came in from outside the ledger);
* a **project** account per project (``prj-<code>``);
* a **payee** account per contractor (``pay-<slug>``) and one for the households a project
  pays (``ben-<code>``, split per household by ``benefits``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from bangfu.accounts.models import Role
from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record, save_with_history, snapshot
from bangfu.core.errors import BangfuError, ErrorCode, invalid
from bangfu.core.money import parse_figure, parse_yuan, yuan_required
from bangfu.projects import ledger
from bangfu.projects.models import (
    Acceptance,
    Account,
    AccountKind,
    Entry,
    EntryKind,
    FundSource,
    Milestone,
    PerformanceTarget,
    Project,
    ProjectBudget,
    ProjectKind,
    ProjectStatus,
    TargetMeasure,
)
from bangfu.projects.selectors import may_change_project
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope

EXTERNAL_ACCOUNT = "external"

# The statuses a project may move to from each status (acceptance decides the last step).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    ProjectStatus.PLANNED: (ProjectStatus.UNDERWAY, ProjectStatus.SUSPENDED),
    ProjectStatus.UNDERWAY: (ProjectStatus.COMPLETED, ProjectStatus.SUSPENDED),
    ProjectStatus.SUSPENDED: (ProjectStatus.UNDERWAY,),
    ProjectStatus.COMPLETED: (ProjectStatus.UNDERWAY,),
    ProjectStatus.REJECTED: (ProjectStatus.UNDERWAY,),
    ProjectStatus.ACCEPTED: (),
}


def require_project(actor: Any, project: Project, field: str | None = None) -> None:
    if not may_change_project(actor, project):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Only staff of the project's region or of its eastern partner may do this."),
            field=field,
        )


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise invalid(_("{value!r} is not one of the choices.").format(value=value), field)
    return value


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise invalid(_("This is required."), field)
    if len(text) > limit:
        raise invalid(_("At most {n} characters.").format(n=limit), field)
    return text


def _required_figure(value: Any, field: str) -> Decimal:
    figure = parse_figure(value, field=field, signed=True)
    if figure is None:
        raise invalid(_("This is required."), field)
    return figure


def check_year(value: Any, field: str = "year") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise invalid(_("A year from 2000 to 2100."), field)
    return value


# ---------------------------------------------------------------------------- the library


@transaction.atomic
def project_save(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    region: Region,
    year: int,
    pairing: Pairing | None = None,
    implementer: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    description: str = "",
    project: Project | None = None,
    reason: str = "",
) -> Project:
    """Create a project (``project`` None) or change one."""
    code = _text(code, "code", 40)
    if slugify(code) != code.lower():
        raise invalid(_("A code has letters, digits, - and _ only."), "code")
    clash = Project.objects.filter(code=code)
    if project is not None:
        clash = clash.exclude(pk=project.pk)
    if clash.exists():
        raise invalid(_("The code {code} is taken.").format(code=code), "code")
    if pairing is not None and not pairing.active_in(year):
        raise invalid(_("The pairing is not in force in {year}.").format(year=year), "pairing")
    if pairing is not None and not RegionScope.of([pairing.west.code]).covers(region.code):
        raise invalid(_("The project's region is not on the pairing's western side."), "region")
    if start_date and end_date and end_date < start_date:
        raise invalid(_("The end date is before the start date."), "end_date")
    before = snapshot(project) if project else None
    project = project or Project()
    project.code, project.name = code, _text(name, "name", 200)
    project.kind = _choice(kind, ProjectKind, "kind")
    project.region, project.pairing, project.year = region, pairing, check_year(year)
    project.implementer = _text(implementer, "implementer", 200, required=False)
    project.start_date, project.end_date = start_date, end_date
    project.description = description.strip()
    require_project(actor, project, "region")
    save_with_history(actor=actor, obj=project, before=before, reason=reason)
    return project


@transaction.atomic
def project_set_status(*, actor: Any, project: Project, status: str, reason: str = "") -> Project:
    """Move the project along its workflow (acceptance sets accepted or failed)."""
    require_project(actor, project)
    if status not in TRANSITIONS.get(project.status, ()):
        raise BangfuError(
            ErrorCode.PROJECT_TRANSITION_INVALID,
            _("A project that is {now} cannot become {then}.").format(
                now=ProjectStatus(project.status).label, then=_choice_label(status)
            ),
            field="status",
        )
    before = snapshot(project)
    project.status = status
    save_with_history(actor=actor, obj=project, before=before, reason=reason)
    return project


def _choice_label(status: str) -> str:
    return str(ProjectStatus(status).label) if status in ProjectStatus.values else status


@transaction.atomic
def budget_set(*, actor: Any, project: Project, fund_source: str, amount: Any) -> ProjectBudget:
    """The project's budget of one fund source (0 removes the line's effect, keeping it)."""
    require_project(actor, project)
    _choice(fund_source, FundSource, "fund_source")
    line = ProjectBudget.objects.filter(project=project, fund_source=fund_source).first()
    before = snapshot(line) if line else None
    line = line or ProjectBudget(project=project, fund_source=fund_source)
    line.amount = parse_yuan(amount, field="amount")
    save_with_history(actor=actor, obj=line, before=before)
    return line


@transaction.atomic
def milestone_save(
    *,
    actor: Any,
    project: Project,
    name: str,
    planned_date: dt.date,
    progress: int = 0,
    done_date: dt.date | None = None,
    note: str = "",
    milestone: Milestone | None = None,
) -> Milestone:
    require_project(actor, project)
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise invalid(_("Progress is a whole percentage from 0 to 100."), "progress")
    if done_date is not None and progress != 100:
        raise invalid(_("A milestone that is done is 100 % done."), "progress")
    before = snapshot(milestone) if milestone else None
    milestone = milestone or Milestone(project=project)
    milestone.name = _text(name, "name", 200)
    milestone.planned_date, milestone.done_date = planned_date, done_date
    milestone.progress, milestone.note = progress, _text(note, "note", 300, required=False)
    save_with_history(actor=actor, obj=milestone, before=before)
    return milestone


def project_progress(project: Project) -> int:
    """The project's progress: the mean of its milestones' (0 without milestones)."""
    values = list(project.milestones.values_list("progress", flat=True))
    return round(sum(values) / len(values)) if values else 0


@transaction.atomic
def target_save(
    *,
    actor: Any,
    project: Project,
    indicator: str,
    target: Any,
    unit: str = "",
    measure: str = TargetMeasure.MANUAL,
    actual: Any = None,
    measured_on: dt.date | None = None,
    note: str = "",
    existing: PerformanceTarget | None = None,
) -> PerformanceTarget:
    """A performance target; its actual is entered only when it is not counted from records."""
    require_project(actor, project)
    _choice(measure, TargetMeasure, "measure")
    if measure != TargetMeasure.MANUAL and actual not in (None, ""):
        raise invalid(
            _("This target's actual value is counted from the records: leave it empty."),
            "actual",
        )
    before = snapshot(existing) if existing else None
    row = existing or PerformanceTarget(project=project)
    row.indicator, row.unit = (
        _text(indicator, "indicator", 200),
        _text(unit, "unit", 30, required=False),
    )
    row.target = _required_figure(target, "target")
    row.measure = measure
    row.actual = parse_figure(actual, field="actual", signed=True)
    row.measured_on, row.note = measured_on, _text(note, "note", 300, required=False)
    save_with_history(actor=actor, obj=row, before=before)
    return row


@transaction.atomic
def acceptance_record(
    *,
    actor: Any,
    project: Project,
    checked_on: dt.date,
    passed: bool,
    inspectors: str,
    findings: str = "",
) -> Acceptance:
    """Record the acceptance check of a completed project: it becomes accepted or failed
    (a failed one goes back to work and may be checked again)."""
    require_project(actor, project)
    if project.status != ProjectStatus.COMPLETED:
        raise BangfuError(
            ErrorCode.PROJECT_TRANSITION_INVALID,
            _("Only a completed project is checked for acceptance."),
            field="status",
        )
    if project.start_date and checked_on < project.start_date:
        raise invalid(_("The check is dated before the project started."), "checked_on")
    before_acceptance = None
    found = Acceptance.objects.filter(project=project).first()
    if found is not None:
        before_acceptance = snapshot(found)
    acceptance = found or Acceptance(project=project, recorded_by=actor)
    acceptance.checked_on, acceptance.passed = checked_on, passed
    acceptance.inspectors = _text(inspectors, "inspectors", 300)
    acceptance.findings = findings.strip()
    if not passed and not acceptance.findings:
        raise invalid(_("Say what failed the check."), "findings")
    save_with_history(actor=actor, obj=acceptance, before=before_acceptance)
    before = snapshot(project)
    project.status = ProjectStatus.ACCEPTED if passed else ProjectStatus.REJECTED
    save_with_history(actor=actor, obj=project, before=before, reason=_("acceptance check"))
    return acceptance


# ---------------------------------------------------------------------------- accounts


def _account(code: str, **fields: Any) -> Account:
    account, _created = Account.objects.get_or_create(code=code, defaults=fields)
    return account


def external_account() -> Account:
    return _account(EXTERNAL_ACCOUNT, name="External", kind=AccountKind.EXTERNAL)


def funded_source(fund_source: str, year: int, field: str = "source_year") -> Account:
    """The account of a fund source in a year that has been funded: money is paid from it, so
    a source nobody funded is refused (naming ``source_year``), not opened."""
    _choice(fund_source, FundSource, "fund_source")
    found = Account.objects.filter(code=f"src-{fund_source}-{check_year(year, field)}")
    account = found.first()
    if account is None:
        raise invalid(
            _("No {source} of {year} has been received.").format(
                source=FundSource(fund_source).label, year=year
            ),
            field,
        )
    return account


def source_account(fund_source: str, year: int, field: str = "year") -> Account:
    """The account of a fund source in a year (沪滇合作资金 2025 …), opened when first funded."""
    _choice(fund_source, FundSource, "fund_source")
    year = check_year(year, field)
    label = FundSource(fund_source).label
    return _account(
        f"src-{fund_source}-{year}",
        name=f"{label} {year}",
        kind=AccountKind.SOURCE,
        fund_source=fund_source,
        year=year,
    )


def project_account(project: Project) -> Account:
    return _account(
        f"prj-{project.code}", name=project.name, kind=AccountKind.PROJECT, project=project
    )


def beneficiaries_account(project: Project) -> Account:
    """The payee account of the households the project pays (split per household)."""
    return _account(
        f"ben-{project.code}", name=f"{project.name} · households", kind=AccountKind.PAYEE
    )


def contractor_account(name: str) -> Account:
    name = _text(name, "payee", 150)
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    code = f"pay-{slugify(name)[:40] or 'payee'}-{digest}"
    return _account(code, name=name, kind=AccountKind.PAYEE)


def fen(amount: Any, field: str = "amount") -> int:
    """A positive amount in yuan as whole fen (the ledger's unit)."""
    return int(yuan_required(amount, field=field, positive=True) * 100)


# ---------------------------------------------------------------------------- movements


@transaction.atomic
def fund(
    *,
    actor: Any,
    fund_source: str,
    year: int,
    amount: Any,
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
    memo: str = "",
) -> Entry:
    """Money arriving from outside (a transfer of 沪滇合作资金 to the county …)."""
    _require_ledger_writer(actor)
    source = source_account(fund_source, year)
    move = ledger.Move(external_account(), source, source, fen(amount))
    return ledger.ledger_post(
        actor=actor,
        kind=EntryKind.FUNDING,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=idempotency_key,
        moves=[move],
        memo=memo,
    )


def _require_ledger_writer(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.role in (Role.AUDITOR, Role.HELPER):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("You may not record movements of money."))


@transaction.atomic
def allocate(
    *,
    actor: Any,
    project: Project,
    fund_source: str,
    year: int,
    amount: Any,
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
    memo: str = "",
) -> Entry:
    """Allocate a fund source's money of a year to the project."""
    require_project(actor, project)
    source = source_account(fund_source, year)
    move = ledger.Move(source, project_account(project), source, fen(amount))
    return ledger.ledger_post(
        actor=actor,
        kind=EntryKind.ALLOCATION,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=idempotency_key,
        moves=[move],
        memo=memo,
    )


@transaction.atomic
def pay_contractor(
    *,
    actor: Any,
    project: Project,
    payee: str,
    source: Account,
    amount: Any,
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
    memo: str = "",
) -> Entry:
    """Pay a contractor (or supplier) from the project's money of one source."""
    require_project(actor, project)
    move = ledger.Move(project_account(project), contractor_account(payee), source, fen(amount))
    return ledger.ledger_post(
        actor=actor,
        kind=EntryKind.PAYMENT,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=idempotency_key,
        moves=[move],
        memo=memo,
    )


def record_action(actor: Any, obj: Any, what: str) -> None:
    """An action with no fields of its own changed (a payment split, dividends paid)."""
    audit_record(actor=actor, action=AuditAction.ACTION, obj=obj, reason=what)
