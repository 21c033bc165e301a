"""Pages of partners, campaigns, social pairings and secondments. Thin: parse the form, call one
service or scoped read (``pairings``, ``secondments``, ``stats``), render. Refusals that name a
field are shown on the form; hidden or absent objects answer 404, writes outside the capture
scope 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bangfu.accounts.scopes import scope_for
from bangfu.assistance import pairings as svc
from bangfu.assistance import secondments as sec
from bangfu.assistance.models import (
    Campaign,
    Direction,
    Partner,
    PartnerKind,
    Secondment,
    SecondmentField,
    SecondmentStatus,
    SocialPairing,
    SocialPairingKind,
)
from bangfu.assistance.selectors import campaigns_for, pairings_for, partners_for
from bangfu.assistance.stats import campaign_donations, campaign_progress
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError, ErrorCode
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
from bangfu.regions import selectors as regions
from bangfu.regions.selectors import region_by_code

PAGE_SIZE = 50
CHOICES_SHOWN = 2000  # partners and campaigns offered in a form's list


# ---------------------------------------------------------------------------- parsing


def _year(text: Any) -> int | None:
    year = form_int(text)
    return year if year is not None and svc.MIN_YEAR <= year <= svc.MAX_YEAR else None


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


# ---------------------------------------------------------------------------- partners


@login_required
@refusals_as_http
def partner_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "kind": choice_or_blank(request.GET.get("kind", ""), PartnerKind.values),
        "q": request.GET.get("q", "").strip()[:100],
    }
    partners = svc.partner_list(user=request.user, **filters)
    context = {
        "page": page_of(request, partners),
        "filters": filters,
        "kinds": PartnerKind.choices,
        "may_add": not scope_for(request.user, "capture").is_empty,
    }
    return render(request, "assistance/partner_list.html", context)


def _partner_columns() -> list[Column]:
    """Built per request: the headers in the reader's language (contacts left out)."""
    return [
        Column(_("name"), 30),
        Column(_("kind"), 14),
        Column(_("home region code"), 14),
        Column(_("home region"), 14),
        Column(_("unified social credit code"), 20),
        Column(_("social pairings"), 10, text=False),
        Column(_("note"), 30),
    ]


@login_required
def partner_export(request: HttpRequest) -> FileResponse:
    """The partners of the list's filters, with how many of their pairings the reader sees."""
    filters = {
        "kind": choice_or_blank(request.GET.get("kind", ""), PartnerKind.values),
        "q": request.GET.get("q", "").strip()[:100],
    }
    partners = svc.partner_list(user=request.user, **filters)
    counts = dict(
        pairings_for(request.user)
        .values_list("partner")
        .annotate(n=Count("pk"))
        .values_list("partner", "n")
    )
    rows = (
        (
            p.name,
            p.get_kind_display(),
            p.region.code,
            p.region.name_zh,
            p.credit_code,
            counts.get(p.pk, 0),
            p.note,
        )
        for p in partners.iterator(chunk_size=2000)
    )
    return xlsx_response("partners.xlsx", _("Partners"), _partner_columns(), rows)


@login_required
@refusals_as_http
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    partner = svc.partner_get(user=request.user, pk=pk)
    context = {
        "partner": partner,
        "pairings": pairings_for(request.user).filter(partner=partner).order_by("start_date")[:200],
        "may_edit": scope_for(request.user, "capture").covers(partner.region.code),
        "history": object_history(obj=partner)[:50],
    }
    return render(request, "assistance/partner_detail.html", context)


def _partner_in(request: HttpRequest) -> svc.PartnerIn:
    post = request.POST
    return svc.PartnerIn(
        name=post.get("name", ""),
        kind=post.get("kind", ""),
        region=region_by_code(post.get("region"), "region"),
        credit_code=post.get("credit_code", ""),
        contact_name=post.get("contact_name", ""),
        contact_phone=post.get("contact_phone", ""),
        note=post.get("note", ""),
    )


