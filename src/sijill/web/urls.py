from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from sijill.api.jwks import jwks_view
from sijill.cycles import urls as cycle_urls
from sijill.eligibility import urls as eligibility_urls
from sijill.exchange import urls as exchange_urls

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", views.login_not_required(set_language), name="set_language"),
    path("accounts/", include("sijill.accounts.urls")),
    path("registry/", include("sijill.registry.urls")),
    path("audit/", include("sijill.audit.urls")),
    path("exchange/", include((exchange_urls.urlpatterns + cycle_urls.exchange_patterns, "exchange"))),
    path("eligibility/", include((eligibility_urls.urlpatterns + cycle_urls.eligibility_patterns, "eligibility"))),
    path("cases/", include("sijill.cases.urls")),
    path("tips/", include("sijill.tips.urls")),
    path("reports/", include("sijill.reports.urls")),
    path("api/", include("sijill.api.urls")),
    path("ration/", include("sijill.ration.urls")),
    path("damaan/", include("sijill.damaan.urls")),
    path("survey/", include("sijill.survey.urls")),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path("admin/", admin.site.urls),
]

handler403 = "sijill.web.views.forbidden"
