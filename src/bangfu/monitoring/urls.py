"""Monitoring pages, mounted under ``monitoring/`` by ``bangfu.urls``."""

from __future__ import annotations

from django.urls import path

from bangfu.monitoring import views

urlpatterns = [
    path("", views.alert_list, name="monitoring-alerts"),
    path("alerts.xlsx", views.alert_export, name="monitoring-alerts-export"),
    path("alerts/<int:pk>/", views.alert_detail, name="monitoring-alert"),
    path("cases/", views.case_list, name="monitoring-cases"),
    path("cases/<int:pk>/", views.case_detail, name="monitoring-case"),
    path("runs/", views.run_list, name="monitoring-runs"),
    path("runs/start/", views.run_start, name="monitoring-run-start"),
    path("runs/diff/", views.run_diff, name="monitoring-run-diff"),
    path("runs/<int:pk>/", views.run_detail, name="monitoring-run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="monitoring-run-progress"),
    path("what-if/", views.what_if, name="monitoring-what-if"),
]
