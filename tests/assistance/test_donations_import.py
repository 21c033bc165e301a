"""Importing ledger entries from spreadsheets: the generic sheet importer (header spellings,
cell problems, all or nothing, the report), the ledger's columns as the ``donations`` table of
``imports.TABLES``, its generic upload page (and the ledger's old import addresses, which
redirect there) and the ``import_donations`` command (``import_assistance donations``)."""

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
from bangfu.assistance.imports import TABLES, import_table
from bangfu.assistance.models import DonationEntry, DonorType
from bangfu.audit.models import AuditEntry
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.registry.importers.cells import convert_int
from bangfu.registry.sheets import (
    SheetColumn,
    SheetSpec,
    import_sheet,
    write_sheet_report,
    write_sheet_template,
)
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


def write_csv(
    path: Path, rows: list[list[Any]], header: list[str] = HEADER, encoding: str = "utf-8-sig"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
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
    result = import_table("donations", path, name=path.name, actor=ledger["admin"])
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
    result = import_table(
        "donations", path, name=path.name, actor=ledger["users"]["nabing-village"]
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
    result = import_table("donations", path, name=path.name, actor=ledger["admin"])
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
    assert import_table("donations", path, name="a.csv", actor=ledger["admin"]).written == 3
    again = import_table("donations", path, name="a.csv", actor=ledger["admin"])
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
    result = import_table(
        "donations", path, name=path.name, actor=ledger["users"]["songjiang-office"]
    )
    assert not DonationEntry.objects.exists()
    assert {(p.row, p.column, p.code) for p in result.problems} == {
        (3, "结对地区代码", "validation_error"),  # the partner without the region
        (4, "帮扶主体", "social_pairing_not_found"),  # Fengxian's: not visible to Songjiang
    }
    auditor = import_table("donations", path, name=path.name, actor=ledger["users"]["auditor"])
    assert (2, "帮扶主体", "permission_denied") in {
        (p.row, p.column, p.code) for p in auditor.problems
    }


def test_files_refused_as_a_whole(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = import_table("donations", empty, name="empty.csv", actor=ledger["admin"])
    assert result.refused and result.problems[0].code == "import_file_empty"
    fake = tmp_path / "fake.xlsx"
    fake.write_text("类型,形式\n", encoding="utf-8")
    result = import_table("donations", fake, name="fake.xlsx", actor=ledger["admin"])
    assert result.refused and result.problems[0].code == "import_file_type"
    missing = write_csv(tmp_path / "missing.csv", [["到位"]], ["类型", "形式", "捐赠方"])
    result = import_table("donations", missing, name="missing.csv", actor=ledger["admin"])
    assert result.refused and result.problems[0].code == "import_header"
    assert "金额(元)" in result.problems[0].message and "日期" in result.problems[0].message
    twice = write_csv(tmp_path / "twice.csv", [], [*HEADER, "金额"])
    result = import_table("donations", twice, name="twice.csv", actor=ledger["admin"])
    assert result.refused and "given twice" in result.problems[0].message
    none = write_csv(tmp_path / "none.csv", [["a", "b"]], ["foo", "bar"])
    result = import_table("donations", none, name="none.csv", actor=ledger["admin"])
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
    result = import_table("donations", path, name=path.name, actor=ledger["admin"])
    codes = {(p.row, p.column, p.code) for p in result.problems}
    assert (2, "金额(元)", "import_formula") in codes
    assert (4, "捐赠方", "import_merged_cells") in codes
    assert not DonationEntry.objects.exists()


def test_a_dry_run_writes_nothing(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    path = write_csv(tmp_path / "dry.csv", fengxian_rows(ledger["fengxian"].pk))
    history = AuditEntry.objects.count()
    result = import_table("donations", path, name=path.name, actor=ledger["admin"], dry_run=True)
    assert result.ok and result.written == 0 and not DonationEntry.objects.exists()
    assert AuditEntry.objects.count() == history  # the rehearsal's history is rolled back too
    # a dry run reports what the import would: after the import, the same file's receipts
    assert import_table("donations", path, name=path.name, actor=ledger["admin"]).written == 3
    dry = import_table("donations", path, name=path.name, actor=ledger["admin"], dry_run=True)
    assert {(p.row, p.column) for p in dry.problems} == {(2, "票据号"), (3, "票据号")}
    assert DonationEntry.objects.count() == 3


def test_a_gb18030_csv(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    rows = fengxian_rows(ledger["fengxian"].pk)
    path = write_csv(tmp_path / "台账.csv", rows, encoding="gb18030")
    assert "奉贤区结对干部".encode("gb18030") in path.read_bytes()
    result = import_table("donations", path, name=path.name, actor=ledger["admin"])
    assert result.ok and result.written == 3, result.problems
    assert result.outcomes == {"ledger entries recorded": 3}
    assert DonationEntry.objects.get(receipt_no="FX-1").donor_name == "奉贤区结对干部"
    assert DonationEntry.objects.get(receipt_no="FX-2").donor_name == "某集团"


def test_the_template_lists_the_columns(tmp_path: Path) -> None:
    assert TABLES["donations"].spec == donations.donation_sheet
    target = tmp_path / "template.xlsx"
    write_sheet_template(donations.donation_sheet(), target)
    book = openpyxl.load_workbook(target)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert header[0] == "结对编号" and "金额(元)*" in header and "日期*" in header
    notes = list(book["填写说明"].iter_rows(values_only=True))
    assert len(notes) == len(donations.donation_sheet().columns) + 1


def test_a_filled_template_imports(ledger: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    """The template, filled in and uploaded as it is (its ``*`` headers), records its rows."""
    target = tmp_path / "template.xlsx"
    write_sheet_template(donations.donation_sheet(), target)
    book = openpyxl.load_workbook(target)
    sheet = book.worksheets[0]
    by_key = {c.key: i for i, c in enumerate(donations.donation_sheet().columns)}
    values = {
        "partner": "松江测试企业",
        "west": "532822106207",
        "kind": "到位",
        "form": "资金",
        "donor_name": "甲",
        "donor_type": "个人",
        "amount": "1,500.00",
        "receipt_no": "T-1",
        "entry_date": "2024-02-01",
    }
    row = [""] * len(by_key)
    for key, value in values.items():
        row[by_key[key]] = value
    sheet.append(row)
    book.save(target)
    result = import_table("donations", target, name=target.name, actor=ledger["admin"])
    assert result.ok and result.written == 1, result.problems
    entry = DonationEntry.objects.get()
    assert entry.pairing == ledger["nabing"] and entry.amount == Decimal("1500.00")


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
    """The ledger's import is the generic page of the table ``donations``."""
    settings.BANGFU_IMPORT_DIR = tmp_path / "imports"
    client = client_for("admin")
    page = client.get("/assistance/import/donations/")
    assert page.status_code == 200 and "金额(元)".encode() in page.content
    index = client.get("/assistance/import/")
    assert b'href="/assistance/import/donations/"' in index.content
    ledger_page = client.get("/assistance/donations/")
    assert b'href="/assistance/import/donations/" id="import-donations"' in ledger_page.content
    template = client.get("/assistance/import/donations/template.xlsx")
    assert template.status_code == 200 and read(template)[0][0] == "结对编号"
    # the ledger's old addresses (bookmarks, links) lead to the generic pages
    moved = client.get("/assistance/donations/import/")
    assert moved.status_code == 302 and moved["Location"] == "/assistance/import/donations/"
    moved = client.get("/assistance/donations/import/template.xlsx")
    assert moved["Location"] == "/assistance/import/donations/template.xlsx"
    assert read(client.get(moved["Location"]))[0][0] == "结对编号"

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
    page = client.post("/assistance/import/donations/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and not DonationEntry.objects.exists()
    assert page.context["result"].problems and b'id="import-refused"' in page.content
    token = page.context["report"]
    report = client.get(f"/assistance/import/donations/{token}/report.xlsx")
    assert report.status_code == 200
    rows = read(report)
    assert rows[1][:3] == ("2", "金额(元)", "1.001")
    # only the user who imported finds the report, and only under its table
    other = client_for("menghai-county").get(f"/assistance/import/donations/{token}/report.xlsx")
    assert other.status_code == 404
    assert client.get(f"/assistance/import/measures/{token}/report.xlsx").status_code == 404
    assert client.get("/assistance/import/donations/../../report.xlsx").status_code == 404
    assert client.get("/assistance/import/donations/..%2F..%2Fx/report.xlsx").status_code == 404

    good = write_csv(tmp_path / "good.csv", fengxian_rows(ledger["fengxian"].pk))
    upload = SimpleUploadedFile("good.csv", good.read_bytes(), content_type="text/csv")
    dry = client.post(
        "/assistance/import/donations/",
        {"file": upload, "dry_run": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert b'id="import-ok"' in dry.content and not DonationEntry.objects.exists()
    upload = SimpleUploadedFile("good.csv", good.read_bytes(), content_type="text/csv")
    page = client.post("/assistance/import/donations/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["result"].written == 3 and b'id="import-ok"' in page.content
    assert b"ledger entries recorded: <strong>3</strong>" in page.content
    assert DonationEntry.objects.count() == 3
    # Mangshi county captures no pairing or campaign: no import page, said so
    refused = client_for("mangshi-county").get(
        "/assistance/import/donations/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 403
    assert b"Importing donations needs a pairing or campaign" in refused.content
    assert (
        client_for("mangshi-county").get("/assistance/donations/import/", follow=True).status_code
        == 403
    )


def test_the_command(ledger: dict[str, Any], tmp_path: Path, capsys: Any) -> None:  # noqa: F811
    good = write_csv(tmp_path / "good.csv", fengxian_rows(ledger["fengxian"].pk))
    out = io.StringIO()
    call_command("import_donations", str(good), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue() and not DonationEntry.objects.exists()
    assert out.getvalue().startswith("Table: donations. File: good.csv (as admin)")
    out = io.StringIO()
    call_command("import_donations", str(good), "--user", "admin", stdout=out)
    assert "Rows written: 3" in out.getvalue() and "ledger entries recorded: 3" in out.getvalue()
    assert DonationEntry.objects.count() == 3
    out = io.StringIO()
    report = tmp_path / "problems.xlsx"
    with pytest.raises(CommandError) as caught:
        call_command("import_donations", str(good), "--report", str(report), stdout=out)
    assert caught.value.returncode == 1 and "nothing was written" in str(caught.value)
    assert "row 2, 票据号 'FX-1': [validation_error]" in out.getvalue()
    assert report.is_file() and DonationEntry.objects.count() == 3
    # the same as import_assistance donations: the same refusal, the same exit status
    same = io.StringIO()
    with pytest.raises(CommandError) as again:
        call_command("import_assistance", "donations", str(good), stdout=same)
    assert again.value.returncode == 1 and str(again.value) == str(caught.value)
    assert same.getvalue() == out.getvalue().replace(f"Report: {report}\n", "")
    with pytest.raises(CommandError, match="No active user"):
        call_command("import_donations", str(good), "--user", "nobody")
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_donations", str(tmp_path / "absent.csv"))


def test_the_commands_help(capsys: Any) -> None:
    """``import_donations`` takes FILE and the options of ``import_assistance``, no TABLE."""
    with pytest.raises(SystemExit) as done:
        call_command("import_donations", "--help")
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "import-assistance donations FILE" in text and "all or nothing" in text
    for option in ("--user USERNAME", "--dry-run", "--report OUT.xlsx"):
        assert option in text
    assert "{helpers," not in text and "table" not in text.split("options:")[0].lower()
    with pytest.raises(CommandError, match="unrecognized arguments"):
        call_command("import_donations", "donations", "ledger.csv")


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


def test_a_partner_with_full_width_brackets_is_found_by_name(
    ledger: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Cells are folded when read ( （） → () ), names in the database keep what was typed: the
    lookup tries both spellings."""
    from bangfu.assistance.models import Partner

    pairing = ledger["nabing"]
    Partner.objects.filter(pk=pairing.partner_id).update(name="松江茶叶示范企业（测试）")
    header = ["帮扶主体", "结对地区代码", *HEADER[2:]]
    row = ["松江茶叶示范企业（测试）", pairing.west.code, "到位", "资金", "某企业", "企业"]
    row += ["1000.00", "", "FW-1", "2024-03-01", ""]
    path = write_csv(tmp_path / "brackets.csv", [row], header)
    result = import_table("donations", path, name=path.name, actor=ledger["admin"])
    assert result.problems == [] and result.written == 1, result.problems
    assert DonationEntry.objects.get(receipt_no="FW-1").pairing == pairing
