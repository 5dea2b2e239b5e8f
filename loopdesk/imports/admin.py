from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are created by uploads and changed only by the worker."""

    list_display = ["id", "kind", "original_name", "status", "total_rows", "error_count", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["original_name", "created_by__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
