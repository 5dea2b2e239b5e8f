"""The added /api/v1/articles endpoints through the real API (bearer tokens, problem details), and
scoping: customers and unrelated partners never see internal, partner, draft or review articles."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from loopdesk.knowledge import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_review_thread_revisions_diff_and_flags(kb, api):
    engineer, reviewer = api(kb.engineer), api(kb.reviewer)
    created = engineer.post("/articles", {"title": "月末结账", "body": "<p>第一步</p>"}).json()
    path = f"/articles/{created['id']}"
    assert engineer.post(path + "/transition", {"to": "review", "reviewer_id": kb.reviewer.pk}).status_code == 200
    response = reviewer.post(path + "/comments", {"body": "请补充截图"})
    assert response.status_code == 201 and response.json()["author"]["id"] == kb.reviewer.pk
    assert [c["body"] for c in engineer.get(path + "/comments").json()["items"]] == ["请补充截图"]
    response = reviewer.client.patch("/api/v1" + path, '{"body": "<p>第一步</p><p>第二步</p>"}',
                                      content_type="application/json")
    assert response.json()["version"] == 2
    revisions = engineer.get(path + "/revisions").json()["items"]
    assert [r["version"] for r in revisions] == [1, 2]
    diff = engineer.get(path + "/diff", {"from": 1, "to": 2}).json()["items"]
    assert [d["field"] for d in diff] == ["body"] and "+第二步" in diff[0]["unified"]
    response = engineer.get(path + "/diff", {"from": 1, "to": 9})
    assert response.status_code == 422 and "to" in response.json()["errors"]
    published = reviewer.post(path + "/transition", {"to": "published"}).json()
    assert published["needs_update"] is False and published["solved_count"] == 0
    flag = api(kb.agent).post(path + "/flags", {"note": "界面已改版"})
    assert flag.status_code == 201 and flag.json()["reason"] == "manual"
    assert engineer.get(path).json()["needs_update"] is True
    listed = engineer.get("/articles", {"status": "published"}).json()["items"]
    assert [(a["id"], a["needs_update"]) for a in listed] == [(created["id"], True)]
    cleared = reviewer.post(path + f"/flags/{flag.json()['id']}/clear")
    assert cleared.status_code == 200 and cleared.json()["cleared_at"]
    # customers never reach the staff parts, even of an article they may read
    services.update_article(actor=kb.reviewer, article=services.Article.objects.get(pk=created["id"]),
                            audience="public")
    customer = api(kb.customer)
    assert customer.get(path).status_code == 200
    for part in ("/comments", "/revisions", "/flags", "/tickets"):
        assert customer.get(path + part).status_code == 404, part
    assert customer.post(path + "/flags", {"note": "x"}).status_code == 404


def test_vote_with_reason(kb, api, publish):
    article = publish(title="加密锁", products=[kb.u8])
    path = f"/articles/{article.pk}/vote"
    response = api(kb.customer).post(path, {"helpful": False, "reason": "outdated", "comment": "16.5 界面不同"})
    assert response.status_code == 200 and response.json()["unhelpful_count"] == 1
    response = api(kb.customer).post(path, {"helpful": False, "reason": "bored"})
    assert response.status_code == 422
    assert api(kb.other_customer).post(path, {"helpful": True}).status_code == 200  # Globex runs U8 too


def test_attachments_upload_download_and_scoping(kb, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    engineer = api(kb.engineer)
    created = engineer.post("/articles", {"title": "截图", "body": "见图", "audience": "internal"}).json()
    path = f"/articles/{created['id']}/attachments"
    response = engineer.upload(path, {"file": SimpleUploadedFile("截图.png", PNG, content_type="image/png")})
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["url"].startswith("/knowledge/files/") and item["content_type"] == "image/png"
    bad = engineer.upload(path, {"file": SimpleUploadedFile("a.png", b"MZ\x90\x00", content_type="image/png")})
    assert bad.status_code == 422 and "file" in bad.json()["errors"]
    assert [a["name"] for a in engineer.get(path).json()["items"]] == ["截图.png"]
    download = engineer.get(f"{path}/{item['id']}/download")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    # a customer may not read an internal draft, nor its files, by API or by URL
    assert api(kb.customer).get(f"{path}/{item['id']}/download").status_code == 404
    from django.test import Client

    browser = Client()
    browser.force_login(kb.customer)
    assert browser.get(item["url"]).status_code == 404
    browser.force_login(kb.engineer)
    assert browser.get(item["url"]).status_code == 200
    # an image of our own may be shown in the body; the sanitiser keeps it
    body = json.dumps({"body": f'<p><img src="{item["url"]}" alt="x"></p>'})
    response = engineer.client.patch(f"/api/v1/articles/{created['id']}", body, content_type="application/json")
    assert item["url"] in response.json()["body"]
    assert engineer.delete(f"{path}/{item['id']}").status_code == 204
    assert engineer.get(path).json()["items"] == []


def test_draft_from_ticket_and_links(kb, api, publish, resolved_ticket):
    ticket = resolved_ticket()
    response = api(kb.agent).post(f"/articles/from-ticket/{ticket.pk}")
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["type"] == "troubleshooting" and "王小明" not in draft["symptom"]
    assert api(kb.sh_agent).post(f"/articles/from-ticket/{ticket.pk}").status_code == 404
    assert api(kb.other_partner_agent).post(f"/articles/from-ticket/{ticket.pk}").status_code == 404
    open_ticket = resolved_ticket(phase="open")
    assert api(kb.agent).post(f"/articles/from-ticket/{open_ticket.pk}").status_code == 409
    article = publish(title="凭证模板", products=[kb.u8])
    path = f"/articles/{article.pk}/tickets"
    response = api(kb.agent).post(path, {"ticket_id": ticket.pk})
    assert response.status_code == 201 and response.json()["number"] == ticket.number
    assert api(kb.agent).get(f"/articles/{article.pk}").json()["solved_count"] == 1
    assert [t["ticket_id"] for t in api(kb.agent).get(path).json()["items"]] == [ticket.pk]
    assert api(kb.sh_agent).get(path).json()["items"] == []  # the other branch does not see the Acme ticket
    assert api(kb.sh_agent).post(path, {"ticket_id": ticket.pk}).status_code == 404
    assert api(kb.agent).delete(f"{path}/{ticket.pk}").status_code == 204
    assert api(kb.agent).delete(f"{path}/{ticket.pk}").status_code == 404


def test_leaderboard(kb, api, publish):
    publish(title="一")
    response = api(kb.agent).get("/articles/leaderboard", {"period": "quarter"})
    assert response.status_code == 200
    assert [(r["user"]["id"], r["points"]) for r in response.json()["items"]] == [(kb.engineer.pk, 10),
                                                                                   (kb.reviewer.pk, 3)]
    assert api(kb.customer).get("/articles/leaderboard").status_code == 403
    assert api(kb.agent).get("/articles/leaderboard", {"period": "decade"}).status_code == 422


def test_scoping_of_articles(kb, api, publish):
    public = publish(title="公开文章")
    internal = publish(title="内部文章", audience="internal")
    partners = publish(title="伙伴文章", audience="partners")
    nc_only = publish(title="NC 客户文章", audience="product", products=[kb.nc])
    draft = services.create_article(actor=kb.engineer, title="草稿文章", body="x", audience="public")
    review = services.create_article(actor=kb.engineer, title="审核中文章", body="x", audience="public")
    services.transition_article(actor=kb.engineer, article=review, to="review")
    hidden = {internal.pk, partners.pk, nc_only.pk, draft.pk, review.pk}
    for user in (kb.customer, kb.other_customer):
        seen = {a["id"] for a in api(user).get("/articles").json()["items"]}
        assert seen == {public.pk}
        for pk in hidden:
            assert api(user).get(f"/articles/{pk}").status_code == 404
            assert api(user).post(f"/articles/{pk}/vote", {"helpful": True}).status_code == 404
    for user in (kb.partner_agent, kb.other_partner_agent):
        seen = {a["id"] for a in api(user).get("/articles").json()["items"]}
        assert seen == {public.pk, partners.pk, nc_only.pk}
        for pk in (internal.pk, draft.pk, review.pk):
            assert api(user).get(f"/articles/{pk}").status_code == 404
            assert api(user).get(f"/articles/{pk}/attachments").status_code == 404
        assert api(user).get(f"/articles/{partners.pk}/comments").status_code == 404


def test_list_query_count_does_not_grow_with_rows(kb, api, publish):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api(kb.agent).get("/articles").status_code == 200
        return len(queries)

    count()  # the client's token is made and first used
    publish(title="一", products=[kb.u8], versions=[kb.u8_165])
    few = count()
    for title in ("二", "三", "四", "五"):
        publish(title=title, products=[kb.u8, kb.nc], versions=[kb.u8_165])
    assert count() == few
