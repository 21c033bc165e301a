"""The project pages: the list scoped and filtered, its Excel export, a new project, and a
project's page — the Sankey chart of its money, the reconciliation, the forms (refusals named
by field), status steps, documents (checked by their bytes, downloads logged) and the
beneficiaries with their export."""

from __future__ import annotations

import io
import re
import stat
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bangfu.audit.models import AccessLogEntry
from bangfu.projects import services
from bangfu.projects.benefits import BenefitIn, benefit_pay
from bangfu.projects.models import Entry, Milestone, PerformanceTarget, ProjectDocument
from bangfu.projects.sankey import sankey_svg
from bangfu.registry.models import IncomeRecord
from tests.projects.conftest import DAY, make_households

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.BANGFU_MEDIA_DIR = tmp_path / "media"
    return settings.BANGFU_MEDIA_DIR


def paid(users: dict[str, Any], project: Any) -> None:
    """A contractor paid 250,000.00 and two households 6,000.50 from the allocation."""
    services.pay_contractor(
        actor=users["admin"],
        project=project,
        payee="勐海茶机制造有限公司",
        source=services.source_account("east_aid", 2025),
        amount="250000.00",
        entry_date=DAY,
        voucher="ZF-001",
        idempotency_key="pay-contractor-1",
    )
    first, second = make_households(users, 2)
    benefit_pay(
        actor=users["admin"],
        project=project,
        source=services.source_account("east_aid", 2025),
        mechanism="wages",
        year=2025,
        rows=[BenefitIn("3600.00", first), BenefitIn("2400.50", second)],
        entry_date=DAY,
        voucher="GZ-001",
        idempotency_key="pay-households-1",
    )


def xlsx_rows(content: bytes) -> list[tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


# ---------------------------------------------------------------------------- the list


def test_the_list_shows_the_county_its_projects_and_hides_them_from_another(project, client_for):
    page = client_for("menghai-county").get("/projects/")
    assert page.status_code == 200
    assert 'data-project="nabing-tea"' in page.content.decode()
    assert "600000.00" in page.content.decode()  # allocated, read from the ledger

    other = client_for("mangshi-county")
    assert 'data-project="nabing-tea"' not in other.get("/projects/").content.decode()
    assert other.get(f"/projects/{project.pk}/").status_code == 404
    assert other.get(f"/projects/{project.pk}/benefits.xlsx").status_code == 404


def test_the_list_filters(project, client_for):
    client = client_for("admin")

    def shown(query: str) -> bool:
        return 'data-project="nabing-tea"' in client.get(f"/projects/?{query}").content.decode()

    assert shown("region=532822&status=planned&kind=industry&year=2025&q=tea")
    assert shown(f"pairing={project.pairing_id}")
    assert not shown("region=533103")
    assert not shown("status=underway")
    assert not shown("kind=water")
    assert not shown("year=2024")
    assert not shown("q=nothing-like-it")


def test_a_region_filter_takes_the_whole_subtree_and_never_fails(project, users, client_for):
    """A county's full code lists its villages' projects too (the filter once compared the
    start of the code, so 532822000000 matched the county alone); a code that is none gives
    an empty list, not a server error."""
    from bangfu.regions.models import Region

    services.project_save(
        actor=users["admin"],
        code="nabing-road",
        name="纳丙村道路",
        kind="infrastructure",
        region=Region.objects.get(code="532822106207"),
        year=2025,
    )
    client = client_for("admin")

    def codes(query: str) -> set[str]:
        page = client.get(f"/projects/?{query}")
        assert page.status_code == 200
        return set(re.findall(r'data-project="([^"]+)"', page.content.decode()))

    assert codes("region=532822000000") == {"nabing-tea", "nabing-road"}
    assert codes("region=532822106") == {"nabing-road"}
    assert codes("region=00") == codes("region=abc") == codes("region=²") == set()
    for query in ("region=00", "region=%C2%B2", "year=%C2%B2"):
        assert client.get(f"/projects/cooperatives/?{query}").status_code == 200
        assert client.get(f"/projects/cooperatives/export.xlsx?{query}").status_code == 200


def test_the_export_has_the_filtered_rows(project, users, client_for):
    paid(users, project)
    response = client_for("menghai-county").get("/projects/export.xlsx?region=532822")
    assert response.status_code == 200
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert len(rows) == 2
    code, name, *_rest = rows[1]
    assert (code, name) == ("nabing-tea", "纳丙村茶叶精制厂")
    assert rows[1][3] == "532822000000"  # a code stays text
    assert rows[1][9] == 600000 and rows[1][10] == pytest.approx(256000.5)
    empty = client_for("menghai-county").get("/projects/export.xlsx?status=accepted")
    assert len(xlsx_rows(b"".join(empty.streaming_content))) == 1


def test_a_new_project_is_saved_and_a_refusal_names_its_field(client_for):
    client = client_for("menghai-county")
    form = {
        "code": "menghai-road",
        "name": "勐海通村道路",
        "kind": "infrastructure",
        "region": "532822000000",
        "year": "2025",
    }
    response = client.post("/projects/new/", form)
    assert response.status_code == 302
    assert response["Location"].startswith("/projects/")

    again = client.post("/projects/new/", form)  # the code is taken now
    assert again.status_code == 200
    assert 'data-error-for="code"' in again.content.decode()

    outside = client.post("/projects/new/", form | {"code": "mangshi-x", "region": "533103000000"})
    assert 'data-error-for="region"' in outside.content.decode()

    assert client_for("auditor").get("/projects/new/").status_code == 403


# ---------------------------------------------------------------------------- the project page


def test_the_page_draws_the_money_from_sources_to_payees_and_reconciles(project, users, client_for):
    paid(users, project)
    page = client_for("menghai-county").get(f"/projects/{project.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    svg = re.search(r"<svg[^>]*id=\"sankey\".*?</svg>", html, re.S)
    assert svg is not None
    chart = svg.group(0)
    assert 'data-label="Eastern fiscal aid' in chart or "沪滇" in chart  # the source
    assert "勐海茶机制造有限公司" in chart  # a payee
    assert "250,000.00" in chart and "<title>" in chart
    assert chart.count('class="link"') == 4  # source → project → contractor, households, held
    reconciliation = re.search(r'id="reconciliation".*?</table>', html, re.S).group(0)
    assert 'id="difference-total">0.00<' in reconciliation
    assert 'id="reconciliation-warning"' not in html
    assert "HD-2025-02" in html  # the allocation's voucher among the ledger entries
    # beneficiaries: numbers, not names
    assert "5328221062070001" in html
    assert "岩温" not in html


def test_the_sankey_layout_holds_many_payees_and_escapes_labels() -> None:
    links = [("源 <A>", "项目", 3_000_000)] + [("项目", f"payee {i}", 90_000) for i in range(30)]
    links.append(("项目", "still held", 300_000))
    svg = sankey_svg(links, title="t & t", muted=["still held"])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="node"') == 33 and svg.count('class="link"') == 32
    assert "源 &lt;A&gt;" in svg and "t &amp; t" in svg
    assert "30,000.00" in svg
    empty = sankey_svg([], title="x", empty_text="nothing yet")
    assert "nothing yet" in empty


def test_a_milestone_is_added_and_a_refusal_names_its_field(project, client_for):
    client = client_for("menghai-county")
    url = f"/projects/{project.pk}/milestones/"
    response = client.post(
        url, {"name": "厂房完工", "planned_date": "2025-09-30", "progress": "40"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#milestones")
    assert Milestone.objects.get(project=project).progress == 40
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'id="project-progress">40 %' in page

    refused = client.post(
        url,
        {
            "name": "设备安装",
            "planned_date": "2025-10-30",
            "progress": "50",
            "done_date": "2025-10-30",
        },
    )
    assert refused.status_code == 200
    assert 'data-error-for="progress"' in refused.content.decode()
    bad_date = client.post(url, {"name": "x", "planned_date": "30/10/2025", "progress": "0"})
    assert 'data-error-for="planned_date"' in bad_date.content.decode()
    assert client_for("mangshi-county").post(url, {"name": "x"}).status_code == 404
    assert client_for("auditor").post(url, {"name": "x"}).status_code == 403


def test_targets_show_counted_actuals(project, users, client_for):
    paid(users, project)
    client = client_for("menghai-county")
    url = f"/projects/{project.pk}/targets/"
    ok = client.post(url, {"indicator": "带动就业户数", "target": "2", "measure": "jobs"})
    assert ok.status_code == 302
    refused = client.post(
        url, {"indicator": "带动就业户数", "target": "2", "measure": "jobs", "actual": "5"}
    )
    assert 'data-error-for="actual"' in refused.content.decode()
    assert PerformanceTarget.objects.filter(project=project).count() == 1
    page = client.get(f"/projects/{project.pk}/").content.decode()
    row = re.search(r"<tr data-target=.*?</tr>", page, re.S).group(0)
    assert 'data-counted="1"' in row and ">2<" in row


def test_status_steps_and_a_refused_step(project, client_for):
    client = client_for("menghai-county")
    url = f"/projects/{project.pk}/status/"
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'data-status="underway"' in page and 'data-status="accepted"' not in page
    assert client.post(url, {"status": "underway"}).status_code == 302
    project.refresh_from_db()
    assert project.status == "underway"
    refused = client.post(url, {"status": "accepted"})
    assert refused.status_code == 200
    assert 'data-error-for="status"' in refused.content.decode()
    assert client.post(url, {"status": "completed"}).status_code == 302
    accept = f"/projects/{project.pk}/acceptance/"
    no_findings = client.post(
        accept, {"checked_on": "2025-12-01", "passed": "no", "inspectors": "县验收组"}
    )
    assert 'data-error-for="findings"' in no_findings.content.decode()
    done = client.post(
        accept, {"checked_on": "2025-12-01", "passed": "yes", "inspectors": "县验收组"}
    )
    assert done.status_code == 302
    project.refresh_from_db()
    assert project.status == "accepted"


def test_an_allocation_submitted_twice_is_recorded_once(project, users, client_for):
    services.fund(
        actor=users["admin"],
        fund_source="local_fiscal",
        year=2025,
        amount="50000.00",
        entry_date=DAY,
        voucher="CZ-1",
        idempotency_key="fund-local",
    )
    client = client_for("menghai-county")
    page = client.get(f"/projects/{project.pk}/").content.decode()
    key = re.search(r'id="allocate-form">.*?name="key" value="([0-9a-f]+)"', page, re.S).group(1)
    form = {
        "key": key,
        "fund_source": "local_fiscal",
        "year": "2025",
        "amount": "20000.00",
        "entry_date": "2025-06-11",
        "voucher": "CZ-2",
    }
    before = Entry.objects.count()
    assert client.post(f"/projects/{project.pk}/allocate/", form).status_code == 302
    assert client.post(f"/projects/{project.pk}/allocate/", form).status_code == 302
    assert Entry.objects.count() == before + 1
    too_much = client.post(
        f"/projects/{project.pk}/allocate/", form | {"key": "other", "amount": "90000.00"}
    )
    assert too_much.status_code == 200 and 'role="alert"' in too_much.content.decode()
    no_amount = client.post(
        f"/projects/{project.pk}/allocate/", form | {"key": "third", "amount": "-5"}
    )
    assert 'data-error-for="amount"' in no_amount.content.decode()


def test_a_contractor_is_paid_from_the_project(project, client_for):
    client = client_for("menghai-county")
    source = services.source_account("east_aid", 2025)
    form = {
        "key": "k1",
        "payee": "勐海建筑公司",
        "source": str(source.pk),
        "amount": "1000.00",
        "entry_date": "2025-06-12",
        "voucher": "ZF-9",
    }
    assert client.post(f"/projects/{project.pk}/pay/", form).status_code == 302
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "勐海建筑公司" in page
    refused = client.post(f"/projects/{project.pk}/pay/", form | {"key": "k2", "payee": ""})
    assert 'data-error-for="payee"' in refused.content.decode()


def test_households_pasted_from_excel_are_paid_once_into_their_incomes(project, users, client_for):
    first, second = make_households(users, 2)
    client = client_for("menghai-county")
    source = services.source_account("east_aid", 2025)
    form = {
        "key": "paste-1",
        "rows": f"{first.household_no}\t3,600.00\n\n{second.household_no}, 2400\n",
        "mechanism": "wages",
        "year": "2025",
        "source": str(source.pk),
        "entry_date": "2025-06-12",
        "voucher": "GZ-7",
    }
    url = f"/projects/{project.pk}/pay-households/"
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # the form submitted twice pays once
    entry = Entry.objects.get(voucher="GZ-7")
    assert sorted(b.amount for b in entry.benefits.all()) == [Decimal("2400.00"), Decimal("3600")]
    record = IncomeRecord.objects.get(household=first, year=2025)
    assert record.wage_income == Decimal("11600.00")
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert first.household_no in page

    unknown = client.post(url, form | {"key": "paste-2", "rows": "5328221062079999 10"})
    refusal = re.search(r'data-error-for="rows">([^<]*)', unknown.content.decode())
    assert refusal is not None and "5328221062079999" in refusal.group(1)
    garbled = client.post(url, form | {"key": "paste-3", "rows": f"{first.household_no}\nx"})
    assert 'data-error-for="rows"' in garbled.content.decode()
    assert Entry.objects.filter(voucher="GZ-7").count() == 1 and Entry.objects.count() == 3


# ---------------------------------------------------------------------------- documents


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_document_is_kept_outside_the_web_root_and_its_download_logged(
    project, client_for, media
):
    client = client_for("menghai-county")
    upload = SimpleUploadedFile("批复.pdf", pdf(), content_type="application/pdf")
    response = client.post(
        f"/projects/{project.pk}/documents/", {"title": "立项批复", "file": upload}
    )
    assert response.status_code == 302
    document = ProjectDocument.objects.get(project=project)
    stored = Path(media) / "projects" / document.stored_name
    assert stored.read_bytes() == pdf() and document.content_type == "application/pdf"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert len(document.sha256) == 64

    before = AccessLogEntry.objects.count()
    download = client.get(f"/projects/documents/{document.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf()
    assert AccessLogEntry.objects.count() == before + 1
    assert (
        client_for("mangshi-county").get(f"/projects/documents/{document.pk}/").status_code == 404
    )


def test_a_document_whose_row_cannot_be_written_leaves_no_file(project, users, media, monkeypatch):
    from bangfu.projects import documents

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(documents.services, "record_action", broken)
    upload = SimpleUploadedFile("批复.pdf", pdf(), content_type="application/pdf")
    with pytest.raises(RuntimeError):
        documents.document_keep(actor=users["admin"], project=project, title="批复", upload=upload)
    assert not ProjectDocument.objects.exists()
    assert list((Path(media) / "projects").glob("*")) == []


def test_documents_are_checked_by_their_bytes(project, client_for):
    client = client_for("menghai-county")
    url = f"/projects/{project.pk}/documents/"
    exe = SimpleUploadedFile(
        "合同.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf"
    )
    refused = client.post(url, {"title": "合同", "file": exe})
    assert refused.status_code == 200
    assert 'data-error-for="file"' in refused.content.decode()
    assert not ProjectDocument.objects.filter(project=project).exists()

    sheet = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["a"])
    workbook.save(sheet)
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    not_office = io.BytesIO()
    with zipfile.ZipFile(not_office, "w") as archive:
        archive.writestr("hello.txt", "hi")
    for name, data, kept in [
        ("预算.xlsx", sheet.getvalue(), True),
        ("现场.png", png.getvalue(), True),
        ("x.docx", not_office.getvalue(), False),
    ]:
        client.post(url, {"title": name, "file": SimpleUploadedFile(name, data)})
        assert ProjectDocument.objects.filter(project=project, title=name).exists() is kept
    no_title = client.post(url, {"title": "", "file": SimpleUploadedFile("a.pdf", pdf())})
    assert 'data-error-for="title"' in no_title.content.decode()


# ---------------------------------------------------------------------------- beneficiaries


def test_the_beneficiaries_summary_and_export(project, users, client_for):
    paid(users, project)
    client = client_for("menghai-county")
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'data-figure="households">2<' in page
    assert 'data-figure="amount">6000.50<' in page
    response = client.get(f"/projects/{project.pk}/benefits.xlsx")
    assert response.status_code == 200
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert len(rows) == 3
    numbers = sorted(row[0] for row in rows[1:])
    assert numbers == ["5328221062070001", "5328221062070002"]
    assert {row[7] for row in rows[1:]} == {"GZ-001"}
    assert sum(Decimal(str(row[4])) for row in rows[1:]) == Decimal("6000.50")


def test_a_difference_is_shown_with_a_warning(project, client_for, monkeypatch):
    from bangfu.projects import views_projects
    from bangfu.projects.flow import FlowLine, FundFlow

    def broken(p: Any) -> FundFlow:
        source = services.source_account("east_aid", 2025)
        return FundFlow(project=p, lines=[FlowLine(source, 600000_00, 100_00, 599800_00)])

    monkeypatch.setattr(views_projects, "fund_flow", broken)
    html = client_for("menghai-county").get(f"/projects/{project.pk}/").content.decode()
    assert 'id="reconciliation-warning"' in html
    assert 'id="difference-total">100.00<' in html
