"""Cooperative pages: the list (filters, paging, Excel export, a new cooperative), a
cooperative's page (members and their shares, years with the dividend preview and payment,
dividends by household, awards; members export) and the 以奖代补 awards page. Each view parses
input, calls one service or selector, renders; reads are scoped by ``projects.selectors``."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet, Sum
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bangfu.accounts.scopes import can_see_personal_data, scope_for
from bangfu.audit.models import AccessKind
from bangfu.audit.services import access_record
from bangfu.core.errors import BangfuError, ErrorCode, invalid
from bangfu.core.money import sum_fen, yuan
from bangfu.core.spreadsheets import Column
from bangfu.core.web import (
    form_date,
    form_int,
    page_of,
    refusals_as_http,
    take_step,
    xlsx_response,
)
from bangfu.projects import cooperatives as services
from bangfu.projects import selectors
from bangfu.projects.models import (
    AwardCriterion,
    AwardScheme,
    Cooperative,
    CooperativeModel,
    CooperativeYear,
    Mechanism,
    Membership,
    ShareCapital,
    ShareKind,
)
from bangfu.projects.selectors import REGISTERED_POOR_STATUSES
from bangfu.regions.models import Region
from bangfu.regions.scope import typed_region
from bangfu.registry import selectors as registry_selectors
from bangfu.registry.models import Household


def _today() -> str:
    return timezone.localdate().isoformat()


def household_label(user: Any, household: Household) -> str:
    """The household number, with the head's name for a reader who may see personal data."""
    if can_see_personal_data(user, household.village.code):
        return f"{household.household_no} {household.head_name}"
    return household.household_no


# ---------------------------------------------------------------------------- the list


def _filtered(request: HttpRequest) -> QuerySet[Cooperative]:
    coops = selectors.cooperative_list(request.user)
    get = request.GET
    if (scope := typed_region(get.get("region", ""))) is not None:
        coops = coops.filter(scope.q("village__code"))
    if (model := get.get("model", "")) in CooperativeModel.values:
        coops = coops.filter(model=model)
    if text := get.get("q", "").strip():
        coops = coops.filter(
            Q(name__icontains=text)
            | Q(code__icontains=text)
            | Q(company__icontains=text)
            | Q(leader__icontains=text)
        )
    if (year := form_int(get.get("income_year"))) is not None:
        with_income = CooperativeYear.objects.filter(year=year, profit__gt=0)
        coops = coops.filter(pk__in=with_income.values("cooperative"))
    return coops.order_by("village__code", "code")


def cooperative_figures(coops: list[Cooperative]) -> dict[int, dict[str, Any]]:
    """Per cooperative: current members, registered-poor members, shares, the latest year's
    profit and the dividends paid (live benefits) — a few grouped queries for the whole list."""
    pks = [c.pk for c in coops]
    figures: dict[int, dict[str, Any]] = {
        pk: {
            "members": 0,
            "poor_members": 0,
            "shares": 0,
            "latest_year": None,
            "latest_profit": None,
            "dividends": Decimal("0.00"),
        }
        for pk in pks
    }
    members = (
        Membership.objects.filter(cooperative__in=pks, left_on__isnull=True)
        .values("cooperative")
        .annotate(
            n=Count("household", distinct=True),
            poor=Count(
                "household",
                distinct=True,
                filter=Q(household__status__in=REGISTERED_POOR_STATUSES),
            ),
        )
        .order_by()
    )
    for row in members:
        figures[row["cooperative"]]["members"] = row["n"]
        figures[row["cooperative"]]["poor_members"] = row["poor"]
    shares = (
        ShareCapital.objects.filter(cooperative__in=pks)
        .values("cooperative")
        .annotate(shares=Sum("shares"))
        .order_by()
    )
    for held in shares:
        figures[held["cooperative"]]["shares"] = int(held["shares"] or 0)
    for year in CooperativeYear.objects.filter(cooperative__in=pks).order_by("cooperative", "year"):
        figures[year.cooperative_id]["latest_year"] = year.year
        figures[year.cooperative_id]["latest_profit"] = year.profit
    paid = (
        selectors.live_benefits()
        .filter(cooperative__in=pks, mechanism=Mechanism.DIVIDEND)
        .values("cooperative")
        .annotate(fen=sum_fen("amount"))
        .order_by()
    )
    for total in paid:
        figures[total["cooperative"]]["dividends"] = yuan(total["fen"])
    return figures


