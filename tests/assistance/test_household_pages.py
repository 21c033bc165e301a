"""The household loop's pages: assistance home, helpers and their workload, a household's page
with its steps, the visit form with photos, photos served only in scope (and logged), the
Excel exports, and the section on the registry's household page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from bangfu.accounts.scopes import scope_for
from bangfu.assistance import services
from bangfu.assistance.models import Helper, HelperOrigin, Measure, Visit
from bangfu.audit.models import AccessLogEntry
from bangfu.regions.models import Region
from bangfu.registry.services import household_save
from tests.assistance.test_household_loop import png_bytes
from tests.registry.factories import household_in

NABING = "532822106207"
TODAY = timezone.localdate()


@pytest.fixture
def media(tmp_path: Any) -> Any:
    with override_settings(BANGFU_MEDIA_DIR=tmp_path / "media"):
        yield tmp_path / "media"


@pytest.fixture
def household(users: dict[str, Any]) -> Any:
    admin = users["admin"]
    created, _ = household_save(
        actor=admin, capture=scope_for(admin, "capture"), data=household_in(village=NABING)
    )
    return created


@pytest.fixture
def helper(users: dict[str, Any]) -> Helper:
    return services.helper_create(
        actor=users["nabing-village"],
        data={
            "name": "岩罕",
            "unit": "纳丙村委会",
            "phone": "13800138000",
            "origin": HelperOrigin.LOCAL_CADRE,
            "region": Region.objects.get(code=NABING),
        },
    )


def test_a_helper_is_added_on_the_page_and_bad_input_is_named(client_for):
    client = client_for("nabing-village")
    bad = client.post(
        "/assistance/helpers/new/",
        {
            "name": "岩罕",
            "origin": "local_cadre",
            "region": "999999999999",
            "visit_every_days": "30",
        },
    )
    assert bad.status_code == 200 and "999999999999" in bad.content.decode()
    good = client.post(
        "/assistance/helpers/new/",
        {"name": "岩罕", "origin": "local_cadre", "region": NABING, "visit_every_days": "30"},
    )
    assert good.status_code == 302
    helper = Helper.objects.get(name="岩罕")
    page = client.get(f"/assistance/helpers/{helper.pk}/").content.decode()
    assert "纳丙村" in page
    listed = client.get("/assistance/helpers/").content.decode()
    assert "岩罕" in listed
    assert "岩罕" not in client_for("mangshi-county").get("/assistance/helpers/").content.decode()


def test_the_household_page_takes_each_step(client_for, household, helper, media):
    client = client_for("nabing-village")
    url = f"/assistance/households/{household.pk}/"
    assert client.get(url).status_code == 200
    assigned = client.post(url, {"step": "assign", "helper": helper.pk, "on_date": TODAY})
    assert assigned.status_code == 302
    measure = client.post(
        url,
        {
            "step": "measure",
            "kind": "industry",
            "amount": "1200.00",
            "start_date": TODAY.isoformat(),
            "expected_effect": "茶叶增收",
        },
    )
    assert measure.status_code == 302
    bad = client.post(
        url, {"step": "measure", "kind": "industry", "amount": "1.234", "start_date": TODAY}
    )
    assert bad.status_code == 200 and 'id="step-error"' in bad.content.decode()
    (saved,) = Measure.objects.filter(plan__household=household)
    delivered = client.post(
        url,
        {"step": "deliver", "measure": saved.pk, "delivered_on": TODAY, "delivered_amount": ""},
    )
    assert delivered.status_code == 302
    saved.refresh_from_db()
    assert saved.status == "delivered" and str(saved.delivered_amount) == "1200.00"
    photo = SimpleUploadedFile("房屋.png", png_bytes(), content_type="image/png")
    visit = client.post(
        f"{url}visit/",
        {"visited_on": TODAY.isoformat(), "findings": "屋顶漏雨", "photos": [photo]},
    )
    assert visit.status_code == 302
    page = client.get(url).content.decode()
    assert "屋顶漏雨" in page and "岩罕" in page and "assistance/photos/" in page
    # The registry's household page carries the assistance section.
    record = client.get(f"/households/{household.pk}/").content.decode()
    assert 'id="assistance"' in record and "屋顶漏雨" in record and "岩罕" in record


def test_a_refused_photo_keeps_the_form_and_says_why(client_for, household, media):
    client = client_for("nabing-village")
    fake = SimpleUploadedFile("照片.jpg", b"not an image at all", content_type="image/jpeg")
    answer = client.post(
        f"/assistance/households/{household.pk}/visit/",
        {"visited_on": TODAY.isoformat(), "findings": "家中无人", "photos": [fake]},
    )
    body = answer.content.decode()
    assert answer.status_code == 200 and "照片.jpg" in body and "家中无人" in body
    assert not Visit.objects.filter(household=household).exists()


def test_photos_are_served_in_scope_only_and_each_view_is_logged(
    client_for, users, household, media
):
    visit = services.visit_record(
        actor=users["nabing-village"],
        household=household,
        visited_on=TODAY,
        findings="x",
        uploads=[SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")],
    )
    photo = visit.photos.get()
    url = f"/assistance/photos/{photo.pk}/"
    before = AccessLogEntry.objects.count()
    seen = client_for("menghai-county").get(url)
    assert seen.status_code == 200 and seen["Content-Type"] == "image/png"
    assert b"".join(seen.streaming_content) == png_bytes()
    assert seen["Cache-Control"] == "private, no-store"
    assert AccessLogEntry.objects.count() == before + 1
    assert client_for("mangshi-county").get(url).status_code == 404
    assert client_for("songjiang-office").get(url).status_code in (200, 404)


def test_overdue_visits_show_on_the_helper_and_home_pages(client_for, users, household, helper):
    services.assignment_start(
        actor=users["nabing-village"],
        helper=helper,
        household=household,
        start_date=TODAY - dt.timedelta(days=60),
        visit_every_days=30,
    )
    client = client_for("nabing-village")
    home = client.get("/assistance/?overdue=1").content.decode()
    assert household.household_no in home and 'class="overdue"' in home
    helper_page = client.get(f"/assistance/helpers/{helper.pk}/").content.decode()
    assert household.household_no in helper_page and 'class="overdue"' in helper_page
    # The phone is shown to the village's staff, masked to others who see the helper.
    assert "13800138000" in helper_page
    county_view = client_for("auditor").get(f"/assistance/helpers/{helper.pk}/").content.decode()
    assert "13800138000" not in county_view and "*******8000" in county_view


def test_exports_hold_the_rows_in_scope(client_for, users, household, helper):
    services.measure_add(
        actor=users["nabing-village"],
        household=household,
        kind="dibao",
        start_date=TODAY,
        amount="300",
    )
    answer = client_for("nabing-village").get("/assistance/measures.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == household.household_no and rows[1][4] == "protective"
    other = client_for("mangshi-county").get("/assistance/measures.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(other.streaming_content))).active
    assert len(list(sheet.iter_rows(values_only=True))) == 1  # the header only
    helpers = client_for("nabing-village").get("/assistance/helpers.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(helpers.streaming_content))).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "岩罕" in values and "13800138000" not in values


def test_the_village_page_counts_overdue_visits_and_the_list_filters_by_region(
    client_for, users, household, helper
):
    services.assignment_start(
        actor=users["nabing-village"],
        helper=helper,
        household=household,
        start_date=TODAY - dt.timedelta(days=60),
        visit_every_days=30,
    )
    page = client_for("menghai-county").get(f"/regions/{NABING}/").content.decode()
    assert 'id="region-visits-overdue">1<' in page
    other = client_for("menghai-county").get("/regions/532822101000/").content.decode()
    assert 'id="region-visits-overdue">0<' in other
    client = client_for("menghai-county")
    assert household.household_no in client.get(f"/assistance/?region={NABING}").content.decode()
    assert (
        household.household_no
        not in client.get("/assistance/?region=532822101000").content.decode()
    )
    answer = client.get(f"/assistance/assignments.xlsx?region={NABING}")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == household.household_no and rows[1][8]
