"""The project's URLs plus the catalog's, until the lead includes them at /catalog/."""

from django.urls import include, path

from config.urls import urlpatterns as project

_mounted = any(getattr(p, "namespace", None) == "catalog" for p in project)
urlpatterns = project if _mounted else [*project, path("catalog/", include("loopdesk.catalog.urls"))]
