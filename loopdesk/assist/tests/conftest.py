"""Fixtures for assist: published articles of every audience, and resolved, indexed tickets."""

from __future__ import annotations

import pytest
from django.test import Client

from loopdesk.knowledge import services as kb
from loopdesk.knowledge.index import index_ticket, refresh_dictionary
from loopdesk.tickets import services as tickets


@pytest.fixture
def publish(world):
    """publish(title=…, audience=…, …) → a published article (written by the engineer, approved by the admin)."""
    refresh_dictionary(force=True)

    def make(title, **values):
        values.setdefault("type", "howto")
        values.setdefault("audience", "public")
        values.setdefault("body", title)
        article = kb.create_article(actor=world.engineer, title=title, **values)
        kb.transition_article(actor=world.engineer, article=article, to="review")
        return kb.transition_article(actor=world.admin, article=article, to="published")

    return make


@pytest.fixture
def articles(world, publish):
    """One printing article per audience (public, product U8, partners, internal)."""
    return {
        "public": publish("凭证打印提示340没有注册类别", body="打印凭证时提示 340 没有注册类别，重新注册打印控件即可。"),
        "product": publish("U8 凭证打印格式错乱怎么办", audience="product", products=[world.u8],
                           body="U8 凭证打印格式错乱时，调整打印模板的纸张设置。"),
        "partners": publish("伙伴内部：凭证打印控件批量注册脚本", audience="partners", body="凭证打印控件批量注册脚本说明"),
        "internal": publish("内部：凭证打印问题的二线排查步骤", audience="internal", body="凭证打印问题二线排查"),
    }


@pytest.fixture
def make_ticket(world):
    def make(title="凭证打印不出来", company=None, actor=None, resolve=None, category=None, **kw):
        ticket = tickets.create_ticket(
            actor=actor or world.agent, company=company or world.acme, title=title,
            description=kw.pop("description", "打印凭证时提示 340 没有注册类别"), category=category, **kw,
        )
        if resolve:
            ticket = tickets.transition_ticket(actor=world.agent, ticket=ticket, to="resolved", resolution=resolve)
        index_ticket(ticket)
        return ticket

    return make


@pytest.fixture
def login(world):
    def make(user):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        return client

    return make
