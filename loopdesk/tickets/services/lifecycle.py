"""A ticket's lifecycle, as its workflow defines it (loopdesk.workflows).

Each ticket runs on one published workflow version (`Ticket.workflow_version`; a ticket not yet bound
runs on the current version of its type's workflow and is bound on its first transition). This
module answers which transitions an actor may take now and checks one before `transition_ticket`
performs it. The compiled workflow comes from a per-process cache, so these checks cost no query.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.accounts.scope import scope_for
from loopdesk.workflows import defaults
from loopdesk.workflows.flow import Flow, Transition, flow_for, flow_for_version, forget, remembered_current
from loopdesk.workflows.models import WorkflowVersion
from loopdesk.workflows.services import current_version
from loopdesk.workflows.vocabulary import REOPEN_WINDOW

from ..choices import Status
from ..models import default_status_label


def _table(customer: bool) -> dict[str, set[str]]:
    flow = Flow.compile(defaults.definition("incident"))
    table: dict[str, set[str]] = {s: set() for s in (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS,
                                                      Status.WAITING_CUSTOMER, Status.RESOLVED)}
    for t in flow.transitions:
        if (t.customer if customer else bool(t.roles)):
            for src in t.sources:
                table.setdefault(src, set()).add(t.to)
    if not customer:
        table.setdefault(Status.CANCELLED, set())
    return table


# The default (incident) workflow as from → {to} tables, for code and tests that reason about it.
STAFF_TRANSITIONS: dict[str, set[str]] = _table(customer=False)
CUSTOMER_TRANSITIONS: dict[str, set[str]] = {k: v for k, v in _table(customer=True).items() if v}

_FALLBACK: Flow | None = None


def _fallback() -> Flow:
    global _FALLBACK
    if _FALLBACK is None:
        _FALLBACK = Flow.compile(defaults.definition("incident"))
    return _FALLBACK


def resolve_version_id(ticket: Any) -> int | None:
    """The version a ticket runs on: its own, else the current one of its workflow."""
    if ticket.workflow_version_id is not None:
        return ticket.workflow_version_id
    return current_version_id(ticket.type, ticket.category if ticket.category_id else None,
                              ticket.owner_org if ticket.owner_org_id else None)


def current_version_id(ticket_type: str, category: Any, org: Any) -> int | None:
    """The current version of the workflow for a ticket of this type, category and organisation,
    remembered for a few seconds per process (new tickets and lists of unbound tickets then cost no
    query; a publish in another process reaches them within RESOLVE_TTL)."""

    def compute() -> int | None:
        version = current_version(ticket_type, category=category, org=org)
        return version.pk if version else None

    key = (ticket_type, category.pk if category is not None else None, org.pk if org is not None else None)
    return remembered_current(key, compute)


def initial_state(version_id: int | None) -> str:
    return (flow_for_version(version_id) if version_id is not None else _fallback()).initial or Status.NEW


def flow_of(ticket: Any) -> Flow:
    """The compiled workflow the ticket runs on."""
    version_id = resolve_version_id(ticket)
    if version_id is None:
        return _fallback()
    try:
        return flow_for_version(version_id)
    except WorkflowVersion.DoesNotExist:  # a remembered current version that is gone (tests roll back)
        forget()
        version_id = resolve_version_id(ticket)
        return flow_for_version(version_id) if version_id is not None else _fallback()


def state_label(ticket: Any, key: str | None = None) -> str:
    key = ticket.status if key is None else key
    return flow_of(ticket).label(key) or default_status_label(key)


def status_labels(ticket: Any, keys: Any) -> dict[str, str]:
    """{state key: label} for the given keys, in the ticket's workflow (for its history)."""
    flow = flow_of(ticket)
    return {k: flow.label(k) or default_status_label(k) for k in keys if isinstance(k, str)}


def is_customer(actor: Any) -> bool:
    return actor is not None and scope_for(actor).customer_only


