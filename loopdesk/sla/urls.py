from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("compliance/", views.compliance_page, name="compliance"),
    path("tickets/<int:pk>/clocks/", views.ticket_clocks, name="ticket_clocks"),
]
