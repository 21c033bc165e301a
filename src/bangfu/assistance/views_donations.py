"""Pages of the donations ledger (社会帮扶资金): the list (filtered, paginated, with the totals of
the filtered entries), its Excel export, recording an entry, and an entry's page with the
reverse button. Each view calls ``assistance.donations``. The ledger is imported from a
spreadsheet on the generic import page (``views_imports``, table ``donations``); the ledger's
old import addresses redirect there."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import RedirectView

from bangfu.assistance import donations
from bangfu.assistance.models import (
    Campaign,
    DonationEntry,
    DonationForm,
    DonationKind,
    DonorType,
    SocialPairing,
)
from bangfu.assistance.selectors import campaigns_for, donations_for, pairings_for
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.paging import CappedPaginator
from bangfu.core.spreadsheets import Column
from bangfu.core.web import refusals_as_http, xlsx_response

PAGE_SIZE = 50
LIST_COUNT_CAP = 10_000


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


# ---------------------------------------------------------------------------- forms


class DonationFilterForm(forms.Form):
    pairing = forms.ModelChoiceField(
        label=gettext_lazy("Pairing"), queryset=SocialPairing.objects.none(), required=False
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    form = forms.ChoiceField(label=gettext_lazy("Form"), required=False)
    donor_type = forms.ChoiceField(label=gettext_lazy("Donor type"), required=False)
    date_from = forms.DateField(
        label=gettext_lazy("Date from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("Date until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pairing"].queryset = pairings_for(user)  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = campaigns_for(user)  # type: ignore[attr-defined]
        everything = gettext_lazy("all")
        self.fields["kind"].choices = _blank(everything) + DonationKind.choices  # type: ignore[attr-defined]
        self.fields["form"].choices = _blank(everything) + DonationForm.choices  # type: ignore[attr-defined]
        self.fields["donor_type"].choices = _blank(everything) + DonorType.choices  # type: ignore[attr-defined]

    def filters(self) -> donations.DonationFilter:
        """The filters that are valid (an invalid one is shown beside its field and ignored)."""
        if not self.is_bound:
            return donations.DonationFilter()
        self.is_valid()
        data = self.cleaned_data
        pairing, campaign = data.get("pairing"), data.get("campaign")
        return donations.DonationFilter(
            pairing=pairing.pk if pairing else None,
            campaign=campaign.pk if campaign else None,
            kind=data.get("kind") or "",
            form=data.get("form") or "",
            donor_type=data.get("donor_type") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class DonationEntryForm(forms.Form):
    """The fields of an entry; the rules are the service's (``donations.donation_check``), so
    the fields here only parse and the refusals come back beside their fields."""

    pairing = forms.ModelChoiceField(
        label=gettext_lazy("Pairing"),
        queryset=SocialPairing.objects.none(),
        required=False,
        help_text=gettext_lazy("The social pairing the money or goods are for."),
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        help_text=gettext_lazy("Empty takes the pairing's campaign; alone, a campaign's entry."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=DonationKind.choices, widget=forms.RadioSelect
    )
    form = forms.ChoiceField(
        label=gettext_lazy("Form"), choices=DonationForm.choices, widget=forms.RadioSelect
    )
    donor_name = forms.CharField(label=gettext_lazy("Donor"), required=False, max_length=200)
    donor_type = forms.ChoiceField(label=gettext_lazy("Donor type"), choices=DonorType.choices)
    amount = forms.CharField(
        label=gettext_lazy("Amount (yuan)"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("For goods, their value. At most two decimal places."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    goods = forms.CharField(
        label=gettext_lazy("Goods"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("What and how many (goods only)."),
    )
    receipt_no = forms.CharField(
        label=gettext_lazy("Receipt number"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Required for a receipt; a pledge has none."),
    )
    entry_date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pairing"].queryset = pairings_for(user, "capture")  # type: ignore[attr-defined]
        self.fields["campaign"].queryset = campaigns_for(user, "capture")  # type: ignore[attr-defined]

    def attach(self, error: BangfuError) -> None:
        """Every problem of a refusal beside its field (above the form when it has none)."""
        for p in getattr(error, "problems", None) or [error]:
            field = p.field if p.field in self.fields else None
            self.add_error(field, f"{p.message} [{p.code}]")


# ---------------------------------------------------------------------------- the list


def _reversed(entries: Sequence[DonationEntry]) -> dict[int, int]:
    """Which of the entries are reversed, and by which entry (one query)."""
    pairs = DonationEntry.objects.filter(reverses__in=[e.pk for e in entries]).values_list(
        "reverses", "pk"
    )
    return {original: reversal for original, reversal in pairs if original is not None}


def _totals_rows(totals: dict[str, Any]) -> list[tuple[Any, dict[str, Any]]]:
    labels = dict(DonorType.choices)
    rows: list[tuple[Any, dict[str, Any]]] = [(_("All donors"), totals)]
    for donor_type, figures in totals["by_donor_type"].items():
        if any(figures[name] for name in donations.FIGURES):
            rows.append((labels[donor_type], figures))
    return rows


@login_required
@require_GET
def donation_list(request: HttpRequest) -> HttpResponse:
    form = DonationFilterForm(request.GET or None, user=request.user)
    entries = donations.donation_list(user=request.user, filters=form.filters())
    page = CappedPaginator(entries, PAGE_SIZE, cap=LIST_COUNT_CAP).get_page(request.GET.get("page"))
    items = list(page.object_list)
    totals = donations.donation_totals(entries)
    reversed_by = _reversed(items)
    context = {
        "form": form,
        "page": page,
        "rows": [(e, reversed_by.get(e.pk)) for e in items],
        "totals": totals,
        "totals_rows": _totals_rows(totals),
        "may_record": donations.may_record(request.user),
    }
    return render(request, "assistance/donations_list.html", context)


def export_columns() -> list[Column]:
    """The export's columns: the import's Chinese headers (an export imports again; the extra
    columns are ignored), then the ledger's own."""
    return [
        Column("编号", 8, text=False),
        Column("结对编号", 8, text=False),
        Column("帮扶主体", 24),
        Column("结对地区代码", 14),
        Column("结对地区", 14),
        Column("活动代码", 14),
        Column("类型", 8),
        Column("形式", 8),
        Column("捐赠方", 24),
        Column("捐赠方类型", 10),
        Column("金额(元)", 14, text=False),
        Column("物资", 24),
        Column("票据号", 18),
        Column("日期", 12),
        Column("备注", 30),
        Column("冲销编号", 10, text=False),
        Column("被冲销编号", 10, text=False),
        Column("录入人", 14),
        Column("录入时间", 18),
    ]


