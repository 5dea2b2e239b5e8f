"""The words a workflow definition may use: phases, ticket types, roles, ticket fields.

Workflows sit below tickets in the layer order, so the ticket vocabulary the definitions refer to is
spelled out here (a test checks it matches loopdesk.tickets.choices)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from loopdesk.accounts.roles import Role

PHASES = ("open", "working", "waiting", "resolved", "closed")
OPEN_PHASES = frozenset({"open", "working", "waiting"})

TICKET_TYPES = {
    "incident": _("Incident"),
    "service_request": _("Service request"),
    "consultation": _("Consultation"),
    "complaint": _("Complaint"),
    "problem": _("Problem"),
    "work_order": _("Work order"),
}

# Roles that may be named in a transition (a customer contact is the transition's `customer` flag).
ROLES = tuple(r for r in Role.values if r != Role.CUSTOMER)
# Everyone on the service side who may move tickets (holders of Perm.TICKET_TRANSITION).
STAFF_ROLES = ["agent", "engineer", "field_engineer", "dispatcher", "partner_agent", "manager", "admin"]

# Fields a transition may require or ask for in its form ("cf.<key>" names a custom field).
FORM_FIELDS = ("comment", "resolution", "responsibility")
# Fields that must merely be set on the ticket (not asked in the form).
TICKET_FIELDS = ("assignee", "group", "category", "asset", "contact", "partner_org")
# Fields an action may set, with the values allowed (None: any text).
ACTION_VALUES: dict[str, tuple | None] = {
    "responsibility": ("", "product_defect", "implementation", "partner", "customer", "environment"),
    "priority": (1, 2, 3, 4),
    "impact": (1, 2, 3),
    "urgency": (1, 2, 3),
}
REOPEN_WINDOW = "reopen_window"  # within_days: the LOOPDESK_REOPEN_WINDOW_DAYS setting

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
CUSTOM_RE = re.compile(r"^cf\.[a-z0-9_]{1,64}$")
LANGS = ("zh-hans", "en")

# Facts a guard (loopdesk.core.conditions tree) may test: "ticket.<field>", custom fields "ticket.cf.<key>".
GUARD_FIELDS = {
    f"ticket.{name}": None for name in (
        "type", "status", "phase", "priority", "impact", "urgency", "channel", "category", "company", "contact",
        "asset", "owner_org", "partner_org", "group", "assignee", "responsibility", "resolution", "cf",
    )
}
