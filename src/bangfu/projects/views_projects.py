"""The project pages: the list (by pairing, region, status, kind, year), its Excel export, a new
project, and a project's page — its money from the fund sources to its uses (a Sankey chart
and the reconciliation), progress, targets against actuals, beneficiaries, acceptance,
documents and ledger entries, with the forms that change them.

Thin, like the other apps' views: parse the form, call one service or scoped read, render.
A refusal that names a field is shown beside that field; a hidden or absent project answers
404, a write outside the capture scope 403.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bangfu.accounts.scopes import scope_for
from bangfu.audit.models import AccessKind
from bangfu.audit.services import access_record
from bangfu.core.errors import BangfuError, ErrorCode, invalid
from bangfu.core.money import yuan
from bangfu.core.spreadsheets import Column
from bangfu.core.web import (
    attempt,
    choice_or_blank,
    form_date,
    form_int,
    form_optional_date,
    page_of,
    refusals_as_http,
    xlsx_response,
)
from bangfu.projects import services
from bangfu.projects.benefits import BenefitIn, benefit_pay
from bangfu.projects.documents import document_keep, document_path
from bangfu.projects.flow import FundFlow, fund_flow, money_by_project, source_label
from bangfu.projects.models import (
    Acceptance,
    Account,
    AccountKind,
    Benefit,
    Entry,
    FundSource,
    Mechanism,
    Milestone,
    PerformanceTarget,
    Project,
    ProjectBudget,
    ProjectDocument,
    ProjectKind,
    ProjectStatus,
    TargetMeasure,
)
from bangfu.projects.sankey import sankey_svg
from bangfu.projects.selectors import (
    benefit_summary,
    live_benefits,
    may_change_project,
    project_get,
    project_list,
    target_actual,
)
from bangfu.regions.models import Pairing
from bangfu.regions.scope import typed_region
from bangfu.regions.selectors import pairing_list, region_by_code
from bangfu.registry.selectors import households_by_no

PAGE_SIZE = 50
MAX_PASTED_ROWS = 2000  # households pasted into one payment (larger lists: the import)
ENTRIES_SHOWN = 200
# the section of the project's page each form is in
SECTIONS = {
    "budget": "money",
    "allocate": "money",
    "pay": "money",
    "households": "beneficiaries",
    "milestone": "milestones",
    "target": "targets",
    "document": "documents",
}


# ---------------------------------------------------------------------------- helpers


def _may_capture(user: Any) -> bool:
    return not scope_for(user, "capture").is_empty


# ---------------------------------------------------------------------------- the list


def _filters(request: HttpRequest) -> dict[str, Any]:
    region = request.GET.get("region", "").strip()[:15]
    return {
        "pairing": form_int(request.GET.get("pairing")),
        "region": region,
        "status": choice_or_blank(request.GET.get("status", ""), ProjectStatus.values),
        "kind": choice_or_blank(request.GET.get("kind", ""), ProjectKind.values),
        "year": form_int(request.GET.get("year")),
        "q": request.GET.get("q", "").strip()[:100],
    }


def _filtered(user: Any, filters: dict[str, Any]) -> QuerySet[Project]:
    projects = project_list(user)
    if filters["pairing"]:
        projects = projects.filter(pairing=filters["pairing"])
    if (area := typed_region(filters["region"])) is not None:
        projects = projects.filter(area.q("region__code"))
    if filters["status"]:
        projects = projects.filter(status=filters["status"])
    if filters["kind"]:
        projects = projects.filter(kind=filters["kind"])
    if filters["year"]:
        projects = projects.filter(year=filters["year"])
    if filters["q"]:
        projects = projects.filter(
            Q(code__icontains=filters["q"]) | Q(name__icontains=filters["q"])
        )
    return projects.order_by("-year", "code")


@dataclass(frozen=True)
class Row:
    """A project of the list with its money (from the budget and the ledger) and progress."""

    project: Project
    budget: Decimal
    allocated: Decimal
    paid: Decimal
    progress: int


def _rows(projects: Any) -> list[Row]:
    projects = list(projects)
    ids = [p.pk for p in projects]
    budgets: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for line in ProjectBudget.objects.filter(project__in=ids):
        budgets[line.project_id] += line.amount
    progress: dict[int, list[int]] = defaultdict(list)
    for project_id, value in Milestone.objects.filter(project__in=ids).values_list(
        "project", "progress"
    ):
        progress[project_id].append(value)
    money = money_by_project(ids)
    rows = []
    for project in projects:
        received, paid = money.get(project.pk, (0, 0))
        values = progress.get(project.pk, [])
        rows.append(
            Row(
                project=project,
                budget=budgets[project.pk],
                allocated=yuan(received),
                paid=yuan(paid),
                progress=round(sum(values) / len(values)) if values else 0,
            )
        )
    return rows


def _pairing_label(pairing: Pairing | None) -> str:
    if pairing is None:
        return ""
    return f"{pairing.east.name_zh} → {pairing.west.name_zh}"


@login_required
def project_list_view(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = page_of(request, _filtered(request.user, filters), PAGE_SIZE)
    visible = project_list(request.user)
    pairings = Pairing.objects.filter(pk__in=visible.values("pairing")).select_related(
        "east", "west"
    )
    context = {
        "page": page,
        "rows": _rows(page.object_list),
        "filters": filters,
        "pairings": [(p.pk, _pairing_label(p)) for p in pairings],
        "statuses": ProjectStatus.choices,
        "kinds": ProjectKind.choices,
        "years": sorted(set(visible.values_list("year", flat=True)), reverse=True),
        "may_add": _may_capture(request.user),
    }
    return render(request, "projects/project_list.html", context)


def _list_columns() -> list[Column]:
    """Built per request: the headers in the reader's language."""
    return [
        Column(_("code"), 18),
        Column(_("name"), 30),
        Column(_("kind"), 12),
        Column(_("region code"), 14),
        Column(_("region"), 14),
        Column(_("pairing"), 24),
        Column(_("plan year"), 8, text=False),
        Column(_("status"), 14),
        Column(_("budget (yuan)"), 14, text=False),
        Column(_("allocated (yuan)"), 14, text=False),
        Column(_("paid (yuan)"), 14, text=False),
        Column(_("progress (%)"), 10, text=False),
    ]


