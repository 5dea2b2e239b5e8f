"""Deflection figures per article and period (reads only).

For the suggestion sessions of the customers a user may see, per article and day / week / month
(of when the article was first shown in the session, in the current time zone):
- `shown`: sessions in which the article was suggested,
- `opened`: of those, sessions in which the customer opened it,
- `deflections`: of those, sessions that ended without a request (outcome `deflected`),
- `deflection_rate` = deflections / shown; `open_rate` = opened / shown.
Sessions still open count as shown and opened but not (yet) as deflections.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from loopdesk.accounts.scope import scope_for
from loopdesk.customers.models import Company
from loopdesk.knowledge.models import Article

from .models import Outcome, SuggestedArticle

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
MAX_ROWS = 500


@dataclass
class Row:
    period: datetime.date
    article_id: int
    title: str
    shown: int
    opened: int
    deflections: int

    @property
    def deflection_rate(self) -> float:
        return self.deflections / self.shown if self.shown else 0.0

    @property
    def open_rate(self) -> float:
        return self.opened / self.shown if self.shown else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period, "article_id": self.article_id, "title": self.title, "shown": self.shown,
                "opened": self.opened, "deflections": self.deflections,
                "deflection_rate": round(self.deflection_rate, 4), "open_rate": round(self.open_rate, 4)}


def scoped(user: Any):
    """The suggestion rows of the customers `user` may see."""
    qs = SuggestedArticle.objects.all()
    if not scope_for(user).all:
        qs = qs.filter(session__company_id__in=Company.objects.visible_to(user).values("id"))
    return qs


def deflection(user: Any, *, period: str = "week", since: datetime.date | None = None,
               until: datetime.date | None = None, article_id: int | None = None) -> list[Row]:
    """Rows newest period first, then by deflections; `since` / `until` are inclusive dates."""
    trunc = PERIODS.get(period, TruncWeek)
    zone = timezone.get_current_timezone()
    qs = scoped(user)
    if since:
        qs = qs.filter(shown_at__gte=timezone.make_aware(datetime.datetime.combine(since, datetime.time()), zone))
    if until:
        end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time())
        qs = qs.filter(shown_at__lt=timezone.make_aware(end, zone))
    if article_id:
        qs = qs.filter(article_id=article_id)
    rows = (
        qs.annotate(p=trunc("shown_at", tzinfo=zone)).values("p", "article_id")
        .annotate(
            shown=Count("id"), opened=Count("id", filter=Q(opened_at__isnull=False)),
            deflections=Count("id", filter=Q(opened_at__isnull=False, session__outcome=Outcome.DEFLECTED)),
        )
        .order_by("-p", "-deflections", "-shown", "article_id")[:MAX_ROWS]
    )
    rows = list(rows)
    titles = dict(Article.objects.filter(pk__in={r["article_id"] for r in rows}).values_list("pk", "title"))
    out = []
    for r in rows:
        p = r["p"]
        day = timezone.localtime(p, zone).date() if isinstance(p, datetime.datetime) else p
        out.append(Row(day, r["article_id"], titles.get(r["article_id"], ""), r["shown"], r["opened"],
                       r["deflections"]))
    return out


def totals(rows: list[Row]) -> dict[str, Any]:
    shown = sum(r.shown for r in rows)
    deflections = sum(r.deflections for r in rows)
    opened = sum(r.opened for r in rows)
    return {"shown": shown, "opened": opened, "deflections": deflections,
            "deflection_rate": deflections / shown if shown else 0.0}
