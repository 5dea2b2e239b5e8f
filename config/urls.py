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
    path("", include("loopdesk.assets.urls")),
    path("", include("loopdesk.accounts.urls")),
    path("", include("loopdesk.tickets.urls")),
]
