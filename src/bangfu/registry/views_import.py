"""Import pages: upload a household file (.xlsx or .csv) to be imported in the background, watch
its progress (htmx polls a fragment every second until it is finished), read its problems and
download its report; the user's recent imports; the Bangfu template.

The work is done by ``registry.tasks.import_upload`` in a task worker; these pages only store
the upload, queue the task and read what the importer (``ImportBatch``) and the task (the
upload's manifest) record. An import is visible to the user who uploaded it and to
administrators; to anyone else it does not exist (404).

Two addresses show an import: ``import/<batch id>/`` once the importer has created its
``ImportBatch`` (as soon as it has read the file's header), and ``import/uploads/<token>/`` before
that (waiting for the worker), for a dry run (which records no batch) and for an upload whose
task failed before the importer began. The second redirects to the first as soon as it can.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.accounts.models import Role
from bangfu.accounts.scopes import scope_for
from bangfu.audit.models import AccessKind
from bangfu.audit.services import access_record
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.web import XLSX, refusals_as_http
from bangfu.registry import tasks
from bangfu.registry.importers import ImportRefused, max_bytes
from bangfu.registry.models import ImportBatch
from bangfu.registry.tasks import Upload
from bangfu.registry.templates_xlsx import write_template

PROBLEMS_PER_PAGE = 50
RECENT = 20
NO_WORKER_AFTER = dt.timedelta(seconds=15)  # queued this long: say how a worker is started
STALLED_AFTER = 60.0  # seconds without a heartbeat from a running import: its worker is gone

LAYOUTS = {
    "national": gettext_lazy("National 26-column layout"),
    "bangfu": gettext_lazy("Bangfu template"),
    "demo": gettext_lazy("Demo data"),
}
STATUS_LABELS = {
    "queued": gettext_lazy("Waiting for the worker"),
    "running": gettext_lazy("Starting"),
    "reading": gettext_lazy("Reading the file"),
    "checking": gettext_lazy("Checking households"),
    "writing": gettext_lazy("Writing to the registry"),
    "reporting": gettext_lazy("Writing the report"),
    "succeeded": gettext_lazy("Imported"),
    "partial": gettext_lazy("Partly imported"),
    "review": gettext_lazy("Imported; some households held for review"),
    "rejected": gettext_lazy("Not imported"),
    "failed": gettext_lazy("Failed"),
    "done": gettext_lazy("Done"),
    "checked": gettext_lazy("Checked (dry run)"),
    "stalled": gettext_lazy("Stopped"),
}
GOOD = {"succeeded", "done", "checked"}
COUNTS = (
    "rows_total",
    "rows_rejected",
    "households_created",
    "households_updated",
    "households_unchanged",
    "households_rejected",
    "households_queued",
)


def _no_counts() -> dict[str, int | None]:
    return dict.fromkeys(COUNTS)


STEPS = {"reading": 1, "checking": 2, "writing": 3}


def _is_admin(user: Any) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMIN)


def _capture_or_refuse(user: Any) -> None:
    if scope_for(user, "capture").is_empty:
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Importing households needs a capture scope; yours is empty."),
        )


# --- the upload form -----------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        allow_empty_file=True,  # the importer says why an empty file cannot be imported
        error_messages={
            "required": gettext_lazy("Choose a file to import (.xlsx or .csv)."),
            "invalid": gettext_lazy("No file was received; choose the file again."),
            "missing": gettext_lazy("No file was received; choose the file again."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    layout = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[
            ("", gettext_lazy("Recognise from the header")),
            ("national", LAYOUTS["national"]),
            ("bangfu", LAYOUTS["bangfu"]),
        ],
        widget=forms.RadioSelect,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check every row, write nothing"), required=False
    )
    valid_only = forms.BooleanField(
        label=gettext_lazy(
            "Import the households without problems and report the others (otherwise all or "
            "nothing)"
        ),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = max_bytes()
        size = (
            f"{limit // (1024 * 1024)} MB"
            if limit >= 1024 * 1024
            else f"{max(limit // 1024, 1)} KB"
        )
        self.fields["file"].help_text = _(
            ".xlsx, or .csv in UTF-8 or GB18030; one row per person; at most {size}."
        ).format(size=size)


# --- what a page shows of an import --------------------------------------------------------


@dataclass
class ImportView:
    """An import as its page shows it, from its ``ImportBatch`` and/or its upload's manifest."""

    batch: ImportBatch | None
    upload: Upload | None
    status: str = ""
    finished: bool = False
    file_name: str = ""
    layout: str = ""
    dry_run: bool = False
    valid_only: bool = False
    started: dt.datetime | None = None
    ended: dt.datetime | None = None
    actor: Any = None
    done: int = 0
    total: int = 0
    unit: str = "rows"
    counts: dict[str, int | None] = field(default_factory=_no_counts)
    problems: list[dict[str, Any]] = field(default_factory=list)
    problems_total: int = 0
    error: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float | None = None
    waiting_long: bool = False
    task_failed: bool = False

    @classmethod
    def of(cls, batch: ImportBatch | None, upload: Upload | None) -> ImportView:
        view = cls(batch=batch, upload=upload)
        if upload is not None:
            view._from_upload(upload)
        if batch is not None:
            view._from_batch(batch, upload)
        return view

    def _from_upload(self, upload: Upload) -> None:
        self.file_name = upload.file_name
        self.layout = upload.layout
        self.dry_run, self.valid_only = upload.dry_run, upload.valid_only
        self.started = parse_datetime(upload.started_at or upload.uploaded_at)
        self.ended = parse_datetime(upload.finished_at) if upload.finished_at else None
        self.error = upload.error
        summary = upload.summary
        self.layout = summary.get("layout") or self.layout
        self.ignored_columns = list(summary.get("ignored_columns") or [])
        self.seconds = summary.get("seconds")
        self.counts = {key: summary.get(key) for key in COUNTS}
        if upload.dry_run:  # the importer does not count what a dry run would write
            for key in ("households_created", "households_updated", "households_unchanged"):
                self.counts[key] = None
        self._problems(upload.problems)
        if upload.state == tasks.QUEUED:
            self.status = "queued"
            uploaded = parse_datetime(upload.uploaded_at)
            self.waiting_long = bool(uploaded and timezone.now() - uploaded > NO_WORKER_AFTER)
        elif upload.state == tasks.RUNNING:
            self.status = upload.phase or "running"
            self.done, self.total = upload.done, upload.total
            self.unit = "rows" if upload.phase == "reading" else "households"
            beat = tasks.last_sign_of_life(upload)
            if beat is not None and time.time() - beat > STALLED_AFTER:
                self.status, self.finished = "stalled", True
        elif upload.state == tasks.FAILED:
            self.status, self.finished = "failed", True
        else:
            self.finished = True
            if summary.get("refused"):
                self.status = "failed"
            elif upload.dry_run:
                self.status = "checked"
            else:  # a finished import always has a batch; this is its summary meanwhile
                self.status = "succeeded" if not summary.get("problems") else "rejected"

    def _from_batch(self, batch: ImportBatch, upload: Upload | None) -> None:
        self.file_name = batch.file_name
        self.layout = batch.layout or self.layout
        self.started, self.actor = batch.started_at, batch.actor
        self._problems(batch.errors)
        counts = {
            "rows_total": batch.rows_total,
            "households_created": batch.households_created,
            "households_updated": batch.households_updated,
            "households_unchanged": batch.households_unchanged,
            "households_rejected": batch.households_rejected,
            "households_queued": batch.households_queued,
        }
        if batch.finished_at is not None:
            if upload is not None and upload.state == tasks.RUNNING and self.status != "stalled":
                # The importer is done; the task still writes the report: keep polling.
                self.status, self.finished, self.done, self.total = "reporting", False, 0, 0
                self.counts = _no_counts()
                return
            self.finished, self.status, self.ended = True, batch.status, batch.finished_at
            self.counts = {"rows_rejected": self.counts.get("rows_rejected"), **counts}
            return
        if upload is not None and upload.state == tasks.FAILED:
            self.finished, self.status = True, "failed"
            return
        if self.status == "stalled":
            return
        if upload is None or upload.state != tasks.RUNNING:  # no live numbers: the batch's
            self.status = batch.status if batch.status in STATUS_LABELS else "running"
            self.done, self.total, self.unit = batch.rows_done, 0, "rows"
        self.counts = _no_counts()

    def _problems(self, stored: list[dict[str, Any]]) -> None:
        shown = [p for p in stored if p.get("code") != "truncated"]
        truncated = [p for p in stored if p.get("code") == "truncated"]
        if not shown and not truncated:
            return
        self.problems = shown
        self.problems_total = int(truncated[0].get("count", 0)) if truncated else len(shown)

    # -- for the templates

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def good(self) -> bool:
        return self.status in GOOD and not (self.status == "checked" and self.problems_total)

    @property
    def layout_label(self) -> str:
        return str(LAYOUTS.get(self.layout, self.layout)) if self.layout else ""

    @property
    def step(self) -> int | None:
        return STEPS.get(self.status)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)

    @property
    def progress_text(self) -> str:
        if self.finished or self.status == "queued":
            return ""
        if self.unit == "rows":
            if not self.done:
                return ""
            return ngettext("%(n)s row read", "%(n)s rows read", self.done) % {"n": self.done}
        if self.total:
            return _("{done} of {total} households ({percent}%)").format(
                done=self.done, total=self.total, percent=self.percent
            )
        return ""

    @property
    def truncated(self) -> bool:
        return self.problems_total > len(self.problems)

    @property
    def has_report(self) -> bool:
        path = self.upload.report_path if self.upload is not None else None
        return self.finished and path is not None and path.exists()

    @property
    def explanation(self) -> str:
        s = self.status
        if s == "succeeded":
            if self.counts.get("households_created") or self.counts.get("households_updated"):
                return _("Every row was accepted and the registry is up to date.")
            return _("Every row was accepted; nothing in the registry needed to change.")
        if s == "review":
            return _(
                "Every other row was imported. The households counted under “Held for review” "
                "were not: their ID numbers belong to members of other households. Someone who "
                "may edit both households decides under ID conflicts."
            )
        if s == "partial":
            return _(
                "The households without problems were imported; the households listed below "
                "were not. The report copies their rows: fix them there and import that sheet."
            )
        if s == "rejected":
            if self.valid_only:
                return _("No household could be imported: each has a problem listed below.")
            return _(
                "Nothing was written: an import is all or nothing, and the rows below have "
                "problems. Fix them (the report lists every one and copies the rows) and import "
                "the file again, or import with “valid only” to take the households that pass."
            )
        if s == "failed":
            return self.error or _("The file could not be imported; the reason is below.")
        if s == "checked":
            if self.problems_total:
                return _("Dry run: nothing was written. The problems below would stop the import.")
            return _("Dry run: every row passed the checks; nothing was written.")
        if s == "done":
            return _("Loaded.")
        if s == "stalled":
            return _(
                "The import stopped: the task worker running it has given no sign of life for "
                "over a minute (was the server or the worker stopped?). What it had not "
                "committed was rolled back. Import the file again."
            )
        if s == "queued":
            return _("The file is uploaded and waits for a task worker to take it.")
        return _("The import is running; this page follows it.")


