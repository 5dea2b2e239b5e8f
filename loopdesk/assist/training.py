"""The next-question model's database side: read question events, train and store the model,
evaluate it on a held-out month, and turn predictions into questions a user may see."""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from loopdesk.knowledge.models import Article
from loopdesk.tickets.models import Category, Ticket

from . import nextq
from .models import ArticleView, NextQuestionModel
from .nextq import Event

CHUNK = 5000
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _seconds(value: datetime.datetime) -> float:
    return (value - _EPOCH).total_seconds()


def _ticket_events(until: datetime.datetime | None) -> Iterator[Event]:
    qs = Ticket.objects.filter(category_id__isnull=False)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    rows = qs.order_by("company_id", "-created_at", "-id").values_list(
        "company_id", "created_at", "category_id", "asset__product_version__product_id")
    for company, at, category, product in rows.iterator(chunk_size=CHUNK):
        yield Event(company, _seconds(at), f"c:{category}", product)


def _view_events(until: datetime.datetime | None) -> Iterator[Event]:
    qs = ArticleView.objects.filter(company_id__isnull=False)
    if until is not None:
        qs = qs.filter(at__lt=until)
    rows = qs.order_by("company_id", "-at", "-id").values_list("company_id", "at", "article_id", "product_id")
    for company, at, article, product in rows.iterator(chunk_size=CHUNK):
        yield Event(company, _seconds(at), f"a:{article}", product)


def sequences(until: datetime.datetime | None = None) -> Iterator[list[nextq.Event]]:
    """Every customer's events (requests with a category, articles read), in time order, one
    customer at a time: two streams sorted by customer are merged, so memory holds one customer."""
    merged = heapq.merge(_ticket_events(until), _view_events(until), key=lambda e: (e.company, -e.at))
    return nextq.by_company(merged)


@transaction.atomic
def train_model(*, until: datetime.datetime | None = None, now: datetime.datetime | None = None) -> NextQuestionModel:
    """Train on every event before `until` (default: all) and store the model; older models are
    removed (the newest is the one used)."""
    now = now or timezone.now()
    counts = nextq.train(sequences(until))
    model = NextQuestionModel.objects.create(
        trained_at=now, until=until, events=counts.events, transitions=counts.transitions, data=counts.to_data(),
    )
    NextQuestionModel.objects.exclude(pk=model.pk).delete()
    return model


def month_bounds(month: str) -> tuple[datetime.datetime, datetime.datetime]:
    """'2026-10' → the month's first instant and the next month's, in the current time zone."""
    year, mon = (int(x) for x in month.split("-"))
    start = timezone.make_aware(datetime.datetime(year, mon, 1))
    end = timezone.make_aware(datetime.datetime(year + mon // 12, mon % 12 + 1, 1))
    return start, end


def evaluate_month(month: str) -> nextq.Evaluation:
    """Train on the events before the month and report hit@3 on the month's transitions."""
    start, end = month_bounds(month)
    return nextq.evaluate(sequences(end), start=_seconds(start), end=_seconds(end))


_cached: dict[str, Any] = {"key": None, "model": None}


def latest_model() -> NextQuestionModel | None:
    """The newest model; its counts are loaded once per process and training run (a small query
    checks which model is newest)."""
    key = NextQuestionModel.objects.order_by("-trained_at").values_list("pk", "trained_at").first()
    if key is None:
        return None
    if _cached["key"] != key:
        _cached["model"] = NextQuestionModel.objects.filter(pk=key[0]).first()
        _cached["key"] = key
    return _cached["model"]


def last_event(company_id: int) -> str | None:
    """The customer's most recent event token (a request with a category, or an article read)."""
    ticket = (Ticket.objects.filter(company_id=company_id, category_id__isnull=False)
              .order_by("-created_at").values_list("created_at", "category_id").first())
    view = ArticleView.objects.filter(company_id=company_id).order_by("-at").values_list("at", "article_id").first()
    if view and (not ticket or view[0] >= ticket[0]):
        return f"a:{view[1]}"
    return f"c:{ticket[1]}" if ticket else None


@dataclass
class Question:
    """A predicted next question, as shown: an article to read (if there is one the viewer may see)
    and the text of the question."""

    token: str
    score: float
    text: str
    article: Article | None = None
    category: Category | None = None

    def as_dict(self) -> dict[str, Any]:
        kind, _sep, ident = self.token.partition(":")
        return {
            "kind": "article" if kind == "a" else "category", "score": round(self.score, 4), "text": self.text,
            "article_id": self.article.pk if self.article else None,
            "category_id": self.category.pk if self.category else None,
        }


def predict(company_id: int | None, product_id: int | None, *, user: Any, k: int = 3,
            model: NextQuestionModel | None = None) -> list[Question]:
    """The `k` most likely next questions of the customer (about the product), limited to articles
    `user` may read; a category becomes its most read (then most helpful) article, or its name."""
    model = model or latest_model()
    if model is None:
        return []
    prev = last_event(company_id) if company_id else None
    ranked = nextq.rank(model.data, prev, product_id, k * 5)
    article_ids = [int(t[2:]) for t, _s in ranked if t.startswith("a:")]
    category_ids = [int(t[2:]) for t, _s in ranked if t.startswith("c:")]
    visible = Article.objects.visible_to(user).filter(status="published")
    articles = visible.in_bulk(article_ids)
    categories = Category.objects.in_bulk(category_ids)
    out: list[Question] = []
    seen: set[int] = set()
    for token, score in ranked:
        if len(out) >= k:
            break
        ident = int(token[2:])
        if token.startswith("a:"):
            article = articles.get(ident)
            if article is None or article.pk in seen:
                continue
            seen.add(article.pk)
            out.append(Question(token, score, article.title, article=article, category=None))
            continue
        category = categories.get(ident)
        if category is None:
            continue
        article = _representative(visible, category, seen)
        if article is not None:
            seen.add(article.pk)
        text = article.title if article else _("A question about “%(category)s”") % {"category": category.full_name}
        out.append(Question(token, score, text, article=article, category=category))
    return out


def _representative(visible: Any, category: Category, seen: set[int]) -> Article | None:
    """The category's article customers read most in the last 90 days, else its most helpful one."""
    in_category = visible.filter(category_id=category.pk).exclude(pk__in=seen)
    since = timezone.now() - datetime.timedelta(days=90)
    read = (ArticleView.objects.filter(article__in=in_category.values("id"), at__gte=since)
            .values("article_id").annotate(n=Count("id")).order_by("-n", "article_id").first())
    if read:
        return Article.objects.filter(pk=read["article_id"]).first()
    return in_category.order_by("-helpful_count", "-published_at", "-id").first()
