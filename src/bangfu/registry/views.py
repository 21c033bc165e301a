"""Registry pages: the household list (filters, search, paging, Excel export), the household
page (members, incomes with a chart, guarantees, workflow, history), and the forms that
create and change households, record incomes and assess guarantees.

Thin, as the shell's pages are: parse input, ask a scoped selector or a service, render. Every
read goes through ``bangfu.registry.selectors`` (scoped by ``scope_for``), every write through
``bangfu.registry.services``. What is only presentation (labels of guarantee problems, the
income chart's geometry, masking for roles that may not see personal data) is here.

``bangfu.registry`` sits below ``bangfu.web`` in the layer contract, so the two small helpers
this module shares in spirit with the shell (turning refusals into 404/403, streaming an .xlsx)
are written out here rather than imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from bangfu.accounts.models import Role
from bangfu.accounts.scopes import can_see_personal_data, scope_for
from bangfu.audit.models import AuditEntry
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.paging import CappedPaginator
from bangfu.core.spreadsheets import Column
from bangfu.core.web import refusals_as_http, xlsx_response
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.regions.selectors import region_ancestors, region_roots, region_subtree
from bangfu.registry import selectors
from bangfu.registry.codelists import code_list
from bangfu.registry.forms import (
    GuaranteeForm,
    HouseholdFilterForm,
    HouseholdForm,
    IncomeForm,
    MemberForm,
    TransitionForm,
    attach_error,
    household_in,
    member_formset,
    member_in,
)
from bangfu.registry.linked_income import entered_amounts
from bangfu.registry.models import (
    GuaranteeAssessment,
    Household,
    HouseholdStatus,
    IncomeRecord,
    LinkedIncome,
    Member,
)
from bangfu.registry.panels import household_panels
from bangfu.registry.policy import MissingParameter, parameter
from bangfu.registry.selectors import HouseholdFilter
from bangfu.registry.services import (
    CODED_HOUSEHOLD_FIELDS,
    CODED_MEMBER_FIELDS,
    GUARANTEE_EVIDENCE_FIELDS,
    INCOME_FIELDS,
    Problem,
    ValidationFailed,
    guarantee_assess,
    household_save,
    household_transition,
    income_record_save,
)
from bangfu.registry.workflow import FORWARD, OBJECTION_BACK, allowed_next

PAGE_SIZE = 50
# The list counts its households up to this many (or to the end of the page asked for) and
# says "more than 10000" beyond: a broad filter on a large scope never reads every row in
# scope just to count them (core.paging; bench/README.md, registry.household_list).
LIST_COUNT_CAP = 10_000
VILLAGE_SELECT_LIMIT = 500  # more villages than this in a capture scope: type the code instead


# --- presentation helpers (also used by the API) ---------------------------------------------

GUARANTEES = {
    "food": gettext_lazy("Food"),
    "clothing": gettext_lazy("Clothing"),
    "education": gettext_lazy("Compulsory education"),
    "medical": gettext_lazy("Basic medical care"),
    "housing": gettext_lazy("Safe housing"),
    "water": gettext_lazy("Safe drinking water"),
}
PROBLEM_TEXTS = {
    "food_insecure": gettext_lazy("Not enough food."),
    "clothing_insecure": gettext_lazy("Not enough clothing."),
    "child_out_of_school": gettext_lazy(
        "{member}, aged {age}, is of compulsory-school age and not in school."
    ),
    "member_not_insured": gettext_lazy("{member} lacks insurance: {missing}."),
    "house_not_assessed": gettext_lazy("The house's safety grade has not been assessed."),
    "house_unsafe": gettext_lazy("The house is of safety grade {grade}, which is not safe."),
    "water_quantity_not_assessed": gettext_lazy("The water quantity has not been assessed."),
    "water_quantity_low": gettext_lazy(
        "{litres} L of water per person per day, below the minimum of {minimum} L."
    ),
    "water_quality_not_assessed": gettext_lazy("The water quality has not been assessed."),
    "water_quality_failed": gettext_lazy("The water quality evidence failed."),
    "water_inconvenient": gettext_lazy(
        "Fetching water is too far: {minutes} minutes a trip, {horizontal_m} m across, "
        "{vertical_m} m up."
    ),
    "water_reliability_not_assessed": gettext_lazy(
        "The water supply's reliability has not been assessed."
    ),
    "water_unreliable": gettext_lazy(
        "The water supply is interrupted {days} days a year, more than {maximum}."
    ),
}
INSURANCE = {
    "basic_medical": gettext_lazy("basic medical insurance"),
    "critical_illness": gettext_lazy("critical-illness insurance"),
}


def guarantee_problem_text(problem: dict[str, Any]) -> str:
    """A stored guarantee problem (``{"guarantee", "code", **detail}``) as a sentence."""
    detail = {k: ("—" if v in (None, "None") else v) for k, v in problem.items()}
    if "missing" in detail:
        detail["missing"] = "、".join(
            str(INSURANCE.get(name, name)) for name in str(detail["missing"]).split(",") if name
        )
    template = PROBLEM_TEXTS.get(str(problem.get("code")))
    if template is None:
        return str(problem.get("code", ""))
    try:
        return str(template).format(**detail)
    except (KeyError, IndexError):
        return str(problem.get("code", ""))


def mask_phone(phone: str) -> str:
    """All but the last four digits hidden: ``*******0000``."""
    phone = phone or ""
    return "*" * max(len(phone) - 4, 0) + phone[-4:] if len(phone) > 4 else "*" * len(phone)


def status_label(status: str) -> str:
    return str(HouseholdStatus(status).label) if status in HouseholdStatus.values else status


def next_steps(status: str) -> list[tuple[str, str]]:
    """The workflow's next steps from a status, labelled; the step back after an objection
    says so."""
    back = OBJECTION_BACK.get(status)
    steps = []
    for target in allowed_next(status):
        label = status_label(target)
        if target == back and target not in FORWARD.get(status, ()):
            label = _("{status} (after an objection)").format(status=label)
        steps.append((target, label))
    return steps


def income_chart(incomes: list[IncomeRecord], lines: dict[int, Decimal]) -> dict[str, Any] | None:
    """Geometry of a bar chart of income per person by year, drawn as inline SVG by the
    template; ``lines`` (year → poverty line) draws a dashed mark over each year's bar."""
    if not incomes:
        return None
    slot, left, top, height, bottom = 64, 8, 22, 140, 24
    values = [max(r.net_income_pc, Decimal(0)) for r in incomes]
    ceiling = max([*values, *lines.values(), Decimal(1)]) * Decimal("1.1")
    bars = []
    for index, (record, value) in enumerate(zip(incomes, values, strict=True)):
        bar_height = float(value / ceiling) * height
        x = left + index * slot
        line = lines.get(record.year)
        bars.append(
            {
                "x": x + 10,
                "width": slot - 20,
                "y": top + height - bar_height,
                "height": bar_height,
                "label_x": x + slot / 2,
                "value_y": top + height - bar_height - 5,
                "year": record.year,
                "value": record.net_income_pc,
                "below": line is not None and record.net_income_pc < line,
                "line_y": top + height - float(line / ceiling) * height if line else None,
                "line": line,
            }
        )
    return {
        "width": left * 2 + slot * len(incomes),
        "height": top + height + bottom,
        "base_y": top + height,
        "year_y": top + height + 16,
        "bars": bars,
    }


