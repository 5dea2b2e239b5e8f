"""Admin for workflows: browsing versions and migrations. Versions are read-only here; drafts are
edited, validated and published through the workflow pages and the API (services check the rules)."""

from __future__ import annotations

from django.contrib import admin

from .models import TicketMigration, Workflow, WorkflowVersion


class VersionInline(admin.TabularInline):
    model = WorkflowVersion
    fields = ["number", "status", "notes", "published_at", "published_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "ticket_type", "category", "org", "active", "updated_at"]
    list_filter = ["ticket_type", "active"]
    search_fields = ["key", "name"]
    readonly_fields = ["key", "ticket_type"]
    inlines = [VersionInline]


@admin.register(WorkflowVersion)
class WorkflowVersionAdmin(admin.ModelAdmin):
    list_display = ["workflow", "number", "status", "published_at", "published_by"]
    list_filter = ["status", "workflow"]
    readonly_fields = ["workflow", "number", "status", "definition", "notes", "created_at", "created_by",
                       "published_at", "published_by"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(TicketMigration)
class TicketMigrationAdmin(admin.ModelAdmin):
    list_display = ["from_version", "to_version", "tickets_moved", "confirmed_by", "at"]
    readonly_fields = ["from_version", "to_version", "mapping", "tickets_moved", "confirmed_by", "at"]

    def has_add_permission(self, request) -> bool:
        return False