def _partner_values(partner: Partner | None) -> dict[str, Any]:
    if partner is None:
        return {"kind": PartnerKind.ENTERPRISE}
    return {
        "name": partner.name,
        "kind": partner.kind,
        "region": partner.region.code,
        "credit_code": partner.credit_code,
        "contact_name": partner.contact_name,
        "contact_phone": partner.contact_phone,
        "note": partner.note,
    }


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def partner_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    partner = None if pk is None else svc.partner_get(user=request.user, pk=pk)
    capture = scope_for(request.user, "capture")
    if capture.is_empty or (partner is not None and not capture.covers(partner.region.code)):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    error = None
    if request.method == "POST":

        def write() -> Partner:
            data = _partner_in(request)
            if partner is None:
                return svc.partner_create(actor=request.user, data=data)
            return svc.partner_update(
                actor=request.user,
                partner=partner,
                data=data,
                reason=request.POST.get("reason", ""),
            )

        saved, error = attempt(write)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("assistance-partner", pk=saved.pk)
    context = {
        "partner": partner,
        "kinds": PartnerKind.choices,
        "values": _partner_values(partner) | request.POST.dict(),
        "error": error,
    }
    return render(request, "assistance/partner_form.html", context)


# ---------------------------------------------------------------------------- campaigns


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    year = _year(request.GET.get("year"))
    context = {
        "page": page_of(request, svc.campaign_list(user=request.user, year=year)),
        "year": year or "",
        "may_add": not scope_for(request.user, "capture").is_empty,
    }
    return render(request, "assistance/campaign_list.html", context)


def _campaign_columns() -> list[Column]:
    """Built per request: a row per campaign and figure, target against achieved."""
    return [
        Column(_("campaign"), 30),
        Column(_("district code"), 14),
        Column(_("start year"), 8, text=False),
        Column(_("end year"), 8, text=False),
        Column(_("figure"), 24),
        Column(_("target"), 10, text=False),
        Column(_("achieved"), 10, text=False),
    ]


@login_required
def campaign_export(request: HttpRequest) -> FileResponse:
    """Each campaign's targets and what its records achieve (``stats.campaign_progress``)."""
    campaigns = svc.campaign_list(user=request.user, year=_year(request.GET.get("year")))
    rows = (
        (c.name, c.district.code, c.start_year, c.end_year, str(p.label), p.target, p.achieved)
        for c in campaigns
        for p in campaign_progress(campaign=c)
    )
    return xlsx_response("campaigns.xlsx", _("Campaigns"), _campaign_columns(), rows)


@login_required
@refusals_as_http
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = svc.campaign_get(user=request.user, pk=pk)
    visible = pairings_for(request.user).filter(campaign=campaign)
    context = {
        "campaign": campaign,
        "progress": campaign_progress(campaign=campaign),
        "money": campaign_donations(campaign=campaign),
        "pairings": visible.order_by("west__code", "partner__name")[:PAGE_SIZE],
        "pairings_total": visible.count(),
        "may_edit": scope_for(request.user, "capture").covers(campaign.district.code),
        "history": object_history(obj=campaign)[:50],
    }
    return render(request, "assistance/campaign_detail.html", context)


def _campaign_in(request: HttpRequest) -> svc.CampaignIn:
    post = request.POST
    return svc.CampaignIn(
        code=post.get("code", ""),
        name=post.get("name", ""),
        district=region_by_code(post.get("district"), "district"),
        start_year=post.get("start_year", ""),
        end_year=post.get("end_year") or None,
        note=post.get("note", ""),
        target_helpers=post.get("target_helpers", "") or 0,
        target_households=post.get("target_households", "") or 0,
        target_enterprises=post.get("target_enterprises", "") or 0,
        target_villages=post.get("target_villages", "") or 0,
        target_sectors=post.get("target_sectors", "") or 0,
    )


