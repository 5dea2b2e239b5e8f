"""The staff pages: the ticket's assist panel, the deflection figures, opening an article."""

import pytest
from django.urls import reverse

from loopdesk.assist.models import ArticleView
from loopdesk.assist.services import suggest
from loopdesk.tickets.panels import panels

pytestmark = pytest.mark.django_db


def test_the_panel_is_registered_in_the_main_column():
    panel = next(p for p in panels("main") if p.key == "assist")
    assert panel.url_name == "assist:ticket_panel" and panel.order == 20 and panel.staff_only


def test_ticket_panel_shows_similar_resolved_tickets_and_articles(world, articles, make_ticket, login):
    past = make_ticket(title="凭证打印提示340错误", resolve="重新注册打印控件后恢复正常")
    current = make_ticket(title="凭证打印提示340没有注册类别")
    response = login(world.agent).get(reverse("assist:ticket_panel", args=[current.pk]))
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith("<h2>")
    assert past.number in body and "重新注册打印控件后恢复正常" in body
    assert f'data-article="{articles["public"].pk}"' in body
    assert f'data-ticket="{current.pk}"' not in body
    # The whole ticket page loads the panel.
    page = login(world.agent).get(reverse("tickets:detail", args=[current.pk])).content.decode()
    assert reverse("assist:ticket_panel", args=[current.pk]) in page


def test_ticket_panel_is_404_outside_the_scope(world, make_ticket, login):
    ticket = make_ticket()
    assert login(world.sh_agent).get(reverse("assist:ticket_panel", args=[ticket.pk])).status_code == 404
    assert login(world.other_partner_agent).get(reverse("assist:ticket_panel", args=[ticket.pk])).status_code == 404
    # A contact is sent to the portal.
    assert login(world.customer).get(reverse("assist:ticket_panel", args=[ticket.pk])).status_code == 302


def test_opening_an_article_from_the_panel_records_an_agent_view(world, articles, make_ticket, login):
    ticket = make_ticket()
    url = reverse("assist:open_article", args=[articles["internal"].pk]) + f"?ticket={ticket.pk}"
    response = login(world.agent).get(url)
    assert response.status_code in (200, 302)
    view = ArticleView.objects.get()
    assert (view.source, view.company, view.user, view.article) == ("agent", world.acme, world.agent, articles["internal"])
    # An article the user may not read is 404, and nothing is recorded.
    assert login(world.partner_agent).get(
        reverse("assist:open_article", args=[articles["internal"].pk])).status_code == 404
    assert ArticleView.objects.count() == 1


def test_deflection_page(world, articles, login):
    suggest(actor=world.customer, title="凭证打印")
    response = login(world.manager).get(reverse("assist:deflection") + "?period=day")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="deflection-table"' in body
    assert articles["public"].title in body and articles["internal"].title not in body
    assert "展示" in body or "Shown" in body
    assert login(world.agent).get(reverse("assist:deflection")).status_code == 403  # agents hold no REPORT_VIEW
    assert login(world.customer).get(reverse("assist:deflection")).status_code == 302
