"""The scope matrix: every role × {own, descendant, paired, unrelated region} ×
{list, detail, create, update, API read, API update}. Zero leaks: a region outside the view
scope answers 404 (its existence is not revealed), a visible one outside the capture scope 403."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from bangfu.regions.codes import Level, significant_prefix

pytestmark = pytest.mark.django_db

# For each demo user: which region plays which part.
TARGETS: dict[str, dict[str, str]] = {
    "admin": {
        "own": "530000000000",
        "descendant": "532822106000",
        "paired": "310117000000",
        "unrelated": "520000000000",
    },
    "auditor": {
        "own": "532822000000",
        "descendant": "532822106207",
        "paired": "310117000000",
        "unrelated": "540223000000",
    },
    "songjiang-office": {
        "own": "310117000000",
        "descendant": "310117001000",
        "paired": "532822000000",
        "unrelated": "533103000000",
    },
    "menghai-county": {
        "own": "532822000000",
        "descendant": "532822106000",
        "paired": "310117000000",
        "unrelated": "533103000000",
    },
    "menga-township": {
        "own": "532822106000",
        "descendant": "532822106207",
        "paired": "310117000000",
        "unrelated": "532822101000",
    },
    "nabing-village": {
        "own": "532822106207",
        "descendant": "532822106207001",
        "paired": "310117000000",
        "unrelated": "532822106201",
    },
}

# Expected outcome per role and part: V = can view, C = can also create/update.
EXPECTED: dict[str, dict[str, str]] = {
    "admin": {"own": "C", "descendant": "C", "paired": "C", "unrelated": "C"},
    "auditor": {"own": "V", "descendant": "V", "paired": "V", "unrelated": "V"},
    "songjiang-office": {"own": "C", "descendant": "C", "paired": "V", "unrelated": "-"},
    "menghai-county": {"own": "C", "descendant": "C", "paired": "-", "unrelated": "-"},
    "menga-township": {"own": "C", "descendant": "C", "paired": "-", "unrelated": "-"},
    "nabing-village": {"own": "C", "descendant": "C", "paired": "-", "unrelated": "-"},
}
CASES = [(user, part) for user in TARGETS for part in ("own", "descendant", "paired", "unrelated")]


@pytest.fixture(autouse=True)
def natural_village(db: Any) -> None:
    """纳丙村 has no natural villages in the reference data; give it one for the matrix."""
    from bangfu.regions.scope import RegionScope
    from bangfu.regions.services import RegionIn, region_create

    everything = RegionScope.everything()
    data = RegionIn("532822106207001", "纳丙一组", "natural_village", "532822106207")
    region_create(actor=None, capture=everything, view=everything, data=data)


def read_status(expected: str) -> int:
    return 404 if expected == "-" else 200


def write_status(expected: str) -> int:
    return {"C": 200, "V": 403, "-": 404}[expected]


def new_child_code(code: str) -> tuple[str, Level]:
    """An unused child code one level down (998 in the next digit group)."""
    from bangfu.regions.codes import PREFIX_LENGTH, infer_level

    if infer_level(code) is Level.NATURAL_VILLAGE:  # a leaf: a sibling code, refused as a child
        return code[:12] + "998", Level.NATURAL_VILLAGE
    level = Level(min(int(infer_level(code)) + 1, int(Level.NATURAL_VILLAGE)))
    if infer_level(code) is Level.PROVINCE:
        level = Level.PREFECTURE
    prefix = significant_prefix(code)
    width = PREFIX_LENGTH[level] - len(prefix)
    child = (prefix + "9" * (width - 1) + "8").ljust(
        15 if level is Level.NATURAL_VILLAGE else 12, "0"
    )
    return child, level


@pytest.mark.parametrize(("username", "part"), CASES)
def test_web_detail(client_for: Any, username: str, part: str) -> None:
    code, expected = TARGETS[username][part], EXPECTED[username][part]
    response = client_for(username).get(f"/regions/{code}/")
    assert response.status_code == read_status(expected)
    if expected == "-":  # nothing of the region shows, only the generic not-found page
        from bangfu.regions.models import Region

        page = response.content.decode()
        assert Region.objects.get(code=code).name_zh not in page
        assert 'id="error-404"' in page


@pytest.mark.parametrize(("username", "part"), CASES)
def test_web_list(client_for: Any, username: str, part: str) -> None:
    """The region search list, and the parent's children list, show the region only if visible."""
    code, expected = TARGETS[username][part], EXPECTED[username][part]
    response = client_for(username).get("/regions/", {"q": code})
    assert response.status_code == 200
    assert (f"/regions/{code}/" in response.content.decode()) == (expected != "-")


@pytest.mark.parametrize(("username", "part"), CASES)
def test_web_create(client_for: Any, username: str, part: str) -> None:
    from bangfu.regions.models import Region

    code, expected = TARGETS[username][part], EXPECTED[username][part]
    child, level = new_child_code(code)
    response = client_for(username).post(
        f"/regions/{code}/new/", {"code": child, "name_zh": "测试", "level": int(level)}
    )
    created = Region.objects.filter(code=child).exists()
    if expected == "C" and len(code) == 15:  # natural villages are leaves: a clear form error
        assert response.status_code == 200 and "region_parent_invalid" in response.content.decode()
        assert not created
    elif expected == "C":
        assert response.status_code == 302, response.content.decode()[:2000]
        assert created
    else:
        assert response.status_code == write_status(expected)
        assert not created