@login_required
def project_export(request: HttpRequest) -> FileResponse:
    """The projects of the list's filters, with the money the ledger shows for each."""
    projects = _filtered(request.user, _filters(request))
    rows = (
        (
            r.project.code,
            r.project.name,
            r.project.get_kind_display(),
            r.project.region.code,
            r.project.region.name_zh,
            _pairing_label(r.project.pairing),
            r.project.year,
            r.project.get_status_display(),
            r.budget,
            r.allocated,
            r.paid,
            r.progress,
        )
        for r in _rows(projects)
    )
    return xlsx_response("projects.xlsx", _("Projects"), _list_columns(), rows)


# ---------------------------------------------------------------------------- a new project


def _pairing_by_pk(user: Any, value: Any) -> Pairing | None:
    """The pairing chosen in the form, among those the user may see (``pairing_list``)."""
    if not str(value or "").strip():
        return None
    visible = pairing_list(scope=scope_for(user, "view")).select_related("east", "west")
    pairing = visible.filter(pk=form_int(value) or 0).first()
    if pairing is None:
        raise invalid(_("Choose a pairing from the list."), "pairing")
    return pairing


def _capture_pairings(user: Any) -> list[tuple[int, str]]:
    scope = scope_for(user, "capture")
    pairings = Pairing.objects.select_related("east", "west").order_by("west__code", "start_year")
    if not scope.unrestricted:
        pairings = pairings.filter(scope.q_any("west__code", "east__code"))
    return [(p.pk, f"{_pairing_label(p)} ({p.start_year}–{p.end_year or ''})") for p in pairings]


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    if not _may_capture(request.user):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    error = None
    if request.method == "POST":
        post = request.POST

        def write() -> Project:
            return services.project_save(
                actor=request.user,
                code=post.get("code", ""),
                name=post.get("name", ""),
                kind=post.get("kind", ""),
                region=region_by_code(post.get("region"), "region"),
                year=form_int(post.get("year")) or 0,
                pairing=_pairing_by_pk(request.user, post.get("pairing")),
                implementer=post.get("implementer", ""),
                start_date=form_optional_date(post.get("start_date"), "start_date"),
                end_date=form_optional_date(post.get("end_date"), "end_date"),
                description=post.get("description", ""),
            )

        try:
            saved, error = attempt(write)
        except BangfuError as refusal:
            if refusal.status != 403:
                raise
            # outside the capture scope: the region chosen is what is wrong
            saved, error = None, BangfuError(refusal.code, refusal.message, field="region")
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("projects-detail", pk=saved.pk)
    context = {
        "error": error,
        "values": {"year": timezone.localdate().year, "kind": ProjectKind.INDUSTRY}
        | request.POST.dict(),
        "kinds": ProjectKind.choices,
        "pairings": _capture_pairings(request.user),
    }
    return render(request, "projects/project_form.html", context)


