"""Monitoring endpoints: the worklist scoped like the pages, runs, and who may start one."""

from __future__ import annotations

from typing import Any

from django.test import Client

from bangfu.monitoring.models import MonitoringRun, RunStatus
from tests.monitoring.test_monitoring import monitor, world  # noqa: F401 (fixture)


def test_alerts_endpoint_is_scoped(world: dict[str, Any], api_token):  # noqa: F811
    monitor(world["admin"])
    client = Client()
    mine = client.get(
        "/api/v1/monitoring/alerts", {"region": "532822106207"}, headers=api_token("nabing-village")
    ).json()
    numbers = {a["household_no"] for a in mine["items"]}
    assert {"5328221062079001", "5328221062079003"} <= numbers
    item = next(a for a in mine["items"] if a["household_no"] == "5328221062079001")
    assert item["reasons"] == ["income_below_threshold"] and item["values"]["income_fen"] == 500000
    assert item["category"] == "unstable_exited" and item["overdue"] is False
    other = client.get("/api/v1/monitoring/alerts", headers=api_token("mangshi-county")).json()
    assert not {a["household_no"] for a in other["items"]} & numbers


def test_only_administrators_queue_runs(world: dict[str, Any], api_token):  # noqa: F811
    client = Client()
    refused = client.post(
        "/api/v1/monitoring/runs",
        {"year": 2025},
        content_type="application/json",
        headers=api_token("menghai-county"),
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    queued = client.post(
        "/api/v1/monitoring/runs",
        {"year": 2025, "region": "532822000000"},
        content_type="application/json",
        headers=api_token("admin"),
    )
    assert queued.status_code == 202
    run = queued.json()
    assert run["status"] == RunStatus.QUEUED and run["region"] == "532822000000"
    assert MonitoringRun.objects.filter(pk=run["id"]).exists()
    shown = client.get(f"/api/v1/monitoring/runs/{run['id']}", headers=api_token("admin"))
    assert shown.status_code == 200 and shown.json()["id"] == run["id"]
