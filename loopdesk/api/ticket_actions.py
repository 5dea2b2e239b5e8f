"""What happens to a ticket after it exists: comments, transitions, assignment, links, merge,
watchers and its history. Customers never see internal notes or internal history events."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from loopdesk.accounts.models import User
from loopdesk.accounts.roles import Perm
from loopdesk.accounts.scope import scope_for
from loopdesk.core.errors import NotFound, ValidationFailed
from loopdesk.tickets import services
from loopdesk.tickets.models import Comment, Event, Link, Ticket
from loopdesk.tickets.services.core import UNSET

from .auth import ApiRequest
from .pagination import DEFAULT_LIMIT, MAX_LIMIT, paginate
from .refs import Resolver
from .schemas import ERRORS, WRITE_ERRORS, Id, JsonObject, LocalDateTime, Out, Page, Ref, Text, ref, text
from .ticket_schemas import Body, LinkKindName, StatusName, TicketOut, ticket_data
from .tickets import get_ticket

router = Router(tags=["tickets"])
Cursor = text(512)


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: Cursor | None = None


def _customer(request: ApiRequest) -> bool:
    return scope_for(request.auth).customer_only


def _reload(request: ApiRequest, ticket: Ticket) -> dict[str, Any]:
    return ticket_data(get_ticket(request, ticket.pk), request.auth)


# --- comments ---------------------------------------------------------------------------------------


class CommentIn(Body):
    body: Text
    internal: bool = Field(False, description="An internal note, never shown to the customer.")


class CommentOut(Out):
    id: int
    author: Ref | None
    body: str
    internal: bool
    created_at: LocalDateTime


class CommentPage(Page):
    items: list[CommentOut]


def _comment(c: Comment) -> dict[str, Any]:
    return {
        "id": c.pk,
        "author": ref(c.author),
        "body": c.body,
        "internal": c.internal,
        "created_at": c.created_at,
    }


@router.get("/{int:ticket_id}/comments", response={200: CommentPage, **ERRORS}, summary="List comments")
def list_comments(request: ApiRequest, ticket_id: int, page: Query[PageParams]):
    ticket = get_ticket(request, ticket_id)
    qs = Comment.objects.filter(ticket=ticket).select_related("author")
    if _customer(request):
        qs = qs.filter(internal=False)
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=page.cursor, limit=page.limit)
    return {"items": [_comment(c) for c in rows], "next_cursor": cursor}


@router.post("/{int:ticket_id}/comments", response={201: CommentOut, **WRITE_ERRORS}, summary="Add a comment")
def add_comment(request: ApiRequest, ticket_id: int, payload: CommentIn):
    """A public reply, or with `internal: true` an internal note (service staff only)."""
    ticket = get_ticket(request, ticket_id)
    comment = services.add_comment(
        actor=request.auth, ticket=ticket, body=payload.body, internal=payload.internal
    )
    return Status(201, _comment(comment))


# --- transitions --------------------------------------------------------------------------------------


class TransitionIn(Body):
    to: StatusName = Field(description="A state key of the ticket's workflow (see GET …/transitions).")
    comment: Text = ""
    resolution: Text = ""
    fields: JsonObject | None = Field(
        None, description="Values the step's form asks for: `responsibility`, `cf.<custom field key>`."
    )
    transition: StatusName | None = Field(
        None, description="The transition's key, when several lead to the same state (optional)."
    )


class TransitionOption(Out):
    to: str = Field(description="Target state key.")
    label: str = Field(description="Target state's label.")
    key: str = Field(description="The transition's key in the workflow.")
    step: str = Field(description="The transition's label.")
    form: list[str] = Field(description="Fields the step asks for.")
    required: list[str] = Field(description="Fields that must be non-empty after the step's form.")


class Transitions(Out):
    status: str
    status_label: str
    phase: str
    allowed: list[TransitionOption]


@router.get(
    "/{int:ticket_id}/transitions", response={200: Transitions, **ERRORS}, summary="Allowed transitions"
)
def list_transitions(request: ApiRequest, ticket_id: int):
    """The transitions of the ticket's workflow the caller may take now."""
    ticket = get_ticket(request, ticket_id)
    user = request.auth
    customer = _customer(request)
    options = []
    if user.can(Perm.TICKET_CONFIRM if customer else Perm.TICKET_TRANSITION):
        options = services.available_transitions(ticket, actor=user, customer=customer)
    allowed = [
        {"to": o.to, "label": o.to_label, "key": o.key, "step": o.label, "form": list(o.form),
         "required": list(o.required)}
        for o in options
    ]
    return {"status": ticket.status, "status_label": ticket.get_status_display(), "phase": ticket.phase,
            "allowed": allowed}


