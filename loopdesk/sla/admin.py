"""Admin for business calendars: periods and special days inline, checked with the same rules as the
services (overlaps, empty week, a day both holiday and working day, unknown zones)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from .calendar import CalendarError, check_periods, zone_named
from .models import Calendar, CalendarDay, Clock, ClockEvent, EscalationLevel, Policy, Target, WorkingPeriod


class CalendarForm(forms.ModelForm):
    class Meta:
        model = Calendar
        fields = ["name", "zone", "active", "is_24x7", "cn_holidays"]

    def clean_zone(self) -> str:
        zone = self.cleaned_data["zone"]
        try:
            zone_named(zone)
        except CalendarError as error:
            raise ValidationError(error.message) from None
        return zone


class PeriodFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not all(data.get(k) for k in ("weekday", "start", "end")):
                continue
            end = data["end"].hour * 60 + data["end"].minute or 1440
            week[data["weekday"] - 1].append((data["start"].hour * 60 + data["start"].minute, end))
        if self.instance.is_24x7:
            return
        try:
            check_periods(week)
        except CalendarError as error:
            raise ValidationError(error.message) from None


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = PeriodFormSet
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    fields = ["date", "kind", "name", "as_weekday", "source"]
    readonly_fields = ["source"]


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    form = CalendarForm
    list_display = ["name", "zone", "active", "is_24x7", "cn_holidays", "updated_at"]
    list_filter = ["active", "is_24x7", "cn_holidays"]
    search_fields = ["name"]
    inlines = [WorkingPeriodInline, CalendarDayInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Inline changes alone must still refresh the cached pure calendar (keyed by updated_at).
        form.instance.save(update_fields=["updated_at"])
        from .services import calendar_changed

        calendar_changed(form.instance)


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    extra = 0


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Policies with their targets and escalation levels inline; saving re-plans the policy's running
    clocks (the API and services check the condition lists and actions more strictly)."""

    list_display = ["name", "kind", "party", "order", "active", "calendar", "on_reopen"]
    list_filter = ["kind", "party", "active"]
    search_fields = ["name", "code"]
    inlines = [TargetInline, EscalationLevelInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        from .policies import clear_cache
        from .replan import replan

        clear_cache()
        replan(policy_id=form.instance.pk)


class ClockEventInline(admin.TabularInline):
    model = ClockEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "data"]


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    """Read-only view of clocks for support; the engine alone writes them."""

    list_display = ["ticket", "kind", "metric", "state", "target_minutes", "due_at", "met", "next_action_at"]
    list_filter = ["kind", "metric", "state"]
    raw_id_fields = ["ticket"]
    inlines = [ClockEventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
