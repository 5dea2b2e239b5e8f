from django.urls import path

from . import views

app_name = "rules"

urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_edit, name="new"),
    path("<int:pk>/", views.rule_edit, name="edit"),
    path("<int:pk>/toggle/", views.toggle, name="toggle"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("validate/", views.validate, name="validate"),
    path("dry-run/", views.dry_run, name="dry_run"),
    path("firings/", views.firings, name="firings"),
    path("tiers/", views.tiers, name="tiers"),
]
