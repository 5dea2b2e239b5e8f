from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("customers/<int:pk>/assets/new/", views.asset_add, name="add"),
]
