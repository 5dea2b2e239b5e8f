"""The ticket page's workflow panel: the diagram of the ticket's workflow version, its current state
highlighted and the states it went through traced (from its status history).

It lives in the tickets app because it must check the ticket's visibility; the drawing itself is
loopdesk.workflows.diagram (tickets may import workflows, not the other way round).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from loopdesk.accounts.roles import Perm
from loopdesk.workflows import graph, services
from loopdesk.workflows.diagram import render_svg
from loopdesk.workflows.flow import Flow, lang_key

from ..models import Event
from .common import staff_only, visible_ticket


@require_GET
@login_required
@staff_only
def workflow_diagram(request, pk: int):
    """An htmx fragment (the panel's inner part) for a ticket the user may see (else 404)."""
    ticket = visible_ticket(request, pk)
    version = ticket.workflow_version
    if version is None:  # a ticket from before workflows: it runs on its type's current workflow
        version = services.current_version(ticket.type, ticket.category, ticket.owner_org)
    context = {"ticket": ticket, "version": version, "svg": "", "current": ticket.status}
    if version is not None:
        events = Event.objects.filter(ticket=ticket, kind=Event.Kind.STATUS).only("changes").order_by("at", "id")
        trail = graph.trail(events) or [ticket.status]
        lang = lang_key(get_language())
        flow = Flow.compile(version.definition)
        context.update({
            "workflow": version.workflow, "trail": trail,
            "trail_labels": [flow.label(key, lang) or key for key in trail],
            "svg": render_svg(version.definition, current=ticket.status, trail=trail, lang=lang,
                              title=f"{version.workflow.name} v{version.number} · {ticket.number}"),
            "can_see_workflows": not request.user.is_customer_only and request.user.can(Perm.TICKET_VIEW),
        })
    return render(request, "workflows/_ticket_panel.html", context)