# ---------------------------------------------------------------------------- a project's page


@dataclass(frozen=True)
class BudgetLine:
    fund_source: str
    label: str
    budget: Decimal
    allocated: Decimal
    paid: Decimal
    held: Decimal


def _budget_lines(project: Project, flow: FundFlow) -> list[BudgetLine]:
    """Per fund source: the budget, and what the ledger shows allocated, paid and held."""
    budgets = {b.fund_source: b.amount for b in project.budget_lines.all()}
    money: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in flow.lines:
        sums = money[line.source.fund_source or ""]
        sums[0] += line.received
        sums[1] += line.paid
        sums[2] += line.held
    labels = dict(FundSource.choices)
    lines = []
    for source in [s for s in FundSource.values if s in budgets or s in money] + sorted(
        k for k in money if k not in FundSource.values
    ):
        received, paid, held = money.get(source, [0, 0, 0])
        lines.append(
            BudgetLine(
                fund_source=source,
                label=str(labels.get(source, source or "—")),
                budget=budgets.get(source, Decimal("0.00")),
                allocated=yuan(received),
                paid=yuan(paid),
                held=yuan(held),
            )
        )
    return lines


@dataclass(frozen=True)
class EntryRow:
    entry: Entry
    amount: Decimal
    givers: str
    takers: str


def _entries(project: Project) -> tuple[list[EntryRow], int]:
    """The latest entries touching the project's accounts: from → to and amount."""
    entries = (
        Entry.objects.filter(postings__account__project=project)
        .distinct()
        .order_by("-entry_date", "-pk")
    )
    total = entries.count()
    shown = list(entries.prefetch_related("postings__account")[:ENTRIES_SHOWN])
    rows = []
    for entry in shown:
        postings = list(entry.postings.all())
        givers = sorted({p.account.name for p in postings if p.amount_fen < 0})
        takers = sorted({p.account.name for p in postings if p.amount_fen > 0})
        rows.append(
            EntryRow(
                entry=entry,
                amount=yuan(sum(p.amount_fen for p in postings if p.amount_fen > 0)),
                givers=", ".join(givers),
                takers=", ".join(takers),
            )
        )
    return rows, total


def _payment_sources(project: Project, flow: FundFlow) -> list[tuple[int, str, Decimal]]:
    """The source accounts the project still holds money of: what a payment may draw on."""
    return [
        (line.source.pk, source_label(line.source), yuan(line.held))
        for line in flow.lines
        if line.held
    ]