def export_rows(entries: Any) -> Iterator[Sequence[Any]]:
    reversals = dict(
        DonationEntry.objects.filter(reverses__in=entries.order_by().values("pk")).values_list(
            "reverses", "pk"
        )
    )
    zone = timezone.get_current_timezone()
    for e in entries.iterator(chunk_size=2000):
        pairing = e.pairing
        yield (
            e.pk,
            e.pairing_id,
            pairing.partner.name if pairing else "",
            pairing.west.code if pairing else "",
            pairing.west.name_zh if pairing else "",
            e.campaign.code if e.campaign else "",
            donations.KIND_LABELS_ZH.get(e.kind, e.kind),
            donations.FORM_LABELS_ZH.get(e.form, e.form),
            e.donor_name,
            donations.DONOR_TYPE_LABELS_ZH.get(e.donor_type, e.donor_type),
            e.amount,
            e.goods,
            e.receipt_no,
            e.entry_date.isoformat(),
            e.note,
            e.reverses_id,
            reversals.get(e.pk),
            e.recorded_by.username,
            e.recorded_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        )


@login_required
@require_GET
def donation_export(request: HttpRequest) -> FileResponse:
    form = DonationFilterForm(request.GET or None, user=request.user)
    entries = donations.donation_list(user=request.user, filters=form.filters())
    today = timezone.localdate().isoformat()
    return xlsx_response(
        f"donations-{today}.xlsx", "社会帮扶资金", export_columns(), export_rows(entries)
    )


# ---------------------------------------------------------------------------- one entry


def _values(form: DonationEntryForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "pairing": data.get("pairing"),
        "campaign": data.get("campaign"),
        "kind": data.get("kind", ""),
        "form": data.get("form", ""),
        "donor_name": data.get("donor_name", ""),
        "donor_type": data.get("donor_type", ""),
        "amount": data.get("amount", ""),
        "goods": data.get("goods", ""),
        "receipt_no": data.get("receipt_no", ""),
        "entry_date": data.get("entry_date"),
        "note": data.get("note", ""),
    }


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def donation_create(request: HttpRequest) -> HttpResponse:
    if not donations.may_record(request.user):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Recording donations needs a pairing or campaign in your capture scope."),
        )
    initial = {
        "entry_date": timezone.localdate(),
        "kind": DonationKind.RECEIPT,
        "form": DonationForm.MONEY,
        "pairing": request.GET.get("pairing") or None,
    }
    form = DonationEntryForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = donations.donation_record(actor=request.user, **_values(form))
        except BangfuError as refusal:
            if refusal.status == 404:
                raise
            form.attach(refusal)
        else:
            messages.success(request, _("Entry #{pk} recorded.").format(pk=entry.pk))
            return redirect("assistance-donation", pk=entry.pk)
    return render(request, "assistance/donations_form.html", {"form": form})


def _detail(request: HttpRequest, entry: DonationEntry, error: BangfuError | None) -> HttpResponse:
    reversal = donations.reversal_of(entry)
    may_reverse = (
        entry.reverses_id is None
        and reversal is None
        and donations_for(request.user, "capture").filter(pk=entry.pk).exists()
    )
    context = {
        "entry": entry,
        "reversal": reversal,
        "may_reverse": may_reverse,
        "error": error,
        "history": object_history(obj=entry)[:50],
    }
    return render(request, "assistance/donations_detail.html", context)


@login_required
@refusals_as_http
@require_GET
def donation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, donations.donation_get(user=request.user, pk=pk), None)


@login_required
@refusals_as_http
@require_POST
def donation_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    entry = donations.donation_get(user=request.user, pk=pk)
    try:
        reversal = donations.donation_reverse(
            actor=request.user, pk=entry.pk, reason=request.POST.get("reason", "")
        )
    except BangfuError as refusal:
        if refusal.status in (403, 404):
            raise
        return _detail(request, entry, refusal)
    messages.success(
        request,
        _("Entry #{pk} reversed by entry #{reversal}.").format(pk=entry.pk, reversal=reversal.pk),
    )
    return redirect("assistance-donation", pk=entry.pk)


urlpatterns: list[URLPattern] = [
    path("donations/", donation_list, name="assistance-donations"),
    path("donations/export.xlsx", donation_export, name="assistance-donations-export"),
    path("donations/new/", donation_create, name="assistance-donation-new"),
    # the ledger's import moved to the generic pages: its old addresses (bookmarks) lead there
    path(
        "donations/import/",
        RedirectView.as_view(url=reverse_lazy("assistance-import-table", args=["donations"])),
    ),
    path(
        "donations/import/template.xlsx",
        RedirectView.as_view(url=reverse_lazy("assistance-import-template", args=["donations"])),
    ),
    path("donations/<int:pk>/", donation_detail, name="assistance-donation"),
    path("donations/<int:pk>/reverse/", donation_reverse, name="assistance-donation-reverse"),
]
