"""Bench figures of assist (`loopdesk bench --only knowledge`): next-question hit@3 on a held-out
month of the bench history, the suggestion service's p95 in-process, and tidying up the sessions
the bench's own suggestion requests started."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.db.models import Max, Min

from loopdesk.knowledge.bench import _percentile, bench_queries, figure
from loopdesk.tickets.models import Ticket

from .models import SuggestionSession
from .services import suggest
from .training import evaluate_month


def holdout_month() -> str | None:
    """The last calendar month that lies wholly inside the history, with history before it."""
    span = Ticket.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    if not span["first"]:
        return None
    last = span["last"]
    month_start = last.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if last + datetime.timedelta(days=1) < (month_start + datetime.timedelta(days=32)).replace(day=1):
        month_start = (month_start - datetime.timedelta(days=1)).replace(day=1)  # the current month is partial
    if month_start <= span["first"]:
        return None
    return f"{month_start:%Y-%m}"


def next_question_figure(month: str | None = None) -> dict[str, Any]:
    month = month or holdout_month()
    if month is None:
        return figure("next_question_hit_at_3", None, "share", None, higher_is_better=True,
                      error="not enough history for a held-out month")
    start = time.perf_counter()
    result = evaluate_month(month)
    return figure("next_question_hit_at_3", result.hit_at_3, "share", None, higher_is_better=True,
                  month=month, seconds=round(time.perf_counter() - start, 1), **result.as_dict()) | {
                      "value": round(result.hit_at_3, 4)}


def suggestion_service_figure(customer: Any, n: int = 200) -> dict[str, Any]:
    """p95 of the suggestion service (search + session bookkeeping) in this process."""
    since = datetime.datetime.now(datetime.UTC)
    queries = bench_queries(n, seed=9)
    session, times = None, []
    for q in queries:
        start = time.perf_counter()
        _hits, session = suggest(actor=customer, title=q, session=session)
        times.append((time.perf_counter() - start) * 1000)
    remove_bench_sessions(customer, since)
    return figure("assist_suggest_service_customer", _percentile(times, 95), "ms (p95)", 50, higher_is_better=False,
                  p50_ms=round(_percentile(times, 50), 1), queries=n, user=customer.username)


def remove_bench_sessions(user: Any, since: datetime.datetime) -> int:
    """Delete the suggestion sessions the bench started (they are not real customers' sessions)."""
    return SuggestionSession.objects.filter(user=user, started_at__gte=since).delete()[0]
