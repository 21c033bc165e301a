"""The district figures (``bangfu stats assistance``, GET /api/v1/assistance/stats) and the
campaign's targets against its records, on demo-like data: the Fengxian campaign and Qingpu's
secondments from the demo, plus helpers, plans, measures, visits and donations written here."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from bangfu.accounts.scopes import scope_for
from bangfu.assistance.demo import CAMPAIGN_CODE, assistance_demo_load
from bangfu.assistance.models import (
    Assignment,
    Campaign,
    DonationEntry,
    Helper,
    HouseholdPlan,
    Measure,
    SocialPairing,
    Visit,
)
from bangfu.assistance.stats import assistance_stats, campaign_donations, campaign_progress
from bangfu.regions.models import Region
from bangfu.registry.services import household_save
from tests.registry.factories import household_in

FENGXIAN, QINGPU, SONGJIANG = "310120000000", "310118000000", "310117000000"
NABING = "532822106207"
BANGFU = str(Path(sys.executable).with_name("bangfu"))


def stats_json(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("stats", "assistance", *args, stdout=out)
    return dict(json.loads(out.getvalue()))


@pytest.fixture
def fengxian(users: dict[str, Any]) -> dict[str, Any]:
    """The demo, then two helpers of the campaign with a household each in a Wuchuan village,
    a plan with three measures, two visits, and the seed's donations in place."""
    assistance_demo_load(donations=False)  # this fixture records its own, dated 2020
    admin = users["admin"]
    campaign = Campaign.objects.get(code=CAMPAIGN_CODE)
    pairing = SocialPairing.objects.filter(campaign=campaign).order_by("pk").first()
    assert pairing is not None
    village = pairing.west
    households = [
        household_save(
            actor=admin,
            capture=scope_for(admin, "capture"),
            data=household_in(no=f"{village.code}900{i}", village=village.code),
        )[0]
        for i in (1, 2)
    ]
    helpers = [
        Helper.objects.create(
            name=f"奉贤志愿者{i}", origin="east_volunteer", region=village, campaign=campaign
        )
        for i in (1, 2)
    ]
    for helper, household in zip(helpers, households, strict=True):
        Assignment.objects.create(
            helper=helper, household=household, start_date=dt.date(2019, 5, 1), visit_every_days=30
        )
    plan = HouseholdPlan.objects.create(household=households[0], year=2020)
    HouseholdPlan.objects.create(household=households[1], year=2021)
    Measure.objects.create(
        plan=plan, kind="industry", amount=Decimal("3000.00"), start_date=dt.date(2020, 3, 1)
    )
    Measure.objects.create(
        plan=plan,
        kind="employment",
        amount=Decimal("1200.50"),
        start_date=dt.date(2020, 3, 1),
        status="delivered",
        delivered_amount=Decimal("1200.50"),
        delivered_on=dt.date(2020, 6, 1),
    )
    Measure.objects.create(
        plan=plan,
        kind="dibao",
        amount=Decimal(500),
        start_date=dt.date(2020, 3, 1),
        status="cancelled",
    )
    for day in (dt.date(2020, 4, 1), dt.date(2021, 4, 1)):
        Visit.objects.create(
            household=households[0],
            helper=helpers[0],
            visited_on=day,
            findings="好",
            recorded_by=admin,
        )
    for donor_type, amount in (("individual", "6099000.00"), ("enterprise", "10918000.00")):
        DonationEntry.objects.create(
            campaign=campaign,
            kind="receipt",
            form="money",
            donor_name="奉贤区社会各界" if donor_type == "individual" else "奉贤区企业",
            donor_type=donor_type,
            amount=Decimal(amount),
            entry_date=dt.date(2020, 10, 1),
            recorded_by=admin,
        )
    DonationEntry.objects.create(
        pairing=pairing,
        kind="pledge",
        form="money",
        donor_name=pairing.partner.name,
        donor_type="enterprise",
        amount=Decimal("50000.01"),
        entry_date=dt.date(2019, 1, 1),
        recorded_by=admin,
    )
    return {"campaign": campaign, "pairing": pairing, "households": households}


def test_fengxian_figures(fengxian: dict[str, Any]) -> None:
    figures = stats_json("--district", FENGXIAN)
    assert figures["district"] == {"code": FENGXIAN, "name": "奉贤区"}
    assert [p["west"] for p in figures["district_pairings"]] == ["520326000000", "520327000000"]
    assert figures["campaigns"] == 1 and figures["partners"] == 110
    assert figures["social_pairings"] == {
        "total": 110,
        "by_kind": {
            "enterprise_village": 100,
            "org_village": 3,
            "unit_village": 5,
            "school_school": 1,
            "hospital_hospital": 1,
            "other": 0,
        },
    }
    assert figures["helpers"] == 2
    assert figures["households_with_plan"] == 2
    assert figures["measures"] == {
        "planned": 2,
        "delivered": 1,
        "amount_planned": "4200.50",
        "amount_delivered": "1200.50",
    }
    assert figures["visits"] == 2
    assert figures["donations"]["received"] == "17017000.00"
    assert figures["donations"]["pledged"] == "50000.01"
    assert figures["donations"]["received_by_donor_type"]["individual"] == "6099000.00"
    assert figures["donations"]["received_by_donor_type"]["enterprise"] == "10918000.00"
    assert figures["secondments"]["total"] == 0


