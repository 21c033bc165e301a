"""Sign-in with throttling, API tokens, and user administration writes (audited)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.models import ApiToken, LoginFailure, Role, User
from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record, snapshot
from bangfu.core import context
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Region

TOKEN_PREFIX = "bft_"


def _throttle_window_start() -> datetime:
    return timezone.now() - timedelta(seconds=settings.BANGFU_LOGIN_WINDOW_SECONDS)


def login_check_throttle(*, username: str) -> None:
    """Refuse further attempts after too many failures for one name or from one address."""
    since = _throttle_window_start()
    by_name = LoginFailure.objects.filter(username=username.lower(), at__gte=since).count()
    ip = context.current().client_ip
    by_ip = LoginFailure.objects.filter(client_ip=ip, at__gte=since).count() if ip else 0
    if (
        by_name >= settings.BANGFU_LOGIN_MAX_FAILURES
        or by_ip >= settings.BANGFU_LOGIN_MAX_FAILURES_PER_IP
    ):
        minutes = settings.BANGFU_LOGIN_WINDOW_SECONDS // 60
        raise BangfuError(
            ErrorCode.AUTH_THROTTLED,
            _(
                "Too many failed sign-ins; try again in {minutes} minutes or ask an administrator."
            ).format(minutes=minutes),
        )


def login_authenticate(*, request: HttpRequest | None, username: str, password: str) -> User:
    """The user for these credentials, counting failures; one message for every wrong case so
    that names cannot be probed."""
    username = (username or "").strip()
    login_check_throttle(username=username)
    user = authenticate(request, username=username, password=password)
    if user is None or not isinstance(user, User):
        LoginFailure.objects.create(
            username=username.lower(), client_ip=context.current().client_ip
        )
        raise BangfuError(ErrorCode.AUTH_INVALID_CREDENTIALS, _("Wrong username or password."))
    LoginFailure.objects.filter(username=username.lower()).delete()
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_issue(*, user: User) -> tuple[str, ApiToken]:
    """A new bearer token (returned once, in clear) and its stored record."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        user=user,
        key_hash=_hash(token),
        prefix=token[:12],
        expires_at=timezone.now() + timedelta(seconds=settings.BANGFU_TOKEN_TTL_SECONDS),
    )
    audit_record(
        actor=user, action=AuditAction.ACTION, obj=user, reason=f"API token {record.prefix}… issued"
    )
    return token, record


def token_resolve(*, token: str) -> User:
    """The active user behind a bearer token, or a refusal that says why."""
    record = ApiToken.objects.select_related("user").filter(key_hash=_hash(token or "")).first()
    if record is None or not record.user.is_active:
        raise BangfuError(ErrorCode.AUTH_TOKEN_INVALID, _("The bearer token is not valid."))
    now = timezone.now()
    if record.expires_at <= now:
        raise BangfuError(
            ErrorCode.AUTH_TOKEN_EXPIRED,
            _("The bearer token expired at {time}; request a new one.").format(
                time=record.expires_at.isoformat()
            ),
        )
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


@transaction.atomic
def user_upsert(
    *,
    actor: Any,
    username: str,
    role: Role,
    display_name: str,
    capture_codes: list[str],
    view_codes: list[str],
    password: str | None = None,
) -> tuple[User, bool]:
    """Create or bring a user in line with the given role and scopes; audited; idempotent
    (a password already matching is not re-hashed, so a second run changes nothing)."""
    user = User.objects.filter(username=username).first()
    created = user is None
    if user is None:
        user = User(username=username)
    before = None if created else snapshot(user) | _scope_snapshot(user)
    user.role, user.display_name = role, display_name
    user.is_staff = user.is_superuser = role == Role.ADMIN
    if password is not None and (created or not user.check_password(password)):
        user.set_password(password)
    user.save()
    user.capture_regions.set(_regions(capture_codes))
    user.view_regions.set(_regions(view_codes))
    after = snapshot(user) | _scope_snapshot(user)
    if created:
        audit_record(actor=actor, action=AuditAction.CREATE, obj=user, after=after)
    elif after != before:
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=user, before=before, after=after)
    return user, created


def _regions(codes: list[str]) -> list[Region]:
    regions = list(Region.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {r.code for r in regions})
    if missing:
        raise BangfuError(
            ErrorCode.REGION_NOT_FOUND,
            _("Unknown region codes: {codes}.").format(codes=", ".join(missing)),
        )
    return regions


def _scope_snapshot(user: User) -> dict[str, list[str]]:
    return {
        "capture_regions": sorted(user.capture_regions.values_list("code", flat=True)),
        "view_regions": sorted(user.view_regions.values_list("code", flat=True)),
    }
