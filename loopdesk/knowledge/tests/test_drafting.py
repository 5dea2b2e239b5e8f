"""Drafting an article from a resolved ticket (customer data stripped), ticket links and the solved count."""

from __future__ import annotations

import pytest
from django.utils import translation

from loopdesk.core.errors import Conflict, Forbidden, NotFound
from loopdesk.knowledge import rewards, services
from loopdesk.knowledge.drafting import strip_customer_data
from loopdesk.knowledge.models import Article, ArticleTicket
from loopdesk.tickets.services import add_comment


def test_strip_customer_data(kb, resolved_ticket):
    ticket = resolved_ticket()
    text = (f"工单{ticket.number}和2026010200042：北京示例科技有限公司(北京示例科技)的王小明，手机139 1234 5678、"
            "+86 13800138000，座机010-88886666转8，(021)62345678，400-810-0000，邮箱 wang@acme.example、"
            "boss@other.example.cn，服务器 192.168.1.20 与 fe80:0:0:0:1:2:3:4。U8 16.5 补丁 0x80004005 保留。")
    with translation.override("en"):
        clean = strip_customer_data(text, ticket)
    for secret in (ticket.number, "2026010200042", "北京示例科技", "王小明", "139 1234 5678", "13800138000",
                   "88886666", "62345678", "810-0000", "wang@", "boss@", "192.168", "fe80"):
        assert secret not in clean, secret
    assert "U8 16.5 补丁 0x80004005 保留" in clean
    assert clean.count("[customer]") == 2 and "[contact]" in clean and "[e-mail]" in clean
    assert "[IP address]" in clean and "[ticket]" in clean and "[phone]" in clean
    assert strip_customer_data("", ticket) == ""


def test_draft_from_a_resolved_ticket(kb, resolved_ticket):
    ticket = resolved_ticket()
    add_comment(actor=kb.customer, ticket=ticket, body="谢谢，我是王小明")
    add_comment(actor=kb.engineer, ticket=ticket, body="请在系统管理中导入模板文件 voucher.rpt，联系 13912345678。")
    add_comment(actor=kb.engineer, ticket=ticket, body="内部：客户很急", internal=True)
    add_comment(actor=kb.customer, ticket=ticket, body="好的")
    article = services.draft_from_ticket(actor=kb.agent, ticket=ticket)
    assert (article.status, article.type, article.audience, article.author) == ("draft", "troubleshooting",
                                                                                "internal", kb.agent)
    assert article.title == ticket.title
    assert "打印凭证时报错" in article.symptom and "王小明" not in article.symptom
    assert "13912345678" not in article.symptom and "192.168.1.20" not in article.symptom
    assert "北京示例科技" not in article.symptom
    assert "重新导入凭证打印模板后恢复" in article.resolution and "voucher.rpt" in article.resolution
    assert "内部" not in article.resolution and "13912345678" not in article.resolution
    assert list(article.products.all()) == [kb.u8] and list(article.versions.all()) == [kb.u8_165]
    assert article.category == kb.voucher and article.source_ticket == ticket
    assert ArticleTicket.objects.filter(article=article, ticket=ticket, kind="source").exists()


def test_only_resolved_tickets_the_author_can_see(kb, resolved_ticket):
    with pytest.raises(Conflict):
        services.draft_from_ticket(actor=kb.agent, ticket=resolved_ticket(phase="working"))
    ticket = resolved_ticket()
    with pytest.raises(NotFound):  # another branch's agent cannot see an Acme ticket
        services.draft_from_ticket(actor=kb.sh_agent, ticket=ticket)
    with pytest.raises(Forbidden):
        services.draft_from_ticket(actor=kb.partner_agent, ticket=ticket)
    assert not Article.objects.exists()


def test_solved_links_count_once_and_pay_the_author(kb, publish, resolved_ticket):
    article = publish(title="凭证打印模板缺失", products=[kb.u8])
    one, two = resolved_ticket(), resolved_ticket()
    services.link_ticket(actor=kb.agent, article=article, ticket=one)
    services.link_ticket(actor=kb.agent, article=article, ticket=one)  # again: no change
    services.link_ticket(actor=kb.agent, article=article, ticket=two)
    article.refresh_from_db()
    assert article.solved_count == 2 and rewards.points_of(kb.engineer) == 10 + 2 * 2
    assert services.unlink_ticket(actor=kb.agent, article=article, ticket=one)
    assert not services.unlink_ticket(actor=kb.agent, article=article, ticket=one)
    article.refresh_from_db()
    assert article.solved_count == 1 and rewards.points_of(kb.engineer) == 12
    with pytest.raises(NotFound):
        services.link_ticket(actor=kb.sh_agent, article=article, ticket=two)
    draft = services.create_article(actor=kb.agent, title="草稿", body="x")
    with pytest.raises(NotFound):  # only a published article solves tickets
        services.link_ticket(actor=kb.agent, article=draft, ticket=two)