def _poverty_lines(household: Household, years: list[int]) -> dict[int, Decimal]:
    lines = {}
    for year in years:
        try:
            lines[year] = Decimal(
                str(parameter("poverty_line.current", year, household.village.code))
            )
        except MissingParameter:
            continue
    return lines


def _guarantee_rows(rows: list[GuaranteeAssessment]) -> list[dict[str, Any]]:
    fields = {f.name: f for f in GuaranteeAssessment._meta.fields}
    shown = []
    for row in rows:
        evidence = []
        for name in GUARANTEE_EVIDENCE_FIELDS:
            value = getattr(row, name)
            if isinstance(value, bool):
                value = _("yes") if value else _("no")
            evidence.append((fields[name].verbose_name, "—" if value in (None, "") else value))
        notes = row.evidence.get("text", "") if isinstance(row.evidence, dict) else row.evidence
        shown.append(
            {
                "row": row,
                "results": [
                    (label, getattr(row, f"{key}_ok")) for key, label in GUARANTEES.items()
                ],
                "evidence": evidence,
                "notes": notes,
                "problems": [
                    (
                        GUARANTEES.get(p.get("guarantee"), p.get("guarantee")),
                        guarantee_problem_text(p),
                    )
                    for p in row.problems
                ],
            }
        )
    return shown


