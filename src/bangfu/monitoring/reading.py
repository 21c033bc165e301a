"""The registry as Arrow tables, read through ADBC: one query per table, no Python per row.

``read_registry(year, region_code, as_of)`` returns the four frames that
``bangfu.engine.rules.household_facts`` takes (money in integer fen, converted by the database
so nothing passes through float rounding) and a SHA-256 of their contents: two runs that read
the same registry have the same hash.

ADBC opens its own connection to the database Django uses (an SQLite file or a PostgreSQL
server), so it sees committed data only. All four queries run in one read transaction
(REPEATABLE READ on PostgreSQL; one WAL snapshot on SQLite), so the tables agree with each other
even while village staff keep editing.

Called inside a transaction of Django's own connection (``connection.in_atomic_block``), the
same queries run on that connection instead: a second connection could not see what the
transaction has written and not yet committed. Runs from the command line and the background
task never are; tests, which run inside a transaction that is rolled back, are.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
from django.db import connection

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.monitoring.models import OPEN_CASE_STATUSES, Case
from bangfu.regions.codes import prefix_bounds, significant_prefix
from bangfu.regions.models import Region
from bangfu.registry.models import GuaranteeAssessment, Household, IncomeRecord, Member

GUARANTEES = ("food", "clothing", "education", "medical", "housing", "water")

SCHEMAS: dict[str, dict[str, Any]] = {
    "households": {
        "household_id": pl.Int64,
        "village": pl.String,
        "status": pl.String,
        "household_type": pl.String,
        "size": pl.Int64,
        "case_since": pl.String,
    },
    "members": {
        "household_id": pl.Int64,
        "health": pl.String,
        "disability_grade": pl.String,
        "labour_skill": pl.String,
    },
    "incomes": {
        "household_id": pl.Int64,
        "year": pl.Int64,
        "net_income_fen": pl.Int64,
        "net_income_pc_fen": pl.Int64,
        "after_rigid_pc_fen": pl.Int64,
        "wage_fen": pl.Int64,
        "business_net_fen": pl.Int64,
        "medical_fen": pl.Int64,
        "education_fen": pl.Int64,
        "rehabilitation_fen": pl.Int64,
        "disaster_fen": pl.Int64,
    },
    "guarantees": {
        "household_id": pl.Int64,
        "year": pl.Int64,
        **{f"{g}_ok": pl.Boolean for g in GUARANTEES},
    },
}


@dataclass(frozen=True)
class RegistryFrames:
    households: pl.DataFrame
    members: pl.DataFrame
    incomes: pl.DataFrame
    guarantees: pl.DataFrame
    input_hash: str

    def as_dict(self) -> dict[str, pl.DataFrame]:
        return {
            "households": self.households,
            "members": self.members,
            "incomes": self.incomes,
            "guarantees": self.guarantees,
        }


def _fen(expr: str) -> str:
    """Yuan to integer fen, rounded by the database (exact on PostgreSQL's numeric)."""
    return f"CAST(ROUND(({expr}) * 100) AS BIGINT)"


def _queries(year: int, low: str, high: str) -> dict[str, str]:
    """The four SELECTs. Written out with their literals because ADBC's SQLite and PostgreSQL
    drivers disagree on placeholders: every literal is an int or a digit-only code (checked
    here), never text from a user."""
    year = int(year)
    if not (low.isdigit() and high.isdigit()):
        raise ValueError("region bounds must be digits")
    hh, region, member = Household._meta.db_table, Region._meta.db_table, Member._meta.db_table
    income, checks = IncomeRecord._meta.db_table, GuaranteeAssessment._meta.db_table
    cases = Case._meta.db_table
    # The other tables are filtered by the households of the region (a semi-join SQLite and
    # PostgreSQL evaluate once); a run over everything reads them whole, which is faster still.
    everything = low == prefix_bounds("")[0] and high == prefix_bounds("")[1]
    scoped = (
        "WHERE 1 = 1"
        if everything
        else (
            f"WHERE t.household_id IN (SELECT h.id FROM {hh} h JOIN {region} r "  # noqa: S608 (see _queries)
            f"ON r.id = h.village_id WHERE r.code BETWEEN '{low}' AND '{high}')"
        )
    )
    open_states = ", ".join(f"'{s}'" for s in OPEN_CASE_STATUSES)
    return {
        "households": (
            "SELECT h.id AS household_id, r.code AS village, h.status AS status, "  # noqa: S608 (see _queries)
            "h.household_type AS household_type, h.size AS size, "
            "CAST(c.admitted_on AS TEXT) AS case_since "
            f"FROM {hh} h JOIN {region} r ON r.id = h.village_id "
            f"LEFT JOIN {cases} c ON c.household_id = h.id AND c.status IN ({open_states}) "
            f"WHERE r.code BETWEEN '{low}' AND '{high}' ORDER BY h.id"
        ),
        "members": (
            "SELECT t.household_id AS household_id, t.health AS health, "  # noqa: S608 (see _queries)
            "t.disability_grade AS disability_grade, t.labour_skill AS labour_skill "
            f"FROM {member} t {scoped} ORDER BY t.household_id, t.id"
        ),
        "incomes": (
            "SELECT t.household_id AS household_id, t.year AS year, "  # noqa: S608 (see _queries)
            f"{_fen('t.net_income')} AS net_income_fen, "
            f"{_fen('t.net_income_pc')} AS net_income_pc_fen, "
            f"{_fen('t.net_income_pc_after_rigid')} AS after_rigid_pc_fen, "
            f"{_fen('t.wage_income')} AS wage_fen, "
            f"{_fen('t.business_income - t.business_costs')} AS business_net_fen, "
            f"{_fen('t.medical_spending')} AS medical_fen, "
            f"{_fen('t.education_spending')} AS education_fen, "
            f"{_fen('t.rehabilitation_spending')} AS rehabilitation_fen, "
            f"{_fen('t.disaster_spending')} AS disaster_fen "
            f"FROM {income} t {scoped} AND t.year IN ({year}, {year - 1}) "
            "ORDER BY t.household_id, t.year"
        ),
        "guarantees": (
            "SELECT t.household_id AS household_id, t.year AS year, "  # noqa: S608 (see _queries)
            + ", ".join(f"t.{g}_ok AS {g}_ok" for g in GUARANTEES)
            + f" FROM {checks} t {scoped} AND t.year = {year} ORDER BY t.household_id"
        ),
    }


@contextmanager
def _adbc() -> Iterator[tuple[Any, str]]:
    """An ADBC DB-API connection to Django's database, and its vendor."""
    settings = connection.settings_dict
    vendor = connection.vendor
    if vendor == "sqlite":
        import adbc_driver_sqlite.dbapi as sqlite

        name = str(settings["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise BangfuError(
                ErrorCode.MONITORING_DATABASE,
                "Monitoring reads the registry through ADBC and needs a database file or a "
                "PostgreSQL server, not an in-memory SQLite database.",
            )
        conn = sqlite.connect(sqlite_read_only_uri(name))
    elif vendor == "postgresql":
        import adbc_driver_postgresql.dbapi as postgresql

        conn = postgresql.connect(_postgres_uri(settings))
    else:
        raise BangfuError(ErrorCode.MONITORING_DATABASE, f"No ADBC driver for {vendor}.")
    try:
        yield conn, vendor
    finally:
        conn.close()


def sqlite_read_only_uri(name: str) -> str:
    """The database file as a read-only URI for ADBC's SQLite. Read-only is what the reader
    needs, and it is what keeps the database whole: ADBC carries its own copy of SQLite, which
    cannot see the connections Django's copy holds in this process (POSIX locks are the
    process's), so on closing a writable connection it believed itself the last one and
    checkpointed and deleted the -wal and -shm files under Django's open connections — the
    next writes of the server's threads failed with "disk I/O error" (seen after
    `make demo`, which runs monitoring in the serving process). A read-only connection never
    checkpoints, so it deletes nothing."""
    return Path(name).resolve().as_uri() + "?mode=ro"


def _postgres_uri(settings: dict[str, Any]) -> str:
    user = quote(str(settings.get("USER") or ""), safe="")
    password = quote(str(settings.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(str(settings['NAME']), safe='')}"


def _frame(cursor: Any, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    cursor.execute(sql)
    table = cursor.fetch_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def _rows_frame(rows: list[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def _digest(frames: dict[str, pl.DataFrame]) -> str:
    """SHA-256 of the tables' contents (Arrow IPC of each, uncompressed, in one chunk)."""
    digest = hashlib.sha256()
    for name, frame in frames.items():
        buffer = io.BytesIO()
        frame.rechunk().write_ipc(buffer, compression="uncompressed")
        digest.update(name.encode())
        digest.update(buffer.getvalue())
    return digest.hexdigest()


def read_registry(year: int, region_code: str | None, as_of: date) -> RegistryFrames:
    """The registry's frames for the rules, for every household below ``region_code``."""
    prefix = significant_prefix(region_code) if region_code else ""
    if prefix and not prefix.isdigit():
        raise BangfuError(ErrorCode.REGION_CODE_MALFORMED, f"{region_code!r} is not a code")
    queries = _queries(year, *prefix_bounds(prefix))
    frames = _read_here(queries) if connection.in_atomic_block else _read_adbc(queries)
    digest = _digest(frames)  # before adding the case ages, which move with the calendar
    frames["households"] = _with_places(frames["households"], as_of)
    return RegistryFrames(**frames, input_hash=digest)


def _read_adbc(queries: dict[str, str]) -> dict[str, pl.DataFrame]:
    frames = {}
    with _adbc() as (conn, vendor):
        cursor = conn.cursor()
        if vendor == "postgresql":
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for name, sql in queries.items():
            frames[name] = _frame(cursor, sql, SCHEMAS[name])
        cursor.close()
        conn.rollback()
    return frames


def _read_here(queries: dict[str, str]) -> dict[str, pl.DataFrame]:
    """The same queries on Django's connection, inside its open transaction."""
    frames = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            frames[name] = _rows_frame(cursor.fetchall(), SCHEMAS[name])
    return frames


def _with_places(households: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Township, county and province codes from the village code; the open case's age."""
    village = pl.col("village")
    since = pl.col("case_since").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    months = (
        (as_of.year - since.dt.year()) * 12
        + (as_of.month - since.dt.month())
        - (since.dt.day() > as_of.day).cast(pl.Int32)
    )
    return households.with_columns(
        (village.str.slice(0, 9) + "000").alias("township"),
        (village.str.slice(0, 6) + "000000").alias("county"),
        village.str.slice(0, 2).alias("province"),
        since.is_not_null().alias("case_open"),
        months.cast(pl.Int64).alias("case_months"),
    ).drop("case_since")
