"""Scoping on every endpoint: another company's contact and an unrelated partner get 404 for anything
of Acme's (never 403, which would leak that it exists), never see it in lists or search, and change
nothing. The Beijing agent is the control who does see it all."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from loopdesk.customers.services import create_site
from loopdesk.tickets import services
from loopdesk.tickets.models import Comment, Event, Link, Ticket

OUTSIDERS = ["other_customer", "other_partner_agent"]


@pytest.fixture
def acme(world, as_user):
    """Acme data: a ticket with a comment, a file, a link and a watcher, a second ticket, a site."""
    agent = as_user(world.agent)
    t = services.create_ticket(
        actor=world.agent,
        title="凭证打印失败",
        description="d",
        company=world.acme,
        contact=world.acme_contact,
        asset=world.acme_asset,
    )
    t2 = services.create_ticket(actor=world.agent, title="第二个", description="d", company=world.acme)
    services.add_comment(actor=world.agent, ticket=t, body="公开回复")
    r = agent.upload(f"/tickets/{t.pk}/attachments", {"file": SimpleUploadedFile("a.txt", b"hello")})
    link = services.link_tickets(actor=world.agent, source=t, target=t2, kind="related")
    services.set_watcher(actor=world.agent, ticket=t, user=world.agent, watching=True)
    site = create_site(actor=world.admin, company=world.acme, name="机房")
    return {"ticket": t, "other": t2, "attachment": r.json()["id"], "link": link, "site": site}


def detail_paths(world, a):
    t = a["ticket"].pk
    return [
        f"/tickets/{t}",
        f"/tickets/{t}/comments",
        f"/tickets/{t}/transitions",
        f"/tickets/{t}/links",
        f"/tickets/{t}/watchers",
        f"/tickets/{t}/events",
        f"/tickets/{t}/attachments",
        f"/tickets/{t}/attachments/{a['attachment']}/download",
        f"/companies/{world.acme.pk}",
        f"/contacts/{world.acme_contact.pk}",
        f"/sites/{a['site'].pk}",
        f"/assets/{world.acme_asset.pk}",
    ]


def writes(world, a):
    t, other = a["ticket"].pk, a["other"].pk
    return [
        ("patch", f"/tickets/{t}", {"title": "改"}),
        ("post", f"/tickets/{t}/comments", {"body": "x"}),
        ("post", f"/tickets/{t}/transitions", {"to": "cancelled"}),
        ("post", f"/tickets/{t}/assign", {"assignee_id": None}),
        ("post", f"/tickets/{t}/links", {"target_id": other, "kind": "related"}),
        ("delete", f"/tickets/{t}/links/{a['link'].pk}", None),
        ("post", f"/tickets/{t}/merge", {"into_id": other}),
        ("post", f"/tickets/{t}/watchers", {}),
        ("delete", f"/tickets/{t}/watchers/{world.agent.pk}", None),
        ("patch", f"/companies/{world.acme.pk}", {"phone": "1"}),
        ("patch", f"/contacts/{world.acme_contact.pk}", {"title": "x"}),
        ("patch", f"/sites/{a['site'].pk}", {"city": "x"}),
        ("patch", f"/assets/{world.acme_asset.pk}", {"serial": "x"}),
    ]


def test_control_user_sees_everything(world, as_user, acme):
    c = as_user(world.agent)
    for path in detail_paths(world, acme):
        assert c.get(path).status_code == 200, path


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_on_every_detail(world, as_user, acme, who):
    c = as_user(getattr(world, who))
    for path in detail_paths(world, acme):
        r = c.get(path)
        assert r.status_code == 404, path
        assert r["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_on_every_write_and_change_nothing(world, as_user, acme, who):
    c = as_user(getattr(world, who))
    counts = (Ticket.objects.count(), Comment.objects.count(), Event.objects.count(), Link.objects.count())
    before = Ticket.objects.get(pk=acme["ticket"].pk)
    for method, path, body in writes(world, acme):
        r = getattr(c, method)(path, body) if body is not None else getattr(c, method)(path)
        assert r.status_code == 404, (method, path, r.content)
    r = c.upload(f"/tickets/{acme['ticket'].pk}/attachments", {"file": SimpleUploadedFile("b.txt", b"x")})
    assert r.status_code == 404
    assert counts == (
        Ticket.objects.count(),
        Comment.objects.count(),
        Event.objects.count(),
        Link.objects.count(),
    )
    after = Ticket.objects.get(pk=acme["ticket"].pk)
    assert (before.title, before.status, before.updated_at) == (after.title, after.status, after.updated_at)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_never_see_rows_in_lists_or_search(world, as_user, acme, who):
    c = as_user(getattr(world, who))
    t = acme["ticket"]
    for params in (
        {},
        {"q": t.number},
        {"q": "凭证"},
        {"company_id": world.acme.pk},
        {"queue": "unassigned"},
    ):
        assert t.pk not in {x["id"] for x in c.get("/tickets", params).json()["items"]}
    for path, pk, q in (
        ("/companies", world.acme.pk, "示例"),
        ("/companies", world.acme.pk, "88886666"),
        ("/contacts", world.acme_contact.pk, "王小明"),
        ("/sites", acme["site"].pk, "机房"),
        ("/assets", world.acme_asset.pk, "U8-0001"),
    ):
        for params in ({}, {"q": q}, {"company_id": world.acme.pk}):
            assert pk not in {x["id"] for x in c.get(path, params).json()["items"]}, (path, params)
    assert world.beijing.pk not in {x["id"] for x in c.get("/organisations").json()["items"]}
    assert world.group.pk not in {x["id"] for x in c.get("/groups").json()["items"]}


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_reference_acme_objects_in_bodies(world, as_user, acme, who):
    c = as_user(getattr(world, who))
    r = c.post("/tickets", {"title": "x", "description": "y", "customer_id": world.acme.pk})
    assert r.status_code in (403, 422)
    if r.status_code == 422:
        assert "customer_id" in r.json()["errors"]
    assert Ticket.objects.count() == 2


def test_other_customer_cannot_attach_acme_contact_or_asset(world, as_user):
    c = as_user(world.other_customer)
    r = c.post(
        "/tickets",
        {
            "title": "x",
            "description": "y",
            "customer_id": world.globex.pk,
            "contact_id": world.acme_contact.pk,
            "asset_id": world.acme_asset.pk,
        },
    )
    assert r.status_code == 422 and {"contact_id", "asset_id"} <= set(r.json()["errors"])
    assert not Ticket.objects.exists()