# --- access --------------------------------------------------------------------------------


def _batch_for(user: Any, pk: int) -> tuple[ImportBatch, Upload | None]:
    """The batch and the upload that made it, if the user may see them: the uploader (the
    batch's actor, or for a file refused as a whole, which the importer records without an
    actor, the user whose upload it was) and administrators."""
    batch = ImportBatch.objects.select_related("actor").filter(pk=pk).first()
    upload = Upload.for_batch(batch) if batch is not None else None
    if batch is None or not (
        _is_admin(user)
        or batch.actor_id == user.pk
        or (upload is not None and upload.user_id == user.pk)
    ):
        raise Http404(_("No import with that number is visible to you."))
    return batch, upload


def _upload_for(user: Any, token: str) -> Upload:
    upload = Upload.load(user.pk, token)
    if upload is None and _is_admin(user):
        upload = Upload.find(token)
    if upload is None:
        raise Http404(_("No import with that number is visible to you."))
    return upload


def _task_failed(upload: Upload) -> bool:
    """The task died before the importer began (the manifest never left "queued"/"running")."""
    if upload.finished or upload.batch_id is not None or not upload.task_id:
        return False
    try:
        result = tasks.import_upload.get_result(upload.task_id)
    except Exception:  # a backend that keeps no results, or no such result
        return False
    return str(result.status) == "FAILED"


