from django.contrib import admin

from .models import Asset, Product, ProductVersion


class VersionInline(admin.TabularInline):
    model = ProductVersion
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active"]
    search_fields = ["name", "code"]
    inlines = [VersionInline]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "company", "product_version", "status", "installed_on"]
    list_filter = ["status", "product_version__product"]
    search_fields = ["serial", "company__name"]
    raw_id_fields = ["company", "site"]
