"""The household loop: a helper assigned to a household, reassigned with history; a plan with
measures planned, delivered, cancelled; visits with photos; what is overdue; who may do what."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from PIL import Image

from bangfu.accounts.models import Role, User
from bangfu.accounts.scopes import scope_for
from bangfu.assistance import photos, selectors, services
from bangfu.assistance.models import Assignment, HelperOrigin, MeasureStatus, VisitPhoto
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.monitoring.models import Case
from bangfu.regions.models import Region
from bangfu.registry.services import household_save
from tests.registry.factories import household_in

NABING = "532822106207"
TODAY = timezone.localdate()


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def media(tmp_path: Any) -> Any:
    with override_settings(BANGFU_MEDIA_DIR=tmp_path / "media"):
        yield tmp_path / "media"


@pytest.fixture
def loop(users: dict[str, Any]) -> dict[str, Any]:
    admin = users["admin"]
    household, _ = household_save(
        actor=admin, capture=scope_for(admin, "capture"), data=household_in(village=NABING)
    )
    village = users["nabing-village"]
    nabing = Region.objects.get(code=NABING)
    helper_user = User.objects.create(username="helper-yan", role=Role.HELPER)
    first = services.helper_create(
        actor=village,
        data={
            "name": "岩罕",
            "unit": "纳丙村委会",
            "origin": HelperOrigin.LOCAL_CADRE,
            "region": nabing,
            "visit_every_days": 30,
            "user": helper_user,
        },
    )
    second = services.helper_create(
        actor=village,
        data={"name": "张华", "origin": HelperOrigin.EAST_VOLUNTEER, "region": nabing},
    )
    return {
        "household": household,
        "village": village,
        "first": first,
        "second": second,
        "helper_user": helper_user,
    }


def test_a_household_gets_one_helper_and_a_reassignment_keeps_the_history(loop):
    household, village = loop["household"], loop["village"]
    start = TODAY - dt.timedelta(days=40)
    services.assignment_start(
        actor=village, helper=loop["first"], household=household, start_date=start
    )
    with pytest.raises(BangfuError) as twice:
        services.assignment_start(
            actor=village, helper=loop["second"], household=household, start_date=TODAY
        )
    assert twice.value.code == ErrorCode.ASSIGNMENT_CONFLICT and twice.value.field == "helper"
    services.assignment_reassign(
        actor=village, household=household, helper=loop["second"], on_date=TODAY, reason="调岗"
    )
    rows = list(Assignment.objects.filter(household=household).order_by("start_date"))
    assert [(a.helper.name, a.end_date, a.end_reason) for a in rows] == [
        ("岩罕", TODAY, "调岗"),
        ("张华", None, ""),
    ]
    assert services.current_assignment(household).helper == loop["second"]
    reasons = [e.reason for e in object_history(obj=rows[0])]
    assert "helper assignment ended" in reasons and "helper assigned" in reasons


def test_helpers_may_not_assign_and_a_helper_from_elsewhere_does_not_fit(loop, users):
    household = loop["household"]
    with pytest.raises(BangfuError) as helper_assigns:
        services.assignment_start(
            actor=loop["helper_user"], helper=loop["first"], household=household, start_date=TODAY
        )
    assert helper_assigns.value.code == ErrorCode.PERMISSION_DENIED
    elsewhere = services.helper_create(
        actor=users["admin"],
        data={
            "name": "王芳",
            "origin": HelperOrigin.LOCAL_CADRE,
            "region": Region.objects.get(code="533103000000"),
        },
    )
    with pytest.raises(BangfuError) as misfit:
        services.assignment_start(
            actor=users["admin"], helper=elsewhere, household=household, start_date=TODAY
        )
    assert misfit.value.field == "helper"
    with pytest.raises(BangfuError) as out_of_scope:
        services.helper_create(
            actor=loop["village"],
            data={
                "name": "李",
                "origin": HelperOrigin.LOCAL_CADRE,
                "region": Region.objects.get(code="533103000000"),
            },
        )
    assert out_of_scope.value.code == ErrorCode.PERMISSION_DENIED
    assert out_of_scope.value.field == "region"
    with pytest.raises(BangfuError) as no_visits:
        services.helper_create(
            actor=loop["village"],
            data={
                "name": "李",
                "origin": HelperOrigin.LOCAL_CADRE,
                "region": Region.objects.get(code=NABING),
                "visit_every_days": 0,
            },
        )
    assert no_visits.value.field == "visit_every_days"


def test_a_helper_sees_and_works_only_on_their_households(loop, users):
    household, helper_user = loop["household"], loop["helper_user"]
    assert not selectors.households_for(helper_user).exists()
    with pytest.raises(BangfuError):
        selectors.household_for(user=helper_user, pk=household.pk)
    services.assignment_start(
        actor=loop["village"], helper=loop["first"], household=household, start_date=TODAY
    )
    assert list(selectors.households_for(helper_user)) == [household]
    visit = services.visit_record(
        actor=helper_user, household=household, visited_on=TODAY, findings="家中有人生病"
    )
    assert visit.helper == loop["first"]  # the helper's own visit is theirs
    services.assignment_reassign(
        actor=loop["village"],
        household=household,
        helper=loop["second"],
        on_date=TODAY,
        reason="调岗",
    )
    assert not selectors.households_for(helper_user).exists()
    with pytest.raises(BangfuError) as gone:
        services.visit_record(
            actor=helper_user, household=household, visited_on=TODAY, findings="x"
        )
    assert gone.value.code == ErrorCode.PERMISSION_DENIED
    assert not selectors.households_for(users["mangshi-county"]).filter(pk=household.pk).exists()


def test_measures_are_planned_delivered_or_cancelled_in_the_years_plan(loop):
    household, village = loop["household"], loop["village"]
    start = dt.date(TODAY.year, 1, 15)
    measure = services.measure_add(
        actor=village,
        household=household,
        kind="industry",
        start_date=start,
        amount="3000.50",
        funder="沪滇协作资金",
        expected_effect="茶叶增收",
    )
    assert measure.plan.year == TODAY.year and measure.amount == Decimal("3000.50")
    assert measure.nature == "developmental"
    second = services.measure_add(
        actor=village, household=household, kind="dibao", start_date=start
    )
    assert second.plan == measure.plan and second.nature == "protective"
    services.measure_deliver(actor=village, measure=measure, delivered_on=TODAY, amount="2800")
    assert (measure.status, measure.delivered_amount) == (MeasureStatus.DELIVERED, Decimal(2800))
    with pytest.raises(BangfuError) as again:
        services.measure_deliver(actor=village, measure=measure, delivered_on=TODAY)
    assert again.value.code == ErrorCode.MEASURE_TRANSITION_INVALID
    services.measure_cancel(actor=village, measure=second, reason="已纳入低保")
    assert second.status == MeasureStatus.CANCELLED


@pytest.mark.parametrize(
    ("amount", "field"),
    [(12.5, "amount"), ("1.005", "amount"), ("-3", "amount"), ("abc", "amount")],
)
def test_a_measure_amount_must_be_exact_yuan(loop, amount, field):
    with pytest.raises(BangfuError) as refusal:
        services.measure_add(
            actor=loop["village"],
            household=loop["household"],
            kind="industry",
            start_date=TODAY,
            amount=amount,
        )
    assert refusal.value.field == field


def test_bad_measure_input_names_the_field(loop):
    village, household = loop["village"], loop["household"]
    with pytest.raises(BangfuError) as kind:
        services.measure_add(actor=village, household=household, kind="magic", start_date=TODAY)
    assert kind.value.field == "kind"
    with pytest.raises(BangfuError) as dates:
        services.measure_add(
            actor=village,
            household=household,
            kind="industry",
            start_date=TODAY,
            end_date=TODAY - dt.timedelta(days=1),
        )
    assert dates.value.field == "end_date"
    measure = services.measure_add(
        actor=village, household=household, kind="industry", start_date=TODAY
    )
    with pytest.raises(BangfuError) as future:
        services.measure_deliver(
            actor=village, measure=measure, delivered_on=TODAY + dt.timedelta(days=1)
        )
    assert future.value.field == "delivered_on"


def test_a_case_without_a_measure_after_its_deadline_is_waiting(loop, users):
    household, village = loop["household"], loop["village"]
    admitted = TODAY - dt.timedelta(days=45)
    case = Case.objects.create(
        household=household,
        category="marginal",
        admitted_on=admitted,
        admitted_by=users["admin"],
        measure_due_on=admitted + dt.timedelta(days=30),
    )
    assert list(selectors.cases_waiting_for_measure(village, TODAY)) == [case]
    assert list(selectors.cases_waiting_for_measure(users["mangshi-county"], TODAY)) == []
    measure = services.measure_add(
        actor=village, household=household, kind="employment", start_date=TODAY
    )
    assert measure.case == case  # the measure answers the open case
    assert list(selectors.cases_waiting_for_measure(village, TODAY)) == []
    services.measure_cancel(actor=village, measure=measure, reason="户主外出")
    assert list(selectors.cases_waiting_for_measure(village, TODAY)) == [case]


def test_visits_are_due_at_the_assignments_interval(loop):
    household, village = loop["household"], loop["village"]
    start = TODAY - dt.timedelta(days=50)
    services.assignment_start(
        actor=village,
        helper=loop["first"],
        household=household,
        start_date=start,
        visit_every_days=30,
    )
    (row,) = selectors.assignment_rows(selectors.current_assignments_for(village), TODAY)
    assert row.last_visit is None and row.due_on == start + dt.timedelta(days=30)
    assert row.overdue
    services.visit_record(
        actor=village,
        household=household,
        visited_on=TODAY - dt.timedelta(days=5),
        findings="正常",
    )
    (row,) = selectors.assignment_rows(selectors.current_assignments_for(village), TODAY)
    assert row.last_visit == TODAY - dt.timedelta(days=5) and not row.overdue


def test_a_visit_keeps_checked_photos_outside_the_web_root(loop, media):
    visit = services.visit_record(
        actor=loop["village"],
        household=loop["household"],
        visited_on=TODAY,
        findings="房屋漏雨",
        latitude="21.95",
        longitude="100.45",
        uploads=[upload("屋顶.png", png_bytes(8, 6))],
    )
    (photo,) = visit.photos.all()
    assert (photo.content_type, photo.width, photo.height) == ("image/png", 8, 6)
    stored = photos.path_of(photo)
    assert stored.is_file() and stored.is_relative_to(media)
    assert stored.read_bytes() == png_bytes(8, 6)
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert visit.latitude == Decimal("21.950000")


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("x.png", b"", "empty"),
        ("x.png", b"MZ\x90\x00 not a picture", "JPEG, PNG and WebP"),
        ("x.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40, "damaged"),
        ("x.png", png_bytes()[:30], "damaged"),
        ("x.gif", b"GIF89a" + b"\x00" * 40, "JPEG, PNG and WebP"),
    ],
)
def test_a_bad_photo_is_refused_by_name_and_nothing_is_kept(loop, media, name, data, why):
    before = VisitPhoto.objects.count()
    with pytest.raises(BangfuError) as refusal:
        services.visit_record(
            actor=loop["village"],
            household=loop["household"],
            visited_on=TODAY,
            findings="x",
            uploads=[upload("ok.png", png_bytes()), upload(name, data)],
        )
    assert refusal.value.code == ErrorCode.PHOTO_REJECTED and refusal.value.field == "photos"
    assert name in refusal.value.message and why in refusal.value.message
    assert VisitPhoto.objects.count() == before
    assert not media.exists() or not any(media.rglob("*.png"))


def test_a_huge_photo_is_refused_before_it_is_read(loop, media):
    big = upload("big.png", png_bytes())
    big.size = photos.MAX_BYTES + 1
    with pytest.raises(BangfuError) as refusal:
        services.visit_record(
            actor=loop["village"],
            household=loop["household"],
            visited_on=TODAY,
            findings="x",
            uploads=[big],
        )
    assert "10 MB" in refusal.value.message


def test_visit_input_is_checked(loop):
    village, household = loop["village"], loop["household"]
    cases = [
        ({"visited_on": TODAY + dt.timedelta(days=1), "findings": "x"}, "visited_on"),
        ({"visited_on": TODAY, "findings": "  "}, "findings"),
        ({"visited_on": TODAY, "findings": "x", "latitude": "21"}, "longitude"),
        ({"visited_on": TODAY, "findings": "x", "latitude": "95", "longitude": "1"}, "latitude"),
    ]
    for kwargs, field in cases:
        with pytest.raises(BangfuError) as refusal:
            services.visit_record(actor=village, household=household, **kwargs)
        assert refusal.value.field == field, kwargs


def test_a_reassignment_may_set_its_own_visit_interval(loop):
    household, village = loop["household"], loop["village"]
    services.assignment_start(
        actor=village, helper=loop["first"], household=household, start_date=TODAY
    )
    new = services.assignment_reassign(
        actor=village,
        household=household,
        helper=loop["second"],
        on_date=TODAY,
        reason="调岗",
        visit_every_days=14,
    )
    assert new.visit_every_days == 14 and new.helper == loop["second"]
