"""Household imports: the national 26-column layout and the Bangfu template, .xlsx and .csv;
every bad cell reported where it is; all or nothing; idempotent; history; scope; the bulk write
path identical to household_save; the command line, including a kill in the middle."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.core.management import CommandError, call_command

from bangfu.audit.models import AuditEntry
from bangfu.core.protect import decrypt_text, lookup_hash
from bangfu.regions.scope import RegionScope
from bangfu.registry.idnumber import check_character, mask_id_number
from bangfu.registry.importers import (
    BANGFU,
    NATIONAL,
    CellError,
    convert_date,
    import_households,
    write_report,
)
from bangfu.registry.models import Household, IdConflict, ImportBatch, Member
from bangfu.registry.services import MemberIn, household_save, household_snapshot
from bangfu.registry.templates_xlsx import write_template
from tests.registry.factories import household_in, id_number

EVERYTHING = RegionScope.everything()
HEADER = [c.header for c in NATIONAL.columns]
COL = {c.key: i for i, c in enumerate(NATIONAL.columns)}
BANGFU_HEADER = [c.header for c in BANGFU.columns]

# --- building files -----------------------------------------------------------------------


def person(
    no: str,
    name: str,
    idn: str,
    relation: str,
    *,
    village: str = "纳丙村",
    township: str = "勐阿镇",
    county: str = "勐海县",
    **cells: str,
) -> list[str]:
    """A row of the national layout; household fields go on the head's row."""
    head = relation == "户主"
    values = {
        "county": county,
        "township": township,
        "village": village,
        "natural_village": "",
        "household_no": no,
        "person_no": "",
        "name": name,
        "id_number": idn,
        "size": "",
        "relation": relation,
        "ethnicity": "傣族",
        "education": "初中",
        "student_status": "非在校生",
        "health": "健康",
        "labour_skill": "普通劳动力",
        "employment_status": "未务工",
        "months_worked_away": "0",
        "insured_critical_illness": "是",
        "exit_status": "未脱贫" if head else "",
        "poverty_attribute": "一般贫困户" if head else "",
        "main_cause": "因病" if head else "",
        "dangerous_house": "否" if head else "",
        "water_safe": "是" if head else "",
        "water_difficult": "否" if head else "",
        "net_income_pc": "4321.50" if head else "",
        "household_phone": "13800000000" if head else "",
        **cells,
    }
    return [values[c.key] for c in NATIONAL.columns]


def household(no: str, size: int = 3, **head_cells: str) -> list[list[str]]:
    """A household of ``size`` people: a head, a spouse, then children."""
    born = dt.date(1970, 1, 1)
    rows = [
        person(
            no, "岩温", id_number(born), "户主", size=str(size), person_no=no + "01", **head_cells
        )
    ]
    relations = ["配偶", "之子", "之女", "之子"]
    for i in range(1, size):
        rows.append(
            person(
                no,
                f"成员{i}",
                id_number(born + dt.timedelta(days=400 * i), male=i % 2 == 0),
                relations[i - 1],
                person_no=f"{no}{i + 1:02d}",
                village=head_cells.get("village", "纳丙村"),
                township=head_cells.get("township", "勐阿镇"),
                county=head_cells.get("county", "勐海县"),
            )
        )
    return rows


def id_with(birth: str, seq: str = "123") -> str:
    """An ID number with a correct check character around any 8 birth digits."""
    first17 = f"532822{birth}{seq}"
    return first17 + check_character(first17)