def _create(request: HttpRequest, _pk: int) -> Cooperative:
    post = request.POST
    code = post.get("village", "").strip()
    village = Region.objects.filter(code=code).first() if code else None
    if village is None or not scope_for(request.user, "capture").covers(village.code):
        raise invalid(_("Give the code of a village in your capture scope."), "village")
    return services.cooperative_create(
        actor=request.user,
        code=post.get("code", ""),
        name=post.get("name", ""),
        village=village,
        model=post.get("model", ""),
        founded_on=form_date(post.get("founded_on"), "founded_on"),
        company=post.get("company", ""),
        leader=post.get("leader", ""),
    )


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def cooperative_list(request: HttpRequest) -> HttpResponse:
    may_add = not scope_for(request.user, "capture").is_empty
    error = None
    if request.method == "POST":
        if not may_add:
            raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
        try:
            made = _create(request, 0)
        except BangfuError as refusal:
            if refusal.status == 404:
                raise
            error = refusal
        else:
            return redirect("projects-coop", pk=made.pk)
    page = page_of(request, _filtered(request))
    coops = list(page.object_list)
    figures = cooperative_figures(coops)
    context = {
        "page": page,
        "rows": [(c, figures[c.pk]) for c in coops],
        "models": CooperativeModel.choices,
        "may_add": may_add,
        "error": error,
        "step": "",  # the create form's errors: coop_field_error.html with s=""
        "values": {"founded_on": _today()} | request.POST.dict(),
        "opened": error is not None,
    }
    return render(request, "projects/coop_list.html", context)


def _list_columns() -> list[Column]:
    """Built per request: the headers in the reader's language."""
    return [
        Column(_("code"), 16),
        Column(_("name"), 28),
        Column(_("village code"), 14),
        Column(_("village"), 14),
        Column(_("model"), 20),
        Column(_("partner company"), 20),
        Column(_("members"), 10, text=False),
        Column(_("registered-poor members"), 10, text=False),
        Column(_("shares"), 10, text=False),
        Column(_("latest year"), 8, text=False),
        Column(_("profit of the latest year (yuan)"), 14, text=False),
        Column(_("dividends paid (yuan)"), 14, text=False),
    ]


@login_required
def cooperative_export(request: HttpRequest) -> FileResponse:
    coops = list(_filtered(request))
    figures = cooperative_figures(coops)
    rows = (
        (
            c.code,
            c.name,
            c.village.code,
            c.village.name_zh,
            c.get_model_display(),
            c.company,
            figures[c.pk]["members"],
            figures[c.pk]["poor_members"],
            figures[c.pk]["shares"],
            figures[c.pk]["latest_year"],
            figures[c.pk]["latest_profit"],
            figures[c.pk]["dividends"],
        )
        for c in coops
    )
    return xlsx_response("cooperatives.xlsx", _("Cooperatives"), _list_columns(), rows)


# ---------------------------------------------------------------------------- a cooperative


def _household(request: HttpRequest, field: str = "household") -> Household:
    """A household the user sees, by its number as typed."""
    number = request.POST.get(field, "").strip()
    try:
        return registry_selectors.household_get_by_no(user=request.user, household_no=number)
    except BangfuError:
        raise invalid(
            _("No household with number {number} in your scope.").format(number=number or "—"),
            field,
        ) from None


def _year_of(coop: Cooperative, pk: Any) -> CooperativeYear:
    found = coop.years.filter(pk=form_int(pk) or 0).first()
    if found is None:
        raise invalid(_("No such year."), "year")
    return found


def _cooperative_step(request: HttpRequest, pk: int) -> Any:
    coop = selectors.cooperative_get(request.user, pk)
    post, user, step = request.POST, request.user, request.POST.get("step")
    if step == "join":
        return services.member_join(
            actor=user,
            cooperative=coop,
            household=_household(request),
            joined_on=form_date(post.get("joined_on"), "joined_on"),
        )
    if step == "leave":
        membership = coop.memberships.filter(pk=form_int(post.get("membership")) or 0).first()
        if membership is None:
            raise invalid(_("No such member."), "membership")
        return services.member_leave(
            actor=user,
            membership=membership,
            left_on=form_date(post.get("left_on"), "left_on"),
        )
    if step == "shares":
        shares = form_int(post.get("shares"))
        return services.shares_add(
            actor=user,
            cooperative=coop,
            household=_household(request),
            kind=post.get("kind", ""),
            amount=post.get("amount", "").strip(),
            shares=shares if shares is not None else -1,
            recorded_on=form_date(post.get("recorded_on"), "recorded_on"),
            note=post.get("note", ""),
        )
    if step == "declare":
        year = form_int(post.get("year"))
        if year is None or not 1990 <= year <= 2100:
            raise invalid(_("Give the year as four digits."), "year")
        return services.year_declare(
            actor=user,
            cooperative=coop,
            year=year,
            revenue=post.get("revenue", "").strip(),
            profit=post.get("profit", "").strip(),
            payout_ratio=post.get("payout_ratio", "").strip() or None,
            poor_minimum=post.get("poor_minimum", "").strip() or "0",
        )
    if step == "pay":
        return services.dividends_pay(
            actor=user,
            cooperative_year=_year_of(coop, post.get("year")),
            entry_date=form_date(post.get("entry_date"), "entry_date"),
            voucher=post.get("voucher", ""),
        )
    raise invalid(_("Unknown step."), "step")


