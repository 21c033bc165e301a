"""The import pages: upload (stored under a random name, checked as the importer checks it),
the background task (run here by django-tasks-db's own worker code, or by the immediate backend),
the batch page and the fragment htmx polls, problems and the report, dry runs, who may see what,
and the worker thread of ``bangfu serve``."""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from bangfu.audit.models import AccessLogEntry
from bangfu.registry import tasks
from bangfu.registry.models import Household, ImportBatch
from bangfu.registry.tasks import Upload
from bangfu.web.management.commands.serve import TaskWorker
from tests.registry.test_importers import COL, HEADER, household

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
UPLOADER = "menghai-county"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def import_dir(settings: Any, tmp_path: Path) -> Path:
    settings.BANGFU_IMPORT_DIR = tmp_path / "imports"
    return settings.BANGFU_IMPORT_DIR  # type: ignore[no-any-return]


def csv_bytes(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    import csv

    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def upload(client: Client, content: bytes, name: str = "纳丙村 2024.csv", **options: Any) -> Any:
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), **options}
    return client.post("/households/import/", data, **EN)


def run_queued_tasks() -> list[DBTaskResult]:
    """What ``bangfu db_worker`` (and the thread of ``bangfu serve``) does with each task."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = []
    for result in DBTaskResult.objects.ready():
        result.claim(worker.worker_id)
        worker.run_task(result)
        result.refresh_from_db()
        ran.append(result)
    return ran


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def follow(client: Client, response: Any) -> Any:
    while response.status_code == 302:
        response = client.get(response["Location"], **EN)
    return response


@pytest.fixture
def phases(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, int, int]]]:
    """Every progress report the importer makes to the task."""
    seen: list[tuple[str, int, int]] = []
    original = tasks._Progress.__call__

    def spy(self: Any, phase: str, done: int, total: int) -> None:
        seen.append((phase, done, total))
        original(self, phase, done, total)

    monkeypatch.setattr(tasks._Progress, "__call__", spy)
    yield seen


# --- the whole way through ----------------------------------------------------------------


def test_an_upload_is_stored_under_a_random_name_queued_and_imported_by_the_worker(
    client_for: Callable[[str], Client],
    users: dict[str, Any],
    import_dir: Path,
    phases: list[tuple[str, int, int]],
) -> None:
    client = client_for(UPLOADER)
    content = csv_bytes(household("5328221062079001") + household("5328221062079002", 2))
    response = upload(client, content, name="../../etc/passwd.csv")
    assert response.status_code == 302
    token = re.fullmatch(r"/households/import/uploads/([0-9a-f]{32})/", response["Location"])
    assert token is not None, response["Location"]
    token_text = token.group(1)

    # Stored in the uploader's folder under the random token; the client's name is display only.
    folder = import_dir / f"u{users[UPLOADER].pk}"
    assert files_in(import_dir) == sorted(
        [f"{token_text}.csv", f"{token_text}.json", f"{token_text}.task"]
    )
    assert (folder / f"{token_text}.csv").read_bytes() == content
    manifest = json.loads((folder / f"{token_text}.json").read_text("utf-8"))
    assert manifest["file_name"] == "passwd.csv" and manifest["state"] == "queued"
    queued = DBTaskResult.objects.get(id=(folder / f"{token_text}.task").read_text())
    assert queued.status == "READY" and queued.task_path == "bangfu.registry.tasks.import_upload"

    # Waiting for the worker: the page polls its fragment.
    waiting = client.get(response["Location"], **EN)
    assert waiting.status_code == 200
    assert (
        b'data-status="queued"' in waiting.content and b'hx-trigger="every 1s"' in waiting.content
    )
    assert b"Waiting for the worker" in waiting.content

    (ran,) = run_queued_tasks()
    assert ran.status == "SUCCESSFUL", ran.traceback
    assert ran.return_value["households_created"] == 2

    # The importer read, checked and wrote, and the task mirrored each phase.
    assert {p for p, _, _ in phases} == {"reading", "checking", "writing"}
    assert ("reading", 5, 0) in phases and ("writing", 2, 2) in phases
    assert (
        Household.objects.filter(household_no__in=["5328221062079001", "5328221062079002"]).count()
        == 2
    )

    # The uploaded file is gone (it holds personal data); the manifest remains.
    assert not (folder / f"{token_text}.csv").exists()
    batch = ImportBatch.objects.get(actor=users[UPLOADER], file_name="passwd.csv")
    assert (folder / f"batch-{batch.pk}").read_text() == token_text

    # The upload's page now leads to the batch's page: done, with the counts.
    page = client.get(response["Location"], **EN)
    assert page.status_code == 302 and page["Location"] == f"/households/import/{batch.pk}/"
    page = follow(client, page)
    html = page.content.decode()
    assert 'data-status="succeeded"' in html and 'data-finished="true"' in html
    assert "hx-trigger" not in html, "a finished import is not polled"
    assert re.search(r'data-count="households_created">2<', html)
    assert re.search(r'data-count="rows_total">5<', html)
    assert re.search(r'data-count="rows_rejected">0<', html)
    assert 'id="import-report"' not in html, "no problems, no report"

    fragment = client.get(f"/households/import/{batch.pk}/progress/", **EN)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.startswith('<section id="import-status"') and "<html" not in body
    assert 'data-status="succeeded"' in body and 'data-count="households_created">2<' in body

    # The list of recent imports has it.
    listing = client.get("/households/import/", **EN).content.decode()
    assert f'href="/households/import/{batch.pk}/"' in listing and "passwd.csv" in listing


def test_the_fragment_shows_the_live_progress_while_the_import_runs(
    client_for: Callable[[str], Client], users: dict[str, Any], import_dir: Path
) -> None:
    """What the page shows between two polls: the batch the importer began, and the phase,
    households done and total that the task mirrored into the upload's manifest."""
    user = users[UPLOADER]
    batch = ImportBatch.objects.create(
        file_name="big.xlsx", file_sha256="0" * 64, layout="national", actor=user, status="reading",
        rows_done=40000,
    )  # fmt: skip
    running = Upload(
        token="a" * 32, user_id=user.pk, file_name="big.xlsx", stored="x.xlsx", size=1,
        sha256="0" * 64, state="running", phase="checking", done=1200, total=5000,
        uploaded_at="2025-01-01T00:00:00+00:00",
    )  # fmt: skip
    running.link_batch(batch.pk)
    client = client_for(UPLOADER)
    body = client.get(f"/households/import/{batch.pk}/progress/", **EN).content.decode()
    assert 'data-status="checking"' in body and 'data-finished="false"' in body
    assert f'hx-get="/households/import/{batch.pk}/progress/"' in body
    assert 'hx-trigger="every 1s"' in body
    assert 'value="1200" max="5000"' in body and "1200 of 5000 households (24%)" in body
    assert "step 2 of 3" in body

    running.phase, running.done, running.total = "writing", 4999, 5000
    running.save()
    batch.status = "writing"
    batch.save()
    body = client.get(f"/households/import/{batch.pk}/progress/", **EN).content.decode()
    assert 'data-status="writing"' in body and "4999 of 5000 households (99%)" in body

    # The importer has finished; the task still writes the report: the page keeps polling, so
    # that the report's link appears with the results.
    ImportBatch.objects.filter(pk=batch.pk).update(
        status="rejected", finished_at=batch.started_at, rows_total=50000
    )
    body = client.get(f"/households/import/{batch.pk}/progress/", **EN).content.decode()
    assert 'data-status="reporting"' in body and 'hx-trigger="every 1s"' in body
    running.state, running.report = "finished", "nothing.xlsx"
    running.save()
    body = client.get(f"/households/import/{batch.pk}/progress/", **EN).content.decode()
    assert 'data-status="rejected"' in body and "hx-trigger" not in body
    running.state = "running"
    running.save()
    ImportBatch.objects.filter(pk=batch.pk).update(status="writing", finished_at=None)

    # A worker that died mid-import (a server stopped) leaves a manifest nobody touches: after a
    # minute the page says so and stops polling.
    an_hour_ago = time.time() - 3600
    os.utime(running.manifest, (an_hour_ago, an_hour_ago))
    body = client.get(f"/households/import/{batch.pk}/progress/", **EN).content.decode()
    assert 'data-status="stalled"' in body and "hx-trigger" not in body
    assert "no sign of life" in body

    # A batch made elsewhere (the command line) shows what the batch itself records.
    running.manifest.unlink()
    body = client.get(f"/households/import/{batch.pk}/progress/", **EN).content.decode()
    assert 'data-status="writing"' in body and "40000 rows read" in body


