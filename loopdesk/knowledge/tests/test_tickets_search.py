"""Ticket search: title, description and resolution, only among the tickets the user may see."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from loopdesk.knowledge.index import index_ticket
from loopdesk.knowledge.models import SearchDoc
from loopdesk.knowledge.search import Filters, search
from loopdesk.tickets.services import assign_ticket, create_ticket, update_ticket


def ticket(kb, company, title, description, **kw):
    t = create_ticket(actor=kb.admin, title=title, description=description, company=company, **kw)
    index_ticket(t)
    return t


def ids(user, q, **kw):
    return {h.id for h in search(user, q, type="ticket", **kw)}


def test_ticket_search_respects_visibility(kb):
    acme = ticket(kb, kb.acme, "U8凭证打印失败", "打印凭证时报错 0x80004005", asset=kb.acme_asset)
    globex = ticket(kb, kb.globex, "凭证打印很慢", "月底打印凭证需要十分钟")
    assert ids(kb.customer, "凭证打印") == {acme.pk}
    assert ids(kb.other_customer, "凭证打印") == {globex.pk}
    assert ids(kb.agent, "凭证打印") == {acme.pk}
    assert ids(kb.sh_agent, "凭证打印") == {globex.pk}
    assert ids(kb.manager, "凭证打印") == {acme.pk, globex.pk}
    assert ids(kb.partner_agent, "凭证打印") == set()
    assign_ticket(actor=kb.admin, ticket=globex, partner=kb.partner)
    assert ids(kb.partner_agent, "凭证打印") == {globex.pk}
    assert ids(kb.other_partner_agent, "凭证打印") == set()
    assert ids(kb.manager, "凭证打印", filters=Filters(product=kb.u8.pk)) == {acme.pk}


def test_ticket_number_resolution_and_reindex_on_change(kb):
    t = ticket(kb, kb.acme, "登录报错", "无法登录系统")
    assert ids(kb.agent, t.number) == {t.pk}
    assert ids(kb.agent, "加密锁") == set()
    update_ticket(actor=kb.admin, ticket=t, resolution="重新安装加密锁驱动后恢复")
    t.refresh_from_db()
    index_ticket(t)
    assert ids(kb.agent, "加密锁") == {t.pk}
    hit = search(kb.agent, "加密锁", type="ticket")[0]
    assert "<mark>加密锁</mark>" in hit.snippet


def test_reindex_command_rebuilds_everything(kb, publish):
    publish(title="月末结账")
    t = create_ticket(actor=kb.admin, title="结账失败", description="月末结账报错", company=kb.acme)
    SearchDoc.objects.all().delete()
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM knowledge_fts")
    assert search(kb.agent, "结账") == []
    out = StringIO()
    call_command("kb", "reindex", "--batch", "1", stdout=out)
    assert "1" in out.getvalue()
    assert [h.title for h in search(kb.agent, "结账")] == ["月末结账"]
    assert ids(kb.agent, "结账") == {t.pk}
    call_command("kb", "reindex", stdout=StringIO())  # again: updates in place, no duplicates
    assert SearchDoc.objects.count() == 2
    assert [h.title for h in search(kb.agent, "结账")] == ["月末结账"]
    out = StringIO()
    call_command("kb", "search", "结账", stdout=out)
    assert "月末结账" in out.getvalue()


def test_reindex_in_one_process_matches_the_pool(kb, publish):
    from loopdesk.knowledge.index import reindex_articles

    publish(title="加密锁驱动安装", products=[kb.u8])
    before = list(SearchDoc.objects.values_list("title", "body", "chars"))
    assert reindex_articles(workers=1) == 1
    assert reindex_articles(batch=1, workers=2) == 1
    assert list(SearchDoc.objects.values_list("title", "body", "chars")) == before
    assert [h.title for h in search(kb.customer, "u8 驱动")] == ["加密锁驱动安装"]


def test_removed_documents_are_not_found(kb):
    from loopdesk.knowledge.index import remove

    t = ticket(kb, kb.acme, "打印机卡纸", "打印凭证时卡纸")
    assert ids(kb.agent, "卡纸") == {t.pk}
    remove("ticket", [t.pk])
    assert ids(kb.agent, "卡纸") == set()
    assert not SearchDoc.objects.exists()


def test_recent_walk_takes_the_newest_matches_and_falls_back_when_too_few(kb, monkeypatch):
    """PostgreSQL: a common word among many tickets is looked for among the newest ones first
    (search._pg_recent); with too few of them in the window, every match is a candidate again."""
    from django.db import connection

    import loopdesk.knowledge.search as search_module

    if connection.vendor != "postgresql":
        pytest.skip("the recent-first walk is PostgreSQL's")
    old = [ticket(kb, kb.acme, f"加密锁无法识别 加密锁 {i}", "加密锁 加密锁 加密锁") for i in range(3)]
    new = [ticket(kb, kb.acme, f"新工单 {i}", "插上加密锁后提示未找到") for i in range(41)]
    monkeypatch.setattr(search_module, "RECENT_MARGIN", 0.0)  # whatever PostgreSQL expects

    monkeypatch.setattr(search_module, "RECENT_ROWS", 0)  # no walk: the old tickets rank first
    assert [h.id for h in search(kb.agent, "加密锁", type="ticket", limit=3)] == [t.pk for t in reversed(old)]

    # The newest 41 tickets hold 40 visible matches (the pool of a search for 10): those are ranked.
    monkeypatch.setattr(search_module, "RECENT_ROWS", new[-1].pk - new[0].pk + 1)
    hits = search(kb.agent, "加密锁", type="ticket", limit=10)
    assert len(hits) == 10 and {h.id for h in hits} <= {t.pk for t in new[1:]}

    # The newest 5 hold too few: every match is a candidate, and the old ones rank first again.
    monkeypatch.setattr(search_module, "RECENT_ROWS", 5)
    assert [h.id for h in search(kb.agent, "加密锁", type="ticket", limit=3)] == [t.pk for t in reversed(old)]
    assert ids(kb.other_customer, "加密锁") == set()  # the walk checks visibility too