def _previews(coop: Cooperative, years: list[CooperativeYear], user: Any) -> list[dict[str, Any]]:
    """The dividend preview of each unpaid year with a profit: every household's amount."""
    previews = []
    for year in years:
        if year.dividend_entry_id or year.profit <= 0:
            continue
        year.cooperative = coop
        distributable = services.distributable_fen(year)
        try:
            plan = services.dividend_plan(year)
        except BangfuError as refusal:
            previews.append({"year": year, "refusal": refusal, "rows": [], "total": 0})
            continue
        households = (
            Household.objects.filter(pk__in=list(plan))
            .select_related("village")
            .order_by("household_no")
        )
        rows = [
            {
                "household": h,
                "label": household_label(user, h),
                "registered_poor": h.status in REGISTERED_POOR_STATUSES,
                "amount": yuan(plan[h.pk]),
            }
            for h in households
        ]
        previews.append(
            {
                "year": year,
                "refusal": None,
                "rows": rows,
                "total": yuan(sum(plan.values())),
                "distributable": yuan(distributable),
            }
        )
    return previews


def dividends_by_household(coop: Cooperative) -> tuple[list[int], dict[int, dict[int, Decimal]]]:
    """The years dividends were paid in, and each household's dividend by year."""
    benefits = selectors.live_benefits().filter(
        cooperative=coop, mechanism=Mechanism.DIVIDEND, household__isnull=False
    )
    by_household: dict[int, dict[int, Decimal]] = defaultdict(dict)
    years: set[int] = set()
    for household_id, year, amount in benefits.values_list("household", "year", "amount"):
        assert household_id is not None
        by_household[household_id][year] = by_household[household_id].get(year, Decimal(0)) + amount
        years.add(year)
    return sorted(years, reverse=True), by_household


def _member_rows(coop: Cooperative, user: Any) -> list[dict[str, Any]]:
    rows = selectors.member_shares(coop)
    for row in rows:
        row["label"] = household_label(user, row["household"])
        row["by_kind"] = [(label, row["kinds"].get(kind, 0)) for kind, label in ShareKind.choices]
    return sorted(rows, key=lambda r: r["household"].household_no)


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def cooperative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    coop = selectors.cooperative_get(request.user, pk)
    outcome, error = take_step(request, _cooperative_step, coop.pk)
    if outcome is not None:
        return redirect("projects-coop", pk=coop.pk)
    user = request.user
    years = list(selectors.cooperative_years(coop))
    for year in years:
        year.dividends = yuan(year.dividends_fen)  # type: ignore[attr-defined]
        year.percent = year.payout_ratio * 100  # type: ignore[attr-defined]
    dividend_years, by_household = dividends_by_household(coop)
    households = Household.objects.filter(pk__in=list(by_household)).order_by("household_no")
    context = {
        "coop": coop,
        "may_change": selectors.may_change_cooperative(user, coop),
        "members": _member_rows(coop, user),
        "kinds": ShareKind.choices,
        "capital_kinds": [(k, label) for k, label in ShareKind.choices if k != ShareKind.FUNDS],
        "former": coop.memberships.filter(left_on__isnull=False)
        .select_related("household__village")
        .order_by("-left_on"),
        "years": years,
        "previews": _previews(coop, years, user),
        "dividend_years": dividend_years,
        "dividend_rows": [
            (
                h,
                household_label(user, h),
                [by_household[h.pk].get(y) for y in dividend_years],
            )
            for h in households.select_related("village")
        ],
        "awards": coop.awards.select_related("scheme", "entry").order_by("-scheme__year"),
        "error": error,
        "step": request.POST.get("step", "") if error else "",
        "values": request.POST.dict() if error else {},
        "today": _today(),
        "next_year": (years[0].year + 1) if years else timezone.localdate().year - 1,
    }
    return render(request, "projects/coop_detail.html", context)


