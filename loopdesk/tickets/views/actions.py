"""The actions of the ticket page. Each parses its form, calls the service and answers with
`respond`: refreshed panels on success, the form with the service's messages on error."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loopdesk.core.errors import DomainError

from .. import services
from ..forms import (
    AssignForm,
    LinkForm,
    MergeForm,
    ReplyForm,
    TicketEditForm,
    TransitionForm,
    apply_domain_error,
)
from ..models import Link, Ticket
from ..services.core import UNSET
from ..services.lifecycle import state_label
from .common import visible_ticket
from .detail import edit_initial, respond


def ticket_action(view):
    """POST only, signed in, a ticket the user may see, and staff (customers use the portal)."""

    @require_POST
    @login_required
    @wraps(view)
    def wrapper(request, pk: int, **kwargs):
        ticket = visible_ticket(request, pk)
        if request.user.is_customer_only:
            raise Http404
        return view(request, ticket, **kwargs)

    return wrapper


def _visible_by_number(request, number: str) -> Ticket | None:
    return Ticket.objects.visible_to(request.user).filter(number=number.strip()).first()


@ticket_action
def reply(request, ticket):
    """A reply or internal note, with files. Comment and files are stored together or not at all."""
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return respond(request, ticket, "reply", ok=False, form=form)
    data, stored = form.cleaned_data, []
    try:
        # Two services in one transaction: a failing file must not leave a reply without it.
        with transaction.atomic():
            comment = None
            if data["body"].strip():
                comment = services.add_comment(
                    actor=request.user, ticket=ticket, body=data["body"], internal=data["internal"]
                )
            for upload in data["files"]:
                stored.append(services.add_attachment(
                    actor=request.user, ticket=ticket, upload=upload, comment=comment, internal=data["internal"],
                ))
    except DomainError as err:
        for attachment in stored:  # the rollback removed the rows; remove their files too
            attachment.file.delete(save=False)
        apply_domain_error(form, err)
        return respond(request, ticket, "reply", ok=False, form=form)
    message = _("Internal note added.") if data["internal"] else _("Reply sent.")
    return respond(request, ticket, "reply", ok=True, message=message)


@ticket_action
def transition(request, ticket):
    form = TransitionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.transition_ticket(
                actor=request.user, ticket=ticket, to=data["to"], resolution=data["resolution"],
                comment=data["comment"], fields=form.workflow_fields(ticket, data["to"]),
            )
        except DomainError as err:
            apply_domain_error(form, err)
        else:
            label = state_label(ticket, data["to"])
            return respond(request, ticket, "transitions", ok=True, message=_("Status: %(s)s.") % {"s": label})
    return respond(request, ticket, "transitions", ok=False, form=form)


@ticket_action
def assign(request, ticket):
    """Set group, assignee and partner as shown in the form, or take the ticket ("assign to me")."""
    form = AssignForm(request.POST)
    if request.POST.get("take"):
        kwargs = {"assignee": request.user, "group": UNSET, "partner": UNSET}
    elif form.is_valid():
        data = form.cleaned_data
        kwargs = {"group": data["group"], "assignee": data["assignee"], "partner": data["partner"]}
    else:
        return respond(request, ticket, "assign", ok=False, form=form)
    try:
        services.assign_ticket(actor=request.user, ticket=ticket, **kwargs)
    except DomainError as err:
        form.is_valid()
        apply_domain_error(form, err)
        return respond(request, ticket, "assign", ok=False, form=form)
    return respond(request, ticket, "assign", ok=True, message=_("Assignment saved."))


@ticket_action
def edit(request, ticket):
    """Edit fields. The priority is sent only when changed, so new impact/urgency recompute it."""
    new_type = request.POST.get("type") or ticket.type
    form = TicketEditForm(
        request.POST, initial=edit_initial(ticket), company=ticket.company, ticket_type=new_type,
        custom_values=ticket.custom_fields,
    )
    if form.is_valid():
        values = {k: form.cleaned_data[k] for k in (
            "title", "description", "type", "category", "impact", "urgency", "channel", "contact", "asset",
            "responsibility",
        )}
        if form.cleaned_data["priority"] not in (None, ticket.priority):
            values["priority"] = form.cleaned_data["priority"]
        try:
            services.update_ticket(
                actor=request.user, ticket=ticket, custom_fields=form.custom_changes(), **values
            )
        except DomainError as err:
            apply_domain_error(form, err)
        else:
            return respond(request, ticket, "edit", ok=True, message=_("Changes saved."))
    return respond(request, ticket, "edit", ok=False, form=form)


@ticket_action
def add_link(request, ticket):
    form = LinkForm(request.POST)
    if form.is_valid():
        other = _visible_by_number(request, form.cleaned_data["number"])
        if other is None:
            form.add_error("number", _("There is no ticket with this number that you may see."))
        else:
            try:
                services.link_tickets(actor=request.user, source=ticket, target=other, kind=form.cleaned_data["kind"])
            except DomainError as err:
                apply_domain_error(form, err)
            else:
                return respond(request, ticket, "links", ok=True, message=_("Link added."))
    return respond(request, ticket, "links", ok=False, form=form, form_name="link")


@ticket_action
def remove_link(request, ticket, link_pk: int):
    link = (
        Link.objects.filter(Q(source=ticket) | Q(target=ticket), pk=link_pk).select_related("source", "target").first()
    )
    if link is None:
        raise Http404
    try:
        services.unlink_tickets(actor=request.user, link=link)
    except DomainError as err:
        return respond(request, ticket, "links", ok=False, errors=[err.detail])
    return respond(request, ticket, "links", ok=True, message=_("Link removed."))


@ticket_action
def merge(request, ticket):
    """Merge this ticket into another one (this one closes as its duplicate)."""
    form = MergeForm(request.POST)
    if form.is_valid():
        other = _visible_by_number(request, form.cleaned_data["number"])
        if other is None:
            form.add_error("number", _("There is no ticket with this number that you may see."))
        else:
            try:
                services.merge_tickets(actor=request.user, source=ticket, target=other)
            except DomainError as err:
                apply_domain_error(form, err)
            else:
                message = _("Merged into %(number)s.") % {"number": other.number}
                return respond(request, ticket, "links", ok=True, message=message)
    return respond(request, ticket, "links", ok=False, form=form, form_name="merge")


@ticket_action
def watch(request, ticket):
    watching = request.POST.get("watching") == "1"
    try:
        services.set_watcher(actor=request.user, ticket=ticket, user=request.user, watching=watching)
    except DomainError as err:
        return respond(request, ticket, "header", ok=False, errors=[err.detail])
    message = _("You are watching this ticket.") if watching else _("You no longer watch this ticket.")
    return respond(request, ticket, "header", ok=True, message=message)
