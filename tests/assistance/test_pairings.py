"""Partners, campaigns and social pairings: the workflow with its history, every refusal with its
code and field, who sees and changes what, the pages (filters, pagination, Excel) and the API."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.test import Client

from bangfu.assistance import pairings as svc
from bangfu.assistance.models import PartnerKind, SocialPairing, SocialPairingKind
from bangfu.audit.models import AuditAction
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Pairing, Region

SONGJIANG, SIJING = "310117000000", "310117102000"
QINGPU = "310118000000"
MENGHAI, MENGA, NABING, GASAI = "532822000000", "532822106000", "532822106207", "532822106201"
MANGSHI, MANGSHI_TOWN = "533103000000", "533103101000"
DINGRI = "540223000000"


def pairing_of(east: str, west: str) -> Pairing:
    return Pairing.objects.get(east__code=east, west__code=west)


@contextmanager
def refused(code: ErrorCode, field: str | None = None) -> Iterator[Any]:
    """The block is refused with this code, naming this field."""
    with pytest.raises(BangfuError) as info:
        yield info
    assert info.value.code == code, str(info.value)
    assert info.value.field == field, str(info.value)


@pytest.fixture
def world(users: dict[str, Any]) -> dict[str, Any]:
    office = users["songjiang-office"]
    enterprise = svc.partner_create(
        actor=office,
        data=svc.PartnerIn(
            name="上海松茶示范企业（测试）",
            kind=PartnerKind.ENTERPRISE,
            region=Region.objects.get(code=SIJING),
        ),
    )
    school = svc.partner_create(
        actor=office,
        data=svc.PartnerIn(
            name="松江示范中学（测试）",
            kind=PartnerKind.SCHOOL,
            region=Region.objects.get(code=SONGJIANG),
        ),
    )
    pairing = svc.social_pairing_create(
        actor=office,
        data=svc.SocialPairingIn(
            kind=SocialPairingKind.ENTERPRISE_VILLAGE,
            partner=enterprise,
            west=Region.objects.get(code=NABING),
            regional_pairing=pairing_of(SONGJIANG, MENGHAI),
            start_date=dt.date(2019, 3, 1),
            committed_money=Decimal("120000.50"),
            committed_jobs=4,
        ),
    )
    return {"office": office, "enterprise": enterprise, "school": school, "pairing": pairing}


def pairing_in(world: dict[str, Any], **changes: Any) -> svc.SocialPairingIn:
    values: dict[str, Any] = {
        "kind": SocialPairingKind.ENTERPRISE_VILLAGE,
        "partner": world["enterprise"],
        "west": Region.objects.get(code=GASAI),
        "regional_pairing": pairing_of(SONGJIANG, MENGHAI),
        "start_date": dt.date(2020, 1, 1),
    }
    return svc.SocialPairingIn(**(values | changes))


# ---------------------------------------------------------------------------- workflow


def test_a_partner_is_registered_and_changed_with_history(world: dict[str, Any]) -> None:
    partner = world["enterprise"]
    created = object_history(obj=partner).get()
    assert created.action == AuditAction.CREATE and created.actor == world["office"]
    svc.partner_update(
        actor=world["office"],
        partner=partner,
        data=svc.PartnerIn(
            name=partner.name,
            kind=PartnerKind.ENTERPRISE,
            region=partner.region,
            credit_code="91350100m000100y43",
            contact_name="王经理",
        ),
        reason="信用代码补录",
    )
    partner.refresh_from_db()
    assert partner.credit_code == "91350100M000100Y43" and partner.contact_name == "王经理"
    update = object_history(obj=partner).filter(action=AuditAction.UPDATE).get()
    assert update.reason == "信用代码补录"
    assert update.before["credit_code"] == "" and update.after["credit_code"] == partner.credit_code


def test_a_social_pairing_is_recorded_and_changed_with_history(world: dict[str, Any]) -> None:
    pairing = world["pairing"]
    assert pairing.committed_money == Decimal("120000.50") and pairing.committed_jobs == 4
    svc.social_pairing_update(
        actor=world["office"],
        pairing=pairing,
        data=pairing_in(
            world,
            west=pairing.west,
            start_date=pairing.start_date,
            end_date=dt.date(2021, 12, 31),
            committed_money="150000",
            sector="茶产业",
        ),
        reason="追加投入",
    )
    pairing.refresh_from_db()
    assert pairing.committed_money == Decimal("150000.00") and pairing.sector == "茶产业"
    entries = list(object_history(obj=pairing).order_by("pk"))
    assert [e.action for e in entries] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert entries[1].before["committed_money"] == "120000.50"
    assert entries[1].after["end_date"] == "2021-12-31" and entries[1].reason == "追加投入"


def test_school_pairings_name_their_counterpart(world: dict[str, Any]) -> None:
    pairing = svc.social_pairing_create(
        actor=world["office"],
        data=pairing_in(
            world,
            kind=SocialPairingKind.SCHOOL_SCHOOL,
            partner=world["school"],
            west=Region.objects.get(code=MENGA),
            counterpart="勐阿镇中心小学（测试）",
        ),
    )
    assert str(pairing) == "松江示范中学（测试） ↔ 勐阿镇中心小学（测试）"


def test_a_campaign_is_started_and_changed(world: dict[str, Any]) -> None:
    data = svc.CampaignIn(
        code="songjiang-test",
        name="松江测试行动",
        district=Region.objects.get(code=SONGJIANG),
        start_year=2018,
        target_enterprises=10,
    )
    campaign = svc.campaign_create(actor=world["office"], data=data)
    svc.campaign_update(
        actor=world["office"],
        campaign=campaign,
        data=svc.CampaignIn(**(data.__dict__ | {"end_year": "2020", "target_villages": "12"})),
        reason="目标调整",
    )
    campaign.refresh_from_db()
    assert (campaign.end_year, campaign.target_villages) == (2020, 12)
    assert object_history(obj=campaign).count() == 2


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"kind": "nonsense"}, ErrorCode.VALIDATION_ERROR, "kind"),
        ({"kind": SocialPairingKind.SCHOOL_SCHOOL}, ErrorCode.VALIDATION_ERROR, "kind"),
        ({"kind": SocialPairingKind.ORG_VILLAGE}, ErrorCode.VALIDATION_ERROR, "kind"),
        ({"west": SIJING}, ErrorCode.VALIDATION_ERROR, "west"),
        ({"west": MENGA}, ErrorCode.VALIDATION_ERROR, "west"),
        ({"end_date": dt.date(2019, 12, 31)}, ErrorCode.VALIDATION_ERROR, "end_date"),
        ({"committed_money": Decimal("-1")}, ErrorCode.VALIDATION_ERROR, "committed_money"),
        ({"committed_money": "10.005"}, ErrorCode.VALIDATION_ERROR, "committed_money"),
        ({"committed_money": 10.5}, ErrorCode.VALIDATION_ERROR, "committed_money"),
        ({"committed_money": "ten"}, ErrorCode.VALIDATION_ERROR, "committed_money"),
        ({"committed_money": "NaN"}, ErrorCode.VALIDATION_ERROR, "committed_money"),
        (
            {"committed_goods_value": "1e15"},
            ErrorCode.VALIDATION_ERROR,
            "committed_goods_value",
        ),
        ({"committed_purchases": "-0.01"}, ErrorCode.VALIDATION_ERROR, "committed_purchases"),
        ({"committed_jobs": -2}, ErrorCode.VALIDATION_ERROR, "committed_jobs"),
        ({"note": "x" * 301}, ErrorCode.VALIDATION_ERROR, "note"),
        # the district pairing must join the partner's district and the western region
        ({"regional_pairing": (SONGJIANG, DINGRI)}, ErrorCode.VALIDATION_ERROR, "regional_pairing"),
        (
            {"regional_pairing": (QINGPU, "533100000000")},
            ErrorCode.VALIDATION_ERROR,
            "regional_pairing",
        ),
        (
            {"start_date": dt.date(2010, 1, 1), "end_date": dt.date(2012, 1, 1)},
            ErrorCode.VALIDATION_ERROR,
            "regional_pairing",
        ),
    ],
)
def test_social_pairing_refusals(
    world: dict[str, Any], changes: dict[str, Any], code: ErrorCode, field: str
) -> None:
    if "west" in changes:
        changes["west"] = Region.objects.get(code=changes["west"])
    if "regional_pairing" in changes:
        changes["regional_pairing"] = pairing_of(*changes["regional_pairing"])
    before = SocialPairing.objects.count()
    with refused(code, field):
        svc.social_pairing_create(actor=world["office"], data=pairing_in(world, **changes))
    assert SocialPairing.objects.count() == before


def test_a_hospital_pairing_needs_a_counterpart(world: dict[str, Any], users: Any) -> None:
    hospital = svc.partner_create(
        actor=world["office"],
        data=svc.PartnerIn(
            name="松江示范医院（测试）", kind=PartnerKind.HOSPITAL, region=world["school"].region
        ),
    )
    with refused(ErrorCode.VALIDATION_ERROR, "counterpart"):
        svc.social_pairing_create(
            actor=world["office"],
            data=pairing_in(
                world,
                kind=SocialPairingKind.HOSPITAL_HOSPITAL,
                partner=hospital,
                west=Region.objects.get(code=MENGHAI),
                counterpart="  ",
            ),
        )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"name": " "}, ErrorCode.VALIDATION_ERROR, "name"),
        ({"kind": "bank"}, ErrorCode.VALIDATION_ERROR, "kind"),
        ({"credit_code": "91350100M000100Y44"}, ErrorCode.VALIDATION_ERROR, "credit_code"),
        ({"credit_code": "9135010OM000100Y43"}, ErrorCode.VALIDATION_ERROR, "credit_code"),
        ({"name": "上海松茶示范企业（测试）"}, ErrorCode.VALIDATION_ERROR, "name"),
        ({"region": QINGPU}, ErrorCode.PERMISSION_DENIED, None),
    ],
)
def test_partner_refusals(
    world: dict[str, Any], changes: dict[str, Any], code: ErrorCode, field: str | None
) -> None:
    values: dict[str, Any] = {
        "name": "新企业",
        "kind": PartnerKind.ENTERPRISE,
        "region": Region.objects.get(code=SIJING),
    }
    if "region" in changes:
        changes["region"] = Region.objects.get(code=changes["region"])
    with refused(code, field):
        svc.partner_create(actor=world["office"], data=svc.PartnerIn(**(values | changes)))


def test_a_partners_kind_cannot_change_under_its_pairings(world: dict[str, Any]) -> None:
    enterprise = world["enterprise"]
    with refused(ErrorCode.VALIDATION_ERROR, "kind"):
        svc.partner_update(
            actor=world["office"],
            partner=enterprise,
            data=svc.PartnerIn(
                name=enterprise.name, kind=PartnerKind.SCHOOL, region=enterprise.region
            ),
        )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"code": "千百十"}, ErrorCode.VALIDATION_ERROR, "code"),
        ({"district": NABING}, ErrorCode.VALIDATION_ERROR, "district"),
        ({"end_year": 2017}, ErrorCode.VALIDATION_ERROR, "end_year"),
        ({"start_year": 1900}, ErrorCode.VALIDATION_ERROR, "start_year"),
        ({"target_helpers": -1}, ErrorCode.VALIDATION_ERROR, "target_helpers"),
        ({"target_villages": "many"}, ErrorCode.VALIDATION_ERROR, "target_villages"),
        ({"district": QINGPU}, ErrorCode.PERMISSION_DENIED, None),
    ],
)
def test_campaign_refusals(
    world: dict[str, Any], changes: dict[str, Any], code: ErrorCode, field: str | None
) -> None:
    values: dict[str, Any] = {
        "code": "sj-2018",
        "name": "行动",
        "district": Region.objects.get(code=SONGJIANG),
        "start_year": 2018,
    }
    if "district" in changes:
        changes["district"] = Region.objects.get(code=changes["district"])
    with refused(code, field):
        svc.campaign_create(actor=world["office"], data=svc.CampaignIn(**(values | changes)))


def test_a_campaign_code_is_unique(world: dict[str, Any]) -> None:
    data = svc.CampaignIn(
        code="dup", name="A", district=Region.objects.get(code=SONGJIANG), start_year=2018
    )
    svc.campaign_create(actor=world["office"], data=data)
    with refused(ErrorCode.VALIDATION_ERROR, "code"):
        svc.campaign_create(actor=world["office"], data=data)


# ---------------------------------------------------------------------------- scope


def test_who_may_record_a_pairing(world: dict[str, Any], users: dict[str, Any]) -> None:
    # Mangshi's staff: neither the village, nor the partner, nor a campaign is theirs
    with refused(ErrorCode.PERMISSION_DENIED):
        svc.social_pairing_create(actor=users["mangshi-county"], data=pairing_in(world))
    # Menghai's staff may record a pairing for one of their villages
    made = svc.social_pairing_create(actor=users["menghai-county"], data=pairing_in(world))
    assert made.west.code == GASAI
    # ... but not move it out of their county
    with refused(ErrorCode.PERMISSION_DENIED):
        svc.social_pairing_update(
            actor=users["menghai-county"],
            pairing=made,
            data=pairing_in(
                world,
                west=Region.objects.get(code=DINGRI),
                regional_pairing=None,
                kind=SocialPairingKind.OTHER,
            ),
        )
    # the auditor changes nothing
    with refused(ErrorCode.PERMISSION_DENIED):
        svc.partner_create(
            actor=users["auditor"],
            data=svc.PartnerIn(name="x", kind="other", region=Region.objects.get(code=SIJING)),
        )


def test_who_sees_a_pairing(world: dict[str, Any], users: dict[str, Any]) -> None:
    pk = world["pairing"].pk
    for username in ("songjiang-office", "menghai-county", "menga-township", "nabing-village"):
        assert svc.social_pairing_list(user=users[username]).filter(pk=pk).exists(), username
        assert svc.social_pairing_get(user=users[username], pk=pk).pk == pk
    for username in ("mangshi-county", "qingpu-office"):
        assert not svc.social_pairing_list(user=users[username]).filter(pk=pk).exists()
        with refused(ErrorCode.SOCIAL_PAIRING_NOT_FOUND):
            svc.social_pairing_get(user=users[username], pk=pk)
    # the partner is visible through its pairing to Menghai, not to Mangshi
    assert svc.partner_get(user=users["menghai-county"], pk=world["enterprise"].pk)
    with refused(ErrorCode.PARTNER_NOT_FOUND, "partner"):
        svc.partner_get(user=users["mangshi-county"], pk=world["enterprise"].pk, field="partner")


def test_list_filters(world: dict[str, Any], users: dict[str, Any]) -> None:
    office = users["songjiang-office"]
    pk = world["pairing"].pk
    assert svc.social_pairing_list(user=office, region_code=MENGA).filter(pk=pk).exists()
    assert not svc.social_pairing_list(user=office, region_code=GASAI).filter(pk=pk).exists()
    assert svc.social_pairing_list(user=office, year=2019).filter(pk=pk).exists()
    assert not svc.social_pairing_list(user=office, year=2018).filter(pk=pk).exists()
    assert svc.social_pairing_list(user=office, q="松茶").filter(pk=pk).exists()
    assert not svc.social_pairing_list(user=office, kind="school_school").filter(pk=pk).exists()
    with refused(ErrorCode.REGION_CODE_MALFORMED, "region"):
        svc.social_pairing_list(user=office, region_code="5328")


# ---------------------------------------------------------------------------- pages


def test_pages_list_show_and_export(world: dict[str, Any], client_for: Any) -> None:
    client = client_for("songjiang-office")
    page = client.get("/assistance/pairings/", {"region": MENGHAI, "year": "2019"})
    assert page.status_code == 200 and "上海松茶示范企业（测试）" in page.content.decode()
    bad = client.get("/assistance/pairings/", {"region": "12"})
    assert bad.status_code == 200 and 'id="pairing-filter-error"' in bad.content.decode()
    detail = client.get(f"/assistance/pairings/{world['pairing'].pk}/")
    assert detail.status_code == 200 and "120000.50" in detail.content.decode()
    export = client.get("/assistance/pairings.xlsx", {"kind": "enterprise_village"})
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    ours = [r for r in rows[1:] if r[1] == "上海松茶示范企业（测试）"]
    assert ours and ours[0][4] == NABING and ours[0][12] == "120000.50"
    assert (
        client_for("mangshi-county").get(f"/assistance/pairings/{world['pairing'].pk}/").status_code
        == 404
    )
    partner = client.get(f"/assistance/partners/{world['enterprise'].pk}/")
    assert partner.status_code == 200 and "纳丙村" in partner.content.decode()
    assert client.get("/assistance/partners/", {"q": "松茶"}).status_code == 200


def test_pairing_list_is_paginated(
    world: dict[str, Any], client_for: Any, django_assert_max_num_queries: Any
) -> None:
    office = world["office"]
    for i in range(55):
        svc.social_pairing_create(
            actor=office,
            data=pairing_in(world, start_date=dt.date(2020, 1, 1) + dt.timedelta(days=i)),
        )
    client = client_for("songjiang-office")
    with django_assert_max_num_queries(12):  # not one query per row
        first = client.get("/assistance/pairings/", {"region": GASAI}).content.decode()
    assert first.count("data-pairing=") == 50 and 'id="page-next"' in first
    second = client.get("/assistance/pairings/", {"region": GASAI, "page": 2}).content.decode()
    assert second.count("data-pairing=") == 5


def test_the_pairing_form(world: dict[str, Any], client_for: Any) -> None:
    client = client_for("songjiang-office")
    form = {
        "kind": "enterprise_village",
        "partner": world["enterprise"].pk,
        "west": GASAI,
        "regional_pairing": pairing_of(SONGJIANG, MENGHAI).pk,
        "start_date": "2021-05-01",
        "committed_money": "8000.5",
        "committed_jobs": "2",
    }
    assert client.get("/assistance/pairings/new/").status_code == 200
    done = client.post("/assistance/pairings/new/", form)
    assert done.status_code == 302
    made = SocialPairing.objects.get(pk=int(done["Location"].rstrip("/").split("/")[-1]))
    assert made.committed_money == Decimal("8000.50") and made.west.code == GASAI
    refused_page = client.post("/assistance/pairings/new/", form | {"committed_money": "1.234"})
    assert refused_page.status_code == 200
    assert 'data-field="committed_money"' in refused_page.content.decode()
    edit = client.post(f"/assistance/pairings/{made.pk}/edit/", form | {"sector": "教育"})
    assert edit.status_code == 302
    made.refresh_from_db()
    assert made.sector == "教育"
    # a county that sees the pairing but may not change it: 403
    assert client_for("auditor").get(f"/assistance/pairings/{made.pk}/edit/").status_code == 403


def test_the_partner_and_campaign_forms(world: dict[str, Any], client_for: Any) -> None:
    client = client_for("songjiang-office")
    done = client.post(
        "/assistance/partners/new/",
        {"name": "表单企业", "kind": "enterprise", "region": SIJING},
    )
    assert done.status_code == 302
    wrong = client.post(
        "/assistance/partners/new/", {"name": "表单企业2", "kind": "enterprise", "region": "3101"}
    )
    assert 'data-field="region"' in wrong.content.decode()
    campaign = client.post(
        "/assistance/campaigns/new/",
        {"code": "sj-form", "name": "表单行动", "district": SONGJIANG, "start_year": "2019",
         "target_enterprises": "5"},
    )  # fmt: skip
    assert campaign.status_code == 302
    detail = client.get(campaign["Location"])
    assert detail.status_code == 200 and 'id="campaign-progress"' in detail.content.decode()
    assert client.get("/assistance/campaigns/", {"year": "2019"}).status_code == 200


# ---------------------------------------------------------------------------- API


def _api(api_token: Any, username: str) -> Client:
    return Client(headers=api_token(username))


def test_api_lists_and_records(world: dict[str, Any], api_token: Any) -> None:
    client = _api(api_token, "songjiang-office")
    listed = client.get("/api/v1/assistance/social-pairings", {"region": MENGHAI}).json()
    assert world["pairing"].pk in [p["id"] for p in listed["items"]]
    assert listed["items"][0]["committed_money"] == "120000.50"
    body = {
        "kind": "enterprise_village",
        "partner": world["enterprise"].pk,
        "west": GASAI,
        "regional_pairing": pairing_of(SONGJIANG, MENGHAI).pk,
        "start_date": "2022-01-01",
        "committed_money": "99.90",
    }
    made = client.post(
        "/api/v1/assistance/social-pairings", json.dumps(body), content_type="application/json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["committed_money"] == "99.90"
    bad = client.post(
        "/api/v1/assistance/social-pairings",
        json.dumps(body | {"kind": "school_school"}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error" and bad.json()["field"] == "kind"
    hidden = _api(api_token, "mangshi-county").post(
        "/api/v1/assistance/social-pairings", json.dumps(body), content_type="application/json"
    )
    assert hidden.status_code == 404 and hidden.json()["code"] == "partner_not_found"
    assert hidden.json()["field"] == "partner"
    partners = client.get("/api/v1/assistance/partners", {"kind": "school"}).json()
    assert [p["name"] for p in partners["items"]] == ["松江示范中学（测试）"]
    new_partner = client.post(
        "/api/v1/assistance/partners",
        json.dumps({"name": "API企业", "kind": "enterprise", "region": SIJING}),
        content_type="application/json",
    )
    assert new_partner.status_code == 201
    campaign = client.post(
        "/api/v1/assistance/campaigns",
        json.dumps({"code": "api-1", "name": "API", "district": SONGJIANG, "start_year": 2020}),
        content_type="application/json",
    )
    assert campaign.status_code == 201
    detail = client.get(f"/api/v1/assistance/campaigns/{campaign.json()['id']}").json()
    assert {p["key"] for p in detail["progress"]} == {
        "helpers",
        "households",
        "enterprises",
        "villages",
        "sectors",
    }
    assert (
        client.get(f"/api/v1/assistance/social-pairings/{world['pairing'].pk}").status_code == 200
    )
    assert (
        _api(api_token, "mangshi-county")
        .get(f"/api/v1/assistance/social-pairings/{world['pairing'].pk}")
        .json()["code"]
        == "social_pairing_not_found"
    )


def test_every_form_opens(world: dict[str, Any], client_for: Any) -> None:
    client = client_for("songjiang-office")
    for url in (
        "/assistance/partners/new/",
        f"/assistance/partners/{world['enterprise'].pk}/edit/",
        "/assistance/campaigns/new/",
        f"/assistance/pairings/{world['pairing'].pk}/edit/",
        "/assistance/secondments/new/",
        "/assistance/secondments/",
    ):
        assert client.get(url).status_code == 200, url
    village = client_for("nabing-village")
    assert village.get(f"/assistance/partners/{world['enterprise'].pk}/edit/").status_code == 403
    assert client_for("auditor").get("/assistance/partners/new/").status_code == 403


def _sheet(answer: Any) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def test_partners_and_campaigns_export_to_excel(users: dict[str, Any], client_for: Any) -> None:
    from bangfu.assistance.demo import assistance_demo_load

    assistance_demo_load(donations=False)
    client = client_for("admin")
    partners = _sheet(client.get("/assistance/partners.xlsx?kind=enterprise"))
    assert len(partners) == 1 + 100  # the header and Fengxian's hundred enterprises
    assert all(row[5] == 1 for row in partners[1:])  # each with its one village pairing
    campaigns = _sheet(client.get("/assistance/campaigns.xlsx"))
    figures = {row[4]: (row[5], row[6]) for row in campaigns[1:]}
    assert any(target == 1000 for target, _ in figures.values())  # 千人联千户's target
    assert any(target == 100 and achieved == 100 for target, achieved in figures.values())
    # The menghai county sees none of Fengxian's partners (its villages are not theirs).
    assert len(_sheet(client_for("menghai-county").get("/assistance/partners.xlsx"))) == 1