def _campaign_values(campaign: Campaign | None) -> dict[str, Any]:
    if campaign is None:
        return {"start_year": timezone.localdate().year} | dict.fromkeys(svc.TARGET_FIELDS, 0)
    return {
        "code": campaign.code,
        "name": campaign.name,
        "district": campaign.district.code,
        "start_year": campaign.start_year,
        "end_year": campaign.end_year or "",
        "note": campaign.note,
    } | {name: getattr(campaign, name) for name in svc.TARGET_FIELDS}


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def campaign_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    campaign = None if pk is None else svc.campaign_get(user=request.user, pk=pk)
    capture = scope_for(request.user, "capture")
    if capture.is_empty or (campaign is not None and not capture.covers(campaign.district.code)):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    error = None
    if request.method == "POST":

        def write() -> Campaign:
            data = _campaign_in(request)
            if campaign is None:
                return svc.campaign_create(actor=request.user, data=data)
            return svc.campaign_update(
                actor=request.user,
                campaign=campaign,
                data=data,
                reason=request.POST.get("reason", ""),
            )

        saved, error = attempt(write)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("assistance-campaign", pk=saved.pk)
    context = {
        "campaign": campaign,
        "values": _campaign_values(campaign) | request.POST.dict(),
        "error": error,
    }
    return render(request, "assistance/campaign_form.html", context)


# ---------------------------------------------------------------------------- social pairings


def _pairing_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "kind": choice_or_blank(request.GET.get("kind", ""), SocialPairingKind.values),
        "campaign": form_int(request.GET.get("campaign")),
        "partner": form_int(request.GET.get("partner")),
        "region_code": request.GET.get("region", "").strip()[:15],
        "year": _year(request.GET.get("year")),
        "q": request.GET.get("q", "").strip()[:100],
    }


def _filtered_pairings(request: HttpRequest) -> tuple[Any, dict[str, Any], BangfuError | None]:
    """The filtered list; a malformed region code is named and the list shown without it."""
    filters = _pairing_filters(request)
    try:
        return svc.social_pairing_list(user=request.user, **filters), filters, None
    except BangfuError as refusal:
        filters["region_code"] = ""
        return svc.social_pairing_list(user=request.user, **filters), filters, refusal


@login_required
def pairing_list(request: HttpRequest) -> HttpResponse:
    pairings, filters, error = _filtered_pairings(request)
    context = {
        "page": page_of(request, pairings),
        "filters": filters,
        "error": error,
        "kinds": SocialPairingKind.choices,
        "campaigns": campaigns_for(request.user).order_by("code")[:CHOICES_SHOWN],
        "query": request.GET.urlencode(),
        "may_add": not scope_for(request.user, "capture").is_empty,
    }
    return render(request, "assistance/pairing_list.html", context)


def pairing_columns() -> list[Column]:
    return [
        Column(_("kind"), 22),
        Column(_("partner"), 30),
        Column(_("partner kind"), 14),
        Column(_("partner's home region"), 14),
        Column(_("western region code"), 14),
        Column(_("western region"), 16),
        Column(_("counterpart"), 24),
        Column(_("district pairing"), 30),
        Column(_("campaign"), 24),
        Column(_("sector"), 12),
        Column(_("start date"), 12),
        Column(_("end date"), 12),
        Column(_("money committed (yuan)"), 16),
        Column(_("goods committed"), 20),
        Column(_("value of goods committed (yuan)"), 16),
        Column(_("jobs committed"), 10, text=False),
        Column(_("purchases committed (yuan)"), 16),
        Column(_("note"), 24),
    ]


def pairing_rows(pairings: Any) -> Any:
    """Amounts as text: exact to the fen, as the ledger keeps them."""
    for p in pairings.iterator(chunk_size=2000):
        yield (
            p.get_kind_display(),
            p.partner.name,
            p.partner.get_kind_display(),
            p.partner.region.name_zh,
            p.west.code,
            p.west.name_zh,
            p.counterpart,
            str(p.regional_pairing) if p.regional_pairing else "",
            p.campaign.name if p.campaign else "",
            p.sector,
            p.start_date.isoformat(),
            p.end_date.isoformat() if p.end_date else "",
            str(p.committed_money),
            p.committed_goods,
            str(p.committed_goods_value),
            p.committed_jobs,
            str(p.committed_purchases),
            p.note,
        )


@login_required
def pairing_export(request: HttpRequest) -> FileResponse:
    pairings, _filters, _error = _filtered_pairings(request)
    today = timezone.localdate().isoformat()
    return xlsx_response(
        f"social-pairings-{today}.xlsx",
        _("Social pairings"),
        pairing_columns(),
        pairing_rows(pairings.select_related("regional_pairing__east", "regional_pairing__west")),
    )


