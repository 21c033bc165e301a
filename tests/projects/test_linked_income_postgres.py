"""Two payments reach one household at the same time, on a PostgreSQL database of its own: the
household's income record counts both (a linked income read-modify-write must not lose one).

The first payer holds its transaction open for a while after adding its income; the second
starts meanwhile. Without the household lock (``registry.linked_income.lock_households``) the
second reads the total before the first's and writes it back over it when the first commits."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import BANGFU, run

SETUP = """
import datetime as dt
from decimal import Decimal
from bangfu.accounts.models import Role, User
from bangfu.regions.models import Region
from bangfu.registry.models import Household, IncomeRecord
admin = User.objects.create(username="income-admin", role=Role.ADMIN, is_superuser=True)
county = Region.objects.create(code="532822000000", name_zh="勐海县", level=3, is_west=True)
village = Region.objects.create(code="532822106207", name_zh="纳丙村", level=5, is_west=True,
                                parent=county)
household = Household.objects.create(household_no="5328221062070001", village=village)
IncomeRecord.objects.create(household=household, year=2025, persons=2,
                            wage_income=Decimal("8000.00"))
"""

PAY = """
import os, time
from decimal import Decimal
from django.db import transaction
from bangfu.accounts.models import User
from bangfu.registry.linked_income import LinkedIncomeIn, linked_income_add
from bangfu.registry.models import Household
admin = User.objects.get(username="income-admin")
household = Household.objects.get(household_no="5328221062070001")
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
with transaction.atomic():
    linked_income_add(actor=admin, rows=[LinkedIncomeIn(household.pk, 2025, "wage_income",
        Decimal(os.environ["AMOUNT"]), "project", "test:" + os.environ["AMOUNT"])])
    time.sleep(float(os.environ["HOLD"]))
print("DONE")
"""

CHECK = """
from bangfu.registry.models import IncomeRecord
print("WAGES", IncomeRecord.objects.get(year=2025).wage_income)
"""


@pytest.mark.postgres
def test_two_payments_to_one_household_at_once_both_count(
    tmp_path: Path, own_postgres_database: str
) -> None:
    url = own_postgres_database
    assert run(["migrate", "-v0"], tmp_path, DATABASE_URL=url).returncode == 0
    setup = run(["shell", "-c", SETUP], tmp_path, DATABASE_URL=url)
    assert setup.returncode == 0, setup.stderr
    start = time.time() + 8  # time enough for both processes to start Django
    payers = [
        _payer(url, tmp_path, start_at=start, amount="300.00", hold=4),
        _payer(url, tmp_path, start_at=start + 1.5, amount="500.00", hold=0),
    ]
    for payer in payers:
        out, err = payer.communicate(timeout=120)
        assert payer.returncode == 0 and "DONE" in out, err
    check = run(["shell", "-c", CHECK], tmp_path, DATABASE_URL=url)
    assert "WAGES 8800.00" in check.stdout, check.stdout + check.stderr


def _payer(url: str, var_dir: Path, *, start_at: float, amount: str, hold: float) -> Any:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DATABASE_URL": url,
        "BANGFU_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "bangfu.settings.base",
        "START_AT": str(start_at),
        "AMOUNT": amount,
        "HOLD": str(hold),
    }
    return subprocess.Popen(
        [BANGFU, "shell", "-c", PAY],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
