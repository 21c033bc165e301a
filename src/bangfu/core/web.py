"""Web helpers every app's views share: refusals as HTTP answers, workflow steps taken from a
form, numbers and dates from a form, pages of a list, spreadsheet downloads."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Sequence
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.spreadsheets import Column, write_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def refusals_as_http(view: View) -> View:
    """A service's or selector's refusal as the web answers it: 404 for hidden or absent (the
    same page either way), 403 for visible but not allowed."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except BangfuError as error:
            if error.status == 404:
                raise Http404(error.message) from error
            if error.status == 403:
                raise PermissionDenied(error.message) from error
            raise

    return cast(View, wrapper)


def xlsx_response(
    filename: str, sheet: str, columns: list[Column], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    """Stream a spreadsheet written to a spooled temporary file (memory-bounded)."""
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    write_xlsx(buffer, sheet=sheet, columns=columns, rows=rows)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=filename, content_type=XLSX)


def take_step(
    request: HttpRequest, step: Callable[[HttpRequest, int], Any], pk: int
) -> tuple[Any, BangfuError | None]:
    """On a POST, the workflow step the form names: (its result, None) when taken, (None, the
    refusal) when refused for a reason the page shows beside the form; 403/404 propagate."""
    if request.method != "POST":
        return None, None
    try:
        outcome = step(request, pk)
    except BangfuError as refusal:
        if refusal.status in (403, 404):
            raise
        return None, refusal
    messages.success(request, _("Saved."))
    return outcome, None


def form_date(text: Any, field: str) -> dt.date:
    """A date typed into a form (YYYY-MM-DD, as ``<input type=date>`` sends it)."""
    try:
        return dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, _("Give a date as YYYY-MM-DD."), field=field
        ) from None


def form_optional_date(text: Any, field: str) -> dt.date | None:
    """``form_date``, or None for an empty field."""
    return form_date(text, field) if str(text or "").strip() else None


def form_int(text: Any) -> int | None:
    """A whole number typed into a form or a query string; None when it is not one."""
    text = str(text or "").strip()
    # isdigit() also says yes to "²" and other digits int() cannot read.
    return int(text) if text.isascii() and text.isdigit() else None


def choice_or_blank(value: str, choices: Any) -> str:
    """A filter's value when it is one of ``choices``, else "" (no filter)."""
    return value if value in choices else ""


def attempt(write: Callable[[], Any]) -> tuple[Any, BangfuError | None]:
    """Run a form's write: (its result, None), or (None, the refusal) when the form shows it.
    A 403, and a 404 that names no field, propagate (the error pages)."""
    try:
        return write(), None
    except BangfuError as refusal:
        if refusal.status == 403 or (refusal.status == 404 and not refusal.field):
            raise
        return None, refusal


def page_of(request: HttpRequest, items: Any, size: int = 50) -> Any:
    """The page of ``items`` that ``?page=`` asks for (the last for a page past the end)."""
    return Paginator(items, size).get_page(request.GET.get("page"))
