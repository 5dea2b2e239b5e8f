"""Problem pages (mounted at /problems/) and the ticket panel "Problem"."""

from django.urls import path

from . import views

app_name = "problems"

urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.problem_create, name="new"),
    path("<int:pk>/", views.problem_detail, name="detail"),
    path("<int:pk>/record/", views.save_record, name="record"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/link/", views.link, name="link"),
    path("<int:pk>/unlink/<int:incident_pk>/", views.unlink, name="unlink"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
    path("tickets/<int:pk>/panel/", views.ticket_panel, name="ticket_panel"),
    path("tickets/<int:pk>/raise/", views.ticket_raise, name="ticket_raise"),
]
