"""Pages to import the assistance tables from Excel (helpers, assignments, measures, visits,
partners, social pairings, the donations ledger, secondments): one generic page per table of
``imports.TABLES`` — upload (with a dry run), the result with its counts and every problem, the
problems as .xlsx, the template — and an index of the tables. Each page calls ``imports``; the
services check every row as the importing user."""

from __future__ import annotations

import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.assistance.imports import TABLES, Table
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.web import XLSX, refusals_as_http
from bangfu.registry.importers import max_bytes
from bangfu.registry.sheets import SheetResult, write_sheet_report, write_sheet_template

PROBLEMS_SHOWN = 200
REPORTS_KEPT_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        allow_empty_file=True,  # the importer says why an empty file cannot be imported
        error_messages={"required": gettext_lazy("Choose a file to import (.xlsx or .csv).")},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: check every row, write nothing"), required=False
    )


def _table(key: str) -> Table:
    table = TABLES.get(key)
    if table is None:
        raise Http404
    return table


def _report_dir(user: Any, table: Table) -> Path:
    return Path(settings.BANGFU_IMPORT_DIR) / "assistance" / table.key / str(int(user.pk))


def _store_report(user: Any, table: Table, result: SheetResult) -> str:
    """Write the import's problems where only this user's download finds them; the user's
    reports of the table older than a day are removed. Returns the token that names it."""
    folder = _report_dir(user, table)
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.xlsx"):
        try:
            if now - old.stat().st_mtime > REPORTS_KEPT_SECONDS:
                old.unlink()
        except OSError:
            pass
    token = secrets.token_hex(16)
    write_sheet_report(result, folder / f"{token}.xlsx")
    return token


@login_required
@require_GET
def import_index(request: HttpRequest) -> HttpResponse:
    tables = [(table, table.may_import(request.user)) for table in TABLES.values()]
    return render(request, "assistance/import_index.html", {"tables": tables})


@login_required
@refusals_as_http
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, table: str) -> HttpResponse:
    chosen = _table(table)
    if not chosen.may_import(request.user):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            str(chosen.denied)
            or _(
                "Importing {table} needs a region in your capture scope (for measures and "
                "visits, households assigned to you as a helper will do)."
            ).format(table=chosen.label),
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    spec = chosen.spec()
    context: dict[str, Any] = {
        "table": chosen,
        "columns": spec.columns,
        "form": form,
        "result": None,
        "max_mb": max_bytes() // 2**20,
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name or "").suffix.lower()[:8]
        with tempfile.TemporaryDirectory() as folder:
            stored = Path(folder) / f"upload{suffix}"
            with stored.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            result = chosen.run(
                stored,
                name=Path(upload.name or "upload").name,
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
        context["result"] = result
        context["problems"] = result.problems[:PROBLEMS_SHOWN]
        if result.problems:
            context["report"] = _store_report(request.user, chosen, result)
    return render(request, "assistance/import_table.html", context)


@login_required
@require_GET
def import_template(request: HttpRequest, table: str) -> FileResponse:
    chosen = _table(table)
    buffer = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 - FileResponse closes it
    write_sheet_template(chosen.spec(), buffer)
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename=f"{chosen.key}-template.xlsx", content_type=XLSX
    )


@login_required
@require_GET
def import_report(request: HttpRequest, table: str, token: str) -> FileResponse:
    chosen = _table(table)
    if not _TOKEN.fullmatch(token):
        raise Http404
    report = _report_dir(request.user, chosen) / f"{token}.xlsx"
    if not report.is_file():
        raise Http404
    return FileResponse(
        report.open("rb"),
        as_attachment=True,
        filename=f"{chosen.key}-import-problems-{token[:8]}.xlsx",
        content_type=XLSX,
    )


urlpatterns: list[URLPattern] = [
    path("import/", import_index, name="assistance-import"),
    path("import/<slug:table>/", import_upload, name="assistance-import-table"),
    path("import/<slug:table>/template.xlsx", import_template, name="assistance-import-template"),
    path(
        "import/<slug:table>/<str:token>/report.xlsx",
        import_report,
        name="assistance-import-report",
    ),
]
