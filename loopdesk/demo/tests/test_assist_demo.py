"""The demo self-service history: views, sessions with deflections, a trained model."""

import datetime
import random

from django.utils import timezone

from loopdesk.assist import figures
from loopdesk.assist.models import ArticleView, NextQuestionModel, SuggestionSession
from loopdesk.assist.training import predict
from loopdesk.demo.assist import build_assist_history
from loopdesk.knowledge import services as kb
from loopdesk.tickets.services import create_ticket


def test_build_assist_history(world):
    for title in ("凭证打印提示340没有注册类别", "凭证打印格式错乱"):
        article = kb.create_article(actor=world.engineer, title=title, body=title, type="howto", audience="public",
                                    category=world.voucher)
        kb.transition_article(actor=world.engineer, article=article, to="review")
        kb.transition_article(actor=world.admin, article=article, to="published")
    now = timezone.now()
    for i in range(6):
        create_ticket(actor=world.agent, company=world.acme if i % 2 else world.globex, title="凭证打印",
                      description="打印不出来", category=world.voucher, now=now - datetime.timedelta(days=10 - i))
    counts = build_assist_history(rng=random.Random(1), now=now, days=30, views=50, sessions=40)
    assert counts["views"] == ArticleView.objects.exclude(source="suggestion").count() > 0
    assert counts["sessions"] == SuggestionSession.objects.count() == 40
    assert counts["deflected"] > 0
    assert sum(r.deflections for r in figures.deflection(world.manager, period="month",
                                                         since=(now - datetime.timedelta(days=40)).date())) > 0
    assert NextQuestionModel.objects.count() == 1
    assert predict(world.acme.pk, None, user=world.customer)
