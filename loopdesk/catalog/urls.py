from django.urls import path

from . import ticket_views, views

app_name = "catalog"

urlpatterns = [
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/new/", views.contract_add, name="contract_add"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("contracts/<int:pk>/entitlements/new/", views.entitlement_add, name="entitlement_add"),
    path("consumptions/<int:pk>/<str:decision>/", views.decide, name="decide"),
    path("customers/<int:pk>/balances/", views.company_balances, name="company_balances"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("tickets/<int:pk>/entitlements/", ticket_views.ticket_panel, name="ticket_entitlements"),
    path("tickets/<int:pk>/entitlements/consume/", ticket_views.ticket_consume, name="ticket_consume"),
    path("tickets/<int:pk>/entitlements/give-back/", ticket_views.ticket_give_back, name="ticket_give_back"),
]