@pytest.mark.parametrize(("username", "part"), CASES)
def test_web_update(client_for: Any, username: str, part: str) -> None:
    from bangfu.regions.models import Region

    code, expected = TARGETS[username][part], EXPECTED[username][part]
    before = Region.objects.get(code=code)
    response = client_for(username).post(
        f"/regions/{code}/edit/", {"name_zh": before.name_zh, "name_en": "Renamed in test"}
    )
    renamed = Region.objects.get(code=code).name_en == "Renamed in test"
    if expected == "C":
        assert response.status_code == 302 and renamed
    else:
        assert response.status_code == write_status(expected) and not renamed


@pytest.mark.parametrize(("username", "part"), CASES)
def test_api_read(api_token: Any, username: str, part: str) -> None:
    code, expected = TARGETS[username][part], EXPECTED[username][part]
    headers = api_token(username)
    for url in (f"/api/v1/regions/{code}", f"/api/v1/regions/{code}/children"):
        response = Client(headers=headers).get(url)
        assert response.status_code == read_status(expected), url
        if expected == "-":
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["code"] == "region_not_found"


@pytest.mark.parametrize(("username", "part"), CASES)
def test_api_update_and_create(api_token: Any, username: str, part: str) -> None:
    from bangfu.regions.models import Region

    code, expected = TARGETS[username][part], EXPECTED[username][part]
    client = Client(headers=api_token(username))
    response = client.patch(
        f"/api/v1/regions/{code}",
        json.dumps({"name_en": "Patched"}),
        content_type="application/json",
    )
    assert response.status_code == write_status(expected)
    assert (Region.objects.get(code=code).name_en == "Patched") == (expected == "C")
    child, level = new_child_code(code)
    body = {"code": child, "name_zh": "接口", "level": level.name.lower(), "parent_code": code}
    response = client.post("/api/v1/regions", json.dumps(body), content_type="application/json")
    if expected == "C" and len(code) == 15:
        assert response.status_code == 400 and response.json()["code"] == "region_parent_invalid"
        return
    if expected == "C":
        assert response.status_code == 201, response.content
    else:
        assert response.status_code in {400, 403, 404}
        assert response.json()["code"] in {
            "permission_denied",
            "region_parent_invalid",
            "region_not_found",
        }
        if expected == "-":
            assert response.json()["code"] != "permission_denied", (
                "must not reveal the parent exists"
            )
    assert Region.objects.filter(code=child).exists() == (expected == "C")


@pytest.mark.parametrize("username", list(TARGETS))
def test_pairing_lists_show_only_pairings_that_concern_the_user(
    client_for: Any, api_token: Any, username: str
) -> None:
    from bangfu.accounts.scopes import scope_for
    from bangfu.regions.models import Pairing

    user_scope = scope_for(Client().get("/").wsgi_request.user)  # anonymous: nothing
    assert user_scope.is_empty
    response = Client(headers=api_token(username)).get("/api/v1/pairings")
    assert response.status_code == 200
    seen = {(p["east"]["code"], p["west"]["code"]) for p in response.json()}
    everything = {
        (p.east.code, p.west.code) for p in Pairing.objects.select_related("east", "west")
    }
    if username in {"admin", "auditor"}:
        assert seen == everything
    elif username == "songjiang-office":
        assert seen == {pair for pair in everything if pair[0] == "310117000000"}
    else:  # western staff in Menghai: their prefecture's pairing and their county's
        assert seen == {("310117000000", "532800000000"), ("310117000000", "532822000000")}
    page = client_for(username).get("/pairings/").content.decode()
    assert ("定日县" in page) == (username in {"admin", "auditor", "songjiang-office"})


def test_users_who_may_capture_agree_with_each_users_scope(users: dict[str, Any]) -> None:
    """The one-query list of users a village's work can be given to equals asking every
    user's capture scope, for regions at every level and users of every role."""
    from bangfu.accounts.models import Role, User
    from bangfu.accounts.scopes import scope_for, users_who_may_capture

    inactive = User.objects.create(username="gone-village", role=Role.VILLAGE, is_active=False)
    inactive.capture_regions.set(users["nabing-village"].capture_regions.all())
    codes = {part for parts in TARGETS.values() for part in parts.values()}
    for code in sorted(codes):
        expected = {
            u.username
            for u in User.objects.all()
            if u.is_active and scope_for(u, "capture").covers(code)
        }
        assert {u.username for u in users_who_may_capture(code)} == expected, code
    assert "gone-village" not in {u.username for u in users_who_may_capture("532822106207")}
    assert {u.username for u in users_who_may_capture("532822106207")} >= {
        "admin",
        "menghai-county",
        "menga-township",
        "nabing-village",
    }