def _project_context(
    request: HttpRequest,
    project: Project,
    *,
    form: str = "",
    error: BangfuError | None = None,
) -> dict[str, Any]:
    flow = fund_flow(project)
    held_label = _("still held")
    svg = sankey_svg(
        flow.bands,
        title=_("Money of {project} from its fund sources to its uses (yuan)").format(
            project=project
        ),
        empty_text=_("No money has reached this project yet."),
        muted=[held_label],
    )
    milestones = list(project.milestones.all())
    targets = [
        {
            "target": t,
            "actual": target_actual(t),
            "counted": t.measure != TargetMeasure.MANUAL,
        }
        for t in project.targets.all()
    ]
    benefits = live_benefits().filter(project=project)
    summary = benefit_summary(benefits)
    mechanisms = dict(Mechanism.choices)
    may_change = may_change_project(request.user, project)
    entries, entries_total = _entries(project)
    today = timezone.localdate()
    values = request.POST.dict() if error is not None else {}
    forms: dict[str, dict[str, Any]] = {
        "allocate": {
            "key": uuid.uuid4().hex,
            "entry_date": today.isoformat(),
            "year": project.year,
        },
        "pay": {"key": uuid.uuid4().hex, "entry_date": today.isoformat()},
        "households": {
            "key": uuid.uuid4().hex,
            "entry_date": today.isoformat(),
            "year": today.year,
            "mechanism": Mechanism.WAGES,
        },
        "milestone": {"planned_date": today.isoformat(), "progress": 0},
        "target": {"measure": TargetMeasure.MANUAL},
        "acceptance": {"checked_on": today.isoformat()},
        "budget": {},
        "document": {},
        "status": {},
    }
    editing = form_int(request.GET.get("milestone"))
    chosen = next((m for m in milestones if m.pk == editing), None)
    if chosen is not None:
        forms["milestone"] = {
            "milestone": chosen.pk,
            "name": chosen.name,
            "planned_date": chosen.planned_date.isoformat(),
            "done_date": chosen.done_date.isoformat() if chosen.done_date else "",
            "progress": chosen.progress,
            "note": chosen.note,
        }
    if form:
        forms[form] = forms[form] | values
    return {
        "project": project,
        "may_change": may_change,
        "transitions": [
            (s, ProjectStatus(s).label) for s in services.TRANSITIONS.get(project.status, ())
        ],
        "flow": flow,
        "reconciliation": [
            {
                "source": line.source,
                "label": source_label(line.source),
                "received": yuan(line.received),
                "paid": yuan(line.paid),
                "held": yuan(line.held),
                "difference": yuan(line.difference),
                "ok": line.difference == 0,
            }
            for line in flow.lines
        ],
        "totals": {
            "received": yuan(flow.received),
            "paid": yuan(flow.paid),
            "held": yuan(flow.held),
            "difference": yuan(flow.difference),
        },
        "sankey": mark_safe(svg),  # noqa: S308 - every text in it is escaped by sankey_svg
        "budget": _budget_lines(project, flow),
        "payees": sorted(((k, yuan(v)) for k, v in flow.payees.items()), key=lambda i: -i[1]),
        "milestones": milestones,
        "progress": services.project_progress(project),
        "targets": targets,
        "summary": summary,
        "by_mechanism": [(mechanisms.get(k, k), v) for k, v in summary["by_mechanism"].items()],
        "benefits": page_of(
            request,
            benefits.select_related("household", "village", "entry").order_by("-year", "pk"),
            PAGE_SIZE,
        ),
        "acceptance": Acceptance.objects.filter(project=project).first(),
        "documents": list(project.documents.select_related("uploaded_by")),
        "entries": entries,
        "entries_total": entries_total,
        "entries_shown": ENTRIES_SHOWN,
        "fund_sources": FundSource.choices,
        "measures": TargetMeasure.choices,
        "payment_sources": _payment_sources(project, flow),
        "mechanisms": Mechanism.choices,
        "statuses": ProjectStatus,
        "forms": forms,
        "form": form,
        "error": error,
        "errors": {form: error} if error is not None else {},
    }


@login_required
@refusals_as_http
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = project_get(request.user, pk)
    return render(request, "projects/project_detail.html", _project_context(request, project))


def _project_write(
    request: HttpRequest, pk: int, form: str, write: Callable[[Project], Any]
) -> HttpResponse:
    """A form of the project's page: write, then back to the page (at the form's section);
    refused, the page again with the refusal beside the form and what was typed."""
    project = project_get(request.user, pk)
    if not may_change_project(request.user, project):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Only staff of the project's region or of its eastern partner may do this."),
        )
    _saved, error = attempt(lambda: write(project))
    if error is None:
        messages.success(request, _("Saved."))
        anchor = SECTIONS.get(form, form)
        return redirect(reverse("projects-detail", args=[project.pk]) + f"#{anchor}")
    project.refresh_from_db()
    context = _project_context(request, project, form=form, error=error)
    return render(request, "projects/project_detail.html", context)


@login_required
@refusals_as_http
@require_POST
def project_status(request: HttpRequest, pk: int) -> HttpResponse:
    def write(project: Project) -> Project:
        return services.project_set_status(
            actor=request.user,
            project=project,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )

    return _project_write(request, pk, "status", write)


@login_required
@refusals_as_http
@require_POST
def project_budget(request: HttpRequest, pk: int) -> HttpResponse:
    def write(project: Project) -> ProjectBudget:
        return services.budget_set(
            actor=request.user,
            project=project,
            fund_source=request.POST.get("fund_source", ""),
            amount=request.POST.get("amount", ""),
        )

    return _project_write(request, pk, "budget", write)


@login_required
@refusals_as_http
@require_POST
def project_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST

    def write(project: Project) -> Milestone:
        existing = None
        if post.get("milestone"):
            existing = project.milestones.filter(pk=form_int(post.get("milestone")) or 0).first()
            if existing is None:
                raise invalid(_("No such milestone of this project."), "milestone")
        progress = form_int(post.get("progress"))
        if progress is None:
            raise invalid(_("Progress is a whole percentage from 0 to 100."), "progress")
        return services.milestone_save(
            actor=request.user,
            project=project,
            name=post.get("name", ""),
            planned_date=form_date(post.get("planned_date"), "planned_date"),
            progress=progress,
            done_date=form_optional_date(post.get("done_date"), "done_date"),
            note=post.get("note", ""),
            milestone=existing,
        )

    return _project_write(request, pk, "milestone", write)


