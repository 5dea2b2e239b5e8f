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
