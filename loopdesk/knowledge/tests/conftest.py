"""Fixtures for the knowledge tests: a reviewer, products NC and T+, and a helper that publishes."""

from __future__ import annotations

import pytest

from loopdesk.accounts.roles import Role
from loopdesk.accounts.services import create_user
from loopdesk.assets.services import create_product
from loopdesk.core.testing import PASSWORD
from loopdesk.knowledge import services
from loopdesk.knowledge.index import refresh_dictionary


@pytest.fixture
def kb(world):
    """The world plus a knowledge reviewer and the NC and T+ products."""
    world.reviewer = create_user(username="reviewer", password=PASSWORD, display_name="审核员",
                                 memberships=[(world.hq, Role.KNOWLEDGE_REVIEWER)])
    world.nc = create_product(actor=world.admin, name="NC", code="NC", versions=["6.5"])
    world.tplus = create_product(actor=world.admin, name="畅捷通T+", code="T+", versions=["12.3"])
    refresh_dictionary(force=True)
    return world


@pytest.fixture
def publish(kb):
    """publish(title=…, …) → a published article written by the engineer, approved by the reviewer."""

    def make(**values):
        values.setdefault("type", "howto")
        values.setdefault("audience", "public")
        if values["type"] == "howto" and "body" not in values:
            values["body"] = values["title"]
        article = services.create_article(actor=kb.engineer, **values)
        services.transition_article(actor=kb.engineer, article=article, to="review")
        return services.transition_article(actor=kb.reviewer, article=article, to="published")

    return make


@pytest.fixture
def resolved_ticket(kb):
    """resolved_ticket(**fields) → an Acme ticket (U8 16.5 asset, category 凭证打印) in status resolved.

    The ticket is created through the ticket service; the status is then set directly, because what
    is tested here is knowledge, not the ticket workflow (which has its own tests)."""
    from loopdesk.tickets.models import Ticket
    from loopdesk.tickets.services import create_ticket

    def make(**fields):
        fields.setdefault("title", "U8凭证打印提示缺少打印模板")
        fields.setdefault("description", "客户王小明(电话 13912345678, wang@acme.example)反映：北京示例科技有限公司财务部"
                                         "打印凭证时报错，服务器 192.168.1.20。")
        resolution = fields.pop("resolution", "重新导入凭证打印模板后恢复。")
        phase = fields.pop("phase", "resolved")
        ticket = create_ticket(actor=kb.agent, company=kb.acme, contact=kb.acme_contact, asset=kb.acme_asset,
                               category=kb.voucher, **fields)
        Ticket.objects.filter(pk=ticket.pk).update(status=phase, phase=phase, is_open=phase not in ("resolved", "closed"),
                                                   resolution=resolution)
        ticket.refresh_from_db()
        return ticket

    return make


class Api:
    """Django's test client speaking JSON to the real /api/v1/ with a bearer token."""

    def __init__(self, user):
        from django.test import Client

        from loopdesk.accounts.services import issue_token

        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user=user)}")

    def get(self, path, params=None):
        return self.client.get("/api/v1" + path, params or {})

    def post(self, path, data=None, **extra):
        import json

        return self.client.post("/api/v1" + path, json.dumps(data or {}), content_type="application/json", **extra)

    def delete(self, path):
        return self.client.delete("/api/v1" + path)

    def upload(self, path, files):
        return self.client.post("/api/v1" + path, files)


@pytest.fixture
def api(kb):
    """api(user) → a JSON client of /api/v1 as that user."""
    cache = {}

    def make(user):
        if user.pk not in cache:
            cache[user.pk] = Api(user)
        return cache[user.pk]

    return make