@router.post(
    "/{int:ticket_id}/transitions", response={200: TicketOut, **WRITE_ERRORS}, summary="Change status"
)
def transition(request: ApiRequest, ticket_id: int, payload: TransitionIn):
    """Move the ticket along its workflow to state `to`; the step's required fields (e.g. `resolution`
    when resolving) must be given. Refused moves are 422 problems naming the states allowed now."""
    ticket = get_ticket(request, ticket_id)
    services.transition_ticket(
        actor=request.auth,
        ticket=ticket,
        to=payload.to,
        comment=payload.comment,
        resolution=payload.resolution,
        fields=payload.fields,
        transition=payload.transition,
    )
    return _reload(request, ticket)


# --- assignment ---------------------------------------------------------------------------------------


class AssignIn(Body):
    group_id: Id | None = Field(None, description="Omit to leave unchanged; null to clear.")
    assignee_id: Id | None = Field(None, description="Omit to leave unchanged; null to clear.")
    partner_id: Id | None = Field(
        None, description="Dispatch to a partner organisation; null to take it back."
    )


@router.post(
    "/{int:ticket_id}/assign", response={200: TicketOut, **WRITE_ERRORS}, summary="Assign or dispatch"
)
def assign(request: ApiRequest, ticket_id: int, payload: AssignIn):
    ticket = get_ticket(request, ticket_id)
    given = payload.model_fields_set
    if not given:
        raise ValidationFailed(fields={"assignee_id": [_("Give a group, an assignee or a partner.")]})
    r = Resolver(request.auth)
    kwargs = {
        "group": r.group(payload.group_id) if "group_id" in given else UNSET,
        "assignee": r.staff_user(payload.assignee_id) if "assignee_id" in given else UNSET,
        "partner": r.partner(payload.partner_id) if "partner_id" in given else UNSET,
    }
    r.check()
    services.assign_ticket(actor=request.auth, ticket=ticket, **kwargs)
    return _reload(request, ticket)


# --- links and merge ----------------------------------------------------------------------------------


class LinkIn(Body):
    target_id: Id
    kind: LinkKindName


class TicketBrief(Out):
    id: int
    number: str
    title: str
    status: str


class LinkOut(Out):
    id: int
    kind: str
    source: TicketBrief
    target: TicketBrief


class LinkList(Out):
    items: list[LinkOut]


def _brief(t: Ticket) -> dict[str, Any]:
    return {"id": t.pk, "number": t.number, "title": t.title, "status": t.status}


def _link(link: Link) -> dict[str, Any]:
    return {"id": link.pk, "kind": link.kind, "source": _brief(link.source), "target": _brief(link.target)}


@router.get("/{int:ticket_id}/links", response={200: LinkList, **ERRORS}, summary="List links")
def list_links(request: ApiRequest, ticket_id: int):
    """Links from and to this ticket, where the other ticket is visible to the caller."""
    ticket = get_ticket(request, ticket_id)
    visible = Ticket.objects.visible_to(request.auth).values("id")
    links = (
        Link.objects.filter(Q(source=ticket, target__in=visible) | Q(target=ticket, source__in=visible))
        .select_related("source", "target")
        .order_by("id")
    )
    return {"items": [_link(link) for link in links]}


@router.post("/{int:ticket_id}/links", response={201: LinkOut, **WRITE_ERRORS}, summary="Link two tickets")
def add_link(request: ApiRequest, ticket_id: int, payload: LinkIn):
    """This ticket <kind> target: child_of, duplicate_of, caused_by, related."""
    ticket = get_ticket(request, ticket_id)
    r = Resolver(request.auth)
    target = r.ticket(payload.target_id, "target_id")
    r.check()
    link = services.link_tickets(actor=request.auth, source=ticket, target=target, kind=payload.kind)
    return Status(201, _link(link))


