"""A household's production assets and living conditions (生产条件、生活条件): the section of the
household page, the edit page and ``/api/v1/households/{id}/conditions``. Scope (404 outside
the view scope, 403 outside the capture scope), history in the audit log, refusals beside their
fields with nothing written, and the household page's pinned query count."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from bangfu.audit.models import AuditEntry
from bangfu.core.errors import BangfuError
from bangfu.regions.scope import RegionScope
from bangfu.registry.models import Household, LivingConditions, ProductionAssets
from bangfu.registry.services import household_conditions_save, household_save
from tests.registry.factories import household_in
from tests.registry.test_views import PANEL_QUERIES

pytestmark = pytest.mark.django_db

EVERYTHING = RegionScope.everything()
VIEWERS = [
    "admin",
    "auditor",
    "songjiang-office",
    "menghai-county",
    "menga-township",
    "nabing-village",
]
CAPTURE = {"admin", "menghai-county", "menga-township", "nabing-village"}
EN = {"accept-language": "en"}
API = "/api/v1/households"

PRODUCTION = {
    "arable_mu": "4.5",
    "irrigated_mu": "2",
    "forest_mu": "10.25",
    "cattle": 2,
    "pigs": 3,
    "poultry": 20,
    "cooperative_member": True,
}
LIVING = {
    "house_area_m2": "86",
    "electricity": True,
    "road_type": "水泥路",
    "road_distance_km": "0.8",
    "fuel": "柴草",
    "sanitary_toilet": False,
}


@pytest.fixture
def household(db: Any) -> Household:
    household, _ = household_save(actor=None, capture=EVERYTHING, data=household_in())
    return household


def record(household: Household, **production: Any) -> None:
    household_conditions_save(
        actor=None,
        capture=EVERYTHING,
        household=household,
        production=PRODUCTION | production,
        living=LIVING,
    )


def page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def section(html: str) -> str:
    start = html.index('<section id="conditions">')
    return html[start : html.index("</section>", start)]


def field_div(html: str, name: str) -> str:
    """The form's ``<div class="field …">`` that holds the input called ``name``."""
    at = html.index(f'name="{name}"')
    start = html.rindex('<div class="field', 0, at)
    return html[start : html.index("</div>", at)]


def form_post(**overrides: Any) -> dict[str, Any]:
    """The edit form as a browser posts it: unchecked boxes are absent."""
    data = {**PRODUCTION, **LIVING, "reason": "入户核实"} | overrides
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["request_id"]
    return dict(body)


def entries(household: Household) -> list[AuditEntry]:
    rows = [ProductionAssets.objects.get(household=household)]
    rows.append(LivingConditions.objects.get(household=household))
    return list(
        AuditEntry.objects.filter(
            object_type__in=["registry.productionassets", "registry.livingconditions"],
            object_id__in=[str(r.pk) for r in rows],
        ).order_by("id")
    )


# --- the household page ----------------------------------------------------------------------


def test_detail_says_not_recorded_yet(client_for: Any, household: Household) -> None:
    html = section(
        page(client_for("nabing-village").get(f"/households/{household.pk}/", headers=EN))
    )
    assert "Production assets and living conditions" in html
    assert 'id="conditions-missing"' in html and "Not recorded yet." in html
    assert 'id="production-facts"' not in html
    assert f'href="/households/{household.pk}/conditions/"' in html


def test_detail_shows_the_values(client_for: Any, household: Household) -> None:
    record(household)
    html = section(
        page(client_for("menga-township").get(f"/households/{household.pk}/", headers=EN))
    )
    assert 'id="conditions-missing"' not in html
    facts = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    assert facts["Arable land (mu)"] == "4.50" and facts["Irrigated land (mu)"] == "2"
    assert facts["Forest land (mu)"] == "10.25" and facts["Pasture (mu)"] == "0"
    assert facts["Cattle"] == "2" and facts["Poultry"] == "20" and facts["Sheep and goats"] == "0"
    assert facts["Member of a cooperative"] == "yes"
    assert facts["House area (m²)"] == "86" and facts["Distance to the main road (km)"] == "0.80"
    assert facts["Access road"] == "水泥路" and facts["Main fuel"] == "柴草"
    assert facts["Grid electricity"] == "yes" and facts["Sanitary toilet"] == "no"


def test_detail_in_chinese_by_default(client_for: Any, household: Household) -> None:
    record(household)
    html = section(page(client_for("nabing-village").get(f"/households/{household.pk}/")))
    assert "耕地面积（亩）" in html and "卫生厕所" in html  # the columns' labels are translated


