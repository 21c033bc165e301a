"""Household exports: masked per role, unmasked only where allowed and always logged, text for
ID numbers and codes, CSV with a BOM, and a national-layout export that imports again."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command

from bangfu.audit.models import AccessLogEntry
from bangfu.core.errors import BangfuError
from bangfu.core.protect import decrypt_text
from bangfu.regions.scope import RegionScope
from bangfu.registry.exporters import export_households
from bangfu.registry.importers import BANGFU, NATIONAL, import_households
from bangfu.registry.models import Household, Member
from bangfu.registry.selectors import HouseholdFilter
from bangfu.registry.services import guarantee_assess, household_save
from tests.registry.factories import household_in

pytestmark = pytest.mark.django_db
EVERYTHING = RegionScope.everything()
NATIONAL_HEADER = [c.header for c in NATIONAL.columns]


@pytest.fixture
def registry() -> list[Household]:
    """Two households in Nabing village and one in Manmai village."""
    made = []
    for no, village in (
        ("5328221062070001", "532822106207"),
        ("5328221062070002", "532822106207"),
        ("5328221062020001", "532822106202"),
    ):
        data = household_in(no=no, village=village, bank_account="6228480000009876")
        household, _ = household_save(actor=None, capture=EVERYTHING, data=data)
        made.append(household)
    return made


def rows_of(path: Path) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def clear_ids() -> set[str]:
    return {decrypt_text(m.id_number_enc) for m in Member.objects.all()}


def test_ids_are_masked_for_roles_that_may_not_see_them(
    tmp_path: Path, users: dict[str, Any], registry: list[Household]
) -> None:
    path = tmp_path / "auditor.xlsx"
    count = export_households(user=users["auditor"], target=path)
    assert count == 9
    body = rows_of(path)
    column = body[0].index("证件号码")
    assert all("*" in row[column] for row in body[1:])
    assert not clear_ids() & {row[column] for row in body[1:]}
    with pytest.raises(BangfuError) as caught:
        export_households(user=users["songjiang-office"], target=tmp_path / "x.xlsx", unmasked=True)
    assert caught.value.code == "permission_denied"
    assert not AccessLogEntry.objects.exists()


def test_an_unmasked_export_shows_only_what_the_user_may_see_and_is_logged(
    tmp_path: Path, users: dict[str, Any], registry: list[Household]
) -> None:
    path = tmp_path / "township.xlsx"
    export_households(user=users["nabing-village"], target=path, unmasked=True, purpose="核对")
    body = rows_of(path)
    column = body[0].index("证件号码")
    numbers = {row[column] for row in body[1:]}
    assert len(body) == 7 and numbers <= clear_ids(), "the village's six people, in clear"
    entry = AccessLogEntry.objects.get()
    assert (entry.kind, entry.actor, entry.purpose) == ("export", users["nabing-village"], "核对")
    nabing = Member.objects.filter(household__village__code="532822106207")
    assert sorted(entry.object_ids) == sorted(str(m.pk) for m in nabing)
    bank = body[0].index("银行卡号")
    assert {row[bank] for row in body[1:]} == {"6228480000009876"}


def test_xlsx_keeps_ids_and_numbers_as_text(
    tmp_path: Path, users: dict[str, Any], registry: list[Household]
) -> None:
    path = tmp_path / "admin.xlsx"
    export_households(user=users["admin"], target=path, unmasked=True)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    for name in ("证件号码", "户编号", "人编号", "银行卡号"):
        cells = [row[header.index(name)] for row in sheet.iter_rows(min_row=2)]
        assert all(c.data_type == "s" for c in cells if c.value), name
    assert sheet.cell(2, header.index("务工时间（月）") + 1).data_type == "n"


def test_csv_has_a_bom_and_keeps_long_numbers_as_text(
    tmp_path: Path, users: dict[str, Any], registry: list[Household]
) -> None:
    path = tmp_path / "list.csv"
    export_households(user=users["admin"], target=path, fmt="csv", unmasked=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [c.header for c in BANGFU.columns]
    number = rows[1][rows[0].index("证件号码")]
    assert number.startswith("\t") and number.strip() in clear_ids()


def test_the_national_export_imports_again_unchanged_and_from_scratch(
    tmp_path: Path, users: dict[str, Any], registry: list[Household]
) -> None:
    guarantee_assess(
        actor=None,
        capture=EVERYTHING,
        household=registry[0],
        year=2025,
        assessed_on=dt.date(2025, 6, 1),
        evidence={"house_grade": "C"},
    )
    for name in ("national.xlsx", "national.csv"):
        path = tmp_path / name
        count = export_households(user=users["admin"], target=path, fmt="national", unmasked=True)
        assert count == 9
        again = import_households(path, capture=EVERYTHING)
        assert again.ok, again.problems[:3]
        assert (again.households_unchanged, again.households_created) == (3, 0)
    body = rows_of(tmp_path / "national.xlsx")
    assert body[0] == NATIONAL_HEADER
    head = next(
        r
        for r in body[1:]
        if r[NATIONAL_HEADER.index("与户主关系")] == "户主"
        and r[NATIONAL_HEADER.index("户编号")] == registry[0].household_no
    )
    assert (
        head[NATIONAL_HEADER.index("人数")] == 3 and head[NATIONAL_HEADER.index("危房户")] == "是"
    )
    before = {
        h.household_no: (
            h.head_name,
            h.size,
            h.main_cause,
            h.status,
            sorted(h.members.values_list("id_number_hash", "education", "relation")),
        )
        for h in Household.objects.all()
    }
    Household.objects.all().delete()
    fresh = import_households(tmp_path / "national.csv", capture=EVERYTHING)
    assert fresh.ok and fresh.households_created == 3
    after = {
        h.household_no: (
            h.head_name,
            h.size,
            h.main_cause,
            h.status,
            sorted(h.members.values_list("id_number_hash", "education", "relation")),
        )
        for h in Household.objects.all()
    }
    assert after == before


def test_filters_scope_and_one_row_per_household(
    tmp_path: Path, users: dict[str, Any], registry: list[Household]
) -> None:
    path = tmp_path / "h.xlsx"
    count = export_households(
        user=users["menghai-county"],
        target=path,
        filters=HouseholdFilter(region="532822106202"),
        rows="households",
        chunk_size=1,
    )
    body = rows_of(path)
    assert count == 1 and body[1][body[0].index("户编号")] == "5328221062020001"
    assert body[1][body[0].index("户主证件号码")].count("*") == 10


def test_the_export_command(
    tmp_path: Path, registry: list[Household], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cli.csv"
    call_command(
        "export", "households", "--region", "532822106207", "--format", "national", "-o", str(path)
    )
    assert "6 rows written" in capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
    assert rows[0] == NATIONAL_HEADER and all("*" in r[7] for r in rows[1:])
    call_command(
        "export",
        "households",
        "--unmasked",
        "--user",
        "nabing-village",
        "-o",
        str(tmp_path / "u.xlsx"),
    )
    assert AccessLogEntry.objects.filter(kind="export").count() == 1
