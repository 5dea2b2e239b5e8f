"""Business calendars as stored: the calendar, its weekly working periods and its special days.

`loopdesk.sla.services.to_business_calendar` turns them into the pure `BusinessCalendar`; writes go
through the services, which validate them (docs/sla.md).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from loopdesk.core.models import TimeStamped


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


class CalendarQuerySet(models.QuerySet):
    def active(self) -> "CalendarQuerySet":
        return self.filter(active=True)


class Calendar(TimeStamped):
    """A business calendar: a time zone, working periods per weekday, holidays and make-up working days.
    A 24×7 calendar is working time at every instant (its periods and days are ignored)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    active = models.BooleanField(_("active"), default=True)
    is_24x7 = models.BooleanField(_("24×7"), default=False)
    cn_holidays = models.BooleanField(
        _("China's statutory holidays"), default=False,
        help_text=_("Follows China's statutory holidays and make-up working days (reloaded by "
                    "`loopdesk sla load-cn-holidays`)."),
    )

    objects = CalendarQuerySet.as_manager()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingPeriod(models.Model):
    """One working period of a weekday, [start, end) in the calendar's local time. An end of 00:00
    means midnight at the end of the day (24:00)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="periods",
                                 verbose_name=_("calendar"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__gte=1, weekday__lte=7), name="sla_period_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{'24:00' if self.end_minute == 1440 else f'{self.end:%H:%M}'}"

    @property
    def start_minute(self) -> int:
        return self.start.hour * 60 + self.start.minute

    @property
    def end_minute(self) -> int:
        return self.end.hour * 60 + self.end.minute or 1440


class CalendarDay(models.Model):
    """A date that differs from the week: a holiday (no working time) or a make-up working day (调休),
    which works with the periods of `as_weekday` (empty: the first weekday that has periods)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Make-up working day")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        CN = "cn", _("China's statutory calendar")

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="days",
                                 verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    as_weekday = models.PositiveSmallIntegerField(_("works like"), choices=Weekday.choices, null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        if self.as_weekday is not None and self.kind != self.Kind.WORKDAY:
            raise ValidationError({"as_weekday": _("Only a working day works like a weekday from 1 to 7.")})