def _member_rows(
    members: list[Member], *, personal: bool, revealed: dict[int, str] | None
) -> list[dict[str, Any]]:
    """What the members table shows. Roles that may not see personal data get the birth year
    only: a full birth date with the masked number would leave just three digits unknown."""
    return [
        {
            "member": m,
            "id_number": revealed[m.pk] if revealed and m.pk in revealed else m.id_number_masked,
            "revealed": bool(revealed and m.pk in revealed),
            "birth": m.birth_date.isoformat() if personal else str(m.birth_date.year),
            "phone": m.phone if personal else mask_phone(m.phone),
        }
        for m in members
    ]


class ShownEntry:
    """An audit entry as the household page shows it (``web/_history.html`` reads ``changes()``
    and the entry's own attributes): members' changes one row per member and field, codes as
    labels, and phones and birth dates masked for roles that may not see personal data."""

    def __init__(self, entry: AuditEntry, rows: list[tuple[str, Any, Any]]) -> None:
        self.entry, self.rows = entry, rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self.entry, name)

    def changes(self) -> list[tuple[str, Any, Any]]:
        return self.rows


EMPTY: tuple[Any, ...] = (None, "", [], {})


def _shown_value(key: str, value: Any, personal: bool) -> Any:
    if value in (None, ""):
        return value
    if key == "phone" and not personal:
        return mask_phone(str(value))
    if key == "birth_date" and not personal:
        return str(value)[:4]
    list_name = CODED_HOUSEHOLD_FIELDS.get(key) or CODED_MEMBER_FIELDS.get(key)
    if list_name:
        return code_list(list_name).label(str(value))
    if key == "secondary_causes" and isinstance(value, list):
        return "、".join(code_list("poverty_cause").label(c) for c in value) or None
    if key == "status":
        return status_label(str(value))
    return value


def _member_changes(before: Any, after: Any, personal: bool) -> list[tuple[str, Any, Any]]:
    """Members are matched by their masked ID number (what the snapshot keeps)."""
    old = {m.get("id_number_masked"): m for m in before or []}
    new = {m.get("id_number_masked"): m for m in after or []}
    rows: list[tuple[str, Any, Any]] = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        name = (b or a or {}).get("name", "")
        if a is None or b is None:
            shown = f"{name} ({key})"
            rows.append((_("Member"), shown if a else None, shown if b else None))
            continue
        for field in dict.fromkeys([*a, *b]):
            if a.get(field) != b.get(field):
                label = getattr(Member._meta.get_field(field), "verbose_name", field)
                rows.append(
                    (
                        f"{name}: {label}",
                        _shown_value(field, a.get(field), personal),
                        _shown_value(field, b.get(field), personal),
                    )
                )
    return rows


def shown_history(entries: Iterable[AuditEntry], *, personal: bool) -> list[ShownEntry]:
    shown = []
    for entry in entries:
        rows: list[tuple[str, Any, Any]] = []
        for key, before, after in entry.changes():
            if key == "members":
                rows += _member_changes(before, after, personal)
            elif before not in EMPTY or after not in EMPTY:  # not "— → —" on creation
                rows.append(
                    (key, _shown_value(key, before, personal), _shown_value(key, after, personal))
                )
        shown.append(ShownEntry(entry, rows))
    return shown


# --- the list and its export -----------------------------------------------------------------


def _filters(form: HouseholdFilterForm) -> HouseholdFilter:
    """The filters that parsed; an invalid one is shown beside its field and left out."""
    if not form.is_bound:
        return HouseholdFilter()
    form.is_valid()
    data = form.cleaned_data
    return HouseholdFilter(
        region=data.get("region") or None,
        status=data.get("status") or None,
        household_type=data.get("household_type") or None,
        cause=data.get("cause") or None,
        income_below=data.get("income_below"),
        income_at_least=data.get("income_at_least"),
        guarantee_problems={"yes": True, "no": False}.get(data.get("guarantee_problems") or ""),
        q=data.get("q") or None,
    )


