import pytest
from django.test import Client

from loopdesk.tickets import services


@pytest.fixture
def contact_client(world):
    """A test client signed in as world.customer (contact of world.acme), Chinese UI."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.customer)
    return client


@pytest.fixture
def make_ticket(world):
    """Create a ticket of world.acme through the service (as the agent unless told otherwise)."""

    def make(title="凭证打印不出来", actor=None, company=None, **kw):
        return services.create_ticket(
            actor=actor or world.agent, company=company or world.acme, title=title,
            description=kw.pop("description", "打印凭证时提示 340 没有注册类别"), **kw,
        )

    return make


@pytest.fixture
def resolved_ticket(world, make_ticket):
    t = make_ticket()
    return services.transition_ticket(actor=world.agent, ticket=t, to="resolved", resolution="重新注册打印控件后恢复正常")
