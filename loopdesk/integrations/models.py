"""Outbound webhooks (signed, retried, logged) and their inbound callbacks.

An `Endpoint` is a receiver in another system (lead-to-cash, R&D, anything generic). Each message to it
is a `Delivery`, tried until it succeeds or runs out of attempts; every try is a `DeliveryAttempt`. An
`ExternalLink` records what a ticket raised in another system (a sales opportunity, a defect, a
requirement) and what became of it, as the other system reports through its callback.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class EndpointKind(models.TextChoices):
    LEAD_TO_CASH = "lead_to_cash", _("Lead to cash (sales)")
    RND = "rnd", _("R&D (defects and requirements)")
    GENERIC = "generic", _("Generic")


class WebhookEvent(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_RESOLVED = "ticket.resolved", _("Ticket resolved")
    TICKET_CLOSED = "ticket.closed", _("Ticket closed")
    OPPORTUNITY_REQUESTED = "opportunity.requested", _("Sales opportunity requested")
    DEFECT_REQUESTED = "defect.requested", _("Defect requested")
    REQUIREMENT_REQUESTED = "requirement.requested", _("Requirement requested")
    RULE = "rule.fired", _("Automation rule")
    PING = "ping", _("Test message")


class Endpoint(models.Model):
    """A receiver of signed webhook messages. `secret` signs outbound messages and verifies callbacks."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=EndpointKind.choices, default=EndpointKind.GENERIC)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=80, default=new_secret, editable=False)
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    timeout = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=10)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.active and event in (self.events or [])


class Delivery(models.Model):
    """One message to one endpoint, tried until it succeeds or is given up (`dead`).

    `failed` means the last try failed and another is due at `next_attempt_at`; `next_attempt_at` is
    null once nothing more is due, so the partial index holds only the deliveries still to send.
    `locked_until` is set by the worker that claims the delivery (a conditional UPDATE), so two workers
    never send it at the same time."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Given up")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("endpoint"))
    event = models.CharField(_("event"), max_length=64)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="webhook_deliveries", verbose_name=_("ticket"))
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["next_attempt_at"], name="wh_delivery_due", condition=Q(next_attempt_at__isnull=False)),
            models.Index(fields=["endpoint", "-id"], name="wh_delivery_endpoint"),
            models.Index(fields=["ticket", "-id"], name="wh_delivery_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} #{self.pk}"


class DeliveryAttempt(models.Model):
    """One HTTP try of a delivery (append-only)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["delivery", "at"], name="wh_attempt_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class ExternalLink(models.Model):
    """Something a ticket raised in another system, and what became of it there."""

    class Kind(models.TextChoices):
        OPPORTUNITY = "opportunity", _("Sales opportunity")
        DEFECT = "defect", _("Defect")
        REQUIREMENT = "requirement", _("Requirement")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="external_links",
                               verbose_name=_("ticket"))
    endpoint = models.ForeignKey(Endpoint, on_delete=models.PROTECT, related_name="links",
                                 verbose_name=_("endpoint"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    external_url = models.URLField(_("external link"), max_length=500, blank=True)
    external_status = models.CharField(_("external status"), max_length=100, blank=True)  # "" = no answer yet
    external_note = models.TextField(_("latest news"), blank=True)
    callback_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("external link")
        verbose_name_plural = _("external links")
        indexes = [models.Index(fields=["ticket", "-id"], name="wh_link_ticket")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id or '…'}"

    @property
    def requested_event(self) -> str:
        return f"{self.kind}.requested"


KIND_ENDPOINT = {
    ExternalLink.Kind.OPPORTUNITY: EndpointKind.LEAD_TO_CASH,
    ExternalLink.Kind.DEFECT: EndpointKind.RND,
    ExternalLink.Kind.REQUIREMENT: EndpointKind.RND,
}
