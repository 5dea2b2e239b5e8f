"""Problem pages and the ticket panel "Problem"."""

from __future__ import annotations

from django.urls import reverse

from loopdesk.problems import services
from loopdesk.problems.models import ProblemRecord
from loopdesk.tickets.models import Ticket

from .test_services import incident


def login(client, world, who):
    assert client.login(username=getattr(world, who).username, password=world.password)
    return client


def test_list_is_scoped(client, world):
    a = incident(world)
    problem = services.problem_for_incidents(actor=world.manager, incidents=[a], title="北京的问题")
    page = login(client, world, "agent").get(reverse("problems:list"))
    assert page.status_code == 200 and problem.number in page.content.decode()
    client.logout()
    page = login(client, world, "sh_agent").get(reverse("problems:list"))
    assert page.status_code == 200 and problem.number not in page.content.decode()
    assert client.get(reverse("problems:detail", args=[problem.pk])).status_code == 404
    client.logout()
    assert login(client, world, "customer").get(reverse("problems:list")).status_code == 404


def test_create_from_incidents_and_work_the_problem(client, world):
    a, b = incident(world), incident(world)
    login(client, world, "manager")
    form = client.get(reverse("problems:new") + f"?incident={a.pk}")
    assert form.status_code == 200 and a.number in form.content.decode()
    response = client.post(reverse("problems:new"), {"title": "打印组件崩溃", "incidents": f"{a.number}, {b.number}"})
    assert response.status_code == 302
    problem = Ticket.objects.get(type="problem")
    assert set(services.incidents_of(problem).values_list("pk", flat=True)) == {a.pk, b.pk}
    client.post(reverse("problems:record", args=[problem.pk]),
                {"root_cause": "内存泄漏", "workaround": "重启打印服务", "known_error": "on"})
    record = ProblemRecord.objects.get(ticket=problem)
    assert record.workaround == "重启打印服务" and record.known_error
    client.post(reverse("problems:publish", args=[problem.pk]))
    record.refresh_from_db()
    assert record.article is not None and record.article.status == "published"
    client.post(reverse("problems:unlink", args=[problem.pk, b.pk]))
    assert list(services.incidents_of(problem)) == [a]
    client.post(reverse("problems:link", args=[problem.pk]), {"number": b.number})
    assert services.incidents_of(problem).count() == 2
    client.post(reverse("problems:resolve", args=[problem.pk]), {"resolution": "补丁", "notify_incidents": "on"})
    problem.refresh_from_db()
    assert problem.status == "resolved" and a.comments.filter(internal=False).exists()
    page = client.get(reverse("problems:detail", args=[problem.pk]))
    assert page.status_code == 200 and "重启打印服务" in page.content.decode()


def test_unknown_incident_numbers_change_nothing(client, world):
    login(client, world, "manager")
    response = client.post(reverse("problems:new"), {"title": "x", "incidents": "NOPE-1"})
    assert response.status_code == 422 and not Ticket.objects.filter(type="problem").exists()


def test_agents_read_but_do_not_write(client, world):
    a = incident(world)
    problem = services.problem_for_incidents(actor=world.manager, incidents=[a], title="P")
    login(client, world, "agent")
    assert client.get(reverse("problems:detail", args=[problem.pk])).status_code == 200
    assert client.get(reverse("problems:new")).status_code == 403
    assert client.post(reverse("problems:record", args=[problem.pk]), {"root_cause": "x"}).status_code == 403
    assert services.record_of(problem).root_cause == ""


def test_ticket_panel(client, world):
    a = incident(world)
    url = reverse("problems:ticket_panel", args=[a.pk])
    for who in ("sh_agent", "customer", "partner_agent"):
        assert login(client, world, who).get(url).status_code == 404, who
        client.logout()
    login(client, world, "engineer")
    # The engineer sees the incident only through the group; give it to the group.
    Ticket.objects.filter(pk=a.pk).update(group=world.group)
    panel = client.get(url)
    assert panel.status_code == 200 and 'id="raise-problem"' in panel.content.decode()
    raised = client.post(reverse("problems:ticket_raise", args=[a.pk]), {"title": "打印组件崩溃"}, HTTP_HX_REQUEST="true")
    assert raised.status_code == 200
    problem = Ticket.objects.get(type="problem")
    assert problem.number in raised.content.decode()
    services.update_problem(actor=world.engineer, problem=problem, workaround="重启打印服务", known_error=True)
    assert "重启打印服务" in client.get(url).content.decode()


def test_ticket_page_loads_both_panels(client, world):
    a = incident(world)
    page = login(client, world, "agent").get(reverse("tickets:detail", args=[a.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("problems:ticket_panel", args=[a.pk]) in html
    assert reverse("integrations:ticket_panel", args=[a.pk]) in html
