"""Tickets: list (filters, queues, keyset pages), create, read, edit.

Handlers stay thin: parse, resolve ids through `.visible_to(user)`, call one service, render.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from loopdesk.core.errors import NotFound, ValidationFailed
from loopdesk.core.models import CustomField
from loopdesk.tickets import services
from loopdesk.tickets.models import Ticket

from .auth import ApiRequest
from .pagination import DEFAULT_LIMIT, MAX_LIMIT, _check_types, make_cursor, paginate, read_cursor
from .refs import Resolver
from .schemas import ERRORS, WRITE_ERRORS, Id, text
from .ticket_schemas import (
    ChannelName,
    StatusName,
    TicketIn,
    TicketOut,
    TicketPage,
    TicketPatch,
    TypeName,
    ticket_data,
)

router = Router(tags=["tickets"])

SORTS = {
    "-updated_at": ["-updated_at", "-id"],
    "updated_at": ["updated_at", "id"],
    "-created_at": ["-created_at", "-id"],
    "created_at": ["created_at", "id"],
    "priority": ["priority", "-id"],
    "due_at": ["due_at", "id"],  # soonest due first, tickets without a running clock last (see _due_page)
}
SortName = Literal["-updated_at", "updated_at", "-created_at", "created_at", "priority", "due_at"]
Search = text(200)
Cursor = text(512)
CF_KEY = re.compile(r"^[-a-zA-Z0-9_]+$")


class TicketFilters(Schema):
    status: StatusName | None = None
    type: TypeName | None = None
    priority: int | None = Field(None, ge=1, le=4)
    channel: ChannelName | None = None
    category_id: Id | None = None
    company_id: Id | None = None
    customer_id: Id | None = Field(None, description="Same as company_id.")
    assignee_id: Id | None = None
    group_id: Id | None = None
    partner_id: Id | None = None
    is_open: bool | None = None
    q: Search | None = Field(None, description="Title contains, or the ticket number.")
    queue: Literal["mine", "my_groups", "unassigned", "all"] = "all"
    created_after: datetime.datetime | None = None
    created_before: datetime.datetime | None = None
    updated_after: datetime.datetime | None = None
    updated_before: datetime.datetime | None = None
    breached: bool | None = Field(None, description="true: open tickets past their earliest due time; false: all others.")
    due_within: int | None = Field(None, ge=1, le=7 * 1440,
                                   description="Open tickets not yet breached that are due within this many minutes.")
    sort: SortName = "-updated_at"
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: Cursor | None = None


def get_ticket(request: ApiRequest, ticket_id: int) -> Ticket:
    """The ticket if the caller may see it, else 404."""
    try:
        return Ticket.objects.visible_to(request.auth).one(ticket_id)
    except Ticket.DoesNotExist:
        raise NotFound(_("No such object, or you may not see it.")) from None


def _aware(value: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _custom_field_filters(request: ApiRequest) -> Q:
    """`cf.<key>=value` → a JSON key lookup, the value typed like the field so it matches on SQLite and
    PostgreSQL alike (a number field stores 5, not "5")."""
    q = Q()
    params = [(k, v) for k, v in request.GET.items() if k.startswith("cf.")]
    if not params:
        return q
    kinds = dict(CustomField.objects.filter(target=CustomField.Target.TICKET).values_list("key", "kind"))
    for name, raw in params:
        key = name[3:]
        if not CF_KEY.match(key) or "__" in key or key not in kinds or "\x00" in raw:
            raise ValidationFailed(fields={name: [_("Unknown custom field.")]})
        value: Any = raw
        if kinds[key] == CustomField.Kind.NUMBER:
            try:
                number = Decimal(raw)
            except InvalidOperation:
                raise ValidationFailed(fields={name: [_("Enter a number.")]}) from None
            if not number.is_finite():
                raise ValidationFailed(fields={name: [_("Enter a number.")]})
            value = int(number) if number == number.to_integral_value() else float(number)
        elif kinds[key] == CustomField.Kind.BOOLEAN:
            value = raw.strip().lower() in {"1", "true", "yes", "y", "是", "on"}
        q &= Q(**{f"custom_fields__{key}": value})
    return q


def _filtered(request: ApiRequest, f: TicketFilters):
    user = request.auth
    qs = Ticket.objects.visible_to(user).for_list()
    exact = {
        "status": f.status,
        "type": f.type,
        "priority": f.priority,
        "channel": f.channel,
        "category_id": f.category_id,
        "company_id": f.company_id or f.customer_id,
        "assignee_id": f.assignee_id,
        "group_id": f.group_id,
        "partner_org_id": f.partner_id,
        "is_open": f.is_open,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v is not None})
    if f.queue == "mine":
        qs = qs.filter(assignee=user)
    elif f.queue == "my_groups":
        qs = qs.filter(group__in=user.assignment_groups.values("id"))
    elif f.queue == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    if f.q and f.q.strip():
        text_ = f.q.strip()
        qs = qs.filter(Q(number=text_) | Q(title__icontains=text_))
    for field, value in (
        ("created_at__gte", f.created_after),
        ("created_at__lt", f.created_before),
        ("updated_at__gte", f.updated_after),
        ("updated_at__lt", f.updated_before),
    ):
        if value is not None:
            qs = qs.filter(**{field: _aware(value)})
    now = timezone.now()
    if f.breached is not None:
        late = Q(is_open=True, due_at__lt=now)
        qs = qs.filter(late) if f.breached else qs.exclude(late)
    if f.due_within is not None:
        qs = qs.filter(is_open=True, due_at__gte=now, due_at__lt=now + datetime.timedelta(minutes=f.due_within))
    return qs.filter(_custom_field_filters(request))


def _picked(qs, order: tuple[str, ...], n: int) -> list[Ticket]:
    """The first n rows of qs in order: ids chosen first, then only those rows loaded with what they
    show (joined before the LIMIT, PostgreSQL would join every open ticket of the scope, then sort)."""
    ids = qs.order_by(*order).values("id")[:n]
    return list(Ticket.objects.filter(pk__in=ids).for_list().order_by(*order))


def _due_page(qs, cursor: str | None, limit: int) -> tuple[list[Ticket], str | None]:
    """`sort=due_at`: due tickets soonest first, then those without a running clock by id. Two keyset
    seeks instead of one NULLS LAST order (which no index seeks past a cursor); the cursor holds
    [due_at, id] while in the due tickets and [id] after them."""
    values: list[Any] | None = None
    if cursor:
        try:
            values = read_cursor(cursor, "due_at", 2)
            _check_types(Ticket, SORTS["due_at"], values)
        except ValidationFailed:
            values = read_cursor(cursor, "due_at", 1)
            _check_types(Ticket, ["id"], values)
    rows: list[Ticket] = []
    if values is None or len(values) == 2:
        dated = qs.filter(due_at__isnull=False)
        if values is not None:
            at, pk = values
            dated = dated.filter(Q(due_at__gte=at) & (Q(due_at__gt=at) | Q(id__gt=pk)))
        rows = _picked(dated, ("due_at", "id"), limit + 1)
    if len(rows) <= limit:
        undated = qs.filter(due_at__isnull=True)
        if values is not None and len(values) == 1:
            undated = undated.filter(id__gt=values[0])
        rows += _picked(undated, ("id",), limit + 1 - len(rows))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], make_cursor("due_at", [last.due_at, last.pk] if last.due_at else [last.pk])


@router.get("", response={200: TicketPage, **ERRORS}, summary="List tickets")
def list_tickets(request: ApiRequest, filters: Query[TicketFilters]):
    """Tickets the caller may see, newest change first by default. Besides the documented parameters,
    `cf.<key>=value` filters on a ticket custom field. Follow `next_cursor` for the next page."""
    if filters.sort == "due_at":
        rows, next_cursor = _due_page(_filtered(request, filters), filters.cursor, filters.limit)
        now = timezone.now()
        return {"items": [ticket_data(t, request.auth, now) for t in rows], "next_cursor": next_cursor}
    rows, next_cursor = paginate(
        _filtered(request, filters),
        order=SORTS[filters.sort],
        sort=filters.sort,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    now = timezone.now()
    return {"items": [ticket_data(t, request.auth, now) for t in rows], "next_cursor": next_cursor}


@router.post("", response={201: TicketOut, **WRITE_ERRORS}, summary="Create a ticket")
def create_ticket(request: ApiRequest, payload: TicketIn):
    """Accept a request. Returns the ticket with its id and human number (e.g. 2026112300001)."""
    user = request.auth
    r = Resolver(user)
    refs = {
        "company": r.company(payload.customer_id),
        "category": r.category(payload.category_id),
        "contact": r.contact(payload.contact_id),
        "asset": r.asset(payload.asset_id),
        "group": r.group(payload.group_id),
        "assignee": r.staff_user(payload.assignee_id),
    }
    r.check()
    ticket = services.create_ticket(
        actor=user,
        title=payload.title,
        description=payload.description,
        type=payload.type,
        impact=payload.impact,
        urgency=payload.urgency,
        priority=payload.priority,
        channel=payload.channel,
        custom_fields=payload.custom_fields,
        **refs,
    )
    return Status(201, ticket_data(ticket, user))


@router.get("/{int:ticket_id}", response={200: TicketOut, **ERRORS}, summary="Get a ticket")
def get_ticket_detail(request: ApiRequest, ticket_id: int):
    return ticket_data(get_ticket(request, ticket_id), request.auth)


@router.patch("/{int:ticket_id}", response={200: TicketOut, **WRITE_ERRORS}, summary="Edit a ticket")
def patch_ticket(request: ApiRequest, ticket_id: int, payload: TicketPatch):
    """Change some fields; omitted fields stay as they are. Impact or urgency recompute the priority."""
    user = request.auth
    ticket = get_ticket(request, ticket_id)
    values = payload.model_dump(exclude_unset=True)
    custom_fields = values.pop("custom_fields", None)
    r = Resolver(user)
    for name, resolve in (("category", r.category), ("contact", r.contact), ("asset", r.asset)):
        if f"{name}_id" in values:
            values[name] = resolve(values.pop(f"{name}_id"))
    r.check()
    services.update_ticket(actor=user, ticket=ticket, custom_fields=custom_fields, **values)
    return ticket_data(get_ticket(request, ticket_id), user)
