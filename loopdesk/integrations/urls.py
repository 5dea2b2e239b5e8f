"""Webhook pages (mounted at /integrations/) and the ticket panel "Linked systems"."""

from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("endpoints/new/", views.endpoint_create, name="endpoint_add"),
    path("endpoints/<int:pk>/", views.endpoint_detail, name="endpoint"),
    path("endpoints/<int:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("endpoints/<int:pk>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("endpoints/<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("endpoints/<int:pk>/ping/", views.endpoint_ping, name="endpoint_ping"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/redeliver/", views.delivery_redeliver, name="redeliver"),
    path("tickets/<int:pk>/panel/", views.ticket_panel, name="ticket_panel"),
    path("tickets/<int:pk>/raise/", views.ticket_raise, name="ticket_raise"),
]
