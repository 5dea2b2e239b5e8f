from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.company_list, name="list"),
    path("search/", views.search, name="search"),
    path("<int:pk>/", views.company_detail, name="detail"),
    path("<int:pk>/edit/", views.company_edit, name="edit"),
    path("<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/sites/new/", views.site_add, name="site_add"),
]
