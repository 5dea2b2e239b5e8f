"""Periodic jobs of self-service: close idle suggestion sessions (counting deflections) every five
minutes; retrain the next-question model every day."""

from __future__ import annotations

import datetime

from django_tasks import task

from loopdesk.core.scheduler import every

from .services import close_stale_sessions
from .training import train_model


@task()
def close_suggestion_sessions() -> dict[str, int]:
    return close_stale_sessions()


@task()
def train_next_questions() -> int:
    return train_model().transitions


every(datetime.timedelta(minutes=5), close_suggestion_sessions)
every(datetime.timedelta(days=1), train_next_questions)
