"""Sign-in throttling on the web form, client addresses behind proxies, auditor scopes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory

from bangfu.accounts.scopes import scope_for
from bangfu.accounts.services import user_upsert
from bangfu.audit.models import AuditEntry
from bangfu.core.middleware import client_ip

pytestmark = pytest.mark.django_db


def test_the_web_form_is_throttled_too() -> None:
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "nabing-village", "password": "wrong"})
    response = Client().post(
        "/accounts/login/", {"username": "nabing-village", "password": "bangfu-demo"}
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_a_successful_sign_in_clears_earlier_failures() -> None:
    for _ in range(4):
        Client().post("/accounts/login/", {"username": "menga-township", "password": "wrong"})
    assert (
        Client()
        .post("/accounts/login/", {"username": "menga-township", "password": "bangfu-demo"})
        .status_code
        == 302
    )
    for _ in range(4):
        Client().post("/accounts/login/", {"username": "menga-township", "password": "wrong"})
    assert (
        Client()
        .post("/accounts/login/", {"username": "menga-township", "password": "bangfu-demo"})
        .status_code
        == 302
    )


def test_forwarded_addresses_are_believed_only_from_trusted_proxies(settings: Any) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.9"
    )
    settings.BANGFU_TRUSTED_PROXIES = []
    assert client_ip(request) == "10.0.0.9"
    settings.BANGFU_TRUSTED_PROXIES = ["10.0.0.9"]
    assert client_ip(request) == "203.0.113.7"


def test_an_auditor_with_assigned_regions_reads_only_those() -> None:
    from bangfu.accounts.models import Role

    auditor, created = user_upsert(
        actor=None,
        username="dehong-auditor",
        role=Role.AUDITOR,
        display_name="德宏审计",
        capture_codes=[],
        view_codes=["533100000000"],
    )
    assert created
    view = scope_for(auditor, "view")
    assert view.covers("533103000000") and not view.covers("532822000000")
    assert scope_for(auditor, "capture").is_empty
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(auditor.pk)).get()
    assert entry.after is not None and entry.after["view_regions"] == ["533100000000"]
    assert "password" not in entry.after, "password hashes never enter the log"


def test_user_upsert_is_idempotent_and_audits_scope_changes() -> None:
    from bangfu.accounts.models import Role

    args = {
        "actor": None,
        "username": "x-office",
        "role": Role.EAST_OFFICE,
        "display_name": "X",
        "capture_codes": ["310118000000"],
        "view_codes": [],
        "password": "a-long-password-1",
    }
    user, _ = user_upsert(**args)
    hashed = user.password
    count = AuditEntry.objects.count()
    user, created = user_upsert(**args)
    assert not created and user.password == hashed and AuditEntry.objects.count() == count
    user_upsert(**{**args, "capture_codes": ["310117000000"]})
    change = AuditEntry.objects.filter(object_id=str(user.pk), action="update").get()
    assert change.changes() == [("capture_regions", ["310118000000"], ["310117000000"])]
