from django.contrib import admin

from .models import Company, Contact, Site


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "phone", "mobile", "email", "user", "is_primary"]
    raw_id_fields = ["user"]


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "org", "vip_level", "region", "designated_engineer"]
    list_filter = ["vip_level", "org"]
    search_fields = ["name", "code"]
    raw_id_fields = ["designated_engineer"]
    filter_horizontal = ["partners"]
    inlines = [ContactInline, SiteInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "phone", "mobile", "email"]
    search_fields = ["name", "phone", "mobile", "email"]
    raw_id_fields = ["company", "user"]
