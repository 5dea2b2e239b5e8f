from django.contrib import admin

from .models import Organization
from .services import create_organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "region", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = create_organization(
            name=obj.name, code=obj.code, kind=obj.kind, parent=obj.parent, actor=request.user,
            region=obj.region, phone=obj.phone,
        )
        obj.pk, obj.path = created.pk, created.path
