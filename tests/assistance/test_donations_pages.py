"""The ledger's pages: the list with its filters, pages and totals; recording through the form;
an entry's page with the reverse button; the Excel export; who may do what."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from bangfu.assistance import donations
from bangfu.assistance.models import DonationEntry, DonationForm, DonationKind, DonorType
from tests.assistance.test_donations import ledger, receipt  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_list_shows_entries_and_the_totals_of_the_filter(
    ledger: dict[str, Any],  # noqa: F811
    client_for: Any,
) -> None:
    admin = ledger["admin"]
    receipt(admin, 1, pairing=ledger["nabing"], amount="6099000.00", donor_type="individual")
    receipt(admin, 2, pairing=ledger["fengxian"], amount="10918000.00")
    receipt(admin, "", pairing=ledger["fengxian"], kind=DonationKind.PLEDGE, amount="5")
    page = client_for("admin").get("/assistance/donations/", **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "17,017,000.00" in html and "6,099,000.00" in html and "10,918,000.00" in html
    assert page.context["totals"]["received"] == Decimal("17017000.00")
    assert page.context["page"].paginator.count == 3
    filtered = client_for("admin").get(
        "/assistance/donations/", {"pairing": ledger["fengxian"].pk, "kind": "receipt"}, **EN
    )
    assert filtered.context["totals"]["received"] == Decimal("10918000.00")
    assert filtered.context["totals"]["pledged"] == Decimal("0.00")
    assert [e.pk for e, _ in filtered.context["rows"]] == [
        DonationEntry.objects.get(receipt_no="R-2").pk
    ]
    # A bad filter value is shown and ignored, not a server error.
    bad = client_for("admin").get("/assistance/donations/", {"date_from": "yesterday"}, **EN)
    assert bad.status_code == 200 and bad.context["form"].errors.get("date_from")
    assert bad.context["page"].paginator.count == 3


def test_the_list_is_scoped_and_paginated(ledger: dict[str, Any], client_for: Any) -> None:  # noqa: F811
    for n in range(55):
        receipt(ledger["admin"], n, pairing=ledger["nabing"], amount="1.00")
    receipt(ledger["admin"], 99, pairing=ledger["fengxian"])
    menghai = client_for("menghai-county").get("/assistance/donations/", **EN)
    assert menghai.context["page"].paginator.count == 55
    assert len(menghai.context["rows"]) == 50 and menghai.context["page"].has_next()
    assert menghai.context["totals"]["received"] == Decimal("55.00")
    second = client_for("menghai-county").get("/assistance/donations/", {"page": 2}, **EN)
    assert len(second.context["rows"]) == 5
    nothing = client_for("mangshi-county").get("/assistance/donations/", **EN)
    assert nothing.context["page"].paginator.count == 0
    assert nothing.context["totals"]["received"] == Decimal("0.00")
    assert not nothing.context["may_record"] and b'id="record-donation"' not in nothing.content
    assert client_for("mangshi-county").get("/assistance/donations/new/").status_code == 403


def test_recording_through_the_form(ledger: dict[str, Any], client_for: Any) -> None:  # noqa: F811
    client = client_for("nabing-village")
    form = client.get("/assistance/donations/new/", **EN)
    assert form.status_code == 200
    assert list(form.context["form"].fields["pairing"].queryset) == [ledger["nabing"]]
    data = {
        "pairing": ledger["nabing"].pk,
        "kind": "receipt",
        "form": "goods",
        "donor_name": "松江某公司",
        "donor_type": "enterprise",
        "amount": "12.345",
        "goods": "",
        "receipt_no": "",
        "entry_date": "2024-03-01",
    }
    refused = client.post("/assistance/donations/new/", data, **EN)
    assert refused.status_code == 200 and not DonationEntry.objects.exists()
    errors = refused.context["form"].errors
    assert set(errors) == {"amount", "goods", "receipt_no"}
    assert "[validation_error]" in errors["amount"][0]
    saved = client.post(
        "/assistance/donations/new/",
        data | {"amount": "12,000.00", "goods": "茶叶 100 斤", "receipt_no": "JS-001"},
        **EN,
    )
    entry = DonationEntry.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/assistance/donations/{entry.pk}/"
    assert entry.amount == Decimal("12000.00") and entry.form == DonationForm.GOODS
    # Another village's staff may not pick this pairing.
    other = client_for("mangshi-county")
    assert other.post("/assistance/donations/new/", data).status_code == 403


def test_the_reverse_button(ledger: dict[str, Any], client_for: Any) -> None:  # noqa: F811
    entry = receipt(ledger["admin"], 1, pairing=ledger["nabing"], amount="300.00")
    client = client_for("menghai-county")
    page = client.get(f"/assistance/donations/{entry.pk}/", **EN)
    assert page.status_code == 200 and page.context["may_reverse"]
    assert b'id="reverse-form"' in page.content
    blank = client.post(f"/assistance/donations/{entry.pk}/reverse/", {"reason": " "}, **EN)
    assert blank.status_code == 200 and blank.context["error"].field == "reason"
    assert DonationEntry.objects.count() == 1
    done = client.post(f"/assistance/donations/{entry.pk}/reverse/", {"reason": "错账"}, **EN)
    assert done.status_code == 302
    reversal = DonationEntry.objects.get(reverses=entry)
    assert reversal.amount == Decimal("-300.00") and reversal.note == "错账"
    after = client.get(f"/assistance/donations/{entry.pk}/", **EN)
    assert after.context["reversal"] == reversal and not after.context["may_reverse"]
    assert b'id="reverse-form"' not in after.content
    twice = client.post(f"/assistance/donations/{entry.pk}/reverse/", {"reason": "再"}, **EN)
    assert twice.status_code == 200
    assert twice.context["error"].code == "donation_reversal_invalid"
    of_reversal = client.get(f"/assistance/donations/{reversal.pk}/", **EN)
    assert not of_reversal.context["may_reverse"]
    # Others: hidden (404) or not allowed (403).
    assert client_for("mangshi-county").get(f"/assistance/donations/{entry.pk}/").status_code == 404
    assert (
        client_for("mangshi-county")
        .post(f"/assistance/donations/{entry.pk}/reverse/", {"reason": "x"})
        .status_code
        == 404
    )
    other = receipt(ledger["admin"], 2, pairing=ledger["nabing"])
    assert (
        client_for("auditor")
        .post(f"/assistance/donations/{other.pk}/reverse/", {"reason": "x"})
        .status_code
        == 403
    )
    assert not DonationEntry.objects.filter(reverses=other).exists()


def test_the_export_has_the_filtered_entries_with_chinese_headers(
    ledger: dict[str, Any],  # noqa: F811
    client_for: Any,
) -> None:
    admin = ledger["admin"]
    kept = receipt(admin, 1, pairing=ledger["fengxian"], amount="1234.56", donor_type="individual")
    receipt(admin, 2, pairing=ledger["nabing"])
    donations.donation_reverse(actor=admin, pk=kept.pk, reason="错")
    response = client_for("admin").get(
        "/assistance/donations/export.xlsx", {"pairing": ledger["fengxian"].pk}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("编号", "结对编号", "帮扶主体", "结对地区代码")
    assert "金额(元)" in header and "票据号" in header and "类型" in header
    body = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert len(body) == 2
    assert {r["金额(元)"] for r in body} == {1234.56, -1234.56}
    first = next(r for r in body if r["编号"] == kept.pk)
    assert first["类型"] == "到位" and first["形式"] == "资金" and first["捐赠方类型"] == "个人"
    assert first["结对地区代码"] == "520327000000" and first["活动代码"] == "fx-qianbaishi"
    assert first["被冲销编号"] is not None and first["日期"] == "2024-05-20"
    # Scoped: Menghai's export has none of Fengxian's.
    menghai = client_for("menghai-county").get("/assistance/donations/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(menghai.streaming_content))).active
    assert sheet.max_row == 2


def test_pages_need_a_sign_in(ledger: dict[str, Any], client: Any) -> None:  # noqa: F811
    for url in ("/assistance/donations/", "/assistance/donations/new/"):
        assert client.get(url).status_code == 302


def test_form_choices_and_today(ledger: dict[str, Any], client_for: Any) -> None:  # noqa: F811
    page = client_for("songjiang-office").get("/assistance/donations/new/", **EN)
    pairings = set(page.context["form"].fields["pairing"].queryset)
    assert pairings == {ledger["nabing"], ledger["sj_fenggang"]}
    assert page.context["form"].initial["entry_date"] == timezone.localdate()
    assert set(dict(page.context["form"].fields["donor_type"].choices)) == set(DonorType.values)


def test_the_list_costs_the_same_queries_for_more_entries(
    ledger: dict[str, Any],  # noqa: F811
    client_for: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("admin")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/assistance/donations/").status_code == 200
        return len(captured.captured_queries)

    for n in range(3):
        entry = receipt(ledger["admin"], n, pairing=ledger["nabing"])
    donations.donation_reverse(actor=ledger["admin"], pk=entry.pk, reason="x")
    few = queries()
    for n in range(3, 40):
        receipt(ledger["admin"], n, pairing=ledger["fengxian" if n % 2 else "nabing"])
    assert queries() == few
