"""Two processes submit the same payment with the same idempotency key at the same moment, on a
PostgreSQL database of their own: exactly one payment exists afterwards, and both get it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_cli import BANGFU, run

SETUP = """
from bangfu.accounts.models import Role, User
from bangfu.projects.ledger import Move, ledger_post
from bangfu.projects.models import Account, EntryKind, Project
from bangfu.regions.models import Region
import datetime as dt
admin = User.objects.create(username="ledger-admin", role=Role.ADMIN, is_superuser=True)
region = Region.objects.create(code="532822000000", name_zh="勐海县", level=3, is_west=True)
project = Project.objects.create(code="p", name="p", kind="industry", region=region, year=2025)
external = Account.objects.create(code="external", name="external", kind="external")
aid = Account.objects.create(code="aid", name="aid", kind="source", fund_source="east_aid")
county = Account.objects.create(code="county", name="county", kind="project", project=project)
Account.objects.create(code="builder", name="builder", kind="payee")
day = dt.date(2025, 3, 1)
ledger_post(actor=admin, kind=EntryKind.FUNDING, entry_date=day, voucher="F", idempotency_key="f",
            moves=[Move(external, aid, aid, 100000)])
ledger_post(actor=admin, kind=EntryKind.ALLOCATION, entry_date=day, voucher="A",
            idempotency_key="a", moves=[Move(aid, county, aid, 100000)])
"""

PAY = """
import datetime as dt, os, time
from bangfu.accounts.models import User
from bangfu.projects.ledger import Move, ledger_post
from bangfu.projects.models import Account, EntryKind
admin = User.objects.get(username="ledger-admin")
county, builder, aid = (Account.objects.get(code=c) for c in ("county", "builder", "aid"))
time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))
entry = ledger_post(actor=admin, kind=EntryKind.PAYMENT, entry_date=dt.date(2025, 3, 2),
                    voucher="P-1", idempotency_key="payment-2025-0001",
                    moves=[Move(county, builder, aid, 60000)])
print("ENTRY", entry.pk)
"""

CHECK = """
from django.db.models import Sum
from bangfu.projects.ledger import ledger_verify
from bangfu.projects.models import Entry, Posting
print("PAYMENTS", Entry.objects.filter(idempotency_key="payment-2025-0001").count())
print("PAID", Posting.objects.filter(account__code="builder").aggregate(t=Sum("amount_fen"))["t"])
print("BREACHES", len(ledger_verify()))
"""


@pytest.mark.postgres
def test_the_same_payment_submitted_twice_at_once_is_paid_once(
    tmp_path: Path, own_postgres_database: str
) -> None:
    url = own_postgres_database
    migrated = run(["migrate", "-v0"], tmp_path, DATABASE_URL=url)
    assert migrated.returncode == 0, migrated.stderr
    setup = run(["shell", "-c", SETUP], tmp_path, DATABASE_URL=url)
    assert setup.returncode == 0, setup.stderr
    answers = _at_once(url, tmp_path, processes=2)
    entries = {
        line.split()[1] for out in answers for line in out.splitlines() if line.startswith("ENTRY")
    }
    assert all("ENTRY" in out for out in answers), answers  # neither was refused
    assert len(entries) == 1, answers  # both were answered with the one entry
    check = run(["shell", "-c", CHECK], tmp_path, DATABASE_URL=url)
    assert "PAYMENTS 1" in check.stdout and "PAID 60000" in check.stdout, check.stdout
    assert "BREACHES 0" in check.stdout


def _at_once(url: str, var_dir: Path, processes: int) -> list[str]:
    """Start ``processes`` payers that all submit at one moment (after their start-up)."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DATABASE_URL": url,
        "BANGFU_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "bangfu.settings.base",
        "START_AT": str(time.time() + 8),  # time enough for every process to start Django
    }
    payers = [
        subprocess.Popen(
            [BANGFU, "shell", "-c", PAY],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    answers = []
    for payer in payers:
        out, err = payer.communicate(timeout=120)
        assert payer.returncode == 0, err
        answers.append(out)
    return answers
