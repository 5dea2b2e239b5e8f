"""Signals of the clock engine, for the rules engine and other higher layers.

Both are sent by the escalation task inside the transaction that records the firing (so a receiver's
writes commit or roll back with it), after the level's own actions ran:

- `clock_warning(sender=Clock, ticket, clock, level, percent)`: a threshold below 100 % was reached;
  `level` is the EscalationLevel (None when the threshold has no configured level), `percent` an int.
- `clock_breached(sender=Clock, ticket, clock)`: the clock reached 100 % of its target.
  A level configured at exactly 100 % fires its actions and then `clock_breached` (no `clock_warning`);
  levels above 100 % (e.g. 150 %) send `clock_warning` with that percent.
Each fires exactly once per clock cycle (a next-update clock has one cycle per update).
"""

from django.dispatch import Signal

clock_warning = Signal()
clock_breached = Signal()
