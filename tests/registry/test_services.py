"""Registry writes: validation naming every problem, upserts with history, protected IDs,
workflow steps, derived incomes and guarantee results."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bangfu.audit.models import AuditEntry
from bangfu.core.errors import BangfuError
from bangfu.core.protect import decrypt_text
from bangfu.regions.scope import RegionScope
from bangfu.registry.models import Household, HouseholdStatus, Member, StatusChange
from bangfu.registry.services import (
    ValidationFailed,
    guarantee_assess,
    household_save,
    household_transition,
    income_record_save,
)
from tests.registry.factories import household_in, id_number

pytestmark = pytest.mark.django_db
NABING = RegionScope.of(["532822106207"])


def test_a_household_is_created_with_protected_ids_and_audited(users: dict[str, Any]) -> None:
    data = household_in()
    household, outcome = household_save(actor=users["nabing-village"], capture=NABING, data=data)
    assert outcome == "created" and household.size == 3 and household.head_name == "岩温"
    assert household.main_cause == "lack_of_skills" and household.poverty_attribute
    head = household.members.get(relation="head")
    assert head.ethnicity == "dai" and head.sex == "M" and head.birth_date == dt.date(1975, 3, 2)
    clear = str(data.members[0].id_number)
    assert clear not in head.id_number_enc and decrypt_text(head.id_number_enc) == clear
    assert head.id_number_masked == clear[:6] + "*" * 10 + clear[-2:]
    entry = AuditEntry.objects.get(object_type="registry.household", object_id=str(household.pk))
    assert entry.actor == users["nabing-village"]
    assert clear not in str(entry.after), "history never holds an ID number in clear"


def test_saving_the_same_data_twice_changes_nothing() -> None:
    data = household_in()
    household_save(actor=None, capture=NABING, data=data)
    before = AuditEntry.objects.count()
    _, outcome = household_save(actor=None, capture=NABING, data=data)
    assert outcome == "unchanged" and AuditEntry.objects.count() == before


def test_an_edit_updates_and_records_before_and_after() -> None:
    data = household_in()
    household_save(actor=None, capture=NABING, data=data)
    data.members[1].education = "初中"
    data.members.pop(2)
    household, outcome = household_save(actor=None, capture=NABING, data=data, reason="核实")
    assert outcome == "updated" and household.size == 2 and household.members.count() == 2
    entry = AuditEntry.objects.filter(object_type="registry.household", action="update").get()
    changed = dict((k, (b, a)) for k, b, a in entry.changes())
    assert changed["size"] == (3, 2) and entry.reason == "核实"


def test_every_problem_is_named_with_its_member() -> None:
    data = household_in(village_code="532822106999", main_cause="因穷")
    data.members[0].id_number = "532822197503021230"  # wrong check character
    data.members[1].relation = "户主"  # a second head
    data.members[2].ethnicity = "火星族"
    with pytest.raises(ValidationFailed) as caught:
        household_save(actor=None, capture=RegionScope.everything(), data=data)
    found = {(p.field, p.code, p.member) for p in caught.value.problems}
    assert ("village_code", "region_not_found", None) in found
    assert ("main_cause", "code_unknown", None) in found
    assert ("id_number", "id_number_checksum", 0) in found
    assert ("ethnicity", "code_unknown", 2) in found
    assert not Household.objects.filter(household_no=data.household_no).exists()


def test_two_heads_are_refused() -> None:
    data = household_in()
    data.members[1].relation = "户主"
    with pytest.raises(ValidationFailed) as caught:
        household_save(actor=None, capture=NABING, data=data)
    assert [p.code for p in caught.value.problems] == ["household_head_count"]


def test_the_same_id_in_two_households_is_refused() -> None:
    first = household_in()
    household_save(actor=None, capture=NABING, data=first)
    second = household_in(no="5328221062070002")
    second.members[2] = dataclasses.replace(second.members[2], id_number=first.members[2].id_number)
    with pytest.raises(ValidationFailed) as caught:
        household_save(actor=None, capture=NABING, data=second)
    problem = caught.value.problems[0]
    assert (problem.code, problem.member) == ("id_number_duplicate", 2)
    assert "5328221062070001" in problem.message
    assert Member.objects.count() == 3


def test_capture_scope_is_enforced() -> None:
    with pytest.raises(ValidationFailed) as caught:
        household_save(actor=None, capture=RegionScope.of(["532822106201"]), data=household_in())
    assert caught.value.problems[0].code == "permission_denied"


def test_identification_workflow_with_postings_and_objection(users: dict[str, Any]) -> None:
    household, _ = household_save(
        actor=None, capture=NABING, data=household_in(status=HouseholdStatus.APPLIED)
    )
    day = dt.date(2026, 3, 1)
    step = dict(actor=users["nabing-village"], capture=NABING, household=household, on_date=day)
    household_transition(**step, to_status="village_reviewed", level="village")
    with pytest.raises(BangfuError, match="first and last day"):
        household_transition(**step, to_status="posted_1", level="village")
    household_transition(
        **step,
        to_status="posted_1",
        level="village",
        posting_start=day,
        posting_end=day + dt.timedelta(days=7),
    )
    with pytest.raises(BangfuError) as caught:
        household_transition(**step, to_status="registered", level="county")
    assert caught.value.code == "workflow_transition_invalid"
    household_transition(
        **step,
        to_status="village_reviewed",
        level="village",
        objection=True,
        reason="村民异议：有商品房",
    )
    assert household.status == "village_reviewed"
    steps = list(
        StatusChange.objects.filter(household=household).values_list("to_status", "objection")
    )
    assert steps == [("village_reviewed", False), ("posted_1", False), ("village_reviewed", True)]


def test_income_figures_are_derived_exactly() -> None:
    household, _ = household_save(actor=None, capture=NABING, data=household_in())
    record = income_record_save(
        actor=None,
        capture=NABING,
        household=household,
        year=2025,
        amounts={
            "wage_income": "12000",
            "business_income": "5000.50",
            "business_costs": "1200.25",
            "property_income": "300",
            "transfer_income": "2400",
            "medical_spending": "3000",
        },
    )
    assert record.net_income == Decimal("18500.25")
    assert record.net_income_pc == Decimal("6166.75")
    assert record.net_income_pc_after_rigid == Decimal("5166.75")
    household.refresh_from_db()
    assert (
        household.latest_net_income_pc == Decimal("6166.75")
        and household.latest_income_year == 2025
    )
    with pytest.raises(BangfuError, match="not an amount"):
        income_record_save(
            actor=None,
            capture=NABING,
            household=household,
            year=2025,
            amounts={"wage_income": "12k"},
        )
    for not_finite in ("NaN", "Infinity"):  # Decimal reads them; they are not amounts
        with pytest.raises(BangfuError, match="not an amount"):
            income_record_save(
                actor=None,
                capture=NABING,
                household=household,
                year=2025,
                amounts={"wage_income": not_finite},
            )


def test_guarantees_are_derived_from_evidence() -> None:
    data = household_in()
    data.members[2].student_status = "非在校生"  # a 11-year-old out of school
    data.members[1].insured_critical_illness = False
    household, _ = household_save(actor=None, capture=NABING, data=data)
    row = guarantee_assess(
        actor=None,
        capture=NABING,
        household=household,
        year=2025,
        assessed_on=dt.date(2025, 11, 1),
        evidence={
            "house_grade": "c",
            "water_litres_per_day": Decimal("30"),
            "water_quality_ok": True,
            "water_trip_minutes": 15,
            "water_interruption_days": 10,
        },
    )
    assert (row.education_ok, row.medical_ok, row.housing_ok, row.water_ok) == (
        False,
        False,
        False,
        False,
    )
    codes = sorted(p["code"] for p in row.problems)
    assert codes == [
        "child_out_of_school",
        "house_unsafe",
        "member_not_insured",
        "water_quantity_low",
    ]
    household.refresh_from_db()
    assert household.open_guarantee_problems == 4
    fixed = guarantee_assess(
        actor=None,
        capture=NABING,
        household=household,
        year=2025,
        assessed_on=dt.date(2025, 12, 1),
        evidence={"house_grade": "B", "water_litres_per_day": Decimal("40")},
    )
    assert fixed.housing_ok and fixed.water_ok and not fixed.education_ok


def test_id_numbers_in_generated_data_are_valid() -> None:
    from bangfu.registry.idnumber import parse_id_number

    assert parse_id_number(id_number(dt.date(2001, 1, 1), male=False)).sex == "F"


def test_production_and_living_conditions_are_validated_and_audited() -> None:
    from bangfu.registry.services import household_conditions_save

    household, _ = household_save(actor=None, capture=NABING, data=household_in())
    household_conditions_save(
        actor=None,
        capture=NABING,
        household=household,
        production={"arable_mu": "4.5", "cattle": "2", "cooperative_member": True},
        living={"house_area_m2": "86", "road_type": "水泥路", "sanitary_toilet": True},
    )
    household.refresh_from_db()
    assert household.production.arable_mu == Decimal("4.50") and household.production.cattle == 2
    assert household.living.road_type == "水泥路"
    with pytest.raises(BangfuError) as caught:
        household_conditions_save(
            actor=None, capture=NABING, household=household, production={"pigs": "-1"}, living={}
        )
    assert caught.value.field == "pigs"
    assert household.production.pigs == 0
    before = AuditEntry.objects.count()
    household_conditions_save(
        actor=None,
        capture=NABING,
        household=household,
        production={"arable_mu": "4.5", "cattle": "2", "cooperative_member": True},
        living={"house_area_m2": "86", "road_type": "水泥路", "sanitary_toilet": True},
    )
    assert AuditEntry.objects.count() == before, "unchanged values record nothing"
