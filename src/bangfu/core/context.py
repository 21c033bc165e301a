"""Per-request context (request id, client address) that audit entries pick up.

Kept in contextvars so services record them without every caller passing a request around.
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_ip: str | None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "bangfu_request_context", default=None
)


def current() -> RequestContext:
    """The active request's context, or a fresh one for work outside a request (CLI, jobs)."""
    ctx = _current.get()
    return ctx if ctx is not None else RequestContext(request_id=new_request_id(), client_ip=None)


def activate(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def deactivate(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex
