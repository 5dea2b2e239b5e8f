"""Demo data for service levels: running SLA/OLA clocks for the demo's open tickets.

    seed_clocks(*, now=None) -> int

Call it after the tickets exist (and after contracts, if the demo makes any, so the Gold and VIP
policies apply). It gives every open ticket without clocks the clocks it would have had since it was
created, in bulk (60,000 open tickets → 120,000 clocks in about 20 s on PostgreSQL), marks
thresholds already passed as fired (no flood of old warnings on the first escalation run) and sets
Ticket.due_at. Returns the number of clocks created.
Idempotent: tickets that have clocks are skipped.
"""

from __future__ import annotations

import datetime as dt

from loopdesk.sla.bulk import start_clocks_in_bulk


def seed_clocks(*, now: dt.datetime | None = None) -> int:
    return start_clocks_in_bulk(now=now)
