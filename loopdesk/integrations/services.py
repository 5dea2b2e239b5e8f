"""Writes of the integrations app: endpoints, sending and delivering webhooks, raising a ticket in
another system (an opportunity, a defect, a requirement) and applying that system's callback.

Sending never does HTTP in the caller's transaction: `send()` stores a Delivery and enqueues the
`deliver_webhook` task after commit. `deliver()` claims the delivery with a conditional UPDATE (so two
workers never send it at once), POSTs the signed JSON, logs the attempt, and on failure schedules the
next try with exponential backoff and jitter (django-tasks `run_after`; the periodic `run_due` sweep
picks up anything whose task was lost). After `max_attempts` failures the delivery is `dead`.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import time
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loopdesk.accounts.roles import Perm, require
from loopdesk.core.caches import ProcessCache
from loopdesk.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from loopdesk.core.services import record_audit, refuse_unknown
from loopdesk.tickets.models import Event, Ticket
from loopdesk.tickets.services.core import record_event

from . import signing
from .models import (
    KIND_ENDPOINT,
    Delivery,
    DeliveryAttempt,
    Endpoint,
    EndpointKind,
    ExternalLink,
    WebhookEvent,
    new_secret,
)

D = Delivery.Status


class SignatureRefused(DomainError):
    """A callback whose signature or timestamp does not verify (401, nothing changed)."""

    status = 401
    title = gettext_lazy("Bad signature")
BACKOFF_BASE = 30  # seconds before the second try; doubles each time
BACKOFF_CAP = 6 * 3600
USER_AGENT = "Loopdesk-Webhooks/1"
EXCERPT = 1000
HOLD = datetime.timedelta(seconds=60 + 30)  # the longest endpoint timeout, and a margin


def base_url() -> str:
    """Where other systems reach this Loopdesk (for callback and ticket links)."""
    url = getattr(settings, "LOOPDESK_BASE_URL", "") or os.environ.get("LOOPDESK_BASE_URL", "")
    return (url or "http://127.0.0.1:8000").rstrip("/")


# --- what is sent ---------------------------------------------------------------------------------

def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    """The ticket as other systems see it: identity, state, customer and product (no internal notes)."""
    contact, asset = ticket.contact, ticket.asset
    version = asset.product_version if asset is not None else None
    return {
        "id": ticket.pk, "number": ticket.number, "title": ticket.title, "type": ticket.type,
        "status": ticket.status, "priority": ticket.priority,
        "url": base_url() + reverse("tickets:detail", args=[ticket.pk]),
        "created_at": ticket.created_at.isoformat() if ticket.created_at else None,
        "customer": {"id": ticket.company_id, "name": ticket.company.name, "code": ticket.company.code},
        "contact": None if contact is None else {
            "name": contact.name, "email": contact.email, "phone": contact.phone or contact.mobile},
        "product": None if version is None else {
            "name": version.product.name, "code": version.product.code, "version": version.version},
    }


def _body(delivery: Delivery) -> bytes:
    message = {"event": delivery.event, "delivery_id": delivery.pk,
               "created_at": delivery.created_at.isoformat(), "data": delivery.payload}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def pretty_payload(delivery: Delivery) -> str:
    """The message body as sent, indented for reading."""
    return json.dumps(json.loads(_body(delivery)), ensure_ascii=False, indent=2, sort_keys=True)


def backoff(attempt: int, *, rand: random.Random | None = None) -> datetime.timedelta:
    """The wait after the `attempt`-th failed try: 30 s, 1 min, 2 min, … capped at 6 h, plus up to 25 %."""
    seconds = min(BACKOFF_BASE * 2 ** max(attempt - 1, 0), BACKOFF_CAP)
    return datetime.timedelta(seconds=seconds * (1 + (rand or random).random() * 0.25))


@transaction.atomic
def send(*, endpoint: Endpoint, event: str, ticket: Ticket | None, payload: dict | None = None) -> Delivery:
    """Queue one signed message to `endpoint` (in the caller's transaction; sent after commit).

    `payload` defaults to the ticket's public description (`ticket_payload`). An inactive endpoint gets
    no message: the delivery is stored as given up (`dead`) so the log shows why nothing arrived."""
    if payload is None:
        payload = {"ticket": ticket_payload(ticket)} if ticket is not None else {}
    now = timezone.now()
    if not endpoint.active:
        return Delivery.objects.create(endpoint=endpoint, event=event, ticket=ticket, payload=payload,
                                       status=D.DEAD, last_error=_("The endpoint is inactive."))
    delivery = Delivery.objects.create(endpoint=endpoint, event=event, ticket=ticket, payload=payload,
                                       next_attempt_at=now)
    _schedule(delivery.pk)
    return delivery


def _schedule(delivery_id: int, run_after: datetime.datetime | None = None) -> None:
    from loopdesk.core.tasks import enqueue

    from .tasks import deliver_webhook

    task = deliver_webhook
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    enqueue(task, delivery_id)


# --- delivering -----------------------------------------------------------------------------------

def _claim(delivery_id: int, now: datetime.datetime) -> Delivery | None:
    """Take the delivery for one try if it is due and nobody holds it; None otherwise. The hold
    outlasts the longest allowed timeout, so it only runs out when its worker died."""
    claimed = Delivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        pk=delivery_id, status__in=[D.PENDING, D.FAILED], next_attempt_at__lte=now,
    ).update(locked_until=now + HOLD, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint").get(pk=delivery_id)


_http: httpx.Client | None = None


def _client() -> httpx.Client:
    """One shared client per process: building one (its TLS context) costs ~100 ms, and it keeps
    connections to receivers alive between deliveries. httpx clients are thread-safe."""
    global _http
    if _http is None:
        _http = httpx.Client(follow_redirects=False)
    return _http


def _post(endpoint: Endpoint, delivery: Delivery) -> tuple[int | None, str, str]:
    """POST the signed message; (status code or None, error, response excerpt)."""
    body = _body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "X-Loopdesk-Event": delivery.event, "X-Loopdesk-Delivery": str(delivery.pk),
        "X-Loopdesk-Timestamp": timestamp, "X-Loopdesk-Signature": signing.sign(endpoint.secret, timestamp, body),
    }
    try:
        response = _client().post(endpoint.url, content=body, headers=headers, timeout=endpoint.timeout)
    except httpx.TimeoutException:
        return None, _("Timed out after %(s)s s.") % {"s": endpoint.timeout}, ""
    except httpx.HTTPError as error:
        return None, (f"{type(error).__name__}: {error}")[:500], ""
    excerpt = response.text[:EXCERPT] if response.content else ""
    error = "" if response.is_success else _("The receiver answered %(code)s.") % {"code": response.status_code}
    return response.status_code, error, excerpt


def deliver(delivery_id: int, *, now: datetime.datetime | None = None) -> Delivery | None:
    """Try one delivery once if it is due. Returns the delivery after the try, or None if it was not
    due, already done, or held by another worker. Runs outside any transaction (it waits on HTTP)."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    started = time.monotonic()
    code, error, excerpt = _post(endpoint, delivery)
    duration = int((time.monotonic() - started) * 1000)
    ok = code is not None and 200 <= code < 300
    with transaction.atomic():
        DeliveryAttempt.objects.create(delivery=delivery, at=now, status_code=code, duration_ms=duration,
                                       error=error, response_excerpt=excerpt)
        fields: dict[str, Any] = {"last_status_code": code, "last_error": error, "locked_until": None}
        retry_at = None
        if ok:
            fields |= {"status": D.SUCCEEDED, "delivered_at": now, "next_attempt_at": None}
        elif delivery.attempts >= endpoint.max_attempts:
            fields |= {"status": D.DEAD, "next_attempt_at": None}
        else:
            retry_at = now + backoff(delivery.attempts)
            fields |= {"status": D.FAILED, "next_attempt_at": retry_at}
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        for name, value in fields.items():
            setattr(delivery, name, value)
        if fields["status"] == D.DEAD and delivery.ticket_id:
            ticket = Ticket.objects.get(pk=delivery.ticket_id)
            record_event(ticket, actor=None, kind=Event.Kind.INTEGRATION, internal=True, data={
                "action": "delivery_dead", "endpoint": endpoint.name, "event": delivery.event,
                "delivery_id": delivery.pk, "text": _("Webhook to %(name)s given up after %(n)s attempts.")
                % {"name": endpoint.name, "n": delivery.attempts}})
        if retry_at is not None:
            _schedule(delivery.pk, run_after=retry_at)
    return delivery


def due_ids(*, now: datetime.datetime, limit: int = 100) -> list[int]:
    return list(Delivery.objects.filter(next_attempt_at__lte=now, status__in=[D.PENDING, D.FAILED])
                .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def run_due(*, now: datetime.datetime | None = None, limit: int = 100) -> int:
    """Try every delivery due at `now` (the periodic sweep); returns how many were tried."""
    now = now or timezone.now()
    return sum(1 for pk in due_ids(now=now, limit=limit) if deliver(pk, now=now) is not None)


@transaction.atomic
def redeliver(*, actor: Any, delivery: Delivery) -> Delivery:
    """Send a delivery again from its first attempt (same id, so receivers can recognise it)."""
    require(actor, Perm.INTEGRATION_ADMIN)
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    if delivery.locked_until and delivery.locked_until > now:
        raise Conflict(_("This delivery is being sent right now."))
    if not delivery.endpoint.active:
        raise Conflict(_("The endpoint is inactive; activate it first."))
    delivery.status, delivery.attempts, delivery.next_attempt_at = D.PENDING, 0, now
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    record_audit(actor=actor, obj=delivery, action="redeliver")
    _schedule(delivery.pk)
    return delivery


# --- endpoints ------------------------------------------------------------------------------------

ENDPOINT_FIELDS = {"name", "kind", "url", "events", "active", "timeout", "max_attempts"}


def _clean_endpoint(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"] or len(values["name"]) > 100:
            errors["name"] = [_("Enter a name of up to 100 characters.")]
    if "url" in values:
        url = (values["url"] or "").strip()
        values["url"] = url
        if not url.startswith(("http://", "https://")) or len(url) > 500 or any(c.isspace() for c in url):
            errors["url"] = [_("Enter an http:// or https:// address.")]
    if "kind" in values and values["kind"] not in EndpointKind.values:
        errors["kind"] = [_("Unknown kind.")]
    if "events" in values:
        events = values["events"]
        if not isinstance(events, list | tuple) or any(e not in WebhookEvent.values for e in events):
            errors["events"] = [_("Choose from: %(list)s.") % {"list": ", ".join(WebhookEvent.values)}]
        else:
            values["events"] = sorted(set(events))
    if "timeout" in values and not (isinstance(values["timeout"], int) and 1 <= values["timeout"] <= 60):
        errors["timeout"] = [_("Between 1 and 60 seconds.")]
    if "max_attempts" in values and not (isinstance(values["max_attempts"], int) and 1 <= values["max_attempts"] <= 20):
        errors["max_attempts"] = [_("Between 1 and 20.")]
    if "active" in values and not isinstance(values["active"], bool):
        errors["active"] = [_("Enter true or false.")]
    if errors:
        raise ValidationFailed(fields=errors)
    return values


@transaction.atomic
def create_endpoint(*, actor: Any, name: str, url: str, kind: str = EndpointKind.GENERIC,
                    events: list[str] | None = None, **values: Any) -> Endpoint:
    """Register a receiver; its secret is generated here (show it to the administrator once)."""
    require(actor, Perm.INTEGRATION_ADMIN)
    refuse_unknown(values, ENDPOINT_FIELDS)
    if events is None:
        events = default_events(kind)
    values = _clean_endpoint({**values, "name": name, "url": url, "kind": kind, "events": events})
    endpoint = Endpoint.objects.create(**values)
    record_audit(actor=actor, obj=endpoint, action="create",
                 changes={k: v for k, v in values.items() if k != "secret"})
    return endpoint


def default_events(kind: str) -> list[str]:
    return {
        EndpointKind.LEAD_TO_CASH: [WebhookEvent.OPPORTUNITY_REQUESTED.value],
        EndpointKind.RND: [WebhookEvent.DEFECT_REQUESTED.value, WebhookEvent.REQUIREMENT_REQUESTED.value],
    }.get(kind, [WebhookEvent.TICKET_CREATED.value, WebhookEvent.TICKET_RESOLVED.value])


@transaction.atomic
def update_endpoint(*, actor: Any, endpoint: Endpoint, **values: Any) -> Endpoint:
    require(actor, Perm.INTEGRATION_ADMIN)
    refuse_unknown(values, ENDPOINT_FIELDS)
    values = _clean_endpoint(values)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    changes = {k: [getattr(endpoint, k), v] for k, v in values.items() if getattr(endpoint, k) != v}
    for name, value in values.items():
        setattr(endpoint, name, value)
    if changes:
        endpoint.save()
        record_audit(actor=actor, obj=endpoint, action="update", changes=changes)
    return endpoint


@transaction.atomic
def rotate_secret(*, actor: Any, endpoint: Endpoint) -> Endpoint:
    """Give the endpoint a new secret; messages and callbacks signed with the old one stop verifying."""
    require(actor, Perm.INTEGRATION_ADMIN)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    record_audit(actor=actor, obj=endpoint, action="rotate_secret")
    return endpoint


@transaction.atomic
def delete_endpoint(*, actor: Any, endpoint: Endpoint) -> None:
    """Remove an endpoint and its delivery log; one that tickets are linked through can only be deactivated."""
    require(actor, Perm.INTEGRATION_ADMIN)
    if endpoint.links.exists():
        raise Conflict(_("Tickets are linked through this endpoint; deactivate it instead."))
    record_audit(actor=actor, obj=endpoint, action="delete", changes={"name": endpoint.name})
    endpoint.delete()


# --- tickets ↔ other systems ----------------------------------------------------------------------

def endpoints_for(kind: str) -> list[Endpoint]:
    """Active endpoints that take `kind` ('opportunity', 'defect', 'requirement') requests."""
    event = f"{kind}.requested"
    return [e for e in Endpoint.objects.filter(active=True, kind=KIND_ENDPOINT[kind]) if event in e.events]


@transaction.atomic
def raise_external(*, actor: Any, ticket: Ticket, kind: str, note: str = "",
                   endpoint: Endpoint | None = None) -> ExternalLink:
    """Raise a sales opportunity (lead-to-cash) or a defect / requirement (R&D) from a ticket: an
    ExternalLink waiting for the other system's answer, and a delivery carrying the ticket and the
    callback address the other system reports back to."""
    require(actor, Perm.TICKET_EDIT)
    if actor is not None and actor.is_customer_only:
        raise NotFound()
    if kind not in ExternalLink.Kind.values:
        raise ValidationFailed(fields={"kind": [_("Unknown kind.")]})
    note = (note or "").strip()
    if len(note) > 5000 or "\x00" in note:
        raise ValidationFailed(fields={"note": [_("At most 5,000 characters.")]})
    if endpoint is None:
        candidates = endpoints_for(kind)
        if not candidates:
            raise ValidationFailed(_("No active endpoint takes this kind of request; ask an administrator."),
                                   fields={"kind": [_("No endpoint configured.")]})
        endpoint = candidates[0]
    elif endpoint.kind != KIND_ENDPOINT[kind] or not endpoint.active:
        raise ValidationFailed(fields={"endpoint_id": [_("This endpoint does not take this kind of request.")]})
    link = ExternalLink.objects.create(ticket=ticket, endpoint=endpoint, kind=kind, note=note,
                                       created_by=actor if getattr(actor, "pk", None) else None)
    callback = base_url() + reverse("api:callback", args=[link.callback_token])
    payload = {"ticket": ticket_payload(ticket), "request": {"kind": kind, "note": note, "link_id": link.pk},
               "callback_url": callback}
    delivery = send(endpoint=endpoint, event=link.requested_event, ticket=ticket, payload=payload)
    record_event(ticket, actor=actor, kind=Event.Kind.INTEGRATION, internal=True, data={
        "action": "requested", "link_id": link.pk, "kind": kind, "endpoint": endpoint.name,
        "delivery_id": delivery.pk,
        "text": _("%(kind)s requested in %(system)s.") % {"kind": link.get_kind_display(), "system": endpoint.name}})
    return link


CALLBACK_FIELDS = {"external_id", "external_url", "status", "note", "public"}


@transaction.atomic
def apply_callback(*, token: str, body: bytes, timestamp: str | None, signature: str | None,
                   now: float | None = None) -> ExternalLink:
    """Apply the other system's news about a link (its id, address, status, a note).

    The body must be signed like our messages, with the endpoint's secret, and be at most five
    minutes old; anything else raises NotFound (unknown token) or SignatureRefused (401)
    and changes nothing. `public: true` puts the news on the customer-visible timeline. A callback that
    changes nothing (their retry, a replay within the five minutes) records nothing."""
    link = ExternalLink.objects.select_related("endpoint").filter(callback_token=token).first()
    if link is None:
        raise NotFound()
    if not signing.verify(link.endpoint.secret, timestamp, signature, body, now=now if now is not None else time.time()):
        raise SignatureRefused(_("The signature or its timestamp is not valid."))
    try:
        data = json.loads(body)
    except ValueError:
        raise ValidationFailed(_("The body is not JSON.")) from None
    if not isinstance(data, dict):
        raise ValidationFailed(_("The body must be a JSON object."))
    refuse_unknown(data, CALLBACK_FIELDS)
    errors: dict[str, list[str]] = {}
    limits = {"external_id": 100, "external_url": 500, "status": 100, "note": 5000}
    for name, limit in limits.items():
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit or "\x00" in value):
            errors[name] = [_("Text of at most %(n)s characters.") % {"n": limit}]
    url = data.get("external_url")
    if isinstance(url, str) and url and not url.startswith(("http://", "https://")):
        errors["external_url"] = [_("Enter an http:// or https:// address.")]
    if "public" in data and not isinstance(data["public"], bool):
        errors["public"] = [_("Enter true or false.")]
    if errors:
        raise ValidationFailed(fields=errors)
    link = ExternalLink.objects.select_for_update().get(pk=link.pk)
    changes = {}
    for name, field in (("external_id", "external_id"), ("external_url", "external_url"),
                        ("status", "external_status"), ("note", "external_note")):
        value = data.get(name)
        if value is not None and value.strip() != getattr(link, field):
            changes[field] = [getattr(link, field), value.strip()]
            setattr(link, field, value.strip())
    if not changes:  # a repeated callback (a retry of theirs, a replay) changes nothing and says nothing
        return link
    link.save()
    ticket = Ticket.objects.get(pk=link.ticket_id)
    text = _("%(kind)s %(id)s in %(system)s: %(status)s") % {
        "kind": link.get_kind_display(), "id": link.external_id, "system": link.endpoint.name,
        "status": link.external_status}
    if link.external_note:
        text += " — " + link.external_note[:300]
    record_event(ticket, actor=None, kind=Event.Kind.INTEGRATION, internal=not data.get("public", False), data={
        "action": "callback", "link_id": link.pk, "kind": link.kind, "endpoint": link.endpoint.name,
        "external_id": link.external_id, "status": link.external_status, "changes": changes, "text": text})
    return link


# --- ticket events → subscribed endpoints ---------------------------------------------------------

def on_ticket_event(*, ticket: Ticket, event: Event, **_kwargs: Any) -> None:
    """Send ticket.created / ticket.resolved / ticket.closed to the endpoints subscribed to them."""
    if event.kind == Event.Kind.CREATED:
        name = WebhookEvent.TICKET_CREATED
    elif event.kind in (Event.Kind.STATUS, Event.Kind.MERGED) and "status" in event.changes:
        name = {"resolved": WebhookEvent.TICKET_RESOLVED, "closed": WebhookEvent.TICKET_CLOSED}.get(
            event.changes["status"][1])
        if name is None:
            return
    else:
        return
    for endpoint in _active_endpoints.get("all", lambda: list(Endpoint.objects.filter(active=True))):
        if endpoint.wants(name):
            send(endpoint=endpoint, event=name, ticket=ticket)


# Every ticket created asks which endpoints subscribe: cached per process (core.caches; cleared on change).
_active_endpoints = ProcessCache("integrations-endpoints")
