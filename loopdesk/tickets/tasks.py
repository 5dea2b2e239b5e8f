"""Background jobs of the ticket loop."""

import datetime

from django_tasks import task

from loopdesk.core.scheduler import every

from .services import auto_close_resolved


@task()
def auto_close_resolved_tickets() -> int:
    """Close resolved tickets whose quiet period has passed."""
    return auto_close_resolved()


every(datetime.timedelta(minutes=15), auto_close_resolved_tickets)
