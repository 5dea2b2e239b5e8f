"""Background jobs of the API: forget old idempotency keys so the table stays small."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from loopdesk.core.models import IdempotencyKey
from loopdesk.core.scheduler import every

# A client retries within minutes; a day is a generous window (override with LOOPDESK_IDEMPOTENCY_HOURS).
DEFAULT_HOURS = 24


def purge_idempotency_keys(*, now: datetime.datetime | None = None, batch: int = 5000) -> int:
    """Delete keys older than the retention window, in batches; return how many."""
    hours = getattr(settings, "LOOPDESK_IDEMPOTENCY_HOURS", DEFAULT_HOURS)
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=hours)
    deleted = 0
    while True:
        ids = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]


@task()
def purge_old_idempotency_keys() -> int:
    return purge_idempotency_keys()


every(datetime.timedelta(hours=1), purge_old_idempotency_keys)