def test_a_bad_file_lists_its_problems_and_its_report_downloads(
    client_for: Callable[[str], Client], users: dict[str, Any]
) -> None:
    rows = household("5328221062079101") + household("5328221062079102")
    rows[1][COL["ethnicity"]] = "火星族"
    client = client_for(UPLOADER)
    with override_settings(TASKS=IMMEDIATE):
        response = upload(client, csv_bytes(rows), name="bad.csv")
    page = follow(client, response)
    html = page.content.decode()
    batch = ImportBatch.objects.get(actor=users[UPLOADER], file_name="bad.csv")
    assert (
        batch.status == "rejected"
        and page.request["PATH_INFO"] == f"/households/import/{batch.pk}/"
    )
    assert 'data-status="rejected"' in html and "Nothing was written" in html
    assert re.search(r'data-count="households_rejected">1<', html)
    assert re.search(r'data-count="households_created">0<', html)
    problems = re.search(r'<table class="list cards" id="import-problems">.*?</table>', html, re.S)
    assert problems is not None
    assert '<td class="card-title num">3</td>' in problems.group(0)
    assert "民族" in problems.group(0) and "火星族" in problems.group(0)
    assert "code_unknown" in problems.group(0)
    assert not Household.objects.filter(household_no="5328221062079101").exists()

    report = client.get(f"/households/import/{batch.pk}/report.xlsx")
    assert report.status_code == 200
    assert (
        report["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "bad-report.xlsx" in report["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(report.streaming_content)))
    assert workbook.sheetnames == ["问题清单", "未导入的行"]
    listing = workbook["问题清单"]
    assert [c.value for c in listing[2]][:4] == ["3", "民族", "火星族", "code_unknown"]
    logged = AccessLogEntry.objects.filter(actor=users[UPLOADER], kind="export").last()
    assert logged is not None and logged.object_ids == [str(batch.pk)]


