"""Workflow engine figures for `loopdesk bench --only workflows` (docs/workflows.md, docs/performance.md).

All in-process, inside one transaction that is rolled back at the end (so the bench database keeps no
trace; commit time is therefore not included):
- `workflow_decision_us`: deciding the transitions an agent may take now (`available_transitions`) on a
  ticket whose version is cached — the engine's own cost per check, in microseconds.
- `workflow_create_overhead_ms`: what creating a ticket pays for workflows (finding the current version
  of its workflow, one indexed query); the rest of `ticket_create_ms` was there before.
- `ticket_transition_ms` / `ticket_create_ms`: a full `transition_ticket` (in_progress ↔
  waiting_customer) and `create_ticket`, listeners (SLA clocks, rules) included; extra `queries`.
- `status_label_us_per_row`: `get_status_display()` over up to 1,000 tickets; extra `queries` must be 0.
- `workflow_validate_ms`: validating the largest shipped definition (work order).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.workloads import figure
from loopdesk.tickets.models import Ticket
from loopdesk.tickets.services import available_transitions, create_ticket, transition_ticket
from loopdesk.workflows import defaults
from loopdesk.workflows.services import current_version
from loopdesk.workflows.validation import validate


class _Rollback(Exception):
    pass


def _per_call(fn: Callable[[], Any], n: int) -> tuple[float, int]:
    """Mean seconds per call and queries per call over `n` calls."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - started
    return elapsed / n, round(len(queries) / n)


def figures(*, actor: Any, company: Any, n: int = 50, log: Callable[[str], Any] = lambda _m: None) -> list[dict]:
    out: list[dict] = []
    definition = defaults.definition("work_order")
    seconds, _q = _per_call(lambda: validate(definition), 200)
    out.append(figure("workflow_validate_ms", seconds * 1000, "ms", 5, higher_is_better=False))
    try:
        with transaction.atomic():
            def new() -> Ticket:
                return create_ticket(actor=actor, title="流程压测", description="workflow bench", company=company)

            new()  # warm caches (current version, compiled flow)
            seconds, _q = _per_call(lambda: current_version("incident", org=company.org), n)
            out.append(figure("workflow_create_overhead_ms", seconds * 1000, "ms", 2, higher_is_better=False,
                              queries=_q))
            seconds, queries = _per_call(new, n)
            out.append(figure("ticket_create_ms", seconds * 1000, "ms", 30, higher_is_better=False, queries=queries))
            ticket = transition_ticket(actor=actor, ticket=new(), to="in_progress")
            seconds, _q = _per_call(lambda: available_transitions(ticket, actor=actor), 2000)
            out.append(figure("workflow_decision_us", seconds * 1e6, "µs", 100, higher_is_better=False))
            state = {"to": "waiting_customer"}

            def move() -> None:
                transition_ticket(actor=actor, ticket=ticket, to=state["to"])
                state["to"] = "in_progress" if state["to"] == "waiting_customer" else "waiting_customer"

            seconds, queries = _per_call(move, n)
            out.append(figure("ticket_transition_ms", seconds * 1000, "ms", 30, higher_is_better=False,
                              queries=queries))
            rows = list(Ticket.objects.order_by("-id")[:1000])
            for t in rows:
                t.get_status_display()  # warm: one query per distinct version, once per process
            with CaptureQueriesContext(connection) as queries_ctx:
                started = time.perf_counter()
                for t in rows:
                    t.get_status_display()
                elapsed = time.perf_counter() - started
            out.append(figure("status_label_us_per_row", elapsed / max(len(rows), 1) * 1e6, "µs", 20,
                              higher_is_better=False, queries=len(queries_ctx), rows=len(rows)))
            raise _Rollback
    except _Rollback:
        pass
    for f in out:
        log(f"  {f['name']}: {f['value']} {f['unit']}")
    return out
