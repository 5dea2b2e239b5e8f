from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("contracts/", views.contract_list, name="contracts"),
    path("contracts/new/", views.contract_add, name="contract_add"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("contracts/<int:pk>/entitlements/new/", views.entitlement_add, name="entitlement_add"),
    path("consumptions/<int:pk>/<str:decision>/", views.decide, name="decide"),
    path("customers/<int:pk>/balances/", views.company_balances, name="company_balances"),
]
