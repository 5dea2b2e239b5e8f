"""Idempotency-Key: retries replay the first answer; a reused key with another body is a 422;
concurrent duplicates create exactly one ticket."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from loopdesk.core.models import IdempotencyKey
from loopdesk.tickets.models import Attachment, Comment, Ticket

from .conftest import ApiClient


def body(world, **kw):
    return {"title": "打印失败", "description": "报错", "customer_id": world.acme.pk, **kw}


def test_retry_returns_first_result(world, as_user):
    c = as_user(world.agent)
    first = c.post("/tickets", body(world), HTTP_IDEMPOTENCY_KEY="k-1")
    again = c.post("/tickets", body(world), HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1 and IdempotencyKey.objects.count() == 1


def test_same_key_other_body_is_422(world, as_user):
    c = as_user(world.agent)
    c.post("/tickets", body(world), HTTP_IDEMPOTENCY_KEY="k-2")
    r = c.post("/tickets", body(world, title="另一个"), HTTP_IDEMPOTENCY_KEY="k-2")
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert "Idempotency-Key" in r.json()["errors"]
    assert Ticket.objects.count() == 1


def test_keys_are_per_user_and_without_key_nothing_is_stored(world, as_user):
    as_user(world.agent).post("/tickets", body(world), HTTP_IDEMPOTENCY_KEY="shared")
    as_user(world.manager).post("/tickets", body(world), HTTP_IDEMPOTENCY_KEY="shared")
    as_user(world.agent).post("/tickets", body(world))
    as_user(world.agent).post("/tickets", body(world))
    assert Ticket.objects.count() == 4 and IdempotencyKey.objects.count() == 2


def test_failures_are_not_stored_so_a_corrected_retry_needs_a_new_key(world, as_user):
    c = as_user(world.agent)
    bad = c.post("/tickets", {"title": "t", "customer_id": world.acme.pk}, HTTP_IDEMPOTENCY_KEY="k-3")
    assert bad.status_code == 422 and not IdempotencyKey.objects.exists()
    # the very same (bad) request again is evaluated again, not replayed
    assert (
        c.post(
            "/tickets", {"title": "t", "customer_id": world.acme.pk}, HTTP_IDEMPOTENCY_KEY="k-3"
        ).status_code
        == 422
    )


def test_any_post_comments_and_uploads(world, as_user, ticket):
    c = as_user(world.agent)
    for _ in range(2):
        assert (
            c.post(
                f"/tickets/{ticket['id']}/comments", {"body": "回复"}, HTTP_IDEMPOTENCY_KEY="c-1"
            ).status_code
            == 201
        )
    assert Comment.objects.count() == 1
    for _ in range(2):
        r = c.upload(
            f"/tickets/{ticket['id']}/attachments",
            {"file": SimpleUploadedFile("a.txt", b"hello")},
            HTTP_IDEMPOTENCY_KEY="u-1",
        )
        assert r.status_code == 201
    assert Attachment.objects.count() == 1


def test_overlong_key_is_422(world, as_user):
    r = as_user(world.agent).post("/tickets", body(world), HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert r.status_code == 422 and not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)  # reference data: root conftest
def test_concurrent_duplicates_create_one_ticket():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: the SQLite test database is in memory, private to one connection/thread"
        )
    from loopdesk.core.testing import build_world

    world = build_world()
    clients = [ApiClient(world.agent) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def send(i: int) -> None:
        try:
            barrier.wait()
            r = clients[i].post("/tickets", body(world), HTTP_IDEMPOTENCY_KEY="race-1")
            results[i] = (r.status_code, r.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Ticket.objects.count() == 1
    assert {status for status, _ in results} == {201}
    assert len({payload["id"] for _, payload in results}) == 1


def test_old_keys_are_purged(world, as_user):
    import datetime

    from django.utils import timezone

    from loopdesk.api.tasks import purge_idempotency_keys

    c = as_user(world.agent)
    c.post("/tickets", body(world), HTTP_IDEMPOTENCY_KEY="old")
    c.post("/tickets", body(world, title="新"), HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
