"""The staff knowledge pages and the ticket panel, through the browser's requests."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from loopdesk.knowledge import services
from loopdesk.knowledge.models import Article, ArticleFlag, ArticleTicket, ArticleVote


@pytest.fixture
def browser(kb):
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def test_list_search_and_queues(kb, browser, publish):
    article = publish(title="U8凭证打印模板缺失", products=[kb.u8], category=kb.voucher)
    services.flag_article(actor=kb.agent, article=article, note="旧界面")
    draft = services.create_article(actor=kb.agent, title="待写的说明", body="x")
    agent = browser(kb.agent)
    page = agent.get(reverse("knowledge:list")).content.decode()
    assert "U8凭证打印模板缺失" in page and "待写的说明" in page and "kb-flag" in page
    page = agent.get(reverse("knowledge:list"), {"q": "凭证打印", "product": kb.u8.pk}).content.decode()
    assert "<mark>凭证打印</mark>" in page and "待写的说明" not in page
    page = agent.get(reverse("knowledge:list"), {"view": "mine"}).content.decode()
    assert "待写的说明" in page and "U8凭证打印模板缺失" not in page
    page = agent.get(reverse("knowledge:list"), {"view": "flagged"}).content.decode()
    assert "U8凭证打印模板缺失" in page and "待写的说明" not in page
    services.transition_article(actor=kb.agent, article=draft, to="review")
    page = browser(kb.reviewer).get(reverse("knowledge:list"), {"view": "review"}).content.decode()
    assert "待写的说明" in page
    assert browser(kb.customer).get(reverse("knowledge:list")).status_code in (302, 404)


def test_write_submit_publish_vote_in_the_browser(kb, browser):
    agent, reviewer = browser(kb.agent), browser(kb.reviewer)
    response = agent.post(reverse("knowledge:new"), {
        "title": "加密锁找不到", "type": "troubleshooting", "audience": "public",
        "symptom": "<p>登录提示<b>找不到加密锁</b><script>x</script></p>", "resolution": "<ol><li>重装驱动</li></ol>",
        "products": [kb.u8.pk], "versions": [kb.u8_165.pk], "tags": "加密锁，驱动"})
    article = Article.objects.get()
    assert response.status_code == 302 and article.tags == ["加密锁", "驱动"] and "script" not in article.symptom
    page = agent.get(reverse("knowledge:detail", args=[article.pk])).content.decode()
    assert "<b>找不到加密锁</b>" in page and 'data-to="review"' in page
    bad = agent.post(reverse("knowledge:new"), {"title": "", "type": "howto", "audience": "public"})
    assert bad.status_code == 200 and Article.objects.count() == 1
    agent.post(reverse("knowledge:transition", args=[article.pk]), {"to": "review", "reviewer": kb.reviewer.pk})
    reviewer.post(reverse("knowledge:comment", args=[article.pk]), {"body": "写得好"})
    reviewer.post(reverse("knowledge:transition", args=[article.pk]), {"to": "published", "note": "通过"})
    article.refresh_from_db()
    assert article.status == "published" and article.comments.count() == 2
    browser(kb.engineer).post(reverse("knowledge:vote", args=[article.pk]),
                              {"helpful": "0", "reason": "unclear", "comment": "没有截图"})
    vote = ArticleVote.objects.get(article=article)
    assert (vote.helpful, vote.reason, vote.comment) == (False, "unclear", "没有截图")
    page = reviewer.get(reverse("knowledge:detail", args=[article.pk])).content.decode()
    assert "没有截图" in page
    # the author may no longer edit it; the reviewer may, and sees the diff
    assert agent.get(reverse("knowledge:edit", args=[article.pk])).status_code == 302
    form = reviewer.get(reverse("knowledge:edit", args=[article.pk]))
    assert form.status_code == 200
    reviewer.post(reverse("knowledge:edit", args=[article.pk]), {
        "title": "加密锁找不到（16.5）", "type": "troubleshooting", "audience": "public",
        "symptom": article.symptom, "resolution": "<ol><li>重装驱动</li><li>重启服务</li></ol>",
        "products": [kb.u8.pk], "versions": [kb.u8_165.pk], "tags": "加密锁"})
    page = reviewer.get(reverse("knowledge:diff", args=[article.pk]), {"a": 1, "b": 2}).content.decode()
    assert "重启服务" in page and "diff_add" in page
    reviewer.post(reverse("knowledge:flag", args=[article.pk]), {"note": "补丁已发布"})
    assert ArticleFlag.objects.filter(article=article, cleared_at=None).count() == 1
    page = reviewer.get(reverse("knowledge:leaderboard"), {"period": "all"}).content.decode()
    assert "agent" in page and "10" in page


def test_ticket_panel_draft_and_link(kb, browser, publish, resolved_ticket):
    ticket = resolved_ticket()
    article = publish(title="凭证打印模板缺失", products=[kb.u8])
    agent = browser(kb.agent)
    panel = agent.get(reverse("knowledge:ticket_panel", args=[ticket.pk])).content.decode()
    assert panel.startswith("<h2>") and "kb-draft-from-ticket" in panel
    panel = agent.get(reverse("knowledge:ticket_panel", args=[ticket.pk]), {"q": "凭证打印"}).content.decode()
    assert f'"article": "{article.pk}"' in panel
    panel = agent.post(reverse("knowledge:ticket_link", args=[ticket.pk]), {"article": article.pk},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "凭证打印模板缺失" in panel and ArticleTicket.objects.filter(ticket=ticket, kind="solved").exists()
    response = agent.post(reverse("knowledge:ticket_draft", args=[ticket.pk]), HTTP_HX_REQUEST="true")
    draft = Article.objects.get(source_ticket=ticket)
    assert response.headers["HX-Redirect"] == reverse("knowledge:edit", args=[draft.pk])
    assert browser(kb.sh_agent).get(reverse("knowledge:ticket_panel", args=[ticket.pk])).status_code == 404
    open_ticket = resolved_ticket(phase="open")
    panel = agent.get(reverse("knowledge:ticket_panel", args=[open_ticket.pk])).content.decode()
    assert "kb-draft-from-ticket" not in panel
