"""Roles and what each may do. A user's permissions are the union over their memberships."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer contact")
    AGENT = "agent", _("Hotline agent")
    ENGINEER = "engineer", _("Support engineer")
    FIELD_ENGINEER = "field_engineer", _("Field engineer")
    DISPATCHER = "dispatcher", _("Dispatcher")
    PARTNER_AGENT = "partner_agent", _("Partner agent")
    MANAGER = "manager", _("Service manager")
    KNOWLEDGE_REVIEWER = "knowledge_reviewer", _("Knowledge reviewer")
    EXECUTIVE = "executive", _("Executive")
    ADMIN = "admin", _("Administrator")


class Perm:
    """Permission codes checked by services, views and the API."""

    TICKET_VIEW = "ticket.view"
    TICKET_CREATE = "ticket.create"
    TICKET_EDIT = "ticket.edit"
    TICKET_ASSIGN = "ticket.assign"
    TICKET_TRANSITION = "ticket.transition"
    TICKET_INTERNAL = "ticket.internal"  # read and write internal notes
    TICKET_MERGE = "ticket.merge"
    TICKET_CONFIRM = "ticket.confirm"  # a customer confirms or reopens a resolution
    CUSTOMER_VIEW = "customer.view"
    CUSTOMER_EDIT = "customer.edit"
    CUSTOMER_IMPORT = "customer.import"
    ORG_ADMIN = "org.admin"
    KNOWLEDGE_WRITE = "knowledge.write"  # draft and edit articles
    KNOWLEDGE_REVIEW = "knowledge.review"  # approve, publish and retire articles
    PROBLEM_MANAGE = "problem.manage"  # problem records, root cause, known errors
    REPORT_VIEW = "report.view"  # SLA compliance and other figures, within the user's scope
    SLA_ADMIN = "sla.admin"  # calendars, SLA/OLA policies, escalation levels
    WORKFLOW_ADMIN = "workflow.admin"  # workflows: draft, validate, publish, migrate tickets
    RULE_ADMIN = "rule.admin"  # automation rules, dry runs
    INTEGRATION_ADMIN = "integration.admin"  # outbound webhooks and their deliveries
    CONTRACT_MANAGE = "contract.manage"  # create and change customers' contracts and entitlements
    OVERAGE_APPROVE = "contract.approve_overage"  # approve service beyond a contract's entitlement


_AGENT = {
    Perm.TICKET_VIEW, Perm.TICKET_CREATE, Perm.TICKET_EDIT, Perm.TICKET_ASSIGN, Perm.TICKET_TRANSITION,
    Perm.TICKET_INTERNAL, Perm.CUSTOMER_VIEW, Perm.CUSTOMER_EDIT, Perm.KNOWLEDGE_WRITE,
}
_CONFIGURE = {Perm.SLA_ADMIN, Perm.WORKFLOW_ADMIN, Perm.RULE_ADMIN, Perm.INTEGRATION_ADMIN}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CUSTOMER: {Perm.TICKET_VIEW, Perm.TICKET_CREATE, Perm.TICKET_CONFIRM},
    Role.AGENT: _AGENT,
    Role.ENGINEER: _AGENT | {Perm.PROBLEM_MANAGE},
    Role.FIELD_ENGINEER: _AGENT - {Perm.TICKET_ASSIGN},
    Role.DISPATCHER: _AGENT,
    Role.PARTNER_AGENT: {
        Perm.TICKET_VIEW, Perm.TICKET_EDIT, Perm.TICKET_TRANSITION, Perm.TICKET_INTERNAL, Perm.CUSTOMER_VIEW,
    },
    Role.MANAGER: _AGENT | {
        Perm.TICKET_MERGE, Perm.CUSTOMER_IMPORT, Perm.KNOWLEDGE_REVIEW, Perm.PROBLEM_MANAGE, Perm.REPORT_VIEW,
        Perm.CONTRACT_MANAGE, Perm.OVERAGE_APPROVE,
    },
    Role.KNOWLEDGE_REVIEWER: {
        Perm.TICKET_VIEW, Perm.TICKET_INTERNAL, Perm.CUSTOMER_VIEW, Perm.KNOWLEDGE_WRITE, Perm.KNOWLEDGE_REVIEW,
    },
    Role.EXECUTIVE: {Perm.TICKET_VIEW, Perm.TICKET_INTERNAL, Perm.CUSTOMER_VIEW, Perm.REPORT_VIEW},
    Role.ADMIN: _AGENT | _CONFIGURE | {
        Perm.TICKET_MERGE, Perm.CUSTOMER_IMPORT, Perm.ORG_ADMIN, Perm.KNOWLEDGE_REVIEW, Perm.PROBLEM_MANAGE,
        Perm.REPORT_VIEW, Perm.CONTRACT_MANAGE, Perm.OVERAGE_APPROVE,
    },
}


def require(actor, perm: str) -> None:
    """Raise Forbidden unless `actor` holds `perm`. A None actor is the system itself (demo data,
    scheduled jobs) and may do anything."""
    from django.utils.translation import gettext as _

    from loopdesk.core.errors import Forbidden

    if actor is not None and not actor.can(perm):
        raise Forbidden(_("You may not do this."))
