"""Base models shared by every domain: timestamps, the audit log, counters, idempotency, custom fields."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TimeStamped(models.Model):
    """Creation and last-change times, in UTC."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """One change to any audited object: who, when, what, from → to. Append-only."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    action = models.CharField(_("action"), max_length=32)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.action}"


class Counter(models.Model):
    """A named sequence (e.g. the daily ticket number). Incremented under a row lock."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class IdempotencyKey(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed for any retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class CustomField(models.Model):
    """An administrator-defined, typed field on tickets, customers or assets (values live in JSON)."""

    class Target(models.TextChoices):
        TICKET = "ticket", _("Ticket")
        CUSTOMER = "customer", _("Customer")
        ASSET = "asset", _("Asset")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", pgettext_lazy("kind of custom field", "Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes / no")
        CHOICE = "choice", _("Choice")

    target = models.CharField(_("applies to"), max_length=16, choices=Target.choices)
    ticket_type = models.CharField(
        _("ticket type"), max_length=32, blank=True, help_text=_("Only for tickets of this type; empty for all.")
    )
    key = models.SlugField(_("key"), max_length=64)
    label = models.CharField(_("label"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("Allowed values for a choice field."))
    required = models.BooleanField(_("required"), default=False)
    max_length = models.PositiveIntegerField(_("maximum length"), default=500)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["target", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "ticket_type", "key"], name="custom_field_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.label}"


class ScheduledJob(models.Model):
    """Last run of a periodic job, so several workers enqueue it once per interval."""

    name = models.CharField(max_length=128, primary_key=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name
