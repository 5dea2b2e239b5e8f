"""Periodic jobs: the worker's scheduler enqueues each registered task once per interval.

Several workers may run the scheduler; a conditional UPDATE on ScheduledJob makes exactly one of them
enqueue a due job.
"""

from __future__ import annotations

import datetime
import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from .models import ScheduledJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    task: Any
    interval: datetime.timedelta


_registry: dict[str, Periodic] = {}


def every(interval: datetime.timedelta, task: Any) -> None:
    """Register `task` (a django-tasks Task) to be enqueued every `interval`."""
    _registry[task.name] = Periodic(task.name, task, interval)


def registered() -> list[Periodic]:
    return list(_registry.values())


def run_due(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every job whose interval has passed; return the names enqueued by this call."""
    now = now or timezone.now()
    started = []
    for job in registered():
        ScheduledJob.objects.get_or_create(name=job.name)
        claimed = ScheduledJob.objects.filter(
            Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - job.interval), name=job.name
        ).update(last_run_at=now)
        if claimed:
            job.task.enqueue()
            started.append(job.name)
    return started


def loop(stop: threading.Event, seconds: int) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            run_due()
        except Exception:  # the scheduler must outlive a passing database error
            log.exception("scheduler tick failed")
        stop.wait(seconds)
