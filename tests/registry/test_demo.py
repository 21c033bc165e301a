"""Generated demo households: deterministic by seed, idempotent, plausible, valid and scoped."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bangfu.audit.models import AuditEntry
from bangfu.core.errors import BangfuError
from bangfu.core.protect import decrypt_text
from bangfu.engine.income import IncomeInputs, income_figures
from bangfu.regions.models import Region
from bangfu.registry.demo import DEMO_LAYOUT, PLACES, demo_households_load
from bangfu.registry.idnumber import check_consistency, parse_id_number
from bangfu.registry.models import (
    GuaranteeAssessment,
    Household,
    ImportBatch,
    IncomeRecord,
    Member,
)
from bangfu.registry.selectors import household_list
from bangfu.registry.services import INCOME_FIELDS

pytestmark = pytest.mark.django_db
NABING = "532822106207"
BANGFU = str(Path(sys.executable).with_name("bangfu"))


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Everything generated, without database ids, timestamps or ciphertexts (AES-GCM nonces
    are random); ID numbers decrypted."""
    households = list(
        Household.objects.order_by("household_no").values_list(
            "household_no",
            "village__code",
            "address",
            "head_name",
            "size",
            "status",
            "household_type",
            "poverty_attribute",
            "identified_on",
            "exit_year",
            "returned_year",
            "main_cause",
            "secondary_causes",
            "relocated",
            "latest_net_income_pc",
            "open_guarantee_problems",
        )
    )
    members = [
        (
            m.household.household_no,
            m.person_no,
            m.name,
            m.relation,
            m.sex,
            m.birth_date,
            m.ethnicity,
            m.education,
            m.student_status,
            m.health,
            m.labour_skill,
            m.employment_status,
            m.insured_basic_medical,
            decrypt_text(m.id_number_enc),
            m.id_number_hash,
            m.id_number_masked,
        )
        for m in Member.objects.select_related("household").order_by(
            "household__household_no", "id"
        )
    ]
    incomes = list(
        IncomeRecord.objects.order_by("household__household_no", "year").values_list(
            "household__household_no", "year", "persons", *INCOME_FIELDS, "items", "net_income_pc"
        )
    )
    guarantees = list(
        GuaranteeAssessment.objects.order_by("household__household_no").values_list(
            "household__household_no", "assessed_on", "house_grade", "water_ok", "problems"
        )
    )
    return {
        "households": households,
        "members": members,
        "incomes": incomes,
        "guarantees": guarantees,
    }


def forget_the_demo() -> None:
    """Back to a database without demo data (as fresh as the append-only audit log allows)."""
    Household.objects.all().delete()
    ImportBatch.objects.filter(layout=DEMO_LAYOUT).delete()
    Region.objects.filter(name_zh__startswith="示范村").delete()


def test_the_same_seed_gives_the_same_data() -> None:
    first = demo_households_load(seed=11, households=300)
    assert first.created == 300 and first.members > 300 and first.villages_created > 100
    before = snapshot()
    forget_the_demo()
    again = demo_households_load(seed=11, households=300)
    assert again.created == 300 and snapshot() == before


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs os.fork (Linux)"
)
def test_forked_workers_give_the_same_data_as_one_process() -> None:
    demo_households_load(seed=12, households=500, workers=1)
    alone = snapshot()
    forget_the_demo()
    demo_households_load(seed=12, households=500, workers=2)
    assert snapshot() == alone


def test_another_seed_gives_other_data() -> None:
    demo_households_load(seed=13, households=200)
    one = snapshot()
    forget_the_demo()
    demo_households_load(seed=14, households=200)
    other = snapshot()
    assert [h[3] for h in one["households"]] != [h[3] for h in other["households"]]
    assert [m[13] for m in one["members"]] != [m[13] for m in other["members"]]
    assert [i[-1] for i in one["incomes"]] != [i[-1] for i in other["incomes"]]


