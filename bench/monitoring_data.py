"""A synthetic registry for the monitoring rules at scale: the four tables that
``bangfu.engine.rules.household_facts`` takes, written as Parquet, chunk by chunk.

``write_registry(folder, households, seed)`` writes ``households/``, ``members/``, ``incomes/``
and ``guarantees/`` under ``folder`` (one file per chunk of 1,000,000 households), money in
integer fen as the registry hands it to the rules. The shape follows the demo registry:

* province 53 (Yunnan), ~5,000 villages per million households in 50 counties, codes as in the
  national registry; statuses mostly exited (70 %), some ordinary (20 %), registered (8 %)
  and returned (2 %); household size 1–8 (mean 4.08), so ~4.1 members a household;
* members: health (8 % chronically, 3 % seriously ill, 4 % disabled), disability grade, labour
  skill (15 % without labour capacity);
* incomes for the year and the year before (95 % of households have each): net income per
  person lognormal around 11,000 yuan (σ 0.45), 3 % exactly on the 6,000 threshold, 1 % on
  the 4,000 line, 1 % losing two thirds year on year; rigid spending zero for most,
  occasionally large;
* guarantees for the year (90 % assessed), each failing for 0.5 %;

With these shares about 12 % of the households are categorised, near the demo registry's 9 %
(the monitoring run on the 1M-household demo database raises 88,454 alerts).
* 2 % of households with an open monitoring case of 0–24 months.

``rules_pass(folder, year)`` is what a monitoring run computes: the facts, the rules and the
incidence per village and county, from the Parquet files in one lazy plan per output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

YEAR = 2025
CHUNK = 1_000_000
SIZES = np.arange(1, 9)
SIZE_SHARES = np.array([5, 12, 20, 25, 20, 10, 5, 3]) / 100
STATUSES = np.array(["exited", "ordinary", "registered", "returned"])
STATUS_SHARES = np.array([70, 20, 8, 2]) / 100
HEALTH = np.array(["healthy", "chronic_illness", "serious_illness", "disabled"])
HEALTH_SHARES = np.array([85, 8, 3, 4]) / 100
SKILL = np.array(["ordinary", "skilled", "weak_or_half", "lost", "none"])
SKILL_SHARES = np.array([55, 15, 15, 5, 10]) / 100
GUARANTEES = ("food", "clothing", "education", "medical", "housing", "water")


def _villages(rng: np.random.Generator, n: int) -> np.ndarray:
    """Village code per household: ~200 households a village, 100 villages a county."""
    villages = max(1, n // 200)
    index = rng.integers(0, villages, n)
    county = index // 100
    return np.char.add(
        np.char.add("53", np.char.zfill((county + 2801).astype(str), 4)),
        np.char.add("1", np.char.zfill((index % 100 + 200).astype(str), 5)),
    )


def _chunk(rng: np.random.Generator, first_id: int, n: int) -> dict[str, pl.DataFrame]:
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    village = _villages(rng, n)
    size = rng.choice(SIZES, n, p=SIZE_SHARES).astype(np.int64)
    status = rng.choice(STATUSES, n, p=STATUS_SHARES)
    case_open = rng.random(n) < 0.02
    households = pl.DataFrame(
        {
            "household_id": ids,
            "village": village,
            "status": status,
            "household_type": np.where(status == "ordinary", "ordinary", "exited"),
            "size": size,
            "case_open": case_open,
            "case_months": np.where(case_open, rng.integers(0, 25, n), -1),
        }
    ).with_columns(
        (pl.col("village").str.slice(0, 9) + "000").alias("township"),
        (pl.col("village").str.slice(0, 6) + "000000").alias("county"),
        pl.col("village").str.slice(0, 2).alias("province"),
        pl.when(pl.col("case_open")).then(pl.col("case_months")).alias("case_months"),
    )
    people = int(size.sum())
    members = pl.DataFrame(
        {
            "household_id": np.repeat(ids, size),
            "health": rng.choice(HEALTH, people, p=HEALTH_SHARES),
            "disability_grade": np.where(rng.random(people) < 0.04, "grade_2", ""),
            "labour_skill": rng.choice(SKILL, people, p=SKILL_SHARES),
        }
    )
    return {
        "households": households,
        "members": members,
        "incomes": _incomes(rng, ids, size),
        "guarantees": _guarantees(rng, ids),
    }


def _incomes(rng: np.random.Generator, ids: np.ndarray, size: np.ndarray) -> pl.DataFrame:
    n = len(ids)
    before = np.round(rng.lognormal(np.log(1_100_000), 0.45, n)).astype(np.int64)
    now = np.round(before * rng.lognormal(0.0, 0.15, n)).astype(np.int64)
    roll = rng.random(n)
    now = np.where(roll < 0.03, 600_000, np.where(roll < 0.04, 400_000, now))
    now = np.where((roll >= 0.04) & (roll < 0.05), before // 3, now)  # collapse
    frames = []
    for year, pc in ((YEAR - 1, before), (YEAR, now)):
        rigid = np.where(rng.random(n) < 0.03, rng.integers(0, 8_000_000, n), 0)
        net = pc * size
        keep = rng.random(n) < 0.95
        wage = (net * rng.random(n)).astype(np.int64)
        frames.append(
            pl.DataFrame(
                {
                    "household_id": ids,
                    "year": np.full(n, year, dtype=np.int64),
                    "net_income_fen": net,
                    "net_income_pc_fen": pc,
                    "after_rigid_pc_fen": (net - rigid) // size,
                    "wage_fen": wage,
                    "business_net_fen": net - wage,
                    "medical_fen": rigid,
                    "education_fen": np.zeros(n, dtype=np.int64),
                    "rehabilitation_fen": np.zeros(n, dtype=np.int64),
                    "disaster_fen": np.zeros(n, dtype=np.int64),
                }
            ).filter(pl.Series(keep))
        )
    return pl.concat(frames).sort("household_id", "year")


def _guarantees(rng: np.random.Generator, ids: np.ndarray) -> pl.DataFrame:
    n = len(ids)
    columns: dict[str, Any] = {"household_id": ids, "year": np.full(n, YEAR, dtype=np.int64)}
    columns |= {f"{g}_ok": rng.random(n) > 0.005 for g in GUARANTEES}
    return pl.DataFrame(columns).filter(pl.Series(rng.random(n) < 0.9))


def write_registry(folder: str | Path, households: int, seed: int = 2020) -> dict[str, int]:
    """Write the four tables as Parquet under ``folder``; return their row counts."""
    folder = Path(folder)
    rng = np.random.default_rng(np.random.PCG64(seed))
    rows: dict[str, int] = {}
    for part, first in enumerate(range(0, households, CHUNK)):
        chunk = _chunk(rng, first + 1, min(CHUNK, households - first))
        for name, frame in chunk.items():
            (folder / name).mkdir(parents=True, exist_ok=True)
            frame.write_parquet(folder / name / f"part-{part:03d}.parquet")
            rows[name] = rows.get(name, 0) + frame.height
    return rows


def scan_registry(folder: str | Path) -> dict[str, pl.LazyFrame]:
    folder = Path(folder)
    names = ("households", "members", "incomes", "guarantees")
    return {name: pl.scan_parquet(folder / name / "*.parquet") for name in names}


KEPT = (
    "household_id",
    "county",
    "category",
    "reasons",
    "risk_types",
    "alert",
    "elimination",
    "exit_ok",
    "income_fen",
)


def rules_pass(folder: str | Path, policies: dict[str, Any], year: int = YEAR) -> dict[str, Any]:
    """The rules over the whole registry, from Parquet: what a monitoring run computes."""
    evaluated, counties, villages = pl.collect_all(rules_plans(folder, policies, year))
    return {
        "kept": evaluated.height,
        "alerts": int(evaluated["alert"].sum()),
        "categorised": int(evaluated["category"].is_not_null().sum()),
        "counties": counties.height,
        "villages": villages.height,
    }


def rules_plans(folder: str | Path, policies: dict[str, Any], year: int = YEAR) -> list[Any]:
    """The lazy plans of ``rules_pass``: the rules' output per household (the columns a run
    keeps) and the incidence per county and per village."""
    from bangfu.engine import rules

    tables = scan_registry(folder)
    facts = rules.household_facts(**tables, year=year)
    flagged = rules.flags(facts, policies)
    # As a run does: the code lists only for the rows it keeps (a category, a case, poor).
    kept = flagged.filter(
        pl.col("category").is_not_null()
        | pl.col("elimination").is_not_null()
        | pl.col("registered_poor")
    )
    out = rules.with_codes(kept).select(*KEPT)
    incidence = [
        rules.incidence(tables["households"], policies, by=[level])
        for level in ("county", "village")
    ]
    return [out, *incidence]
