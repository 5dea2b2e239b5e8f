import datetime

from loopdesk.knowledge import search
from loopdesk.knowledge.tasks import index_changed, index_changed_tickets
from loopdesk.tickets import services
from loopdesk.tickets.models import Ticket


def _numbers(user, q):
    return [h.id for h in search.search(user, q, type="ticket")]


def test_changed_tickets_become_searchable(world):
    t = services.create_ticket(actor=world.agent, company=world.acme, title="加密锁无法识别",
                               description="插上加密锁后 U8 提示未检测到")
    assert t.pk not in _numbers(world.agent, "加密锁")
    assert index_changed() >= 1
    assert t.pk in _numbers(world.agent, "加密锁")
    assert t.pk not in _numbers(world.other_customer, "加密锁")  # still only what the user may see

    services.update_ticket(actor=world.agent, ticket=t, title="凭证打印错位", description="打印凭证时格式错位")
    index_changed_tickets.call()
    assert t.pk in _numbers(world.agent, "凭证打印") and t.pk not in _numbers(world.agent, "加密锁")


def test_late_commits_inside_the_overlap_are_caught(world):
    t = services.create_ticket(actor=world.agent, company=world.acme, title="报表导出乱码", description="d")
    index_changed()
    # A ticket whose updated_at is older than what was indexed, as a slow transaction would commit it.
    late = services.create_ticket(actor=world.agent, company=world.acme, title="月末结账失败", description="d")
    Ticket.objects.filter(pk=late.pk).update(updated_at=t.updated_at - datetime.timedelta(seconds=30))
    index_changed()
    assert late.pk in _numbers(world.agent, "月末结账")
