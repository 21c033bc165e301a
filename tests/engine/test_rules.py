"""Monitoring rules (bangfu.engine.rules) on hand-worked households, edges first."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl
import pytest

from bangfu.engine import policy, rules

YEAR = 2025


def _policy(province: str = "53", **changes: Any) -> policy.RulePolicy:
    base = policy.rule_policy(policy.shipped(), YEAR, province)
    values = {
        "poverty_line": Decimal(4000),
        "threshold": Decimal(6000),
        "income_definition": "net",
        "rigid_vs_previous_income": Fraction(1),
        "rigid_share_of_income": None,
        "income_drop_share": Fraction(1, 2),
        "min_stable_months": 6,
        "defer_for_no_labour": True,
        "max_incidence": Fraction(3, 100),
    } | changes
    return policy.RulePolicy(
        year=YEAR,
        province=province,
        identify_deadline_days=base.identify_deadline_days,
        measure_deadline_days=base.measure_deadline_days,
        **values,
    )


def _fen(yuan: str | int | None) -> int | None:
    return None if yuan is None else rules.to_fen(Decimal(str(yuan)))


def household(hid: int, **kw: Any) -> dict[str, Any]:
    row = {
        "household_id": hid,
        "village": "532822106207",
        "township": "532822106000",
        "county": "532822000000",
        "province": "53",
        "status": "exited",
        "household_type": "exited",
        "size": 4,
        "case_open": False,
        "case_months": None,
    }
    return row | kw


def income(hid: int, year: int = YEAR, pc: str | int = 8000, persons: int = 4, **kw: Any) -> dict:
    net = Decimal(str(pc)) * persons
    row = {
        "household_id": hid,
        "year": year,
        "net_income_fen": _fen(net),
        "net_income_pc_fen": _fen(pc),
        "after_rigid_pc_fen": _fen(pc),
        "wage_fen": _fen(net),
        "business_net_fen": 0,
        "medical_fen": 0,
        "education_fen": 0,
        "rehabilitation_fen": 0,
        "disaster_fen": 0,
    }
    return row | {k: _fen(v) if k.endswith("_fen") else v for k, v in kw.items()}


def member(hid: int, **kw: Any) -> dict[str, Any]:
    return {
        "household_id": hid,
        "health": "healthy",
        "disability_grade": "",
        "labour_skill": "ordinary",
    } | kw


def assessment(hid: int, year: int = YEAR, **failed: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"household_id": hid, "year": year}
    row |= {f"{g}_ok": True for g in rules.GUARANTEES}
    row |= {f"{g}_ok": ok for g, ok in failed.items()}
    return row


def evaluate(
    households: list[dict],
    incomes: list[dict],
    members: list[dict] | None = None,
    assessments: list[dict] | None = None,
    policies: dict[str, policy.RulePolicy] | None = None,
) -> dict[int, dict[str, Any]]:
    members = members if members is not None else [member(h["household_id"]) for h in households]
    assessments = assessments if assessments is not None else []
    guarantee_schema = {"household_id": pl.Int64, "year": pl.Int64} | {
        f"{g}_ok": pl.Boolean for g in rules.GUARANTEES
    }
    facts = rules.household_facts(
        pl.DataFrame(households, schema_overrides={"case_months": pl.Int64}),
        pl.DataFrame(members),
        pl.DataFrame(incomes),
        pl.DataFrame(assessments, schema=guarantee_schema),
        year=YEAR,
    )
    out = rules.evaluate(facts, policies or {"53": _policy()})
    return {r["household_id"]: r for r in out.to_dicts()}


def test_income_exactly_on_the_threshold_is_not_below_it():
    got = evaluate(
        [household(1), household(2)],
        [income(1, pc="5999.99"), income(2, pc="6000.00")],
    )
    assert got[1]["below_threshold"] and got[1]["category"] == "unstable_exited"
    assert got[1]["alert"] and got[1]["reasons"] == "income_below_threshold"
    assert (got[1]["income_fen"], got[1]["threshold_fen"]) == (599999, 600000)
    assert not got[2]["below_threshold"] and got[2]["category"] is None and not got[2]["alert"]


def test_categories_follow_the_household_status():
    got = evaluate(
        [
            household(1, status="ordinary", household_type="ordinary"),
            household(2, status="registered", household_type="exited"),
            household(3, status="ordinary", household_type="ordinary"),
        ],
        [income(1, pc=5000), income(2, pc=3000), income(3, pc=7000)],
    )
    assert got[1]["category"] == "marginal"
    # Registered poor (not exited) are managed by exit, not monitoring.
    assert got[2]["category"] is None and not got[2]["alert"] and got[2]["registered_poor"]
    assert got[3]["category"] is None


def test_rigid_spending_above_last_years_income_is_a_shock_equal_is_not():
    hh = [household(i, status="ordinary", household_type="ordinary") for i in (1, 2)]
    got = evaluate(
        hh,
        [
            income(1, year=YEAR - 1, pc="2125"),  # last year: 8,500 for 4 persons
            income(1, pc=8000, medical_fen="8500.01"),
            income(2, year=YEAR - 1, pc="2125"),
            income(2, pc=8000, medical_fen="8500.00"),
        ],
        members=[member(1, health="serious_illness"), member(2)],
    )
    assert got[1]["rigid_shock"] and got[1]["category"] == "sudden_hardship"
    assert got[1]["reasons"] == "rigid_spending_shock"
    assert got[1]["risk_types"] == "illness"
    assert got[1]["rigid_fen"] == 850001 and got[1]["prev_net_income_fen"] == 850000
    assert not got[2]["rigid_shock"] and got[2]["category"] is None


def test_rigid_share_of_this_years_income_when_switched_on():
    hh = [household(1, status="ordinary", household_type="ordinary")]
    incomes = [income(1, pc=10000, education_fen="20000.01")]  # net 40,000
    off = evaluate(hh, incomes)
    on = evaluate(hh, incomes, policies={"53": _policy(rigid_share_of_income=Fraction(1, 2))})
    assert not off[1]["rigid_shock"]
    assert on[1]["rigid_shock"] and on[1]["risk_types"] == "schooling"


def test_income_collapse_is_more_than_the_share_half_exactly_is_not():
    hh = [household(1), household(2)]
    got = evaluate(
        hh,
        [
            income(1, year=YEAR - 1, pc=14000),
            income(1, pc="6999.99"),  # fell by 7,000.01 of 14,000
            income(2, year=YEAR - 1, pc=14000),
            income(2, pc="7000.00"),  # fell by exactly one half
        ],
    )
    assert got[1]["income_collapse"] and got[1]["category"] == "unstable_exited"
    assert got[1]["risk_types"] == "unstable_employment"  # the wages fell
    assert not got[2]["income_collapse"] and got[2]["category"] is None


def test_collapse_of_business_income_suggests_failed_industry():
    got = evaluate(
        [household(1)],
        [
            income(1, year=YEAR - 1, pc=10000, wage_fen=10000, business_net_fen=30000),
            income(1, pc=4000, wage_fen=10000, business_net_fen=6000),
        ],
    )
    assert got[1]["income_collapse"]
    assert got[1]["risk_types"] == "industry_failure"
    assert got[1]["business_drop_fen"] == 2400000 and got[1]["wage_drop_fen"] == 0


def test_guarantee_failures_name_the_guarantee_and_suggest_the_risk():
    got = evaluate(
        [household(1), household(2)],
        [income(1, pc=9000), income(2, pc=9000)],
        members=[member(1, labour_skill="none"), member(2, disability_grade="grade_2")],
        assessments=[assessment(1, housing=False, water=False), assessment(2)],
    )
    assert got[1]["guarantee_failure"] and got[1]["guarantees_failed"] == "housing,water"
    assert got[1]["category"] == "unstable_exited" and got[1]["reasons"] == "guarantee_failure"
    assert got[1]["risk_types"] == "lack_of_labour,housing_safety,water_safety"
    assert not got[2]["guarantee_failure"] and got[2]["category"] is None
    assert got[2]["risk_types"] == ""  # risk types only for categorised households


def test_a_household_without_an_income_record_is_not_judged_on_income():
    got = evaluate([household(1)], [income(1, year=YEAR - 1, pc=9000)])
    assert got[1]["income_missing"] and not got[1]["below_threshold"]
    assert got[1]["category"] is None and not got[1]["alert"]


def test_exit_check_for_registered_poor_households():
    poor = {"status": "registered", "household_type": ""}
    got = evaluate(
        [household(1, **poor), household(2, **poor), household(3, **poor), household(4)],
        [income(1, pc=4000), income(2, pc="3999.99"), income(3, pc=5000), income(4, pc=9000)],
        assessments=[assessment(1), assessment(2), assessment(4)],
    )
    assert got[1]["exit_ok"] is True and got[1]["exit_reasons"] == ""  # on the line: not poor
    assert got[2]["exit_ok"] is False and got[2]["exit_reasons"] == "income_below_line"
    assert got[3]["exit_ok"] is False and got[3]["exit_reasons"] == "guarantees_not_assessed"
    assert got[4]["exit_ok"] is None  # not registered poor


def test_risk_elimination_of_open_cases():
    case = {"case_open": True}
    got = evaluate(
        [
            household(1, case_months=6, **case),
            household(2, case_months=5, **case),
            household(3, case_months=12, **case),
            household(4, case_months=12, **case),
        ],
        [income(1, pc=7000), income(2, pc=7000), income(3, pc=7000), income(4, pc=5000)],
        members=[member(1), member(2), member(3, labour_skill="lost"), member(4)],
    )
    assert got[1]["elimination"] == "eligible" and got[1]["elimination_reasons"] == ""
    assert got[2]["elimination"] == "not_yet" and got[2]["elimination_reasons"] == "too_recent"
    assert got[3]["elimination"] == "deferred_no_labour"
    assert got[4]["elimination"] == "not_yet"
    assert got[4]["elimination_reasons"] == "income_below_threshold"
    # An open case is already on the books: no new alert although the category holds.
    assert got[4]["category"] == "unstable_exited" and not got[4]["alert"]
    no_defer = evaluate(
        [household(3, case_months=12, **case)],
        [income(3, pc=7000)],
        members=[member(3, labour_skill="lost")],
        policies={"53": _policy(defer_for_no_labour=False)},
    )
    assert no_defer[3]["elimination"] == "eligible"


def test_each_province_is_judged_by_its_own_policy():
    got = evaluate(
        [household(1, province="21"), household(2, province="53")],
        [income(1, pc=7000), income(2, pc=7000)],
        policies={"21": _policy("21", threshold=Decimal(7260)), "53": _policy()},
    )
    assert got[1]["below_threshold"] and got[1]["threshold_fen"] == 726000
    assert not got[2]["below_threshold"] and got[2]["threshold_fen"] == 600000


def test_income_after_rigid_spending_when_the_policy_says_so():
    row = income(1, pc=7000, after_rigid_pc_fen="5500")
    net = evaluate([household(1)], [row])
    after = evaluate(
        [household(1)], [row], policies={"53": _policy(income_definition="after_rigid")}
    )
    assert not net[1]["below_threshold"]
    assert after[1]["below_threshold"] and after[1]["income_fen"] == 550000


def test_evaluate_refuses_to_run_without_a_policy():
    with pytest.raises(ValueError, match="no policy"):
        rules.evaluate(pl.DataFrame({"household_id": [1]}), {})


def test_lazy_in_lazy_out():
    facts = rules.household_facts(
        pl.DataFrame([household(1)], schema_overrides={"case_months": pl.Int64}).lazy(),
        pl.DataFrame([member(1)]).lazy(),
        pl.DataFrame([income(1, pc=5000)]).lazy(),
        pl.DataFrame([assessment(1)]).lazy(),
        year=YEAR,
    )
    out = rules.evaluate(facts, {"53": _policy()})
    assert isinstance(out, pl.LazyFrame)
    assert out.collect()["category"].to_list() == ["unstable_exited"]


def _villages(sizes_and_poor: list[tuple[str, str, int, int]]) -> pl.DataFrame:
    rows = []
    for village, province, persons, poor in sizes_and_poor:
        for i in range(persons):
            rows.append(
                {
                    "village": village,
                    "province": province,
                    "size": 1,
                    "status": "registered" if i < poor else "exited",
                }
            )
    return pl.DataFrame(rows)


def test_incidence_below_the_maximum_is_strict_and_exact():
    facts = _villages(
        [
            ("A", "53", 100, 3),
            ("B", "53", 100, 2),
            ("C", "31", 100, 2),
            ("D", "31", 100, 1),
            ("E", "31", 3, 0),
        ]
    )
    policies = {"53": _policy(), "31": _policy("31", max_incidence=Fraction(2, 100))}
    got = {r["village"]: r for r in rules.incidence(facts, policies, by=["village"]).to_dicts()}
    assert got["A"]["incidence"] == pytest.approx(0.03) and got["A"]["exit_ok"] is False
    assert got["B"]["exit_ok"] is True and got["B"]["max_incidence"] == pytest.approx(0.03)
    assert got["C"]["exit_ok"] is False and got["D"]["exit_ok"] is True  # 2 % is not < 2 %
    assert (got["A"]["persons"], got["A"]["poor_persons"], got["A"]["poor_households"]) == (
        100,
        3,
        3,
    )
    assert got["E"]["poor_persons"] == 0 and got["E"]["exit_ok"] is True


def test_incidence_of_a_group_across_provinces_uses_the_strictest_maximum():
    facts = _villages([("A", "53", 100, 2), ("C", "31", 100, 2)]).with_columns(
        pl.lit("all").alias("nation")
    )
    policies = {"53": _policy(), "31": _policy("31", max_incidence=Fraction(1, 50))}
    (row,) = rules.incidence(facts, policies, by=["nation"]).to_dicts()
    assert row["incidence"] == pytest.approx(0.02) and row["exit_ok"] is False


def test_a_spending_item_suggests_a_risk_only_in_a_shock():
    hh = [household(1), household(2)]
    got = evaluate(
        hh,
        [
            income(1, pc=20000, education_fen=5000),  # large income: no shock
            income(2, year=YEAR - 1, pc=1000),
            income(2, pc=7000, disaster_fen=6000),  # 6,000 > last year's 4,000
        ],
        assessments=[assessment(1, housing=False), assessment(2)],
    )
    assert got[1]["risk_types"] == "housing_safety"  # not schooling
    assert got[2]["rigid_shock"] and got[2]["risk_types"] == "natural_disaster"
