"""Sending webhooks: signature, retries with backoff, claim, dead letters, redelivery."""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone

from loopdesk.integrations import services, signing, tasks
from loopdesk.integrations.models import Delivery, DeliveryAttempt, Endpoint
from loopdesk.tickets.models import Event
from loopdesk.tickets.services import create_ticket, transition_ticket

S = Delivery.Status
HOUR = datetime.timedelta(hours=1)


def make_ticket(world, title="打印凭证时报错"):
    return create_ticket(actor=world.agent, title=title, description="凭证打印报错 E-1024",
                         company=world.acme, contact=world.acme_contact, asset=world.acme_asset)


def make_endpoint(world, url, **kw):
    endpoint = services.create_endpoint(actor=world.admin, name="CRM", url=url, **{"events": [], **kw})
    return endpoint


def test_fails_twice_then_succeeds_records_exactly_one_success(world, receiver):
    ticket = make_ticket(world)
    endpoint = make_endpoint(world, receiver.url, max_attempts=5)
    receiver.secret = endpoint.secret
    receiver.script = [500, 500]
    delivery = services.send(endpoint=endpoint, event="defect.requested", ticket=ticket)
    t0 = timezone.now()

    first = services.deliver(delivery.pk, now=t0)
    assert first.status == S.FAILED and first.attempts == 1 and first.last_status_code == 500
    assert first.next_attempt_at > t0
    assert services.run_due(now=t0) == 0  # the retry is not due yet: nothing is sent
    assert services.run_due(now=t0 + HOUR) == 1
    assert Delivery.objects.get(pk=delivery.pk).status == S.FAILED
    assert services.run_due(now=t0 + 24 * HOUR) == 1
    assert services.run_due(now=t0 + 48 * HOUR) == 0  # done: nothing more is sent

    done = Delivery.objects.get(pk=delivery.pk)
    assert done.status == S.SUCCEEDED and done.attempts == 3 and done.next_attempt_at is None
    assert done.delivered_at == t0 + 24 * HOUR
    assert Delivery.objects.filter(status=S.SUCCEEDED).count() == 1
    assert [a.status_code for a in DeliveryAttempt.objects.filter(delivery=done)] == [500, 500, 200]
    # The receiver saw three signed copies of the same message, with the same delivery id.
    assert len(receiver.received) == 3 and all(r.signature_ok for r in receiver.received)
    assert {r.headers["X-Loopdesk-Delivery"] for r in receiver.received} == {str(delivery.pk)}
    assert {r.headers["X-Loopdesk-Event"] for r in receiver.received} == {"defect.requested"}
    message = receiver.received[0].json
    assert message["event"] == "defect.requested" and message["delivery_id"] == delivery.pk
    assert message["data"]["ticket"]["number"] == ticket.number
    assert message["data"]["ticket"]["product"] == {"name": "U8", "code": "U8", "version": "16.5"}


def test_the_task_delivers(world, receiver):
    endpoint = make_endpoint(world, receiver.url)
    receiver.secret = endpoint.secret
    delivery = services.send(endpoint=endpoint, event="ping", ticket=None, payload={"hello": 1})
    assert tasks.deliver_webhook.call(delivery.pk) == S.SUCCEEDED
    assert tasks.deliver_webhook.call(delivery.pk) == "skipped"  # a second run sends nothing
    assert len(receiver.received) == 1 and receiver.received[0].json["data"] == {"hello": 1}


def test_a_wrong_secret_is_refused_by_the_receiver(world, receiver):
    endpoint = make_endpoint(world, receiver.url)
    receiver.secret = "not-the-secret"
    delivery = services.send(endpoint=endpoint, event="ping", ticket=None, payload={})
    assert services.deliver(delivery.pk).status == S.FAILED
    assert receiver.received[0].signature_ok is False


def test_given_up_after_max_attempts(world, receiver):
    ticket = make_ticket(world)
    endpoint = make_endpoint(world, receiver.url, max_attempts=2)
    receiver.secret = endpoint.secret
    receiver.script = [503, 503, 503]
    delivery = services.send(endpoint=endpoint, event="defect.requested", ticket=ticket)
    t0 = timezone.now()
    services.deliver(delivery.pk, now=t0)
    services.run_due(now=t0 + 24 * HOUR)
    dead = Delivery.objects.get(pk=delivery.pk)
    assert dead.status == S.DEAD and dead.attempts == 2 and dead.next_attempt_at is None
    assert services.run_due(now=t0 + 100 * HOUR) == 0
    assert len(receiver.received) == 2
    event = Event.objects.get(ticket=ticket, kind=Event.Kind.INTEGRATION)
    assert event.internal and event.data["action"] == "delivery_dead"


