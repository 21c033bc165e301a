from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from bangfu.accounts import views as accounts
from bangfu.api import api
from bangfu.web import views as web

urlpatterns = [
    path("", web.home, name="home"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("regions/", web.region_tree, name="region-tree"),
    path("regions/<str:code>/", web.region_detail, name="region-detail"),
    path("regions/<str:code>/children/", web.region_children, name="region-children"),
    path("regions/<str:code>/new/", web.region_create_child, name="region-create-child"),
    path("regions/<str:code>/edit/", web.region_edit, name="region-edit"),
    path("regions/<str:code>/export.xlsx", web.region_export, name="region-export"),
    path("pairings/", web.pairing_list, name="pairing-list"),
    path("pairings/export.xlsx", web.pairing_export, name="pairing-export"),
    path("pairings/new/", web.pairing_create_view, name="pairing-create"),
    path("pairings/<int:pk>/", web.pairing_detail, name="pairing-detail"),
    path("households/", include("bangfu.registry.urls")),
    path("monitoring/", include("bangfu.monitoring.urls")),
    path("assistance/", include("bangfu.assistance.urls")),
    path("projects/", include("bangfu.projects.urls")),
    path("audit/", web.audit_log, name="audit-log"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
