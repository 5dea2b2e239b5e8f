"""Helpers shared by the workspace views: staff-only access and visibility-checked ticket lookup."""

from __future__ import annotations

from functools import wraps

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse

from ..models import Ticket


def _portal_url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def staff_only(view):
    """The workspace is for service staff: customer contacts are sent to the portal."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_customer_only:
            url = _portal_url("portal:home")
            if url is None:
                raise Http404
            return redirect(url)
        return view(request, *args, **kwargs)

    return wrapper


def visible_ticket(request, pk: int) -> Ticket:
    """The ticket if the user may see it, else 404 (never 403: its existence is not revealed)."""
    # Whether the user watches it (the page header) comes in the same query as the ticket.
    watching = Exists(Ticket.watchers.through.objects.filter(ticket_id=OuterRef("pk"), user_id=request.user.pk))
    try:
        return Ticket.objects.visible_to(request.user).annotate(watching=watching).one(pk)
    except Ticket.DoesNotExist:
        raise Http404 from None


def portal_redirect(ticket: Ticket):
    """A customer contact who opens a workspace URL of their own ticket lands on its portal page."""
    url = _portal_url("portal:detail", ticket.pk)
    if url is None:
        raise Http404
    return redirect(url)
