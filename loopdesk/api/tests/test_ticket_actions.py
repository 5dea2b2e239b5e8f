"""Comments, transitions, assignment, links, merge, watchers, history and attachments."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from loopdesk.tickets.models import Attachment, Comment, Link, Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_comments_public_and_internal(world, as_user, ticket):
    tid = ticket["id"]
    agent, customer = as_user(world.agent), as_user(world.customer)
    r = agent.post(f"/tickets/{tid}/comments", {"body": "请提供截图", "internal": False})
    assert r.status_code == 201 and r.json()["author"]["id"] == world.agent.pk
    assert (
        agent.post(f"/tickets/{tid}/comments", {"body": "疑似补丁问题", "internal": True}).status_code == 201
    )
    assert len(agent.get(f"/tickets/{tid}/comments").json()["items"]) == 2
    seen = customer.get(f"/tickets/{tid}/comments").json()["items"]
    assert [c["body"] for c in seen] == ["请提供截图"]
    r = customer.post(f"/tickets/{tid}/comments", {"body": "内部", "internal": True})
    assert r.status_code == 403
    assert customer.post(f"/tickets/{tid}/comments", {"body": "截图已上传"}).status_code == 201


def test_comment_pages(world, as_user, ticket):
    c = as_user(world.agent)
    for i in range(5):
        c.post(f"/tickets/{ticket['id']}/comments", {"body": f"c{i}"})
    first = c.get(f"/tickets/{ticket['id']}/comments", {"limit": 3}).json()
    rest = c.get(f"/tickets/{ticket['id']}/comments", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [x["body"] for x in first["items"] + rest["items"]] == [f"c{i}" for i in range(5)]
    assert rest["next_cursor"] is None


def test_transitions_flow(world, as_user, ticket):
    tid = ticket["id"]
    agent, customer = as_user(world.agent), as_user(world.customer)
    allowed = agent.get(f"/tickets/{tid}/transitions").json()
    assert allowed["status"] == "new" and {a["to"] for a in allowed["allowed"]} >= {"accepted", "resolved"}
    r = agent.post(f"/tickets/{tid}/transitions", {"to": "accepted"})
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["accepted_at"]
    r = agent.post(f"/tickets/{tid}/transitions", {"to": "resolved"})
    assert r.status_code == 422 and "resolution" in r.json()["errors"]
    r = agent.post(
        f"/tickets/{tid}/transitions", {"to": "resolved", "resolution": "重装补丁", "comment": "已处理"}
    )
    assert r.status_code == 200 and r.json()["resolution"] == "重装补丁"
    # invalid transition: 422, status unchanged
    r = agent.post(f"/tickets/{tid}/transitions", {"to": "accepted"})
    assert r.status_code == 422 and "to" in r.json()["errors"]
    assert Ticket.objects.get(pk=tid).status == "resolved"
    assert [a["to"] for a in customer.get(f"/tickets/{tid}/transitions").json()["allowed"]] == [
        "in_progress",
        "closed",
    ]
    assert customer.post(f"/tickets/{tid}/transitions", {"to": "closed"}).json()["status"] == "closed"


def test_assign_and_dispatch_to_partner(world, as_user, ticket):
    tid = ticket["id"]
    c = as_user(world.agent)
    r = c.post(f"/tickets/{tid}/assign", {"group_id": world.group.pk, "assignee_id": world.engineer.pk})
    assert r.status_code == 200 and r.json()["assignee"]["id"] == world.engineer.pk
    assert as_user(world.partner_agent).get(f"/tickets/{tid}").status_code == 404
    r = c.post(f"/tickets/{tid}/assign", {"partner_id": world.partner.pk})
    assert (
        r.json()["partner_org"]["id"] == world.partner.pk and r.json()["assignee"]["id"] == world.engineer.pk
    )
    assert as_user(world.partner_agent).get(f"/tickets/{tid}").status_code == 200
    r = c.post(f"/tickets/{tid}/assign", {"assignee_id": None})
    assert r.json()["assignee"] is None and r.json()["group"]["id"] == world.group.pk
    r = c.post(f"/tickets/{tid}/assign", {"partner_id": world.beijing.pk})
    assert r.status_code == 422 and "partner_id" in r.json()["errors"]
    r = c.post(f"/tickets/{tid}/assign", {"assignee_id": world.customer.pk})
    assert r.status_code == 422 and "assignee_id" in r.json()["errors"]
    assert (
        as_user(world.customer).post(f"/tickets/{tid}/assign", {"assignee_id": world.agent.pk}).status_code
        == 403
    )


def test_links_and_merge(world, as_user, ticket):
    c = as_user(world.agent)
    other = c.post(
        "/tickets", {"title": "同一问题", "description": "重复", "customer_id": world.acme.pk}
    ).json()
    r = c.post(f"/tickets/{ticket['id']}/links", {"target_id": other["id"], "kind": "related"})
    assert r.status_code == 201 and r.json()["target"]["number"] == other["number"]
    assert len(c.get(f"/tickets/{other['id']}/links").json()["items"]) == 1
    assert (
        c.post(f"/tickets/{ticket['id']}/links", {"target_id": other["id"], "kind": "related"}).status_code
        == 409
    )
    r = c.post(f"/tickets/{ticket['id']}/links", {"target_id": ticket["id"], "kind": "child_of"})
    assert r.status_code == 422 and "target_id" in r.json()["errors"]
    link_id = c.get(f"/tickets/{ticket['id']}/links").json()["items"][0]["id"]
    assert c.delete(f"/tickets/{ticket['id']}/links/{link_id}").status_code == 204
    assert not Link.objects.exists()
    # merge needs the merge permission (manager)
    assert c.post(f"/tickets/{other['id']}/merge", {"into_id": ticket["id"]}).status_code == 403
    m = as_user(world.manager)
    r = m.post(f"/tickets/{other['id']}/merge", {"into_id": ticket["id"]})
    assert r.status_code == 200 and r.json()["id"] == ticket["id"]
    merged = m.get(f"/tickets/{other['id']}").json()
    assert merged["merged_into"] == ticket["number"] and merged["status"] == "closed"
    r = m.post(f"/tickets/{ticket['id']}/merge", {"into_id": ticket["id"]})
    assert r.status_code == 422 and "into_id" in r.json()["errors"]


def test_watchers(world, as_user, ticket):
    tid = ticket["id"]
    c = as_user(world.agent)
    assert c.post(f"/tickets/{tid}/watchers", {}).json()["items"] == [{"id": world.agent.pk, "name": "agent"}]
    r = c.post(f"/tickets/{tid}/watchers", {"user_id": world.customer.pk})
    assert {w["id"] for w in r.json()["items"]} == {world.agent.pk, world.customer.pk}
    assert as_user(world.customer).get(f"/tickets/{tid}/watchers").json()["items"] == [
        {"id": world.customer.pk, "name": "王小明"}
    ]
    r = c.post(f"/tickets/{tid}/watchers", {"user_id": world.other_customer.pk})
    assert r.status_code == 422 and "user_id" in r.json()["errors"]
    assert c.delete(f"/tickets/{tid}/watchers/{world.agent.pk}").json()["items"] == [
        {"id": world.customer.pk, "name": "王小明"}
    ]


def test_events_hide_internal_from_customers(world, as_user, ticket):
    tid = ticket["id"]
    c = as_user(world.agent)
    c.post(f"/tickets/{tid}/comments", {"body": "内部备注", "internal": True})
    c.post(f"/tickets/{tid}/comments", {"body": "公开回复"})
    staff = c.get(f"/tickets/{tid}/events").json()["items"]
    assert [e["kind"] for e in staff] == ["created", "commented", "commented"]
    assert staff[0]["at"].endswith("+08:00")
    mine = as_user(world.customer).get(f"/tickets/{tid}/events").json()["items"]
    assert [e["kind"] for e in mine] == ["created", "commented"]
    assert all("内部" not in str(e) for e in mine)


def test_attachments_upload_list_download(world, as_user, ticket):
    tid = ticket["id"]
    c, customer = as_user(world.agent), as_user(world.customer)
    r = c.upload(f"/tickets/{tid}/attachments", {"file": SimpleUploadedFile("shot.png", PNG, "image/png")})
    assert r.status_code == 201, r.content
    public = r.json()
    r = c.upload(
        f"/tickets/{tid}/attachments",
        {"file": SimpleUploadedFile("log.txt", b"secret log")},
        {"internal": "true"},
    )
    assert r.status_code == 201 and r.json()["internal"] is True
    internal = r.json()
    assert len(c.get(f"/tickets/{tid}/attachments").json()["items"]) == 2
    assert [a["id"] for a in customer.get(f"/tickets/{tid}/attachments").json()["items"]] == [public["id"]]
    download = c.get(public["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert "attachment" in download["Content-Disposition"]
    assert customer.get(internal["download_url"]).status_code == 404
    assert b"".join(customer.get(public["download_url"]).streaming_content) == PNG
    assert as_user(world.other_customer).get(public["download_url"]).status_code == 404
    assert as_user(world.other_partner_agent).get(public["download_url"]).status_code == 404


def test_attachment_refusals_change_nothing(world, as_user, ticket, settings):
    tid = ticket["id"]
    c = as_user(world.agent)
    settings.LOOPDESK_ATTACHMENT_MAX_BYTES = 100
    r = c.upload(f"/tickets/{tid}/attachments", {"file": SimpleUploadedFile("big.txt", b"x" * 101)})
    assert r.status_code == 422 and "file" in r.json()["errors"]
    # far too large: refused from Content-Length alone, before the upload is stored anywhere
    r = c.upload(f"/tickets/{tid}/attachments", {"file": SimpleUploadedFile("huge.txt", b"x" * 200_000)})
    assert r.status_code == 413 and "file" in r.json()["errors"]
    r = c.upload(f"/tickets/{tid}/attachments", {"file": SimpleUploadedFile("evil.png", b"MZ\x90\x00binary")})
    assert r.status_code == 422 and "file" in r.json()["errors"]
    r = c.upload(f"/tickets/{tid}/attachments", {})
    assert r.status_code == 422 and "file" in r.json()["errors"]
    assert Attachment.objects.count() == 0
    assert Comment.objects.count() == 0


def test_sub_list_query_counts(world, as_user, ticket, django_assert_max_num_queries):
    from loopdesk.tickets import services

    c = as_user(world.agent)
    t = Ticket.objects.get(pk=ticket["id"])
    for i in range(20):
        services.add_comment(actor=world.agent, ticket=t, body=f"c{i}", internal=i % 2 == 0)
        other = services.create_ticket(actor=world.agent, title=f"o{i}", description="d", company=world.acme)
        services.link_tickets(actor=world.agent, source=t, target=other, kind="related")
        c.upload(f"/tickets/{t.pk}/attachments", {"file": SimpleUploadedFile(f"f{i}.txt", b"hello")})
    for user in (world.agent, world.engineer, world.manager):
        services.set_watcher(actor=world.agent, ticket=t, user=user, watching=True)
    for path in ("comments", "events", "attachments", "links", "watchers", "transitions"):
        c.get(f"/tickets/{t.pk}/{path}")
        # auth + scope (≤ 4) + the ticket + the rows (+ a visibility subquery for links)
        with django_assert_max_num_queries(8):
            r = c.get(f"/tickets/{t.pk}/{path}")
        assert r.status_code == 200
