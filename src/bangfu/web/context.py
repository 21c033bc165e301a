"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from bangfu.accounts.scopes import can_read_logs, home_code


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_home_code": home_code(user), "nav_can_read_logs": can_read_logs(user)}