def test_problems_are_paginated(client_for: Callable[[str], Client], users: dict[str, Any]) -> None:
    rows: list[list[str]] = []
    for n in range(60):
        pair = household(f"53282210620792{n:02d}", 2)
        pair[0][COL["ethnicity"]] = "火星族"
        rows += pair
    client = client_for(UPLOADER)
    with override_settings(TASKS=IMMEDIATE):
        page = follow(client, upload(client, csv_bytes(rows), name="many.csv"))
    html = page.content.decode()
    assert "60 problems" in html and html.count("[code_unknown]") == 50
    assert 'href="?page=2"' in html
    second = client.get(page.request["PATH_INFO"] + "?page=2", **EN).content.decode()
    assert second.count("[code_unknown]") == 10


def test_a_dry_run_writes_nothing_and_shows_its_result_on_the_upload_page(
    client_for: Callable[[str], Client], users: dict[str, Any]
) -> None:
    before = ImportBatch.objects.count()
    client = client_for(UPLOADER)
    with override_settings(TASKS=IMMEDIATE):
        response = upload(client, csv_bytes(household("5328221062079301")), dry_run="on")
    page = follow(client, response)
    html = page.content.decode()
    assert page.request["PATH_INFO"].startswith("/households/import/uploads/")
    assert 'data-status="checked"' in html and "every row passed" in html
    assert re.search(r'data-count="rows_total">3<', html)
    assert re.search(r'data-count="rows_rejected">0<', html)
    assert 'data-count="households_created"' not in html, "the importer does not count them"
    assert ImportBatch.objects.count() == before
    assert not Household.objects.filter(household_no="5328221062079301").exists()
    listing = client.get("/households/import/", **EN).content.decode()
    assert page.request["PATH_INFO"] in listing


