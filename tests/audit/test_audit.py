"""The audit and access logs are append-only; entries carry actor, request id and address."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from bangfu.audit.models import AccessKind, AccessLogEntry, AuditEntry
from bangfu.audit.services import access_record
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Region

pytestmark = pytest.mark.django_db


def test_api_writes_record_actor_request_id_and_address(
    api_token: Any, users: dict[str, Any]
) -> None:
    client = Client(
        headers={**api_token("menga-township"), "X-Request-ID": "req-test-0001"},
        REMOTE_ADDR="10.1.2.3",
    )
    response = client.patch(
        "/api/v1/regions/532822106207",
        json.dumps({"name_en": "Nabing", "reason": "short form"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response["X-Request-ID"] == "req-test-0001"
    entry = AuditEntry.objects.filter(object_type="regions.region", action="update").latest("id")
    assert entry.actor == users["menga-township"]
    assert (entry.request_id, entry.client_ip, entry.reason) == (
        "req-test-0001",
        "10.1.2.3",
        "short form",
    )
    assert entry.before["name_en"] == "Nabing Village" and entry.after["name_en"] == "Nabing"


def test_entries_cannot_be_changed_through_the_orm() -> None:
    entry = AuditEntry.objects.first()
    assert entry is not None
    for attempt in (
        entry.save,
        entry.delete,
        lambda: AuditEntry.objects.update(reason="x"),
        lambda: AuditEntry.objects.all().delete(),
    ):
        with pytest.raises(BangfuError) as caught:
            attempt()
        assert caught.value.code is ErrorCode.AUDIT_APPEND_ONLY


@pytest.mark.parametrize("table", ["audit_auditentry", "audit_accesslogentry"])
def test_the_database_refuses_update_and_delete(table: str) -> None:
    access_record(
        actor=None, kind=AccessKind.VIEW, model=Region, object_ids=[1], fields=["name_zh"]
    )
    before = AuditEntry.objects.count(), AccessLogEntry.objects.count()
    for sql in (f"UPDATE {table} SET request_id = 'forged'", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError, match="audit_append_only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert (AuditEntry.objects.count(), AccessLogEntry.objects.count()) == before
    assert not AuditEntry.objects.filter(request_id="forged").exists()


def test_access_log_records_who_saw_what() -> None:
    entry = access_record(
        actor=None,
        kind=AccessKind.EXPORT,
        model=Region,
        object_ids=[3, 4],
        fields=["name_zh"],
        purpose="test",
    )
    assert (
        entry.object_type == "regions.region"
        and entry.object_ids == ["3", "4"]
        and entry.kind == "export"
    )


def test_admin_offers_no_change_or_delete(client_for: Any) -> None:
    client = client_for("admin")
    entry = AuditEntry.objects.first()
    assert entry is not None
    page = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert page.status_code in {200, 403}
    assert (
        client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_region_page_shows_history_and_log_page_is_for_admins_and_auditors(client_for: Any) -> None:
    admin = client_for("admin")
    admin.post(
        "/regions/532822106207/edit/",
        {"name_zh": "纳丙村", "name_en": "Nabing", "reason": "核对名称"},
    )
    page = admin.get("/regions/532822106207/").content.decode()
    assert "核对名称" in page and "英文名称: Nabing Village → Nabing" in page
    assert "parent_id" not in page and "is_west" not in page, "field labels, not column names"
    assert "上级区划: — → 勐阿镇 (532822106000)" in page, "foreign keys shown by name"
    assert client_for("auditor").get("/audit/").status_code == 200
    assert client_for("menghai-county").get("/audit/").status_code == 403