def _listed(user: Any, filters: HouseholdFilter) -> QuerySet[Household]:
    """The list's queryset: the selector's, with the members' names, and the villages in a
    query of their own (the page's 50) rather than by a join. Without a scope or a region
    filter the rows query then reads the number index alone, and a deep page skips the rows
    before it (OFFSET) without visiting them: page 20,000 of 1,000,000 in 0.04 s, not 1.6 s."""
    names = Member.objects.only("id", "household_id", "name").order_by("id")
    return (
        selectors.household_list(user=user, filters=filters)
        .select_related(None)
        .prefetch_related("village", Prefetch("members", queryset=names))
    )


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    form = HouseholdFilterForm(request.GET or None)
    listed = _listed(request.user, _filters(form))
    page = CappedPaginator(listed, PAGE_SIZE, cap=LIST_COUNT_CAP).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_create": not scope_for(request.user, "capture").is_empty,
    }
    return render(request, "registry/household_list.html", context)


def household_columns() -> list[Column]:
    return [
        Column(_("Household number"), 20),
        Column(_("Village code"), 16),
        Column(_("Village"), 16),
        Column(_("Head of household"), 12),
        Column(_("Household size"), 8, text=False),
        Column(_("Status"), 16),
        Column(_("Household type"), 14),
        Column(_("Main poverty cause"), 14),
        Column(_("Latest income year"), 10, text=False),
        Column(_("Income per person (yuan)"), 14, text=False),
    ]


def household_rows(households: QuerySet[Household]) -> Iterator[Sequence[Any]]:
    types, causes = code_list("household_type"), code_list("poverty_cause")
    language = get_language()
    for h in households.iterator(chunk_size=2000):
        yield (
            h.household_no,
            h.village.code,
            h.village.display_name(language),
            h.head_name,
            h.size,
            status_label(h.status),
            types.label(h.household_type) if h.household_type else "",
            causes.label(h.main_cause) if h.main_cause else "",
            h.latest_income_year,
            float(h.latest_net_income_pc) if h.latest_net_income_pc is not None else None,
        )


@login_required
def household_export(request: HttpRequest) -> FileResponse:
    """The filtered list as .xlsx, through the same scoped selector as the page. Minimal on
    purpose: the full exporter (registry/exporters.py) replaces it."""
    filters = _filters(HouseholdFilterForm(request.GET or None))
    households = selectors.household_list(user=request.user, filters=filters)
    return xlsx_response(
        "households.xlsx", _("Households"), household_columns(), household_rows(households)
    )


# --- the household page ----------------------------------------------------------------------


def _default_level(user: Any) -> str:
    levels = {str(Role.VILLAGE): "village", str(Role.TOWNSHIP): "township"}
    return levels.get(str(getattr(user, "role", "")), "county")


def _detail_context(
    request: HttpRequest,
    household: Household,
    *,
    revealed: dict[int, str] | None = None,
    transition_form: TransitionForm | None = None,
) -> dict[str, Any]:
    user = request.user
    code = household.village.code
    can_capture = scope_for(user, "capture").covers(code)
    personal = can_see_personal_data(user, code)
    steps = next_steps(household.status)
    if transition_form is None and can_capture and steps:
        transition_form = TransitionForm(
            choices=steps, initial={"on_date": timezone.localdate(), "level": _default_level(user)}
        )
    incomes = list(household.incomes.order_by("year"))
    linked = _linked_by_year(household)
    income_rows = [(r, linked.pop(r.year, [])) for r in reversed(incomes)]
    ancestors = [a for a in region_ancestors(region=household.village) if a.level >= Level.COUNTY]
    return {
        "household": household,
        "ancestors": ancestors,
        "members": _member_rows(
            list(household.members.all()), personal=personal, revealed=revealed
        ),
        "revealed": bool(revealed),
        "can_reveal": personal,
        "can_capture": can_capture,
        "phone": household.phone if personal else mask_phone(household.phone),
        "incomes": list(reversed(incomes)),
        "income_rows": income_rows,  # each record with its linked incomes
        "linked_waiting": sorted(linked.items(), reverse=True),  # years without a record
        "chart": income_chart(incomes, _poverty_lines(household, [r.year for r in incomes])),
        "guarantees": _guarantee_rows(list(household.guarantees.order_by("-year"))),
        "changes": list(household.status_changes.select_related("actor").order_by("-at", "-id")),
        "steps": steps,
        "transition_form": transition_form if can_capture else None,
        "history": shown_history(object_history(obj=household)[:50], personal=personal),
        "panels": household_panels(request, household),
    }


