"""Create, edit, assign, comment on and move tickets through their lifecycle."""

from __future__ import annotations

import datetime
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.roles import Perm, require
from loopdesk.accounts.scope import scope_for
from loopdesk.core.customfields import clean_custom_fields, merge_custom_fields
from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.core.services import diff, next_value, refuse_nulls
from loopdesk.customers.services import add_serving_partner
from loopdesk.workflows.services import state_keys_in_phase

from ..choices import (
    OPEN_PHASES,
    Channel,
    Level,
    Phase,
    Priority,
    Responsibility,
    Status,
    TicketType,
    priority_for,
)
from ..models import Comment, Event, Ticket
from ..signals import ticket_creating, ticket_event, tickets_created
from . import lifecycle

UNSET: Any = object()

EDITABLE_FIELDS = {
    "title", "description", "type", "category", "impact", "urgency", "priority", "channel", "contact", "asset",
    "resolution", "responsibility",
}
STAFF_ONLY_CREATE_FIELDS = ("group", "assignee", "priority", "owner_org")


def record_event(
    ticket: Ticket, *, actor: Any, kind: str, changes: dict | None = None, data: dict | None = None,
    internal: bool = False, at: datetime.datetime | None = None,
) -> Event:
    """Append one history event (call inside the service's transaction) and tell the listeners."""
    entry = {"kind": kind, "changes": changes, "data": data, "internal": internal, "at": at}
    return record_events([(ticket, entry)], actor=actor)[0]


def record_events(
    entries: list[tuple[Ticket, dict[str, Any]]], *, actor: Any, announce: bool = True
) -> list[Event]:
    """Append many history events in one INSERT (each entry: the ticket and `record_event`'s keywords
    kind, changes, data, internal, at), then tell the listeners of each unless `announce` is off."""
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    events = Event.objects.bulk_create([
        Event(ticket=ticket, at=e.get("at") or now, actor_id=actor_id, kind=e["kind"], changes=e.get("changes") or {},
              data=e.get("data") or {}, internal=e.get("internal", False))
        for ticket, e in entries
    ])
    if announce:
        for (ticket, _e), event in zip(entries, events, strict=True):
            ticket_event.send(sender=Ticket, ticket=ticket, event=event, actor=actor)
    return events


def _is_customer(actor: Any) -> bool:
    return actor is not None and scope_for(actor).customer_only


# The tickets insert_tickets has just stored, while their "created" events' receivers run (SLA, rules).
_being_created: ContextVar[tuple[Ticket, ...]] = ContextVar("tickets_being_created", default=())


