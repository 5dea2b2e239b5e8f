"""The agent workspace pages: queue, new ticket, the ticket page, languages and scoping."""

import importlib

import pytest
from django.urls import reverse

from loopdesk.core.models import CustomField
from loopdesk.tickets import services
from loopdesk.tickets.choices import Status
from loopdesk.tickets.models import Ticket

HX = {"HTTP_HX_REQUEST": "true"}


def new_ticket(w, actor=None, company=None, **kw):
    kw.setdefault("title", "凭证打印不出来")
    kw.setdefault("description", "打印凭证时提示 340 没有注册类别")
    return services.create_ticket(actor=actor or w.agent, company=company or w.acme, **kw)


def numbers(response) -> set[str]:
    return {t["number"] for t in response.context["rows"]}


@pytest.fixture
def agent_client(client, world):
    client.force_login(world.agent)
    return client


# --- queue --------------------------------------------------------------------------------------

def test_queue_tabs_and_counts(agent_client, world):
    mine = new_ticket(world, assignee=world.agent)
    grouped = new_ticket(world, group=world.group, assignee=world.engineer)
    loose = new_ticket(world)
    closed = new_ticket(world, assignee=world.agent)
    services.transition_ticket(actor=world.agent, ticket=closed, to=Status.CANCELLED)
    new_ticket(world, actor=world.sh_agent, company=world.globex)  # another branch: never shown

    r = agent_client.get(reverse("tickets:queue"))
    assert r.status_code == 200
    assert numbers(r) == {mine.number, grouped.number, loose.number}
    assert dict((code, n) for code, _label, n in r.context["tabs"]) == {
        "mine": 1, "groups": 1, "unassigned": 1, "all": 3,
    }
    html = r.content.decode()
    assert f'tr data-ticket-number="{mine.number}"' in html
    assert reverse("tickets:detail", args=[mine.pk]) in html
    assert numbers(agent_client.get(reverse("tickets:queue"), {"tab": "mine"})) == {mine.number}
    assert numbers(agent_client.get(reverse("tickets:queue"), {"tab": "groups"})) == {grouped.number}
    assert numbers(agent_client.get(reverse("tickets:queue"), {"tab": "unassigned"})) == {loose.number}
    assert numbers(agent_client.get(reverse("tickets:queue"), {"tab": "mine", "status": "all"})) == {
        mine.number, closed.number,
    }


def test_queue_filters(agent_client, world):
    CustomField.objects.create(target="ticket", key="region", label="区域")
    CustomField.objects.create(target="ticket", key="users", label="用户数", kind=CustomField.Kind.NUMBER)
    a = new_ticket(world, title="总账凭证打印", type="problem", impact=1, urgency=1, category=world.voucher,
                   channel="phone", custom_fields={"region": "华北", "users": 12})
    b = new_ticket(world, title="工资条导出", type="incident", channel="email", group=world.group)
    url = reverse("tickets:queue")
    assert numbers(agent_client.get(url, {"q": "凭证"})) == {a.number}
    assert numbers(agent_client.get(url, {"q": b.number})) == {b.number}
    assert numbers(agent_client.get(url, {"type": "problem"})) == {a.number}
    assert numbers(agent_client.get(url, {"priority": "1"})) == {a.number}
    assert numbers(agent_client.get(url, {"category": world.finance.pk})) == {a.number}  # subtree
    assert numbers(agent_client.get(url, {"channel": "email"})) == {b.number}
    assert numbers(agent_client.get(url, {"group": world.group.pk})) == {b.number}
    assert numbers(agent_client.get(url, {"assignee": "none"})) == {a.number, b.number}
    assert numbers(agent_client.get(url, {"customer": world.acme.pk})) == {a.number, b.number}
    assert numbers(agent_client.get(url, {"customer": world.globex.pk})) == set()
    assert numbers(agent_client.get(url, {"cf": "region=华北"})) == {a.number}
    assert numbers(agent_client.get(url, {"cf": "users=12"})) == {a.number}
    assert numbers(agent_client.get(url, {"status": "new"})) == {a.number, b.number}
    assert numbers(agent_client.get(url, {"status": "resolved"})) == set()
    # Bad values are ignored rather than failing the page.
    assert numbers(agent_client.get(url, {"cf": "region__regex=.*"})) == {a.number, b.number}  # ignored
    r = agent_client.get(url, {"priority": "x", "cf": "no equals", "cursor": "garbage", "sort": "?"})
    assert r.status_code == 200 and numbers(r) == {a.number, b.number}


