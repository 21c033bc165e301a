"""Turning service refusals into web answers: 404 for hidden or absent, 403 for not allowed."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from bangfu.core.errors import BangfuError

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def refusals_as_http(view: View) -> View:
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
