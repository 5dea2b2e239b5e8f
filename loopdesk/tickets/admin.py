from django.contrib import admin

from .models import Category, Ticket


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["full_name", "active"]
    search_fields = ["name", "full_name"]
    list_filter = ["active"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only here: tickets change through the workspace and the API, which keep the history."""

    list_display = ["number", "title", "type", "status", "priority", "company", "assignee", "updated_at"]
    list_filter = ["type", "status", "priority", "channel"]
    search_fields = ["number", "title"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
