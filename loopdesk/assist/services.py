"""Writes of self-service: article views, suggestion sessions and their outcome (deflection).

Rules (docs/self-service.md):
- A session starts with the first suggestions shown to a customer typing a request, and is kept in
  the browser session so later keystrokes, opened articles and the submission find it.
- Submitting the request closes it as `submitted` (never a deflection, whatever was opened).
- A session idle for `DEFLECTION_WINDOW` is closed by `close_stale_sessions` (every 5 minutes): as
  `deflected` if the customer opened at least one suggested article, else `abandoned`. A deflection
  counts for every suggested article the customer opened.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from loopdesk.accounts.scope import scope_for
from loopdesk.knowledge.models import Article
from loopdesk.knowledge.search import Hit, search

from .models import ArticleView, Outcome, SuggestedArticle, SuggestionSession, ViewSource
from .similar import keywords, search_words

DEFLECTION_WINDOW = datetime.timedelta(minutes=30)
SUGGESTIONS = 5
MIN_QUERY = 2  # characters
MAX_QUERY = 300


def customer_company_id(user: Any) -> int | None:
    """The company a customer contact acts for when nothing else says (their first one)."""
    ids = scope_for(user).company_ids
    return min(ids) if ids else None


def article_product_id(article: Article) -> int | None:
    """The article's product when it is about exactly one."""
    ids = [p.pk for p in article.products.all()]
    return ids[0] if len(ids) == 1 else None


@transaction.atomic
def record_view(*, actor: Any, article: Article, source: str, company_id: int | None = None,
                product_id: int | None = None, session_key: str = "", suggestion_session: SuggestionSession | None = None,
                at: datetime.datetime | None = None) -> ArticleView:
    """Record that `actor` read `article` (the caller has checked they may). An article opened from
    a suggestion marks it opened in that session (if it was suggested there and the session is
    the reader's and still open)."""
    at = at or timezone.now()
    if source not in ViewSource.values:
        source = ViewSource.HELP
    if company_id is None and getattr(actor, "is_customer_only", False):
        company_id = customer_company_id(actor)
    linked = None
    if suggestion_session is not None and suggestion_session.user_id == actor.pk:
        updated = SuggestedArticle.objects.filter(
            session=suggestion_session, article=article, session__outcome=Outcome.OPEN, opened_at__isnull=True,
        ).update(opened_at=at)
        if updated or SuggestedArticle.objects.filter(session=suggestion_session, article=article).exists():
            linked = suggestion_session
            SuggestionSession.objects.filter(pk=suggestion_session.pk, outcome=Outcome.OPEN).update(last_activity_at=at)
            if product_id is None:
                product_id = suggestion_session.product_id
    if product_id is None:
        product_id = article_product_id(article)
    return ArticleView.objects.create(
        user=actor if getattr(actor, "pk", None) else None, company_id=company_id, article=article,
        product_id=product_id, at=at, source=source, session_key=session_key or "", suggestion_session=linked,
    )


def open_session_for(user: Any, session_id: Any) -> SuggestionSession | None:
    """The user's still-open suggestion session with this id, if any."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        return None
    return SuggestionSession.objects.filter(pk=pk, user_id=user.pk, outcome=Outcome.OPEN).first()


def suggest(*, actor: Any, title: str, description: str = "", company_id: int | None = None,
            product_id: int | None = None, session: SuggestionSession | None = None, session_key: str = "",
            now: datetime.datetime | None = None, limit: int = SUGGESTIONS) -> tuple[list[Hit], SuggestionSession | None]:
    """The articles to suggest for what the customer has typed so far (only what they may read),
    and the suggestion session they are recorded in (started on the first suggestions shown).

    The subject is searched as typed; if it finds nothing (or there is no subject yet), the three
    most distinctive words of the description are (then two: the search requires every term)."""
    title = " ".join((title or "").split())[:MAX_QUERY]
    description = (description or "")[:4 * MAX_QUERY]
    text = title
    hits: list[Hit] = []
    if len(title) >= MIN_QUERY:
        hits = search(actor, title, type="article", limit=limit)
    if not hits and len(description.strip()) >= MIN_QUERY:
        words = keywords("", description)
        if words:
            query, hits = search_words(actor, words, "article", limit)
            text = (title + " | " + query).strip(" |")
    if not hits:
        if session is not None and text:
            SuggestionSession.objects.filter(pk=session.pk, outcome=Outcome.OPEN).update(
                query=text, last_activity_at=now or timezone.now())
        return hits, session
    return hits, _remember(actor=actor, hits=hits, text=text, company_id=company_id, product_id=product_id,
                           session=session, session_key=session_key, now=now or timezone.now())


@transaction.atomic
def _remember(*, actor: Any, hits: list[Hit], text: str, company_id: int | None, product_id: int | None,
              session: SuggestionSession | None, session_key: str, now: datetime.datetime) -> SuggestionSession:
    if company_id is None or company_id not in scope_for(actor).company_ids:
        company_id = customer_company_id(actor)
    if session is None or session.outcome != Outcome.OPEN:
        session = SuggestionSession.objects.create(
            user=actor, company_id=company_id, product_id=product_id, query=text, session_key=session_key or "",
            started_at=now, last_activity_at=now,
        )
    else:
        SuggestionSession.objects.filter(pk=session.pk).update(
            query=text, last_activity_at=now, company_id=company_id,
            product_id=product_id if product_id is not None else session.product_id,
        )
    SuggestedArticle.objects.bulk_create(
        [SuggestedArticle(session=session, article_id=h.id, shown_at=now) for h in hits], ignore_conflicts=True,
    )
    return session


@transaction.atomic
def mark_submitted(*, session: SuggestionSession, ticket: Any, now: datetime.datetime | None = None) -> bool:
    """The customer sent the request: the session ends as `submitted` (not a deflection). A session
    already closed (the customer came back after the window) is left as it was."""
    return bool(SuggestionSession.objects.filter(pk=session.pk, outcome=Outcome.OPEN).update(
        outcome=Outcome.SUBMITTED, ticket=ticket, closed_at=now or timezone.now(),
    ))


@transaction.atomic
def close_stale_sessions(*, now: datetime.datetime | None = None, window: datetime.timedelta = DEFLECTION_WINDOW) -> dict[str, int]:
    """Close every open session idle for `window`: deflected if a suggested article was opened."""
    now = now or timezone.now()
    stale = SuggestionSession.objects.filter(outcome=Outcome.OPEN, last_activity_at__lte=now - window)
    opened = SuggestedArticle.objects.filter(opened_at__isnull=False).values("session_id")
    deflected = stale.filter(Q(pk__in=opened)).update(outcome=Outcome.DEFLECTED, closed_at=now)
    abandoned = stale.update(outcome=Outcome.ABANDONED, closed_at=now)
    return {"deflected": deflected, "abandoned": abandoned}
