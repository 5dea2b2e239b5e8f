"""Writes for business calendars, China's statutory data, and the bridge to the pure arithmetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.errors import Conflict, NotFound, ValidationFailed
from loopdesk.core.services import record_audit, refuse_unknown, save_changes

from . import cn
from .calendar import DAY_MINUTES, BusinessCalendar, CalendarError, check_periods, format_period, zone_named
from .models import Calendar, CalendarDay, WorkingPeriod

CALENDAR_FIELDS = {"name", "zone", "active", "is_24x7", "cn_holidays"}

# periods as given to the services: (ISO weekday, start minute, end minute); 1440 is 24:00.
PeriodSpec = tuple[int, int, int]


def refused(error: CalendarError) -> ValidationFailed:
    return ValidationFailed(error.message, fields={error.field: [error.message]})


def _minute(value: Any, *, end: bool = False) -> int:
    """Minutes of the day from an int or a time; an end time of 00:00 is 24:00."""
    if isinstance(value, int):
        return value
    minute = value.hour * 60 + value.minute
    return DAY_MINUTES if end and minute == 0 else minute


def _normalise(periods: Iterable[Any]) -> list[PeriodSpec]:
    out = []
    for weekday, start, end in periods:
        if not (isinstance(weekday, int) and 1 <= weekday <= 7):
            raise ValidationFailed(fields={"periods": [_("A weekday is a number from 1 (Monday) to 7 (Sunday).")]})
        out.append((weekday, _minute(start), _minute(end, end=True)))
    return out


def _week(periods: list[PeriodSpec]) -> list[list[tuple[int, int]]]:
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for weekday, start, end in periods:
        week[weekday - 1].append((start, end))
    return week


def _check(*, name: str | None = None, zone: str | None = None, calendar: Calendar | None = None) -> None:
    if name is not None:
        if not name.strip():
            raise ValidationFailed(fields={"name": [_("This field is required.")]})
        clash = Calendar.objects.filter(name=name.strip())
        if calendar is not None:
            clash = clash.exclude(pk=calendar.pk)
        if clash.exists():
            raise ValidationFailed(fields={"name": [_("A calendar with this name already exists.")]})
    if zone is not None:
        try:
            zone_named(zone)
        except CalendarError as error:
            raise refused(error) from None


def _touch(calendar: Calendar) -> None:
    # The per-process cache of to_business_calendar() is keyed by updated_at.
    calendar.save(update_fields=["updated_at"])
    calendar_changed(calendar)


SYNC_REPLAN_LIMIT = 2000


def calendar_changed(calendar: Calendar) -> None:
    """Re-plan the running clocks on `calendar` after an edit: in this transaction when there are at
    most SYNC_REPLAN_LIMIT of them, else in the background once the edit commits."""
    from .models import Clock

    running = Clock.objects.filter(calendar=calendar, state=Clock.State.RUNNING)
    if not running.exists():
        return
    if running.count() <= SYNC_REPLAN_LIMIT:
        from .replan import replan_calendar

        replan_calendar(calendar.pk)
        return
    from loopdesk.core.tasks import enqueue

    from .tasks import replan_calendar_clocks

    enqueue(replan_calendar_clocks, calendar.pk)


@transaction.atomic
def create_calendar(*, actor: Any, name: str, zone: str = "Asia/Shanghai", periods: Iterable[PeriodSpec] = (),
                    is_24x7: bool = False, active: bool = True, cn_holidays: bool = False) -> Calendar:
    """Create a calendar with its weekly periods; with `cn_holidays`, China's statutory days too."""
    require(actor, Perm.ORG_ADMIN)
    _check(name=name, zone=zone)
    periods = _normalise(periods)
    if periods or not is_24x7:  # a 24×7 calendar may keep periods for later, but valid ones
        try:
            check_periods(_week(periods))
        except CalendarError as error:
            raise refused(error) from None
    calendar = Calendar.objects.create(name=name.strip(), zone=zone, is_24x7=is_24x7, active=active,
                                       cn_holidays=cn_holidays)
    _write_periods(calendar, periods)
    record_audit(actor=actor, obj=calendar, action="create",
                 changes={"name": calendar.name, "zone": zone, "periods": _describe(periods)})
    if cn_holidays:
        load_cn_holidays(actor=actor, calendar=calendar)
    return calendar


@transaction.atomic
def update_calendar(*, actor: Any, calendar: Calendar, **values: Any) -> Calendar:
    """Change name, zone, active, is_24x7 or cn_holidays. Turning cn_holidays on loads the statutory
    days; turning it off removes the loaded ones (hand-entered days stay)."""
    require(actor, Perm.ORG_ADMIN)
    refuse_unknown(values, CALENDAR_FIELDS)
    _check(name=values.get("name"), zone=values.get("zone"), calendar=calendar)
    if "name" in values:
        values["name"] = values["name"].strip()
    if values.get("is_24x7") is False and not calendar.periods.exists():
        raise ValidationFailed(fields={"is_24x7": [_("Give the calendar working periods first.")]})
    was_cn = calendar.cn_holidays
    save_changes(actor=actor, obj=calendar, values=values)
    if calendar.cn_holidays and not was_cn:
        load_cn_holidays(actor=actor, calendar=calendar)
    elif was_cn and not calendar.cn_holidays:
        calendar.days.filter(source=CalendarDay.Source.CN).delete()
    _touch(calendar)
    return calendar