@pytest.mark.parametrize("username", VIEWERS)
def test_edit_link_for_the_capture_scope_only(
    client_for: Any, household: Household, username: str
) -> None:
    record(household)
    html = section(page(client_for(username).get(f"/households/{household.pk}/")))
    assert 'id="production-facts"' in html and 'id="living-facts"' in html
    assert ('id="edit-conditions"' in html) == (username in CAPTURE)


def test_detail_query_count_is_pinned(
    client_for: Any, household: Household, django_assert_num_queries: Any
) -> None:
    """The section reads both records in one query, recorded or not: the page made 13 queries
    before it, 14 with it, 15 since the page lists linked incomes, and the sections of higher
    apps add their own (PANEL_QUERIES; see tests/registry/test_views.py)."""
    expected = 15 + PANEL_QUERIES
    client = client_for("menghai-county")
    client.get(f"/households/{household.pk}/")  # warm caches (session, code lists)
    with django_assert_num_queries(expected):
        page(client.get(f"/households/{household.pk}/"))
    record(household)
    client.get(f"/households/{household.pk}/")
    with django_assert_num_queries(expected):
        html = page(client.get(f"/households/{household.pk}/"))
    assert 'id="production-facts"' in html


# --- the edit page -----------------------------------------------------------------------------


def test_form_is_prefilled(client_for: Any, household: Household) -> None:
    client = client_for("nabing-village")
    url = f"/households/{household.pk}/conditions/"
    empty = page(client.get(url, headers=EN))
    assert 'id="conditions-form"' in empty and "Nothing has been recorded" in empty
    assert "checked" in field_div(empty, "electricity"), "the column's default"
    assert "value=" not in field_div(empty, "arable_mu"), "empty while unrecorded"
    assert "checked" not in field_div(empty, "sanitary_toilet")
    record(household)
    html = page(client.get(url, headers=EN))
    assert 'value="4.50"' in field_div(html, "arable_mu")
    assert 'value="10.25"' in field_div(html, "forest_mu")
    assert 'value="2"' in field_div(html, "cattle")
    assert 'value="水泥路"' in field_div(html, "road_type")
    assert "checked" in field_div(html, "cooperative_member")
    assert "checked" not in field_div(html, "sanitary_toilet")
    assert 'inputmode="decimal"' in field_div(html, "arable_mu")
    assert 'inputmode="numeric"' in field_div(html, "pigs")
    assert 'id="conditions-history"' in html


def test_first_save_creates_both_records_with_history(
    client_for: Any, household: Household, users: dict[str, Any]
) -> None:
    client = client_for("nabing-village")
    response = client.post(f"/households/{household.pk}/conditions/", form_post(), headers=EN)
    assert response.status_code == 302
    assert response["Location"] == f"/households/{household.pk}/"
    production = ProductionAssets.objects.get(household=household)
    living = LivingConditions.objects.get(household=household)
    assert production.arable_mu == Decimal("4.50") and production.cattle == 2
    assert production.cooperative_member and production.sheep == 0
    assert living.road_type == "水泥路" and living.electricity and not living.sanitary_toilet
    made = entries(household)
    assert [e.action for e in made] == ["create", "create"]
    assert all(e.actor == users["nabing-village"] and e.reason == "入户核实" for e in made)
    html = page(
        client.get(f"/households/{household.pk}/", headers=EN)
    )  # the message, then the values
    assert "Production assets and living conditions saved." in html
    assert 'id="production-facts"' in section(html)


def test_change_writes_an_update_entry_with_before_and_after(
    client_for: Any, household: Household, users: dict[str, Any]
) -> None:
    record(household)
    client = client_for("menga-township")
    before = AuditEntry.objects.count()
    response = client.post(
        f"/households/{household.pk}/conditions/",
        form_post(arable_mu="6", sanitary_toilet=True, reason="新开荒地"),
    )
    assert response.status_code == 302
    assert ProductionAssets.objects.get(household=household).arable_mu == Decimal("6.00")
    assert LivingConditions.objects.get(household=household).sanitary_toilet
    assert AuditEntry.objects.count() == before + 2  # one per record that changed
    production, living = entries(household)[-2:]
    assert production.action == living.action == "update"
    assert production.actor == users["menga-township"] and production.reason == "新开荒地"
    assert ("arable_mu", "4.50", "6.00") in production.changes()
    assert ("sanitary_toilet", False, True) in living.changes()
    html = page(client.get(f"/households/{household.pk}/conditions/", headers=EN))
    history = html[html.index('id="conditions-history"') :]
    assert "arable land (mu): 4.50 → 6.00" in history and "新开荒地" in history
    # the same values again change nothing and record nothing
    client.post(
        f"/households/{household.pk}/conditions/", form_post(arable_mu="6", sanitary_toilet=True)
    )
    assert AuditEntry.objects.count() == before + 2


