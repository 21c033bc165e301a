"""两不愁三保障 + 饮水安全: each result derived from evidence by the parameters in force
(POLICY.md §2 and §8 items 16–19). Pure: plain data in, results with reasons out.

A result fails with a reason code and the values that triggered it, so every problem on a
worklist explains itself. Missing evidence is itself a problem ("not assessed"), never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class GuaranteeParams:
    safe_house_grades: frozenset[str] = frozenset({"A", "B"})
    water_min_litres_rich: Decimal = Decimal(35)
    water_min_litres_scarce: Decimal = Decimal(20)
    water_max_trip_minutes: int = 20
    water_max_horizontal_m: int = 800
    water_max_vertical_m: int = 80
    water_max_interruption_days: int = 36
    school_age_from: int = 6
    school_age_to: int = 15
    required_insurance: frozenset[str] = frozenset({"basic_medical", "critical_illness"})


@dataclass(frozen=True)
class MemberFacts:
    name: str
    birth_date: date
    student_status: str  # code from the student_status list; "not_student" means out of school
    health: str  # code from the health list
    insured: frozenset[str]  # e.g. {"basic_medical", "critical_illness"}


@dataclass(frozen=True)
class Evidence:
    assessed_on: date
    food_secure: bool
    clothing_secure: bool
    house_grade: str
    relocated: bool = False
    water_litres_per_day: Decimal | None = None
    water_quality_ok: bool | None = None
    water_piped_in: bool = False
    water_trip_minutes: int | None = None
    water_horizontal_m: int | None = None
    water_vertical_m: int | None = None
    water_interruption_days: int | None = None
    water_scarce_area: bool = False


@dataclass(frozen=True)
class Problem:
    guarantee: str  # food, clothing, education, medical, housing, water
    code: str  # stable reason code
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GuaranteeResult:
    problems: tuple[Problem, ...]

    def ok(self, guarantee: str) -> bool:
        return not any(p.guarantee == guarantee for p in self.problems)


NOT_IN_SCHOOL = "not_student"
EXEMPT_HEALTH = frozenset({"serious_illness", "disabled"})


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def assess(
    evidence: Evidence, members: list[MemberFacts], params: GuaranteeParams
) -> GuaranteeResult:
    problems: list[Problem] = []
    if not evidence.food_secure:
        problems.append(Problem("food", "food_insecure"))
    if not evidence.clothing_secure:
        problems.append(Problem("clothing", "clothing_insecure"))
    problems += _education(evidence.assessed_on, members, params)
    problems += _medical(members, params)
    problems += _housing(evidence, params)
    problems += _water(evidence, params)
    return GuaranteeResult(tuple(problems))


def _education(day: date, members: list[MemberFacts], params: GuaranteeParams) -> list[Problem]:
    """No child of compulsory-school age out of school, except for health reasons."""
    return [
        Problem(
            "education",
            "child_out_of_school",
            {"member": m.name, "age": str(age_on(m.birth_date, day))},
        )
        for m in members
        if params.school_age_from <= age_on(m.birth_date, day) <= params.school_age_to
        and m.student_status == NOT_IN_SCHOOL
        and m.health not in EXEMPT_HEALTH
    ]


def _medical(members: list[MemberFacts], params: GuaranteeParams) -> list[Problem]:
    return [
        Problem(
            "medical",
            "member_not_insured",
            {"member": m.name, "missing": ",".join(sorted(missing))},
        )
        for m in members
        if (missing := params.required_insurance - m.insured)
    ]


def _housing(evidence: Evidence, params: GuaranteeParams) -> list[Problem]:
    if not evidence.house_grade:
        return [Problem("housing", "house_not_assessed")]
    if evidence.house_grade not in params.safe_house_grades:
        return [Problem("housing", "house_unsafe", {"grade": evidence.house_grade})]
    return []


def _water(evidence: Evidence, params: GuaranteeParams) -> list[Problem]:
    """All four indicators must pass: quantity, quality, convenience, reliability."""
    problems: list[Problem] = []
    minimum = (
        params.water_min_litres_scarce
        if evidence.water_scarce_area
        else params.water_min_litres_rich
    )
    if evidence.water_litres_per_day is None:
        problems.append(Problem("water", "water_quantity_not_assessed"))
    elif evidence.water_litres_per_day < minimum:
        problems.append(
            Problem(
                "water",
                "water_quantity_low",
                {"litres": str(evidence.water_litres_per_day), "minimum": str(minimum)},
            )
        )
    if evidence.water_quality_ok is None:
        problems.append(Problem("water", "water_quality_not_assessed"))
    elif not evidence.water_quality_ok:
        problems.append(Problem("water", "water_quality_failed"))
    if not _water_convenient(evidence, params):
        problems.append(
            Problem(
                "water",
                "water_inconvenient",
                {
                    "minutes": str(evidence.water_trip_minutes),
                    "horizontal_m": str(evidence.water_horizontal_m),
                    "vertical_m": str(evidence.water_vertical_m),
                },
            )
        )
    days = evidence.water_interruption_days
    if days is None:
        problems.append(Problem("water", "water_reliability_not_assessed"))
    elif days > params.water_max_interruption_days:
        problems.append(
            Problem(
                "water",
                "water_unreliable",
                {"days": str(days), "maximum": str(params.water_max_interruption_days)},
            )
        )
    return problems


def _water_convenient(evidence: Evidence, params: GuaranteeParams) -> bool:
    """Piped in, or a single trip, a horizontal or a vertical distance within its limit."""
    return (
        evidence.water_piped_in
        or (
            evidence.water_trip_minutes is not None
            and evidence.water_trip_minutes <= params.water_max_trip_minutes
        )
        or (
            evidence.water_horizontal_m is not None
            and evidence.water_horizontal_m <= params.water_max_horizontal_m
        )
        or (
            evidence.water_vertical_m is not None
            and evidence.water_vertical_m <= params.water_max_vertical_m
        )
    )