@login_required
@refusals_as_http
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_get(user=request.user, pk=pk)
    return render(request, "registry/household_detail.html", _detail_context(request, household))


@never_cache
@login_required
@refusals_as_http
@require_POST
def household_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The household page with its members' ID numbers in clear, on this response only; the
    selector refuses roles that may not see them and writes the access log."""
    household = selectors.household_get(user=request.user, pk=pk)
    purpose = request.POST.get("purpose", "").strip()[:300] or _("shown on the household page")
    revealed = selectors.member_reveal_id_numbers(
        user=request.user, household=household, purpose=purpose
    )
    context = _detail_context(request, household, revealed=revealed)
    return render(request, "registry/household_detail.html", context)


@login_required
@refusals_as_http
@require_POST
def household_transition_view(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_get(user=request.user, pk=pk)
    capture = selectors.capture_for(user=request.user, household=household)
    form = TransitionForm(request.POST, choices=next_steps(household.status))
    if form.is_valid():
        try:
            household_transition(
                actor=request.user, capture=capture, household=household, **form.cleaned_data
            )
        except BangfuError as error:
            attach_error(form, error)
        else:
            messages.success(
                request,
                _("The household is now: {status}.").format(status=status_label(household.status)),
            )
            return redirect("household-detail", pk=household.pk)
    context = _detail_context(request, household, transition_form=form)
    return render(request, "registry/household_detail.html", context)


# --- create and edit ---------------------------------------------------------------------------


def village_choices(capture: RegionScope) -> list[tuple[str, str]] | None:
    """The villages of a capture scope for a <select>, or None when there are too many."""
    language = get_language()
    villages: list[Region] = []
    for root in region_roots(scope=capture).order_by("code"):
        if root.level == Level.VILLAGE:
            villages.append(root)
        elif root.level < Level.VILLAGE:
            below = region_subtree(scope=capture, region=root).filter(level=Level.VILLAGE)
            villages += list(below.order_by("code")[: VILLAGE_SELECT_LIMIT + 1])
        if len(villages) > VILLAGE_SELECT_LIMIT:
            return None
    return [(v.code, f"{v.display_name(language)} · {v.code}") for v in villages]


def _show_problems(
    form: HouseholdForm, rows: list[MemberForm], formset: Any, problems: list[Problem]
) -> None:
    """Each problem beside its field; a member's beside the field of the right member row."""
    for problem in problems:
        if problem.member is not None and 0 <= problem.member < len(rows):
            attach_error(rows[problem.member], problem)
        elif problem.field in {"members", "relation"} and problem.member is None:
            formset.non_form_errors().append(f"{problem.message} [{problem.code}]")
        else:
            attach_error(form, problem)


def _save(
    request: HttpRequest,
    form: HouseholdForm,
    formset: Any,
    household: Household | None,
    capture: RegionScope,
) -> Household | None:
    rows: list[MemberForm] = formset.filled()
    members = []
    for row in rows:
        values = row.cleaned_data
        member = member_in(values, (values.get("id_number") or "").strip())
        member.member_id = values.get("member") if household is not None else None
        members.append(member)
    data = household_in(form.cleaned_data, members, household=household)
    try:
        saved, _outcome = household_save(
            actor=request.user,
            capture=capture,
            data=data,
            reason=form.cleaned_data.get("reason") or "",
        )
    except ValidationFailed as failed:
        _show_problems(form, rows, formset, failed.problems)
        return None
    except BangfuError as error:
        attach_error(form, error)
        return None
    return saved