def _view_of_upload(upload: Upload) -> ImportView:
    view = ImportView.of(None, upload)
    if not view.finished and _task_failed(upload):
        view.finished, view.status, view.task_failed = True, "failed", True
        view.error = _(
            "The background task failed before the import began; the task worker's log says "
            "why. Upload the file again."
        )
    return view


def _problem_page(request: HttpRequest, view: ImportView) -> Page[dict[str, Any]]:
    return Paginator(view.problems, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))


def _context(request: HttpRequest, view: ImportView, urls: dict[str, str]) -> dict[str, Any]:
    return {"imp": view, "page": _problem_page(request, view), **urls}


def _batch_urls(batch: ImportBatch) -> dict[str, str]:
    return {
        "page_url": reverse("import-batch", args=[batch.pk]),
        "progress_url": reverse("import-batch-progress", args=[batch.pk]),
        "report_url": reverse("import-batch-report", args=[batch.pk]),
    }


def _upload_urls(upload: Upload) -> dict[str, str]:
    return {
        "page_url": reverse("import-upload", args=[upload.token]),
        "progress_url": reverse("import-upload-progress", args=[upload.token]),
        "report_url": reverse("import-upload-report", args=[upload.token]),
    }


# --- the pages -----------------------------------------------------------------------------


@dataclass
class RecentImport:
    when: dt.datetime | None
    file_name: str
    status: str
    view: ImportView
    url: str
    actor: Any = None


