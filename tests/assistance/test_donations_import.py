"""Importing ledger entries from spreadsheets: the generic sheet importer (header spellings,
cell problems, all or nothing, the report), the ledger's columns, the upload page and the
``import_donations`` command."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from bangfu.assistance import donations
from bangfu.assistance.models import DonationEntry, DonorType
from bangfu.assistance.sheets import (
    SheetColumn,
    SheetSpec,
    import_sheet,
    write_sheet_report,
    write_sheet_template,
)
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.registry.importers.cells import convert_int
from tests.assistance.test_donations import ledger  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

HEADER = [
    "结对编号",
    "活动代码",
    "类型",
    "形式",
    "捐赠方",
    "捐赠方类型",
    "金额(元)",
    "物资",
    "票据号",
    "日期",
    "备注",
]


def write_csv(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["奉贤区社会帮扶资金台账（2024年）"])  # a title row above the header
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def fengxian_rows(pairing: int) -> list[list[Any]]:
    return [
        [
            pairing,
            "",
            "到位",
            "资金",
            "奉贤区结对干部",
            "个人",
            "6,099,000.00",
            "",
            "FX-1",
            "2024-03-01",
            "",
        ],
        [
            pairing,
            "",
            "received",
            "money",
            "某集团",
            "enterprise",
            "10918000",
            "",
            "FX-2",
            "2024/3/2",
            "年度",
        ],
        [
            "",
            "fx-qianbaishi",
            "认捐",
            "物资",
            "某协会",
            "社会组织",
            "45000.5",
            "冬衣 300 件",
            "",
            "2024年3月3日",
            "",
        ],
    ]


def read(response: Any) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.worksheets[0].iter_rows(values_only=True))


# ---------------------------------------------------------------------------- the ledger


def test_a_good_file_is_recorded_all_together(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    path = write_csv(tmp_path / "台账.csv", fengxian_rows(ledger["fengxian"].pk))
    result = donations.donations_import(path, name=path.name, actor=ledger["admin"])
    assert result.ok and result.written == 3 and result.rows_total == 3, result.problems
    totals = donations.donation_totals(DonationEntry.objects.all())
    assert totals["by_donor_type"][DonorType.INDIVIDUAL]["received_money"] == Decimal("6099000.00")
    assert totals["by_donor_type"][DonorType.ENTERPRISE]["received_money"] == Decimal("10918000.00")
    assert totals["pledged_goods"] == Decimal("45000.50")
    goods = DonationEntry.objects.get(goods="冬衣 300 件")
    assert goods.pairing is None and goods.campaign == ledger["campaign"]
    assert DonationEntry.objects.get(receipt_no="FX-2").campaign == ledger["campaign"]


def test_xlsx_with_a_title_row_and_english_headers(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    header = [
        "Partner",
        "West code",
        "Kind",
        "Form",
        "Donor",
        "Donor type",
        "Amount (yuan)",
        "Receipt number",
        "Date",
        "Remarks",
    ]
    rows = [
        [
            "松江测试企业",
            "532822106207",
            "Received",
            "Money",
            "张 三",
            "Individual",
            1500,
            "S-1",
            "2024-02-01",
            "x",
        ]
    ]
    path = write_xlsx(tmp_path / "ledger.xlsx", rows, header)
    result = donations.donations_import(
        path, name=path.name, actor=ledger["users"]["nabing-village"]
    )
    assert result.ok, result.problems
    assert result.header_row == 2 and result.ignored_columns == ["Remarks"]
    entry = DonationEntry.objects.get()
    assert entry.pairing == ledger["nabing"] and entry.donor_name == "张三"
    assert entry.amount == Decimal("1500.00") and entry.recorded_by.username == "nabing-village"


def test_one_bad_row_writes_nothing_and_every_problem_is_reported(
    ledger: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    rows = fengxian_rows(ledger["fengxian"].pk)
    rows += [
        [
            ledger["fengxian"].pk,
            "",
            "到位",
            "资金",
            "甲",
            "个人",
            "12.345",
            "",
            "FX-3",
            "2024-03-04",
            "",
        ],
        [ledger["fengxian"].pk, "", "到位", "物资", "乙", "企业", "100", "", "", "2024-03-05", ""],
        [
            ledger["fengxian"].pk,
            "",
            "到位",
            "资金",
            "丙",
            "外星人",
            "100",
            "",
            "FX-1",
            "2024-02-30",
            "",
        ],
        [
            ledger["fengxian"].pk,
            "",
            "到位",
            "资金",
            "丁",
            "个人",
            "100",
            "",
            "FX-1",
            "2024-03-06",
            "",
        ],
        [999999, "", "到位", "资金", "戊", "个人", "100", "", "FX-9", "2024-03-06", ""],
        ["", "no-such", "认捐", "资金", "己", "个人", "100", "", "", "2024-03-06", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    result = donations.donations_import(path, name=path.name, actor=ledger["admin"])
    assert not DonationEntry.objects.exists()
    assert result.written == 0 and not result.refused
    found = {(p.row, p.column, p.code) for p in result.problems}
    # row numbers as Excel shows them: the header is row 1
    assert (5, "金额(元)", "import_cell_invalid") in found  # three decimals
    assert (6, "物资", "validation_error") in found  # goods without a description
    assert (6, "票据号", "validation_error") in found  # a receipt without its number
    assert (7, "捐赠方类型", "import_cell_invalid") in found
    assert (7, "日期", "import_date_invalid") in found
    assert (8, "票据号", "validation_error") in found  # FX-1 twice in the file
    assert (9, "结对编号", "social_pairing_not_found") in found
    assert (10, "活动代码", "campaign_not_found") in found
    assert result.rows_with_problems == 6
    twice = next(p for p in result.problems if p.row == 8)
    assert "rows 2 and 8" in twice.message and twice.value == "FX-1"
    # the report names row, column and why, and copies the rows with their bad cells
    target = tmp_path / "report.xlsx"
    write_sheet_report(result, target)
    book = openpyxl.load_workbook(target)
    listing = list(book["问题清单"].iter_rows(values_only=True))
    assert listing[0] == ("行号", "列", "值", "错误代码", "说明")
    assert listing[1][:4] == ("5", "金额(元)", "12.345", "import_cell_invalid")
    copied = list(book["有问题的行"].iter_rows(values_only=True))
    assert copied[0][0] == "行号" and copied[0][-1] == "问题说明"
    assert [r[0] for r in copied[1:]] == [5, 6, 7, 8, 9, 10]


def test_a_row_already_in_the_ledger_is_refused_on_import(
    ledger: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path / "a.csv", fengxian_rows(ledger["fengxian"].pk))
    assert donations.donations_import(path, name="a.csv", actor=ledger["admin"]).written == 3
    again = donations.donations_import(path, name="a.csv", actor=ledger["admin"])
    assert again.written == 0 and DonationEntry.objects.count() == 3
    assert {(p.row, p.column) for p in again.problems} == {(2, "票据号"), (3, "票据号")}


def test_scope_and_pairing_by_partner(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    header = [
        "帮扶主体",
        "结对地区代码",
        "类型",
        "形式",
        "捐赠方",
        "捐赠方类型",
        "金额",
        "票据号",
        "日期",
    ]
    rows = [
        ["松江测试企业", "520327000000", "到位", "资金", "甲", "个人", "10", "S-1", "2024-01-02"],
        ["松江测试企业", "", "到位", "资金", "乙", "个人", "10", "S-2", "2024-01-02"],
        ["奉贤测试企业", "520327000000", "到位", "资金", "丙", "个人", "10", "S-3", "2024-01-02"],
    ]
    path = write_csv(tmp_path / "scope.csv", rows, header)
    result = donations.donations_import(
        path, name=path.name, actor=ledger["users"]["songjiang-office"]
    )
    assert not DonationEntry.objects.exists()
    assert {(p.row, p.column, p.code) for p in result.problems} == {
        (3, "结对地区代码", "validation_error"),  # the partner without the region
        (4, "帮扶主体", "social_pairing_not_found"),  # Fengxian's: not visible to Songjiang
    }
    auditor = donations.donations_import(path, name=path.name, actor=ledger["users"]["auditor"])
    assert (2, "帮扶主体", "permission_denied") in {
        (p.row, p.column, p.code) for p in auditor.problems
    }


def test_files_refused_as_a_whole(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = donations.donations_import(empty, name="empty.csv", actor=ledger["admin"])
    assert result.refused and result.problems[0].code == "import_file_empty"
    fake = tmp_path / "fake.xlsx"
    fake.write_text("类型,形式\n", encoding="utf-8")
    result = donations.donations_import(fake, name="fake.xlsx", actor=ledger["admin"])
    assert result.refused and result.problems[0].code == "import_file_type"
    missing = write_csv(tmp_path / "missing.csv", [["到位"]], ["类型", "形式", "捐赠方"])
    result = donations.donations_import(missing, name="missing.csv", actor=ledger["admin"])
    assert result.refused and result.problems[0].code == "import_header"
    assert "金额(元)" in result.problems[0].message and "日期" in result.problems[0].message
    twice = write_csv(tmp_path / "twice.csv", [], [*HEADER, "金额"])
    result = donations.donations_import(twice, name="twice.csv", actor=ledger["admin"])
    assert result.refused and "given twice" in result.problems[0].message
    none = write_csv(tmp_path / "none.csv", [["a", "b"]], ["foo", "bar"])
    result = donations.donations_import(none, name="none.csv", actor=ledger["admin"])
    assert result.refused and result.problems[0].code == "import_header"


def test_formulas_and_merged_cells_are_flagged(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "formula.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(
        [
            ledger["nabing"].pk,
            "",
            "到位",
            "资金",
            "甲",
            "个人",
            "=100*2",
            "",
            "F-1",
            "2024-01-02",
            "",
        ]
    )
    sheet.append(
        [ledger["nabing"].pk, "", "到位", "资金", "乙", "个人", "5", "", "F-2", "2024-01-02", ""]
    )
    sheet.append(
        [ledger["nabing"].pk, "", "到位", "资金", "", "个人", "5", "", "F-3", "2024-01-02", ""]
    )
    sheet.merge_cells("E3:E4")
    book.save(path)
    result = donations.donations_import(path, name=path.name, actor=ledger["admin"])
    codes = {(p.row, p.column, p.code) for p in result.problems}
    assert (2, "金额(元)", "import_formula") in codes
    assert (4, "捐赠方", "import_merged_cells") in codes
    assert not DonationEntry.objects.exists()


def test_a_dry_run_writes_nothing(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    path = write_csv(tmp_path / "dry.csv", fengxian_rows(ledger["fengxian"].pk))
    result = donations.donations_import(path, name=path.name, actor=ledger["admin"], dry_run=True)
    assert result.ok and result.written == 0 and not DonationEntry.objects.exists()


def test_the_template_lists_the_columns(tmp_path: Path) -> None:
    target = tmp_path / "template.xlsx"
    write_sheet_template(donations.donation_sheet(), target)
    book = openpyxl.load_workbook(target)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert header[0] == "结对编号" and "金额(元)*" in header and "日期*" in header
    notes = list(book["填写说明"].iter_rows(values_only=True))
    assert len(notes) == len(donations.donation_sheet().columns) + 1


# ---------------------------------------------------------------------------- the generic part


def test_the_sheet_importer_is_generic(tmp_path: Path) -> None:
    """Any table: a spec, a row check, a writer; a refusal while writing undoes every row."""
    spec = SheetSpec(
        name="test",
        columns=(
            SheetColumn("n", ("数量", "count"), convert_int, required=True),
            SheetColumn("label", ("标签", "label")),
        ),
    )
    path = tmp_path / "t.csv"
    path.write_text("COUNT,标签\n1,a\n\n2,b\n3,c\n", encoding="utf-8")
    written: list[int] = []

    def validate(row: Any) -> int:
        if row.get("label") == "c" and row.get("n") != 3:
            raise BangfuError(ErrorCode.VALIDATION_ERROR, "c needs 3", field="label")
        return int(row.get("n"))

    def write(n: int) -> None:
        if n == 3:
            raise BangfuError(ErrorCode.VALIDATION_ERROR, "three is refused", field="n")
        written.append(n)

    result = import_sheet(path, name="t.csv", spec=spec, validate=validate, write=write)
    assert result.rows_total == 3 and result.written == 0  # rolled back, though 1 and 2 ran
    assert [(p.row, p.column, p.value, p.message) for p in result.problems] == [
        (5, "COUNT", "3", "three is refused")
    ]
    path.write_text("数量,标签\n1,a\nx,b\n,c\n", encoding="utf-8")
    result = import_sheet(path, name="t.csv", spec=spec, validate=validate, write=write)
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (3, "数量", "import_cell_invalid"),
        (4, "数量", "import_cell_invalid"),
    ]


# ---------------------------------------------------------------------------- page, command


def test_the_upload_page(
    ledger: dict[str, Any],  # noqa: F811
    client_for: Any,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.BANGFU_IMPORT_DIR = tmp_path / "imports"
    client = client_for("admin")
    assert client.get("/assistance/donations/import/").status_code == 200
    template = client.get("/assistance/donations/import/template.xlsx")
    assert template.status_code == 200 and read(template)[0][0] == "结对编号"

    bad = write_csv(
        tmp_path / "bad.csv",
        [
            [
                ledger["fengxian"].pk,
                "",
                "到位",
                "资金",
                "甲",
                "个人",
                "1.001",
                "",
                "B-1",
                "2024-01-02",
                "",
            ]
        ],
    )
    upload = SimpleUploadedFile("bad.csv", bad.read_bytes(), content_type="text/csv")
    page = client.post("/assistance/donations/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and not DonationEntry.objects.exists()
    assert page.context["result"].problems and b'id="import-refused"' in page.content
    report = client.get(f"/assistance/donations/import/{page.context['report']}/report.xlsx")
    assert report.status_code == 200
    rows = read(report)
    assert rows[1][:3] == ("2", "金额(元)", "1.001")
    # only the user who imported finds the report
    other = client_for("menghai-county").get(
        f"/assistance/donations/import/{page.context['report']}/report.xlsx"
    )
    assert other.status_code == 404
    assert client.get("/assistance/donations/import/../../report.xlsx").status_code == 404

    good = write_csv(tmp_path / "good.csv", fengxian_rows(ledger["fengxian"].pk))
    upload = SimpleUploadedFile("good.csv", good.read_bytes(), content_type="text/csv")
    page = client.post("/assistance/donations/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["result"].written == 3 and b'id="import-ok"' in page.content
    assert DonationEntry.objects.count() == 3
    assert client_for("mangshi-county").get("/assistance/donations/import/").status_code == 403


def test_the_command(ledger: dict[str, Any], tmp_path: Path, capsys: Any) -> None:  # noqa: F811
    good = write_csv(tmp_path / "good.csv", fengxian_rows(ledger["fengxian"].pk))
    out = io.StringIO()
    call_command("import_donations", str(good), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue() and not DonationEntry.objects.exists()
    call_command("import_donations", str(good), "--user", "admin", stdout=out)
    assert "Entries recorded: 3" in out.getvalue() and DonationEntry.objects.count() == 3
    out = io.StringIO()
    report = tmp_path / "problems.xlsx"
    with pytest.raises(CommandError) as caught:
        call_command("import_donations", str(good), "--report", str(report), stdout=out)
    assert caught.value.returncode == 1 and "nothing was written" in str(caught.value)
    assert "row 2, 票据号 'FX-1': [validation_error]" in out.getvalue()
    assert report.is_file() and DonationEntry.objects.count() == 3
    with pytest.raises(CommandError, match="No active user"):
        call_command("import_donations", str(good), "--user", "nobody")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_donations", str(tmp_path / "absent.csv"))


def test_bangfu_import_donations_is_the_command(monkeypatch: Any) -> None:
    """``bangfu import-donations FILE`` runs the ``import_donations`` management command."""
    import django.core.management

    from bangfu.cli import main

    seen: list[list[str]] = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", seen.append)
    main(["import-donations", "ledger.xlsx", "--user", "menghai-county", "--dry-run"])
    main(["--version"])
    assert seen == [
        ["bangfu", "import_donations", "ledger.xlsx", "--user", "menghai-county", "--dry-run"],
        ["bangfu", "--version"],
    ]
