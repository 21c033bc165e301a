"""The ledger's endpoints: list (paginated, filtered, scoped), record, reverse, totals; refusals
as problem+json with their code and field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from bangfu.assistance.models import DonationEntry
from tests.assistance.test_donations import ledger, receipt  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
URL = "/api/v1/assistance/donations"


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return Client().post(url, body, content_type="application/json", headers=headers)


def entry_body(pairing: int, **changes: Any) -> dict[str, Any]:
    return {
        "pairing_id": pairing,
        "kind": "receipt",
        "form": "money",
        "donor_name": "奉贤区某企业",
        "donor_type": "enterprise",
        "amount": "10918000.00",
        "receipt_no": "API-1",
        "entry_date": "2024-06-01",
    } | changes


def test_record_list_reverse_and_totals(ledger: dict[str, Any], api_token: Any) -> None:  # noqa: F811
    admin = api_token("admin")
    created = post(URL, entry_body(ledger["fengxian"].pk), admin)
    assert created.status_code == 201, created.content
    item = created.json()
    assert item["amount"] == "10918000.00" and item["campaign_code"] == "fx-qianbaishi"
    assert item["partner"] == "奉贤测试企业" and item["west_code"] == "520327000000"
    assert item["recorded_by"] == "admin" and item["reverses"] is None
    whole = post(URL, entry_body(ledger["fengxian"].pk, amount=5, receipt_no="API-2"), admin)
    assert whole.status_code == 201 and whole.json()["amount"] == "5.00"

    listed = Client().get(URL, {"page_size": 1}, headers=admin).json()
    assert listed["count"] == 2 and listed["pages"] == 2 and len(listed["items"]) == 1

    reversed_ = post(f"{URL}/{item['id']}/reverse", {"reason": "重复"}, admin)
    assert reversed_.status_code == 201
    assert reversed_.json()["amount"] == "-10918000.00"
    assert reversed_.json()["reverses"] == item["id"]
    shown = Client().get(f"{URL}/{item['id']}", headers=admin).json()
    assert shown["reversed_by"] == reversed_.json()["id"]

    again = post(f"{URL}/{item['id']}/reverse", {"reason": "再"}, admin)
    assert again.status_code == 409 and again.json()["code"] == "donation_reversal_invalid"
    assert again["Content-Type"] == "application/problem+json"

    totals = Client().get(f"{URL}/totals", headers=admin).json()
    assert totals["received"] == "5.00" and totals["entries"] == 3
    assert totals["by_donor_type"]["enterprise"]["received_money"] == "5.00"
    assert totals["by_donor_type"]["individual"]["received"] == "0.00"
    filtered = Client().get(f"{URL}/totals", {"kind": "pledge"}, headers=admin).json()
    assert filtered["entries"] == 0 and filtered["pledged"] == "0.00"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 12.5}, "amount"),  # a JSON number with a fraction: a float
        ({"amount": "12.345"}, "amount"),
        ({"amount": "-3"}, "amount"),
        ({"form": "goods"}, "goods"),
        ({"receipt_no": ""}, "receipt_no"),
    ],
)
def test_refusals_name_their_field(
    ledger: dict[str, Any],  # noqa: F811
    api_token: Any,
    changes: dict[str, Any],
    field: str,
) -> None:
    response = post(URL, entry_body(ledger["nabing"].pk, **changes), api_token("admin"))
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["code"] == "validation_error" and problem["field"] == field
    assert problem["errors"][0]["field"] == field
    assert not DonationEntry.objects.exists()


def test_the_api_is_scoped(ledger: dict[str, Any], api_token: Any) -> None:  # noqa: F811
    on_nabing = receipt(ledger["admin"], 1, pairing=ledger["nabing"])
    receipt(ledger["admin"], 2, pairing=ledger["fengxian"], amount=Decimal("7"))
    menghai = Client().get(URL, headers=api_token("menghai-county")).json()
    assert [i["id"] for i in menghai["items"]] == [on_nabing.pk]
    assert Client().get(f"{URL}/totals", headers=api_token("menghai-county")).json()[
        "received"
    ] == ("1000.00")
    mangshi = api_token("mangshi-county")
    assert Client().get(URL, headers=mangshi).json()["count"] == 0
    hidden = Client().get(f"{URL}/{on_nabing.pk}", headers=mangshi)
    assert hidden.status_code == 404 and hidden.json()["code"] == "donation_not_found"
    refused = post(URL, entry_body(ledger["nabing"].pk), mangshi)
    assert refused.status_code == 404 and refused.json()["code"] == "social_pairing_not_found"
    denied = post(URL, entry_body(ledger["nabing"].pk), api_token("auditor"))
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    reverse = post(f"{URL}/{on_nabing.pk}/reverse", {"reason": "x"}, mangshi)
    assert reverse.status_code == 404
    assert Client().get(URL).status_code == 401


def test_ids_out_of_range_are_absent(ledger: dict[str, Any], api_token: Any) -> None:  # noqa: F811
    admin, huge = api_token("admin"), 10**20
    assert Client().get(f"{URL}/{huge}", headers=admin).status_code == 404
    assert post(f"{URL}/{huge}/reverse", {"reason": "x"}, admin).status_code == 404
    refused = post(URL, entry_body(huge), admin)
    assert refused.status_code == 404 and refused.json()["code"] == "social_pairing_not_found"
    assert Client().get(URL, {"pairing": huge}, headers=admin).json()["count"] == 0