def _recent(user: Any) -> list[RecentImport]:
    """The user's latest imports (an administrator's list has everyone's batches), newest
    first: batches, and the uploads that have none (waiting, dry runs, failed early)."""
    uploads = Upload.recent(user.pk, RECENT)
    batches = ImportBatch.objects.select_related("actor").order_by("-started_at", "-pk")
    if not _is_admin(user):
        linked = [u.batch_id for u in uploads if u.batch_id is not None]
        batches = batches.filter(Q(actor=user) | Q(pk__in=linked))
    rows: list[RecentImport] = []
    for batch in batches[:RECENT]:
        view = ImportView.of(batch, None)
        url = reverse("import-batch", args=[batch.pk])
        rows.append(
            RecentImport(batch.started_at, batch.file_name, view.status, view, url, batch.actor)
        )
    for upload in uploads:
        if upload.batch_id is not None:
            continue
        view = ImportView.of(None, upload)
        url = reverse("import-upload", args=[upload.token])
        rows.append(RecentImport(view.started, upload.file_name, view.status, view, url, user))
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: r.when or epoch, reverse=True)
    return rows[:RECENT]


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """The upload form and the user's recent imports."""
    _capture_or_refuse(request.user)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                upload = tasks.upload_store(
                    user=request.user,
                    file=data["file"],
                    layout=data.get("layout") or "",
                    dry_run=bool(data.get("dry_run")),
                    valid_only=bool(data.get("valid_only")),
                )
            except ImportRefused as refusal:
                form.add_error("file", f"{refusal.message} [{refusal.code}]")
            else:
                tasks.upload_enqueue(upload)
                return redirect("import-upload", token=upload.token)
    else:
        form = ImportForm()
    context = {"form": form, "recent": _recent(request.user), "is_admin": _is_admin(request.user)}
    return render(request, "registry/import_start.html", context)


@login_required
@require_GET
def import_template(request: HttpRequest) -> FileResponse:
    """The Bangfu import template (.xlsx), the same file as ``bangfu import template``."""
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    write_template(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename="bangfu-import-template.xlsx", content_type=XLSX
    )


@never_cache
@login_required
@require_GET
def import_upload(request: HttpRequest, token: str) -> HttpResponse:
    upload = _upload_for(request.user, token)
    if upload.batch_id is not None:
        return redirect("import-batch", pk=upload.batch_id)
    view = _view_of_upload(upload)
    return render(
        request, "registry/import_detail.html", _context(request, view, _upload_urls(upload))
    )


@never_cache
@login_required
@require_GET
def import_upload_progress(request: HttpRequest, token: str) -> HttpResponse:
    upload = _upload_for(request.user, token)
    if upload.batch_id is not None:  # the importer has begun: follow it on the batch's page
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("import-batch", args=[upload.batch_id])
        return response
    view = _view_of_upload(upload)
    return render(
        request, "registry/import_progress.html", _context(request, view, _upload_urls(upload))
    )


@never_cache
@login_required
@require_GET
def import_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch, upload = _batch_for(request.user, pk)
    view = ImportView.of(batch, upload)
    return render(
        request, "registry/import_detail.html", _context(request, view, _batch_urls(batch))
    )


@never_cache
@login_required
@require_GET
def import_batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The status, progress and (once finished) results: what the batch page polls."""
    batch, upload = _batch_for(request.user, pk)
    view = ImportView.of(batch, upload)
    return render(
        request, "registry/import_progress.html", _context(request, view, _batch_urls(batch))
    )


def _report_response(
    request: HttpRequest, upload: Upload | None, batch: ImportBatch | None
) -> FileResponse:
    handle = tasks.open_report(upload) if upload is not None else None
    if handle is None or upload is None:
        raise Http404(_("This import has no report."))
    # The report copies the rows not imported, ID numbers included, as the file had them.
    access_record(
        actor=request.user,
        kind=AccessKind.EXPORT,
        model=ImportBatch,
        object_ids=[batch.pk] if batch is not None else [],
        fields=["rejected_rows"],
        purpose=_("import report of {file}").format(file=upload.file_name),
    )
    stem = upload.file_name.rsplit(".", 1)[0] if "." in upload.file_name else upload.file_name
    return FileResponse(
        handle, as_attachment=True, filename=f"{stem}-report.xlsx", content_type=XLSX
    )


@never_cache
@login_required
@require_GET
def import_batch_report(request: HttpRequest, pk: int) -> FileResponse:
    batch, upload = _batch_for(request.user, pk)
    return _report_response(request, upload, batch)


@never_cache
@login_required
@require_GET
def import_upload_report(request: HttpRequest, token: str) -> FileResponse:
    return _report_response(request, _upload_for(request.user, token), None)
