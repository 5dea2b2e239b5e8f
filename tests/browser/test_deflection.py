"""Deflection in a real browser: a customer types a question, a suggested article appears, they open
it, vote it helpful and leave without submitting; once the session window has passed, the deflection
counts for that article."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from loopdesk.assist import figures
from loopdesk.assist.models import ArticleView, Outcome, SuggestionSession
from loopdesk.assist.services import DEFLECTION_WINDOW, close_stale_sessions
from loopdesk.knowledge import services as kb
from loopdesk.knowledge.index import refresh_dictionary
from loopdesk.knowledge.models import ArticleVote
from loopdesk.tickets.models import Ticket

pytestmark = pytest.mark.browser


def _publish(world, title, body, audience="public"):
    article = kb.create_article(actor=world.engineer, title=title, body=body, type="howto", audience=audience)
    kb.transition_article(actor=world.engineer, article=article, to="review")
    return kb.transition_article(actor=world.admin, article=article, to="published")


def test_customer_reads_a_suggestion_votes_and_leaves(world, open_session):
    refresh_dictionary(force=True)
    article = _publish(world, "凭证打印提示340没有注册类别", "打印凭证时提示 340 没有注册类别：以管理员身份重新注册打印控件即可。")
    internal = _publish(world, "内部：凭证打印二线排查", "二线排查步骤", audience="internal")
    contact = open_session(world.customer, password=world.password)
    page = contact.page
    page.goto("/portal/new/")
    page.click("input[name=title]")
    page.keyboard.type("凭证打印提示340", delay=30)
    suggestion = page.locator(f'#suggestions li[data-article="{article.pk}"] a')
    expect(suggestion).to_be_visible()
    expect(page.locator(f'#suggestions li[data-article="{internal.pk}"]')).to_have_count(0)
    contact.screenshot("deflection-suggestions")

    with page.context.expect_page() as opened:
        suggestion.click()  # opens in a new tab: what was typed stays in the form
    tab = opened.value
    tab.wait_for_load_state()
    expect(tab.locator("#kb-article h1")).to_have_text(article.title)
    tab.click("#vote-helpful")
    expect(tab.locator("#kb-vote")).to_have_attribute("data-voted", "helpful")
    expect(tab.locator("#messages")).to_contain_text("感谢")
    contact.page = tab
    contact.screenshot("deflection-voted")
    tab.close()
    page.goto("/portal/")  # leaves without submitting
    expect(page).to_have_url(re.compile(r"/portal/$"))

    assert not Ticket.objects.exists()
    vote = ArticleVote.objects.get()
    assert (vote.user, vote.article, vote.helpful) == (world.customer, article, True)
    session = SuggestionSession.objects.get()
    assert session.outcome == Outcome.OPEN and session.opened_ids == [article.pk]
    assert ArticleView.objects.get(source="suggestion").suggestion_session == session

    # Within the window nothing is decided; after it, the closing job counts the deflection.
    close_stale_sessions(now=timezone.now())
    assert SuggestionSession.objects.get().outcome == Outcome.OPEN
    close_stale_sessions(now=timezone.now() + DEFLECTION_WINDOW + datetime.timedelta(minutes=1))
    assert SuggestionSession.objects.get().outcome == Outcome.DEFLECTED
    row = next(r for r in figures.deflection(world.manager, period="day") if r.article_id == article.pk)
    assert (row.shown, row.opened, row.deflections) == (1, 1, 1)

    # The manager sees it on the deflection page.
    manager = open_session(world.manager, password=world.password)
    manager.page.goto("/assist/deflection/?period=day")
    expect(manager.page.locator(f'#deflection-table tr[data-article="{article.pk}"]')).to_contain_text("100%")
    manager.screenshot("deflection-figures")
