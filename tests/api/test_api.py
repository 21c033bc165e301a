"""The HTTP API: tokens, problem+json errors with stable codes, OpenAPI."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import ApiToken
from bangfu.regions.models import Pairing

pytestmark = pytest.mark.django_db


def post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:bangfu:problem:{code}"
    assert body["detail"] and body["instance"] and body["request_id"]
    return body


def test_token_round_trip() -> None:
    client = Client()
    response = post_json(
        client, "/api/v1/auth/token", {"username": "songjiang-office", "password": "bangfu-demo"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert token.startswith("bft_") and response.json()["token_type"] == "Bearer"
    stored = ApiToken.objects.get()
    assert token not in (stored.key_hash, stored.prefix), "only a hash of the token is stored"
    region = Client(headers={"Authorization": f"Bearer {token}"}).get(
        "/api/v1/regions/532822000000"
    )
    assert region.status_code == 200
    assert region.json() == {
        "code": "532822000000",
        "name_zh": "勐海县",
        "name_en": "Menghai County",
        "level": "county",
        "parent_code": "532800000000",
        "is_west": True,
        "former_poor_county": True,
        "key_county": False,
    }


def test_wrong_password_is_401_with_a_code() -> None:
    response = post_json(Client(), "/api/v1/auth/token", {"username": "admin", "password": "nope"})
    body = assert_problem(response, 401, "auth_invalid_credentials")
    assert body["detail"] == "用户名或密码错误。", "Chinese unless the client asks otherwise"
    english = Client(headers={"Accept-Language": "en"})
    response = post_json(english, "/api/v1/auth/token", {"username": "admin", "password": "nope"})
    assert (
        assert_problem(response, 401, "auth_invalid_credentials")["detail"]
        == "Wrong username or password."
    )
    unknown = post_json(Client(), "/api/v1/auth/token", {"username": "nobody", "password": "nope"})
    assert assert_problem(unknown, 401, "auth_invalid_credentials")["detail"] == body["detail"]


def test_no_token_is_401() -> None:
    response = Client().get("/api/v1/pairings")
    assert_problem(response, 401, "auth_required")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_expired_tokens_say_which(api_token: Any) -> None:
    assert_problem(
        Client(headers={"Authorization": "Bearer bft_bogus"}).get("/api/v1/pairings"),
        401,
        "auth_token_invalid",
    )
    headers = api_token("admin")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    english = Client(headers={**headers, "Accept-Language": "en"})
    body = assert_problem(english.get("/api/v1/pairings"), 401, "auth_token_expired")
    assert "expired at" in body["detail"]


def test_inactive_users_tokens_stop_working(api_token: Any, users: dict[str, Any]) -> None:
    headers = api_token("menghai-county")
    users["menghai-county"].is_active = False
    users["menghai-county"].save()
    assert_problem(Client(headers=headers).get("/api/v1/pairings"), 401, "auth_token_invalid")


def test_login_throttling_after_repeated_failures() -> None:
    for _ in range(5):
        post_json(Client(), "/api/v1/auth/token", {"username": "auditor", "password": "wrong"})
    right = post_json(
        Client(), "/api/v1/auth/token", {"username": "auditor", "password": "bangfu-demo"}
    )
    assert_problem(right, 429, "auth_throttled")
    other = post_json(
        Client(), "/api/v1/auth/token", {"username": "admin", "password": "bangfu-demo"}
    )
    assert other.status_code == 200, "the throttle is per name (and per address), not global"


def test_bad_region_input_names_the_field(api_token: Any) -> None:
    client = Client(headers=api_token("admin"))
    body = {
        "code": "53282210620X",
        "name_zh": "坏",
        "level": "village",
        "parent_code": "532822106000",
    }
    problem = assert_problem(
        post_json(client, "/api/v1/regions", body), 400, "region_code_malformed"
    )
    assert problem["field"] == "code" and "53282210620X" in problem["detail"]
    missing = assert_problem(
        post_json(client, "/api/v1/regions", {"code": "532822106299"}), 422, "validation_error"
    )
    assert {e["field"] for e in missing["errors"]} >= {"name_zh", "level"}
    taken = {
        "code": "532822106207",
        "name_zh": "重",
        "level": "village",
        "parent_code": "532822106000",
    }
    assert_problem(post_json(client, "/api/v1/regions", taken), 409, "region_code_taken")
    cyclic = client.patch(
        "/api/v1/regions/532822000000",
        json.dumps({"parent_code": "532822106000"}),
        content_type="application/json",
    )
    assert_problem(cyclic, 400, "region_parent_cycle")


def test_malformed_and_unknown_codes_are_404(api_token: Any) -> None:
    client = Client(headers=api_token("admin"))
    for code in ("12345", "999999999999", "53282200000x"):
        assert_problem(client.get(f"/api/v1/regions/{code}"), 404, "region_not_found")


def test_children_are_paginated(api_token: Any) -> None:
    client = Client(headers=api_token("menghai-county"))
    first = client.get("/api/v1/regions/532822000000/children", {"page_size": 5}).json()
    assert (
        first["count"] >= 11
        and first["pages"] == -(-first["count"] // 5)
        and len(first["items"]) == 5
    )
    codes = [i["code"] for i in first["items"]]
    assert codes == sorted(codes) and all(c.startswith("532822") for c in codes)


def test_pairings_create_and_overlap(api_token: Any) -> None:
    client = Client(headers=api_token("qingpu-office"))
    created = post_json(
        client,
        "/api/v1/pairings",
        {"east_code": "310118000000", "west_code": "533103000000", "start_year": 2018},
    )
    assert created.status_code == 201 and created.json()["west"]["name_zh"] == "芒市"
    again = post_json(
        client,
        "/api/v1/pairings",
        {"east_code": "310118000000", "west_code": "533103000000", "start_year": 2020},
    )
    assert_problem(again, 409, "pairing_overlap")
    assert Pairing.objects.filter(east__code="310118000000", west__code="533103000000").count() == 1
    outsider = Client(headers=api_token("menghai-county"))
    foreign = post_json(
        outsider,
        "/api/v1/pairings",
        {"east_code": "310118000000", "west_code": "533103000000", "start_year": 2030},
    )
    assert_problem(foreign, 404, "region_not_found")


def test_pairings_filter_by_year_and_region(api_token: Any) -> None:
    client = Client(headers=api_token("admin"))
    in_2000 = client.get("/api/v1/pairings", {"year": 2000}).json()
    assert [(p["east"]["name_zh"], p["west"]["name_zh"]) for p in in_2000] == [("松江区", "定日县")]
    by_region = client.get("/api/v1/pairings", {"region": "530925000000"}).json()
    assert {p["west"]["code"] for p in by_region} == {"530900000000", "530925000000"}


def test_openapi_documents_the_endpoints() -> None:
    schema = Client().get("/api/openapi.json").json()
    for path in (
        "/api/v1/auth/token",
        "/api/v1/regions/{code}",
        "/api/v1/regions/{code}/children",
        "/api/v1/pairings",
    ):
        assert path in schema["paths"], path
    assert Client().get("/api/docs").status_code == 200
