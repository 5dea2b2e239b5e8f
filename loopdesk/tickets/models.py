"""Tickets and everything hanging off them: comments, attachments, links, watchers, history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from loopdesk.accounts.scope import scope_for
from loopdesk.core.caches import ReferenceRows
from loopdesk.workflows.flow import flow_for_version, pick_label

from .choices import (
    OPEN_PHASES,
    STATUS_PHASE,
    Channel,
    Level,
    LinkKind,
    Phase,
    Priority,
    Responsibility,
    Status,
    TicketType,
)

_DEFAULT_LABELS: dict[str, dict[str, str]] = {}


def status_label(status: str, workflow_version_id: int | None) -> str:
    """A state's label in the active language, from the ticket's workflow version (compiled once per
    process per version, so a list of tickets costs no query for it)."""
    if workflow_version_id is not None:
        label = flow_for_version(workflow_version_id).label(status)
        if label:
            return label
    return default_status_label(status)


def default_status_label(status: str) -> str:
    """The label of a state key for a ticket not bound to a workflow version: the built-in status, else
    the label the default workflows give it, else the key itself (a dict per language, built once)."""
    lang = get_language() or ""
    labels = _DEFAULT_LABELS.get(lang)
    if labels is None:
        from loopdesk.workflows.defaults import known_labels

        labels = {key: pick_label(label, lang) for key, label in known_labels().items()}
        labels.update({code: str(label) for code, label in Status.choices})
        _DEFAULT_LABELS[lang] = labels
    return labels.get(status, status)


class Category(models.Model):
    """A node of the category tree, e.g. 财务 › 总账 › 凭证打印."""

    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    full_name = models.CharField(_("full name"), max_length=255, editable=False, default="")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.name

    def save(self, *args, **kwargs):
        self.full_name = f"{self.parent.full_name} › {self.name}" if self.parent_id else self.name
        super().save(*args, **kwargs)


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user) -> TicketQuerySet:
        """Only the tickets the user's organisation may see (the one scoping rule, see accounts.scope)."""
        scope = scope_for(user)
        if scope.all:
            return self
        if scope.empty:
            return self.none()
        q = Q(pk__in=[])
        if scope.org_ids:
            q |= Q(owner_org_id__in=scope.org_ids)
        if scope.partner_org_ids:
            q |= Q(partner_org_id__in=scope.partner_org_ids)
        if scope.company_ids:
            q |= Q(company_id__in=scope.company_ids)
        if scope.user_id:
            q |= Q(assignee_id=scope.user_id)
        if scope.group_ids:
            q |= Q(group_id__in=scope.group_ids)
        if scope.customer_only:
            # A problem record is the service organisation's own analysis, even when it names a customer.
            return self.filter(q).exclude(type=TicketType.PROBLEM)
        return self.filter(q)

    def open(self) -> TicketQuerySet:
        return self.filter(is_open=True)

    def one(self, pk: int) -> Ticket:
        """The ticket `pk` of this queryset with what its page shows. Raises Ticket.DoesNotExist.

        Joining everything is a dozen tables, and PostgreSQL then spends far longer choosing a join
        order than running the query. So customer, contact and asset are joined (about a millisecond of
        planning, less than a query each), the people in one query, and category,
        organisations and group from the per-process reference cache (attach_references)."""
        from loopdesk.accounts.models import User

        ticket = self.select_related("company", "contact", "asset__product_version__product").prefetch_related(
            models.Prefetch("merged_into", queryset=Ticket.objects.only("id", "number")),
        ).get(pk=pk)
        people = User.objects.in_bulk({ticket.assignee_id, ticket.created_by_id} - {None})  # one query for both
        ticket.assignee = people.get(ticket.assignee_id)
        ticket.created_by = people.get(ticket.created_by_id)
        attach_references(ticket)
        return ticket

    def for_list(self) -> TicketQuerySet:
        """What a list of tickets shows: the customer joined (a dozen joined tables would cost more to
        plan than to run), the other related rows in one batched query each, carrying only what a list
        item names them by (fifty tickets' worth of full user, organisation and contact rows cost more
        to build than the queries take)."""
        from loopdesk.accounts.models import Group, User
        from loopdesk.assets.models import Asset
        from loopdesk.customers.models import Contact
        from loopdesk.orgs.models import Organization

        named = ("id", "name")
        return self.select_related("company").prefetch_related(
            models.Prefetch("category", queryset=Category.objects.only("id", "name", "full_name")),
            models.Prefetch("contact", queryset=Contact.objects.only(*named)),
            models.Prefetch("owner_org", queryset=Organization.objects.only(*named)),
            models.Prefetch("partner_org", queryset=Organization.objects.only(*named)),
            models.Prefetch("group", queryset=Group.objects.only(*named)),
            models.Prefetch("assignee", queryset=User.objects.only(
                "id", "username", "display_name", "first_name", "last_name")),
            models.Prefetch("asset", queryset=Asset.objects.select_related("product_version__product").only(
                "id", "serial", "product_version__version", "product_version__product__name")),
            models.Prefetch("merged_into", queryset=Ticket.objects.only("id", "number")),
        )