def test_a_file_without_the_columns_is_refused_by_the_task_and_the_page_says_why(
    client_for: Callable[[str], Client], users: dict[str, Any]
) -> None:
    client = client_for(UPLOADER)
    with override_settings(TASKS=IMMEDIATE):
        page = follow(client, upload(client, "姓名,备注\n岩温,x\n".encode(), name="odd.csv"))
    html = page.content.decode()
    # The importer records a file refused as a whole without its actor; the link the task
    # keeps in the uploader's folder still lets the uploader (and only them) see it.
    batch = ImportBatch.objects.get(file_name="odd.csv")
    assert batch.status == "failed" and 'data-status="failed"' in html
    assert page.request["PATH_INFO"] == f"/households/import/{batch.pk}/"
    assert "import_header" in html
    assert client_for("menga-township").get(f"/households/import/{batch.pk}/").status_code == 404
    assert f"/households/import/{batch.pk}/" in client.get("/households/import/").content.decode()


# --- bad input on the form -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.csv", b"", "import_file_empty"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "import_file_type"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 100, "import_file_type"),
        ("fake.xlsx", "户编号,姓名\n".encode(), "import_file_type"),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_on_the_form(
    client_for: Callable[[str], Client], import_dir: Path, name: str, content: bytes, code: str
) -> None:
    tasks_before = DBTaskResult.objects.count()
    response = upload(client_for(UPLOADER), content, name=name)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="form-has-errors"' in html and f"[{code}]" in html
    assert DBTaskResult.objects.count() == tasks_before
    assert files_in(import_dir) == [], "nothing kept"


def test_no_file_and_a_file_too_large_are_refused_on_the_form(
    client_for: Callable[[str], Client], settings: Any, import_dir: Path
) -> None:
    client = client_for(UPLOADER)
    response = client.post("/households/import/", {"layout": "national"}, **EN)
    assert response.status_code == 200 and "Choose a file to import" in response.content.decode()
    settings.BANGFU_IMPORT_MAX_BYTES = 500
    response = upload(client, csv_bytes(household("5328221062079401")))
    html = response.content.decode()
    assert "[import_file_too_large]" in html and "at most 1 KB" in html
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # Django spools the upload to a temporary file
    response = upload(client, csv_bytes(household("5328221062079401")))
    assert "[import_file_too_large]" in response.content.decode()
    assert files_in(import_dir) == []


# --- who may see what ----------------------------------------------------------------------


def test_only_the_uploader_and_administrators_see_an_import(
    client_for: Callable[[str], Client], users: dict[str, Any]
) -> None:
    rows = household("5328221062079501")
    rows[0][COL["ethnicity"]] = "火星族"
    owner = client_for(UPLOADER)
    with override_settings(TASKS=IMMEDIATE):
        response = upload(owner, csv_bytes(rows), name="mine.csv", dry_run="on")
        dry_url = follow(owner, response).request["PATH_INFO"]
        page = follow(owner, upload(owner, csv_bytes(rows), name="mine.csv"))
    batch_url = page.request["PATH_INFO"]
    urls = [
        batch_url,
        batch_url + "progress/",
        batch_url + "report.xlsx",
        dry_url,
        dry_url + "progress/",
        dry_url + "report.xlsx",
    ]
    for url in urls:
        assert owner.get(url).status_code == 200, url
    # A colleague who sees the same households (and an auditor) still do not see the import.
    for other in ("menga-township", "nabing-village", "auditor"):
        client = client_for(other)
        for url in urls:
            assert client.get(url).status_code == 404, (other, url)
        assert batch_url not in client.get("/households/import/").content.decode()
    admin = client_for("admin")
    for url in urls:
        assert admin.get(url).status_code == 200, url
    assert batch_url in admin.get("/households/import/").content.decode()
    assert client_for(UPLOADER).get("/households/import/uploads/not-a-token/").status_code == 404


