"""The project and cooperative pages: each view module lists its own routes."""

from __future__ import annotations

from bangfu.projects import views_cooperatives, views_imports, views_projects

urlpatterns = [
    *views_projects.urlpatterns,
    *views_cooperatives.urlpatterns,
    *views_imports.urlpatterns,
]
