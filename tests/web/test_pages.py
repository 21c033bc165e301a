"""Web shell: sign-in, language, region pages with pinned query counts, assets served locally."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

import bangfu

pytestmark = pytest.mark.django_db
TEMPLATES = Path(bangfu.__file__).parent


def test_home_is_public_and_chinese_by_default() -> None:
    response = Client().get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page and "登录" in page


def test_sign_in_and_out_through_the_form() -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "songjiang-office", "password": "bangfu-demo"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/").content.decode()
    assert "松江区合作交流办" in home
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/regions/").status_code == 302, "signed out again"


def test_wrong_password_says_so_and_signs_nobody_in() -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "admin", "password": "wrong-password"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.content.decode()
    assert client.get("/regions/").status_code == 302


def test_login_redirect_refuses_foreign_hosts() -> None:
    response = Client().post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "admin", "password": "bangfu-demo"},
    )
    assert response["Location"] == "/"


def test_language_switch_to_english_and_back() -> None:
    client = Client()
    client.force_login(
        __import__("bangfu.accounts.models", fromlist=["User"]).User.objects.get(username="admin")
    )
    client.post("/i18n/setlang/", {"language": "en", "next": "/regions/"})
    english = client.get("/regions/532822000000/").content.decode()
    assert (
        '<html lang="en">' in english
        and "Menghai County" in english
        and "Subordinate regions" in english
    )
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese = client.get("/regions/532822000000/").content.decode()
    assert '<html lang="zh-hans">' in chinese and "勐海县" in chinese and "下级区划" in chinese


def test_anonymous_users_are_sent_to_sign_in() -> None:
    response = Client().get("/regions/532822000000/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


REGION_QUERIES = 14  # the region, its ancestors, children, counts, pairings, history, session…
# The assistance section (assistance.selectors.region_summary): the reader's helper record,
# helpers, households with a helper and their last visits, cases waiting for a measure.
ASSISTANCE_QUERIES = 4


@pytest.mark.parametrize("username", ["admin", "menghai-county", "songjiang-office"])
def test_region_page_query_count_is_pinned(
    client_for: Any, django_assert_max_num_queries: Any, username: str
) -> None:
    client = client_for(username)
    client.get("/regions/532822000000/")  # warm caches (sessions, content types)
    with django_assert_max_num_queries(REGION_QUERIES + ASSISTANCE_QUERIES):
        response = client.get("/regions/532822000000/")
    assert response.status_code == 200


def test_tree_and_lists_keep_query_counts_flat(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for("admin")
    client.get("/regions/")
    for url in ("/regions/", "/regions/532822000000/children/", "/pairings/", "/audit/"):
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200, url


def test_region_page_shows_children_pairings_and_counts(client_for: Any) -> None:
    page = client_for("songjiang-office").get("/regions/310117000000/").content.decode()
    assert "西双版纳傣族自治州" in page and "定日县" in page  # its pairings
    assert "岳阳街道" in page  # a child
    menghai = client_for("menghai-county").get("/regions/532822000000/").content.decode()
    assert "勐阿镇" in menghai and "松江区" in menghai and "原贫困县" in menghai
    counts = menghai[menghai.index('class="counts"') :]
    assert (
        "<th>乡镇（街道）</th><td>11</td>" in counts
        and "<th>行政村（社区）</th><td>14</td>" in counts
    )


def test_every_template_asset_is_local() -> None:
    """No CDN: every src/href in our templates is relative or a Django URL/static tag."""
    for template in TEMPLATES.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for url in re.findall(r'(?:src|href)="([^"]+)"', text):
            assert not re.match(r"^(https?:)?//", url), f"{template.name}: external asset {url}"
    vendored = TEMPLATES / "web" / "static" / "vendor"
    assert (vendored / "htmx-2.0.8.min.js").stat().st_size > 10_000


def test_static_files_are_served_by_the_app(client_for: Any) -> None:
    # WhiteNoise serves from the apps' static folders without collectstatic (offline intranets)
    from django.test import override_settings

    with override_settings(DEBUG=False):
        css = Client().get(settings.STATIC_URL + "bangfu/bangfu.css")
        htmx = Client().get(settings.STATIC_URL + "vendor/htmx-2.0.8.min.js")
    assert css.status_code == 200 and htmx.status_code == 200


def test_object_outside_scope_is_404_not_403(client_for: Any) -> None:
    response = client_for("nabing-village").get("/regions/532822106201/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "嘎赛村" not in page and "该页面不存在，或不在您的查看范围内。" in page


def test_exports_are_scoped_spreadsheets_with_codes_as_text(client_for: Any) -> None:
    import io

    import openpyxl

    response = client_for("menga-township").get("/regions/532822106000/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="regions-532822106000.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("代码", "中文名称", "英文名称", "层级")
    codes = [r[0] for r in rows[1:]]
    assert codes[0] == "532822106000" and codes == sorted(codes)
    assert all(isinstance(c, str) and c.startswith("532822106") for c in codes), "text, not numbers"
    assert len(rows) == 1 + 1 + 8 and ("532822106207", "纳丙村") in [r[:2] for r in rows]
    assert client_for("menga-township").get("/regions/532822000000/export.xlsx").status_code == 404

    pairings = client_for("songjiang-office").get("/pairings/export.xlsx", {"year": 2000})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(pairings.streaming_content))).active
    assert list(sheet.iter_rows(values_only=True))[1][:5] == (
        "310117000000",
        "松江区",
        "540223000000",
        "定日县",
        1995,
    )


def test_pairings_are_recorded_and_changed_in_the_browser_forms(client_for: Any) -> None:
    from bangfu.regions.models import Pairing

    office = client_for("qingpu-office")
    bad = office.post(
        "/pairings/new/",
        {
            "east_code": "310118000000",
            "west_code": "533103000000",
            "start_year": 2021,
            "end_year": 2019,
        },
    )
    assert bad.status_code == 200 and "pairing_years_invalid" in bad.content.decode()
    response = office.post(
        "/pairings/new/",
        {"east_code": "310118000000", "west_code": "533103000000", "start_year": 2018},
    )
    pairing = Pairing.objects.get(east__code="310118000000", west__code="533103000000")
    assert response.status_code == 302 and response["Location"] == f"/pairings/{pairing.pk}/"
    overlap = office.post(
        "/pairings/new/",
        {"east_code": "310118000000", "west_code": "533103000000", "start_year": 2020},
    )
    assert "pairing_overlap" in overlap.content.decode()
    office.post(
        f"/pairings/{pairing.pk}/",
        {"start_year": 2018, "end_year": 2025, "note": "", "reason": "协议到期"},
    )
    page = office.get(f"/pairings/{pairing.pk}/").content.decode()
    assert "协议到期" in page and "结束年份: — → 2025" in page
    # a county that sees the pairing may read it but not change it
    mangshi = client_for("mangshi-county")
    assert mangshi.get(f"/pairings/{pairing.pk}/").status_code == 200
    assert client_for("menghai-county").get(f"/pairings/{pairing.pk}/").status_code == 404
    assert (
        client_for("auditor").post(f"/pairings/{pairing.pk}/", {"start_year": 2018}).status_code
        == 403
    )
    assert client_for("auditor").get("/pairings/new/").status_code == 403
