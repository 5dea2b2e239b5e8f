"""Problem management through the services."""

from __future__ import annotations

import pytest

from loopdesk.core.errors import Forbidden, ValidationFailed
from loopdesk.knowledge.models import Article
from loopdesk.problems import services
from loopdesk.problems.models import ProblemRecord
from loopdesk.tickets.choices import LinkKind, TicketType
from loopdesk.tickets.models import Comment, Link
from loopdesk.tickets.services import create_ticket, transition_ticket


def incident(world, title="凭证打印报错", company=None, contact=None, actor=None, group=None):
    company = company or world.acme
    return create_ticket(actor=actor or world.agent, title=title, company=company, group=group,
                         description=f"{company.name} 的王小明来电，电话 010-88886666，打印凭证时报错",
                         contact=contact or world.acme_contact)


def test_problem_for_incidents_creates_then_reuses(world):
    a, b, c = incident(world), incident(world), incident(world)
    problem = services.problem_for_incidents(actor=world.engineer, incidents=[a, b], title="凭证打印组件崩溃")
    assert problem.type == TicketType.PROBLEM and problem.company == world.acme and problem.owner_org == world.beijing
    assert ProblemRecord.objects.filter(ticket=problem).exists()
    assert set(Link.objects.filter(target=problem, kind=LinkKind.CAUSED_BY).values_list("source_id", flat=True)) == {a.pk, b.pk}
    # Another incident with one already linked: the same open problem, now with all three.
    again = services.problem_for_incidents(actor=world.engineer, incidents=[c, a], title="另一个标题")
    assert again == problem
    assert set(services.incidents_of(problem).values_list("pk", flat=True)) == {a.pk, b.pk, c.pk}
    # The system (the rules engine) may call it too.
    assert services.problem_for_incidents(actor=None, incidents=[c], title="x") == problem


def test_a_resolved_problem_is_not_reused(world):
    a = incident(world)
    problem = services.problem_for_incidents(actor=world.engineer, incidents=[a], title="P1")
    transition_ticket(actor=world.engineer, ticket=problem, to="resolved", resolution="打补丁")
    other = services.problem_for_incidents(actor=world.engineer, incidents=[a], title="P2")
    assert other != problem and other.title == "P2"


def test_rules(world):
    a = incident(world)
    with pytest.raises(Forbidden):
        services.problem_for_incidents(actor=world.agent, incidents=[a], title="x")
    with pytest.raises(ValidationFailed):
        services.problem_for_incidents(actor=world.engineer, incidents=[], title="x")
    problem = services.create_problem(actor=world.engineer, title="P", company=world.acme)
    with pytest.raises(ValidationFailed):
        services.link_incident(actor=world.engineer, problem=a, incident=problem)  # `a` is no problem
    with pytest.raises(ValidationFailed):
        services.create_problem(actor=world.engineer, title="P")  # neither customer nor incidents


def test_link_unlink_and_record(world):
    a = incident(world)
    problem = services.create_problem(actor=world.engineer, title="P", company=world.acme)
    services.link_incident(actor=world.engineer, problem=problem, incident=a)
    assert list(services.problems_of(a)) == [problem]
    services.unlink_incident(actor=world.engineer, problem=problem, incident=a)
    assert not services.problems_of(a).exists()
    record = services.update_problem(actor=world.engineer, problem=problem, root_cause="打印组件内存泄漏",
                                     workaround="重启打印服务", known_error=True, affected_versions=[world.u8_165])
    assert record.known_error and record.known_error_since is not None
    assert list(record.affected_versions.all()) == [world.u8_165]
    record = services.update_problem(actor=world.engineer, problem=problem, known_error=False)
    assert record.known_error_since is None and record.workaround == "重启打印服务"


def test_publish_known_error_strips_customer_data(world):
    a = incident(world)
    problem = services.problem_for_incidents(actor=world.engineer, incidents=[a],
                                             title=f"{world.acme.name} 打印凭证时报错")
    with pytest.raises(ValidationFailed):
        services.publish_known_error(actor=world.engineer, problem=problem)  # no workaround yet
    services.update_problem(actor=world.engineer, problem=problem, root_cause="组件缺陷，联系 wang@acme.example",
                            workaround="重启打印服务，或致电 13800138000", affected_versions=[world.u8_165])
    article = services.publish_known_error(actor=world.engineer, problem=problem)
    assert article.type == "known_error" and article.status == "review"  # an engineer is no reviewer
    text = " ".join((article.title, article.symptom, article.cause, article.workaround))
    for secret in (world.acme.name, "王小明", "010-88886666", "wang@acme.example", "13800138000"):
        assert secret not in text, secret
    assert "打印凭证时报错" in article.title and "重启打印服务" in article.workaround
    assert article.audience == "product" and list(article.versions.all()) == [world.u8_165]
    record = services.record_of(problem)
    assert record.known_error and record.article == article
    # A reviewer publishes the same article (no second one).
    again = services.publish_known_error(actor=world.manager, problem=problem)
    assert again.pk == article.pk and again.status == "published"
    assert Article.objects.count() == 1


def test_resolve_tells_the_incidents(world):
    a, b = incident(world, group=world.group), incident(world, group=world.group)
    other = incident(world, company=world.globex, contact=world.globex_contact, actor=world.sh_agent)
    problem = services.problem_for_incidents(actor=world.manager, incidents=[a, b, other], title="P")
    services.update_problem(actor=world.manager, problem=problem, workaround="重启打印服务")
    counts = services.resolve_problem(actor=world.engineer, problem=problem, resolution="16.5 补丁 3 修复",
                                      notify_incidents=True, resolve_incidents=True)
    # The engineer sees the incidents of the group, not the 上海 one: that one is left alone.
    assert counts == {"replied": 2, "resolved": 2, "skipped": 0}
    problem.refresh_from_db()
    assert problem.status == "resolved"
    for ticket in (a, b):
        ticket.refresh_from_db()
        assert ticket.status == "resolved"
        reply = Comment.objects.get(ticket=ticket)
        assert not reply.internal and "重启打印服务" in reply.body and problem.number in reply.body
    other.refresh_from_db()
    assert other.status == "new" and not Comment.objects.filter(ticket=other).exists()
