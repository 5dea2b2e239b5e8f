"""Background job of the rules engine: scheduled rules."""

import datetime

from django_tasks import task

from loopdesk.core.scheduler import every

from .services import run_scheduled


@task()
def run_scheduled_rules() -> int:
    """Run the scheduled rules that are due (each decides its own interval)."""
    return run_scheduled()


every(datetime.timedelta(minutes=5), run_scheduled_rules)
