"""Keep ticket search current without touching the ticket write path.

Every minute the worker indexes the tickets changed since the last run. Tickets sit below knowledge
in the layers, so the ticket services cannot call the index; and segmenting text inside every create
would cost intake time. The window re-reads the last minute too: a ticket whose transaction commits
after a later one was indexed is still caught (indexing is an idempotent upsert).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django_tasks import task

from loopdesk.core.models import Counter
from loopdesk.core.scheduler import every
from loopdesk.tickets.models import Ticket

from .index import refresh_dictionary, ticket_doc, write_docs

WATERMARK = "kb:tickets-indexed-until"  # µs since the epoch of the newest updated_at indexed
OVERLAP = datetime.timedelta(minutes=1)
BATCH = 1000
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _micros(value: datetime.datetime) -> int:
    return (value - EPOCH) // datetime.timedelta(microseconds=1)


def index_changed(*, limit: int = 20 * BATCH) -> int:
    """Index tickets updated since the watermark (minus the overlap); return how many."""
    row, _created = Counter.objects.get_or_create(name=WATERMARK, defaults={"value": 0})
    since = EPOCH + datetime.timedelta(microseconds=row.value) - OVERLAP
    refresh_dictionary()
    done, newest = 0, None
    qs = Ticket.objects.filter(updated_at__gt=since).order_by("updated_at", "id").only(
        "id", "number", "title", "description", "resolution", "created_at", "updated_at")
    while done < limit:
        batch = list(qs[done:done + BATCH])
        if not batch:
            break
        with transaction.atomic():
            write_docs([ticket_doc(t) for t in batch])
        done += len(batch)
        newest = batch[-1].updated_at
    if newest is not None:
        mark_indexed_until(newest)
    return done


def mark_indexed_until(moment: datetime.datetime) -> None:
    """Move the watermark forward (never back) to `moment`."""
    Counter.objects.get_or_create(name=WATERMARK, defaults={"value": 0})
    Counter.objects.filter(name=WATERMARK, value__lt=_micros(moment)).update(value=_micros(moment))


@task()
def index_changed_tickets() -> int:
    return index_changed()


every(datetime.timedelta(minutes=1), index_changed_tickets)
