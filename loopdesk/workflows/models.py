"""Workflows as data: states mapped to phases, transitions, guards, versions and diagrams.

A Workflow applies to a ticket type (optionally narrowed to a category or organisation subtree). Its
definition lives in versions: at most one draft, published versions immutable, exactly one of them
current (status published; earlier ones retired but still run the tickets that started on them).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from loopdesk.core.models import TimeStamped

from .vocabulary import TICKET_TYPES


class Workflow(TimeStamped):
    """The process of one ticket type (and optionally a category or organisation subtree)."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    ticket_type = models.CharField(_("ticket type"), max_length=24, choices=list(TICKET_TYPES.items()))
    category = models.ForeignKey(
        "tickets.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("category subtree"),
    )
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("organisation subtree"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        ordering = ["ticket_type", "key"]

    def __str__(self) -> str:
        return self.name


class WorkflowVersion(models.Model):
    """One numbered definition of a workflow. Published versions are never edited again."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    definition = models.JSONField(_("definition"), default=dict)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("workflow version")
        verbose_name_plural = _("workflow versions")
        ordering = ["workflow", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="wf_version_number"),
            models.UniqueConstraint(fields=["workflow"], condition=Q(status="draft"), name="wf_one_draft"),
            models.UniqueConstraint(fields=["workflow"], condition=Q(status="published"), name="wf_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow} v{self.number} ({self.get_status_display()})"


class TicketMigration(models.Model):
    """Tickets moved from one version to another with a state mapping an administrator confirmed."""

    from_version = models.ForeignKey(WorkflowVersion, on_delete=models.PROTECT, related_name="migrations_out")
    to_version = models.ForeignKey(WorkflowVersion, on_delete=models.PROTECT, related_name="migrations_in")
    mapping = models.JSONField(_("state mapping"), default=dict)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    tickets_moved = models.PositiveIntegerField(_("tickets moved"), default=0)

    class Meta:
        verbose_name = _("ticket migration")
        verbose_name_plural = _("ticket migrations")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_version} → {self.to_version}"
