"""The ticket page and the fragments ("panels") its htmx actions re-render.

The page is made of panels, each a template under tickets/panels/ with a stable id. An action
re-renders the panels it may have changed as htmx out-of-band swaps, so what the agent is typing in
another panel is never lost; on error only the acting panel comes back, with the messages inline.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from loopdesk.accounts.roles import Perm
from loopdesk.core.customfields import definitions

from .. import panels as extension_panels
from ..forms import AssignForm, LinkForm, MergeForm, ReplyForm, TicketEditForm, TransitionForm
from ..models import Link, Ticket
from ..services import available_transitions
from .common import portal_redirect, visible_ticket
from .timeline import build_timeline

PANELS = ("header", "transitions", "timeline", "reply", "assign", "edit", "links")
# Panels that any successful action may have changed (the acting panel is added to these).
AFTER_SUCCESS = ("header", "timeline", "transitions", "assign", "links")


def edit_initial(ticket: Ticket) -> dict:
    return {
        "title": ticket.title, "description": ticket.description, "type": ticket.type,
        "category": ticket.category_id, "impact": ticket.impact, "urgency": ticket.urgency,
        "priority": ticket.priority, "channel": ticket.channel, "contact": ticket.contact_id,
        "asset": ticket.asset_id, "responsibility": ticket.responsibility,
    }


def default_form(name: str, ticket: Ticket):
    """A fresh form for the panel `name`, showing the ticket's current values."""
    if name == "reply":
        return ReplyForm()
    if name == "transitions":
        return TransitionForm()
    if name == "assign":
        return AssignForm(initial={
            "group": ticket.group_id, "assignee": ticket.assignee_id, "partner": ticket.partner_org_id,
        })
    if name == "edit":
        return TicketEditForm(
            initial=edit_initial(ticket), company=ticket.company, ticket_type=ticket.type,
            custom_values=ticket.custom_fields,
        )
    if name == "link":
        return LinkForm()
    if name == "merge":
        return MergeForm()
    raise KeyError(name)


def custom_field_rows(ticket: Ticket) -> list[tuple[str, object]]:
    """(label, value) of the ticket's custom fields, labelled by their current definitions."""
    if not ticket.custom_fields:
        return []
    labels = {d.key: d.label for d in definitions("ticket", ticket.type)}
    return [(labels.get(key, key), value) for key, value in ticket.custom_fields.items()]


def transitions_for(ticket: Ticket, user=None) -> list:
    """The transitions (lifecycle.Option: key, to, label, form) this staff user may take now, in the
    order of the workflow's states."""
    return available_transitions(ticket, actor=user, customer=False)


def panel_context(request, ticket: Ticket, panels, *, forms=None, errors=None, origin: str = "") -> dict:
    """Everything the given panels need, computed only for those panels."""
    user = request.user
    forms = dict(forms or {})
    can = {
        "edit": user.can(Perm.TICKET_EDIT), "assign": user.can(Perm.TICKET_ASSIGN),
        "transition": user.can(Perm.TICKET_TRANSITION), "internal": user.can(Perm.TICKET_INTERNAL),
        "merge": user.can(Perm.TICKET_MERGE),
    }
    ctx = {"ticket": ticket, "can": can, "panels": panels, "origin": origin, "panel_errors": errors or []}
    if "header" in panels:
        watching = getattr(ticket, "watching", None)  # annotated by visible_ticket
        ctx["watching"] = ticket.watchers.filter(pk=user.pk).exists() if watching is None else watching
        ctx["custom_fields"] = custom_field_rows(ticket)
    if "timeline" in panels:
        ctx["timeline"] = build_timeline(ticket, internal=can["internal"])
    if "transitions" in panels:
        ctx["transitions"] = transitions_for(ticket, user)
        ctx["transition_fields"] = {f for option in ctx["transitions"] for f in option.form}
    if "links" in panels:
        # Prefetched, not joined: PostgreSQL takes milliseconds to plan a join of two ticket rows, and
        # most tickets have no link at all (then there is no second query).
        ctx["links"] = list(
            Link.objects.filter(Q(source=ticket) | Q(target=ticket)).prefetch_related("source", "target").order_by("id")
        )
        for name in ("link", "merge"):
            forms.setdefault(name, default_form(name, ticket))
    for name in ("reply", "transitions", "assign"):
        if name in panels:
            forms.setdefault(name, default_form(name, ticket))
    # The edit form (a dozen fields, long option lists) waits in a closed <details> until the agent opens
    # it (the `edit_panel` view); it is built here only when an edit is what happened or was asked for.
    if "edit" in panels and (origin == "edit" or request.GET.get("edit")):
        forms.setdefault("edit", default_form("edit", ticket))
    ctx["edit_open"] = bool(request.GET.get("edit")) and "edit" in forms
    ctx["forms"] = forms
    return ctx


@require_GET
@login_required
def detail(request, pk: int):
    """The ticket page for staff; a customer contact is sent to the portal page of the ticket."""
    ticket = visible_ticket(request, pk)
    if request.user.is_customer_only:
        return portal_redirect(ticket)
    ctx = panel_context(request, ticket, PANELS)
    ctx["extra_main"], ctx["extra_side"] = extension_panels.panels("main"), extension_panels.panels("side")
    return render(request, "tickets/detail.html", ctx)


@require_GET
@login_required
def edit_panel(request, pk: int):
    """The edit-fields panel with its form, fetched when the agent opens it."""
    ticket = visible_ticket(request, pk)
    if request.user.is_customer_only:
        return portal_redirect(ticket)
    ctx = panel_context(request, ticket, ("edit",), forms={"edit": default_form("edit", ticket)})
    ctx["edit_open"] = True
    return render(request, "tickets/panels/edit.html", ctx)


def respond(
    request, ticket: Ticket, origin: str, *, ok: bool, form=None, form_name: str = "", errors=None, message: str = ""
):
    """The answer to an action: htmx gets out-of-band panels, a plain POST a redirect (or the page
    with the errors, status 422)."""
    forms = {form_name or origin: form} if form is not None else {}
    if not request.htmx:
        if ok:
            if message:
                messages.success(request, message)
            return redirect("tickets:detail", pk=ticket.pk)
        ctx = panel_context(request, ticket, PANELS, forms=forms, errors=errors, origin=origin)
        ctx["error_form"] = form
        return render(request, "tickets/detail.html", ctx, status=422)
    if ok:
        ticket = visible_ticket(request, ticket.pk)  # re-read: the service changed it
        panels = tuple(dict.fromkeys((*AFTER_SUCCESS, origin)))
        ctx = panel_context(request, ticket, panels, origin=origin)
        ctx["flash"] = message
    else:
        ctx = panel_context(request, ticket, (origin,), forms=forms, errors=errors, origin=origin)
    ctx["oob"] = True
    ctx["error_form"] = form
    response = render(request, "tickets/_panels.html", ctx)
    if ok:
        response["HX-Trigger"] = "ticket-changed"  # extension panels (tickets.panels) reload themselves
    return response