@router.delete(
    "/{int:ticket_id}/links/{int:link_id}", response={204: None, **WRITE_ERRORS}, summary="Remove a link"
)
def delete_link(request: ApiRequest, ticket_id: int, link_id: int):
    ticket = get_ticket(request, ticket_id)
    link = (
        Link.objects.filter(Q(source=ticket) | Q(target=ticket), pk=link_id)
        .select_related("source", "target")
        .first()
    )
    if link is None:
        raise NotFound(_("No such link on this ticket."))
    services.unlink_tickets(actor=request.auth, link=link)
    return Status(204, None)


class MergeIn(Body):
    into_id: Id = Field(description="The open ticket of the same customer that this one continues in.")


@router.post(
    "/{int:ticket_id}/merge", response={200: TicketOut, **WRITE_ERRORS}, summary="Merge into another ticket"
)
def merge(request: ApiRequest, ticket_id: int, payload: MergeIn):
    """Close this ticket as a duplicate of `into_id`; returns the ticket it was merged into."""
    ticket = get_ticket(request, ticket_id)
    r = Resolver(request.auth)
    target = r.ticket(payload.into_id, "into_id")
    r.check()
    try:
        merged = services.merge_tickets(actor=request.auth, source=ticket, target=target)
    except ValidationFailed as exc:
        # The service names its arguments source/target; the API's field is into_id.
        exc.fields = {("into_id" if k == "target_id" else k): v for k, v in exc.fields.items()}
        raise
    return _reload(request, merged)


# --- watchers -----------------------------------------------------------------------------------------


class WatcherIn(Body):
    user_id: Id | None = Field(None, description="Defaults to the caller.")


class WatcherList(Out):
    items: list[Ref]


def _watchers(request: ApiRequest, ticket: Ticket) -> dict[str, Any]:
    qs = ticket.watchers.order_by("id")
    if _customer(request):
        qs = qs.filter(pk=request.auth.pk)  # a customer learns only about themselves
    return {"items": [ref(u) for u in qs]}


def _watcher(request: ApiRequest, ticket: Ticket, user_id: int | None) -> Any:
    if user_id is None or user_id == request.auth.pk:
        return request.auth
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists():
        raise ValidationFailed(
            fields={"user_id": [_("Unknown user, or this person may not see the ticket.")]}
        )
    return user


@router.get("/{int:ticket_id}/watchers", response={200: WatcherList, **ERRORS}, summary="List watchers")
def list_watchers(request: ApiRequest, ticket_id: int):
    return _watchers(request, get_ticket(request, ticket_id))


@router.post(
    "/{int:ticket_id}/watchers", response={200: WatcherList, **WRITE_ERRORS}, summary="Watch a ticket"
)
def add_watcher(request: ApiRequest, ticket_id: int, payload: WatcherIn):
    ticket = get_ticket(request, ticket_id)
    user = _watcher(request, ticket, payload.user_id)
    services.set_watcher(actor=request.auth, ticket=ticket, user=user, watching=True)
    return _watchers(request, ticket)


@router.delete(
    "/{int:ticket_id}/watchers/{int:user_id}",
    response={200: WatcherList, **WRITE_ERRORS},
    summary="Stop watching",
)
def remove_watcher(request: ApiRequest, ticket_id: int, user_id: int):
    ticket = get_ticket(request, ticket_id)
    user = _watcher(request, ticket, user_id)
    services.set_watcher(actor=request.auth, ticket=ticket, user=user, watching=False)
    return _watchers(request, ticket)


# --- history ------------------------------------------------------------------------------------------


class EventOut(Out):
    id: int
    at: LocalDateTime
    actor: Ref | None
    kind: str
    changes: JsonObject
    data: JsonObject


class EventPage(Page):
    items: list[EventOut]


@router.get("/{int:ticket_id}/events", response={200: EventPage, **ERRORS}, summary="History")
def list_events(request: ApiRequest, ticket_id: int, page: Query[PageParams]):
    """The ticket's history, oldest first: who changed what, when, from → to."""
    ticket = get_ticket(request, ticket_id)
    qs = Event.objects.filter(ticket=ticket).select_related("actor")
    if _customer(request):
        qs = qs.filter(internal=False)
    rows, cursor = paginate(qs, order=["id"], sort="id", cursor=page.cursor, limit=page.limit)
    items = [
        {"id": e.pk, "at": e.at, "actor": ref(e.actor), "kind": e.kind, "changes": e.changes, "data": e.data}
        for e in rows
    ]
    return {"items": items, "next_cursor": cursor}
