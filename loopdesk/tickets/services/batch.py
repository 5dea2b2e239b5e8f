"""Many tickets in one call (a channel gateway's batch): all of them, or none."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.core.errors import DomainError, ValidationFailed

from ..models import Ticket
from .core import create_ticket, reserve_numbers


def create_tickets(
    *, actor: Any, requests: list[dict[str, Any]], now: datetime.datetime | None = None
) -> list[Ticket]:
    """Create a ticket for each request (the keyword arguments of `create_ticket`), in order, in one
    transaction; if any is refused nothing is stored and the ValidationFailed names every problem by
    its place, e.g. `tickets[3].title`.

    The numbers are reserved first, in a statement of their own, so that concurrent batches do not
    queue behind the day's counter while they work; a refused batch leaves its numbers unused."""
    now = now or timezone.now()
    numbers = reserve_numbers(now, len(requests))
    errors: dict[str, list[str]] = {}
    created: list[Ticket] = []
    with transaction.atomic():
        for index, (request, number) in enumerate(zip(requests, numbers, strict=True)):
            try:
                created.append(create_ticket(actor=actor, now=now, number=number, **request))
            except DomainError as err:
                for field, messages in (getattr(err, "fields", None) or {"": [str(err)]}).items():
                    errors[f"tickets[{index}].{field}".rstrip(".")] = list(messages)
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationFailed(_("No ticket was created: fix the listed entries and send them again."),
                               fields=errors)
    return created