@transaction.atomic
def set_periods(*, actor: Any, calendar: Calendar, periods: Iterable[PeriodSpec]) -> Calendar:
    """Replace the calendar's weekly periods. Overlaps, bad bounds and an empty week are refused."""
    require(actor, Perm.ORG_ADMIN)
    periods = _normalise(periods)
    try:
        check_periods(_week(periods))
    except CalendarError as error:
        raise refused(error) from None
    Calendar.objects.select_for_update().filter(pk=calendar.pk).exists()
    old = _describe((p.weekday, p.start_minute, p.end_minute) for p in calendar.periods.all())
    calendar.periods.all().delete()
    _write_periods(calendar, periods)
    record_audit(actor=actor, obj=calendar, action="set_periods", changes={"periods": [old, _describe(periods)]})
    _touch(calendar)
    return calendar


def _write_periods(calendar: Calendar, periods: list[PeriodSpec]) -> None:
    def clock(minute: int) -> dt.time:
        return dt.time(minute // 60 % 24, minute % 60)

    WorkingPeriod.objects.bulk_create([
        WorkingPeriod(calendar=calendar, weekday=w, start=clock(s), end=clock(e))
        for w, s, e in periods
    ])


def _describe(periods: Iterable[PeriodSpec]) -> list[str]:
    return [f"{w} {format_period((s, e))}" for w, s, e in sorted(periods)]


def parse_date(value: Any, field: str = "date") -> dt.date:
    """A date from a date or "YYYY-MM-DD"; an impossible date (2026-02-30) is refused."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(fields={field: [_("“%(value)s” is not a real date (YYYY-MM-DD).") % {"value": value}]}) from None


@transaction.atomic
def delete_calendar(*, actor: Any, calendar: Calendar) -> None:
    """Delete a calendar that no SLA/OLA policy and no clock uses; otherwise Conflict."""
    require(actor, Perm.ORG_ADMIN)
    from .models import Clock, Policy

    Calendar.objects.select_for_update().filter(pk=calendar.pk).exists()
    users = list(Policy.objects.filter(calendar=calendar).values_list("name", flat=True)[:5])
    if users:
        raise Conflict(_("Policies use this calendar: %(names)s.") % {"names": ", ".join(users)})
    if Clock.objects.filter(calendar=calendar).exists():
        raise Conflict(_("Clocks have counted on this calendar; deactivate it instead."))
    record_audit(actor=actor, obj=calendar, action="delete", changes={"name": calendar.name})
    pk = calendar.pk
    calendar.delete()
    _CACHE.pop(pk, None)


@transaction.atomic
def add_day(*, actor: Any, calendar: Calendar, date: Any, kind: str, name: str = "",
            as_weekday: int | None = None) -> CalendarDay:
    """Mark `date` a holiday or a make-up working day (replacing what the date was)."""
    require(actor, Perm.ORG_ADMIN)
    day = parse_date(date)
    if kind not in CalendarDay.Kind.values:
        raise ValidationFailed(fields={"kind": [_("Choose holiday or workday.")]})
    if as_weekday is not None and (kind != CalendarDay.Kind.WORKDAY or not 1 <= as_weekday <= 7):
        raise ValidationFailed(fields={"as_weekday": [_("Only a working day works like a weekday from 1 to 7.")]})
    if as_weekday is not None and not calendar.is_24x7 and not calendar.periods.filter(weekday=as_weekday).exists():
        raise ValidationFailed(fields={"as_weekday": [_("That weekday has no working periods.")]})
    Calendar.objects.select_for_update().filter(pk=calendar.pk).exists()
    row, _created = CalendarDay.objects.update_or_create(
        calendar=calendar, date=day,
        defaults={"kind": kind, "name": name.strip(), "as_weekday": as_weekday, "source": CalendarDay.Source.MANUAL},
    )
    record_audit(actor=actor, obj=calendar, action="add_day", changes={"date": day.isoformat(), "kind": kind})
    _touch(calendar)
    return row


@transaction.atomic
def remove_day(*, actor: Any, calendar: Calendar, date: Any) -> None:
    """Make `date` an ordinary day of the week again."""
    require(actor, Perm.ORG_ADMIN)
    day = parse_date(date)
    deleted, _rows = calendar.days.filter(date=day).delete()
    if not deleted:
        raise NotFound(_("%(date)s is not a special day of this calendar.") % {"date": day.isoformat()})
    record_audit(actor=actor, obj=calendar, action="remove_day", changes={"date": day.isoformat()})
    _touch(calendar)


@transaction.atomic
def load_cn_holidays(*, actor: Any = None, calendar: Calendar) -> int:
    """Load China's statutory holidays and make-up working days into `calendar` (and mark it as
    following them). Days entered by hand win over the statutory data on the same date; statutory days
    the package no longer lists are removed. Returns the number of statutory days now in the calendar."""
    require(actor, Perm.ORG_ADMIN)
    Calendar.objects.select_for_update().filter(pk=calendar.pk).exists()
    manual = set(calendar.days.filter(source=CalendarDay.Source.MANUAL).values_list("date", flat=True))
    calendar.days.filter(source=CalendarDay.Source.CN).delete()
    rows = [CalendarDay(calendar=calendar, date=day, kind=kind, name=name, source=CalendarDay.Source.CN)
            for day, kind, name in cn.days() if day not in manual]
    CalendarDay.objects.bulk_create(rows, batch_size=500)
    first, last = cn.years()
    record_audit(actor=actor, obj=calendar, action="load_cn_holidays",
                 changes={"days": len(rows), "years": f"{first}–{last}", "package": cn.package_version()})
    if not calendar.cn_holidays:
        calendar.cn_holidays = True
    calendar.save(update_fields=["cn_holidays", "updated_at"])
    calendar_changed(calendar)
    return len(rows)


@transaction.atomic
def ensure_standard_calendars(*, actor: Any = None) -> list[Calendar]:
    """The shipped calendars, created when missing: "24×7" and the China standard one."""
    out = []
    always = Calendar.objects.filter(name=cn.ALWAYS_OPEN).first()
    out.append(always or create_calendar(actor=actor, name=cn.ALWAYS_OPEN, is_24x7=True))
    china = Calendar.objects.filter(name=cn.CHINA_STANDARD).first()
    out.append(china or create_calendar(
        actor=actor, name=cn.CHINA_STANDARD, cn_holidays=True,
        periods=[(w, s, e) for w in cn.STANDARD_DAYS for s, e in cn.STANDARD_HOURS]))
    return out


def load_cn_holidays_everywhere(*, actor: Any = None) -> dict[str, int]:
    """Reload the statutory data into every calendar that follows it; {calendar name: days}."""
    ensure_standard_calendars(actor=actor)
    return {c.name: load_cn_holidays(actor=actor, calendar=c) for c in Calendar.objects.filter(cn_holidays=True)}


# -- reads -------------------------------------------------------------------------------------------
_CACHE: dict[int, tuple[Any, BusinessCalendar]] = {}


def to_business_calendar(calendar: Calendar) -> BusinessCalendar:
    """The pure calendar of `calendar`: one query per table, cached per process by updated_at."""
    cached = _CACHE.get(calendar.pk)
    if cached is not None and cached[0] == calendar.updated_at:
        return cached[1]
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for period in WorkingPeriod.objects.filter(calendar=calendar):
        week[period.weekday - 1].append((period.start_minute, period.end_minute))
    holidays, workdays = [], {}
    first_working = next((i + 1 for i, p in enumerate(week) if p), 1)
    for day in CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind", "as_weekday"):
        if day[1] == CalendarDay.Kind.HOLIDAY:
            holidays.append(day[0])
        else:
            workdays[day[0]] = day[2] or first_working
    try:
        business = BusinessCalendar(zone=calendar.zone, weekly=week, holidays=holidays, workdays=workdays,
                                    always_open=calendar.is_24x7, name=calendar.name)
    except CalendarError as error:
        raise refused(error) from None
    _CACHE[calendar.pk] = (calendar.updated_at, business)
    return business


# Short names of the shipped calendars, for commands and scripts (`loopdesk sla due --calendar cn`).
ALIASES = {"cn": cn.CHINA_STANDARD, "china": cn.CHINA_STANDARD, "24x7": cn.ALWAYS_OPEN, "24×7": cn.ALWAYS_OPEN}


def calendar_named(name_or_id: str | int) -> Calendar:
    """A calendar by id, exact name or alias ("cn" = the China standard calendar, "24x7"), else NotFound."""
    calendar = None
    if isinstance(name_or_id, str) and name_or_id.strip().lower() in ALIASES:
        alias = ALIASES[name_or_id.strip().lower()]
        calendar = Calendar.objects.filter(name=name_or_id).first() or Calendar.objects.filter(name=alias).first()
        if calendar is not None:
            return calendar
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        calendar = Calendar.objects.filter(pk=int(name_or_id)).first()
    calendar = calendar or Calendar.objects.filter(name=str(name_or_id)).first()
    if calendar is None:
        raise NotFound(_("There is no calendar “%(name)s”.") % {"name": name_or_id})
    return calendar
