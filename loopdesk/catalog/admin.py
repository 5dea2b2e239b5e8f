from django.contrib import admin

from .models import Consumption, Contract, Entitlement, ServiceProduct


@admin.register(ServiceProduct)
class ServiceProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "unit", "price", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


class EntitlementInline(admin.TabularInline):
    model = Entitlement
    extra = 1


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["number", "company", "level", "starts_on", "ends_on", "status", "overage"]
    list_filter = ["level", "status", "overage"]
    search_fields = ["number", "company__name", "company__code"]
    raw_id_fields = ["company", "asset", "designated_engineer"]
    inlines = [EntitlementInline]


@admin.register(Consumption)
class ConsumptionAdmin(admin.ModelAdmin):
    """Read-only: the ledger is written by the services only."""

    list_display = ["at", "entitlement", "period_start", "units", "status", "ref", "charge_amount"]
    list_filter = ["status", "overage"]
    search_fields = ["ref", "entitlement__contract__number"]
    raw_id_fields = ["entitlement", "reverses", "actor", "decided_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