def test_a_second_run_changes_nothing_and_a_larger_one_adds_what_a_fresh_build_has() -> None:
    first = demo_households_load(seed=15, households=150)
    audits, batches = AuditEntry.objects.count(), ImportBatch.objects.count()
    state = snapshot()
    second = demo_households_load(seed=15, households=150)
    assert (second.created, second.existing, second.villages_created) == (0, 150, 0)
    assert snapshot() == state
    assert (AuditEntry.objects.count(), ImportBatch.objects.count()) == (audits, batches)

    grown = demo_households_load(seed=15, households=400)
    assert (grown.existing, grown.created, grown.total) == (150, 250, 400)
    assert Household.objects.count() == 400
    in_two_steps = snapshot()
    forget_the_demo()
    demo_households_load(seed=15, households=400)
    assert snapshot() == in_two_steps, "growing gives the same households as building at once"

    fewer = demo_households_load(seed=15, households=100)
    assert fewer.created == 0 and "never deletes" in fewer.note
    assert Household.objects.count() == 400 and first.created == 150


def test_households_of_another_seed_are_not_mixed_in() -> None:
    demo_households_load(seed=16, households=100)
    with pytest.raises(BangfuError) as refused:
        demo_households_load(seed=17, households=200)
    assert refused.value.code == "demo_refused" and "seed 17" in refused.value.message
    assert Household.objects.count() == 100
    kept = demo_households_load(seed=17, households=50)  # nothing to add: fine, and said
    assert kept.created == 0 and kept.other == "bangfu demo --seed 16" and "seed 16" in kept.note


def test_one_import_batch_and_one_audit_entry_record_the_load() -> None:
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    load = demo_households_load(seed=18, households=120)
    batch = ImportBatch.objects.get(layout=DEMO_LAYOUT)
    assert batch.status == "done" and batch.households_created == 120 and "18" in batch.file_name
    kinds = Counter(AuditEntry.objects.filter(id__gt=last).values_list("object_type", flat=True))
    assert kinds == {"regions.region": load.villages_created, "registry.importbatch": 1}
    record = AuditEntry.objects.get(object_type="registry.importbatch")
    assert record.after["members_created"] == load.members and record.after["seed"] == 18


def test_about_four_per_cent_are_under_the_monitoring_threshold() -> None:
    demo_households_load(seed=2020, households=2000)
    incomes = list(Household.objects.values_list("latest_net_income_pc", flat=True))
    assert all(isinstance(i, Decimal) and i == i.quantize(Decimal("0.01")) for i in incomes)
    under = sum(1 for i in incomes if i < 6000) / len(incomes)
    assert 0.03 <= under <= 0.05, under
    statuses = Counter(Household.objects.values_list("status", flat=True))
    assert statuses["exited"] > 0.8 * 2000 and 0.08 * 2000 < statuses["ordinary"] < 0.16 * 2000
    assert 0 < statuses["returned"] < 0.03 * 2000
    problems = Household.objects.filter(open_guarantee_problems__gt=0).count() / 2000
    assert 0.02 < problems < 0.10, problems
    grades = Counter(GuaranteeAssessment.objects.values_list("house_grade", flat=True))
    assert grades["C"] + grades["D"] > 0 and grades["A"] > grades["B"] > grades["C"]
    sizes = list(Household.objects.values_list("size", flat=True))
    assert min(sizes) == 1 and max(sizes) == 8 and 3.6 < statistics.mean(sizes) < 4.0


def test_id_numbers_are_valid_unique_and_agree_with_the_member() -> None:
    demo_households_load(seed=19, households=600)
    seen: set[str] = set()
    for member in Member.objects.select_related("household__village"):
        number = decrypt_text(member.id_number_enc)
        idn = parse_id_number(number)  # the check character, the date, the shape
        check_consistency(idn, birth_date=member.birth_date, sex=member.sex)
        assert number[:6] == member.household.village.code[:6], "the county's code leads"
        assert number not in seen
        seen.add(number)
    assert len(seen) == Member.objects.count()


def test_families_fit_together() -> None:
    demo_households_load(seed=20, households=500)
    today = dt.date(2025, 6, 30)
    for household in Household.objects.prefetch_related("members"):
        members = list(household.members.all())
        heads = [m for m in members if m.relation == "head"]
        assert len(heads) == 1 and heads[0].name == household.head_name
        assert household.size == len(members) and 1 <= len(members) <= 8
        head = heads[0]
        for m in members:
            assert m.birth_date <= today
            if m.relation in ("son", "daughter"):
                assert m.birth_date > head.birth_date, "children are younger than the head"
                assert m.sex == ("M" if m.relation == "son" else "F")
            if m.relation in ("father", "mother"):
                assert m.birth_date < head.birth_date
            if m.relation == "spouse":
                assert m.sex != head.sex
        assert household.incomes.count() == 3 and household.guarantees.count() == 1


