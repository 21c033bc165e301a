"""The monitoring rules on Spark (local mode) give exactly what they give on Polars: a generated
registry of 6,000 households with the hard cases (incomes on the threshold and the line, rigid
spending equal to last year's income, a drop of exactly one half, missing incomes and
assessments, open cases of every age, households without labour, two provinces with different
policies) through ``household_facts`` + ``evaluate`` + ``incidence`` on both engines."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl
import pytest

from bangfu.engine import policy, rules, spark

pytestmark = pytest.mark.spark
YEAR = 2025
HOUSEHOLDS = 6000
STATUSES = ("exited", "exited", "exited", "ordinary", "registered", "returned")
HEALTH = ("healthy", "healthy", "chronic_illness", "serious_illness", "disabled")
SKILL = ("ordinary", "skilled", "weak_or_half", "lost", "none")


def _fen(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.05:
        return 600000  # exactly the threshold
    if roll < 0.08:
        return 400000  # exactly the poverty line
    return rng.randrange(100000, 2000000)


def registry(seed: int = 2026) -> dict[str, pl.DataFrame]:
    rng = random.Random(seed)
    households, members, incomes, checks = [], [], [], []
    for hid in range(1, HOUSEHOLDS + 1):
        province = "53" if hid % 3 else "21"
        village = f"{province}2822{hid % 40:03d}{hid % 7:03d}"
        case_open = rng.random() < 0.1
        households.append(
            {
                "household_id": hid,
                "village": village,
                "township": village[:9] + "000",
                "county": village[:6] + "000000",
                "province": province,
                "status": rng.choice(STATUSES),
                "household_type": rng.choice(("exited", "ordinary", "")),
                "size": rng.randrange(1, 7),
                "case_open": case_open,
                "case_months": rng.randrange(0, 13) if case_open else None,
            }
        )
        for _ in range(rng.randrange(1, 5)):
            members.append(
                {
                    "household_id": hid,
                    "health": rng.choice(HEALTH),
                    "disability_grade": rng.choice(("", "", "", "grade_2")),
                    "labour_skill": rng.choice(SKILL),
                }
            )
        prev_pc = _fen(rng)
        for year in (YEAR - 1, YEAR):
            if rng.random() < 0.05:
                continue  # a missing income record
            pc = prev_pc if year == YEAR - 1 else rng.choice((prev_pc // 2, _fen(rng)))
            persons = 4
            net = pc * persons
            rigid = [rng.choice((0, 0, rng.randrange(0, 4000000))) for _ in range(4)]
            if rng.random() < 0.05:
                rigid = [prev_pc * persons, 0, 0, 0]  # equal to last year's income: no shock
            incomes.append(
                {
                    "household_id": hid,
                    "year": year,
                    "net_income_fen": net,
                    "net_income_pc_fen": pc,
                    "after_rigid_pc_fen": (net - sum(rigid)) // persons,
                    "wage_fen": rng.randrange(0, net + 1),
                    "business_net_fen": rng.randrange(-100000, net + 1),
                    "medical_fen": rigid[0],
                    "education_fen": rigid[1],
                    "rehabilitation_fen": rigid[2],
                    "disaster_fen": rigid[3],
                }
            )
        if rng.random() < 0.9:
            checks.append(
                {"household_id": hid, "year": YEAR}
                | {f"{g}_ok": rng.random() > 0.05 for g in rules.GUARANTEES}
            )
    guarantee_schema = {"household_id": pl.Int64, "year": pl.Int64} | {
        f"{g}_ok": pl.Boolean for g in rules.GUARANTEES
    }
    return {
        "households": pl.DataFrame(households, schema_overrides={"case_months": pl.Int64}),
        "members": pl.DataFrame(members),
        "incomes": pl.DataFrame(incomes),
        "guarantees": pl.DataFrame(checks, schema=guarantee_schema),
    }


def policies() -> dict[str, policy.RulePolicy]:
    shipped = policy.shipped()
    liaoning = policy.rule_policy(shipped, YEAR, "21", {"monitoring.rigid_share_of_income": "1/2"})
    return {"53": policy.rule_policy(shipped, YEAR, "53"), "21": liaoning}


def test_the_policies_differ_and_the_data_hold_the_hard_cases() -> None:
    pols = policies()
    assert pols["21"].threshold == Decimal(7260) and pols["53"].threshold == Decimal(6000)
    assert pols["21"].rigid_share_of_income == Fraction(1, 2)
    assert pols["53"].max_incidence != pols["21"].max_incidence
    data = registry()
    assert (data["incomes"]["net_income_pc_fen"] == 600000).sum() > 100


def test_rules_on_spark_equal_rules_on_polars(spark_session: Any) -> None:
    data, pols = registry(), policies()
    on_polars = rules.evaluate(rules.household_facts(**data, year=YEAR), pols)
    assert isinstance(on_polars, pl.DataFrame)
    native = spark.spark_frames(data)
    on_spark = spark.to_polars(rules.evaluate(rules.household_facts(**native, year=YEAR), pols))
    ours = on_polars.sort("household_id")
    theirs = on_spark.select(ours.columns).sort("household_id")
    assert theirs.height == HOUSEHOLDS
    for column in ours.columns:  # every flag, code list and value, row by row
        assert ours[column].to_list() == theirs[column].to_list(), column
    assert ours["alert"].sum() > 100 and ours["elimination"].drop_nulls().len() > 100
    for category in rules.CATEGORIES:
        assert (ours["category"] == category).sum() > 0, category


def test_incidence_on_spark_equals_polars(spark_session: Any) -> None:
    data, pols = registry(), policies()
    on_polars = rules.incidence(data["households"], pols, by=["county", "village"])
    native = spark.spark_frames({"households": data["households"]})["households"]
    on_spark = spark.to_polars(rules.incidence(native, pols, by=["county", "village"]))
    ours = on_polars.sort("county", "village")
    theirs = on_spark.select(ours.columns).sort("county", "village")
    for column in ("households", "persons", "poor_persons", "poor_households", "exit_ok"):
        assert ours[column].to_list() == theirs[column].to_list(), column
    assert ours["incidence"].to_list() == pytest.approx(theirs["incidence"].to_list(), rel=1e-12)
