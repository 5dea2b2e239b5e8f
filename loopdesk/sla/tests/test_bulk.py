"""Clocks in bulk for existing open tickets (the demo's seed_clocks and the bench use it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from loopdesk.demo.sla import seed_clocks
from loopdesk.sla.clocks import RUNNING
from loopdesk.sla.models import Clock
from loopdesk.tickets.models import Ticket

from .clockkit import clocks, policy_24x7

pytestmark = pytest.mark.django_db


def bulk_ticket(world, number: str, *, status: str, minutes_ago: int, accepted_after: int | None = None) -> Ticket:
    now = timezone.now()
    created = now - dt.timedelta(minutes=minutes_ago)
    phase = {"new": "open", "waiting_customer": "waiting", "closed": "closed"}.get(status, "working")
    ticket = Ticket(number=number, title="t", description="d", company=world.acme, owner_org=world.beijing,
                    status=status, phase=phase, is_open=phase != "closed", priority=3, created_at=created,
                    updated_at=now,
                    accepted_at=created + dt.timedelta(minutes=accepted_after) if accepted_after is not None else None)
    Ticket.objects.bulk_create([ticket])  # as the demo does: no services, no signals
    return Ticket.objects.get(number=number)


def test_seed_clocks_starts_what_each_ticket_would_have(world):
    policy_24x7(targets={("first_response", None): 60, ("resolution", None): 240},
                levels=[("resolution", 50, [{"type": "notify", "to": "assignee"}])])
    fresh = bulk_ticket(world, "D1", status="new", minutes_ago=10)
    late = bulk_ticket(world, "D2", status="in_progress", minutes_ago=300, accepted_after=90)
    waiting = bulk_ticket(world, "D3", status="waiting_customer", minutes_ago=30, accepted_after=5)
    done = bulk_ticket(world, "D4", status="closed", minutes_ago=30)
    assert seed_clocks() == 6
    c = clocks(fresh)
    assert c["first_response"].state == RUNNING and c["first_response"].due_at == fresh.created_at + dt.timedelta(
        minutes=60)
    c = clocks(late)
    assert (c["first_response"].met, c["first_response"].breaches) == (False, 1)  # answered after 90 of 60
    res = c["resolution"]
    assert res.breached_at == late.created_at + dt.timedelta(minutes=240) and res.last_percent == 100
    assert res.next_action_at is None  # the past thresholds count as fired: no flood of old warnings
    assert clocks(waiting)["resolution"].state == "paused"
    assert not Clock.objects.filter(ticket=done).exists()
    fresh.refresh_from_db()
    assert fresh.due_at == fresh.created_at + dt.timedelta(minutes=60)
    assert seed_clocks() == 0  # idempotent