@login_required
@refusals_as_http
def pairing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = svc.social_pairing_get(user=request.user, pk=pk)
    context = {
        "pairing": pairing,
        "may_edit": svc.may_change_pairing(scope_for(request.user, "capture"), pairing),
        "history": object_history(obj=pairing)[:50],
    }
    return render(request, "assistance/pairing_detail.html", context)


def _pairing_in(request: HttpRequest) -> svc.SocialPairingIn:
    post, user = request.POST, request.user
    campaign = form_int(post.get("campaign"))
    regional = form_int(post.get("regional_pairing"))
    return svc.SocialPairingIn(
        kind=post.get("kind", ""),
        partner=svc.partner_get(user=user, pk=post.get("partner"), field="partner"),
        west=region_by_code(post.get("west"), "west"),
        counterpart=post.get("counterpart", ""),
        campaign=svc.campaign_get(user=user, pk=campaign, field="campaign") if campaign else None,
        regional_pairing=(
            svc.regional_pairing_get(user=user, pk=regional, field="regional_pairing")
            if regional
            else None
        ),
        sector=post.get("sector", ""),
        start_date=form_date(post.get("start_date"), "start_date"),
        end_date=form_optional_date(post.get("end_date"), "end_date"),
        committed_money=post.get("committed_money", ""),
        committed_goods=post.get("committed_goods", ""),
        committed_goods_value=post.get("committed_goods_value", ""),
        committed_jobs=post.get("committed_jobs", "") or 0,
        committed_purchases=post.get("committed_purchases", ""),
        note=post.get("note", ""),
    )


def _pairing_values(pairing: SocialPairing | None, request: HttpRequest) -> dict[str, Any]:
    if pairing is None:
        return {
            "kind": SocialPairingKind.ENTERPRISE_VILLAGE,
            "partner": request.GET.get("partner", ""),
            "campaign": request.GET.get("campaign", ""),
            "start_date": timezone.localdate().isoformat(),
            "committed_money": "0",
            "committed_goods_value": "0",
            "committed_purchases": "0",
            "committed_jobs": 0,
        }
    return {
        "kind": pairing.kind,
        "partner": str(pairing.partner_id),
        "west": pairing.west.code,
        "counterpart": pairing.counterpart,
        "campaign": str(pairing.campaign_id or ""),
        "regional_pairing": str(pairing.regional_pairing_id or ""),
        "sector": pairing.sector,
        "start_date": pairing.start_date.isoformat(),
        "end_date": pairing.end_date.isoformat() if pairing.end_date else "",
        "committed_money": str(pairing.committed_money),
        "committed_goods": pairing.committed_goods,
        "committed_goods_value": str(pairing.committed_goods_value),
        "committed_jobs": pairing.committed_jobs,
        "committed_purchases": str(pairing.committed_purchases),
        "note": pairing.note,
    }


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def pairing_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    pairing = None if pk is None else svc.social_pairing_get(user=request.user, pk=pk)
    capture = scope_for(request.user, "capture")
    if capture.is_empty or (pairing is not None and not svc.may_change_pairing(capture, pairing)):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    error = None
    if request.method == "POST":

        def write() -> SocialPairing:
            data = _pairing_in(request)
            if pairing is None:
                return svc.social_pairing_create(actor=request.user, data=data)
            return svc.social_pairing_update(
                actor=request.user,
                pairing=pairing,
                data=data,
                reason=request.POST.get("reason", ""),
            )

        saved, error = attempt(write)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("assistance-pairing", pk=saved.pk)
    view = scope_for(request.user, "view")
    context = {
        "pairing": pairing,
        "kinds": SocialPairingKind.choices,
        "partners": partners_for(request.user).order_by("name")[:CHOICES_SHOWN],
        "campaigns": campaigns_for(request.user).order_by("code")[:CHOICES_SHOWN],
        "regional_pairings": regions.pairing_list(scope=view),
        "values": _pairing_values(pairing, request) | request.POST.dict(),
        "error": error,
    }
    return render(request, "assistance/pairing_form.html", context)