def _roles(actor: Any) -> set[str] | None:
    """The actor's roles; None for the system (no actor) and superusers, who may take any staff step."""
    if actor is None or getattr(actor, "is_superuser", False):
        return None
    return set(actor.roles)


def may_take(t: Transition, *, customer: bool, roles: set[str] | None) -> bool:
    """Whether the transition's roles (or its customer flag) let this actor take it."""
    if customer:
        return t.customer
    if roles is None:
        return bool(t.roles)
    return bool(t.roles & roles)


def within_window(t: Transition, ticket: Any, now: datetime.datetime) -> bool:
    if t.within_days is None:
        return True
    days = settings.LOOPDESK_REOPEN_WINDOW_DAYS if t.within_days == REOPEN_WINDOW else int(t.within_days)
    return ticket.resolved_at is not None and now - ticket.resolved_at <= datetime.timedelta(days=days)


def facts(ticket: Any) -> dict[str, Any]:
    """The ticket fields a guard may test (loopdesk.core.conditions facts: `ticket.<field>`, custom
    fields `ticket.cf.<key>`; related objects by id)."""
    out: dict[str, Any] = {
        "ticket.type": ticket.type, "ticket.status": ticket.status, "ticket.phase": ticket.phase,
        "ticket.priority": ticket.priority, "ticket.impact": ticket.impact, "ticket.urgency": ticket.urgency,
        "ticket.channel": ticket.channel, "ticket.category": ticket.category_id, "ticket.company": ticket.company_id,
        "ticket.contact": ticket.contact_id, "ticket.asset": ticket.asset_id, "ticket.owner_org": ticket.owner_org_id,
        "ticket.partner_org": ticket.partner_org_id, "ticket.group": ticket.group_id,
        "ticket.assignee": ticket.assignee_id, "ticket.responsibility": ticket.responsibility,
        "ticket.resolution": ticket.resolution,
    }
    for key, value in (ticket.custom_fields or {}).items():
        out[f"ticket.cf.{key}"] = value
    return out


def guard_passes(t: Transition, ticket: Any) -> bool:
    if t.guard is None:
        return True
    try:
        from loopdesk.core import conditions
    except ImportError:  # pragma: no cover - guards are refused by validation without the module
        return True
    return bool(conditions.evaluate(t.guard, facts(ticket)))


@dataclass(frozen=True)
class Option:
    """A transition the actor may take now, as the UI and the API show it."""

    key: str
    to: str
    label: str
    to_label: str
    form: tuple[str, ...]
    required: tuple[str, ...]


def candidates(ticket: Any, *, actor: Any, customer: bool | None = None, now: datetime.datetime | None = None
               ) -> list[Transition]:
    """The transitions from the ticket's state that this actor may take now (roles, window, guard)."""
    customer = is_customer(actor) if customer is None else customer
    roles = None if customer else _roles(actor)
    now = now or timezone.now()
    return [
        t for t in flow_of(ticket).outgoing(ticket.status)
        if may_take(t, customer=customer, roles=roles) and within_window(t, ticket, now) and guard_passes(t, ticket)
    ]


def available_transitions(ticket: Any, *, actor: Any, customer: bool | None = None,
                          now: datetime.datetime | None = None) -> list[Option]:
    """Options for the transitions the actor may take now, in the order of their target states."""
    flow = flow_of(ticket)
    seen: set[str] = set()
    out = []
    for t in sorted(candidates(ticket, actor=actor, customer=customer, now=now), key=lambda t: flow.order(t.to)):
        if t.to in seen:  # one option per target: the first transition that leads there
            continue
        seen.add(t.to)
        out.append(Option(t.key, t.to, t.label(), flow.label(t.to) or t.to, t.form, t.required))
    return out


def allowed_transitions(ticket: Any, *, actor: Any, customer: bool | None = None,
                        now: datetime.datetime | None = None) -> list[str]:
    """The state keys the actor may move the ticket to now, in workflow order."""
    return [o.to for o in available_transitions(ticket, actor=actor, customer=customer, now=now)]


