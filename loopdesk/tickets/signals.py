"""What higher layers (SLA clocks, rules, integrations) listen to without the ticket loop knowing them.

`ticket_event` is sent for every history event, inside the service's transaction, right after the
event row is written: receivers see the ticket as the service left it and may write in the same
transaction (an exception rolls the whole change back). Arguments: `ticket`, `event`, `actor`.

New tickets (one, or a batch from a channel) pass two more, so that work per ticket can be done once
for all of them:
- `ticket_creating` (`tickets`, `actor`): the tickets are checked and numbered but not yet stored;
  a receiver may set their fields (rules classify and prioritise here), and they are inserted with them.
- `tickets_created` (`created`: a list of (ticket, "created" event), `actor`): sent once after the
  insert, before `ticket_event` goes out for each "created" event. Receivers that start work for a
  new ticket (SLA clocks, the rules of the "created" trigger) do it here, for all at once, and leave
  the "created" `ticket_event` alone.
"""

from django.dispatch import Signal

ticket_event = Signal()
ticket_creating = Signal()
tickets_created = Signal()
