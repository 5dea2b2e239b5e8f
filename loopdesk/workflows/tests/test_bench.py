"""The workflow bench group measures without leaving rows behind."""

from __future__ import annotations

import pytest

from loopdesk.demo.bench_workflows import figures
from loopdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_bench_figures_roll_back(world):
    before = Ticket.objects.count()
    out = figures(actor=world.agent, company=world.acme, n=3)
    names = {f["name"]: f for f in out}
    assert set(names) == {"workflow_validate_ms", "ticket_create_ms", "workflow_decision_us", "ticket_transition_ms",
                          "status_label_us_per_row",
                          "workflow_create_overhead_ms"}
    assert names["status_label_us_per_row"]["queries"] == 0 and names["status_label_us_per_row"]["rows"] >= 5
    assert all(f["value"] is not None and f["value"] >= 0 for f in out)
    assert Ticket.objects.count() == before
