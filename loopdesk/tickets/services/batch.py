"""Many tickets in one call (a channel gateway's batch): all of them, or none."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.core.errors import DomainError, ValidationFailed

from ..models import Ticket
from .core import insert_tickets, prepare_ticket


def create_tickets(
    *, actor: Any, requests: list[dict[str, Any]], now: datetime.datetime | None = None
) -> list[Ticket]:
    """Create a ticket for each request (the keyword arguments of `create_ticket`), in order, in one
    transaction; if any is refused nothing is stored and the ValidationFailed names every problem by
    its place, e.g. `tickets[3].title`.

    Every request is checked before anything is written; then the batch is numbered and stored as a
    whole (`insert_tickets`: one insert for the tickets, one for their events, and the listeners work
    on all of them at once)."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    prepared: list[Ticket] = []
    for index, request in enumerate(requests):
        try:
            prepared.append(prepare_ticket(actor=actor, now=now, **request))
        except DomainError as err:
            for field, messages in (getattr(err, "fields", None) or {"": [str(err)]}).items():
                errors[f"tickets[{index}].{field}".rstrip(".")] = list(messages)
    if errors:
        raise ValidationFailed(_("No ticket was created: fix the listed entries and send them again."),
                               fields=errors)
    return insert_tickets(prepared, actor=actor, now=now)