def test_names_and_groups_fit_the_place() -> None:
    demo_households_load(seed=21, households=1500)
    groups: dict[str, Counter[str]] = {}
    for code, ethnicity, name in Member.objects.values_list(
        "household__village__code", "ethnicity", "name"
    ):
        groups.setdefault(code[:6], Counter())[ethnicity] += 1
        if code.startswith("5328") and ethnicity == "dai":
            assert name[0] in "岩玉", name
        assert name
    assert set(groups["540223"]) == {"tibetan"}
    for place in PLACES:
        allowed = {g for g, _w in place.mix}
        assert set(groups[place.county]) <= allowed, place.name
    assert groups["520326"].most_common(1)[0][0] == "gelao"
    assert {"dai", "jingpo"} <= set(groups["533123"])


def test_incomes_are_the_engines_figures() -> None:
    demo_households_load(seed=22, households=200)
    for record in IncomeRecord.objects.all():
        amounts = {name: getattr(record, name) for name in INCOME_FIELDS}
        figures = income_figures(IncomeInputs(persons=record.persons, **amounts))
        assert record.net_income_pc == figures.net_income_pc
        assert record.net_income_pc_after_rigid == figures.net_income_pc_after_rigid
    latest = Household.objects.filter(latest_income_year=2025).count()
    assert latest == Household.objects.count()


def test_synthetic_villages_sit_under_real_townships() -> None:
    before = Region.objects.count()
    load = demo_households_load(seed=23, households=50)
    made = Region.objects.filter(name_zh__startswith="示范村")
    assert made.count() == load.villages_created == Region.objects.count() - before
    for village in made.select_related("parent"):
        assert village.level == 5 and village.parent.level == 4
        assert village.code[:9] == village.parent.code[:9] and village.code[9] == "2"
        assert village.name_en.startswith("Demo Village ")
    assert not made.filter(parent__code__in=["532822106000", "532822202000"]).exists()


def test_each_village_user_sees_only_its_own_households(users: dict[str, Any]) -> None:
    demo_households_load(seed=24, households=300)
    nabing = list(household_list(user=users["nabing-village"]))
    assert nabing and all(h.village.code == NABING for h in nabing)
    assert len(nabing) == Household.objects.filter(village__code=NABING).count()
    menghai = household_list(user=users["menghai-county"])
    assert menghai.count() < Household.objects.count()
    assert all(h.village.code.startswith("532822") for h in menghai)
    mangshi = household_list(user=users["mangshi-county"])
    assert mangshi.exists() and all(h.village.code.startswith("533103") for h in mangshi)


def _run_demo(var_dir: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(
        {"BANGFU_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "bangfu.settings.base"}
    )
    result = subprocess.run(
        [BANGFU, "demo", "--no-serve", "--seed", "5", "--households", "250"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Households: 250 created" in result.stdout


def _dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    skip = {"created_at", "updated_at", "id_number_enc", "started_at", "finished_at"}
    out = {}
    with sqlite3.connect(db) as conn:
        for table in (
            "registry_household",
            "registry_member",
            "registry_incomerecord",
            "registry_guaranteeassessment",
        ):
            columns = [
                c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] not in skip
            ]
            out[table] = conn.execute(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"
            ).fetchall()
        out["ids"] = [
            (decrypt_text(token),)
            for (token,) in conn.execute("SELECT id_number_enc FROM registry_member ORDER BY id")
        ]
        out["villages"] = conn.execute(
            "SELECT code, name_zh FROM regions_region WHERE name_zh LIKE '示范村%' ORDER BY code"
        ).fetchall()
    return out


def test_two_fresh_databases_built_with_the_same_seed_are_identical(tmp_path: Path) -> None:
    _run_demo(tmp_path / "one")
    _run_demo(tmp_path / "two")
    one, two = (
        _dump(tmp_path / "one" / "bangfu.sqlite3"),
        _dump(tmp_path / "two" / "bangfu.sqlite3"),
    )
    assert len(one["registry_household"]) == 250 and one == two


def test_no_demo_households_under_production_settings(settings: Any) -> None:
    settings.BANGFU_DEMO_ALLOWED = False
    with pytest.raises(BangfuError) as refused:
        demo_households_load(seed=1, households=10)
    assert refused.value.code == "demo_refused" and not Household.objects.exists()
