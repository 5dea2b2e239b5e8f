"""Proactive inspections (主动巡检) generated from contract terms as work orders, on schedule.

An in-force contract with an entitlement to a service product of kind "inspection" gets one work
order per slot (`periods.inspection_slots`: "4 per year" is due from January, April, July and
October), assigned to the contract's designated engineer, consuming one unit of the entitlement.
Only the slot in progress is generated, never past ones, so switching the job on does not flood the
queue. A slot whose units are used up is recorded as refused and gets no work order.
"""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.tickets import services as tickets
from loopdesk.tickets.choices import Channel, Level, TicketType

from . import periods
from .models import Contract, Entitlement, InspectionRun, ServiceProduct
from .services import consume, preview

log = logging.getLogger(__name__)


def due_inspections(on: datetime.date) -> list[tuple[Entitlement, datetime.date]]:
    """(entitlement, slot) pairs due on `on` that have no run yet."""
    entitlements = (
        Entitlement.objects.filter(
            product__kind=ServiceProduct.Kind.INSPECTION, product__active=True,
            contract__in=Contract.objects.in_force(on),
        ).select_related("contract__company__org", "contract__asset", "contract__designated_engineer", "product")
    )
    due = []
    for e in entitlements:
        start = e.period_start(on)
        slots = periods.inspection_slots(e.period, start, e.quantity, term_end=e.contract.ends_on)
        slot = periods.current_slot(slots, on)
        if slot is not None:
            due.append((e, slot))
    done = set(
        InspectionRun.objects.filter(entitlement__in=[e for e, _s in due]).values_list("entitlement_id", "slot_start")
    )
    return [(e, slot) for e, slot in due if (e.pk, slot) not in done]


def generate_inspections(*, now: datetime.datetime | None = None) -> list[InspectionRun]:
    """Create the work orders of every inspection slot due now; return the runs recorded."""
    now = now or timezone.now()
    on = periods.service_date(now)
    runs = []
    for entitlement, slot in due_inspections(on):
        try:
            runs.append(_generate(entitlement, slot, now))
        except IntegrityError:
            continue  # another worker recorded this slot first
    return runs


@transaction.atomic
def _generate(entitlement: Entitlement, slot: datetime.date, now: datetime.datetime) -> InspectionRun:
    contract = entitlement.contract
    # Claim the slot first: the unique constraint makes a second worker fail here, before any ticket.
    run = InspectionRun.objects.create(entitlement=entitlement, slot_start=slot, outcome="refused")
    code = entitlement.product.code
    if not preview(actor=None, product_code=code, contract=contract, on=slot).allowed:
        log.info("inspection %s %s: entitlement used up", contract.number, slot)
        return run
    engineer = contract.designated_engineer
    ticket = tickets.create_ticket(
        actor=None, type=TicketType.WORK_ORDER, company=contract.company, asset=contract.asset,
        title=_("Proactive inspection · %(customer)s · from %(day)s") % {
            "customer": contract.company.name, "day": slot.isoformat()},
        description=_("Scheduled by contract %(number)s (%(product)s, %(period)s). Check the installation, "
                      "record findings and recommendations, and agree the next visit with the customer.") % {
            "number": contract.number, "product": entitlement.product.name,
            "period": entitlement.get_period_display()},
        channel=Channel.ONSITE, impact=Level.LOW, urgency=Level.LOW,
        assignee=engineer if engineer is not None and engineer.is_active else None, now=now,
    )
    result = consume(actor=None, product_code=code, ref=ref_for(ticket), contract=contract, on=slot)
    run.ticket, run.outcome = ticket, result.outcome
    run.save(update_fields=["ticket", "outcome"])
    return run


def ref_for(ticket) -> str:
    """The ledger reference of what a ticket consumes."""
    return f"ticket:{ticket.pk}"
