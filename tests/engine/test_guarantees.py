"""两不愁三保障 + 饮水安全 derived from evidence, one rule at a time (POLICY.md §2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bangfu.engine.guarantees import Evidence, GuaranteeParams, MemberFacts, age_on, assess

PARAMS = GuaranteeParams()
DAY = date(2025, 9, 1)
INSURED = frozenset({"basic_medical", "critical_illness"})


def evidence(**overrides: object) -> Evidence:
    base: dict[str, object] = {
        "assessed_on": DAY,
        "food_secure": True,
        "clothing_secure": True,
        "house_grade": "A",
        "water_litres_per_day": Decimal("50"),
        "water_quality_ok": True,
        "water_piped_in": True,
        "water_interruption_days": 0,
    }
    base.update(overrides)
    return Evidence(**base)  # type: ignore[arg-type]


def member(
    name: str,
    born: date,
    student: str = "primary",
    health: str = "healthy",
    insured: frozenset[str] = INSURED,
) -> MemberFacts:
    return MemberFacts(
        name=name, birth_date=born, student_status=student, health=health, insured=insured
    )


def codes(result: object) -> list[str]:
    return [p.code for p in result.problems]  # type: ignore[attr-defined]


def test_a_secure_household_has_no_problems() -> None:
    result = assess(evidence(), [member("户主", date(1980, 1, 1), student="not_student")], PARAMS)
    assert codes(result) == [] and all(
        result.ok(g) for g in ("food", "education", "medical", "housing", "water")
    )


@pytest.mark.parametrize(
    ("born", "student", "health", "problem"),
    [
        (date(2015, 9, 1), "not_student", "healthy", True),  # 10, out of school
        (date(2019, 9, 2), "not_student", "healthy", False),  # turns 6 tomorrow: not yet of age
        (date(2019, 9, 1), "not_student", "healthy", True),  # 6 today
        (date(2009, 9, 2), "not_student", "healthy", True),  # still 15
        (date(2009, 9, 1), "not_student", "healthy", False),  # 16 today: past compulsory age
        (date(2015, 9, 1), "not_student", "serious_illness", False),  # health reasons exempt
        (date(2015, 9, 1), "primary", "healthy", False),
    ],
)
def test_compulsory_education_ages_6_to_15(
    born: date, student: str, health: str, problem: bool
) -> None:
    result = assess(evidence(), [member("孩子", born, student, health)], PARAMS)
    assert ("child_out_of_school" in codes(result)) is problem


def test_age_counts_birthdays() -> None:
    assert age_on(date(2010, 3, 1), date(2025, 2, 28)) == 14
    assert age_on(date(2010, 3, 1), date(2025, 3, 1)) == 15


def test_every_member_needs_both_insurances() -> None:
    result = assess(
        evidence(), [member("甲", date(1970, 1, 1), insured=frozenset({"basic_medical"}))], PARAMS
    )
    assert [(p.code, p.detail["missing"]) for p in result.problems] == [
        ("member_not_insured", "critical_illness")
    ]


@pytest.mark.parametrize(
    ("grade", "ok"), [("A", True), ("B", True), ("C", False), ("D", False), ("", False)]
)
def test_only_grades_a_and_b_are_safe(grade: str, ok: bool) -> None:
    assert assess(evidence(house_grade=grade), [], PARAMS).ok("housing") is ok


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"water_litres_per_day": Decimal("34.9")}, ["water_quantity_low"]),
        ({"water_litres_per_day": Decimal("35")}, []),
        ({"water_litres_per_day": Decimal("20"), "water_scarce_area": True}, []),
        (
            {"water_litres_per_day": Decimal("19.9"), "water_scarce_area": True},
            ["water_quantity_low"],
        ),
        ({"water_litres_per_day": None}, ["water_quantity_not_assessed"]),
        ({"water_quality_ok": False}, ["water_quality_failed"]),
        ({"water_piped_in": False, "water_trip_minutes": 20}, []),
        ({"water_piped_in": False, "water_trip_minutes": 21}, ["water_inconvenient"]),
        ({"water_piped_in": False, "water_trip_minutes": 30, "water_horizontal_m": 800}, []),
        ({"water_piped_in": False, "water_vertical_m": 81}, ["water_inconvenient"]),
        ({"water_interruption_days": 36}, []),
        ({"water_interruption_days": 37}, ["water_unreliable"]),
        ({"water_interruption_days": None}, ["water_reliability_not_assessed"]),
    ],
)
def test_water_needs_all_four_indicators(overrides: dict[str, object], expected: list[str]) -> None:
    assert codes(assess(evidence(**overrides), [], PARAMS)) == expected


def test_food_and_clothing() -> None:
    result = assess(evidence(food_secure=False, clothing_secure=False), [], PARAMS)
    assert codes(result) == ["food_insecure", "clothing_insecure"]
