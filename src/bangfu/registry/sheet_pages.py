"""The import pages of an app's spreadsheet tables (``sheet_tables.Table``), one set for every
app: an index of the tables, one page per table — upload (with a dry run), the result with its
counts and every problem, the problems as .xlsx (kept a day, for the importing user only), the
template. ``SheetImportPages(app, tables, …).urls()`` gives an app its routes, named
``<app>-import``, ``<app>-import-table``, ``<app>-import-template`` and ``<app>-import-report``.
Each page calls the table; the services check every row as the importing user."""

from __future__ import annotations

import re
import secrets
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.web import XLSX, refusals_as_http
from bangfu.registry.importers import max_bytes
from bangfu.registry.sheet_tables import Table
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


@dataclass(frozen=True)
class SheetImportPages:
    """The import pages of ``app``'s ``tables``: ``title`` heads the index, ``nav`` (a template,
    or "") is the app's own menu there, ``denied`` says why a table's page is closed to a user
    (with ``{table}``) unless the table says it itself."""

    app: str
    tables: Mapping[str, Table]
    title: Any
    nav: str
    denied: Any

    def urls(self) -> list[URLPattern]:
        name = f"{self.app}-import"
        return [
            path("import/", self._index_view(), name=name),
            path("import/<slug:table>/", self._upload_view(), name=f"{name}-table"),
            path(
                "import/<slug:table>/template.xlsx", self._template_view(), name=f"{name}-template"
            ),
            path(
                "import/<slug:table>/<str:token>/report.xlsx",
                self._report_view(),
                name=f"{name}-report",
            ),
        ]

    # ------------------------------------------------------------------------ the views

    def _index_view(self) -> Any:
        @login_required
        @require_GET
        def import_index(request: HttpRequest) -> HttpResponse:
            tables = [(table, table.may_import(request.user)) for table in self.tables.values()]
            return render(request, "registry/sheet_import_index.html", self._page(tables=tables))

        return import_index

    def _upload_view(self) -> Any:
        @login_required
        @refusals_as_http
        @require_http_methods(["GET", "POST"])
        def import_upload(request: HttpRequest, table: str) -> HttpResponse:
            chosen = self._table(table)
            if not chosen.may_import(request.user):
                reason = str(chosen.denied) or str(self.denied).format(table=chosen.label)
                raise BangfuError(ErrorCode.PERMISSION_DENIED, reason)
            form = ImportForm(request.POST or None, request.FILES or None)
            context = self._page(
                table=chosen,
                columns=chosen.spec().columns,
                form=form,
                result=None,
                max_mb=max_bytes() // 2**20,
            )
            if request.method == "POST" and form.is_valid():
                result = self._run(request, chosen, form)
                context["result"] = result
                context["problems"] = result.problems[:PROBLEMS_SHOWN]
                if result.problems:
                    context["report"] = self._store_report(request.user, chosen, result)
            return render(request, "registry/sheet_import_table.html", context)

        return import_upload

    def _template_view(self) -> Any:
        @login_required
        @require_GET
        def import_template(request: HttpRequest, table: str) -> FileResponse:
            chosen = self._table(table)
            buffer = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115 - FileResponse closes it
            write_sheet_template(chosen.spec(), buffer)
            buffer.seek(0)
            return FileResponse(
                buffer,
                as_attachment=True,
                filename=f"{chosen.key}-template.xlsx",
                content_type=XLSX,
            )

        return import_template

    def _report_view(self) -> Any:
        @login_required
        @require_GET
        def import_report(request: HttpRequest, table: str, token: str) -> FileResponse:
            chosen = self._table(table)
            if not _TOKEN.fullmatch(token):
                raise Http404
            report = self._report_dir(request.user, chosen) / f"{token}.xlsx"
            if not report.is_file():
                raise Http404
            return FileResponse(
                report.open("rb"),
                as_attachment=True,
                filename=f"{chosen.key}-import-problems-{token[:8]}.xlsx",
                content_type=XLSX,
            )

        return import_report

    # ------------------------------------------------------------------------ helpers

    def _page(self, **values: Any) -> dict[str, Any]:
        """The context of both pages: the app (its url names), the index's title, its menu."""
        name = f"{self.app}-import"
        urls = {"index": name, **{k: f"{name}-{k}" for k in ("table", "template", "report")}}
        return {"urls": urls, "title": self.title, "nav": self.nav, **values}

    def _table(self, key: str) -> Table:
        table = self.tables.get(key)
        if table is None:
            raise Http404
        return table

    def _run(self, request: HttpRequest, table: Table, form: ImportForm) -> SheetResult:
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name or "").suffix.lower()[:8]
        with tempfile.TemporaryDirectory() as folder:
            stored = Path(folder) / f"upload{suffix}"
            with stored.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            return table.run(
                stored,
                name=Path(upload.name or "upload").name,
                actor=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )

    def _report_dir(self, user: Any, table: Table) -> Path:
        return Path(settings.BANGFU_IMPORT_DIR) / self.app / table.key / str(int(user.pk))

    def _store_report(self, user: Any, table: Table, result: SheetResult) -> str:
        """Write the import's problems where only this user's download finds them; the user's
        reports of the table older than a day are removed. Returns the token that names it."""
        folder = self._report_dir(user, table)
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