class Ticket(models.Model):
    """A request of any type on its way through the closed loop (new → … → closed)."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    type = models.CharField(_("type"), max_length=24, choices=TicketType.choices, default=TicketType.INCIDENT)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    # A state key of the ticket's workflow version (the well-known keys are tickets.choices.Status).
    status = models.CharField(_("status"), max_length=24, default=Status.NEW)
    workflow_version = models.ForeignKey(
        "workflows.WorkflowVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
        verbose_name=_("workflow version"),
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.OPEN, editable=False)
    is_open = models.BooleanField(default=True, editable=False)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P3)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("category")
    )
    company = models.ForeignKey(
        "customers.Company", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer"),
        db_index=False,  # led by a queue index below
    )
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
        verbose_name=_("contact"),
    )
    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", verbose_name=_("asset")
    )
    owner_org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="owned_tickets", verbose_name=_("responsible branch"),
        db_index=False,  # led by a queue index below
    )
    partner_org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="dispatched_tickets",
        verbose_name=_("partner"),
        db_index=False,  # led by a queue index below
    )
    group = models.ForeignKey(
        "accounts.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
        verbose_name=_("assignment group"),
        db_index=False,  # led by a queue index below
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tickets",
        verbose_name=_("assignee"),
        db_index=False,  # led by a queue index below
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="watched_tickets", blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_tickets"
    )
    resolution = models.TextField(_("resolution"), blank=True)
    responsibility = models.CharField(_("responsibility"), max_length=24, choices=Responsibility.choices, blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The earliest due time of the ticket's running SLA clocks, kept by loopdesk.sla, so that queues
    # sort and filter by time to breach from an index. Null when no clock is running.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # One index per queue: open tickets by last change, within a scope.
            models.Index(fields=["is_open", "-updated_at", "-id"], name="tk_open_updated"),
            models.Index(fields=["assignee", "is_open", "-updated_at", "-id"], name="tk_assignee_queue"),
            models.Index(fields=["group", "is_open", "-updated_at", "-id"], name="tk_group_queue"),
            models.Index(fields=["owner_org", "is_open", "-updated_at", "-id"], name="tk_org_queue"),
            models.Index(fields=["partner_org", "is_open", "-updated_at", "-id"], name="tk_partner_queue"),
            models.Index(fields=["company", "-created_at"], name="tk_company_created"),
            models.Index(fields=["status", "resolved_at"], name="tk_status_resolved"),
            models.Index(fields=["is_open", "priority", "id"], name="tk_open_priority"),
            models.Index(fields=["is_open", "-created_at", "-id"], name="tk_open_created"),
            models.Index(fields=["-updated_at", "-id"], name="tk_updated"),
            models.Index(fields=["is_open", "due_at", "id"], name="tk_open_due"),
            # Time to breach within a scope (queue tabs, branch and partner views): only tickets with a
            # running clock, so these stay small however many closed tickets pile up.
            *(
                models.Index(fields=[scope, "due_at", "id"], name=name, condition=Q(due_at__isnull=False))
                for scope, name in (("assignee", "tk_assignee_due"), ("group", "tk_group_due"),
                                    ("owner_org", "tk_org_due"), ("partner_org", "tk_partner_due"))
            ),
            models.Index(fields=["due_at", "id"], name="tk_due", condition=Q(due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        self.settle_phase()
        super().save(*args, **kwargs)

    def settle_phase(self) -> None:
        """Derive phase and is_open from the status (save does; a bulk insert must call it)."""
        # The ticket's workflow version says the phase of its state; the built-in keys map as fallback.
        phase = None
        if self.workflow_version_id is not None:
            phase = flow_for_version(self.workflow_version_id).phase(self.status)
        self.phase = phase or STATUS_PHASE.get(self.status, self.phase)
        self.is_open = self.phase in OPEN_PHASES

    def get_status_display(self) -> str:
        return status_label(self.status, self.workflow_version_id)


class Comment(models.Model):
    """A public reply (the customer sees it) or an internal note (never reaches a customer)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments", db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("text"))
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id}#{self.pk}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.ticket_id}/{instance.token}"


class Attachment(models.Model):
    """A file on disk under MEDIA_ROOT, served only through the ticket's permission check."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments")
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=128)
    internal = models.BooleanField(_("internal"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class Link(models.Model):
    """`source` <kind> `target`: child of, duplicate of, caused by (a problem), related to."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="ticket_link_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class Event(models.Model):
    """One entry of a ticket's append-only history: who, when, what, from → to."""

    class Kind(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        STATUS = "status", _("status changed")
        ASSIGNED = "assigned", _("assigned")
        COMMENTED = "commented", _("commented")
        ATTACHED = "attached", _("attached a file")
        LINKED = "linked", _("linked")
        UNLINKED = "unlinked", _("unlinked")
        MERGED = "merged", _("merged")
        WATCHERS = "watchers", _("watchers changed")
        SLA = "sla", _("service level")  # clock started, paused, breached, escalated (loopdesk.sla)
        RULE = "rule", _("rule applied")  # an automation rule fired (loopdesk.rules)
        WORKFLOW = "workflow", _("workflow")  # moved to another workflow version (loopdesk.workflows)
        INTEGRATION = "integration", _("external system")  # webhook sent or called back (loopdesk.integrations)

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # {field: [from, to]}
    data = models.JSONField(default=dict, blank=True)
    internal = models.BooleanField(default=False)  # hidden from customers

    class Meta:
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


_references: dict[str, ReferenceRows] = {}


def reference_rows(name: str) -> ReferenceRows:
    """The per-process cache of a small reference table: "category", "org" or "group"."""
    if not _references:
        from loopdesk.accounts.models import Group
        from loopdesk.orgs.models import Organization

        _references.update(category=ReferenceRows(Category), org=ReferenceRows(Organization),
                           group=ReferenceRows(Group))
    return _references[name]


def attach_references(ticket: Ticket) -> None:
    """Put the ticket's category, organisations and group on it from the per-process reference cache."""
    reference_rows("category").attach(ticket, "category")
    reference_rows("org").attach(ticket, "owner_org", "partner_org")
    reference_rows("group").attach(ticket, "group")
