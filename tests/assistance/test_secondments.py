"""Secondments (人才支援): recording, the status steps with their history, every refusal with its
code and field, the counts per year and pairing by field (the Qingpu figures of the seed from
the demo), the pages and the API."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from bangfu.assistance import secondments as sec
from bangfu.assistance.demo import assistance_demo_load
from bangfu.assistance.models import Direction, Secondment, SecondmentField, SecondmentStatus
from bangfu.audit.models import AuditEntry
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Pairing, Region

QINGPU, DEHONG, MANGSHI, YINGJIANG = "310118000000", "533100000000", "533103000000", "533123000000"
SONGJIANG, MENGHAI = "310117000000", "532822000000"
TODAY = timezone.localdate()


@contextmanager
def refused(code: ErrorCode, field: str | None = None) -> Iterator[Any]:
    with pytest.raises(BangfuError) as info:
        yield info
    assert info.value.code == code, str(info.value)
    assert info.value.field == field, str(info.value)


@pytest.fixture
def qingpu_dehong(db: Any) -> Pairing:
    return Pairing.objects.select_related("east", "west").get(east__code=QINGPU, west__code=DEHONG)


def data(pairing: Pairing, **changes: Any) -> sec.SecondmentIn:
    values: dict[str, Any] = {
        "person": "测试教师",
        "field": SecondmentField.TEACHER,
        "direction": Direction.EAST_TO_WEST,
        "pairing": pairing,
        "home_unit": "青浦区某中学",
        "posting_unit": "芒市某中学",
        "posting_region": Region.objects.get(code=MANGSHI),
        "start_date": dt.date(2020, 2, 15),
    }
    return sec.SecondmentIn(**(values | changes))


# ---------------------------------------------------------------------------- workflow


def test_planned_serving_completed_with_history(
    users: dict[str, Any], qingpu_dehong: Pairing
) -> None:
    office = users["qingpu-office"]
    s = sec.secondment_create(actor=office, data=data(qingpu_dehong, start_date=TODAY))
    assert s.status == SecondmentStatus.PLANNED
    s = sec.secondment_set_status(
        actor=office, secondment=s, status=SecondmentStatus.SERVING, on=dt.date(2020, 3, 1)
    )
    assert (s.status, s.start_date) == (SecondmentStatus.SERVING, dt.date(2020, 3, 1))
    s = sec.secondment_set_status(
        actor=office, secondment=s, status=SecondmentStatus.COMPLETED, on=dt.date(2021, 2, 28)
    )
    assert (s.status, s.end_date) == (SecondmentStatus.COMPLETED, dt.date(2021, 2, 28))
    history = list(object_history(obj=s).order_by("pk"))
    assert [e.after["status"] for e in history] == ["planned", "serving", "completed"]
    assert history[2].reason == "secondment: completed"
    with refused(ErrorCode.WORKFLOW_TRANSITION_INVALID, "status"):
        sec.secondment_set_status(actor=office, secondment=s, status=SecondmentStatus.SERVING)


def test_withdrawn_before_serving_is_never_counted(
    users: dict[str, Any], qingpu_dehong: Pairing
) -> None:
    office = users["qingpu-office"]
    s = sec.secondment_create(
        actor=office,
        data=data(qingpu_dehong, start_date=dt.date(2020, 9, 1), end_date=dt.date(2021, 7, 1)),
    )
    with refused(ErrorCode.VALIDATION_ERROR, "reason"):
        sec.secondment_set_status(actor=office, secondment=s, status=SecondmentStatus.WITHDRAWN)
    s = sec.secondment_set_status(
        actor=office, secondment=s, status=SecondmentStatus.WITHDRAWN, reason="健康原因"
    )
    assert s.end_date is None
    assert object_history(obj=s).latest("pk").reason == "secondment: withdrawn: 健康原因"
    found = Secondment.objects.filter(pk=s.pk)
    assert sec.secondment_counts(secondments=found) == []


def test_withdrawn_while_serving_counts_for_the_years_served(
    users: dict[str, Any], qingpu_dehong: Pairing
) -> None:
    office = users["qingpu-office"]
    s = sec.secondment_create(
        actor=office,
        data=data(qingpu_dehong, start_date=dt.date(2019, 9, 1), status=SecondmentStatus.SERVING),
    )
    s = sec.secondment_set_status(
        actor=office,
        secondment=s,
        status=SecondmentStatus.WITHDRAWN,
        on=dt.date(2020, 1, 15),
        reason="调回原单位",
    )
    assert s.end_date == dt.date(2020, 1, 15)
    rows = sec.secondment_counts(secondments=Secondment.objects.filter(pk=s.pk))
    assert [(r.year, r.by_field["teacher"]) for r in rows] == [(2020, 1), (2019, 1)]


def test_an_open_span_counts_until_today(users: dict[str, Any], qingpu_dehong: Pairing) -> None:
    s = sec.secondment_create(
        actor=users["qingpu-office"],
        data=data(qingpu_dehong, start_date=dt.date(2024, 3, 1), status=SecondmentStatus.SERVING),
    )
    found = Secondment.objects.filter(pk=s.pk)
    rows = sec.secondment_counts(secondments=found, today=dt.date(2025, 6, 1))
    assert [r.year for r in rows] == [2025, 2024]
    assert sec.secondment_counts(secondments=found, year=2026, today=dt.date(2025, 6, 1)) == []
    assert found.filter(sec.in_year_q(2026, today=dt.date(2025, 6, 1))).count() == 0
    assert found.filter(sec.in_year_q(2025, today=dt.date(2025, 6, 1))).count() == 1


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"person": " "}, ErrorCode.VALIDATION_ERROR, "person"),
        ({"field": "pilot"}, ErrorCode.VALIDATION_ERROR, "field"),
        ({"direction": "north"}, ErrorCode.VALIDATION_ERROR, "direction"),
        ({"posting_region": QINGPU}, ErrorCode.VALIDATION_ERROR, "posting_region"),
        ({"posting_region": MENGHAI}, ErrorCode.VALIDATION_ERROR, "posting_region"),
        (
            {"direction": Direction.WEST_TO_EAST, "posting_region": MANGSHI},
            ErrorCode.VALIDATION_ERROR,
            "posting_region",
        ),
        ({"end_date": dt.date(2020, 1, 1)}, ErrorCode.VALIDATION_ERROR, "end_date"),
        ({"posting_unit": ""}, ErrorCode.VALIDATION_ERROR, "posting_unit"),
        (
            {"status": SecondmentStatus.SERVING, "start_date": TODAY + dt.timedelta(days=3)},
            ErrorCode.VALIDATION_ERROR,
            "start_date",
        ),
        ({"status": SecondmentStatus.COMPLETED}, ErrorCode.VALIDATION_ERROR, "end_date"),
        ({"status": SecondmentStatus.WITHDRAWN}, ErrorCode.VALIDATION_ERROR, "status"),
    ],
)
def test_secondment_refusals(
    users: dict[str, Any],
    qingpu_dehong: Pairing,
    changes: dict[str, Any],
    code: ErrorCode,
    field: str,
) -> None:
    if "posting_region" in changes:
        changes["posting_region"] = Region.objects.get(code=changes["posting_region"])
    with refused(code, field):
        sec.secondment_create(actor=users["qingpu-office"], data=data(qingpu_dehong, **changes))


def test_a_west_to_east_posting_lies_in_the_east(
    users: dict[str, Any], qingpu_dehong: Pairing
) -> None:
    s = sec.secondment_create(
        actor=users["qingpu-office"],
        data=data(
            qingpu_dehong,
            direction=Direction.WEST_TO_EAST,
            posting_region=Region.objects.get(code="310118102000"),
            field=SecondmentField.CADRE,
        ),
    )
    assert s.posting_region.code == "310118102000"


def test_who_may_record_and_see(users: dict[str, Any], qingpu_dehong: Pairing) -> None:
    with refused(ErrorCode.PERMISSION_DENIED):
        sec.secondment_create(actor=users["songjiang-office"], data=data(qingpu_dehong))
    s = sec.secondment_create(actor=users["qingpu-office"], data=data(qingpu_dehong))
    with refused(ErrorCode.PERMISSION_DENIED):
        sec.secondment_set_status(
            actor=users["songjiang-office"], secondment=s, status=SecondmentStatus.SERVING
        )
    assert sec.secondment_get(user=users["qingpu-office"], pk=s.pk) == s
    assert sec.secondment_get(user=users["auditor"], pk=s.pk) == s
    for username in ("songjiang-office", "menghai-county"):
        with refused(ErrorCode.SECONDMENT_NOT_FOUND):
            sec.secondment_get(user=users[username], pk=s.pk)


def test_an_update_keeps_the_status_rules(users: dict[str, Any], qingpu_dehong: Pairing) -> None:
    office = users["qingpu-office"]
    s = sec.secondment_create(
        actor=office,
        data=data(qingpu_dehong, end_date=dt.date(2021, 1, 31), status=SecondmentStatus.COMPLETED),
    )
    s = sec.secondment_update(
        actor=office,
        secondment=s,
        data=data(qingpu_dehong, end_date=dt.date(2021, 1, 31), post="支教教师"),
        reason="补录岗位",
    )
    assert s.post == "支教教师" and s.status == SecondmentStatus.COMPLETED
    with refused(ErrorCode.VALIDATION_ERROR, "end_date"):
        sec.secondment_update(actor=office, secondment=s, data=data(qingpu_dehong))


# ---------------------------------------------------------------------------- the seed's figures


def test_the_demo_gives_qingpus_11_21_19(users: dict[str, Any], qingpu_dehong: Pairing) -> None:
    first = assistance_demo_load()
    assert first.secondments_created == 51
    audit = AuditEntry.objects.count()
    second = assistance_demo_load()
    assert (second.secondments_created, second.pairings_created, second.partners_created) == (
        0,
        0,
        0,
    )
    assert AuditEntry.objects.count() == audit, "a second run writes nothing"
    found = sec.secondment_list(user=users["qingpu-office"], year=2020)
    rows = sec.secondment_counts(secondments=found, year=2020)
    assert len(rows) == 1 and rows[0].pairing == qingpu_dehong
    assert {k: v for k, v in rows[0].by_field.items() if v} == {
        "cadre": 11,
        "teacher": 21,
        "doctor": 19,
    }
    assert rows[0].long_term == 51
    assert {r.posting_region.code for r in Secondment.objects.filter(pairing=qingpu_dehong)} == {
        MANGSHI,
        "533122000000",
        YINGJIANG,
    }
    by_year = {r.year: r.by_field["cadre"] for r in sec.secondment_counts(secondments=found)}
    assert by_year == {2019: 11, 2020: 11, 2021: 11, 2022: 11}, "cadres serve three years"
    every = sec.secondment_counts(secondments=sec.secondment_list(user=users["admin"]))
    assert {r.year: r.total for r in every} == {2019: 11, 2020: 51, 2021: 51, 2022: 11}


# ---------------------------------------------------------------------------- pages and API


def test_pages(users: dict[str, Any], qingpu_dehong: Pairing, client_for: Any) -> None:
    assistance_demo_load()
    client = client_for("qingpu-office")
    page = client.get("/assistance/secondments/", {"year": "2020", "field": "doctor"})
    html = page.content.decode()
    assert page.status_code == 200 and html.count("data-secondment=") == 19
    assert f'data-year="2020" data-pairing="{qingpu_dehong.pk}"' in html
    export = client.get("/assistance/secondments.xlsx", {"year": "2020"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert sheet.max_row == 52
    form = {
        "person": "表单医生",
        "field": "doctor",
        "direction": "east_to_west",
        "pairing": qingpu_dehong.pk,
        "posting_unit": "盈江县某医院",
        "posting_region": YINGJIANG,
        "start_date": "2024-03-01",
        "long_term": "on",
        "status": "planned",
    }
    made = client.post("/assistance/secondments/new/", form)
    assert made.status_code == 302
    url = made["Location"]
    step = client.post(url, {"step": "status", "to": "serving", "on": "2024-03-02"})
    assert step.status_code == 302
    s = Secondment.objects.get(person="表单医生")
    assert s.status == "serving" and s.start_date == dt.date(2024, 3, 2)
    wrong = client.post(url, {"step": "status", "to": "planned"})
    assert 'data-field="status"' in wrong.content.decode()
    assert client_for("songjiang-office").get(url).status_code == 404
    assert client_for("auditor").post(url, {"step": "status", "to": "completed"}).status_code == 403


def test_api(users: dict[str, Any], qingpu_dehong: Pairing, api_token: Any) -> None:
    assistance_demo_load()
    client = Client(headers=api_token("qingpu-office"))
    listed = client.get("/api/v1/assistance/secondments", {"year": 2020, "field": "cadre"}).json()
    assert listed["count"] == 11
    counts = client.get("/api/v1/assistance/secondments/counts", {"year": 2020}).json()
    assert counts[0]["by_field"]["teacher"] == 21 and counts[0]["total"] == 51
    body = {
        "person": "API干部",
        "field": "cadre",
        "direction": "east_to_west",
        "pairing": qingpu_dehong.pk,
        "posting_unit": "芒市某局",
        "posting_region": MANGSHI,
        "start_date": "2023-07-01",
    }
    made = client.post(
        "/api/v1/assistance/secondments", json.dumps(body), content_type="application/json"
    )
    assert made.status_code == 201, made.content
    moved = client.post(
        f"/api/v1/assistance/secondments/{made.json()['id']}/status",
        json.dumps({"status": "completed"}),
        content_type="application/json",
    )
    assert moved.status_code == 400 and moved.json()["code"] == "workflow_transition_invalid"
    wrong = client.post(
        "/api/v1/assistance/secondments",
        json.dumps(body | {"posting_region": QINGPU}),
        content_type="application/json",
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "posting_region"


def test_a_county_sees_the_people_posted_to_it(users: dict[str, Any]) -> None:
    """Qingpu's pairing is with Dehong Prefecture: Mangshi's staff see (and may record) the
    people posted to Mangshi, not those posted to Lianghe or Yingjiang."""
    from bangfu.assistance.selectors import secondments_for

    assistance_demo_load()
    mangshi = users["mangshi-county"]
    seen = secondments_for(mangshi)
    assert seen.exists()
    assert {s.posting_region.code[:6] for s in seen} == {"533103"}
    assert secondments_for(mangshi, "capture").count() == seen.count()
    everyone = Secondment.objects.count()
    assert secondments_for(users["qingpu-office"]).count() == everyone > seen.count()
    assert not secondments_for(users["menghai-county"]).exists()
