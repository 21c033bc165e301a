"""``bangfu monitor`` end to end, in subprocesses on a fresh SQLite file: the run reads the
registry through ADBC (a second connection), as in production."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import run


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path_factory.mktemp("monitor")
    built = run(["demo", "--no-serve", "--households", "600"], var)
    assert built.returncode == 0, built.stderr
    assert "Monitoring 2025:" in built.stdout  # the demo fills the worklist
    again = run(["demo", "--no-serve", "--households", "600"], var)
    assert "Monitoring" not in again.stdout  # nothing added: no new run
    return var


def _results(db: Path, run_id: int) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT household_id, category, reasons, risk_types, income_fen, alert, elimination "
            "FROM monitoring_runresult WHERE run_id = ? ORDER BY household_id",
            (run_id,),
        ).fetchall()


def test_monitor_twice_gives_identical_results(demo_db: Path):
    first = run(["monitor", "--year", "2025", "--json"], demo_db)
    assert first.returncode == 0, first.stderr
    second = run(["monitor", "--year", "2025", "--json"], demo_db)
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["households"] == 600 and a["input_hash"] == b["input_hash"]
    assert a["policy_versions"] == b["policy_versions"]
    # The demo's own run raised the alerts; the runs after it only refresh them.
    assert a["counts"]["alert"] > 0 and a["counts"]["alerts_new"] == 0
    assert b["counts"]["alerts_new"] == 0 and b["counts"]["alerts_updated"] == a["counts"]["alert"]
    db = demo_db / "bangfu.sqlite3"
    assert _results(db, a["run"]) == _results(db, b["run"]) != []
    with sqlite3.connect(db) as conn:
        # (the demo admitted a few alerts as monitoring cases: those households have an open
        # case now, so the runs do not alert on them again)
        (alerts,) = conn.execute(
            "SELECT COUNT(*) FROM monitoring_alert WHERE status != 'admitted'"
        ).fetchone()
    assert alerts == a["counts"]["alert"]


def test_monitor_a_region_and_refusals(demo_db: Path):
    county = run(["monitor", "--year", "2025", "--region", "532822000000", "--json"], demo_db)
    assert county.returncode == 0, county.stderr
    summary = json.loads(county.stdout)
    assert set(summary["counties"]) == {"532822000000"}
    assert 0 < summary["households"] < 600
    missing = run(["monitor", "--year", "2019"], demo_db)
    assert missing.returncode != 0
    assert (
        "monitoring.threshold" in missing.stderr and "monitoring_policy_missing" in missing.stderr
    )
    unknown = run(["monitor", "--year", "2025", "--region", "999999000000"], demo_db)
    assert unknown.returncode != 0 and "region_not_found" in unknown.stderr


@pytest.mark.postgres
def test_monitor_on_postgresql_through_adbc(tmp_path: Path, own_postgres_database: str):
    """The same command on a PostgreSQL database of its own (ADBC's libpq driver)."""
    url = own_postgres_database
    built = run(["demo", "--no-serve", "--households", "300"], tmp_path, DATABASE_URL=url)
    assert built.returncode == 0, built.stderr
    first = run(["monitor", "--year", "2025", "--json"], tmp_path, DATABASE_URL=url)
    assert first.returncode == 0, first.stderr
    second = run(["monitor", "--year", "2025", "--json"], tmp_path, DATABASE_URL=url)
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["households"] == 300 and a["counts"]["alert"] > 0
    assert a["input_hash"] == b["input_hash"] and b["counts"]["alerts_new"] == 0
    assert a["counts"] == b["counts"]  # the demo's own run raised the alerts