def _lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so concurrent writers cannot lose each other's changes.
    A ticket still being created needs neither: no other transaction can see its row yet, and the
    receivers of its "created" event (a rule classifying it, say) all change this very instance."""
    if any(t is ticket for t in _being_created.get()):
        return ticket
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _check_refs(company: Any, *, contact: Any = None, asset: Any = None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if contact is not None and contact.company_id != company.pk:
        errors["contact_id"] = [_("This contact belongs to another customer.")]
    if asset is not None and asset.company_id != company.pk:
        errors["asset_id"] = [_("This asset belongs to another customer.")]
    return errors


def reserve_numbers(now: datetime.datetime, count: int) -> list[str]:
    """`count` consecutive ticket numbers of `now`'s day (工单号 YYYYMMDD + daily sequence). Called outside
    a transaction (insert_tickets), it commits at once: no intake waits on the day's counter while
    another works, and numbers reserved by an intake that then fails stay unused."""
    day = timezone.localtime(now, timezone.get_default_timezone()).strftime("%Y%m%d")
    last = next_value("ticket:" + day, count)
    return [f"{day}{n:05d}" for n in range(last - count + 1, last + 1)]


def create_ticket(
    *, actor: Any, title: str, description: str, company: Any, contact: Any = None, asset: Any = None,
    type: str = TicketType.INCIDENT, category: Any = None, impact: int | None = None, urgency: int | None = None,
    priority: int | None = None, channel: str | None = None, group: Any = None, assignee: Any = None,
    owner_org: Any = None, custom_fields: dict | None = None, now: datetime.datetime | None = None,
    number: str | None = None,
) -> Ticket:
    """Accept a request into the loop: validate, number it, compute priority, record its creation."""
    now = now or timezone.now()
    ticket = prepare_ticket(
        actor=actor, title=title, description=description, company=company, contact=contact, asset=asset,
        type=type, category=category, impact=impact, urgency=urgency, priority=priority, channel=channel,
        group=group, assignee=assignee, owner_org=owner_org, custom_fields=custom_fields, now=now,
    )
    return insert_tickets([ticket], actor=actor, now=now, numbers=[number] if number else None)[0]


def prepare_ticket(
    *, actor: Any, title: str, description: str, company: Any, contact: Any = None, asset: Any = None,
    type: str = TicketType.INCIDENT, category: Any = None, impact: int | None = None, urgency: int | None = None,
    priority: int | None = None, channel: str | None = None, group: Any = None, assignee: Any = None,
    owner_org: Any = None, custom_fields: dict | None = None, now: datetime.datetime,
) -> Ticket:
    """Check a request and build its ticket, not yet numbered nor stored (`insert_tickets` does both)."""
    require(actor, Perm.TICKET_CREATE)
    customer = _is_customer(actor)
    errors: dict[str, list[str]] = {}
    title, description = (title or "").strip(), (description or "").strip()
    if not title:
        errors["title"] = [_("Enter a title.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if not description:
        errors["description"] = [_("Describe the request.")]
    if type not in TicketType.values:
        errors["type"] = [_("Unknown ticket type.")]
    if channel is not None and channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    for name, value in (("impact", impact), ("urgency", urgency)):
        if value is not None and value not in Level.values:
            errors[name] = [_("Choose 1 (high), 2 (medium) or 3 (low).")]
    if priority is not None and priority not in Priority.values:
        errors["priority"] = [_("Choose a priority from 1 to 4.")]
    if customer:
        if company.pk not in scope_for(actor).company_ids:
            raise Forbidden(_("You may only submit requests for your own company."))
        passed = {"group": group, "assignee": assignee, "priority": priority, "owner_org": owner_org}
        for name, value in passed.items():
            if value is not None:
                errors[name] = [_("Only service staff may set this.")]
        if contact is None:
            contact = actor.contacts.filter(company=company).first()
    if assignee is not None and getattr(assignee, "is_customer_only", False):
        errors["assignee_id"] = [_("A customer contact cannot be assigned.")]
    if category is not None and not category.active:
        errors["category_id"] = [_("This category is no longer in use.")]
    errors |= _check_refs(company, contact=contact, asset=asset)
    if errors:
        raise ValidationFailed(fields=errors)
    cleaned_custom = clean_custom_fields("ticket", custom_fields, ticket_type=type)

    impact = impact or Level.MEDIUM
    urgency = urgency or Level.MEDIUM
    owner_org = owner_org or company.org
    # The ticket runs on the current version of its workflow, from that version's initial state.
    version_id = lifecycle.current_version_id(type, category, owner_org)
    return Ticket(
        type=type, title=title, description=description,
        workflow_version_id=version_id, status=lifecycle.initial_state(version_id), impact=impact, urgency=urgency,
        priority=priority or priority_for(impact, urgency),
        channel=channel or (Channel.PORTAL if customer else Channel.AGENT), category=category, company=company,
        contact=contact, asset=asset, owner_org=owner_org, group=group, assignee=assignee,
        created_by=actor if getattr(actor, "pk", None) else None, custom_fields=cleaned_custom,
        created_at=now, updated_at=now,
    )


def insert_tickets(
    tickets: list[Ticket], *, actor: Any, now: datetime.datetime, numbers: list[str] | None = None
) -> list[Ticket]:
    """Number and store prepared tickets and record their creation, in one transaction.

    Without a transaction around the call the numbers are reserved in a statement of their own first,
    so concurrent intakes do not queue behind the day's counter while they work (a failure leaves a gap).
    Then, inside the transaction: `ticket_creating` lets receivers settle fields of the unsaved tickets
    (rules classifying them), the tickets and their "created" events are inserted together, and
    `tickets_created` (once, for all) and `ticket_event` (for each) tell the listeners."""
    numbers = numbers or reserve_numbers(now, len(tickets))
    with transaction.atomic():
        for ticket, number in zip(tickets, numbers, strict=True):
            ticket.number = number
        ticket_creating.send(sender=Ticket, tickets=tickets, actor=actor)
        if len(tickets) == 1:
            tickets[0].save(force_insert=True)
        else:
            for ticket in tickets:
                ticket.settle_phase()
            Ticket.objects.bulk_create(tickets)
        events = record_events(
            [(t, {"kind": Event.Kind.CREATED, "at": now,
                  "data": {"channel": t.channel, "priority": t.priority, "type": t.type}}) for t in tickets],
            actor=actor, announce=False,
        )
        token = _being_created.set(tuple(tickets))
        try:
            created = list(zip(tickets, events, strict=True))
            tickets_created.send(sender=Ticket, created=created, actor=actor)
            for ticket, event in created:
                ticket_event.send(sender=Ticket, ticket=ticket, event=event, actor=actor)
        finally:
            _being_created.reset(token)
    return tickets


def update_ticket(*, actor: Any, ticket: Ticket, custom_fields: dict | None = None, **values: Any) -> Ticket:
    """Edit fields; impact or urgency recompute the priority unless one is given. On a ticket not yet
    stored (rules settling a new request before its insert) the fields are only set: the insert
    stores them, and its "created" event stands for them."""
    if ticket.pk is None:
        return _update(actor, ticket, custom_fields, values)
    with transaction.atomic():
        return _update(actor, ticket, custom_fields, values)


def _update(actor: Any, ticket: Ticket, custom_fields: dict | None, values: dict[str, Any]) -> Ticket:
    require(actor, Perm.TICKET_EDIT)
    if _is_customer(actor):
        raise Forbidden(_("You may not edit this request."))
    unknown = set(values) - EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(fields={k: [_("This field cannot be changed here.")] for k in sorted(unknown)})
    refuse_nulls(Ticket, {k: v for k, v in values.items() if k not in ("title", "description")})
    if ticket.pk is not None:
        ticket = _lock(ticket)
    errors: dict[str, list[str]] = {}
    if "title" in values and not (values["title"] or "").strip():
        errors["title"] = [_("Enter a title.")]
    if "description" in values and not (values["description"] or "").strip():
        errors["description"] = [_("Describe the request.")]
    if "type" in values and values["type"] not in TicketType.values:
        errors["type"] = [_("Unknown ticket type.")]
    if "channel" in values and values["channel"] not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    for name in ("impact", "urgency"):
        if name in values and values[name] not in Level.values:
            errors[name] = [_("Choose 1 (high), 2 (medium) or 3 (low).")]
    if "priority" in values and values["priority"] not in Priority.values:
        errors["priority"] = [_("Choose a priority from 1 to 4.")]
    if "responsibility" in values and values["responsibility"] not in ("", *Responsibility.values):
        errors["responsibility"] = [_("Unknown responsibility.")]
    errors |= _check_refs(ticket.company, contact=values.get("contact"), asset=values.get("asset"))
    if errors:
        raise ValidationFailed(fields=errors)
    if ("impact" in values or "urgency" in values) and "priority" not in values:
        values["priority"] = priority_for(values.get("impact", ticket.impact), values.get("urgency", ticket.urgency))
    if custom_fields is not None:
        new_type = values.get("type", ticket.type)
        values["custom_fields"] = merge_custom_fields("ticket", ticket.custom_fields, custom_fields, ticket_type=new_type)
    changes = diff(ticket, values)
    for field in changes:
        setattr(ticket, field, values[field])
    if changes and ticket.pk is not None:
        ticket.updated_at = timezone.now()
        ticket.save()
        record_event(ticket, actor=actor, kind=Event.Kind.CHANGED, changes=changes)
    return ticket


@transaction.atomic
def assign_ticket(
    *, actor: Any, ticket: Ticket, group: Any = UNSET, assignee: Any = UNSET, partner: Any = UNSET
) -> Ticket:
    """Route the ticket to a group and/or a person, or dispatch it to a partner organisation."""
    require(actor, Perm.TICKET_ASSIGN)
    ticket = _lock(ticket)
    errors: dict[str, list[str]] = {}
    if assignee not in (UNSET, None) and (assignee.is_customer_only or not assignee.is_active):
        errors["assignee_id"] = [_("Choose an active member of the service staff.")]
    if partner not in (UNSET, None) and not partner.is_partner:
        errors["partner_id"] = [_("This organisation is not a partner.")]
    if group not in (UNSET, None) and not group.active:
        errors["group_id"] = [_("This group is not active.")]
    if errors:
        raise ValidationFailed(fields=errors)
    wanted = {f: v for f, v in (("group", group), ("assignee", assignee), ("partner_org", partner)) if v is not UNSET}
    changes = diff(ticket, wanted)
    for field in changes:
        setattr(ticket, field, wanted[field])
    if not changes:
        return ticket
    ticket.updated_at = timezone.now()
    ticket.save()
    if partner not in (UNSET, None):
        add_serving_partner(company=ticket.company, partner=partner)
    names = {
        "group": str(ticket.group or ""), "assignee": str(ticket.assignee or ""), "partner": str(ticket.partner_org or "")
    }
    record_event(ticket, actor=actor, kind=Event.Kind.ASSIGNED, changes=changes, data=names)
    return ticket


def _form_values(t: Any, ticket: Ticket, fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values a transition's form gave for ticket fields and custom fields, checked."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in t.form:
            errors[f"fields.{name}"] = [_("This transition does not ask for this field.")]
        elif name == "responsibility":
            if value not in ("", *Responsibility.values):
                errors["fields.responsibility"] = [_("Unknown responsibility.")]
            else:
                values["responsibility"] = value
        elif name.startswith("cf.") and value not in (None, ""):
            custom[name[3:]] = value
    if errors:
        raise ValidationFailed(fields=errors)
    if custom:
        values["custom_fields"] = {
            **ticket.custom_fields, **clean_custom_fields("ticket", custom, ticket_type=ticket.type, partial=True)
        }
    return values, errors


def _missing(t: Any, ticket: Ticket, *, comment: str, resolution: str, values: dict[str, Any]) -> dict:
    """Required fields of the transition still empty after the form."""
    errors: dict[str, list[str]] = {}
    custom = values.get("custom_fields", ticket.custom_fields) or {}
    for name in t.required:
        if name == "resolution":
            if not (resolution or ticket.resolution):
                errors["resolution"] = [_("Describe how the request was resolved.")]
        elif name == "comment":
            if not comment:
                errors["comment"] = [_("Add a comment.")]
        elif name == "responsibility":
            if not values.get("responsibility", ticket.responsibility):
                errors["fields.responsibility"] = [_("Choose who or what the cause is put down to.")]
        elif name.startswith("cf."):
            if custom.get(name[3:]) in (None, ""):
                errors[f"fields.{name}"] = [_("This field is required.")]
        elif getattr(ticket, f"{name}_id", None) is None:
            errors[name] = [_("Set this first; the step requires it.")]
    return errors


@transaction.atomic
def transition_ticket(
    *, actor: Any, ticket: Ticket, to: str, comment: str = "", resolution: str = "",
    fields: dict[str, Any] | None = None, transition: str | None = None, now: datetime.datetime | None = None,
) -> Ticket:
    """Move the ticket to state `to` if its workflow lets this actor take a transition there now:
    roles (or the customer flag), reopen window, guard, required fields; then apply the transition's
    form values and actions, set the phase timestamps and record the STATUS event. `transition` picks
    one transition by key when several lead to `to`."""
    customer = _is_customer(actor)
    require(actor, Perm.TICKET_CONFIRM if customer else Perm.TICKET_TRANSITION)
    now = now or timezone.now()
    ticket = _lock(ticket)
    flow = lifecycle.flow_of(ticket)
    if not isinstance(to, str) or to not in flow.states:
        raise ValidationFailed(fields={"to": [_("Unknown status.")]})
    options = lifecycle.candidates(ticket, actor=actor, customer=customer, now=now)
    chosen = [t for t in options if t.to == to and (transition is None or t.key == transition)]
    if not chosen:
        roles = None if customer else lifecycle._roles(actor)
        blocked = [
            t for t in flow.outgoing(ticket.status) if t.to == to and lifecycle.may_take(t, customer=customer, roles=roles)
            and lifecycle.within_window(t, ticket, now)
        ]
        if blocked:
            raise ValidationFailed(
                _("The conditions for “%(step)s” are not met.") % {"step": blocked[0].label()},
                fields={"to": [_("Allowed now: %(list)s.") % {"list": ", ".join(sorted({o.to for o in options})) or "-"}]},
            )
        raise lifecycle.refused(ticket, to, [o.to for o in options])
    step = chosen[0]
    fields = dict(fields or {})
    resolution = (resolution or fields.pop("resolution", "") or "").strip()
    comment = (comment or fields.pop("comment", "") or "").strip()
    values, _errors = _form_values(step, ticket, fields)
    missing = _missing(step, ticket, comment=comment, resolution=resolution, values=values)
    if missing:
        raise ValidationFailed(fields=missing)
    for action in step.actions:
        name, value = action.get("field"), action.get("value")
        if name.startswith("cf."):
            values["custom_fields"] = {**values.get("custom_fields", ticket.custom_fields), name[3:]: value}
        else:
            values[name] = value
    changes = {"status": [ticket.status, to], **diff(ticket, values)}
    old_phase, new_phase = ticket.phase, flow.phase(to)
    for name in changes:
        if name != "status":
            setattr(ticket, name, values[name])
    ticket.status = to
    if ticket.workflow_version_id is None:
        ticket.workflow_version_id = flow.version_id
    if new_phase == Phase.WORKING and ticket.accepted_at is None:
        ticket.accepted_at = now
    if new_phase == Phase.RESOLVED:
        ticket.resolved_at = now
    if resolution and (new_phase == Phase.RESOLVED or "resolution" in step.form):
        ticket.resolution = resolution
    if new_phase == Phase.CLOSED:
        ticket.closed_at = now
    if old_phase in (Phase.RESOLVED, Phase.CLOSED) and new_phase in OPEN_PHASES:
        ticket.resolved_at = ticket.closed_at = None
    ticket.updated_at = now
    ticket.save()
    data: dict[str, Any] = {"resolution": resolution} if resolution else {}
    data |= {"transition": step.key, "phase": [old_phase, ticket.phase]}
    if comment:
        created = Comment.objects.create(ticket=ticket, author=actor, body=comment, internal=False)
        data["comment_id"] = created.pk
        data["comment"] = created.body
    record_event(ticket, actor=actor, kind=Event.Kind.STATUS, changes=changes, data=data, at=now)
    return ticket


@transaction.atomic
def add_comment(*, actor: Any, ticket: Ticket, body: str, internal: bool = False) -> Comment:
    """A public reply or an internal note. A customer's reply to a ticket waiting for them resumes it."""
    customer = _is_customer(actor)
    if internal and (customer or not actor.can(Perm.TICKET_INTERNAL)):
        raise Forbidden(_("You may not write internal notes."))
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(fields={"body": [_("Write something.")]})
    if len(body) > 50_000:
        raise ValidationFailed(fields={"body": [_("At most 50,000 characters.")]})
    ticket = _lock(ticket)
    if ticket.status == Status.CANCELLED or (customer and ticket.status == Status.CLOSED):
        raise ValidationFailed(_("This request is finished; open a new one or reopen it."))
    now = timezone.now()
    comment = Comment.objects.create(ticket=ticket, author=actor, body=body, internal=internal)
    ticket.updated_at = now
    changes = {}
    if customer and ticket.status == Status.WAITING_CUSTOMER:
        changes = {"status": [ticket.status, Status.IN_PROGRESS]}
        ticket.status = Status.IN_PROGRESS
    ticket.save()
    record_event(
        ticket, actor=actor, kind=Event.Kind.COMMENTED, internal=internal, at=now,
        data={"comment_id": comment.pk, "internal": internal, "body": body[:500]},
    )
    if changes:
        record_event(ticket, actor=actor, kind=Event.Kind.STATUS, changes=changes, data={"reason": "customer_reply"})
    return comment


