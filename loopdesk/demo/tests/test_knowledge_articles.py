"""The demo knowledge base: published articles of every type, searchable, with votes and rewards."""

from __future__ import annotations

import random

from loopdesk.demo.knowledge_articles import create_knowledge_articles
from loopdesk.knowledge.models import Article, ArticleVote, RewardEntry
from loopdesk.knowledge.search import search


def test_demo_articles(world):
    from loopdesk.accounts.roles import Role
    from loopdesk.accounts.services import create_user
    from loopdesk.assets.services import create_product

    create_user(username="reviewer", password=world.password, memberships=[(world.hq, Role.KNOWLEDGE_REVIEWER)])
    create_product(actor=world.admin, name="用友 NC Cloud", code="NC", versions=["2021", "2023"])
    count = create_knowledge_articles(rng=random.Random(3), per_product=12)
    assert count == 24 == Article.objects.filter(status="published").count()
    assert set(Article.objects.values_list("type", flat=True)) == {
        "howto", "troubleshooting", "faq", "known_error", "announcement"}
    assert ArticleVote.objects.exists()
    assert RewardEntry.objects.filter(reason="authored_published").count() == 24
    assert search(world.agent, "凭证打印模板")
    assert search(world.customer, "加密锁")  # Acme runs U8: its product articles are there for them
