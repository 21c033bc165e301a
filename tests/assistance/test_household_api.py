"""The household loop through the API: helpers, assignment and reassignment, measures,
visits with photos (multipart), scope and refusals as problem+json."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.assistance.test_household_loop import png_bytes
from tests.assistance.test_household_pages import household, media  # noqa: F401

NABING = "532822106207"
TODAY = timezone.localdate().isoformat()
BASE = "/api/v1/assistance"


def test_the_loop_through_the_api(api_token: Any, household: Any, media: Any) -> None:  # noqa: F811
    client, headers = Client(), api_token("nabing-village")
    first = client.post(
        f"{BASE}/helpers",
        {"name": "岩罕", "origin": "local_cadre", "region": NABING},
        content_type="application/json",
        headers=headers,
    )
    assert first.status_code == 201, first.content
    second = client.post(
        f"{BASE}/helpers",
        {"name": "张华", "origin": "east_volunteer", "region": NABING, "visit_every_days": 14},
        content_type="application/json",
        headers=headers,
    ).json()
    url = f"{BASE}/households/{household.pk}"
    assigned = client.post(
        f"{url}/helper",
        {"helper_id": first.json()["id"], "on_date": TODAY},
        content_type="application/json",
        headers=headers,
    )
    assert assigned.status_code == 200 and assigned.json()["helper"] == "岩罕"
    reassigned = client.post(
        f"{url}/helper",
        {"helper_id": second["id"], "on_date": TODAY, "reason": "调岗"},
        content_type="application/json",
        headers=headers,
    )
    assert reassigned.status_code == 200 and reassigned.json()["visit_every_days"] == 14
    measure = client.post(
        f"{url}/measures",
        {"kind": "micro_credit", "start_date": TODAY, "amount": "50000.00", "funder": "信用社"},
        content_type="application/json",
        headers=headers,
    )
    assert measure.status_code == 201 and measure.json()["nature"] == "developmental"
    bad = client.post(
        f"{url}/measures",
        {"kind": "micro_credit", "start_date": TODAY, "amount": "1.001"},
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error" and bad.json()["field"] == "amount"
    delivered = client.post(
        f"{BASE}/measures/{measure.json()['id']}/deliver",
        {"delivered_on": TODAY},
        content_type="application/json",
        headers=headers,
    )
    assert delivered.json()["status"] == "delivered"
    assert delivered.json()["delivered_amount"] == "50000.00"
    visit = client.post(
        f"{url}/visits",
        {
            "visited_on": TODAY,
            "findings": "贷款已发放",
            "photos": [SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")],
        },
        headers=headers,
    )
    assert visit.status_code == 201, visit.content
    assert len(visit.json()["photos"]) == 1
    refused = client.post(
        f"{url}/visits",
        {
            "visited_on": TODAY,
            "findings": "x",
            "photos": [SimpleUploadedFile("a.exe", b"MZ...", content_type="image/png")],
        },
        headers=headers,
    )
    assert refused.status_code == 415 and refused.json()["code"] == "photo_rejected"
    summary = client.get(url, headers=headers).json()
    assert summary["helper"]["helper"] == "张华"
    assert [h["helper"] for h in summary["earlier_helpers"]] == ["岩罕"]
    assert len(summary["measures"]) == 1 and len(summary["visits"]) == 1


def test_the_api_is_scoped(api_token: Any, household: Any) -> None:  # noqa: F811
    client = Client()
    other = api_token("mangshi-county")
    assert client.get(f"{BASE}/households/{household.pk}", headers=other).status_code == 404
    answer = client.post(
        f"{BASE}/households/{household.pk}/measures",
        {"kind": "dibao", "start_date": TODAY},
        content_type="application/json",
        headers=other,
    )
    assert answer.status_code == 404
    visits = client.get(f"{BASE}/visits", headers=other).json()
    assert visits["count"] == 0
