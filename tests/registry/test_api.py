"""/api/v1/households: scope (404 outside the view scope), ID numbers masked unless an allowed
user asks with ?reveal=1 (logged), create / patch / list with filters and paging, members,
incomes, guarantees and workflow steps, problem+json naming every problem, OpenAPI."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from bangfu.audit.models import AccessLogEntry, AuditEntry
from bangfu.core.protect import decrypt_text
from bangfu.regions.scope import RegionScope
from bangfu.registry.models import Household, HouseholdStatus, StatusChange
from bangfu.registry.services import household_save
from tests.registry.factories import household_in, id_number

pytestmark = pytest.mark.django_db

NABING = "532822106207"
GASAI = "532822106201"
EVERYTHING = RegionScope.everything()
VIEWERS = [
    "admin",
    "auditor",
    "songjiang-office",
    "menghai-county",
    "menga-township",
    "nabing-village",
]
PERSONAL = {"admin", "menghai-county", "menga-township", "nabing-village"}
CAPTURE = PERSONAL
URL = "/api/v1/households"


def save(no: str = "5328221062070001", village: str = NABING, **overrides: Any) -> Household:
    household, _ = household_save(
        actor=None, capture=EVERYTHING, data=household_in(no, village, **overrides)
    )
    return household


def clear_ids(household: Household) -> list[str]:
    return [decrypt_text(m.id_number_enc) for m in household.members.order_by("id")]


@pytest.fixture
def household(db: Any) -> Household:
    return save(bank_account="6228480012345678")


@pytest.fixture
def api(api_token: Any) -> Any:
    def make(username: str) -> Client:
        return Client(headers=api_token(username))

    return make


def send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:bangfu:problem:{code}" and body["request_id"]
    return dict(body)


def member_body(name: str, birth: dt.date, relation: str, *, male: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "id_number": id_number(birth, male=male),
        "relation": relation,
        "insured_basic_medical": True,
        "insured_critical_illness": True,
    }


def new_body(no: str = "5328221062079001", village: str = NABING) -> dict[str, Any]:
    return {
        "household_no": no,
        "village_code": village,
        "status": "applied",
        "main_cause": "因病",
        "phone": "13900001111",
        "members": [
            member_body("岩坎", dt.date(1980, 5, 6), "户主"),
            member_body("玉罕", dt.date(1982, 1, 2), "spouse", male=False),
        ],
    }


# --- scope and masking ---------------------------------------------------------------------


@pytest.mark.parametrize("username", [*VIEWERS, "mangshi-county"])
def test_read_follows_the_view_scope(api: Any, household: Household, username: str) -> None:
    client = api(username)
    listed = client.get(URL).json()
    visible = username in VIEWERS
    assert (household.household_no in [h["household_no"] for h in listed["items"]]) == visible
    for suffix in ("", "/members", "/incomes", "/guarantees", "/transitions"):
        response = client.get(f"{URL}/{household.pk}{suffix}")
        if visible:
            assert response.status_code == 200, suffix
        else:
            body = assert_problem(response, 404, "household_not_found")
            assert household.head_name not in response.content.decode(), suffix
            assert body["detail"]
    if not visible:  # writes answer 404 too, revealing nothing
        assert_problem(
            send(client, "patch", f"{URL}/{household.pk}", {"address": "x"}),
            404,
            "household_not_found",
        )
        assert_problem(
            send(client, "post", f"{URL}/{household.pk}/incomes", {"year": 2025}),
            404,
            "household_not_found",
        )


@pytest.mark.parametrize("username", VIEWERS)
def test_detail_is_masked_per_role(api: Any, household: Household, username: str) -> None:
    body = api(username).get(f"{URL}/{household.pk}").json()
    numbers = clear_ids(household)
    assert [m["id_number"] for m in body["members"]] == [
        m.id_number_masked for m in household.members.order_by("id")
    ]
    assert not any(m["id_number_clear"] for m in body["members"])
    assert not any(n in json.dumps(body) for n in numbers)
    personal = username in PERSONAL
    head = body["members"][0]
    assert head["birth_year"] == 1975
    assert (head["birth_date"] == "1975-03-02") == personal and (
        head["birth_date"] is None
    ) != personal
    assert body["phone"] == ("13800000000" if personal else "*******0000")
    assert body["bank_account_last4"] == "5678" and "bank_account" not in body
    assert body["allowed_next"] == ["exit_proposed"] and body["status_label"]


def test_reveal_by_an_allowed_user_is_logged(api: Any, household: Household, users: Any) -> None:
    client = api("menga-township")
    before = AccessLogEntry.objects.count()
    body = client.get(f"{URL}/{household.pk}", {"reveal": 1}).json()
    assert [m["id_number"] for m in body["members"]] == clear_ids(household)
    assert all(m["id_number_clear"] for m in body["members"])
    members = client.get(f"{URL}/{household.pk}/members", {"reveal": "1"}).json()
    assert [m["id_number"] for m in members] == clear_ids(household)
    entries = AccessLogEntry.objects.order_by("-id")[:2]
    assert AccessLogEntry.objects.count() == before + 2
    assert all(e.actor == users["menga-township"] and e.fields == ["id_number"] for e in entries)
    assert sorted(entries[0].object_ids) == sorted(str(m.pk) for m in household.members.all())
    plain = client.get(f"{URL}/{household.pk}/members").json()
    assert (
        not any(m["id_number_clear"] for m in plain)
        and AccessLogEntry.objects.count() == before + 2
    )


@pytest.mark.parametrize("username", ["songjiang-office", "auditor"])
def test_reveal_is_refused_to_roles_without_personal_data(
    api: Any, household: Household, username: str
) -> None:
    before = AccessLogEntry.objects.count()
    for url in (f"{URL}/{household.pk}", f"{URL}/{household.pk}/members"):
        response = api(username).get(url, {"reveal": 1})
        assert_problem(response, 403, "permission_denied")
        assert not any(n in response.content.decode() for n in clear_ids(household))
    assert AccessLogEntry.objects.count() == before


# --- list ----------------------------------------------------------------------------------


def test_list_filters_and_pages(api: Any, django_assert_max_num_queries: Any) -> None:
    for i in range(12):
        save(f"53282210620700{i:02d}", main_cause="因病" if i % 3 == 0 else "缺技术")
    for i in range(3):
        save(f"53282210620100{i:02d}", GASAI, status=HouseholdStatus.EXITED)
    client = api("menghai-county")
    client.get(URL)
    with django_assert_max_num_queries(8):
        first = client.get(URL, {"page_size": 5}).json()
    assert (first["count"], first["pages"], len(first["items"])) == (15, 3, 5)
    numbers = [h["household_no"] for h in first["items"]]
    assert numbers == sorted(numbers)
    last = client.get(URL, {"page_size": 5, "page": 3}).json()
    assert [h["household_no"] for h in last["items"]][-1] == "5328221062070011"

    def listed(**params: Any) -> list[str]:
        return [h["household_no"] for h in client.get(URL, params).json()["items"]]

    assert listed(region=GASAI) == ["5328221062010000", "5328221062010001", "5328221062010002"]
    assert listed(status="exited") == listed(region=GASAI)
    assert listed(region="532822106000", status="registered") == [
        f"53282210620700{i:02d}" for i in range(12)
    ]
    assert len(listed(cause="illness")) == 4
    assert listed(q="5328221062070011") == ["5328221062070011"]
    household = Household.objects.get(household_no="5328221062070007")
    assert listed(q=clear_ids(household)[2]) == ["5328221062070007"], "exact ID via the hash"
    assert listed(q="玉香")[:1] == ["5328221062010000"], "a member's name"
    assert listed(q="玉")[:1] == ["5328221062010000"], "the start of a member's name"
    assert listed(q="532822106201") == listed(region=GASAI), "the start of a number"
    assert listed(q="岩温", region=GASAI) == [
        h.household_no
        for h in Household.objects.filter(
            village__code="532822106201", members__name__startswith="岩温"
        ).distinct()
    ]
    assert api("mangshi-county").get(URL, {"q": "玉香"}).json()["count"] == 0, "scope holds"
    assert api("mangshi-county").get(URL).json()["count"] == 0
    assert_problem(client.get(URL, {"region": "53282X"}), 400, "region_code_malformed")
    summary = first["items"][0]
    assert set(summary) >= {"id", "village_code", "head_name", "status", "latest_net_income_pc"}
    assert "members" not in summary


# --- create and patch ----------------------------------------------------------------------


def test_create_and_upsert(api: Any, users: Any) -> None:
    client = api("nabing-village")
    response = send(client, "post", URL, new_body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["household_no"] == "5328221062079001" and body["size"] == 2
    assert body["main_cause"] == "illness" and body["members"][0]["relation"] == "head"
    assert body["status"] == "applied" and body["members"][0]["id_number"].count("*") == 10
    household = Household.objects.get(pk=body["id"])
    assert AuditEntry.objects.filter(
        object_id=str(household.pk), actor=users["nabing-village"]
    ).exists()
    again = send(client, "post", URL, new_body() | {"address": "纳丙村二组"})
    assert again.status_code == 200 and again.json()["address"] == "纳丙村二组"
    assert Household.objects.count() == 1


def test_create_names_every_problem(api: Any) -> None:
    body = new_body()
    body["main_cause"] = "因穷"
    body["members"][1]["id_number"] = "532822198201021230"  # wrong check character
    body["members"][1]["relation"] = "火星人"
    problem = assert_problem(send(api("nabing-village"), "post", URL, body), 400, "code_unknown")
    found = {(e["field"], e["code"], e["member"]) for e in problem["errors"]}
    assert found == {
        ("main_cause", "code_unknown", None),
        ("id_number", "id_number_checksum", 1),
        ("relation", "code_unknown", 1),
    }
    assert problem["field"] == "main_cause" and all(e["message"] for e in problem["errors"])
    assert not Household.objects.exists()
    missing = send(api("nabing-village"), "post", URL, {"household_no": "1"})
    assert_problem(missing, 422, "validation_error")


@pytest.mark.parametrize(("username", "status"), [("mangshi-county", 403), ("auditor", 403)])
def test_create_outside_the_capture_scope(api: Any, username: str, status: int) -> None:
    problem = assert_problem(
        send(api(username), "post", URL, new_body()), status, "permission_denied"
    )
    assert problem["errors"][0]["field"] == "village_code"
    assert not Household.objects.exists()


def test_patch_changes_what_is_given_and_keeps_the_rest(
    api: Any, household: Household, users: Any
) -> None:
    ids, account = clear_ids(household), household.bank_account_enc
    client = api("menghai-county")
    logged = AccessLogEntry.objects.count()
    response = send(
        client, "patch", f"{URL}/{household.pk}", {"address": "纳丙村三组", "reason": "核实"}
    )
    assert response.status_code == 200, response.content
    household.refresh_from_db()
    assert household.address == "纳丙村三组" and household.main_cause == "lack_of_skills"
    assert clear_ids(household) == ids and household.bank_account_enc == account
    assert household.status == "registered" and household.phone == "13800000000"
    assert AccessLogEntry.objects.count() == logged, "kept numbers are never shown, so not logged"
    entry = AuditEntry.objects.filter(object_id=str(household.pk), action="update").get()
    assert entry.reason == "核实" and entry.actor == users["menghai-county"]
    # members: the complete list; existing ones by id keep their number, one is replaced
    members = response.json()["members"]
    new = id_number(dt.date(2019, 6, 1), male=False)
    body = {
        "members": [
            {
                **{
                    k: members[0][k]
                    for k in (
                        "name",
                        "relation",
                        "ethnicity",
                        "education",
                        "health",
                        "labour_skill",
                        "insured_basic_medical",
                        "insured_critical_illness",
                    )
                },
                "id": members[0]["id"],
            },
            {"name": "玉香", "id": members[1]["id"], "relation": "spouse"},
            {"name": "玉叶", "id_number": new, "relation": "daughter"},
        ]
    }
    patched = send(client, "patch", f"{URL}/{household.pk}", body)
    assert patched.status_code == 200, patched.content
    assert [m["name"] for m in patched.json()["members"]] == ["岩温", "玉香", "玉叶"]
    assert clear_ids(household) == [ids[0], ids[1], new]


def test_patch_problems_and_refusals(api: Any, household: Household) -> None:
    bad = send(
        api("nabing-village"),
        "patch",
        f"{URL}/{household.pk}",
        {"village_code": GASAI, "members": [{"name": "", "id_number": "1"}]},
    )
    problem = assert_problem(bad, 403, "permission_denied")
    assert {(e["field"], e["member"]) for e in problem["errors"]} >= {
        ("village_code", None),
        ("name", 0),
        ("id_number", 0),
    }
    for username in ("songjiang-office", "auditor"):
        response = send(api(username), "patch", f"{URL}/{household.pk}", {"address": "x"})
        assert_problem(response, 403, "permission_denied")
    household.refresh_from_db()
    assert household.address == "" and household.village.code == NABING


# --- incomes, guarantees, workflow ---------------------------------------------------------


def test_incomes(api: Any, household: Household) -> None:
    client = api("nabing-village")
    url = f"{URL}/{household.pk}/incomes"
    created = send(
        client,
        "post",
        url,
        {
            "year": 2025,
            "wage_income": "12000.50",
            "business_income": 3000,
            "business_costs": "600",
            "medical_spending": "900",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["net_income"] == "14400.50" and body["net_income_pc"] == "4800.17"
    assert body["net_income_pc_after_rigid"] == "4500.17" and body["persons"] == 3
    replaced = send(client, "post", url, {"year": 2025, "wage_income": "9000", "persons": 2})
    assert replaced.status_code == 200 and replaced.json()["net_income_pc"] == "4500.00"
    send(client, "post", url, {"year": 2024, "wage_income": "6000"})
    assert [r["year"] for r in client.get(url).json()] == [2025, 2024]
    detail = client.get(f"{URL}/{household.pk}").json()
    assert (detail["latest_income_year"], detail["latest_net_income_pc"]) == (2025, "4500.00")
    assert_problem(send(client, "post", url, {"year": 1900}), 400, "validation_error")
    assert_problem(
        send(client, "post", url, {"year": 2025, "wage_income": "-1"}), 400, "validation_error"
    )
    assert_problem(
        send(api("songjiang-office"), "post", url, {"year": 2025}), 403, "permission_denied"
    )


def test_guarantees(api: Any, household: Household) -> None:
    client = api("menga-township")
    url = f"{URL}/{household.pk}/guarantees"
    body = {
        "year": 2025,
        "assessed_on": "2025-11-01",
        "house_grade": "c",
        "water_litres_per_day": "30",
        "water_quality_ok": True,
        "water_trip_minutes": 10,
        "water_interruption_days": 5,
        "notes": "入户核查",
    }
    created = send(client, "post", url, body)
    assert created.status_code == 201, created.content
    row = created.json()
    assert row["results"] == {
        "food": True,
        "clothing": True,
        "education": True,
        "medical": True,
        "housing": False,
        "water": False,
    }
    assert {p["code"] for p in row["problems"]} == {"house_unsafe", "water_quantity_low"}
    low = next(p for p in row["problems"] if p["code"] == "water_quantity_low")
    assert low["detail"] == {"litres": "30", "minimum": "35"} and "30" in low["message"]
    assert row["notes"] == "入户核查" and row["house_grade"] == "C"
    fixed = send(client, "post", url, body | {"house_grade": "A", "water_litres_per_day": "50"})
    assert fixed.status_code == 200 and fixed.json()["problems"] == []
    assert client.get(url).json()[0]["results"]["housing"] is True
    assert client.get(f"{URL}/{household.pk}").json()["open_guarantee_problems"] == 0
    problem = assert_problem(
        send(client, "post", url, body | {"house_grade": "E"}), 400, "validation_error"
    )
    assert problem["field"] == "house_grade"


def test_transitions(api: Any, users: Any) -> None:
    household = save(status=HouseholdStatus.APPLIED)
    client = api("nabing-village")
    url = f"{URL}/{household.pk}/transitions"
    step = {"to_status": "village_reviewed", "level": "village", "on_date": "2026-03-01"}
    response = send(client, "post", url, step)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "village_reviewed" and body["allowed_next"] == ["posted_1", "rejected"]
    assert (
        body["change"]["actor"] == "nabing-village" and body["change"]["from_status"] == "applied"
    )
    problem = assert_problem(
        send(client, "post", url, step | {"to_status": "posted_1"}), 400, "workflow_posting_period"
    )
    assert problem["field"] == "posting_start"
    assert_problem(
        send(client, "post", url, step | {"to_status": "registered"}),
        400,
        "workflow_transition_invalid",
    )
    send(
        client,
        "post",
        url,
        step
        | {"to_status": "posted_1", "posting_start": "2026-03-02", "posting_end": "2026-03-09"},
    )
    back = send(client, "post", url, step | {"objection": True, "reason": "村民异议"})
    assert back.status_code == 201 and back.json()["change"]["objection"] is True
    history = client.get(url).json()
    assert [(c["to_status"], c["objection"]) for c in history] == [
        ("village_reviewed", False),
        ("posted_1", False),
        ("village_reviewed", True),
    ]
    assert history[1]["posting_end"] == "2026-03-09"
    unknown = send(client, "post", url, step | {"to_status": "posted_2", "level": "galaxy"})
    assert assert_problem(unknown, 400, "validation_error")["field"] == "level"
    assert_problem(send(api("songjiang-office"), "post", url, step), 403, "permission_denied")
    assert_problem(send(api("mangshi-county"), "post", url, step), 404, "household_not_found")
    assert StatusChange.objects.filter(household=household).count() == 3


def test_no_token_is_401(household: Household) -> None:
    for url in (URL, f"{URL}/{household.pk}", f"{URL}/{household.pk}/members"):
        assert_problem(Client().get(url), 401, "auth_required")


def test_openapi_documents_the_household_endpoints() -> None:
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/households": {"get", "post"},
        "/api/v1/households/{household_id}": {"get", "patch"},
        "/api/v1/households/{household_id}/members": {"get"},
        "/api/v1/households/{household_id}/incomes": {"get", "post"},
        "/api/v1/households/{household_id}/guarantees": {"get", "post"},
        "/api/v1/households/{household_id}/transitions": {"get", "post"},
    }.items():
        assert methods <= set(paths[path]), path
    detail = paths["/api/v1/households/{household_id}"]["get"]
    assert {p["name"] for p in detail["parameters"]} >= {"household_id", "reveal"}
    assert {"403", "404"} <= set(detail["responses"])
    listing = {p["name"] for p in paths["/api/v1/households"]["get"]["parameters"]}
    assert {"region", "status", "q", "page", "page_size"} <= listing