def test_empty_numbers_count_as_zero(client_for: Any, household: Household) -> None:
    record(household)
    response = client_for("nabing-village").post(
        f"/households/{household.pk}/conditions/", form_post(pigs="", forest_mu="")
    )
    assert response.status_code == 302
    production = ProductionAssets.objects.get(household=household)
    assert production.pigs == 0 and production.forest_mu == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("arable_mu", "-1", "Areas and distances cannot be negative"),
        ("house_area_m2", "-0.5", "Areas and distances cannot be negative"),
        ("cattle", "-2", "Counts cannot be negative"),
        ("forest_mu", "abc", "Enter a number."),
        ("poultry", "1.5", "Enter a whole number."),
        ("pigs", "zwei", "Enter a whole number."),
        ("orchard_mu", "100000000", "implausibly large"),
        ("road_distance_km", "123456789.5", "implausibly large"),
        ("sheep", "100000000", "implausibly large"),
        ("poultry", "99999999999999", "implausibly large"),
    ],
)
@pytest.mark.parametrize("recorded", [False, True])
def test_bad_values_are_refused_beside_their_field_and_write_nothing(
    client_for: Any, household: Household, field: str, value: str, message: str, recorded: bool
) -> None:
    if recorded:
        record(household)
    stored = list(ProductionAssets.objects.values()) + list(LivingConditions.objects.values())
    before = AuditEntry.objects.count()
    html = page(
        client_for("nabing-village").post(
            f"/households/{household.pk}/conditions/", form_post(**{field: value}), headers=EN
        )
    )
    div = field_div(html, field)
    assert "invalid" in div[: div.index(">")] and message in div
    assert html.count('class="errorlist') == 1, "only the bad field"
    assert f'value="{value}"' in div, "what was typed is kept"
    assert AuditEntry.objects.count() == before
    now = list(ProductionAssets.objects.values()) + list(LivingConditions.objects.values())
    assert now == stored


@pytest.mark.parametrize(
    ("username", "status"), [("songjiang-office", 403), ("auditor", 403), ("mangshi-county", 404)]
)
def test_edit_page_outside_the_capture_scope(
    client_for: Any, household: Household, username: str, status: int
) -> None:
    client = client_for(username)
    url = f"/households/{household.pk}/conditions/"
    assert client.get(url).status_code == status
    response = client.post(url, form_post())
    assert response.status_code == status
    if status == 404:  # the generic page, nothing of the household
        assert household.head_name not in response.content.decode()
    assert not ProductionAssets.objects.filter(household=household).exists()
    assert not LivingConditions.objects.filter(household=household).exists()


