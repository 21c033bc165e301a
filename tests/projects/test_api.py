"""The projects API (/api/v1/projects): scoped reads (another county's token gets 404),
amounts as exact strings, the fund flow equal to ``fund_flow``, payments to households with
their idempotency key, and float amounts refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from bangfu.projects import cooperatives as coops
from bangfu.projects.benefits import BenefitIn, benefit_record
from bangfu.projects.flow import fund_flow
from bangfu.projects.models import Account, Benefit, Entry, Project
from bangfu.projects.services import budget_set, milestone_save, target_save
from bangfu.regions.models import Region
from tests.projects.conftest import MENGHAI, NABING, make_households

pytestmark = pytest.mark.django_db

BASE = "/api/v1/projects"


@pytest.fixture
def api(api_token: Any) -> Any:
    def call(method: str, path: str, user: str = "menghai-county", body: Any = None, **h: str):
        headers = {**api_token(user), **h}
        client = Client()
        if body is None:
            return getattr(client, method)(BASE + path, headers=headers)
        return getattr(client, method)(
            BASE + path, data=json.dumps(body), content_type="application/json", headers=headers
        )

    return call


def payment(households: list[Any], **changes: Any) -> dict[str, Any]:
    body = {
        "fund_source": "east_aid",
        "source_year": 2025,
        "mechanism": "wages",
        "year": 2025,
        "entry_date": "2025-06-20",
        "voucher": "GZ-API-1",
        "rows": [
            {"household_no": households[0].household_no, "amount": "3600.00"},
            {"household_no": households[1].household_no, "amount": 2400},
        ],
    }
    body.update(changes)
    return body


def test_the_list_is_scoped_and_filtered(api: Any, project: Project) -> None:
    listed = api("get", "/").json()
    assert project.code in [p["code"] for p in listed["items"]]
    assert listed["page"] == 1 and listed["count"] >= 1

    def codes(query: str, user: str = "menghai-county") -> list[str]:
        return [p["code"] for p in api("get", "/" + query, user).json()["items"]]

    assert project.code not in codes("", "mangshi-county")
    assert project.code in codes(f"?status=planned&year=2025&region={MENGHAI}")
    assert project.code not in codes("?year=2024")
    assert project.code not in codes("?status=accepted")
    assert api("get", "/?status=flying").status_code == 400
    paged = api("get", "/?page_size=1").json()
    assert len(paged["items"]) == 1 and paged["pages"] == paged["count"]


def test_another_countys_token_gets_404(api: Any, users: dict[str, Any], project: Project) -> None:
    for path in (f"/{project.pk}", f"/{project.pk}/flow", f"/{project.pk}/benefits"):
        response = api("get", path, user="mangshi-county")
        assert response.status_code == 404 and response.json()["code"] == "project_not_found"
    households = make_households(users, 2)
    response = api(
        "post",
        f"/{project.pk}/payments",
        "mangshi-county",
        payment(households),
        **{"Idempotency-Key": "k"},
    )
    assert response.status_code == 404 and response.json()["code"] == "project_not_found"
    assert not Entry.objects.filter(idempotency_key="api-pay:k").exists()
    assert api("get", "/999999").status_code == 404


def test_the_detail(api: Any, users: dict[str, Any], project: Project) -> None:
    admin = users["admin"]
    budget_set(actor=admin, project=project, fund_source="east_aid", amount="600000.00")
    budget_set(actor=admin, project=project, fund_source="local_fiscal", amount="50000.5")
    milestone_save(
        actor=admin, project=project, name="厂房封顶", planned_date=dt.date(2025, 5, 1), progress=60
    )
    target_save(
        actor=admin, project=project, indicator="带动户数", target="2", measure="households"
    )
    target_save(actor=admin, project=project, indicator="亩产", target="150", actual="120.5")
    first, second = make_households(users, 2)
    benefit_record(
        actor=admin,
        project=project,
        mechanism="wages",
        year=2025,
        rows=[BenefitIn("1000", household=first), BenefitIn("500.25", household=second)],
    )
    body = api("get", f"/{project.pk}").json()
    assert body["code"] == project.code and body["status"] == "planned"
    assert body["budget"] == [
        {"fund_source": "east_aid", "amount": "600000.00"},
        {"fund_source": "local_fiscal", "amount": "50000.50"},
    ]
    assert body["budget_total"] == "650000.50" and body["progress"] == 60
    assert body["milestones"][0]["name"] == "厂房封顶"
    targets = {t["indicator"]: t for t in body["targets"]}
    assert targets["带动户数"]["actual"] == "2.00" and targets["亩产"]["actual"] == "120.50"
    assert body["benefits"] == {
        "households": 2,
        "poor_households": body["benefits"]["poor_households"],
        "villages": 1,
        "amount": "1500.25",
        "by_mechanism": {"wages": "1500.25"},
    }


def test_payments_are_idempotent(api: Any, users: dict[str, Any], project: Project) -> None:
    households = make_households(users, 2)
    path = f"/{project.pk}/payments"
    first = api("post", path, body=payment(households), **{"Idempotency-Key": "pay-abc"})
    assert first.status_code == 201, first.json()
    out = first.json()
    assert out["amount"] == "6000.00" and out["households"] == 2 and not out["replayed"]
    again = api("post", path, body=payment(households), **{"Idempotency-Key": "pay-abc"})
    assert again.status_code == 200 and again.json()["entry_id"] == out["entry_id"]
    assert again.json()["replayed"]
    assert Benefit.objects.filter(entry_id=out["entry_id"]).count() == 2
    changed = payment(households)
    changed["rows"][1]["amount"] = "2400.01"
    conflict = api("post", path, body=changed, **{"Idempotency-Key": "pay-abc"})
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "ledger_idempotency_conflict"
    assert Entry.objects.filter(idempotency_key__endswith="pay-abc").count() == 1

    listed = api("get", f"/{project.pk}/benefits").json()
    assert listed["count"] == 2
    item = listed["items"][0]
    assert item["household_no"] in {h.household_no for h in households}
    assert item["entry_id"] == out["entry_id"] and item["amount"] in {"3600.00", "2400.00"}
    assert "name" not in json.dumps(listed)  # numbers, never names
    assert api("get", f"/{project.pk}/benefits?page_size=1").json()["pages"] == 2


def test_a_payment_needs_its_key_and_exact_amounts(
    api: Any, users: dict[str, Any], project: Project
) -> None:
    households = make_households(users, 2)
    path = f"/{project.pk}/payments"
    missing = api("post", path, body=payment(households))
    assert missing.status_code == 400 and missing.json()["field"] == "Idempotency-Key"
    floats = payment(households)
    floats["rows"][0]["amount"] = 3600.5
    refused = api("post", path, body=floats, **{"Idempotency-Key": "pay-float"})
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation_error"
    assert refused.json()["field"] == "rows[0].amount" and "浮点数" in refused.json()["detail"]
    floats["rows"][0]["amount"] = 3600.0  # a float even with no fraction
    refused = api("post", path, body=floats, **{"Idempotency-Key": "pay-float"})
    assert refused.status_code == 400 and refused.json()["field"] == "rows[0].amount"
    unknown = payment(households)
    unknown["rows"][0]["household_no"] = "5328221062079999"
    response = api("post", path, body=unknown, **{"Idempotency-Key": "pay-unknown"})
    assert response.status_code == 400 and response.json()["field"] == "rows[0].household_no"
    too_much = payment(households)
    too_much["rows"][0]["amount"] = "900000.00"  # more than the project holds
    response = api("post", path, body=too_much, **{"Idempotency-Key": "pay-much"})
    assert response.status_code == 409 and response.json()["code"] == "ledger_insufficient_funds"
    # An auditor sees the project but may not pay.
    response = api("post", path, "auditor", payment(households), **{"Idempotency-Key": "pay-au"})
    assert response.status_code == 403
    assert not Entry.objects.filter(idempotency_key__startswith="api-pay:").exists()


def test_the_flow_equals_fund_flow(api: Any, users: dict[str, Any], project: Project) -> None:
    households = make_households(users, 2)
    api("post", f"/{project.pk}/payments", body=payment(households), **{"Idempotency-Key": "f1"})
    body = api("get", f"/{project.pk}/flow").json()
    flow = fund_flow(project)

    def yuan(fen: int) -> str:
        return f"{fen // 100}.{fen % 100:02d}"

    assert body["received"] == yuan(flow.received) == "600000.00"
    assert body["paid"] == yuan(flow.paid) == "6000.00"
    assert body["held"] == yuan(flow.held) == "594000.00"
    assert body["difference"] == "0.00" and body["reconciled"] is True
    assert [
        (line["source_code"], line["received"], line["paid"], line["held"])
        for line in body["lines"]
    ] == [
        (line.source.code, yuan(line.received), yuan(line.paid), yuan(line.held))
        for line in flow.lines
    ]
    assert [(link["source"], link["target"], link["amount"]) for link in body["links"]] == [
        (a, b, yuan(fen)) for a, b, fen in flow.links
    ]


def test_cooperatives(api: Any, users: dict[str, Any]) -> None:
    admin = users["admin"]
    coop = coops.cooperative_create(
        actor=admin,
        code="nb-api-coop",
        name="纳丙村茶叶合作社",
        village=Region.objects.get(code=NABING),
        model="company",
        founded_on=dt.date(2019, 1, 1),
    )
    first, second = make_households(users, 2)
    for household, shares in ((first, 30), (second, 10)):
        coops.member_join(
            actor=admin, cooperative=coop, household=household, joined_on=dt.date(2019, 2, 1)
        )
        coops.shares_add(
            actor=admin,
            cooperative=coop,
            household=household,
            kind="cash",
            amount=f"{shares * 100}",
            shares=shares,
            recorded_on=dt.date(2019, 2, 1),
        )
    year = coops.year_declare(
        actor=admin,
        cooperative=coop,
        year=2024,
        revenue="50000",
        profit="10000",
        payout_ratio="0.4",
    )
    coops.dividends_pay(
        actor=admin, cooperative_year=year, entry_date=dt.date(2025, 1, 15), voucher="FH-1"
    )

    listed = api("get", "/cooperatives").json()
    assert coop.code in [c["code"] for c in listed["items"]]
    body = api("get", f"/cooperatives/{coop.pk}").json()
    assert body["village_code"] == NABING and body["model"] == "company"
    members = {m["household_no"]: m for m in body["members"]}
    assert members[first.household_no]["shares"] == 30
    assert members[first.household_no]["capital"] == "3000.00"
    assert members[first.household_no]["shares_by_kind"] == {"cash": 30}
    assert body["years"] == [
        {
            "year": 2024,
            "revenue": "50000.00",
            "profit": "10000.00",
            "payout_ratio": "0.4000",
            "poor_minimum": "0.00",
            "dividends_paid": True,
            "dividend_entry_id": body["years"][0]["dividend_entry_id"],
            "dividend_households": 2,
            "dividends": "4000.00",
        }
    ]
    other = api("get", f"/cooperatives/{coop.pk}", user="mangshi-county")
    assert other.status_code == 404 and other.json()["code"] == "cooperative_not_found"
    assert coop.code not in [
        c["code"] for c in api("get", "/cooperatives", user="mangshi-county").json()["items"]
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_year": 2024}, "source_year"),
        ({"source_year": -1}, "source_year"),
        ({"year": 1}, "year"),
        ({"voucher": "V" * 61}, "voucher"),
    ],
)
def test_a_payment_from_nowhere_or_for_no_year_is_refused_and_opens_nothing(
    api: Any, users: dict[str, Any], project: Project, changes: dict[str, Any], field: str
) -> None:
    households = make_households(users, 2)
    accounts = Account.objects.count()
    refused = api(
        "post",
        f"/{project.pk}/payments",
        body=payment(households, **changes),
        **{"Idempotency-Key": "k-" + field},
    )
    assert refused.status_code == 400, refused.json()
    assert refused.json()["field"] == field
    assert Account.objects.count() == accounts and not Benefit.objects.exists()
