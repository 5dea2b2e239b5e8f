from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/errors.<str:fmt>", views.errors, name="errors"),
    path("templates/<str:kind>.xlsx", views.template, name="template"),
]