def test_connection_error_is_logged_and_retried(world, closed_port_url):
    endpoint = make_endpoint(world, closed_port_url)
    delivery = services.send(endpoint=endpoint, event="ping", ticket=None, payload={})
    after = services.deliver(delivery.pk)
    assert after.status == S.FAILED and after.last_status_code is None and after.last_error
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and "Connect" in attempt.error


def test_a_claimed_delivery_is_not_sent_twice(world, receiver):
    endpoint = make_endpoint(world, receiver.url)
    receiver.secret = endpoint.secret
    delivery = services.send(endpoint=endpoint, event="ping", ticket=None, payload={})
    now = timezone.now()
    # Another worker holds it: nobody else sends it until the hold runs out.
    Delivery.objects.filter(pk=delivery.pk).update(locked_until=now + datetime.timedelta(seconds=40))
    assert services.deliver(delivery.pk, now=now) is None
    assert services.run_due(now=now) == 0
    assert receiver.received == []
    # The holder died without finishing: once the hold expires the sweep takes it over.
    assert services.run_due(now=now + datetime.timedelta(seconds=41)) == 1
    assert Delivery.objects.get(pk=delivery.pk).status == S.SUCCEEDED


def test_inactive_endpoint_gets_nothing(world, receiver):
    endpoint = make_endpoint(world, receiver.url, active=False)
    delivery = services.send(endpoint=endpoint, event="ping", ticket=None, payload={})
    assert delivery.status == S.DEAD and delivery.next_attempt_at is None
    assert services.deliver(delivery.pk) is None and receiver.received == []


def test_redeliver_sends_again(world, receiver):
    endpoint = make_endpoint(world, receiver.url, max_attempts=1)
    receiver.secret = endpoint.secret
    receiver.script = [500]
    delivery = services.send(endpoint=endpoint, event="ping", ticket=None, payload={})
    assert services.deliver(delivery.pk).status == S.DEAD
    with pytest.raises(Exception):  # noqa: B017 (Forbidden; the message does not matter here)
        services.redeliver(actor=world.agent, delivery=delivery)
    services.redeliver(actor=world.admin, delivery=delivery)
    again = services.deliver(delivery.pk)
    assert again.status == S.SUCCEEDED and again.attempt_log.count() == 2
    assert {r.headers["X-Loopdesk-Delivery"] for r in receiver.received} == {str(delivery.pk)}


def test_ticket_events_reach_subscribed_endpoints(world, receiver):
    subscribed = make_endpoint(world, receiver.url, events=["ticket.created", "ticket.resolved"])
    make_endpoint(world, receiver.url, events=["ticket.closed"])
    make_endpoint(world, receiver.url, events=["ticket.created"], active=False)
    ticket = make_ticket(world)
    assert list(Delivery.objects.values_list("endpoint_id", "event")) == [(subscribed.pk, "ticket.created")]
    transition_ticket(actor=world.agent, ticket=ticket, to="resolved", resolution="重装打印组件")
    assert sorted(Delivery.objects.values_list("event", flat=True)) == ["ticket.created", "ticket.resolved"]


def test_backoff_grows_with_bounded_jitter():
    rand = random.Random(7)
    waits = [services.backoff(n, rand=rand).total_seconds() for n in range(1, 8)]
    for n, wait in enumerate(waits, start=1):
        base = min(30 * 2 ** (n - 1), services.BACKOFF_CAP)
        assert base <= wait <= base * 1.25
    assert services.backoff(40).total_seconds() <= services.BACKOFF_CAP * 1.25


def test_signature():
    body = b'{"a":1}'
    signature = signing.sign("s3cret", 1_700_000_000, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert signing.verify("s3cret", "1700000000", signature, body, now=1_700_000_100)
    assert not signing.verify("s3cret", "1700000000", signature, body + b" ", now=1_700_000_100)
    assert not signing.verify("other", "1700000000", signature, body, now=1_700_000_100)
    assert not signing.verify("s3cret", "1700000000", signature, body, now=1_700_000_301)  # too old
    assert not signing.verify("s3cret", "1700000001", signature, body, now=1_700_000_100)  # other timestamp
    assert not signing.verify("s3cret", None, signature, body, now=1_700_000_100)


@pytest.mark.parametrize(("values", "field"), [
    ({"url": "ftp://x"}, "url"), ({"url": "javascript:alert(1)"}, "url"), ({"events": ["nope"]}, "events"),
    ({"timeout": 0}, "timeout"), ({"max_attempts": 50}, "max_attempts"), ({"kind": "x"}, "kind"),
])
def test_endpoint_validation(world, values, field):
    from loopdesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        services.create_endpoint(actor=world.admin, **{"name": "X", "url": "http://127.0.0.1:9/", **values})
    assert field in caught.value.fields
    assert not Endpoint.objects.exists()
