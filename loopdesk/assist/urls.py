from django.urls import path

from . import views

app_name = "assist"

urlpatterns = [
    path("tickets/<int:pk>/panel/", views.ticket_panel, name="ticket_panel"),
    path("articles/<int:pk>/", views.open_article, name="open_article"),
    path("deflection/", views.deflection, name="deflection"),
]
