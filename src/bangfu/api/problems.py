"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from bangfu.core import context
from bangfu.core.errors import BangfuError, ErrorCode

PROBLEM_TYPE = "urn:bangfu:problem:"


def problem(
    request: HttpRequest,
    *,
    code: ErrorCode | str,
    status: int,
    detail: str,
    **extra: Any,
) -> HttpResponse:
    body = {
        "type": PROBLEM_TYPE + str(code),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": str(code),
        "instance": request.path,
        "request_id": context.current().request_id,
        **extra,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/problem+json"
    )
    if status == HTTPStatus.UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="bangfu"'
    return response


def install_problem_handlers(api: NinjaAPI) -> None:
    def on_bangfu(request: HttpRequest, exc: Any) -> HttpResponse:
        extra: dict[str, Any] = {"field": exc.field} if exc.field else {}
        problems = getattr(exc, "problems", None)  # ValidationFailed: every problem, not just one
        if problems:
            extra["errors"] = [
                {"field": p.field, "code": str(p.code), "message": p.message, "member": p.member}
                for p in problems
            ]
        return problem(request, code=exc.code, status=exc.status, detail=exc.message, **extra)

    def on_validation(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = [
            {
                "field": ".".join(
                    str(p) for p in err.get("loc", []) if p not in {"body", "payload"}
                ),
                "message": err.get("msg", ""),
            }
            for err in exc.errors
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid input."
        return problem(
            request, code=ErrorCode.VALIDATION_ERROR, status=422, detail=detail, errors=errors
        )

    def on_auth(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(
            request,
            code=ErrorCode.AUTH_REQUIRED,
            status=401,
            detail="Send 'Authorization: Bearer <token>'; "
            "get a token from POST /api/v1/auth/token.",
        )

    def on_404(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(request, code=ErrorCode.NOT_FOUND, status=404, detail="Not found.")

    def on_http(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(
            request, code=ErrorCode.VALIDATION_ERROR, status=exc.status_code, detail=str(exc)
        )

    api.add_exception_handler(BangfuError, on_bangfu)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_auth)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(HttpError, on_http)
