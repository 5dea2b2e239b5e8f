from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("", views.workflow_list, name="list"),
    path("import/", views.import_workflow, name="import"),
    path("<slug:key>/", views.workflow_detail, name="detail"),
    path("<slug:key>/export.json", views.export, name="export"),
    path("<slug:key>/versions/<int:number>/", views.version_detail, name="version"),
    path("<slug:key>/draft/", views.create_draft, name="create_draft"),
    path("<slug:key>/draft/discard/", views.discard_draft, name="discard"),
    path("<slug:key>/edit/", views.edit, name="edit"),
    path("<slug:key>/edit/json/", views.edit_json, name="edit_json"),
    path("<slug:key>/edit/preview/", views.preview, name="preview"),
    path("<slug:key>/publish/", views.publish, name="publish"),
]
