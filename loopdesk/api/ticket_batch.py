"""`POST /api/v1/tickets/batch`: up to 100 tickets in one request, for channel gateways (mail, call
centre, monitoring). All or nothing (see `tickets.services.create_tickets`): a refused batch stores
nothing and the 422 names each problem by its place, e.g. `tickets[3].customer_id`. Every ticket goes
through the same service, scope and numbering as a single create; one request and one commit for many
tickets is what lets a gateway sustain hundreds of tickets per second.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status
from pydantic import Field

from loopdesk.core.errors import ValidationFailed
from loopdesk.tickets import services

from .auth import ApiRequest
from .refs import Resolver
from .schemas import WRITE_ERRORS
from .ticket_schemas import Body, TicketIn, TicketOut, ticket_data

router = Router(tags=["tickets"])

MAX_BATCH = 100


class TicketBatchIn(Body):
    tickets: list[TicketIn] = Field(min_length=1, max_length=MAX_BATCH)


class TicketBatchOut(Body):
    items: list[TicketOut]


@router.post("/batch", response={201: TicketBatchOut, **WRITE_ERRORS}, summary="Create up to 100 tickets at once")
def create_batch(request: ApiRequest, payload: TicketBatchIn):
    """Create every ticket of the list, in order, or none of them; the answer lists the created tickets
    in the same order. Send an `Idempotency-Key` so that a retried batch is not created twice."""
    user = request.auth
    cache: dict[Any, Any] = {}  # each customer, contact, … looked up once per batch
    errors: dict[str, list[str]] = {}
    requests = []
    Resolver(user, cache=cache).preload_companies([item.customer_id for item in payload.tickets])
    for index, item in enumerate(payload.tickets):
        r = Resolver(user, cache=cache)
        refs = {
            "company": r.company(item.customer_id),
            "category": r.category(item.category_id),
            "contact": r.contact(item.contact_id),
            "asset": r.asset(item.asset_id),
            "group": r.group(item.group_id),
            "assignee": r.staff_user(item.assignee_id),
        }
        errors |= {f"tickets[{index}].{field}": messages for field, messages in r.errors.items()}
        requests.append({
            "title": item.title, "description": item.description, "type": item.type, "impact": item.impact,
            "urgency": item.urgency, "priority": item.priority, "channel": item.channel,
            "custom_fields": item.custom_fields, **refs,
        })
    if errors:
        raise ValidationFailed(_("Some referenced objects do not exist or are out of your reach."), fields=errors)
    created = services.create_tickets(actor=user, requests=requests)
    return Status(201, {"items": [ticket_data(t, user) for t in created]})