@login_required
@refusals_as_http
@require_POST
def project_target(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST

    def write(project: Project) -> PerformanceTarget:
        return services.target_save(
            actor=request.user,
            project=project,
            indicator=post.get("indicator", ""),
            target=post.get("target", ""),
            unit=post.get("unit", ""),
            measure=post.get("measure", TargetMeasure.MANUAL),
            actual=post.get("actual", "") or None,
            measured_on=form_optional_date(post.get("measured_on"), "measured_on"),
            note=post.get("note", ""),
        )

    return _project_write(request, pk, "target", write)


@login_required
@refusals_as_http
@require_POST
def project_acceptance(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST

    def write(project: Project) -> Any:
        passed = post.get("passed", "")
        if passed not in ("yes", "no"):
            raise invalid(_("Say whether the project passed."), "passed")
        return services.acceptance_record(
            actor=request.user,
            project=project,
            checked_on=form_date(post.get("checked_on"), "checked_on"),
            passed=passed == "yes",
            inspectors=post.get("inspectors", ""),
            findings=post.get("findings", ""),
        )

    return _project_write(request, pk, "acceptance", write)


@login_required
@refusals_as_http
@require_POST
def project_allocate(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST

    def write(project: Project) -> Entry:
        key = post.get("key", "").strip()
        if not key:
            raise invalid(_("The form has expired: open the page again."), "key")
        return services.allocate(
            actor=request.user,
            project=project,
            fund_source=post.get("fund_source", ""),
            year=form_int(post.get("year")) or 0,
            amount=post.get("amount", ""),
            entry_date=form_date(post.get("entry_date"), "entry_date"),
            voucher=post.get("voucher", ""),
            idempotency_key=f"web-allocate-{project.pk}-{key[:60]}",
            memo=post.get("memo", "")[:300],
        )

    return _project_write(request, pk, "allocate", write)


@login_required
@refusals_as_http
@require_POST
def project_pay(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST

    def write(project: Project) -> Entry:
        key = post.get("key", "").strip()
        if not key:
            raise invalid(_("The form has expired: open the page again."), "key")
        source = Account.objects.filter(
            pk=form_int(post.get("source")) or 0, kind=AccountKind.SOURCE
        ).first()
        if source is None:
            raise invalid(_("Choose the fund source the payment draws on."), "source")
        return services.pay_contractor(
            actor=request.user,
            project=project,
            payee=post.get("payee", ""),
            source=source,
            amount=post.get("amount", ""),
            entry_date=form_date(post.get("entry_date"), "entry_date"),
            voucher=post.get("voucher", ""),
            idempotency_key=f"web-pay-{project.pk}-{key[:60]}",
            memo=post.get("memo", "")[:300],
        )

    return _project_write(request, pk, "pay", write)


_PASTED_LINE = re.compile(r"^\s*([^\s,，;；]+)[\s,，;；]+([0-9][0-9,]*(?:\.[0-9]+)?)\s*$")


def pasted_payments(user: Any, text: str) -> list[BenefitIn]:
    """The households and amounts pasted from a spreadsheet (two columns: household number
    and amount, separated by a tab, spaces or a comma), one per line; blank lines are
    skipped, and a refusal names the row (counting the lines with a household)."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise invalid(_("Paste the households: household number and amount, one per line."), "rows")
    if len(lines) > MAX_PASTED_ROWS:
        raise invalid(
            _("At most {n} households at once: import a larger list from Excel.").format(
                n=MAX_PASTED_ROWS
            ),
            "rows",
        )
    parsed = []
    for number, line in enumerate(lines, start=1):
        match = _PASTED_LINE.match(line)
        if match is None:
            raise invalid(
                _("Row {row}: “{line}” is not a household number and an amount.").format(
                    row=number, line=line.strip()[:60]
                ),
                "rows",
            )
        parsed.append((number, match.group(1), match.group(2).replace(",", "")))
    found = households_by_no(user=user, numbers=[n for _r, n, _a in parsed])
    rows = []
    for number, household_no, amount in parsed:
        if household_no not in found:
            raise invalid(
                _("Row {row}: no household {number} is visible to you.").format(
                    row=number, number=household_no
                ),
                "rows",
            )
        rows.append(BenefitIn(amount, household=found[household_no]))
    return rows


@login_required
@refusals_as_http
@require_POST
def project_pay_households(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay households (wages, land rent…) through the ledger from a list pasted from Excel:
    one payment, split per household into their incomes for the year."""
    post = request.POST

    def write(project: Project) -> Entry:
        key = post.get("key", "").strip()
        if not key:
            raise invalid(_("The form has expired: open the page again."), "key")
        source = Account.objects.filter(
            pk=form_int(post.get("source")) or 0, kind=AccountKind.SOURCE
        ).first()
        if source is None:
            raise invalid(_("Choose the fund source the payment draws on."), "source")
        year = form_int(post.get("year")) or 0  # the service says which years it takes
        return benefit_pay(
            actor=request.user,
            project=project,
            source=source,
            mechanism=post.get("mechanism", ""),
            year=year,
            rows=pasted_payments(request.user, post.get("rows", "")),
            entry_date=form_date(post.get("entry_date"), "entry_date"),
            voucher=post.get("voucher", ""),
            idempotency_key=f"web-households-{project.pk}-{key[:60]}",
            memo=post.get("memo", "")[:300],
        )

    return _project_write(request, pk, "households", write)


@login_required
@refusals_as_http
@require_POST
def project_document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    def write(project: Project) -> ProjectDocument:
        return document_keep(
            actor=request.user,
            project=project,
            title=request.POST.get("title", ""),
            upload=request.FILES.get("file"),
        )

    return _project_write(request, pk, "document", write)


@login_required
def project_document(request: HttpRequest, pk: int) -> FileResponse:
    """A project's document for a reader of the project; every download is logged."""
    visible = project_list(request.user).values("pk")
    document = ProjectDocument.objects.filter(pk=pk, project__in=visible).first()
    if document is None or not document_path(document).is_file():
        raise Http404(_("No such document."))
    access_record(
        actor=request.user,
        kind=AccessKind.VIEW,
        model=ProjectDocument,
        object_ids=[document.pk],
        fields=["file"],
        purpose=_("project document"),
    )
    response = FileResponse(
        open(document_path(document), "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=document.file_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------------------- benefits export


def _benefit_columns() -> list[Column]:
    """Built per request; household numbers, never names (personal data)."""
    return [
        Column(_("household number"), 20),
        Column(_("village code"), 14),
        Column(_("village"), 14),
        Column(_("mechanism"), 16),
        Column(_("amount (yuan)"), 12, text=False),
        Column(_("year"), 8, text=False),
        Column(_("registered poor"), 8),
        Column(_("payment voucher"), 18),
    ]


@login_required
@refusals_as_http
def project_benefits_export(request: HttpRequest, pk: int) -> FileResponse:
    project = project_get(request.user, pk)
    benefits: QuerySet[Benefit] = (
        live_benefits()
        .filter(project=project)
        .select_related("household", "village", "entry")
        .order_by("-year", "pk")
    )
    rows = (
        (
            b.household.household_no if b.household else "",
            b.village.code,
            b.village.name_zh,
            b.get_mechanism_display(),
            b.amount,
            b.year,
            _("yes") if b.registered_poor else _("no"),
            b.entry.voucher if b.entry else "",
        )
        for b in benefits.iterator(chunk_size=2000)
    )
    return xlsx_response(
        f"benefits-{project.code}.xlsx", _("Beneficiaries"), _benefit_columns(), rows
    )


urlpatterns: list[URLPattern] = [
    path("", project_list_view, name="projects-list"),
    path("export.xlsx", project_export, name="projects-export"),
    path("new/", project_new, name="projects-new"),
    path("<int:pk>/", project_detail, name="projects-detail"),
    path("<int:pk>/status/", project_status, name="projects-status"),
    path("<int:pk>/budget/", project_budget, name="projects-budget"),
    path("<int:pk>/milestones/", project_milestone, name="projects-milestone"),
    path("<int:pk>/targets/", project_target, name="projects-target"),
    path("<int:pk>/acceptance/", project_acceptance, name="projects-acceptance"),
    path("<int:pk>/allocate/", project_allocate, name="projects-allocate"),
    path("<int:pk>/pay/", project_pay, name="projects-pay"),
    path("<int:pk>/pay-households/", project_pay_households, name="projects-pay-households"),
    path("<int:pk>/documents/", project_document_upload, name="projects-document-upload"),
    path("<int:pk>/benefits.xlsx", project_benefits_export, name="projects-benefits-export"),
    path("documents/<int:pk>/", project_document, name="projects-document"),
]
