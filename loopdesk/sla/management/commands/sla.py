"""`loopdesk sla …`: check and maintain business calendars by hand (docs/sla.md).

    loopdesk sla due --calendar NAME --start ISO8601 --minutes N [--pause FROM/TO ...]
    loopdesk sla calendar NAME --zone Asia/Shanghai --hours 09:00-12:00,13:30-18:00 --days 1-5 [--cn-holidays]
    loopdesk sla calendars
    loopdesk sla load-cn-holidays
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max, Min, Q
from django.utils.translation import gettext as _

from loopdesk.core.errors import DomainError
from loopdesk.sla import cn, services
from loopdesk.sla.calendar import CalendarError, format_period, parse_hours, parse_weekdays
from loopdesk.sla.models import Calendar, CalendarDay


def parse_time(text: str, zone: Any, field: str) -> dt.datetime:
    """ISO 8601; a time without an offset is read in the calendar's zone."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(_("%(field)s: “%(text)s” is not an ISO 8601 date and time, e.g. "
                             "2026-02-13T17:00:00+08:00.") % {"field": field, "text": text}) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


class Command(BaseCommand):
    help = "Business calendars: compute a due time, create or update a calendar, list them, load China's holidays."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{due,calendar,calendars,load-cn-holidays}")
        due = sub.add_parser("due", help="print the due time of a target on a calendar")
        due.add_argument("--calendar", required=True, help="calendar name or id")
        due.add_argument("--start", required=True, help="ISO 8601 start; without an offset, in the calendar's zone")
        due.add_argument("--minutes", required=True, type=int, help="business minutes (≥ 0)")
        due.add_argument("--pause", action="append", default=[], metavar="FROM/TO",
                         help="a pause of the clock, two ISO 8601 times separated by /; repeatable")
        cal = sub.add_parser("calendar", help="create or update a calendar")
        cal.add_argument("name")
        cal.add_argument("--zone", help="IANA time zone (default Asia/Shanghai for a new calendar)")
        cal.add_argument("--hours", help="working periods, e.g. 09:00-12:00,13:30-18:00")
        cal.add_argument("--days", help="ISO weekdays with those hours, e.g. 1-5 (1 = Monday)")
        cal.add_argument("--cn-holidays", action="store_true", help="apply China's holidays and make-up working days")
        cal.add_argument("--24x7", dest="always_open", action="store_true", help="working at every instant")
        sub.add_parser("calendars", help="list the calendars")
        sub.add_parser("load-cn-holidays", help="load China's statutory holidays and make-up working days")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except DomainError as error:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
            raise CommandError(details or error.detail) from None
        except CalendarError as error:
            raise CommandError(f"{error.field}: {error.message}") from None

    def _due(self, *, calendar: str, start: str, minutes: int, pause: list[str], **_options) -> None:
        business = services.to_business_calendar(services.calendar_named(calendar))
        begin = parse_time(start, business.tz, "--start")
        pauses = []
        for text in pause:
            first, sep, last = text.partition("/")
            if not sep:
                raise CommandError(_("--pause: write FROM/TO, two ISO 8601 times separated by /."))
            pauses.append((parse_time(first, business.tz, "--pause"), parse_time(last, business.tz, "--pause")))
        self.stdout.write(business.add(begin, minutes, pauses).isoformat())

    def _calendar(self, *, name: str, zone: str | None, hours: str | None, days: str | None, cn_holidays: bool,
                  always_open: bool, **_options) -> None:
        if (hours is None) != (days is None):
            raise CommandError(_("Give --hours and --days together."))
        periods = None
        if hours is not None:
            periods = [(w, s, e) for w in parse_weekdays(days) for s, e in parse_hours(hours)]
        calendar = Calendar.objects.filter(name=name).first()
        if calendar is None:
            if periods is None and not always_open:
                raise CommandError(_("A new calendar needs --hours and --days (or --24x7)."))
            calendar = services.create_calendar(actor=None, name=name, zone=zone or "Asia/Shanghai",
                                                periods=periods or (), is_24x7=always_open, cn_holidays=cn_holidays)
            self.stdout.write(_("Created calendar “%(name)s”.") % {"name": calendar.name})
        else:
            if periods is not None:
                services.set_periods(actor=None, calendar=calendar, periods=periods)
            values: dict[str, Any] = {}
            if zone is not None:
                values["zone"] = zone
            if always_open:
                values["is_24x7"] = True
            if cn_holidays:
                values["cn_holidays"] = True
            services.update_calendar(actor=None, calendar=calendar, **values)
            self.stdout.write(_("Updated calendar “%(name)s”.") % {"name": calendar.name})
        self._show(Calendar.objects.get(pk=calendar.pk))

    def _calendars(self, **_options) -> None:
        rows = Calendar.objects.annotate(
            holidays=Count("days", filter=Q(days__kind=CalendarDay.Kind.HOLIDAY)),
            workdays=Count("days", filter=Q(days__kind=CalendarDay.Kind.WORKDAY)),
        )
        for calendar in rows:
            self._show(calendar)

    def _show(self, calendar: Calendar) -> None:
        flags = [calendar.zone]
        if calendar.is_24x7:
            flags.append("24×7")
        if not calendar.active:
            flags.append(_("inactive"))
        if calendar.cn_holidays:
            flags.append(_("China's statutory holidays"))
        self.stdout.write(f"{calendar.pk:>4}  {calendar.name}  [{', '.join(flags)}]")
        if not calendar.is_24x7:
            week = services.to_business_calendar(calendar).weekly
            for weekday, periods in enumerate(week, start=1):
                if periods:
                    self.stdout.write(f"      {weekday}  {', '.join(format_period(p) for p in periods)}")
            span = calendar.days.aggregate(first=Min("date"), last=Max("date"), n=Count("id"))
            if span["n"]:
                self.stdout.write("      " + _("%(n)s special days, %(first)s … %(last)s") % span)

    def _load_cn_holidays(self, **_options) -> None:
        first, last = cn.years()
        for name, count in services.load_cn_holidays_everywhere(actor=None).items():
            self.stdout.write(_("%(name)s: %(count)s statutory days (%(first)s–%(last)s, chinese-calendar "
                                "%(version)s).") % {"name": name, "count": count, "first": first, "last": last,
                                                     "version": cn.package_version()})