def closing_state(ticket: Any) -> str | None:
    """The state an unanswered resolution closes to (auto-close): the target of a staff transition
    from the current (resolved-phase) state into the closed phase, `closed` preferred."""
    flow = flow_of(ticket)
    targets = [t.to for t in flow.outgoing(ticket.status) if t.roles and flow.phase(t.to) == "closed"]
    if Status.CLOSED in targets:
        return Status.CLOSED
    return targets[0] if targets else None


def refused(ticket: Any, to: str, allowed: list[str]) -> Any:
    from loopdesk.core.errors import ValidationFailed

    return ValidationFailed(
        _("A ticket that is %(from)s cannot become %(to)s.")
        % {"from": state_label(ticket), "to": state_label(ticket, to)},
        fields={"to": [_("Allowed now: %(list)s.") % {"list": ", ".join(sorted(allowed)) or "-"}]},
    )


# --- what loopdesk.workflows needs from tickets (registered at start, see workflows.hooks) -------------


def _states_in_use(version_id: int) -> dict[str, int]:
    from django.db.models import Count

    from ..models import Ticket

    rows = Ticket.objects.filter(workflow_version_id=version_id).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def _count_by_version(version_ids: list[int]) -> dict[int, int]:
    from django.db.models import Count

    from ..models import Ticket

    rows = (Ticket.objects.filter(workflow_version_id__in=version_ids).values("workflow_version_id")
            .annotate(n=Count("id")).order_by())
    return {row["workflow_version_id"]: row["n"] for row in rows}


def _bind_legacy(version: Any) -> int:
    from ..models import Ticket

    return Ticket.objects.filter(workflow_version__isnull=True, type=version.workflow.ticket_type).update(
        workflow_version=version
    )


def _move(*, actor: Any, from_version: Any, to_version: Any, mapping: dict[str, str], migration: Any) -> int:
    """Move every ticket of `from_version` to `to_version`, state by state (one UPDATE per mapped
    state), with one WORKFLOW history event per ticket written in bulk. Tickets whose phase changes
    are announced on `ticket_event` so the SLA clocks follow."""
    from ..models import Event, Ticket
    from ..signals import ticket_event

    new_flow = flow_for(to_version)
    old_flow = Flow.compile(from_version.definition)
    now = timezone.now()
    events: list[Event] = []
    phase_changed: list[int] = []
    moved = 0
    for old, new in mapping.items():
        ids = list(Ticket.objects.filter(workflow_version=from_version, status=old).values_list("pk", flat=True))
        if not ids:
            continue
        phase = new_flow.phase(new)
        old_phase = old_flow.phase(old)
        Ticket.objects.filter(pk__in=ids, workflow_version=from_version, status=old).update(
            workflow_version=to_version, status=new, phase=phase, is_open=phase in ("open", "working", "waiting"),
        )
        changes = {"status": [old, new]} if old != new else {}
        data = {
            "migration": migration.pk, "from_version": from_version.number, "to_version": to_version.number,
            "workflow": to_version.workflow.key, "phase": [old_phase, phase],
        }
        events += [
            Event(ticket_id=pk, at=now, actor=actor if getattr(actor, "pk", None) else None,
                  kind=Event.Kind.WORKFLOW, changes=changes, data=data, internal=True)
            for pk in ids
        ]
        if phase != old_phase:
            phase_changed += ids
        moved += len(ids)
    created = Event.objects.bulk_create(events, batch_size=1000)
    if phase_changed:
        wanted = set(phase_changed)
        tickets = Ticket.objects.in_bulk(phase_changed)
        for event in created:
            if event.ticket_id in wanted and event.pk:
                ticket_event.send(sender=Ticket, ticket=tickets[event.ticket_id], event=event, actor=actor)
    return moved


def register_store() -> None:
    from loopdesk.workflows.hooks import TicketStore, register_ticket_store

    register_ticket_store(TicketStore(
        states_in_use=_states_in_use, move=_move, bind_legacy=_bind_legacy, count_by_version=_count_by_version,
    ))
