"""Registry pages, mounted under ``households/`` by ``bangfu.urls``."""

from __future__ import annotations

from django.urls import path

from bangfu.registry import views, views_conditions, views_conflicts, views_import

urlpatterns = [
    path("", views.household_list, name="household-list"),
    path("export.xlsx", views.household_export, name="household-export"),
    path("new/", views.household_create, name="household-create"),
    path("<int:pk>/", views.household_detail, name="household-detail"),
    path("<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("<int:pk>/reveal/", views.household_reveal, name="household-reveal"),
    path("<int:pk>/transition/", views.household_transition_view, name="household-transition"),
    path("<int:pk>/income/", views.household_income, name="household-income"),
    path("<int:pk>/guarantee/", views.household_guarantee, name="household-guarantee"),
    path(
        "<int:pk>/conditions/",
        views_conditions.household_conditions,
        name="household-conditions",
    ),
    path("conflicts/", views_conflicts.conflict_list, name="conflict-list"),
    path("conflicts/<int:pk>/", views_conflicts.conflict_detail, name="conflict-detail"),
    path("import/", views_import.import_start, name="import-start"),
    path("import/template.xlsx", views_import.import_template, name="import-template"),
    path("import/<int:pk>/", views_import.import_batch, name="import-batch"),
    path(
        "import/<int:pk>/progress/",
        views_import.import_batch_progress,
        name="import-batch-progress",
    ),
    path(
        "import/<int:pk>/report.xlsx", views_import.import_batch_report, name="import-batch-report"
    ),
    path("import/uploads/<str:token>/", views_import.import_upload, name="import-upload"),
    path(
        "import/uploads/<str:token>/progress/",
        views_import.import_upload_progress,
        name="import-upload-progress",
    ),
    path(
        "import/uploads/<str:token>/report.xlsx",
        views_import.import_upload_report,
        name="import-upload-report",
    ),
]