@login_required
@refusals_as_http
def cooperative_members_export(request: HttpRequest, pk: int) -> FileResponse:
    """The current members with their shares by kind, capital and dividends by year."""
    coop = selectors.cooperative_get(request.user, pk)
    user = request.user
    members = _member_rows(coop, user)
    dividend_years, by_household = dividends_by_household(coop)
    columns = [
        Column(_("household number"), 20),
        Column(_("household"), 20),
        Column(_("village code"), 14),
        Column(_("registered poor"), 8),
        Column(_("joined"), 12),
        Column(_("shares"), 10, text=False),
        *(Column(str(label), 12, text=False) for _k, label in ShareKind.choices),
        Column(_("capital (yuan)"), 14, text=False),
        *(
            Column(_("dividend {year} (yuan)").format(year=y), 14, text=False)
            for y in dividend_years
        ),
    ]
    rows = (
        (
            m["household"].household_no,
            m["label"],
            m["household"].village.code,
            _("yes") if m["registered_poor"] else "",
            m["membership"].joined_on,
            m["shares"],
            *(n for _label, n in m["by_kind"]),
            m["amount"],
            *(by_household.get(m["household"].pk, {}).get(y) for y in dividend_years),
        )
        for m in members
    )
    named = [m["household"].pk for m in members if m["label"] != m["household"].household_no]
    if named:  # the heads' names leave the system: who took them, and whose
        access_record(
            actor=user,
            kind=AccessKind.EXPORT,
            model=Household,
            object_ids=named,
            fields=["head_name"],
            purpose=_("cooperative {code} members export").format(code=coop.code),
        )
    return xlsx_response(f"cooperative-{coop.code}-members.xlsx", _("Members"), columns, rows)


# ---------------------------------------------------------------------------- awards


def _may_grant(user: Any, scheme: AwardScheme) -> bool:
    project = scheme.paying_account.project
    return project is not None and selectors.may_change_project(user, project)


def _scheme_step(request: HttpRequest) -> AwardScheme:
    """A new 以奖代补 scheme, paid from one of the user's projects."""
    project = (
        selectors.project_list(request.user, "capture")
        .filter(pk=form_int(request.POST.get("paying_project")) or 0)
        .first()
    )
    if project is None:
        raise invalid(_("Choose the project that pays the awards."), "paying_project")
    region = Region.objects.filter(code=request.POST.get("region", "").strip()).first()
    if region is None:
        raise invalid(_("No region with this code."), "region")
    year = form_int(request.POST.get("year"))
    if year is None or not 2000 <= year <= 2100:
        raise invalid(_("A year from 2000 to 2100."), "year")
    return services.award_scheme_save(
        actor=request.user,
        code=request.POST.get("code", ""),
        name=request.POST.get("name", ""),
        year=year,
        criterion=request.POST.get("criterion", ""),
        amount=request.POST.get("amount", ""),
        threshold=request.POST.get("threshold", ""),
        paying_project=project,
        region=region,
    )


def _award_step(request: HttpRequest, _pk: int) -> Any:
    if request.POST.get("step") == "scheme":
        return _scheme_step(request)
    scheme = (
        selectors.award_scheme_list(request.user)
        .filter(pk=form_int(request.POST.get("scheme")) or 0)
        .first()
    )
    if scheme is None:
        raise invalid(_("No such award scheme."), "scheme")
    voucher = request.POST.get("voucher", "").strip()
    if not voucher:  # asked even when no award is due (the ledger asks only when paying)
        raise invalid(_("Give the voucher number."), "voucher")
    granted = services.awards_grant(
        actor=request.user,
        scheme=scheme,
        entry_date=form_date(request.POST.get("entry_date"), "entry_date"),
        voucher=voucher,
    )
    return granted or [scheme]  # not None: the step was taken even when nobody was due


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def award_list(request: HttpRequest) -> HttpResponse:
    outcome, error = take_step(request, _award_step, 0)
    if outcome is not None:
        return redirect("projects-awards")
    schemes = []
    for scheme in selectors.award_scheme_list(request.user):
        awarded = {a.cooperative_id: a for a in scheme.awards.all()}
        candidates = [
            {"coop": c, "eligible": ok, "why": why, "award": awarded.get(c.pk)}
            for c, ok, why in services.award_candidates(scheme)
        ]
        schemes.append(
            {
                "scheme": scheme,
                "candidates": candidates,
                "may_grant": _may_grant(request.user, scheme),
                "due": any(c["eligible"] and c["award"] is None for c in candidates),
            }
        )
    context = {
        "schemes": schemes,
        "error": error,
        "step": request.POST.get("step", "") if error else "",
        "form": request.POST if error else {},
        "criteria": AwardCriterion.choices,
        "paying_projects": selectors.project_list(request.user, "capture").order_by(
            "-year", "code"
        )[:500],
        "error_scheme": form_int(request.POST.get("scheme")) if error else None,
        "today": _today(),
    }
    return render(request, "projects/award_list.html", context)


urlpatterns: list[URLPattern] = [
    path("cooperatives/", cooperative_list, name="projects-cooperatives"),
    path("cooperatives/export.xlsx", cooperative_export, name="projects-coop-export"),
    path("cooperatives/<int:pk>/", cooperative_detail, name="projects-coop"),
    path(
        "cooperatives/<int:pk>/members.xlsx",
        cooperative_members_export,
        name="projects-coop-members-export",
    ),
    path("awards/", award_list, name="projects-awards"),
]
