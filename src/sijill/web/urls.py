from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.login_not_required(set_language), name="set_language"),
    path("accounts/", include("sijill.accounts.urls")),
    path("registry/", include("sijill.registry.urls")),
    path("audit/", include("sijill.audit.urls")),
    path("exchange/", include("sijill.exchange.urls")),
    path("eligibility/", include("sijill.eligibility.urls")),
    path("cases/", include("sijill.cases.urls")),
    path("tips/", include("sijill.tips.urls")),
    path("reports/", include("sijill.reports.urls")),
    path("api/", include("sijill.api.urls")),
    path("ration/", include("sijill.ration.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "sijill.web.views.forbidden"
