"""The vocabulary of a ticket: types, states, channels, the impact × urgency → priority matrix."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketType(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    SERVICE_REQUEST = "service_request", _("Service request")
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    PROBLEM = "problem", _("Problem")
    WORK_ORDER = "work_order", _("Work order")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset({Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER})


class Phase(models.TextChoices):
    """Where a ticket is in the loop, whatever its workflow calls the state. SLA clocks, queues and
    reports key on the phase, so a workflow may add states without touching them."""

    OPEN = "open", _("Open")
    WORKING = "working", _("Working")
    WAITING = "waiting", _("Waiting")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_PHASES = frozenset({Phase.OPEN, Phase.WORKING, Phase.WAITING})

# The phase of each state of the built-in lifecycle.
STATUS_PHASE: dict[str, str] = {
    Status.NEW: Phase.OPEN,
    Status.ACCEPTED: Phase.WORKING,
    Status.IN_PROGRESS: Phase.WORKING,
    Status.WAITING_CUSTOMER: Phase.WAITING,
    Status.RESOLVED: Phase.RESOLVED,
    Status.CLOSED: Phase.CLOSED,
    Status.CANCELLED: Phase.CLOSED,
}


class Channel(models.TextChoices):
    PORTAL = "portal", _("Web portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    WECHAT = "wechat", _("WeChat")
    API = "api", _("API")
    AGENT = "agent", _("Entered by agent")
    ONSITE = "onsite", _("On site")


class Level(models.IntegerChoices):
    """Impact and urgency: 1 is the highest."""

    HIGH = 1, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 3, _("Low")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 critical")
    P2 = 2, _("P2 high")
    P3 = 3, _("P3 medium")
    P4 = 4, _("P4 low")


# impact × urgency → priority (ITIL's usual matrix).
PRIORITY_MATRIX: dict[tuple[int, int], int] = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 4,
}


def priority_for(impact: int, urgency: int) -> int:
    return PRIORITY_MATRIX[(impact, urgency)]


class Responsibility(models.TextChoices):
    """Who or what a ticket's cause is put down to (定责)."""

    PRODUCT_DEFECT = "product_defect", _("Product defect")
    IMPLEMENTATION = "implementation", _("Implementation")
    PARTNER = "partner", _("Partner")
    CUSTOMER = "customer", _("Customer")
    ENVIRONMENT = "environment", _("Environment")


class LinkKind(models.TextChoices):
    CHILD_OF = "child_of", _("is a child of")
    DUPLICATE_OF = "duplicate_of", _("duplicates")
    CAUSED_BY = "caused_by", _("is caused by")
    RELATED = "related", _("relates to")
