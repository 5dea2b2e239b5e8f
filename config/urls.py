from django.contrib import admin
from django.urls import include, path

from loopdesk.api.router import api
from loopdesk.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("loopdesk.portal.urls")),
    path("customers/", include("loopdesk.customers.urls")),
    path("imports/", include("loopdesk.imports.urls")),
    path("catalog/", include("loopdesk.catalog.urls")),
    path("sla/", include("loopdesk.sla.urls")),
    path("knowledge/", include("loopdesk.knowledge.urls")),
    path("workflows/", include("loopdesk.workflows.urls")),
    path("rules/", include("loopdesk.rules.urls")),
    path("problems/", include("loopdesk.problems.urls")),
    path("integrations/", include("loopdesk.integrations.urls")),
    path("assist/", include("loopdesk.assist.urls")),
    path("", include("loopdesk.assets.urls")),
    path("", include("loopdesk.accounts.urls")),
    path("", include("loopdesk.tickets.urls")),
]
