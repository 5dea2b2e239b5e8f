"""The portal's pages: who may open them, what they list, how they render in both languages."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loopdesk.core.caches import clear_all
from loopdesk.customers.services import create_contact
from loopdesk.portal import queries
from loopdesk.tickets import services

pytestmark = pytest.mark.django_db

PORTAL_PAGES = ["portal:home", "portal:new", "portal:new_fields"]


def test_anonymous_is_sent_to_login(client):
    for name in PORTAL_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["agent", "manager", "partner_agent", "admin"])
def test_staff_are_sent_to_their_workspace(world, make_ticket, who):
    ticket = make_ticket()
    client = Client()
    client.force_login(getattr(world, who))
    urls = [reverse(n) for n in PORTAL_PAGES] + [reverse("portal:detail", args=[ticket.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("home"), url
    response = client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "x"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not ticket.comments.exists()


def test_home_lists_every_request_of_the_company_and_only_those(world, contact_client, make_ticket):
    by_agent = make_ticket(title="电话报修：总账无法结账")
    by_contact = make_ticket(title="门户提交：凭证打印", actor=world.customer)
    other = make_ticket(title="环球的请求", company=world.globex)
    body = contact_client.get(reverse("portal:home")).content.decode()
    assert by_agent.number in body and by_contact.number in body
    assert other.number not in body and "环球的请求" not in body
    assert "已提交，待受理" in body  # status in the customer's words


def test_home_filters_open_and_finished(world, contact_client, make_ticket):
    open_one = make_ticket(title="还在处理")
    resolved = make_ticket(title="等待确认")
    services.transition_ticket(actor=world.agent, ticket=resolved, to="resolved", resolution="已处理")
    closed = make_ticket(title="已经结束")
    services.transition_ticket(actor=world.agent, ticket=closed, to="cancelled")
    page = contact_client.get(reverse("portal:home"), {"state": "open"}).content.decode()
    assert open_one.number in page and resolved.number in page  # awaiting confirmation is not finished
    assert closed.number not in page
    page = contact_client.get(reverse("portal:home"), {"state": "finished"}).content.decode()
    assert closed.number in page and open_one.number not in page and resolved.number not in page
    assert queries.counts_of(world.customer) == {"all": 3, "open": 2, "finished": 1}


def test_home_searches_title_and_number(contact_client, make_ticket):
    a = make_ticket(title="工资表导出乱码")
    b = make_ticket(title="凭证打印失败")
    page = contact_client.get(reverse("portal:home"), {"q": "乱码"}).content.decode()
    assert a.number in page and b.number not in page
    page = contact_client.get(reverse("portal:home"), {"q": b.number}).content.decode()
    assert b.number in page and a.number not in page
    page = contact_client.get(reverse("portal:home"), {"q": "不存在的东西"}).content.decode()
    assert "没有与“不存在的东西”匹配的请求" in page


def test_home_htmx_search_returns_only_the_list(contact_client, make_ticket):
    a = make_ticket(title="工资表导出乱码")
    response = contact_client.get(
        reverse("portal:home"), {"q": "工资"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="request-list"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="request-list">') and a.number in body and "<html" not in body


def test_home_pages_by_keyset(contact_client, make_ticket, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    tickets = [make_ticket(title=f"请求{i}") for i in range(5)]
    seen = []
    url, params = reverse("portal:home"), {}
    for _page in range(3):
        response = contact_client.get(url, params)
        page = response.context["page"]
        seen += [t.pk for t in page.rows]
        if not page.next_cursor:
            break
        params = {"after": page.next_cursor}
    assert seen == [t.pk for t in reversed(tickets)]
    # A broken cursor starts from the beginning instead of failing.
    assert contact_client.get(url, {"after": "garbage"}).status_code == 200


def test_other_companies_requests_are_not_found(world, make_ticket):
    ticket = make_ticket()
    client = Client()
    client.force_login(world.other_customer)
    assert client.get(reverse("portal:detail", args=[ticket.pk])).status_code == 404
    for action in ("reply", "confirm", "reopen", "withdraw"):
        response = client.post(reverse(f"portal:{action}", args=[ticket.pk]), {"body": "x", "reason": "y"})
        assert response.status_code == 404, action
    ticket.refresh_from_db()
    assert ticket.status == "new" and not ticket.comments.exists()
    assert ticket.number not in client.get(reverse("portal:home")).content.decode()


def test_contact_of_several_companies_sees_both_and_chooses(world, contact_client, make_ticket):
    create_contact(actor=world.admin, company=world.globex, name="王小明", user=world.customer)
    a = make_ticket(title="示例科技的请求")
    g = make_ticket(title="环球的请求", company=world.globex)
    page = contact_client.get(reverse("portal:home")).content.decode()
    assert a.number in page and g.number in page and world.globex.name in page
    form_page = contact_client.get(reverse("portal:new")).content.decode()
    assert '<select name="company"' in form_page and world.globex.name in form_page


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [("zh-hans", ["我的请求", "提交请求", "处理进度"], ["My requests"]),
     ("en", ["My requests", "Submit a request", "Where it stands"], ["我的请求"])],
)
def test_pages_render_in_both_languages(world, make_ticket, resolved_ticket, language, expected, absent):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.customer)
    pages = [
        client.get(reverse("portal:home")), client.get(reverse("portal:new")),
        client.get(reverse("portal:detail", args=[resolved_ticket.pk])),
    ]
    assert all(p.status_code == 200 for p in pages)
    home, new, detail = (p.content.decode() for p in pages)
    for text in expected:
        assert text in home
    for text in absent:
        assert text not in home
    if language == "zh-hans":
        assert "紧急程度" in new and "确认解决，关闭请求" in detail and "已解决，请确认" in detail
    else:
        assert "How urgent is it?" in new and "Confirm, close it" in detail and "Resolved, please confirm" in detail


def test_language_cookie_switches_the_portal(world, contact_client):
    contact_client.post(reverse("set_language"), {"language": "en", "next": reverse("portal:home")})
    assert "My requests" in contact_client.get(reverse("portal:home")).content.decode()
    contact_client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("portal:home")})
    assert "我的请求" in contact_client.get(reverse("portal:home")).content.decode()


def test_list_and_detail_queries_do_not_grow_with_rows(world, contact_client, make_ticket):
    def count(url):
        clear_all()  # every count from cold per-process caches (the scope is remembered for seconds)
        with CaptureQueriesContext(connection) as ctx:
            assert contact_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = make_ticket()
    services.add_comment(actor=world.agent, ticket=first, body="一")
    few_list, few_detail = count(reverse("portal:home")), count(reverse("portal:detail", args=[first.pk]))
    for i in range(8):
        make_ticket(title=f"又一个请求{i}")
        services.add_comment(actor=world.agent, ticket=first, body=f"回复{i}")
        services.add_comment(actor=world.customer, ticket=first, body=f"客户回复{i}")
    assert count(reverse("portal:home")) == few_list
    assert count(reverse("portal:detail", args=[first.pk])) == few_detail