def test_a_user_without_a_capture_scope_may_not_upload(
    client_for: Callable[[str], Client],
) -> None:
    auditor = client_for("auditor")
    assert auditor.get("/households/import/").status_code == 403
    response = upload(auditor, csv_bytes(household("5328221062079601")))
    assert response.status_code == 403
    assert DBTaskResult.objects.filter(status="READY").count() == 0
    listing = auditor.get("/households/").content.decode()
    assert 'id="import-households"' not in listing
    assert 'id="import-households"' in client_for(UPLOADER).get("/households/").content.decode()


def test_the_template_downloads_from_the_import_page(client_for: Callable[[str], Client]) -> None:
    client = client_for(UPLOADER)
    page = client.get("/households/import/", **EN).content.decode()
    assert 'href="/households/import/template.xlsx"' in page
    response = client.get("/households/import/template.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames[0] == "户籍信息"


def test_a_task_that_dies_before_the_import_begins_is_shown_as_failed(
    client_for: Callable[[str], Client], users: dict[str, Any], import_dir: Path
) -> None:
    client = client_for(UPLOADER)
    response = upload(client, csv_bytes(household("5328221062079701")))
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    folder = import_dir / f"u{users[UPLOADER].pk}"
    (folder / f"{token}.json").write_text("{not json", "utf-8")  # the worker cannot read it
    (ran,) = run_queued_tasks()
    assert ran.status == "FAILED"
    (folder / f"{token}.json").write_text(
        json.dumps({"token": token, "user_id": users[UPLOADER].pk, "file_name": "x.csv",
                    "stored": f"{token}.csv", "size": 1, "sha256": "", "state": "queued"}),
        "utf-8",
    )  # fmt: skip
    html = client.get(response["Location"], **EN).content.decode()
    assert 'data-status="failed"' in html and "task worker" in html and "hx-trigger" not in html


# --- the worker thread of `bangfu serve` ------------------------------------------------------


def test_serve_runs_a_task_worker_unless_told_not_to(capsys: pytest.CaptureFixture[str]) -> None:
    worker = TaskWorker.create()
    assert worker is not None and worker.worker.backend_name == "default"
    assert worker.thread.daemon and not worker.thread.is_alive()
    with override_settings(TASKS=IMMEDIATE):
        assert TaskWorker.create() is None
    with pytest.raises(SystemExit):
        call_command("serve", "--help")
    out = capsys.readouterr().out
    assert "--no-worker" in out and "db_worker" in out


def test_an_upload_with_an_id_held_elsewhere_imports_the_rest_and_links_the_review(
    client_for: Callable[[str], Client], settings: Any
) -> None:
    from bangfu.core.protect import decrypt_text
    from bangfu.regions.scope import RegionScope
    from bangfu.registry.models import Member
    from bangfu.registry.services import household_save
    from tests.registry.factories import household_in

    settings.TASKS = IMMEDIATE
    household_save(
        actor=None, capture=RegionScope.everything(), data=household_in(no="5328221062078888")
    )
    son = Member.objects.get(household__household_no="5328221062078888", relation="son")
    rows = household("5328221062079001") + household("5328221062079002")
    rows[5][COL["id_number"]] = decrypt_text(son.id_number_enc)
    client = client_for(UPLOADER)
    page = follow(client, upload(client, csv_bytes(rows))).content.decode()
    assert 'data-count="households_created">1<' in page
    assert 'data-count="households_queued"><a href="/households/conflicts/">1<' in page
    assert "held for review" in page and son.id_number_masked not in page
    assert ImportBatch.objects.get().status == "review"
    assert Household.objects.filter(household_no="5328221062079001").exists()
