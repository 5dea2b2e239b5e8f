"""Automation rules: when (trigger), if (a JSON condition tree), then (a list of actions)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    CREATED = "created", _("Ticket created")
    UPDATED = "updated", _("Ticket updated")
    TRANSITIONED = "transitioned", _("Status changed")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    SCHEDULED = "scheduled", _("On a schedule")


class Rule(models.Model):
    """One automation rule. Rules of a trigger run in `order` (then id); `stop_processing` ends the run
    after this rule fires. `version` grows on every change (compiled conditions are cached by it)."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.IntegerField(_("order"), default=100)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    stop_processing = models.BooleanField(_("stop processing further rules"), default=False)
    # Scheduled rules: every `interval_minutes` the open tickets matching the conditions get the actions
    # (once per ticket per rule version).
    interval_minutes = models.PositiveIntegerField(_("interval (minutes)"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["trigger", "active", "order", "id"], name="rule_trigger_order")]

    def __str__(self) -> str:
        return self.name


class RuleFiring(models.Model):
    """A rule fired on a ticket: when, on which trigger, and what each action did."""

    rule = models.ForeignKey(Rule, on_delete=models.SET_NULL, null=True, related_name="firings", db_index=False)
    rule_name = models.CharField(_("rule"), max_length=120)
    rule_version = models.PositiveIntegerField(default=1)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+", db_index=False)
    at = models.DateTimeField(_("at"))
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    results = models.JSONField(_("results"), default=list, blank=True)
    dry_run = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["rule", "-at"], name="rulefiring_rule"),
            models.Index(fields=["ticket", "-at"], name="rulefiring_ticket"),
            models.Index(fields=["-at", "-id"], name="rulefiring_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_name} → {self.ticket_id}"


class EscalationTier(models.Model):
    """The next support tier of an assignment group (e.g. 一线 → 二线 → 研发): where `escalate` sends a ticket."""

    group = models.OneToOneField(
        "accounts.Group", on_delete=models.CASCADE, related_name="escalation_tier", verbose_name=_("group")
    )
    next_group = models.ForeignKey(
        "accounts.Group", on_delete=models.CASCADE, related_name="+", verbose_name=_("next tier")
    )

    class Meta:
        verbose_name = _("escalation tier")
        verbose_name_plural = _("escalation tiers")
        constraints = [
            models.CheckConstraint(condition=~models.Q(group=models.F("next_group")), name="escalation_tier_not_self")
        ]

    def __str__(self) -> str:
        return f"{self.group_id} → {self.next_group_id}"


class RoundRobinPointer(models.Model):
    """Who in a group got the last round-robin assignment (row-locked while choosing the next)."""

    group = models.OneToOneField("accounts.Group", on_delete=models.CASCADE, related_name="+")
    last_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("round-robin pointer")
        verbose_name_plural = _("round-robin pointers")

    def __str__(self) -> str:
        return f"{self.group_id}: {self.last_user_id}"
