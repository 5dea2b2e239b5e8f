"""The portal's vocabulary: statuses, types and urgency in the words a customer uses, not the
service desk's. Kept apart from tickets.choices so the agent UI keeps its precise ITIL terms."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from loopdesk.tickets.choices import Level, Status, TicketType

STATUS_WORDS: dict[str, Any] = {
    Status.NEW: _("Received, waiting to be accepted"),
    Status.ACCEPTED: _("Accepted by the service team"),
    Status.IN_PROGRESS: _("Being worked on"),
    Status.WAITING_CUSTOMER: _("Waiting for your reply"),
    Status.RESOLVED: _("Resolved, please confirm"),
    Status.CLOSED: _("Closed"),
    Status.CANCELLED: _("Withdrawn"),
}

# What a status change means to the customer, shown in the request's history.
STATUS_CHANGE_WORDS: dict[str, Any] = {
    Status.ACCEPTED: _("The service team accepted the request."),
    Status.IN_PROGRESS: _("The service team is working on it."),
    Status.WAITING_CUSTOMER: _("The service team needs information from you."),
    Status.RESOLVED: _("The request was resolved."),
    Status.CLOSED: _("The request was closed."),
    Status.CANCELLED: _("The request was withdrawn."),
}

# The types a customer may submit (problems and work orders are internal records).
PORTAL_TYPES = [
    (TicketType.INCIDENT, _("Something does not work (fault)")),
    (TicketType.SERVICE_REQUEST, _("I need a service (service request)")),
    (TicketType.CONSULTATION, _("I have a question (consultation)")),
    (TicketType.COMPLAINT, _("Complaint")),
]
TYPE_WORDS: dict[str, Any] = {
    TicketType.INCIDENT: _("Fault"),
    TicketType.SERVICE_REQUEST: _("Service request"),
    TicketType.CONSULTATION: _("Question"),
    TicketType.COMPLAINT: _("Complaint"),
    TicketType.PROBLEM: _("Problem"),
    TicketType.WORK_ORDER: _("Work order"),
}

URGENCY_CHOICES = [
    (Level.HIGH, _("High: our work is stopped")),
    (Level.MEDIUM, _("Medium: work goes on with difficulty")),
    (Level.LOW, _("Low: no hurry")),
]

# Open for the customer means "not finished yet": a resolution still waiting for their confirmation counts.
FINISHED_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})


def status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


def type_words(ticket_type: str) -> str:
    return str(TYPE_WORDS.get(ticket_type, ticket_type))