def _household_form(
    request: HttpRequest, household: Household | None, capture: RegionScope
) -> HttpResponse:
    villages = village_choices(capture)
    initial = HouseholdForm.initial_for(household) if household is not None else None
    if request.method == "POST":
        data: Any = request.POST
        adding = "add_member" in data
        if adding:  # one more empty member row; nothing is saved
            data = data.copy()
            data["members-TOTAL_FORMS"] = str(int(data.get("members-TOTAL_FORMS") or 0) + 1)
        form = HouseholdForm(data, household=household, villages=villages, initial=initial)
        formset = member_formset(data, household=household)
        if not adding and form.is_valid() and formset.is_valid():
            saved = _save(request, form, formset, household, capture)
            if saved is not None:
                messages.success(request, _("Household {no} saved.").format(no=saved.household_no))
                return redirect("household-detail", pk=saved.pk)
    else:
        form = HouseholdForm(household=household, villages=villages, initial=initial)
        formset = member_formset(household=household)
    context = {"form": form, "formset": formset, "household": household}
    return render(request, "registry/household_form.html", context)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def household_create(request: HttpRequest) -> HttpResponse:
    capture = scope_for(request.user, "capture")
    if capture.is_empty:
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    return _household_form(request, None, capture)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_get(user=request.user, pk=pk)
    capture = selectors.capture_for(user=request.user, household=household)
    return _household_form(request, household, capture)


# --- incomes and guarantees ------------------------------------------------------------------


def _linked_by_year(household: Household) -> dict[int, list[LinkedIncome]]:
    """The household's linked incomes (project wages, dividends …) by year."""
    by_year: dict[int, list[LinkedIncome]] = {}
    for linked in household.linked_incomes.order_by("-year", "income_type", "pk"):
        by_year.setdefault(linked.year, []).append(linked)
    return by_year


def _year_param(request: HttpRequest) -> int | None:
    text = request.GET.get("year", "").strip()
    return int(text) if text.isdigit() and len(text) == 4 else None


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def household_income(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_get(user=request.user, pk=pk)
    capture = selectors.capture_for(user=request.user, household=household)
    year = _year_param(request)
    record = household.incomes.filter(year=year).first() if year else None
    initial: dict[str, Any] = {"year": year or timezone.localdate().year - 1}
    if record is not None:
        # The form holds what was entered by hand; the linked incomes are added on saving.
        initial.update({name: getattr(record, name) for name in INCOME_FIELDS})
        initial.update(entered_amounts(record))
        initial["persons"] = record.persons
    form = IncomeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            income_record_save(
                actor=request.user,
                capture=capture,
                household=household,
                year=data["year"],
                persons=data.get("persons"),
                amounts={name: data.get(name) for name in INCOME_FIELDS},
                reason=data.get("reason") or "",
            )
        except BangfuError as error:
            attach_error(form, error)
        else:
            messages.success(request, _("Income for {year} saved.").format(year=data["year"]))
            return redirect("household-detail", pk=household.pk)
    shown_year = record.year if record is not None else year
    linked = _linked_by_year(household).get(shown_year, []) if shown_year else []
    context = {"form": form, "household": household, "record": record, "linked": linked}
    return render(request, "registry/income_form.html", context)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def household_guarantee(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.household_get(user=request.user, pk=pk)
    capture = selectors.capture_for(user=request.user, household=household)
    year = _year_param(request)
    row = household.guarantees.filter(year=year).first() if year else None
    today = timezone.localdate()
    initial: dict[str, Any] = {"year": year or today.year, "assessed_on": today}
    if row is not None:
        initial.update({name: getattr(row, name) for name in GUARANTEE_EVIDENCE_FIELDS})
        initial["assessed_on"] = row.assessed_on
        initial["notes"] = row.evidence.get("text", "") if isinstance(row.evidence, dict) else ""
    form = GuaranteeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            guarantee_assess(
                actor=request.user,
                capture=capture,
                household=household,
                year=data["year"],
                assessed_on=data["assessed_on"],
                evidence=form.evidence(),
                reason=data.get("reason") or "",
            )
        except BangfuError as error:
            attach_error(form, error)
        else:
            messages.success(
                request, _("Guarantee assessment for {year} saved.").format(year=data["year"])
            )
            return redirect("household-detail", pk=household.pk)
    context = {"form": form, "household": household, "row": row}
    return render(request, "registry/guarantee_form.html", context)