def write_csv(path: Path, rows: Sequence[Sequence[str]], encoding: str = "utf-8-sig") -> Path:
    import csv

    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    numbers: dict[tuple[int, int], float] | None = None,
    formulas: dict[tuple[int, int], tuple[str, str]] | None = None,
    merges: Sequence[tuple[int, int, int, int, str]] = (),
) -> Path:
    """Rows as text cells; ``numbers``, ``formulas`` and ``merges`` by (Excel row, column)."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = workbook.add_worksheet("户籍")
    for col, text in enumerate(header):
        sheet.write_string(0, col, text)
    numbers, formulas = numbers or {}, formulas or {}
    merged = {(r, c) for r1, c1, r2, c2, _ in merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}  # fmt: skip
    for index, row in enumerate(rows):
        excel_row = index + 2
        for col, value in enumerate(row):
            if (excel_row, col) in merged:
                continue
            if (excel_row, col) in numbers:
                sheet.write_number(index + 1, col, numbers[(excel_row, col)])
            elif (excel_row, col) in formulas:
                formula, cached = formulas[(excel_row, col)]
                sheet.write_formula(index + 1, col, formula, None, cached)
            elif value != "":
                sheet.write_string(index + 1, col, value)
    for r1, c1, r2, c2, value in merges:
        sheet.merge_range(r1 - 1, c1, r2 - 1, c2, value)
    workbook.close()
    return path


def counts() -> tuple[int, int, int, int]:
    return (
        Household.objects.count(),
        Member.objects.count(),
        AuditEntry.objects.count(),
        ImportBatch.objects.exclude(status="rejected").count(),
    )


def found(result: Any) -> list[tuple[int | None, str, str]]:
    return [(p.row, p.column, p.code) for p in result.problems]


pytestmark = pytest.mark.django_db


# --- the report of a bad file --------------------------------------------------------------


def test_a_file_with_thirty_kinds_of_bad_rows_is_reported_cell_by_cell_and_nothing_is_written(
    tmp_path: Path, users: dict[str, Any]
) -> None:
    taken = id_number(dt.date(1960, 5, 5))
    household_save(actor=None, capture=EVERYTHING, data=household_in(no="5328221062078888"))
    owner = Household.objects.get(household_no="5328221062078888")
    existing_member = owner.members.first()
    assert existing_member is not None
    taken = decrypt_text(existing_member.id_number_enc)

    rows: list[list[str]] = []
    expected: list[tuple[int, str, str]] = []
    numbers: dict[tuple[int, int], float] = {}
    formulas: dict[tuple[int, int], tuple[str, str]] = {}
    merges: list[tuple[int, int, int, int, str]] = []

    def add(no: str, size: int = 3, **head: str) -> list[int]:
        """Append a household; return the Excel row numbers of its rows."""
        start = len(rows) + 2
        rows.extend(household(no, size, **head))
        return list(range(start, start + size))

    def cell(row: int, key: str, value: str) -> None:
        rows[row - 2][COL[key]] = value

    def expect(row: int, key: str, code: str) -> None:
        expected.append((row, NATIONAL.col(key).header, code))

    add("H00")  # a good household: not written either (all or nothing)
    r = add("H01")
    numbers[(r[1], COL["id_number"])] = 532822197503021234
    expect(r[1], "id_number", "id_number_excel_damaged")
    r = add("H02")
    cell(r[1], "id_number", "5.32822E+17")
    expect(r[1], "id_number", "id_number_excel_damaged")
    r = add("H03")
    good = rows[r[2] - 2][COL["id_number"]]
    cell(r[2], "id_number", good[:17] + ("0" if good[17] != "0" else "1"))
    expect(r[2], "id_number", "id_number_checksum")
    r = add("H04")
    cell(r[1], "id_number", "53282219750302")
    expect(r[1], "id_number", "id_number_wrong_length")
    r = add("H05")
    cell(r[1], "id_number", "")
    expect(r[1], "id_number", "id_number_missing")
    r = add("H06")
    cell(r[1], "ethnicity", "火星族")
    expect(r[1], "ethnicity", "code_unknown")
    r = add("H07")
    cell(r[2], "relation", "表哥")
    expect(r[2], "relation", "code_unknown")
    r = add("H08")
    cell(r[1], "months_worked_away", "abc")
    expect(r[1], "months_worked_away", "import_cell_invalid")
    r = add("H09")
    cell(r[1], "months_worked_away", "15")
    expect(r[1], "months_worked_away", "validation_error")
    r = add("H10")
    cell(r[1], "insured_critical_illness", "也许")
    expect(r[1], "insured_critical_illness", "import_cell_invalid")
    r = add("H11")
    cell(r[1], "relation", "户主")
    expect(r[0], "relation", "household_head_count")
    expect(r[1], "relation", "household_head_count")
    r = add("H12", 2)
    cell(r[0], "relation", "之父")
    expect(r[0], "household_no", "household_head_count")
    expect(r[1], "household_no", "household_head_count")
    r = add("H13")
    cell(r[2], "poverty_attribute", "低保贫困户")
    expect(r[2], "poverty_attribute", "import_rows_disagree")
    r = add("H14", size=3)
    cell(r[0], "size", "5")
    expect(r[0], "size", "import_cell_invalid")
    r = add("H15", village="不存在村")
    expect(r[0], "village", "region_not_found")
    r = add("H16", county="火星县")
    expect(r[0], "county", "region_not_found")
    r = add("H17", township="勐往乡", village="勐往村")
    expect(r[0], "village", "permission_denied")
    r = add("H18")
    r2 = add("H19")
    cell(r2[1], "id_number", rows[r[1] - 2][COL["id_number"]])
    expect(r[1], "id_number", "id_number_duplicate")
    expect(r2[1], "id_number", "id_number_duplicate")
    r = add("H20")
    cell(r[1], "id_number", taken)  # held for review (result.queued), not a problem
    held_rows = r
    r = add("H21")
    formulas[(r[1], COL["name"])] = ('=CONCATENATE("玉","香")', "玉香")
    expect(r[1], "name", "import_formula")
    r = add("H22", size=2)
    cell(r[0], "size", "")
    merges.append((r[0], COL["household_no"], r[1], COL["household_no"], "H22"))
    expect(r[1], "household_no", "import_merged_cells")
    r = add("H23", size=1)
    cell(r[0], "household_no", "")
    expect(r[0], "household_no", "import_cell_invalid")
    r = add("H24", size=1)
    numbers[(r[0], COL["household_no"])] = 5328221062079999
    expect(r[0], "household_no", "import_cell_invalid")
    r = add("H25")
    cell(r[1], "name", "ÕÅÈý")
    expect(r[1], "name", "import_encoding")
    r = add("H26")
    cell(r[0], "exit_status", "脱了")
    expect(r[0], "exit_status", "code_unknown")
    r = add("H27")
    cell(r[0], "main_cause", "因穷")
    expect(r[0], "main_cause", "code_unknown")
    r = add("H28")
    cell(r[1], "id_number", "532822**********12")
    expect(r[1], "id_number", "import_cell_invalid")
    r = add("H29")
    cell(r[1], "id_number", id_with("19990230"))
    expect(r[1], "id_number", "id_number_birth_date_invalid")
    r = add("H30", township="火星镇")
    expect(r[0], "township", "region_not_found")
    r = add("H31")
    cell(r[1], "id_number", id_with("20990101"))
    expect(r[1], "id_number", "id_number_birth_date_out_of_range")

    path = write_xlsx(
        tmp_path / "bad.xlsx", rows, numbers=numbers, formulas=formulas, merges=merges
    )
    before = counts()
    result = import_households(path, actor=users["menga-township"])

    assert found(result) == sorted(expected), "every bad cell, where it is, with its code"
    assert [(q.row, q.code) for q in result.queued] == [(held_rows[0], "id_number_duplicate")]
    assert "H20" in result.queued[0].message and not result.ok
    assert counts() == before, "all or nothing: no household, member or audit entry written"
    assert not IdConflict.objects.exists(), "nor a held household"
    assert result.households_created == 0 and not result.written
    assert len({(column, code) for _, column, code in expected}) >= 20, "twenty kinds at least"
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert batch.status == "rejected" and len(batch.errors) == len(expected)
    assert batch.file_sha256 == result.sha256 and len(batch.file_sha256) == 64
    by_cell = {(p.row, p.column): p for p in result.problems}
    damaged = by_cell[(numbers and min(k[0] for k in numbers), "证件号码")]
    assert "5.32822e+17" in damaged.message and damaged.value == "5.32822e+17"
    disagree = next(p for p in result.problems if p.code == "import_rows_disagree")
    assert re.search(r"[Rr]ows? \d+ and \d+", disagree.message), "names both rows"
    assert "低保贫困户" in disagree.message and "一般贫困户" in disagree.message

    report = tmp_path / "report.xlsx"
    write_report(result, path, report)
    book = openpyxl.load_workbook(report)
    listing = book["问题清单"]
    assert listing.max_row == len(expected) + 1
    rejected = book["未导入的行"]
    first = [c.value for c in rejected[1]]
    assert first[0] == "行号" and first[-1] == "问题说明" and first[1:-1] == HEADER
    bad_row = next(r for r in rejected.iter_rows(min_row=2) if r[0].value == expected[0][0])
    bad_cell = bad_row[HEADER.index(expected[0][1]) + 1]
    assert bad_cell.fill.fgColor.rgb.endswith("F8CBAD") and bad_cell.comment is not None


def test_valid_only_imports_the_good_households_and_reports_the_rest(tmp_path: Path) -> None:
    rows = household("5328221062070101") + household("5328221062070102")
    rows[4][COL["ethnicity"]] = "火星族"
    path = write_csv(tmp_path / "mixed.csv", rows)
    result = import_households(path, capture=EVERYTHING, valid_only=True)
    assert (result.households_created, result.households_rejected) == (1, 1)
    assert found(result) == [(6, "民族", "code_unknown")]
    assert Household.objects.filter(household_no="5328221062070101").exists()
    assert not Household.objects.filter(household_no="5328221062070102").exists()
    assert result.rows_rejected == 3 and result.rejected_rows == [5, 6, 7]
    assert ImportBatch.objects.get(pk=result.batch_id).status == "partial"


def test_dry_run_checks_everything_and_writes_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ok.csv", household("5328221062070201"))
    before = (counts(), ImportBatch.objects.count())
    result = import_households(path, capture=EVERYTHING, dry_run=True)
    assert result.ok and result.rows_total == 3 and result.batch_id is None
    assert (counts(), ImportBatch.objects.count()) == before


# --- idempotence and history --------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "twice.csv", household("5328221062070301") + household("5328221062070302", 2)
    )
    first = import_households(path, capture=EVERYTHING)
    assert (first.households_created, first.rows_total) == (2, 5)
    state = counts()[:3]
    second = import_households(path, capture=EVERYTHING)
    assert second.ok and (second.households_created, second.households_unchanged) == (0, 2)
    assert counts()[:3] == state, "no write, no history"


def test_an_edited_file_updates_the_household_and_records_history(tmp_path: Path) -> None:
    rows = household("5328221062070401", 3)
    import_households(write_csv(tmp_path / "v1.csv", rows), capture=EVERYTHING)
    rows[1][COL["education"]] = "高中"
    rows[0][COL["size"]] = "2"
    del rows[2]
    result = import_households(write_csv(tmp_path / "v2.csv", rows), capture=EVERYTHING)
    assert result.ok and (result.households_updated, result.households_created) == (1, 0)
    h = Household.objects.get(household_no="5328221062070401")
    assert h.size == 2 and h.members.get(relation="spouse").education == "senior_high"
    entry = AuditEntry.objects.get(object_id=str(h.pk), action="update")
    changes = {k: (b, a) for k, b, a in entry.changes()}
    assert changes["size"] == (3, 2) and entry.reason.startswith(f"import:{result.batch_id}")


def test_a_national_file_keeps_the_fields_it_does_not_have(tmp_path: Path) -> None:
    data = household_in(
        no="5328221062070501", address="曼短寨 12 号", bank_account="6228480000001234"
    )
    data.members[0].dibao = True
    household_save(actor=None, capture=EVERYTHING, data=data)
    ids = [str(m.id_number) for m in data.members]
    no = "5328221062070501"
    rows = [
        person(
            no, "岩温", ids[0], "户主", size="3", main_cause="缺技术", household_phone="13911112222"
        ),
        person(no, "玉香", ids[1], "配偶", education="小学", health="长期慢性病"),
        person(no, "岩罕", ids[2], "之子", student_status="小学", education=""),
    ]
    result = import_households(write_csv(tmp_path / "n.csv", rows), capture=EVERYTHING)
    assert result.ok and result.households_updated == 1, found(result)
    h = Household.objects.get(household_no=no)
    assert h.phone == "13911112222" and h.address == "曼短寨 12 号"
    assert decrypt_text(h.bank_account_enc) == "6228480000001234"
    assert h.members.get(relation="head").dibao is True, "not a national column: kept"


# --- the bulk path writes what household_save writes --------------------------------------


def test_bulk_created_households_match_household_save(
    tmp_path: Path, users: dict[str, Any]
) -> None:
    rows = household("5328221062070601", 4)
    import_households(write_csv(tmp_path / "b.csv", rows), actor=users["nabing-village"])
    made = Household.objects.get(household_no="5328221062070601")
    entry = AuditEntry.objects.get(object_id=str(made.pk), object_type="registry.household")
    assert entry.after == household_snapshot(made), "the history household_save would record"
    assert (entry.actor, entry.action, entry.object_repr) == (
        users["nabing-village"],
        "create",
        str(made),
    )
    for member, row in zip(made.members.order_by("id"), rows, strict=True):
        number = row[COL["id_number"]]
        assert decrypt_text(member.id_number_enc) == number
        assert member.id_number_hash == lookup_hash(number)
        assert member.id_number_masked == mask_id_number(number)
    saved, _ = household_save(actor=None, capture=EVERYTHING, data=household_in(no="x1"))
    by_save = household_snapshot(saved)
    assert set(by_save) == set(entry.after)
    assert set(by_save["members"][0]) == set(entry.after["members"][0])
    same = household_in(no="5328221062070601")  # saving the import's data again changes nothing
    same.members = [
        MemberIn(
            name=m.name,
            id_number=decrypt_text(m.id_number_enc),
            relation=m.relation,
            person_no=m.person_no,
            ethnicity=m.ethnicity,
            education=m.education,
            student_status=m.student_status,
            health=m.health,
            labour_skill=m.labour_skill,
            employment_status=m.employment_status,
            insured_critical_illness=m.insured_critical_illness,
        )
        for m in made.members.order_by("id")
    ]
    same.main_cause, same.poverty_attribute, same.phone = "illness", "general_poor", "13800000000"
    # what the file reported (危房户 否, 饮水安全 是, 饮水困难 否, 人均纯收入 4321.50), kept
    assert (made.reported_dangerous_house, made.reported_water_safe) == (False, True)
    assert (made.reported_water_difficult, made.reported_net_income_pc) == (
        False,
        Decimal("4321.50"),
    )
    same.reported_dangerous_house, same.reported_water_safe = False, True
    same.reported_water_difficult, same.reported_net_income_pc = False, Decimal("4321.50")
    _, outcome = household_save(actor=None, capture=EVERYTHING, data=same)
    assert outcome == "unchanged"


# --- encodings and spreadsheet damage --------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_gb18030(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "e.csv", household("5328221062070701"), encoding=encoding)
    if encoding == "gb18030":
        assert "岩温".encode("gb18030") in path.read_bytes()
    result = import_households(path, capture=EVERYTHING)
    assert result.ok and result.households_created == 1
    assert Household.objects.get(household_no="5328221062070701").head_name == "岩温"


def test_a_gb18030_file_garbled_as_latin1_is_refused_with_advice(tmp_path: Path) -> None:
    text = ",".join(HEADER) + "\n"
    garbled = text.encode("gb18030").decode("latin-1")
    path = tmp_path / "garbled.csv"
    path.write_text(garbled + ",".join(household("1")[0]) + "\n", encoding="utf-8")
    result = import_households(path, capture=EVERYTHING)
    assert result.refused and found(result) == [(None, "", "import_encoding")]
    assert "GB18030" in result.problems[0].message


def test_replacement_characters_in_a_cell_are_reported(tmp_path: Path) -> None:
    rows = household("5328221062070702")
    rows[1][COL["name"]] = "岩\ufffd"
    result = import_households(write_csv(tmp_path / "r.csv", rows), capture=EVERYTHING)
    assert found(result) == [(3, "姓名", "import_encoding")]


def test_stray_and_full_width_spaces_and_digits_are_cleaned(tmp_path: Path) -> None:
    rows = household("5328221062070801")
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    rows[0][COL["household_no"]] = " 5328221062070801\u3000"
    rows[1][COL["household_no"]] = "５３２８２２１０６２０７０８０１"
    rows[1][COL["id_number"]] = " " + rows[1][COL["id_number"]].translate(full) + " "
    rows[2][COL["name"]] = "\u3000成员 二 "
    rows[0][COL["size"]] = "３"
    rows[0][COL["village"]] = " 纳丙村 "
    result = import_households(write_csv(tmp_path / "s.csv", rows), capture=EVERYTHING)
    assert result.ok, found(result)
    h = Household.objects.get(household_no="5328221062070801")
    assert h.size == 3 and h.members.filter(name="成员二").exists()


def test_an_xlsx_whose_id_column_holds_numbers_is_refused_row_by_row(tmp_path: Path) -> None:
    rows = household("5328221062070901")
    numbers = {(r, COL["id_number"]): float(rows[r - 2][COL["id_number"]][:15] + "000") for r in (2, 3, 4)}  # fmt: skip
    result = import_households(
        write_xlsx(tmp_path / "n.xlsx", rows, numbers=numbers), capture=EVERYTHING
    )
    assert found(result) == [(r, "证件号码", "id_number_excel_damaged") for r in (2, 3, 4)]
    assert "Format the column as Text" in result.problems[0].message


def test_a_formula_is_never_evaluated(tmp_path: Path) -> None:
    rows = household("5328221062071001")
    path = write_xlsx(tmp_path / "f.xlsx", rows, formulas={(2, COL["size"]): ("=1+2", "3")})
    result = import_households(path, capture=EVERYTHING)
    assert found(result) == [(2, "人数", "import_formula")]
    assert "=1+2" in result.problems[0].message


def test_merged_household_numbers_are_reported_on_every_row_that_lost_its_value(
    tmp_path: Path,
) -> None:
    rows = household("5328221062071101", 3)
    rows[0][COL["size"]] = ""
    merge = (2, COL["household_no"], 4, COL["household_no"], "5328221062071101")
    result = import_households(
        write_xlsx(tmp_path / "m.xlsx", rows, merges=[merge]), capture=EVERYTHING
    )
    assert found(result) == [(3, "户编号", "import_merged_cells"), (4, "户编号", "import_merged_cells")]  # fmt: skip
    assert "E2:E4" in result.problems[0].message


def test_a_title_row_above_the_header_is_skipped_and_rows_keep_excel_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.merge_range(0, 0, 0, 10, "勐阿镇 建档立卡贫困人口信息表")
    sheet.write_row(2, 0, HEADER)
    rows = household("5328221062071201")
    rows[2][COL["ethnicity"]] = "火星族"
    for i, row in enumerate(rows):
        sheet.write_row(3 + i, 0, row)
    workbook.close()
    result = import_households(path, capture=EVERYTHING)
    assert found(result) == [(6, "民族", "code_unknown")]


# --- whole-file refusals ------------------------------------------------------------------


def test_an_xls_named_xlsx_and_text_named_xlsx_are_refused_with_advice(tmp_path: Path) -> None:
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    result = import_households(xls, capture=EVERYTHING)
    assert found(result) == [(None, "", "import_file_type")]
    assert ".xls" in result.problems[0].message and "xlsx" in result.problems[0].message
    text = write_csv(tmp_path / "plain.csv", household("1"))
    renamed = tmp_path / "plain.xlsx"
    renamed.write_bytes(text.read_bytes())
    result = import_households(renamed, capture=EVERYTHING)
    assert (
        found(result) == [(None, "", "import_file_type")] and "text" in result.problems[0].message
    )
    old = tmp_path / "old.xls"
    old.write_bytes(xls.read_bytes())
    assert found(import_households(old, capture=EVERYTHING)) == [(None, "", "import_file_type")]


def test_empty_files_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert found(import_households(empty, capture=EVERYTHING)) == [(None, "", "import_file_empty")]
    header_only = write_csv(tmp_path / "header.csv", [])
    result = import_households(header_only, capture=EVERYTHING)
    assert found(result) == [(None, "", "import_file_empty")]
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert batch.status == "failed" and batch.errors[0]["code"] == "import_file_empty"


def test_a_file_over_the_limit_is_refused(tmp_path: Path, settings: Any) -> None:
    settings.BANGFU_IMPORT_MAX_BYTES = 500
    path = write_csv(tmp_path / "big.csv", household("5328221062071301"))
    result = import_households(path, capture=EVERYTHING)
    assert found(result) == [(None, "", "import_file_too_large")]
    assert Household.objects.filter(household_no="5328221062071301").count() == 0


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    header = [h for h in HEADER if h not in {"证件号码", "与户主关系"}]
    path.write_text(",".join(header) + "\n" + ",".join(["x"] * len(header)) + "\n", "utf-8")
    result = import_households(path, capture=EVERYTHING)
    assert found(result) == [(None, "", "import_header")]
    assert "证件号码" in result.problems[0].message and "与户主关系" in result.problems[0].message


# --- scope ---------------------------------------------------------------------------------


def test_a_village_user_cannot_import_another_villages_households(
    tmp_path: Path, users: dict[str, Any]
) -> None:
    household_save(
        actor=None,
        capture=EVERYTHING,
        data=household_in(no="5328221062021401", village="532822106202"),
    )
    rows = (
        household("5328221062071401")
        + household("5328221062071402", village="曼迈村")
        + household("5328221062021401", 1)
    )
    result = import_households(write_csv(tmp_path / "s.csv", rows), actor=users["nabing-village"])
    assert found(result) == [
        (5, "行政村", "permission_denied"),
        (8, "户编号", "permission_denied"),
    ]
    assert (
        result.households_created == 0
        and not Household.objects.filter(household_no="5328221062071401").exists()
    )


# --- the Bangfu template ---------------------------------------------------------------------


def bangfu_rows(no: str) -> list[list[str]]:
    spec = {
        "village": "532822106207",
        "household_no": no,
        "status": "在册贫困户",
        "household_type": "",
        "poverty_attribute": "低保贫困户",
        "identified_on": "2019年3月1日",
        "main_cause": "因病",
        "secondary_causes": "缺技术、缺资金",
        "relocated": "否",
        "bank_name": "农村信用社",
        "bank_account": "6228 4800 0000 5678",
        "address": "纳丙村 3 组",
        "household_phone": "0691-5123456",
    }
    head_id = id_with("19700301", "131")
    wife_id = id_with("19720501", "142")
    head = {**spec, "name": "岩罕", "id_number": head_id, "relation": "户主", "sex": "男", "birth_date": "1970/3/1", "ethnicity": "傣族", "dibao": "是"}  # fmt: skip
    wife = {"household_no": no, "village": "532822106207", "name": "玉南", "id_number": wife_id, "relation": "妻", "sex": "女", "birth_date": "19720501", "health": "残疾", "disability_grade": "二级"}  # fmt: skip
    return [[row.get(c.key, "") for c in BANGFU.columns] for row in (head, wife)]


def test_the_bangfu_template_imports_every_field(tmp_path: Path) -> None:
    template = tmp_path / "template.xlsx"
    write_template(template)
    book = openpyxl.load_workbook(template)
    assert book.sheetnames[0] == "户籍信息" and "填写说明" in book.sheetnames
    data = book["户籍信息"]
    assert [c.value for c in data[1]] == BANGFU_HEADER
    assert len(data.data_validations.dataValidation) >= 10
    rows = bangfu_rows("5328221062071501")
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            data.cell(r, c, value or None)
    book.save(template)
    result = import_households(template, capture=EVERYTHING)
    assert result.ok, found(result)
    assert result.layout == "bangfu"
    h = Household.objects.get(household_no="5328221062071501")
    assert (h.identified_on, h.poverty_attribute, h.secondary_causes) == (
        dt.date(2019, 3, 1),
        "dibao_poor",
        ["lack_of_skills", "lack_of_capital"],
    )
    assert decrypt_text(h.bank_account_enc) == "6228480000005678" and h.phone == "0691-5123456"
    wife = h.members.get(relation="spouse")
    assert (wife.disability_grade, wife.birth_date) == ("grade_2", dt.date(1972, 5, 1))
    assert h.members.get(relation="head").dibao is True


def test_impossible_dates_and_a_sex_that_contradicts_the_id_are_reported(tmp_path: Path) -> None:
    rows = bangfu_rows("5328221062071601")
    rows[0][BANGFU_HEADER.index("识别时间")] = "2019-02-30"
    rows[1][BANGFU_HEADER.index("性别")] = "男"
    path = write_xlsx(tmp_path / "d.xlsx", rows, header=BANGFU_HEADER)
    result = import_households(path, capture=EVERYTHING)
    assert found(result) == [(2, "识别时间", "import_date_invalid"), (3, "性别", "id_number_sex_mismatch")]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "2019-03-01",
        "2019/3/1",
        "2019.3.1",
        "20190301",
        "2019年3月1日",
        "43525",
        "2019-03-01 00:00:00",
    ],
)
def test_date_spellings(text: str) -> None:
    assert convert_date(text, False) == dt.date(2019, 3, 1)


@pytest.mark.parametrize("text", ["2019-13-01", "2019/2/29", "3/1/2019", "2019", "昨天"])
def test_impossible_or_unreadable_dates(text: str) -> None:
    with pytest.raises(CellError) as caught:
        convert_date(text, False)
    assert caught.value.code == "import_date_invalid"


# --- the command line ------------------------------------------------------------------------


def test_the_command_prints_a_summary_and_fails_unless_every_row_passed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_csv(tmp_path / "good.csv", household("5328221062071701"))
    call_command("import", "households", str(good))
    out = capsys.readouterr().out
    assert "1 created" in out and "rows/s" in out
    rows = household("5328221062071702")
    rows[1][COL["ethnicity"]] = "火星族"
    bad = write_csv(tmp_path / "bad.csv", rows)
    report = tmp_path / "report.xlsx"
    with pytest.raises(CommandError) as caught:
        call_command("import", "households", str(bad), "--report", str(report))
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert "row 3, 民族 '火星族': [code_unknown]" in out and report.exists()
    call_command("import", "template", "-o", str(tmp_path / "t.xlsx"))
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames[0] == "户籍信息"


BANGFU_CLI = str(Path(sys.executable).with_name("bangfu"))


def cli_env(var_dir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(
        {"BANGFU_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "bangfu.settings.base"}
    )
    return environment


def big_file(path: Path, households: int) -> Path:
    """A national-layout CSV of ``households`` households of four in Nabing village."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        base = dt.date(1940, 1, 1)
        for h in range(households):
            no = f"532822106207{h:06d}"
            for i, relation in enumerate(("户主", "配偶", "之子", "之女")):
                seq = h * 4 + i
                first17 = f"{110000 + seq // 1000:06d}{base + dt.timedelta(days=seq % 25000):%Y%m%d}{seq % 1000:03d}"  # fmt: skip
                row = person(
                    no,
                    "岩温",
                    first17 + check_character(first17),
                    relation,
                    size="4" if i == 0 else "",
                )
                writer.writerow(row)
    return path


def test_killing_the_import_midway_leaves_the_database_unchanged(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    load = "from bangfu.regions.reference import load_regions, reference_regions; load_regions(actor=None, regions=reference_regions())"  # fmt: skip
    for command in (["migrate", "--no-input"], ["shell", "-c", load]):
        setup = subprocess.run(
            [BANGFU_CLI, *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert setup.returncode == 0, setup.stderr
    path = big_file(tmp_path / "big.csv", 12000)
    process = subprocess.Popen(
        [BANGFU_CLI, "import", "households", str(path), "--progress", "always"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 240
    seen = ""
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen += line
        match = re.search(r"writing .*?(\d+)/(\d+) households", line)
        if match and 0 < int(match.group(1)) < int(match.group(2)):
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"killed while writing; stderr: {seen}"
    with sqlite3.connect(tmp_path / "bangfu.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM registry_household").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM registry_member").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM audit_auditentry WHERE object_type = 'registry.household'").fetchone()[0] == 0  # fmt: skip
