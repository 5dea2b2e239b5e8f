"""The fixed ITR lifecycle: which status may follow which, and who may move it.

Pure functions over (status, role facts, time) so the rules are testable without the database.
"""

from __future__ import annotations

import datetime

from ..choices import Status

S = Status

# Staff moves along the closed loop.
STAFF_TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED, S.CANCELLED},
    S.ACCEPTED: {S.IN_PROGRESS, S.WAITING_CUSTOMER, S.RESOLVED, S.CANCELLED},
    S.IN_PROGRESS: {S.WAITING_CUSTOMER, S.RESOLVED, S.CANCELLED},
    S.WAITING_CUSTOMER: {S.IN_PROGRESS, S.RESOLVED, S.CANCELLED},
    S.RESOLVED: {S.CLOSED, S.IN_PROGRESS},
    S.CLOSED: {S.IN_PROGRESS},
    S.CANCELLED: set(),
}

# A customer confirms or reopens a resolution, and may withdraw a request nobody has started.
CUSTOMER_TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.CANCELLED},
    S.ACCEPTED: {S.CANCELLED},
    S.RESOLVED: {S.CLOSED, S.IN_PROGRESS},
    S.CLOSED: {S.IN_PROGRESS},
}

REOPENS = {(S.RESOLVED, S.IN_PROGRESS), (S.CLOSED, S.IN_PROGRESS)}


def allowed_transitions(
    status: str, *, customer: bool, resolved_at: datetime.datetime | None, now: datetime.datetime,
    reopen_window: datetime.timedelta,
) -> set[str]:
    """The statuses the ticket may move to now. Reopening a closed ticket (and, for a customer,
    a resolved one) is allowed only within the reopen window counted from the resolution."""
    table = CUSTOMER_TRANSITIONS if customer else STAFF_TRANSITIONS
    allowed = set(table.get(status, set()))
    within_window = resolved_at is not None and now - resolved_at <= reopen_window
    for frm, to in REOPENS:
        if status == frm and to in allowed and not within_window and (customer or frm == S.CLOSED):
            allowed.discard(to)
    return allowed
