"""Request and response shapes of the ticket endpoints, and the one function that renders a ticket."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from loopdesk.accounts.roles import Perm
from loopdesk.accounts.scope import scope_for
from loopdesk.tickets.choices import Channel, LinkKind, Responsibility, Status, TicketType
from loopdesk.tickets.models import Ticket
from loopdesk.tickets.services import allowed_transitions

from .schemas import Id, JsonObject, LocalDateTime, Out, Page, Ref, Text, text

Title = text(200)
TypeName = Literal[tuple(TicketType.values)]  # type: ignore[valid-type]
# A state key of the ticket's workflow (the default workflows use tickets.choices.Status and a few more).
StatusName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,23}$", examples=list(Status.values))]
ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
LinkKindName = Literal[tuple(LinkKind.values)]  # type: ignore[valid-type]
ResponsibilityName = Literal[("", *Responsibility.values)]  # type: ignore[valid-type]
LevelValue = Literal[1, 2, 3]
PriorityValue = Literal[1, 2, 3, 4]


class Body(Schema):
    """Request bodies refuse unknown fields, so a misspelt field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class TicketIn(Body):
    title: Title
    description: Text
    customer_id: Id = Field(description="The customer company (see GET /companies).")
    type: TypeName = TicketType.INCIDENT.value
    category_id: Id | None = None
    priority: PriorityValue | None = Field(
        None, description="Staff only; computed from impact × urgency if omitted."
    )
    impact: LevelValue | None = None
    urgency: LevelValue | None = None
    channel: ChannelName | None = None
    contact_id: Id | None = None
    asset_id: Id | None = None
    group_id: Id | None = None
    assignee_id: Id | None = None
    custom_fields: JsonObject | None = None


class TicketPatch(Body):
    title: Title | None = None
    description: Text | None = None
    type: TypeName | None = None
    category_id: Id | None = None
    priority: PriorityValue | None = None
    impact: LevelValue | None = None
    urgency: LevelValue | None = None
    channel: ChannelName | None = None
    contact_id: Id | None = None
    asset_id: Id | None = None
    resolution: Text | None = None
    responsibility: ResponsibilityName | None = Field(None, description="定责; an empty string clears it.")
    custom_fields: JsonObject | None = None


class AssetRef(Out):
    id: int
    label: str


class TicketOut(Out):
    id: int
    number: str
    title: str
    description: str
    type: str
    status: str
    phase: str = Field(description="open, working, waiting, resolved or closed, whatever the status is called.")
    priority: int
    impact: int
    urgency: int
    channel: str
    category: Ref | None
    company: Ref
    contact: Ref | None
    asset: AssetRef | None
    owner_org: Ref
    partner_org: Ref | None
    group: Ref | None
    assignee: Ref | None
    custom_fields: dict[str, Any]
    resolution: str
    responsibility: str
    due_at: LocalDateTime | None = Field(description="The earliest due time of the running SLA clocks.")
    merged_into: str | None = Field(description="Number of the ticket this one was merged into.")
    created_at: LocalDateTime
    updated_at: LocalDateTime
    accepted_at: LocalDateTime | None
    resolved_at: LocalDateTime | None
    closed_at: LocalDateTime | None
    allowed_transitions: list[str]


class TicketPage(Page):
    items: list[TicketOut]


def transitions_for(ticket: Ticket, user: Any, now: datetime.datetime | None = None) -> list[str]:
    """The state keys this caller may move the ticket to now (in the order of its workflow's states)."""
    customer = scope_for(user).customer_only
    if not user.can(Perm.TICKET_CONFIRM if customer else Perm.TICKET_TRANSITION):
        return []
    return allowed_transitions(ticket, actor=user, customer=customer, now=now)


def _ref(obj: Any) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj)}


def ticket_data(t: Ticket, user: Any, now: datetime.datetime | None = None) -> dict[str, Any]:
    """A ticket as the caller may see it. Customers do not see the internal routing group."""
    customer = scope_for(user).customer_only
    return {
        "id": t.pk,
        "number": t.number,
        "title": t.title,
        "description": t.description,
        "type": t.type,
        "status": t.status,
        "phase": t.phase,
        "priority": t.priority,
        "impact": t.impact,
        "urgency": t.urgency,
        "channel": t.channel,
        "category": _ref(t.category),
        "company": _ref(t.company),
        "contact": None if t.contact is None else {"id": t.contact.pk, "name": t.contact.name},
        "asset": None if t.asset_id is None else {"id": t.asset_id, "label": str(t.asset)},
        "owner_org": _ref(t.owner_org),
        "partner_org": _ref(t.partner_org),
        "group": None if customer else _ref(t.group),
        "assignee": _ref(t.assignee),
        "custom_fields": t.custom_fields or {},
        "resolution": t.resolution,
        "responsibility": "" if customer else t.responsibility,
        "due_at": t.due_at,
        "merged_into": t.merged_into.number if t.merged_into_id else None,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "accepted_at": t.accepted_at,
        "resolved_at": t.resolved_at,
        "closed_at": t.closed_at,
        "allowed_transitions": transitions_for(t, user, now),
    }