def test_fengxian_figures_of_one_year(fengxian: dict[str, Any]) -> None:
    in_2020 = stats_json("--district", FENGXIAN, "--year", "2020")
    assert in_2020["year"] == 2020 and in_2020["social_pairings"]["total"] == 110
    assert in_2020["households_with_plan"] == 1 and in_2020["visits"] == 1
    assert in_2020["measures"]["planned"] == 2 and in_2020["donations"]["pledged"] == "0.00"
    assert in_2020["donations"]["received"] == "17017000.00"
    in_2017 = assistance_stats(district=Region.objects.get(code=FENGXIAN), year=2017)
    assert in_2017["social_pairings"]["total"] == 0 and in_2017["campaigns"] == 1
    assert in_2017["helpers"] == 0 and in_2017["donations"]["received"] == "0.00"
    # Wuchuan's pairing dates from 2013, Fenggang's from 2017
    in_2015 = assistance_stats(district=Region.objects.get(code=FENGXIAN), year=2015)
    assert [p["west"] for p in in_2015["district_pairings"]] == ["520326000000"]
    assert in_2015["campaigns"] == 0


def test_households_of_the_paired_west_count(users: dict[str, Any]) -> None:
    """A plan of a Nabing household counts for Songjiang (paired with Menghai), not Qingpu."""
    admin = users["admin"]
    household, _ = household_save(
        actor=admin, capture=scope_for(admin, "capture"), data=household_in(village=NABING)
    )
    HouseholdPlan.objects.create(household=household, year=2024)
    songjiang = assistance_stats(district=Region.objects.get(code=SONGJIANG))
    qingpu = assistance_stats(district=Region.objects.get(code=QINGPU))
    assert (songjiang["households_with_plan"], qingpu["households_with_plan"]) == (1, 0)
    shanghai = assistance_stats(district=Region.objects.get(code="310000000000"))
    assert shanghai["households_with_plan"] == 1 and len(shanghai["district_pairings"]) == 9


def test_qingpu_secondments(users: dict[str, Any]) -> None:
    assistance_demo_load()
    in_2020 = stats_json("--district", QINGPU, "--year", "2020")["secondments"]
    assert in_2020["by_field"] == {
        "cadre": 11,
        "teacher": 21,
        "doctor": 19,
        "agronomist": 0,
        "other": 0,
    }
    assert in_2020["total"] == 51 and in_2020["long_term"] == 51
    assert in_2020["by_direction"] == {"east_to_west": 51, "west_to_east": 0}
    assert stats_json("--district", QINGPU, "--year", "2022")["secondments"]["total"] == 11
    assert stats_json("--district", QINGPU, "--year", "2023")["secondments"]["total"] == 0
    assert stats_json("--district", FENGXIAN, "--year", "2020")["secondments"]["total"] == 0


def test_the_campaign_against_its_targets(fengxian: dict[str, Any]) -> None:
    progress = {
        p.key: (p.target, p.achieved) for p in campaign_progress(campaign=fengxian["campaign"])
    }
    assert progress == {
        "helpers": (1000, 2),
        "households": (1000, 2),
        "enterprises": (100, 100),
        "villages": (100, 98),  # the database holds 98 villages in Wuchuan and Fenggang
        "sectors": (10, 10),
    }
    money = campaign_donations(campaign=fengxian["campaign"])
    assert money.received == Decimal("17017000.00") and money.pledged == Decimal("50000.01")
    assert [(v, a) for v, _label, a in money.received_by_donor_type] == [
        ("individual", Decimal("6099000.00")),
        ("enterprise", Decimal("10918000.00")),
    ]


def test_the_campaign_page(fengxian: dict[str, Any], client_for: Any) -> None:
    page = client_for("admin").get(f"/assistance/campaigns/{fengxian['campaign'].pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-key="enterprises"' in html and "17017000.00" in html and "6099000.00" in html
    # Menghai's staff see no pairing of the campaign: no campaign either
    assert (
        client_for("menghai-county")
        .get(f"/assistance/campaigns/{fengxian['campaign'].pk}/")
        .status_code
        == 404
    )


def test_unknown_malformed_and_western_codes_are_refused(db: Any) -> None:
    for code, words in (
        ("999999000000", "no region with code 999999000000"),
        ("3101", "12"),
        ("532822000000", "western region"),
    ):
        with pytest.raises(CommandError) as info:
            call_command("stats", "assistance", "--district", code, stdout=io.StringIO())
        assert words in str(info.value)
    with pytest.raises(CommandError):
        call_command("stats", "assistance", "--district", FENGXIAN, "--year", "1900")


def test_the_api(fengxian: dict[str, Any], api_token: Any) -> None:
    admin = Client(headers=api_token("admin")).get(
        "/api/v1/assistance/stats", {"district": FENGXIAN, "year": 2020}
    )
    assert admin.status_code == 200
    assert admin.json() == assistance_stats(district=Region.objects.get(code=FENGXIAN), year=2020)
    songjiang = Client(headers=api_token("songjiang-office"))
    assert songjiang.get("/api/v1/assistance/stats", {"district": SONGJIANG}).status_code == 200
    hidden = songjiang.get("/api/v1/assistance/stats", {"district": FENGXIAN})
    assert hidden.status_code == 404 and hidden.json()["code"] == "region_not_found"


def run(args: list[str], var_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(
        {"BANGFU_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "bangfu.settings.base"}
    )
    return subprocess.run(
        [BANGFU, *args], env=environment, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_command_line(tmp_path: Path) -> None:
    helped = run(["stats", "--help"], tmp_path)
    assert helped.returncode == 0
    assert "{assistance}" in helped.stdout and "--district CODE" in helped.stdout
    assert run(["migrate", "--verbosity", "0"], tmp_path).returncode == 0
    unknown = run(["stats", "assistance", "--district", "999999000000"], tmp_path)
    assert unknown.returncode == 1 and "999999000000" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    wrong_subject = run(["stats", "money", "--district", FENGXIAN], tmp_path)
    assert wrong_subject.returncode == 2 and "assistance" in wrong_subject.stderr