def test_edit_page_needs_sign_in(household: Household) -> None:
    response = Client().get(f"/households/{household.pk}/conditions/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_service_refuses_what_is_not_a_number(household: Household) -> None:
    with pytest.raises(BangfuError) as caught:
        record(household, water_surface_mu="zwei")
    assert caught.value.field == "water_surface_mu" and "not a number" in caught.value.message
    assert not ProductionAssets.objects.filter(household=household).exists()


def test_service_refuses_implausibly_many_animals(household: Household) -> None:
    with pytest.raises(BangfuError) as caught:
        record(household, poultry=100_000_000)
    assert caught.value.field == "poultry"
    assert not ProductionAssets.objects.filter(household=household).exists()
    record(household, poultry=99_999_999)  # the bound itself is accepted
    assert ProductionAssets.objects.get(household=household).poultry == 99_999_999


# --- the API -----------------------------------------------------------------------------------


@pytest.fixture
def api(api_token: Any) -> Any:
    def make(username: str) -> Client:
        return Client(headers=api_token(username))

    return make


def test_api_round_trip(api: Any, household: Household, users: dict[str, Any]) -> None:
    client = api("nabing-village")
    url = f"{API}/{household.pk}/conditions"
    assert client.get(url).json() == {"production": None, "living": None}
    body = {"production": PRODUCTION | {"pasture_mu": 1.5}, "living": LIVING, "reason": "入户"}
    created = send(client, "put", url, body)
    assert created.status_code == 201, created.content
    got = client.get(url).json()
    assert got == created.json()
    assert got["production"] == {
        "arable_mu": "4.50",
        "irrigated_mu": "2.00",
        "forest_mu": "10.25",
        "returned_forest_mu": "0.00",
        "orchard_mu": "0.00",
        "pasture_mu": "1.50",
        "water_surface_mu": "0.00",
        "cattle": 2,
        "pigs": 3,
        "sheep": 0,
        "poultry": 20,
        "cooperative_member": True,
    }
    assert got["living"] == {
        "house_area_m2": "86.00",
        "electricity": True,
        "road_type": "水泥路",
        "road_distance_km": "0.80",
        "fuel": "柴草",
        "sanitary_toilet": False,
    }
    made = entries(household)
    assert [e.action for e in made] == ["create", "create"]
    assert all(e.actor == users["nabing-village"] and e.reason == "入户" for e in made)
    # PUT replaces: what is left out takes its default
    replaced = send(client, "put", url, {"production": {"arable_mu": 5}, "living": {}})
    assert replaced.status_code == 200
    assert replaced.json()["production"]["arable_mu"] == "5.00"
    assert replaced.json()["production"]["cattle"] == 0
    assert replaced.json()["living"]["electricity"] is True
    assert replaced.json()["living"]["road_type"] == ""
    assert [e.action for e in entries(household)] == ["create", "create", "update", "update"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"production": {"arable_mu": "-1"}, "living": {}}, "production.arable_mu"),
        ({"production": {"pigs": -3}, "living": {}}, "production.pigs"),
        ({"production": {}, "living": {"house_area_m2": -2}}, "living.house_area_m2"),
        ({"production": {"poultry": 10**9}, "living": {}}, "production.poultry"),
        ({"production": {"forest_mu": "1e9"}, "living": {}}, "production.forest_mu"),
    ],
)
def test_api_refusals_name_the_field(
    api: Any, household: Household, body: dict[str, Any], field: str
) -> None:
    client = api("nabing-village")  # issuing the token is audited too
    before = AuditEntry.objects.count()
    response = send(client, "put", f"{API}/{household.pk}/conditions", body)
    problem = assert_problem(response, 400, "validation_error")
    assert problem["field"] == field and problem["detail"]
    assert AuditEntry.objects.count() == before
    assert not ProductionAssets.objects.filter(household=household).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"production": {"arable_mu": "abc"}, "living": {}}, "production.arable_mu"),
        ({"production": {"arable_mu": "NaN"}, "living": {}}, "production.arable_mu"),
        ({"production": {"cattle": 1.5}, "living": {}}, "production.cattle"),
        ({"production": {}, "living": {"road_type": "x" * 41}}, "living.road_type"),
        ({"production": {}}, "living"),
    ],
)
def test_api_malformed_input_is_422(
    api: Any, household: Household, body: dict[str, Any], field: str
) -> None:
    response = send(api("nabing-village"), "put", f"{API}/{household.pk}/conditions", body)
    problem = assert_problem(response, 422, "validation_error")
    assert field in [e["field"] for e in problem["errors"]]
    assert not ProductionAssets.objects.filter(household=household).exists()


@pytest.mark.parametrize("username", [*VIEWERS, "mangshi-county"])
def test_api_follows_the_scopes(api: Any, household: Household, username: str) -> None:
    record(household)
    client = api(username)
    url = f"{API}/{household.pk}/conditions"
    got = client.get(url)
    put = send(client, "put", url, {"production": {"arable_mu": 9}, "living": {}})
    if username not in VIEWERS:
        assert_problem(got, 404, "household_not_found")
        assert_problem(put, 404, "household_not_found")
        assert household.head_name not in got.content.decode() + put.content.decode()
    else:
        assert got.status_code == 200 and got.json()["production"]["arable_mu"] == "4.50"
        if username in CAPTURE:
            assert put.status_code == 200
        else:
            assert_problem(put, 403, "permission_denied")
    stored = ProductionAssets.objects.get(household=household).arable_mu
    assert stored == (Decimal("9.00") if username in CAPTURE else Decimal("4.50"))


def test_api_needs_a_token(household: Household) -> None:
    response = Client().get(f"{API}/{household.pk}/conditions")
    assert_problem(response, 401, "auth_required")


def test_openapi_documents_the_conditions() -> None:
    schema = Client().get("/api/openapi.json").json()
    operations = schema["paths"]["/api/v1/households/{household_id}/conditions"]
    assert {"get", "put"} <= set(operations)
    assert {"403", "404"} <= set(operations["put"]["responses"])
    assert {"200", "201", "400"} <= set(operations["put"]["responses"])
    assert operations["put"]["summary"] and operations["put"]["requestBody"]
