"""Webhook endpoints, mounted by loopdesk.api.router at /api/v1/webhooks.

Endpoints and deliveries are configuration: Perm.INTEGRATION_ADMIN (403 otherwise). External links
follow the ticket's visibility (404 outside the caller's scope). `POST /callback/{token}` is how the
other system reports back: no user authentication, the body is HMAC-signed with the endpoint's secret
(see docs/webhooks.md); a bad signature is a 401 problem and changes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.errors import NotFound, ValidationFailed
from loopdesk.tickets.models import Ticket

from . import services
from .models import Delivery, Endpoint, EndpointKind, ExternalLink, WebhookEvent

router = Router(tags=["webhooks"])

KindName = Literal[tuple(EndpointKind.values)]  # type: ignore[valid-type]
EventName = Literal[tuple(WebhookEvent.values)]  # type: ignore[valid-type]
StatusName = Literal[tuple(Delivery.Status.values)]  # type: ignore[valid-type]
LinkKindName = Literal[tuple(ExternalLink.Kind.values)]  # type: ignore[valid-type]
Id = int
PAGE = 50


class Body(Schema):
    model_config = ConfigDict(extra="forbid")


class EndpointIn(Body):
    name: str = Field(max_length=100)
    url: str = Field(max_length=500)
    kind: KindName = EndpointKind.GENERIC.value
    events: list[EventName] | None = Field(None, description="default: the usual events of the kind")
    active: bool = True
    timeout: int = Field(10, ge=1, le=60)
    max_attempts: int = Field(8, ge=1, le=20)


class EndpointPatch(Body):
    name: str | None = Field(None, max_length=100)
    url: str | None = Field(None, max_length=500)
    kind: KindName | None = None
    events: list[EventName] | None = None
    active: bool | None = None
    timeout: int | None = Field(None, ge=1, le=60)
    max_attempts: int | None = Field(None, ge=1, le=20)


class EndpointOut(Schema):
    id: int
    name: str
    kind: str
    url: str
    events: list[str]
    active: bool
    timeout: int
    max_attempts: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class EndpointSecretOut(EndpointOut):
    secret: str = Field(description="shown only in this answer (on creation and rotation)")


class AttemptOut(Schema):
    at: datetime.datetime
    status_code: int | None
    duration_ms: int
    error: str
    response_excerpt: str


class DeliveryOut(Schema):
    id: int
    endpoint_id: int
    event: str
    ticket_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime.datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime.datetime
    delivered_at: datetime.datetime | None


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class DeliveryFilters(Schema):
    endpoint_id: Id | None = None
    ticket_id: Id | None = None
    status: StatusName | None = None
    cursor: str | None = None


class LinkIn(Body):
    ticket_id: Id
    kind: LinkKindName
    note: str = Field("", max_length=5000)
    endpoint_id: Id | None = Field(None, description="default: the first active endpoint taking this kind")


class LinkOut(Schema):
    id: int
    ticket_id: int
    endpoint_id: int
    endpoint: str
    kind: str
    note: str
    external_id: str
    external_url: str
    external_status: str
    external_note: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class LinkFilters(Schema):
    ticket_id: Id


class CallbackOut(Schema):
    id: int
    external_id: str
    external_url: str
    external_status: str


def _user(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)
    return auth if getattr(auth, "is_authenticated", False) else request.user


def _admin(request: HttpRequest) -> Any:
    user = _user(request)
    require(user, Perm.INTEGRATION_ADMIN)
    return user


def _endpoint(endpoint_id: int) -> Endpoint:
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def _link_out(link: ExternalLink) -> dict[str, Any]:
    return {"id": link.pk, "ticket_id": link.ticket_id, "endpoint_id": link.endpoint_id, "endpoint": link.endpoint.name,
            "kind": link.kind, "note": link.note, "external_id": link.external_id, "external_url": link.external_url,
            "external_status": link.external_status, "external_note": link.external_note,
            "created_at": link.created_at, "updated_at": link.updated_at}


# --- endpoints ------------------------------------------------------------------------------------

@router.get("/endpoints", response=list[EndpointOut], summary="List webhook endpoints")
def list_endpoints(request: HttpRequest):
    _admin(request)
    return list(Endpoint.objects.all())


@router.post("/endpoints", response={201: EndpointSecretOut}, summary="Add a webhook endpoint")
def create_endpoint(request: HttpRequest, payload: EndpointIn):
    """The answer carries the signing secret; it is not shown again (rotate to get a new one)."""
    endpoint = services.create_endpoint(actor=_admin(request), **payload.model_dump())
    return Status(201, endpoint)


@router.get("/endpoints/{int:endpoint_id}", response=EndpointOut, summary="Get a webhook endpoint")
def get_endpoint(request: HttpRequest, endpoint_id: int):
    _admin(request)
    return _endpoint(endpoint_id)


@router.patch("/endpoints/{int:endpoint_id}", response=EndpointOut, summary="Change a webhook endpoint")
def patch_endpoint(request: HttpRequest, endpoint_id: int, payload: EndpointPatch):
    user = _admin(request)
    values = payload.model_dump(exclude_unset=True)
    nulls = [k for k, v in values.items() if v is None]
    if nulls:
        raise ValidationFailed(fields={k: [_("This field may not be null.")] for k in nulls})
    return services.update_endpoint(actor=user, endpoint=_endpoint(endpoint_id), **values)


@router.delete("/endpoints/{int:endpoint_id}", response={204: None}, summary="Remove a webhook endpoint")
def delete_endpoint(request: HttpRequest, endpoint_id: int):
    services.delete_endpoint(actor=_admin(request), endpoint=_endpoint(endpoint_id))
    return Status(204, None)


@router.post("/endpoints/{int:endpoint_id}/rotate-secret", response=EndpointSecretOut,
             summary="Give a webhook endpoint a new secret")
def rotate_secret(request: HttpRequest, endpoint_id: int):
    return services.rotate_secret(actor=_admin(request), endpoint=_endpoint(endpoint_id))


# --- deliveries -----------------------------------------------------------------------------------

@router.get("/deliveries", response=DeliveryPage, summary="List deliveries (newest first)")
def list_deliveries(request: HttpRequest, filters: Query[DeliveryFilters]):
    _admin(request)
    rows = Delivery.objects.order_by("-id")
    if filters.endpoint_id:
        rows = rows.filter(endpoint_id=filters.endpoint_id)
    if filters.ticket_id:
        rows = rows.filter(ticket_id=filters.ticket_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.cursor:
        if not filters.cursor.isdigit() or len(filters.cursor) > 18:
            raise ValidationFailed(fields={"cursor": [_("This cursor is invalid; start again without one.")]})
        rows = rows.filter(id__lt=int(filters.cursor))
    items = list(rows[:PAGE + 1])
    more = len(items) > PAGE
    items = items[:PAGE]
    return {"items": items, "next_cursor": str(items[-1].pk) if more else None}


def _delivery(delivery_id: int) -> Delivery:
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound()
    return delivery


def _delivery_out(delivery: Delivery) -> dict[str, Any]:
    out = {f: getattr(delivery, f) for f in DeliveryOut.model_fields}
    out["payload"] = delivery.payload
    out["attempt_log"] = list(delivery.attempt_log.all())
    return out


@router.get("/deliveries/{int:delivery_id}", response=DeliveryDetailOut, summary="Get a delivery with its attempts")
def get_delivery(request: HttpRequest, delivery_id: int):
    _admin(request)
    return _delivery_out(_delivery(delivery_id))


@router.post("/deliveries/{int:delivery_id}/redeliver", response=DeliveryDetailOut, summary="Send a delivery again")
def redeliver(request: HttpRequest, delivery_id: int):
    delivery = services.redeliver(actor=_admin(request), delivery=_delivery(delivery_id))
    return _delivery_out(delivery)


# --- tickets ↔ other systems ----------------------------------------------------------------------

def _ticket(user: Any, ticket_id: int) -> Ticket:
    if user.is_customer_only:
        raise NotFound()
    ticket = Ticket.objects.visible_to(user).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound()
    return ticket


@router.get("/links", response=list[LinkOut], summary="What a ticket raised in other systems")
def list_links(request: HttpRequest, filters: Query[LinkFilters]):
    ticket = _ticket(_user(request), filters.ticket_id)
    return [_link_out(link) for link in ticket.external_links.select_related("endpoint").order_by("-id")]


@router.post("/links", response={201: LinkOut}, summary="Raise an opportunity, defect or requirement from a ticket")
def create_link(request: HttpRequest, payload: LinkIn):
    user = _user(request)
    ticket = _ticket(user, payload.ticket_id)
    endpoint = _endpoint(payload.endpoint_id) if payload.endpoint_id else None
    link = services.raise_external(actor=user, ticket=ticket, kind=payload.kind, note=payload.note, endpoint=endpoint)
    return Status(201, _link_out(link))


@router.post("/callback/{token}", auth=None, response={200: CallbackOut}, url_name="callback",
             summary="The other system reports on something a ticket raised",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {
                 "type": "object", "additionalProperties": False, "properties": {
                     "external_id": {"type": "string", "maxLength": 100},
                     "external_url": {"type": "string", "maxLength": 500},
                     "status": {"type": "string", "maxLength": 100},
                     "note": {"type": "string", "maxLength": 5000},
                     "public": {"type": "boolean", "description": "show the news to the customer"}}}}}}})
def callback(request: HttpRequest, token: str):
    """No user authentication: sign the raw body like our messages (`X-Loopdesk-Timestamp`,
    `X-Loopdesk-Signature: sha256=HMAC(secret, "timestamp.body")`), timestamp within five minutes."""
    link = services.apply_callback(
        token=token, body=request.body, timestamp=request.headers.get("X-Loopdesk-Timestamp"),
        signature=request.headers.get("X-Loopdesk-Signature"))
    return {"id": link.pk, "external_id": link.external_id, "external_url": link.external_url,
            "external_status": link.external_status}
