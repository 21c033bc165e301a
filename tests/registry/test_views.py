"""Registry pages: scope (404 outside the view scope, 403 outside the capture scope), masked ID
numbers and the logged reveal, pinned query counts, filters and search, the Excel export, and
the forms (household with members, workflow step, income, guarantees)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from bangfu.audit.models import AccessLogEntry, AuditEntry
from bangfu.core.protect import decrypt_text
from bangfu.regions.scope import RegionScope
from bangfu.registry.models import Household, HouseholdStatus, Member, StatusChange
from bangfu.registry.services import guarantee_assess, household_save, income_record_save
from tests.registry.factories import household_in, id_number

pytestmark = pytest.mark.django_db

NABING = "532822106207"  # 纳丙村, Menga Township, Menghai County (paired with Songjiang)
GASAI = "532822106201"  # 嘎赛村, a sibling village in Menga
EVERYTHING = RegionScope.everything()
# Who sees Nabing's households, and who may see their ID numbers in clear.
VIEWERS = [
    "admin",
    "auditor",
    "songjiang-office",
    "menghai-county",
    "menga-township",
    "nabing-village",
]
PERSONAL = {"admin", "menghai-county", "menga-township", "nabing-village"}
USERS = [*VIEWERS, "mangshi-county"]


def save(no: str = "5328221062070001", village: str = NABING, **overrides: Any) -> Household:
    household, _ = household_save(
        actor=None, capture=EVERYTHING, data=household_in(no, village, **overrides)
    )
    return household


def clear_ids(household: Household) -> list[str]:
    return [decrypt_text(m.id_number_enc) for m in household.members.order_by("id")]


@pytest.fixture
def household(db: Any) -> Household:
    household = save(bank_account="6228 4800 1234 5678", bank_name="农村信用社")
    income_record_save(
        actor=None,
        capture=EVERYTHING,
        household=household,
        year=2024,
        amounts={"wage_income": "9000", "transfer_income": "1200"},
    )
    income_record_save(
        actor=None,
        capture=EVERYTHING,
        household=household,
        year=2025,
        amounts={"wage_income": "15000", "business_income": "3000", "business_costs": "600"},
    )
    guarantee_assess(
        actor=None,
        capture=EVERYTHING,
        household=household,
        year=2025,
        assessed_on=dt.date(2025, 11, 1),
        evidence={
            "house_grade": "C",
            "water_litres_per_day": Decimal("60"),
            "water_quality_ok": True,
            "water_trip_minutes": 5,
            "water_interruption_days": 2,
        },
    )
    household.refresh_from_db()
    return household


def page(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def member_row(html: str, index: int) -> str:
    """The HTML of one member row of the household form."""
    start = html.index(f'id="member-{index}"')
    end = html.find('id="member-', start + 10)
    return html[start : end if end > 0 else len(html)]


# --- scope and masking ---------------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
def test_list_and_detail_follow_the_view_scope(
    client_for: Any, household: Household, username: str
) -> None:
    client = client_for(username)
    listed = page(client.get("/households/"))
    detail = client.get(f"/households/{household.pk}/")
    visible = username in VIEWERS
    assert (f"/households/{household.pk}/" in listed) == visible
    assert detail.status_code == (200 if visible else 404)
    if not visible:  # the generic not-found page, nothing of the household
        text = detail.content.decode()
        assert 'id="error-404"' in text and household.head_name not in text
        assert household.household_no not in text
        for suffix in ("edit/", "income/", "guarantee/"):
            assert client.get(f"/households/{household.pk}/{suffix}").status_code == 404
        assert client.post(f"/households/{household.pk}/reveal/").status_code == 404
        assert client.post(f"/households/{household.pk}/transition/", {}).status_code == 404


@pytest.mark.parametrize("username", VIEWERS)
def test_detail_shows_masked_ids_and_personal_data_by_role(
    client_for: Any, household: Household, username: str
) -> None:
    html = page(client_for(username).get(f"/households/{household.pk}/"))
    for member, clear in zip(household.members.order_by("id"), clear_ids(household), strict=True):
        assert member.id_number_masked in html and clear not in html
        assert (member.birth_date.isoformat() in html) == (username in PERSONAL), (
            "roles without access see the birth year only"
        )
    assert ("13800000000" in html) == (username in PERSONAL)
    assert "*******0000" in html or username in PERSONAL
    assert "5678" in html and "6228" not in html, "bank accounts: last four digits only"
    assert ('id="reveal-form"' in html) == (username in PERSONAL)
    can_capture = username in {"admin", "menghai-county", "menga-township", "nabing-village"}
    assert ('id="edit-household"' in html) == can_capture
    assert ('id="transition-form"' in html) == can_capture


def test_detail_shows_incomes_chart_guarantees_workflow_and_history(
    client_for: Any, household: Household
) -> None:
    html = page(client_for("menga-township").get(f"/households/{household.pk}/"))
    chart = html[html.index("<svg") : html.index("</svg>")]
    assert chart.count("<rect") == 2 and ">2024<" in chart and ">2025<" in chart
    assert 'class="line"' in chart, "the poverty line in force for each year"
    assert "5,800.00" in html  # 2025: (15000 + 3000 − 600) ÷ 3
    guarantees = html[html.index('id="guarantees"') : html.index('id="workflow"')]
    assert 'data-year="2025"' in guarantees and 'class="fail"' in guarantees
    assert "C" in guarantees and guarantees.count('<li class="fail">') == 1  # housing only
    assert 'id="transition-form"' in html and 'value="exit_proposed"' in html
    history = html[html.index('id="history"') :]
    assert "岩温" in history  # the creation entry lists the members


def test_menu_links_to_the_households(client_for: Any) -> None:
    html = page(client_for("nabing-village").get("/"))
    assert 'data-nav="households"' in html and 'href="/households/"' in html


# --- reveal --------------------------------------------------------------------------------


def test_reveal_shows_clear_numbers_once_and_writes_the_access_log(
    client_for: Any, household: Household, users: dict[str, Any]
) -> None:
    client = client_for("nabing-village")
    before = AccessLogEntry.objects.count()
    response = client.post(f"/households/{household.pk}/reveal/", {"purpose": "核对身份证"})
    html = page(response)
    assert all(number in html for number in clear_ids(household))
    assert 'id="ids-revealed"' in html and "no-store" in response["Cache-Control"]
    entry = AccessLogEntry.objects.order_by("-id").first()
    assert AccessLogEntry.objects.count() == before + 1 and entry is not None
    assert entry.actor == users["nabing-village"] and entry.purpose == "核对身份证"
    assert entry.object_type == "registry.member" and entry.fields == ["id_number"]
    assert sorted(entry.object_ids) == sorted(str(m.pk) for m in household.members.all())
    again = page(client.get(f"/households/{household.pk}/"))
    assert not any(number in again for number in clear_ids(household)), "that response only"
    assert client.get(f"/households/{household.pk}/reveal/").status_code == 405


@pytest.mark.parametrize("username", ["songjiang-office", "auditor"])
def test_roles_without_personal_data_cannot_reveal(
    client_for: Any, household: Household, username: str
) -> None:
    before = AccessLogEntry.objects.count()
    response = client_for(username).post(f"/households/{household.pk}/reveal/")
    assert response.status_code == 403
    assert not any(n in response.content.decode() for n in clear_ids(household))
    assert AccessLogEntry.objects.count() == before


# --- list: query counts, filters, search, paging ---------------------------------------------


@pytest.fixture
def many(db: Any) -> list[Household]:
    """60 households in Nabing and 3 in Gasai, with incomes and guarantee problems varied."""
    made = []
    for i in range(60):
        h = save(f"53282210620700{i:02d}", main_cause="缺技术" if i % 2 else "因病")
        made.append(h)
    for i in range(3):
        made.append(save(f"53282210620100{i:02d}", GASAI, status=HouseholdStatus.EXITED))
    return made


@pytest.mark.parametrize(
    "username", ["admin", "menghai-county", "songjiang-office", "nabing-village"]
)
def test_list_query_count_is_pinned(
    client_for: Any, many: list[Household], django_assert_max_num_queries: Any, username: str
) -> None:
    client = client_for(username)
    client.get("/households/")  # warm caches (session, code lists)
    with django_assert_max_num_queries(12):
        html = page(client.get("/households/"))
    assert html.count("data-household=") == 50
    assert "岩温、玉香、岩罕" in html, "members are listed with each household"
    with django_assert_max_num_queries(12):
        second = page(client.get("/households/", {"page": 2, "status": "registered"}))
    assert second.count("data-household=") == 10


def test_list_rows_join_the_regions_only_to_scope_them(
    client_for: Any, many: list[Household]
) -> None:
    """Villages are prefetched, not joined: without a scope or region filter the rows query
    reads households alone (a deep page's OFFSET then skips index entries, not joined rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rows_query(username: str, **params: Any) -> str:
        with CaptureQueriesContext(connection) as queries:
            html = page(client_for(username).get("/households/", params))
        assert "纳丙村" in html, "the village is shown"
        (sql,) = [
            q["sql"]
            for q in queries
            if q["sql"].startswith('SELECT "registry_household"."id", "registry_household"')
        ]
        return sql

    assert "JOIN" not in rows_query("admin")
    assert "JOIN" in rows_query("admin", region=NABING)  # the region range needs the codes
    assert "JOIN" in rows_query("menghai-county")


def test_list_counts_no_further_than_it_needs(
    client_for: Any, many: list[Household], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the cap the list says "more than" and pages on; a page past the cap counts to its
    own end; at or under the cap the count and the pages are exact."""
    from bangfu.registry import views

    monkeypatch.setattr(views, "LIST_COUNT_CAP", 20)
    client = client_for("menga-township")
    en = {"accept-language": "en"}

    def count_and_pager(html: str) -> tuple[str, str]:
        count = re.search(r'id="household-count">\(([^)]*)\)', html)
        pager = re.search(r'<nav class="pager".*?</nav>', html, re.S)
        assert count is not None and pager is not None
        return count.group(1), pager.group(0)

    # 63 households; page 1 counts to 51 (the end of page 1, and one more)
    first = page(client.get("/households/", headers=en))
    count, pager = count_and_pager(first)
    assert count == "more than 50" and "Page 1 of more than 1" in pager
    assert 'rel="next"' in pager and 'rel="prev"' not in pager
    assert first.count("data-household=") == 50
    second = page(client.get("/households/", {"page": 2}, headers=en))  # counts to 101: exact
    count, pager = count_and_pager(second)
    assert count == "63" and "Page 2 of 2" in pager
    assert 'rel="prev"' in pager and 'rel="next"' not in pager
    assert second.count("data-household=") == 13
    past = page(client.get("/households/", {"page": 9}, headers=en))  # past the end: the last
    assert count_and_pager(past) == (count, pager) and past.count("data-household=") == 13
    filtered = page(client.get("/households/", {"status": "exited"}, headers=en))
    assert "(3)" in filtered and 'class="pager"' not in filtered
    zh = page(client.get("/households/"))  # Chinese, the default language
    assert "超过 50" in zh and "第 1 页，超过 1 页" in zh


def test_filters_and_search(client_for: Any, many: list[Household]) -> None:
    client = client_for("menga-township")

    def listed(**params: Any) -> set[str]:
        html = page(client.get("/households/", params))
        return set(re.findall(r'data-household="(\d+)"', html)) if html else set()

    def numbers(households: list[Household]) -> set[str]:
        return {h.household_no for h in households}

    nabing = numbers(many[:60])
    assert listed(region=NABING, page=1) <= nabing and len(listed(region=NABING)) == 50
    assert listed(region=GASAI) == numbers(many[60:])
    assert listed(status="exited") == numbers(many[60:])
    assert listed(cause="illness", region=GASAI) == set()
    assert len(listed(cause="illness")) == 30  # the even ones; Gasai's are lack_of_skills
    income_record_save(
        actor=None,
        capture=EVERYTHING,
        household=many[0],
        year=2025,
        amounts={"wage_income": "3000"},
    )
    income_record_save(
        actor=None,
        capture=EVERYTHING,
        household=many[1],
        year=2025,
        amounts={"wage_income": "30000"},
    )
    assert listed(income_below="4000") == {many[0].household_no}
    assert listed(income_at_least="4000") == {many[1].household_no}
    guarantee_assess(
        actor=None,
        capture=EVERYTHING,
        household=many[2],
        year=2025,
        assessed_on=dt.date(2025, 10, 1),
        evidence={"house_grade": "D"},
    )
    assert listed(guarantee_problems="yes") == {many[2].household_no}
    assert listed(guarantee_problems="no", region=GASAI) == numbers(many[60:])
    assert listed(guarantee_problems="yes", region=GASAI) == set()
    # search: household number prefix, head's or member's name, exact ID number via its hash
    assert listed(q="5328221062010001") == {"5328221062010001"}
    assert listed(q="532822106201") == numbers(many[60:])
    clear = decrypt_text(many[5].members.order_by("id")[1].id_number_enc)
    assert listed(q=clear) == {many[5].household_no}
    assert listed(q=clear[:-1]) == set(), "part of an ID number finds nothing"
    # an invalid filter is shown beside its field and left out
    html = page(client.get("/households/", {"region": "53282X", "status": "exited"}))
    assert "invalid" in html and set(re.findall(r'data-household="(\d+)"', html)) == numbers(
        many[60:]
    )


def test_export_keeps_the_filters_and_the_scope(client_for: Any, many: list[Household]) -> None:
    import openpyxl

    html = page(client_for("menghai-county").get("/households/", {"status": "exited", "page": 1}))
    link = re.search(r'href="([^"]+)" id="export-households"', html)
    assert link is not None and link.group(1) == "/households/export.xlsx?status=exited"
    response = client_for("menghai-county").get("/households/export.xlsx", {"status": "exited"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="households.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 3
    first = rows[1]
    assert first[0] == "5328221062010000" and first[1] == GASAI and first[3] == "岩温"
    assert first[4] == 3 and isinstance(first[1], str), "codes as text, numbers as numbers"
    everything = client_for("songjiang-office").get("/households/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(everything.streaming_content))).active
    assert sheet.max_row == 1 + 63, "an eastern office exports what its pairing shows"
    outsider = client_for("mangshi-county").get("/households/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(outsider.streaming_content))).active
    assert sheet.max_row == 1, "nothing outside the view scope"


# --- create and edit -------------------------------------------------------------------------


def member_fields(index: int, **values: Any) -> dict[str, Any]:
    base = {"months_worked_away": 0, "speaks_mandarin": "on"}
    return {f"members-{index}-{k}": v for k, v in {**base, **values}.items()}


def new_household_post(no: str = "5328221062079001", **extra: Any) -> dict[str, Any]:
    data = {
        "household_no": no,
        "village_code": NABING,
        "status": "applied",
        "main_cause": "illness",
        "household_type": "",
        "members-TOTAL_FORMS": 3,
        "members-INITIAL_FORMS": 0,
        **member_fields(
            0,
            name="岩坎",
            id_number=id_number(dt.date(1980, 5, 6)),
            relation="head",
            ethnicity="dai",
            insured_basic_medical="on",
        ),
        **member_fields(
            1, name="玉罕", id_number=id_number(dt.date(1982, 1, 2), male=False), relation="spouse"
        ),
        **member_fields(2),  # an empty row: ignored
    }
    data.update(extra)
    return data


def test_create_form_offers_code_lists_and_saves(client_for: Any) -> None:
    client = client_for("nabing-village")
    form = page(client.get("/households/new/"))
    assert '<select name="main_cause"' in form and 'value="lack_of_skills"' in form
    assert '<select name="members-0-relation"' in form and 'value="spouse"' in form
    assert f'<option value="{NABING}"' in form and GASAI not in form, (
        "villages of the capture scope"
    )
    response = client.post("/households/new/", new_household_post())
    household = Household.objects.get(household_no="5328221062079001")
    assert response.status_code == 302 and response["Location"] == f"/households/{household.pk}/"
    assert household.size == 2 and household.head_name == "岩坎" and household.status == "applied"
    assert household.members.get(relation="head").ethnicity == "dai"
    assert AuditEntry.objects.filter(
        object_type="registry.household", object_id=str(household.pk)
    ).exists()


def test_member_problems_show_beside_the_right_member_row(client_for: Any) -> None:
    client = client_for("nabing-village")
    data = new_household_post()
    data["members-1-id_number"] = "532822198201021230"  # wrong check character
    data["members-1-relation"] = "head"  # a second head
    data["members-0-name"] = ""
    response = client.post("/households/new/", data)
    html = page(response)
    first, second = member_row(html, 0), member_row(html, 1)
    assert "[validation_error]" in first and "id_number_checksum" not in first
    assert "[id_number_checksum]" in second and "[validation_error]" not in second
    assert 'id="form-has-errors"' in html
    assert not Household.objects.filter(household_no="5328221062079001").exists()
    # the household-level problem (two heads) is above the rows, the rows keep what was typed
    data = new_household_post()
    data["members-1-relation"] = "head"
    html = page(client.post("/households/new/", data))
    rows_start = html.index('id="member-rows"')
    assert "[household_head_count]" in html[rows_start : html.index('id="member-0"')]
    assert "玉罕" in member_row(html, 1)


def field_html(html: str, name: str) -> str:
    """The form field block (label, input, errors) of the input with this name."""
    at = html.index(f'name="{name}"')
    start = html.rindex('<div class="field', 0, at)
    end = html.find('<div class="field', at)
    return html[start : end if end > 0 else len(html)]


def test_household_problems_show_beside_their_fields(client_for: Any) -> None:
    data = new_household_post(village_code=GASAI) | {"household_no": ""}
    html = page(client_for("admin").post("/households/new/", data))
    number = field_html(html, "household_no")
    assert "invalid" in number and "[validation_error]" in number
    assert "[validation_error]" not in field_html(html, "village_code")
    data = new_household_post(natural_village_code="532822106201001")
    html = page(client_for("menga-township").post("/households/new/", data))
    assert "[region_not_found]" in field_html(html, "natural_village_code")
    assert not Household.objects.exists()


def test_pages_need_sign_in() -> None:
    for url in ("/households/", "/households/1/", "/households/new/", "/households/export.xlsx"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# the household, members, incomes and their linked incomes, guarantees, history, session, user…
RECORD_QUERIES = 17
# The sections of higher apps: assistance (bangfu.assistance.panels: the reader's helper
# record, the current helper with the last visit, the measures, the visits and their photos,
# waiting cases) and projects (bangfu.projects.panels: one query when nothing to show).
PANEL_QUERIES = 6


def test_detail_query_count_does_not_grow_with_members(
    client_for: Any, household: Household, django_assert_max_num_queries: Any
) -> None:
    client = client_for("menghai-county")
    client.get(f"/households/{household.pk}/")
    with django_assert_max_num_queries(RECORD_QUERIES + PANEL_QUERIES):
        page(client.get(f"/households/{household.pk}/"))
    data = household_in(household.household_no, NABING, bank_account="6228480012345678")
    for i in range(6):  # six more children
        data.members.append(
            dataclasses.replace(
                data.members[2], name=f"岩{i}", id_number=id_number(dt.date(2010 + i, 1, 1))
            )
        )
    household_save(actor=None, capture=EVERYTHING, data=data)
    client.get(f"/households/{household.pk}/")
    with django_assert_max_num_queries(RECORD_QUERIES + PANEL_QUERIES):
        html = page(client.get(f"/households/{household.pk}/"))
    assert html.count("data-member=") == 9


def test_add_member_button_adds_a_row_without_saving(client_for: Any) -> None:
    response = client_for("nabing-village").post(
        "/households/new/", new_household_post() | {"add_member": "1"}
    )
    html = page(response)
    assert 'id="member-3"' in html and not Household.objects.exists()


def test_create_needs_a_capture_scope(client_for: Any) -> None:
    auditor = client_for("auditor")
    assert auditor.get("/households/new/").status_code == 403
    assert auditor.post("/households/new/", new_household_post()).status_code == 403
    assert not Household.objects.exists()


@pytest.mark.parametrize("username", ["songjiang-office", "mangshi-county"])
def test_create_only_in_the_capture_scope(client_for: Any, username: str) -> None:
    """Others may create households, in their own villages only: Nabing is not offered, and
    typing it in is refused."""
    client = client_for(username)
    form = page(client.get("/households/new/"))
    assert NABING not in form
    html = page(client.post("/households/new/", new_household_post()))
    assert 'id="form-has-errors"' in html and not Household.objects.exists()


def edit_post(household: Household, **changes: Any) -> dict[str, Any]:
    """The edit form as it comes back unchanged (ID numbers left empty: keep them)."""
    members = list(household.members.order_by("id"))
    data: dict[str, Any] = {
        "village_code": household.village.code,
        "address": household.address,
        "phone": household.phone,
        "main_cause": household.main_cause,
        "poverty_attribute": household.poverty_attribute,
        "bank_name": household.bank_name,
        "members-TOTAL_FORMS": len(members),
        "members-INITIAL_FORMS": len(members),
    }
    for i, m in enumerate(members):
        data.update(
            member_fields(
                i,
                member=m.pk,
                name=m.name,
                relation=m.relation,
                ethnicity=m.ethnicity,
                education=m.education,
                student_status=m.student_status,
                health=m.health,
                labour_skill=m.labour_skill,
            )
        )
        for flag in ("insured_basic_medical", "insured_critical_illness"):
            if getattr(m, flag):
                data[f"members-{i}-{flag}"] = "on"
    data.update(changes)
    return data


def test_edit_keeps_stored_ids_and_bank_account_without_revealing_them(
    client_for: Any, household: Household, users: dict[str, Any]
) -> None:
    client = client_for("menga-township")
    form = page(client.get(f"/households/{household.pk}/edit/"))
    for member in household.members.all():
        assert f'placeholder="{member.id_number_masked}"' in form
    assert "5678" in form and "6228" not in form
    number_input = re.search(r'<input[^>]*name="household_no"[^>]*>', form)
    assert number_input is not None and "disabled" in number_input.group(0)
    ids, account = clear_ids(household), household.bank_account_enc
    logged = AccessLogEntry.objects.count()
    response = client.post(
        f"/households/{household.pk}/edit/",
        edit_post(household, address="纳丙村三组", household_no="9999", reason="入户核实"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    household.refresh_from_db()
    assert household.address == "纳丙村三组" and household.household_no == "5328221062070001"
    assert clear_ids(household) == ids and household.bank_account_enc == account
    assert household.bank_account_last4 == "5678"
    assert AccessLogEntry.objects.count() == logged, "kept numbers are never shown, so not logged"
    audit = AuditEntry.objects.filter(object_id=str(household.pk), action="update").get()
    assert (
        audit.reason == "入户核实"
        and dict((k, a) for k, _b, a in audit.changes())["address"] == "纳丙村三组"
    )


def test_edit_removes_and_adds_members(client_for: Any, household: Household) -> None:
    ids = clear_ids(household)
    data = edit_post(household)
    data["members-2-DELETE"] = "on"
    data["members-TOTAL_FORMS"] = 4
    new = id_number(dt.date(2016, 2, 2), male=False)
    data.update(member_fields(3, name="岩香", id_number=new, relation="daughter"))
    response = client_for("nabing-village").post(f"/households/{household.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    household.refresh_from_db()
    assert sorted(household.members.values_list("name", flat=True)) == ["岩温", "岩香", "玉香"]
    assert clear_ids(household) == [*ids[:2], new] and household.size == 3
    html = page(client_for("songjiang-office").get(f"/households/{household.pk}/"))
    history = html[html.index('id="history"') :]
    assert "岩罕" in history and "岩香" in history, "members added and removed, by name"


@pytest.mark.parametrize("account", ["", "6217 0000 0000 9999"])
def test_edit_changes_or_removes_the_bank_account(
    client_for: Any, household: Household, account: str
) -> None:
    data = edit_post(household, bank_account=account)
    if not account:
        data["remove_bank_account"] = "on"
    response = client_for("nabing-village").post(f"/households/{household.pk}/edit/", data)
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.bank_account_last4 == account[-4:]
    stored = decrypt_text(household.bank_account_enc) if household.bank_account_enc else ""
    assert stored == account.replace(" ", "")


@pytest.mark.parametrize(
    ("username", "status"), [("songjiang-office", 403), ("auditor", 403), ("mangshi-county", 404)]
)
def test_edit_outside_the_capture_scope(
    client_for: Any, household: Household, username: str, status: int
) -> None:
    client = client_for(username)
    assert client.get(f"/households/{household.pk}/edit/").status_code == status
    response = client.post(f"/households/{household.pk}/edit/", edit_post(household, address="X"))
    assert response.status_code == status
    household.refresh_from_db()
    assert household.address == ""


# --- workflow, incomes, guarantees -----------------------------------------------------------


def test_transition_form_records_steps_and_shows_refusals(
    client_for: Any, users: dict[str, Any]
) -> None:
    household = save(status=HouseholdStatus.APPLIED)
    client = client_for("nabing-village")
    url = f"/households/{household.pk}/transition/"
    html = page(client.get(f"/households/{household.pk}/"))
    options = re.findall(
        r'<option value="([a-z_0-9]+)"', html[html.index('id="transition-form"') :]
    )
    assert {"village_reviewed", "rejected"} <= set(options)
    step = {"to_status": "village_reviewed", "level": "village", "on_date": "2026-03-01"}
    response = client.post(url, step)
    assert response.status_code == 302 and response["Location"] == f"/households/{household.pk}/"
    household.refresh_from_db()
    assert household.status == "village_reviewed"
    # a posting without its period is refused beside the field
    html = page(
        client.post(url, {"to_status": "posted_1", "level": "village", "on_date": "2026-03-02"})
    )
    assert "[workflow_posting_period]" in html
    form = html[html.index('id="transition-form"') :]
    assert "invalid" in form[: form.index("[workflow_posting_period]")]
    client.post(
        url,
        {
            "to_status": "posted_1",
            "level": "village",
            "on_date": "2026-03-02",
            "posting_start": "2026-03-02",
            "posting_end": "2026-03-09",
        },
    )
    # an objection sends it back, with a reason
    html = page(
        client.post(
            url,
            {
                "to_status": "village_reviewed",
                "level": "village",
                "on_date": "2026-03-05",
                "objection": "on",
            },
        )
    )
    assert "[validation_error]" in html
    client.post(
        url,
        {
            "to_status": "village_reviewed",
            "level": "village",
            "on_date": "2026-03-05",
            "objection": "on",
            "reason": "村民异议",
        },
    )
    steps = list(
        StatusChange.objects.filter(household=household).values_list(
            "to_status", "objection", "actor"
        )
    )
    nabing = users["nabing-village"].pk
    assert steps == [
        ("village_reviewed", False, nabing),
        ("posted_1", False, nabing),
        ("village_reviewed", True, nabing),
    ]
    html = page(client.get(f"/households/{household.pk}/"))
    changes = html[html.index('id="status-changes"') :]
    assert "村民异议" in changes and "2026-03-02 – 2026-03-09" in changes
    # a step the workflow does not allow is refused
    html = page(
        client.post(url, {"to_status": "exited", "level": "county", "on_date": "2026-03-06"})
    )
    assert "exited" in html and StatusChange.objects.filter(household=household).count() == 3
    for username, status in (("songjiang-office", 403), ("auditor", 403), ("mangshi-county", 404)):
        assert client_for(username).post(url, step).status_code == status


def test_income_form_derives_per_person_figures(client_for: Any, household: Household) -> None:
    client = client_for("nabing-village")
    url = f"/households/{household.pk}/income/"
    prefilled = page(client.get(url, {"year": 2025}))
    assert 'value="15000.00"' in prefilled
    bad = page(client.post(url, {"year": 2026, "wage_income": "-5"}))
    assert "wage_income" in bad and "errorlist" in bad
    response = client.post(
        url, {"year": 2026, "wage_income": "12000", "transfer_income": "600", "persons": 3}
    )
    assert response.status_code == 302
    record = household.incomes.get(year=2026)
    assert record.net_income_pc == Decimal("4200.00")
    html = page(client.get(f"/households/{household.pk}/"))
    assert (
        "4,200.00" in html and html[html.index("<svg") : html.index("</svg>")].count("<rect") == 3
    )
    assert client_for("songjiang-office").get(url).status_code == 403


def test_guarantee_form_shows_derived_results_and_reasons(
    client_for: Any, household: Household
) -> None:
    client = client_for("nabing-village")
    url = f"/households/{household.pk}/guarantee/"
    form = page(client.get(url))
    assert '<select name="house_grade"' in form and 'value="D"' in form
    response = client.post(
        url,
        {
            "year": 2026,
            "assessed_on": "2026-01-10",
            "food_secure": "on",
            "clothing_secure": "on",
            "house_grade": "D",
            "water_litres_per_day": "20",
            "water_quality_ok": "true",
            "water_trip_minutes": "5",
            "water_interruption_days": "3",
            "notes": "村医核查",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = household.guarantees.get(year=2026)
    assert not row.housing_ok and not row.water_ok and row.evidence == {"text": "村医核查"}
    html = page(client.get(f"/households/{household.pk}/"))
    article = html[html.index('data-year="2026"') : html.index('data-year="2025"')]
    assert article.count('class="fail"') == 2 and "D" in article and "20" in article
    assert "村医核查" in article
    assert client_for("mangshi-county").get(url).status_code == 404


def test_member_ids_in_the_database_never_reach_a_page_unasked(
    client_for: Any, household: Household
) -> None:
    client = client_for("admin")
    numbers = clear_ids(household)
    for url in (
        "/households/",
        f"/households/{household.pk}/",
        f"/households/{household.pk}/edit/",
    ):
        html = page(client.get(url))
        assert not any(n in html for n in numbers), url
    assert Member.objects.filter(household=household).count() == 3
