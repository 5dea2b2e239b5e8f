"""/api/v1/assist: deflection figures, similar tickets, next questions; scoping."""

import pytest
from django.test import Client

from loopdesk.assist.services import suggest
from loopdesk.assist.training import train_model
from loopdesk.tickets.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def test_deflection_api_needs_the_report_permission_and_is_scoped(world, articles, api):
    suggest(actor=world.customer, title="凭证打印")
    suggest(actor=world.other_customer, title="凭证打印")
    response = api(world.manager).get("/api/v1/assist/deflection?period=month")
    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    assert sum(r["shown"] for r in body["items"]) == 4
    assert {"period", "article_id", "title", "shown", "opened", "deflections", "deflection_rate", "open_rate"} <= set(
        body["items"][0])
    one = api(world.manager).get(f"/api/v1/assist/deflection?article_id={articles['public'].pk}").json()["items"]
    assert {r["article_id"] for r in one} == {articles["public"].pk}
    assert api(world.customer).get("/api/v1/assist/deflection").status_code == 403
    assert api(world.other_partner_agent).get("/api/v1/assist/deflection").status_code == 403
    assert api(world.manager).get("/api/v1/assist/deflection?period=year").status_code == 422


def test_deflection_api_counts_only_visible_customers(world, articles, api):
    suggest(actor=world.other_customer, title="凭证打印")  # globex, served by shanghai
    world.sh_agent.memberships.update(role="manager")  # a branch manager holds REPORT_VIEW
    world.sh_agent = type(world.sh_agent).objects.get(pk=world.sh_agent.pk)
    assert sum(r["shown"] for r in api(world.sh_agent).get("/api/v1/assist/deflection").json()["items"]) == 2
    executive = world.executive  # headquarters: everything
    assert sum(r["shown"] for r in api(executive).get("/api/v1/assist/deflection").json()["items"]) == 2


def test_similar_tickets_are_resolved_visible_and_not_the_ticket_itself(world, articles, make_ticket, api):
    past = make_ticket(title="凭证打印提示340错误", resolve="重新注册打印控件后恢复正常")
    make_ticket(title="凭证打印还没解决")  # open: not offered
    other = make_ticket(title="凭证打印提示340错误", company=world.globex, actor=world.sh_agent,
                        resolve="环球的处理办法")
    current = make_ticket(title="凭证打印提示340没有注册类别", description="客户打印凭证时报错")
    body = api(world.agent).get(f"/api/v1/assist/tickets/{current.pk}/similar").json()
    ids = [t["id"] for t in body["tickets"]]
    assert past.pk in ids and current.pk not in ids and other.pk not in ids  # globex is shanghai's
    row = next(t for t in body["tickets"] if t["id"] == past.pk)
    assert row["resolution"] == "重新注册打印控件后恢复正常" and row["number"] == past.number
    article_ids = {a["id"] for a in body["articles"]}
    assert articles["public"].pk in article_ids and body["query"]
    assert body["next_questions"] == []  # no model trained yet
    # The manager (headquarters) also finds globex's resolved ticket.
    ids = [t["id"] for t in api(world.manager).get(f"/api/v1/assist/tickets/{current.pk}/similar").json()["tickets"]]
    assert other.pk in ids


def test_similar_is_404_outside_the_scope_and_for_staff_only(world, articles, make_ticket, api):
    ticket = make_ticket(title="凭证打印提示340错误")
    url = f"/api/v1/assist/tickets/{ticket.pk}/similar"
    for user in (world.other_customer, world.other_partner_agent, world.sh_agent):
        response = api(user).get(url)
        assert response.status_code == 404 and "tickets" not in response.json()
    assert api(world.customer).get(url).status_code == 403
    assert api(world.agent).get("/api/v1/assist/tickets/999999/similar").status_code == 404


def test_next_questions_api(world, articles, make_ticket, api):
    close = Category.objects.create(name="月末结账", parent=world.finance)
    for _ in range(6):  # printing is always followed by closing
        for company in (world.globex, world.acme):
            make_ticket(company=company, category=world.voucher, actor=world.admin)
            make_ticket(company=company, category=close, title="月末结账", actor=world.admin)
    make_ticket(category=world.voucher)
    train_model()
    url = f"/api/v1/assist/next-questions?company_id={world.acme.pk}&product_id={world.u8.pk}"
    body = api(world.customer).get(url).json()
    assert body["items"][0]["category_id"] == close.pk and body["items"][0]["kind"] == "category"
    assert len(body["items"]) == 2  # only two kinds of events ever happened
    assert api(world.agent).get(url).status_code == 200
    for user in (world.other_customer, world.other_partner_agent, world.sh_agent):
        response = api(user).get(url)
        assert response.status_code == 404 and "items" not in response.json()
    missing = f"/api/v1/assist/next-questions?company_id={world.acme.pk}&product_id=999999"
    assert api(world.agent).get(missing).status_code == 404
    assert api(world.agent).get("/api/v1/assist/next-questions").status_code == 422
