"""The reward ledger (知识奖赏): points for authors and reviewers, written by the knowledge services at
the moment they are earned, and the leaderboard over it.

| moment | who | points | reason | source |
|---|---|---|---|---|
| first publish of an article | author | +10 | authored_published | `publish` |
| a publish of an article (once per reviewer) | the approving reviewer | +3 | reviewed | `publish` |
| a reader's helpful vote (not the author's own) | author | +1 | helpful_vote_received | `vote:<user id>` |
| the article is linked as having solved a ticket | author | +2 | solved_ticket | `ticket:<ticket id>` |

(user, reason, article, source) is unique, so a retried call never pays twice. Taking a vote back
(switching to "not helpful") or removing a "solved" link deletes its entry: the ledger holds the
points that currently stand."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Article, RewardEntry, RewardReason

POINTS = {
    RewardReason.AUTHORED_PUBLISHED: 10,
    RewardReason.REVIEWED: 3,
    RewardReason.HELPFUL_VOTE: 1,
    RewardReason.SOLVED_TICKET: 2,
}
PERIODS = ("month", "quarter", "all")


def award(*, user: Any, reason: str, article: Article | None, source: str = "") -> RewardEntry | None:
    """Write one ledger line unless it exists already; returns it, or None when it existed or there
    is nobody to pay (a deleted user, the system)."""
    if user is None or getattr(user, "pk", None) is None:
        return None
    if RewardEntry.objects.filter(user=user, reason=reason, article=article, source=source).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin loses on the unique constraint
            return RewardEntry.objects.create(user=user, reason=reason, article=article, source=source,
                                              points=POINTS[reason])
    except IntegrityError:
        return None


def revoke(*, reason: str, article: Article, source: str) -> int:
    """Delete the ledger line(s) of one earning event; returns how many."""
    deleted, _rows = RewardEntry.objects.filter(reason=reason, article=article, source=source).delete()
    return deleted


def period_start(period: str, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """The first moment of the current month or quarter in the active time zone (None for "all")."""
    if period == "all":
        return None
    local = timezone.localtime(now or timezone.now())
    month = local.month if period == "month" else 3 * ((local.month - 1) // 3) + 1
    return local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def leaderboard(*, period: str = "month", limit: int = 20, now: datetime.datetime | None = None) -> list[dict]:
    """Users by points earned in the period, highest first: [{"user", "points", "published",
    "entries"}]. `published` counts the articles whose publication paid the user as author."""
    qs = RewardEntry.objects.all()
    start = period_start(period, now)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    rows = (qs.values("user").annotate(
        points=Sum("points"), entries=Count("id"),
        published=Count("id", filter=Q(reason=RewardReason.AUTHORED_PUBLISHED)))
        .order_by("-points", "user")[:limit])
    rows = list(rows)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk([r["user"] for r in rows])
    return [{"user": users[r["user"]], "points": r["points"], "published": r["published"], "entries": r["entries"]}
            for r in rows if r["user"] in users]


def points_of(user: Any) -> int:
    return RewardEntry.objects.filter(user=user).aggregate(total=Sum("points"))["total"] or 0
