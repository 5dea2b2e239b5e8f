"""POST /api/v1/tickets/batch: all or nothing, errors by position, scoped, idempotent."""

from __future__ import annotations

import pytest

from loopdesk.tickets.models import Event, Ticket

pytestmark = pytest.mark.django_db


def item(world, n: int, **extra):
    return {"title": f"凭证打印报错 {n}", "description": "打印时提示模板缺失。", "customer_id": world.acme.pk, **extra}


def test_creates_every_ticket_in_order_with_numbers_and_history(world, as_user):
    before = Ticket.objects.count()
    response = as_user(world.agent).post("/tickets/batch", {"tickets": [item(world, n) for n in range(5)]})
    assert response.status_code == 201, response.content
    items = response.json()["items"]
    assert [t["title"] for t in items] == [f"凭证打印报错 {n}" for n in range(5)]
    assert len({t["number"] for t in items}) == 5
    assert Ticket.objects.count() == before + 5
    assert Event.objects.filter(ticket_id__in=[t["id"] for t in items], kind=Event.Kind.CREATED).count() == 5


def test_one_bad_entry_creates_nothing_and_names_its_place(world, as_user):
    before = Ticket.objects.count()
    batch = [item(world, 0), item(world, 1, title="   "), item(world, 2), item(world, 3, description="")]
    response = as_user(world.agent).post("/tickets/batch", {"tickets": batch})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"tickets[1].title", "tickets[3].description"}
    assert Ticket.objects.count() == before


def test_unknown_references_are_named_by_place(world, as_user):
    before = Ticket.objects.count()
    batch = [item(world, 0), item(world, 1, customer_id=999_999), item(world, 2, category_id=999_999)]
    response = as_user(world.agent).post("/tickets/batch", {"tickets": batch})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"tickets[1].customer_id", "tickets[2].category_id"}
    assert Ticket.objects.count() == before


def test_numbers_are_consecutive_and_a_refused_batch_uses_none(world, as_user):
    client = as_user(world.agent)
    first = client.post("/tickets/batch", {"tickets": [item(world, n) for n in range(3)]}).json()["items"]
    seq = [int(t["number"][8:]) for t in first]
    assert seq == [seq[0], seq[0] + 1, seq[0] + 2]
    refused = client.post("/tickets/batch", {"tickets": [item(world, 9, title=" "), item(world, 10)]})
    assert refused.status_code == 422
    after = client.post("/tickets", item(world, 11)).json()
    assert int(after["number"][8:]) == seq[2] + 1  # every entry is checked before numbers are reserved


def test_another_branchs_customer_is_unknown(world, as_user):
    """The Shanghai agent may not create tickets for a Beijing customer: 422, nothing stored."""
    before = Ticket.objects.count()
    response = as_user(world.sh_agent).post("/tickets/batch", {"tickets": [item(world, 0)]})
    assert response.status_code == 422
    assert "tickets[0].customer_id" in response.json()["errors"]
    assert Ticket.objects.count() == before


def test_customer_contact_may_batch_only_for_own_company(world, as_user):
    ok = as_user(world.customer).post("/tickets/batch", {"tickets": [item(world, 0)]})
    assert ok.status_code == 201, ok.content
    other = as_user(world.customer).post(
        "/tickets/batch", {"tickets": [item(world, 1, customer_id=world.globex.pk)]}
    )
    assert other.status_code == 422


@pytest.mark.parametrize("body", [{"tickets": []}, {"tickets": "x"}, {"tickets": [{"title": "a"}]}, {}])
def test_malformed_batches_are_refused(world, as_user, body):
    before = Ticket.objects.count()
    response = as_user(world.agent).post("/tickets/batch", body)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert Ticket.objects.count() == before


def test_more_than_100_is_refused(world, as_user):
    response = as_user(world.agent).post("/tickets/batch", {"tickets": [item(world, n) for n in range(101)]})
    assert response.status_code == 422
    assert Ticket.objects.count() == 0 or not Ticket.objects.filter(title__startswith="凭证打印报错").exists()


def test_a_retried_batch_with_the_same_key_is_created_once(world, as_user):
    client = as_user(world.agent)
    body = {"tickets": [item(world, n) for n in range(3)]}
    first = client.post("/tickets/batch", body, HTTP_IDEMPOTENCY_KEY="gateway-batch-1")
    again = client.post("/tickets/batch", body, HTTP_IDEMPOTENCY_KEY="gateway-batch-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Ticket.objects.filter(title__startswith="凭证打印报错").count() == 3


def test_anonymous_is_refused(world):
    from django.test import Client

    response = Client().post("/api/v1/tickets/batch", "{}", content_type="application/json")
    assert response.status_code == 401


def test_ids_beyond_any_column_are_unknown_not_errors(world, as_user):
    """An id too large for the database, or negative, is refused by the schema with its place (no lookup,
    no 500), and the batch stores nothing."""
    before = Ticket.objects.count()
    batch = [item(world, 0), item(world, 1, customer_id=2**63), item(world, 2, customer_id=-1)]
    response = as_user(world.agent).post("/tickets/batch", {"tickets": batch})
    assert response.status_code == 422, response.content
    assert set(response.json()["errors"]) == {"tickets.1.customer_id", "tickets.2.customer_id"}
    assert Ticket.objects.count() == before