def auto_close_resolved(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Close resolved tickets nobody has answered for LOOPDESK_AUTO_CLOSE_DAYS; return how many. Each
    moves to the closed-phase state its workflow reaches from its resolved state (`closed` preferred)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.LOOPDESK_AUTO_CLOSE_DAYS)
    keys = state_keys_in_phase(Phase.RESOLVED) | {Status.RESOLVED}
    closed = 0
    skipped: set[int] = set()
    while True:
        ids = list(
            Ticket.objects.filter(status__in=keys, phase=Phase.RESOLVED, resolved_at__lte=cutoff)
            .exclude(pk__in=skipped).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return closed
        for pk in ids:
            with transaction.atomic():
                ticket = Ticket.objects.select_for_update().get(pk=pk)
                if ticket.phase != Phase.RESOLVED or ticket.resolved_at is None or ticket.resolved_at > cutoff:
                    skipped.add(pk)
                    continue  # someone reopened or closed it meanwhile
                target = lifecycle.closing_state(ticket)
                if target is None:
                    skipped.add(pk)  # its workflow has no way to close from here
                    continue
                old = ticket.status
                if ticket.workflow_version_id is None:
                    ticket.workflow_version_id = lifecycle.flow_of(ticket).version_id
                ticket.status, ticket.closed_at, ticket.updated_at = target, now, now
                ticket.save()
                record_event(
                    ticket, actor=None, kind=Event.Kind.STATUS, changes={"status": [old, target]},
                    data={"reason": "auto_close"}, at=now,
                )
                closed += 1
