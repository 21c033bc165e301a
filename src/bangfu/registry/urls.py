"""Registry pages, mounted under ``households/`` by ``bangfu.urls``."""

from __future__ import annotations

from django.urls import path

from bangfu.registry import views

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
]