def test_queue_sort_and_keyset_pagination(agent_client, world, monkeypatch):
    monkeypatch.setattr(importlib.import_module("loopdesk.tickets.views.queue"), "PAGE_SIZE", 3)
    tickets = [new_ticket(world, title=f"工单 {i}", impact=1 + i % 3, urgency=1 + i % 3) for i in range(7)]
    url = reverse("tickets:queue")
    for sort in ("updated", "created", "priority"):
        seen, cursor = [], ""
        while True:
            r = agent_client.get(url, {"sort": sort, "cursor": cursor})
            seen += [t["number"] for t in r.context["rows"]]
            cursor = r.context["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 7, sort
        if sort == "priority":
            by_number = {t.number: t for t in tickets}
            prios = [by_number[n].priority for n in seen]
            assert prios == sorted(prios)
        else:
            assert seen == [t.number for t in reversed(tickets)]
    # "Load more" over htmx returns only the next rows.
    r = agent_client.get(url, {"cursor": agent_client.get(url).context["next_cursor"]},
                         HTTP_HX_TARGET="load-more-row", **HX)
    assert "<table" not in r.content.decode() and "data-ticket-number" in r.content.decode()


def test_queue_counts_are_capped(agent_client, world, monkeypatch):
    monkeypatch.setattr(importlib.import_module("loopdesk.tickets.views.queue"), "COUNT_CAP", 2)
    for _ in range(3):
        new_ticket(world)
    r = agent_client.get(reverse("tickets:queue"))
    assert dict((code, n) for code, _label, n in r.context["tabs"])["all"] == 2
    assert 'data-tab="all"' in r.content.decode() and ">2+</span>" in r.content.decode()
    assert len(r.context["rows"]) == 3  # the cap limits the count, never the rows


def test_queue_htmx_fragment_and_full_page(agent_client, world):
    t = new_ticket(world)
    url = reverse("tickets:queue")
    fragment = agent_client.get(url, {"tab": "all"}, HTTP_HX_TARGET="queue-results", **HX).content.decode()
    assert fragment.lstrip().startswith("<div id=\"queue-results\">") and "<html" not in fragment
    assert t.number in fragment
    full = agent_client.get(url).content.decode()
    assert "<html" in full and 'id="queue-filters"' in full
    # htmx restoring its history cache asks for the whole page.
    restored = agent_client.get(url, HTTP_HX_HISTORY_RESTORE_REQUEST="true", HTTP_HX_TARGET="queue-results", **HX)
    assert "<html" in restored.content.decode()


def test_queue_scoping(client, world):
    bj = new_ticket(world)
    sh = new_ticket(world, actor=world.sh_agent, company=world.globex)
    client.force_login(world.manager)
    assert numbers(client.get(reverse("tickets:queue"))) == {bj.number, sh.number}
    client.force_login(world.partner_agent)
    assert numbers(client.get(reverse("tickets:queue"))) == set()
    services.assign_ticket(actor=world.agent, ticket=bj, partner=world.partner)
    assert numbers(client.get(reverse("tickets:queue"))) == {bj.number}
    client.force_login(world.customer)  # customers use the portal
    r = client.get(reverse("tickets:queue"))
    assert r.status_code == 302 and r["Location"] == reverse("portal:home")


def test_queue_query_count_is_fixed(agent_client, world, django_assert_max_num_queries):
    for i in range(30):
        new_ticket(world, title=f"工单 {i}", group=world.group, assignee=world.engineer, category=world.voucher,
                   contact=world.acme_contact)
    # Baseline: session, user, roles, memberships, contacts, org subtree (auth and scope), my group
    # ids, the rows, the four tab counts (one statement), category and group choices.
    with django_assert_max_num_queries(11):
        r = agent_client.get(reverse("tickets:queue"))
    assert len(r.context["rows"]) == 30


def test_anonymous_is_sent_to_login(client, world):
    r = client.get(reverse("tickets:queue"))
    assert r.status_code == 302 and reverse("login") in r["Location"]


# --- languages ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("lang", "words"), [("zh-hans", ["工单队列", "处理人", "全部"]), ("en", ["Ticket queues", "Assignee"])])
def test_pages_render_in_both_languages(agent_client, world, lang, words):
    t = new_ticket(world)
    agent_client.cookies["django_language"] = lang
    html = agent_client.get(reverse("tickets:queue")).content.decode()
    for word in words:
        assert word in html
    page = agent_client.get(reverse("tickets:detail", args=[t.pk])).content.decode()
    assert ("回复" if lang == "zh-hans" else "Reply") in page
    assert ("历史" if lang == "zh-hans" else "History") in page


# --- new ticket ---------------------------------------------------------------------------------

def test_new_ticket_customer_picker(agent_client, world):
    url = reverse("tickets:new")
    r = agent_client.get(url, {"find": "88886666"})  # a contact's phone
    assert [c.pk for c in r.context["found"]] == [world.acme.pk]
    r = agent_client.get(url, {"find": "环球"})  # Shanghai's customer is not in the agent's scope
    assert r.context["found"] == []
    r = agent_client.get(url, {"company": world.globex.pk})
    assert "form" not in r.context  # an invisible company cannot be chosen


def test_new_ticket_creates_and_redirects(agent_client, world):
    CustomField.objects.create(target="ticket", ticket_type="incident", key="module", label="模块", required=True)
    url = reverse("tickets:new")
    r = agent_client.get(url, {"company": world.acme.pk})
    assert r.status_code == 200 and "cf_module" in r.context["form"].fields
    data = {
        "company": world.acme.pk, "title": "电话报修：凭证打印", "description": "客户来电", "type": "incident",
        "category": world.voucher.pk, "impact": 1, "urgency": 2, "priority": "", "channel": "phone",
        "contact": world.acme_contact.pk, "asset": world.acme_asset.pk, "group": world.group.pk,
        "assignee": world.engineer.pk, "cf_module": "总账",
    }
    r = agent_client.post(url, data)
    t = Ticket.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("tickets:detail", args=[t.pk])
    assert (t.priority, t.channel, t.contact, t.asset, t.assignee, t.custom_fields) == (
        2, "phone", world.acme_contact, world.acme_asset, world.engineer, {"module": "总账"},
    )
    data |= {"priority": "4"}
    agent_client.post(url, data)
    assert Ticket.objects.latest("id").priority == 4  # overridden


def test_new_ticket_errors_change_nothing(agent_client, world):
    CustomField.objects.create(target="ticket", key="module", label="模块", required=True)
    r = agent_client.post(reverse("tickets:new"), {
        "company": world.acme.pk, "title": "x", "description": "y", "type": "incident", "impact": 2,
        "urgency": 2, "channel": "phone", "asset": world.globex_asset.pk,
    })
    assert r.status_code == 422 and Ticket.objects.count() == 0
    assert "asset" in r.context["form"].errors  # not this customer's asset
    r = agent_client.post(reverse("tickets:new"), {
        "company": world.acme.pk, "title": "x", "description": "y", "type": "incident", "impact": 2,
        "urgency": 2, "channel": "phone",
    })
    assert r.status_code == 422 and "cf_module" in r.context["form"].errors
    assert Ticket.objects.count() == 0


def test_new_ticket_type_change_refreshes_custom_fields(agent_client, world):
    CustomField.objects.create(target="ticket", ticket_type="complaint", key="severity", label="严重度")
    r = agent_client.get(reverse("tickets:new"), {"company": world.acme.pk, "type": "complaint", "title": "留着"}, **HX)
    assert "cf_severity" in r.context["form"].fields
    assert 'value="留着"' in r.content.decode()


def test_partner_agent_may_not_create(client, world):
    client.force_login(world.partner_agent)
    assert client.get(reverse("tickets:new")).status_code == 403


# --- ticket page --------------------------------------------------------------------------------

def test_detail_shows_everything_with_stable_selectors(agent_client, world):
    t = new_ticket(world, contact=world.acme_contact, asset=world.acme_asset)
    services.add_comment(actor=world.agent, ticket=t, body="内部：疑似病毒", internal=True)
    services.add_comment(actor=world.agent, ticket=t, body="请重启试试")
    r = agent_client.get(reverse("tickets:detail", args=[t.pk]))
    html = r.content.decode()
    assert 'id="ticket-status"' in html and 'data-status="new"' in html
    assert 'form id="reply-form"' in html and 'name="body"' in html and 'name="internal"' in html
    assert 'id="reply-submit"' in html and 'form id="transition-form"' in html
    for code in ("accepted", "in_progress", "resolved", "cancelled"):
        assert f'data-transition="{code}"' in html
    assert 'name="resolution"' in html and 'id="timeline"' in html
    assert "内部：疑似病毒" in html and "请重启试试" in html and world.acme_contact.name in html
    assert html.count('class="entry-comment internal"') == 1  # the internal note is visibly marked
    kinds = [e.kind for e in r.context["timeline"]]
    assert kinds == ["event", "comment", "comment"]
    assert [e.internal for e in r.context["timeline"]] == [False, True, False]


def test_detail_query_count_is_fixed(agent_client, world, django_assert_max_num_queries):
    from loopdesk.customers.services import create_contact

    contacts = [create_contact(actor=world.admin, company=world.acme, name=f"联系人{i}") for i in range(5)]
    t = new_ticket(world, contact=world.acme_contact, asset=world.acme_asset, category=world.voucher)
    other = new_ticket(world)
    for i in range(10):
        services.add_comment(actor=world.agent, ticket=t, body=f"回复 {i}", internal=bool(i % 2))
        services.update_ticket(actor=world.agent, ticket=t, impact=1 + i % 3, category=world.finance,
                               contact=contacts[i % 5], asset=None if i % 2 else world.acme_asset)
        services.assign_ticket(actor=world.agent, ticket=t, group=world.group,
                               assignee=world.engineer if i % 2 else world.agent,
                               partner=world.partner if i % 2 else None)
    services.link_tickets(actor=world.agent, source=t, target=other, kind="related")
    # Baseline: auth and scope (5), ticket and its related lookups (Ticket.with_related), watching, events, comments, attachments, names of changed
    # objects (one query per kind: category, contact, asset, group, user, organisation), links, custom
    # field labels and the choices of the assign and edit forms. Fixed whatever the history's length.
    with django_assert_max_num_queries(32):
        r = agent_client.get(reverse("tickets:detail", args=[t.pk]))
    assert r.status_code == 200 and len(r.context["timeline"]) > 30


def test_customer_is_sent_to_portal_and_outsiders_get_404(client, world):
    t = new_ticket(world)
    client.force_login(world.customer)
    r = client.get(reverse("tickets:detail", args=[t.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("portal:detail", args=[t.pk])
    for user in (world.other_customer, world.other_partner_agent, world.sh_agent):
        client.force_login(user)
        assert client.get(reverse("tickets:detail", args=[t.pk])).status_code == 404
    client.force_login(world.agent)
    assert client.get(reverse("tickets:detail", args=[999999])).status_code == 404


def test_edit_form_loads_when_opened(agent_client, world, client):
    t = services.create_ticket(actor=world.agent, company=world.acme, title="凭证", description="d")
    page = agent_client.get(reverse("tickets:detail", args=[t.pk])).content.decode()
    assert 'id="edit-form"' not in page and reverse("tickets:edit_panel", args=[t.pk]) in page
    panel = agent_client.get(reverse("tickets:edit_panel", args=[t.pk]), HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and 'id="edit-form"' in panel.content.decode()
    assert "<details open" in panel.content.decode()
    assert 'id="edit-form"' in agent_client.get(reverse("tickets:detail", args=[t.pk]) + "?edit=1").content.decode()
    client.force_login(world.sh_agent)
    assert client.get(reverse("tickets:edit_panel", args=[t.pk])).status_code == 404