# ---------------------------------------------------------------------------- secondments


def _secondment_filters(request: HttpRequest) -> dict[str, Any]:
    return {
        "pairing": form_int(request.GET.get("pairing")),
        "field": choice_or_blank(request.GET.get("field", ""), SecondmentField.values),
        "year": _year(request.GET.get("year")),
        "status": choice_or_blank(request.GET.get("status", ""), SecondmentStatus.values),
        "direction": choice_or_blank(request.GET.get("direction", ""), Direction.values),
    }


@login_required
def secondment_list(request: HttpRequest) -> HttpResponse:
    filters = _secondment_filters(request)
    found = sec.secondment_list(user=request.user, **filters)
    counts = sec.secondment_counts(secondments=found, year=filters["year"])
    context = {
        "page": page_of(request, found),
        "filters": filters,
        "counts": counts,
        "totals": sorted(sec.field_totals(counts).items(), reverse=True),
        "field_labels": [SecondmentField(f).label for f in sec.FIELDS],
        "field_names": sec.FIELDS,
        "fields": SecondmentField.choices,
        "statuses": SecondmentStatus.choices,
        "directions": Direction.choices,
        "pairings": regions.pairing_list(scope=scope_for(request.user, "view")),
        "query": request.GET.urlencode(),
        "may_add": not scope_for(request.user, "capture").is_empty,
    }
    return render(request, "assistance/secondment_list.html", context)


def secondment_columns() -> list[Column]:
    return [
        Column(_("person"), 12),
        Column(_("field"), 14),
        Column(_("direction"), 12),
        Column(_("eastern side"), 14),
        Column(_("western side"), 18),
        Column(_("home unit"), 24),
        Column(_("posting unit"), 24),
        Column(_("posted to (code)"), 14),
        Column(_("posted to"), 14),
        Column(_("post"), 14),
        Column(_("start date"), 12),
        Column(_("end date"), 12),
        Column(_("status"), 10),
        Column(_("long term"), 8),
        Column(_("note"), 24),
    ]


@login_required
def secondment_export(request: HttpRequest) -> FileResponse:
    found = sec.secondment_list(user=request.user, **_secondment_filters(request))
    rows = (
        (
            s.person,
            s.get_field_display(),
            s.get_direction_display(),
            s.pairing.east.name_zh,
            s.pairing.west.name_zh,
            s.home_unit,
            s.posting_unit,
            s.posting_region.code,
            s.posting_region.name_zh,
            s.post,
            s.start_date.isoformat(),
            s.end_date.isoformat() if s.end_date else "",
            s.get_status_display(),
            _yes(s.long_term),
            s.note,
        )
        for s in found.iterator(chunk_size=2000)
    )
    today = timezone.localdate().isoformat()
    return xlsx_response(f"secondments-{today}.xlsx", _("Secondments"), secondment_columns(), rows)


def _secondment_in(request: HttpRequest, status: str) -> sec.SecondmentIn:
    post = request.POST
    return sec.SecondmentIn(
        person=post.get("person", ""),
        field=post.get("field", ""),
        direction=post.get("direction", ""),
        pairing=svc.regional_pairing_get(
            user=request.user, pk=post.get("pairing"), field="pairing"
        ),
        home_unit=post.get("home_unit", ""),
        posting_unit=post.get("posting_unit", ""),
        posting_region=region_by_code(post.get("posting_region"), "posting_region"),
        post=post.get("post", ""),
        start_date=form_date(post.get("start_date"), "start_date"),
        end_date=form_optional_date(post.get("end_date"), "end_date"),
        long_term=post.get("long_term") == "on",
        note=post.get("note", ""),
        status=status,
    )


