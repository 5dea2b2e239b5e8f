"""Suggestions while typing a request, and the rules that count a deflection."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from loopdesk.assist import figures
from loopdesk.assist.models import ArticleView, Outcome, SuggestionSession
from loopdesk.assist.services import (
    DEFLECTION_WINDOW,
    close_stale_sessions,
    mark_submitted,
    record_view,
    suggest,
)

pytestmark = pytest.mark.django_db


def test_a_contact_is_only_suggested_articles_they_may_read(world, articles):
    hits, session = suggest(actor=world.customer, title="凭证打印")
    ids = {h.id for h in hits}
    assert ids == {articles["public"].pk, articles["product"].pk}  # acme runs U8: the product article too
    assert session.company_id == world.acme.pk and sorted(session.suggested_ids) == sorted(ids)
    # A partner agent sees partner articles, never internal ones; staff see internal ones too.
    partner_ids = {h.id for h in suggest(actor=world.partner_agent, title="凭证打印")[0]}
    assert articles["partners"].pk in partner_ids and articles["internal"].pk not in partner_ids
    assert articles["internal"].pk in {h.id for h in suggest(actor=world.agent, title="凭证打印")[0]}


def test_product_articles_need_the_product(world, articles):
    world.acme_asset.status = "retired"
    world.acme_asset.save()
    hits, _session = suggest(actor=world.customer, title="凭证打印")
    assert {h.id for h in hits} == {articles["public"].pk}


def test_nothing_typed_or_nothing_found_starts_no_session(world, articles):
    assert suggest(actor=world.customer, title="凭") == ([], None)
    assert suggest(actor=world.customer, title="完全无关的内容 xyz") == ([], None)
    assert not SuggestionSession.objects.exists()


def test_the_description_is_searched_by_its_keywords_when_the_subject_finds_nothing(world, articles):
    hits, session = suggest(actor=world.customer, title="求助", description="今天打印凭证的时候提示340没有注册类别，怎么处理？")
    assert articles["public"].pk in {h.id for h in hits}
    assert session is not None


def test_later_keystrokes_extend_the_same_session(world, articles, publish):
    publish("月末结账提示存在未记账凭证")
    _hits, session = suggest(actor=world.customer, title="凭证打印")
    _hits, again = suggest(actor=world.customer, title="月末结账", session=session)
    assert again.pk == session.pk and SuggestionSession.objects.count() == 1
    assert len(again.suggested_ids) == 3
    assert SuggestionSession.objects.get().query == "月末结账"


def _open(world, session, article, at=None):
    return record_view(actor=world.customer, article=article, source="suggestion", suggestion_session=session, at=at)


def test_opened_and_left_is_a_deflection_for_the_opened_articles(world, articles):
    _hits, session = suggest(actor=world.customer, title="凭证打印")
    view = _open(world, session, articles["public"])
    assert view.suggestion_session == session and view.company == world.acme
    now = timezone.now()
    assert close_stale_sessions(now=now) == {"deflected": 0, "abandoned": 0}  # within the window: still open
    assert close_stale_sessions(now=now + DEFLECTION_WINDOW + datetime.timedelta(seconds=1)) == \
        {"deflected": 1, "abandoned": 0}
    session.refresh_from_db()
    assert session.outcome == Outcome.DEFLECTED and session.opened_ids == [articles["public"].pk]
    rows = {r.article_id: r for r in figures.deflection(world.manager, period="day")}
    assert (rows[articles["public"].pk].shown, rows[articles["public"].pk].opened,
            rows[articles["public"].pk].deflections) == (1, 1, 1)
    assert rows[articles["product"].pk].deflections == 0 and rows[articles["product"].pk].shown == 1
    assert rows[articles["public"].pk].deflection_rate == 1.0


def test_submitting_is_never_a_deflection(world, articles, make_ticket):
    _hits, session = suggest(actor=world.customer, title="凭证打印")
    _open(world, session, articles["public"])
    ticket = make_ticket(actor=world.customer)
    assert mark_submitted(session=session, ticket=ticket)
    close_stale_sessions(now=timezone.now() + 2 * DEFLECTION_WINDOW)
    session.refresh_from_db()
    assert session.outcome == Outcome.SUBMITTED and session.ticket == ticket
    assert all(r.deflections == 0 for r in figures.deflection(world.manager))


def test_not_opening_anything_is_no_deflection(world, articles):
    _hits, session = suggest(actor=world.customer, title="凭证打印")
    record_view(actor=world.customer, article=articles["public"], source="help")  # read elsewhere: not from here
    call_command("assist", "close-sessions")  # now: nothing stale yet
    assert close_stale_sessions(now=timezone.now() + 2 * DEFLECTION_WINDOW) == {"deflected": 0, "abandoned": 1}
    session.refresh_from_db()
    assert session.outcome == Outcome.ABANDONED
    assert all(r.opened == 0 and r.deflections == 0 for r in figures.deflection(world.manager))


def test_activity_keeps_a_session_open(world, articles):
    start = timezone.now()
    _hits, session = suggest(actor=world.customer, title="凭证打印", now=start)
    _open(world, session, articles["public"], at=start + datetime.timedelta(minutes=25))
    assert close_stale_sessions(now=start + datetime.timedelta(minutes=40))["deflected"] == 0
    assert close_stale_sessions(now=start + datetime.timedelta(minutes=56))["deflected"] == 1


def test_an_article_not_suggested_or_another_users_session_is_not_marked_opened(world, articles, publish):
    other = publish("出纳日记账与总账对不上")
    _hits, session = suggest(actor=world.customer, title="凭证打印")
    _open(world, session, other)
    record_view(actor=world.other_customer, article=articles["public"], source="suggestion", suggestion_session=session)
    assert session.opened_ids == []
    assert ArticleView.objects.filter(suggestion_session__isnull=False).count() == 0
    close_stale_sessions(now=timezone.now() + 2 * DEFLECTION_WINDOW)
    session.refresh_from_db()
    assert session.outcome == Outcome.ABANDONED


def test_figures_are_limited_to_the_customers_a_user_may_see(world, articles):
    _hits, acme = suggest(actor=world.customer, title="凭证打印")
    _hits, globex = suggest(actor=world.other_customer, title="凭证打印")
    assert acme.company == world.acme and globex.company == world.globex
    shown = lambda user: sum(r.shown for r in figures.deflection(user))  # noqa: E731
    assert shown(world.manager) == 4  # both run U8: public + product article each
    assert shown(world.agent) == 2  # beijing serves acme only
    assert shown(world.sh_agent) == 2  # shanghai serves globex only
    assert shown(world.other_partner_agent) == 0


def test_figures_by_week_and_month_and_date_range(world, articles):
    start = timezone.now() - datetime.timedelta(days=40)
    suggest(actor=world.customer, title="凭证打印", now=start)
    suggest(actor=world.other_customer, title="凭证打印")
    months = figures.deflection(world.manager, period="month")
    assert sum(r.shown for r in months) == 4
    recent = figures.deflection(world.manager, period="week", since=timezone.localdate() - datetime.timedelta(days=7))
    assert sum(r.shown for r in recent) == 2
