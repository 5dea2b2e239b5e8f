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


# -- SLA / OLA policies and clocks (docs/sla.md, "Policies and clocks") -----------------------------

class Metric(models.TextChoices):
    """What a target measures."""

    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_UPDATE = "next_update", _("Next update")
    RESOLUTION = "resolution", _("Resolution")
    ONSITE_ARRIVAL = "onsite_arrival", _("On-site arrival")


class Party(models.TextChoices):
    """Whom a clock measures: the customer's SLA, an assignment group's or a partner's OLA."""

    CUSTOMER = "customer", _("Customer (SLA)")
    GROUP = "group", _("Assignment group (OLA)")
    PARTNER = "partner", _("Partner (OLA)")


def default_pause_statuses() -> list[str]:
    return ["waiting_customer"]


class Policy(TimeStamped):
    """An SLA (what the customer was promised) or an OLA (what a group or partner owes internally).

    SLA policies are tried by `order` (then id) and the first whose conditions all hold applies; an
    empty condition list means "any". OLA policies apply beside the SLA: per party (group, partner) the
    first matching one by order. `group`/`group_tiers` and `partner_org` narrow an OLA to one group,
    groups of some support tiers, or one partner (empty = any). Time counts on `calendar`; the clock
    stands still while the ticket's status is in `pause_statuses`; `on_reopen` says whether a reopened
    ticket's resolution clock restarts from zero or continues where it stopped.
    """

    class Kind(models.TextChoices):
        SLA = "sla", _("SLA")
        OLA = "ola", _("OLA")

    class OnReopen(models.TextChoices):
        RESTART = "restart", _("Restart from zero")
        CONTINUE = "continue", _("Continue where it stopped")

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=32, unique=True, blank=True, null=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SLA)
    party = models.CharField(_("applies to"), max_length=16, choices=Party.choices, default=Party.CUSTOMER,
                             help_text=_("Customer for an SLA; assignment group or partner for an OLA."))
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.IntegerField(_("order"), default=100, help_text=_("Lower is tried first."))
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="policies",
                                 verbose_name=_("business calendar"))
    # Conditions: empty = any.
    contract_levels = models.JSONField(_("contract levels"), default=list, blank=True)
    vip_levels = models.JSONField(_("VIP levels"), default=list, blank=True)
    ticket_types = models.JSONField(_("ticket types"), default=list, blank=True)
    category_ids = models.JSONField(_("categories (with their subcategories)"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    group = models.ForeignKey("accounts.Group", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("assignment group"))
    group_tiers = models.JSONField(_("support tiers"), default=list, blank=True)
    partner_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("partner"))
    pause_statuses = models.JSONField(_("pausing statuses"), default=default_pause_statuses, blank=True)
    on_reopen = models.CharField(_("on reopen"), max_length=16, choices=OnReopen.choices, default=OnReopen.RESTART)

    class Meta:
        verbose_name = _("service level policy")
        verbose_name_plural = _("service level policies")
        ordering = ["kind", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """`minutes` of business time for one metric of a policy, for one priority (null = any other)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets", verbose_name=_("policy"))
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True,
                                                help_text=_("Empty: every priority without its own row."))
    minutes = models.PositiveIntegerField(_("business minutes"))

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["policy", "metric", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric", "priority"], name="sla_target_unique",
                                    condition=models.Q(priority__isnull=False)),
            models.UniqueConstraint(fields=["policy", "metric"], name="sla_target_any_unique",
                                    condition=models.Q(priority__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} P{self.priority or '*'} {self.minutes}"


class EscalationLevel(models.Model):
    """At `percent` of a metric's target (e.g. 50, 75, 100, 150), do `actions`: a list of
    {"type": "notify", "to": "assignee" | "group_lead" | "manager"}, {"type": "reassign", "group_id": N},
    {"type": "raise_priority"}."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="levels", verbose_name=_("policy"))
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    percent = models.PositiveSmallIntegerField(_("percent of the target"))
    actions = models.JSONField(_("actions"), default=list, blank=True)

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["policy", "metric", "percent"]
        constraints = [models.UniqueConstraint(fields=["policy", "metric", "percent"], name="sla_level_unique")]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.percent}%"


class ClockQuerySet(models.QuerySet):
    def live(self) -> "ClockQuerySet":
        return self.filter(state__in=(Clock.State.RUNNING, Clock.State.PAUSED))

    def due_to_act(self, now) -> "ClockQuerySet":
        """Clocks whose next warning, escalation or breach moment has come (through the index)."""
        return self.filter(next_action_at__lte=now)


class Clock(models.Model):
    """One measured target of one ticket. While running, business time counts from `running_since`
    on top of `elapsed_seconds` (banked at the last pause); `due_at` is when the target is reached.
    `next_action_at` is the next moment a warning, escalation or the breach must fire (null: none
    pending). `current` is false for clocks superseded by another (an OLA handed over to another group)."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        STOPPED = "stopped", _("Stopped")

    class StoppedBy(models.TextChoices):
        REPLY = "reply", _("Replied")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        ARRIVED = "arrived", _("Arrived on site")
        HANDOVER = "handover", _("Handed over")
        RETARGET = "retarget", _("No longer applies")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="clocks",
                               verbose_name=_("ticket"))
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("policy"))
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="clocks",
                                 verbose_name=_("business calendar"))
    kind = models.CharField(_("kind"), max_length=8, choices=Policy.Kind.choices)
    party = models.CharField(_("applies to"), max_length=16, choices=Party.choices)
    group = models.ForeignKey("accounts.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    partner_org = models.ForeignKey("orgs.Organization", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    metric = models.CharField(_("metric"), max_length=24, choices=Metric.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RUNNING)
    current = models.BooleanField(default=True)
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    started_at = models.DateTimeField(_("started at"))
    elapsed_seconds = models.FloatField(default=0.0)  # business seconds banked before running_since
    running_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.CharField(max_length=16, choices=StoppedBy.choices, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    met = models.BooleanField(_("met"), null=True, blank=True)
    breaches = models.PositiveIntegerField(default=0)  # cycles that breached (next update counts each)
    last_percent = models.PositiveSmallIntegerField(default=0)  # highest threshold fired in this cycle
    next_action_at = models.DateTimeField(null=True, blank=True)

    objects = ClockQuerySet.as_manager()

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        ordering = ["ticket", "id"]
        indexes = [
            models.Index(fields=["ticket", "current"], name="sla_clock_ticket"),
            models.Index(fields=["next_action_at"], name="sla_clock_next_action",
                         condition=models.Q(next_action_at__isnull=False)),
            # Re-planning walks a calendar's running clocks in id order (replan.py).
            models.Index(fields=["calendar", "state", "id"], name="sla_clock_calendar_run"),
            models.Index(fields=["policy", "state"], name="sla_clock_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.state}"


class ClockEvent(models.Model):
    """One entry of a clock's history: started, paused, resumed, stopped, restarted, retargeted,
    warned, breached, escalated; `data` holds the details (percent, old → new target, …)."""

    class Kind(models.TextChoices):
        STARTED = "started", _("started")
        PAUSED = "paused", _("paused")
        RESUMED = "resumed", _("resumed")
        STOPPED = "stopped", _("stopped")
        RESTARTED = "restarted", _("restarted")
        CONTINUED = "continued", _("continued")
        RETARGETED = "retargeted", _("re-targeted")
        REPLANNED = "replanned", _("re-planned")
        WARNED = "warned", _("warned")
        BREACHED = "breached", _("breached")
        ESCALATED = "escalated", _("escalated")

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("clock event")
        verbose_name_plural = _("clock events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["clock", "at"], name="sla_clock_event")]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.kind}"
