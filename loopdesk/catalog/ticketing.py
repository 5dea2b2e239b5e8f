"""Contracts follow the tickets that use them: a cancelled ticket gives back what it consumed.

(The ticket page's entitlement panel is in `ticket_views`; inspection work orders in `inspections`.)
"""

from __future__ import annotations

from typing import Any

from loopdesk.tickets.choices import Status
from loopdesk.tickets.models import Event

from .inspections import ref_for
from .models import Consumption
from .services import give_back


def give_back_on_cancel(sender: Any, *, ticket: Any, event: Event, actor: Any = None, **kwargs: Any) -> None:
    """On cancellation, return every unit the ticket holds (as the system: whoever cancels may not
    manage the contract). Only a status change to cancelled costs a query."""
    if event.kind != Event.Kind.STATUS or (event.changes.get("status") or [None, None])[1] != Status.CANCELLED:
        return
    ref = ref_for(ticket)
    if Consumption.objects.filter(ref=ref).exists():
        give_back(actor=None, ref=ref)
