"""What higher layers (SLA clocks, rules, integrations) listen to without the ticket loop knowing them.

`ticket_event` is sent for every history event, inside the service's transaction, right after the
event row is written: receivers see the ticket as the service left it and may write in the same
transaction (an exception rolls the whole change back). Arguments: `ticket`, `event`, `actor`.
"""

from django.dispatch import Signal

ticket_event = Signal()
