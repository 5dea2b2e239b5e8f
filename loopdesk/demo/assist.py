"""Demo self-service history: article views and request-form suggestion sessions of the demo
customers, so the help centre's popular articles, the deflection figures and the next-question
predictions have something to show; the next-question model is trained at the end.

    build_assist_history(*, rng, now, days=90, views=3000, sessions=400) -> dict[str, int]

Call it after the tickets and the knowledge articles exist (`create_knowledge_articles`); with no
published article it only trains the model on the tickets."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.db import transaction

from loopdesk.assist.models import ArticleView, Outcome, SuggestedArticle, SuggestionSession
from loopdesk.assist.training import train_model
from loopdesk.customers.models import Contact
from loopdesk.knowledge.models import Article
from loopdesk.tickets.models import Ticket

_CUSTOMER_AUDIENCES = ("public", "product")


@transaction.atomic
def build_assist_history(*, rng: random.Random, now: datetime.datetime, days: int = 90, views: int = 3000,
                         sessions: int = 400) -> dict[str, int]:
    """Views follow the tickets: before or after a request, its contact often reads an article of the
    same top-level category (the pattern the next-question model learns); sessions are spread over
    `days`, about half of those with an opened article ending without a request (deflections)."""
    articles = list(Article.objects.filter(status="published", audience__in=_CUSTOMER_AUDIENCES)
                    .values_list("pk", "category_id", "category__parent_id"))
    counts = {"views": 0, "sessions": 0, "deflected": 0}
    if articles:
        by_top: dict[int | None, list[int]] = defaultdict(list)
        for pk, category, parent in articles:
            by_top[parent or category].append(pk)
        all_ids = [pk for pk, _c, _p in articles]
        users = dict(Contact.objects.exclude(user=None).values_list("company_id", "user_id"))
        since = now - datetime.timedelta(days=days)
        tickets = list(
            Ticket.objects.filter(created_at__gte=since, category__isnull=False, company_id__in=list(users))
            .order_by("?").values_list("company_id", "created_at", "category__parent_id", "category_id",
                                       "asset__product_version__product_id")[:views]
        )
        rows = []
        for company, created, parent, category, product in tickets:
            pool = by_top.get(parent) or by_top.get(category) or all_ids
            after = rng.random() < 0.6  # read what the agent pointed to, or searched first
            at = created + datetime.timedelta(minutes=rng.randint(20, 600) * (1 if after else -1))
            if at > now:
                continue
            rows.append(ArticleView(user_id=users[company], company_id=company, article_id=rng.choice(pool),
                                    product_id=product, at=at, source="help" if after else "search"))
        ArticleView.objects.bulk_create(rows, batch_size=2000)
        counts["views"] = len(rows)
        titles = dict(Article.objects.filter(pk__in=all_ids).values_list("pk", "title"))
        counts.update(_sessions(rng=rng, now=now, days=days, n=sessions, users=users, by_top=by_top,
                                all_ids=all_ids, titles=titles))
    model = train_model(now=now)
    counts["model_transitions"] = model.transitions
    return counts


def _sessions(*, rng: random.Random, now: datetime.datetime, days: int, n: int, users: dict[int, int],
              by_top: dict, all_ids: list[int], titles: dict[int, str]) -> dict[str, int]:
    if not users:
        return {"sessions": 0, "deflected": 0}
    companies = list(users)
    pools = [p for p in by_top.values() if p] or [all_ids]
    made = deflected = 0
    for _ in range(n):
        company = rng.choice(companies)
        started = now - datetime.timedelta(minutes=rng.randint(40, days * 1440))
        pool = rng.choice(pools)
        shown = rng.sample(pool, min(len(pool), rng.randint(1, 4)))
        opened = [a for a in shown if rng.random() < 0.45]
        if opened:
            outcome = Outcome.DEFLECTED if rng.random() < 0.55 else Outcome.SUBMITTED
        else:
            outcome = Outcome.SUBMITTED if rng.random() < 0.5 else Outcome.ABANDONED
        ticket = None
        if outcome == Outcome.SUBMITTED:
            ticket = (Ticket.objects.filter(company_id=company, created_at__gte=started)
                      .order_by("created_at").values_list("pk", flat=True).first())
        last = started + datetime.timedelta(minutes=rng.randint(1, 12))
        session = SuggestionSession.objects.create(
            user_id=users[company], company_id=company, query=titles.get(shown[0], "")[:12], started_at=started, last_activity_at=last,
            outcome=outcome, closed_at=last + datetime.timedelta(minutes=30), ticket_id=ticket,
        )
        SuggestedArticle.objects.bulk_create([
            SuggestedArticle(session=session, article_id=a, shown_at=started,
                             opened_at=last if a in opened else None) for a in shown
        ])
        ArticleView.objects.bulk_create([
            ArticleView(user_id=users[company], company_id=company, article_id=a, at=last, source="suggestion",
                        suggestion_session=session) for a in opened
        ])
        made += 1
        deflected += outcome == Outcome.DEFLECTED
    return {"sessions": made, "deflected": deflected}
