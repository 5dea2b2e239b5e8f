"""Users, their memberships (organisation + role), assignment groups and API tokens."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from loopdesk.core.models import TimeStamped

from .roles import ROLE_PERMISSIONS, Role


class User(AbstractUser):
    """A person who signs in: staff of the network, a partner's agent, or a customer contact."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    skills = models.JSONField(_("skills"), default=list, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return User.label(self.display_name, self.first_name, self.last_name, self.username)

    @staticmethod
    def label(display_name: str, first_name: str, last_name: str, username: str) -> str:
        """What str(user) shows, from the columns alone (for lists read as values)."""
        return display_name or f"{first_name} {last_name}".strip() or username

    @property
    def roles(self) -> set[str]:
        if not hasattr(self, "_roles"):
            self._roles = set(self.memberships.values_list("role", flat=True))
        return self._roles

    @property
    def permissions(self) -> set[str]:
        if self.is_superuser:
            return set().union(*ROLE_PERMISSIONS.values())
        perms: set[str] = set()
        for role in self.roles:
            perms |= ROLE_PERMISSIONS.get(role, set())
        return perms

    def can(self, perm: str) -> bool:
        return self.is_active and perm in self.permissions

    @property
    def is_customer_only(self) -> bool:
        return not self.is_superuser and self.roles <= {Role.CUSTOMER}


class Membership(models.Model):
    """The user works in `organization` with `role`. Customers have a membership with role customer."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="memberships", null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization or '-'} · {self.get_role_display()}"


class Group(TimeStamped):
    """An assignment group (queue team), e.g. "北京 U8 二线支持"."""

    name = models.CharField(_("name"), max_length=128)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="groups", verbose_name=_("organisation")
    )
    members = models.ManyToManyField(User, related_name="assignment_groups", blank=True, verbose_name=_("members"))
    tier = models.PositiveSmallIntegerField(_("support tier"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("assignment group")
        verbose_name_plural = _("assignment groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token. Only a hash is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Notification(models.Model):
    """A message in a user's in-app inbox (SLA warnings, rule notifications, assignments, …)."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=255, blank=True)
    ticket_id = models.BigIntegerField(null=True, blank=True)  # a plain id: accounts sits below tickets
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"