def _secondment_values(secondment: Secondment | None) -> dict[str, Any]:
    if secondment is None:
        return {
            "field": SecondmentField.CADRE,
            "direction": Direction.EAST_TO_WEST,
            "status": SecondmentStatus.PLANNED,
            "long_term": "on",
        }
    return {
        "person": secondment.person,
        "field": secondment.field,
        "direction": secondment.direction,
        "pairing": str(secondment.pairing_id),
        "home_unit": secondment.home_unit,
        "posting_unit": secondment.posting_unit,
        "posting_region": secondment.posting_region.code,
        "post": secondment.post,
        "start_date": secondment.start_date.isoformat(),
        "end_date": secondment.end_date.isoformat() if secondment.end_date else "",
        "long_term": "on" if secondment.long_term else "",
        "note": secondment.note,
        "status": secondment.status,
    }


def _secondment_write(request: HttpRequest, secondment: Secondment | None) -> Secondment:
    post = request.POST
    if secondment is None:
        return sec.secondment_create(
            actor=request.user, data=_secondment_in(request, post.get("status", ""))
        )
    if post.get("step") == "status":
        return sec.secondment_set_status(
            actor=request.user,
            secondment=secondment,
            status=post.get("to", ""),
            on=form_optional_date(post.get("on"), "on"),
            reason=post.get("reason", ""),
        )
    return sec.secondment_update(
        actor=request.user,
        secondment=secondment,
        data=_secondment_in(request, secondment.status),
        reason=post.get("reason", ""),
    )


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def secondment_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new secondment, or one secondment: its details (editable in the capture scope), its
    status steps and its history."""
    secondment = None if pk is None else sec.secondment_get(user=request.user, pk=pk)
    capture = scope_for(request.user, "capture")
    may_edit = (
        not capture.is_empty
        if secondment is None
        else sec.may_change_secondment(capture, secondment.pairing)
    )
    if secondment is None and not may_edit:
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    error = None
    if request.method == "POST":
        if not may_edit:
            raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
        saved, error = attempt(lambda: _secondment_write(request, secondment))
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("assistance-secondment", pk=saved.pk)
    posted = request.POST.dict() if request.POST.get("step") != "status" else {}
    context = {
        "secondment": secondment,
        "may_edit": may_edit,
        "fields": SecondmentField.choices,
        "directions": Direction.choices,
        "create_statuses": [(s, SecondmentStatus(s).label) for s in sec.CREATE_STATUSES],
        "next_statuses": [
            (s, SecondmentStatus(s).label) for s in sec.TRANSITIONS.get(secondment.status, ())
        ]
        if secondment is not None
        else [],
        "pairings": regions.pairing_list(scope=scope_for(request.user, "view")),
        "values": _secondment_values(secondment) | posted,
        "error": error,
        "today": timezone.localdate().isoformat(),
        "history": object_history(obj=secondment)[:50] if secondment is not None else [],
    }
    return render(request, "assistance/secondment_form.html", context)


urlpatterns: list[URLPattern] = [
    path("partners/", partner_list, name="assistance-partners"),
    path("partners.xlsx", partner_export, name="assistance-partners-export"),
    path("campaigns.xlsx", campaign_export, name="assistance-campaigns-export"),
    path("partners/new/", partner_form, name="assistance-partner-new"),
    path("partners/<int:pk>/", partner_detail, name="assistance-partner"),
    path("partners/<int:pk>/edit/", partner_form, name="assistance-partner-edit"),
    path("campaigns/", campaign_list, name="assistance-campaigns"),
    path("campaigns/new/", campaign_form, name="assistance-campaign-new"),
    path("campaigns/<int:pk>/", campaign_detail, name="assistance-campaign"),
    path("campaigns/<int:pk>/edit/", campaign_form, name="assistance-campaign-edit"),
    path("pairings/", pairing_list, name="assistance-pairings"),
    path("pairings.xlsx", pairing_export, name="assistance-pairings-export"),
    path("pairings/new/", pairing_form, name="assistance-pairing-new"),
    path("pairings/<int:pk>/", pairing_detail, name="assistance-pairing"),
    path("pairings/<int:pk>/edit/", pairing_form, name="assistance-pairing-edit"),
    path("secondments/", secondment_list, name="assistance-secondments"),
    path("secondments.xlsx", secondment_export, name="assistance-secondments-export"),
    path("secondments/new/", secondment_form, name="assistance-secondment-new"),
    path("secondments/<int:pk>/", secondment_form, name="assistance-secondment"),
]
