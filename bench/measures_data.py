"""The synthetic households of ``bench_measures.py``: income per person and ten MPI indicators.

``generate(households, villages, counties, seed)`` returns one deterministic Polars frame
(seeded NumPy ``PCG64``); ``write_parquet`` writes one or more such chunks into a single
Parquet file, one chunk at a time (the 10,000,000-household file never sits in memory whole).

Shape of a chunk, with the full benchmark's 1,000,000 households, 5,000 villages, 50 counties:

* counties of uneven size (villages per county from a Dirichlet share, at least a tenth of an
  even share), villages of lognormal size (σ 0.6, at least 5 households): 15 to about 1,400
  households a village, median about 165, mean 200;
* region codes as in the national registry: county ``53PPCC`` (province 53, prefecture,
  county), village ``53PPCC`` + township ``1TT`` + village ``2VV`` (12 digits), as strings;
* household size 1-8 (shares 5/12/20/25/20/10/5/3 %, mean 4.08, as the import benchmark's);
  a sampling weight uniform in [0.8, 1.25] (4 decimals);
* income per person, yuan a year, 2 decimals: lognormal around 9,000 with county, village
  and household effects (σ 0.3, 0.2, 0.7); 0.2 % of the households exactly 0 and 0.5 %
  exactly on the poverty line (4,000);
* ten MPI indicators in three dimensions with nested weights: education 1/3 (years of
  schooling < 6, cardinal, 1/6; a child not attending school, 1/6), health 1/3 (chronic
  illness, no insurance, each 1/9; BMI < 18.5, cardinal with one decimal, 1/9), living
  standards 1/3 (housing, water, each 1/12; electricity, sanitation, each 1/18; fewer than 2
  assets, cardinal, 1/18). Every score is a multiple of 1/36, and many households score
  exactly 1/3 (1/6 + 1/6, 3 × 1/9, 1/9 + 1/12 + 1/12 + 1/18, …). Deprivations are correlated
  with each other and with income through one latent poverty variable. No missing values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

POVERTY_LINE = 4000.0
SEED = 2020

SIZES = np.arange(1, 9)
SIZE_SHARES = np.array([5, 12, 20, 25, 20, 10, 5, 3]) / 100

# (column, dimension, weight, cutoff or None for a binary 0/1 column)
INDICATORS: tuple[tuple[str, str, str, str | None], ...] = (
    ("school_years", "education", "1/6", "6"),
    ("d_attendance", "education", "1/6", None),
    ("d_chronic", "health", "1/9", None),
    ("d_insurance", "health", "1/9", None),
    ("bmi", "health", "1/9", "18.5"),
    ("d_housing", "living", "1/12", None),
    ("d_water", "living", "1/12", None),
    ("d_electricity", "living", "1/18", None),
    ("d_sanitation", "living", "1/18", None),
    ("assets", "living", "1/18", "2"),
)


def county_code(index: int) -> str:
    """``53PPCC``: ten counties per prefecture."""
    return f"53{index // 10 + 1:02d}{index % 10 + 1:02d}"


def generate(
    households: int, villages: int, counties: int, seed: int, first_county: int = 0
) -> pl.DataFrame:
    """One deterministic chunk of households (see the module docstring)."""
    rng = np.random.default_rng(seed)
    floor = max(1, villages // counties // 10)
    per_county = rng.multinomial(villages - counties * floor, rng.dirichlet(np.full(counties, 2.0)))
    per_county += floor
    county_of_village = np.repeat(np.arange(counties), per_county)
    size_share = rng.lognormal(0.0, 0.6, villages)
    per_village = rng.multinomial(households - 5 * villages, size_share / size_share.sum()) + 5
    village = np.repeat(np.arange(villages), per_village)
    county = county_of_village[village]

    county_codes = [county_code(first_county + c) for c in range(counties)]
    village_codes = [
        f"{county_codes[c]}{100 + i // 20:03d}{201 + i % 20:03d}"
        for c, n in enumerate(per_county)
        for i in range(n)
    ]

    n = households
    county_effect = rng.normal(0.0, 0.3, counties)[county]
    village_effect = rng.normal(0.0, 0.2, villages)[village]
    own = rng.normal(0.0, 0.7, n)
    income = np.round(np.exp(np.log(9000.0) + county_effect + village_effect + own), 2)
    u = rng.random(n)
    income[u < 0.002] = 0.0
    income[(u >= 0.002) & (u < 0.007)] = POVERTY_LINE
    size = rng.choice(SIZES, n, p=SIZE_SHARES)
    weight = np.round(rng.uniform(0.8, 1.25, n), 4)

    latent = -0.75 * (county_effect + village_effect + own) + rng.normal(0.0, 0.8, n)

    def binary(intercept: float) -> Any:
        p = 1.0 / (1.0 + np.exp(-(intercept + 1.2 * latent)))
        return (rng.random(n) < p).astype(np.int8)

    school_years = np.clip(np.round(9 - 2.5 * latent + rng.normal(0, 2.5, n)), 0, 16)
    bmi = np.round(21.5 - 1.5 * latent + rng.normal(0, 1.5, n), 1)
    assets = rng.poisson(np.clip(3.2 - 1.2 * latent, 0.1, None))
    columns = {
        "school_years": school_years.astype(np.int64),
        "d_attendance": binary(-2.0),
        "d_chronic": binary(-1.8),
        "d_insurance": binary(-2.5),
        "bmi": bmi,
        "d_housing": binary(-1.5),
        "d_water": binary(-1.6),
        "d_electricity": binary(-3.0),
        "d_sanitation": binary(-1.0),
        "assets": assets.astype(np.int64),
    }
    return pl.DataFrame(
        {
            "household": np.arange(n, dtype=np.int64) + (seed % 1000) * 10**9,
            "county": pl.Series(county_codes).gather(county),
            "village": pl.Series(village_codes).gather(village),
            "size": size.astype(np.int64),
            "weight": weight,
            "income": income,
            **columns,
        }
    )


def write_parquet(
    path: Path, chunks: int, households: int, villages: int, counties: int, seed: int = SEED
) -> dict[str, Any]:
    """``chunks`` chunks (seeds ``seed``, ``seed + 1``, …; counties numbered on) in one file."""
    import pyarrow.parquet as pq

    writer = None
    persons = 0
    try:
        for c in range(chunks):
            frame = generate(households, villages, counties, seed + c, first_county=c * counties)
            persons += int(frame["size"].sum())
            table = frame.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=250_000)
            del frame, table
    finally:
        if writer is not None:
            writer.close()
    return {
        "households": chunks * households,
        "villages": chunks * villages,
        "counties": chunks * counties,
        "persons": persons,
        "bytes": path.stat().st_size,
    }
